"""nutpie's warm-up in JAX: a diagonal mass matrix from the variances of draws and gradients.

Seyboldt's "covariance adaptation from gradients", as nuts-rs (the sampler inside nutpie 0.16)
runs it. For a Gaussian posterior with variances ``σ²`` the gradients of the log density have
variances ``1/σ²``, so ``sqrt(var(draws) / var(gradients))`` estimates ``σ²`` from both halves
of each draw; it settles in a few dozen draws where Stan's windowed variance of the draws alone
needs hundreds. The schedule (nuts-rs's ``GlobalStrategy`` with its defaults):

* start: the inverse mass matrix ``1 / |gradient|`` at the initial point, and a step size
  found by doubling or halving 0.1 until one leapfrog step's acceptance crosses the target;
* the first :data:`EARLY_WINDOW` of the warm-up: every draw updates the inverse mass matrix
  from a foreground estimate while a background estimate collects the same draws; every
  :data:`EARLY_SWITCH` draws the background becomes the foreground and a new background starts
  (old draws are forgotten fast);
* then the same with windows of :data:`SWITCH` draws growing by :data:`WINDOW_GROWTH` after
  each switch, with no switch that would not complete before the final window;
* the last :data:`STEP_SIZE_WINDOW` of the warm-up: the mass matrix is fixed, only the step
  size adapts;
* the step size adapts by Nesterov dual averaging (Stan's ``t0 = 10``, ``γ = 0.05``,
  ``κ = 0.75``) towards the target acceptance, restarting at a new doubling/halving search when
  the mass matrix first changes; the sampling phase uses the averaged step size, each draw
  jittered uniformly by ±:data:`JITTER`.

Draws that did not move (a rejected trajectory) or diverged are left out of the estimates.
Everything here is a pure function of arrays, traced into the sampler's compiled loop.
"""

from __future__ import annotations

from typing import Any, NamedTuple

EARLY_WINDOW = 0.3
STEP_SIZE_WINDOW = 0.15
EARLY_SWITCH = 10
SWITCH = 80
WINDOW_GROWTH = 1.5
JITTER = 0.1
INITIAL_STEP = 0.1
#: Dual averaging's settings (Stan's and nuts-rs's) and its largest step size.
DA_T0, DA_GAMMA, DA_KAPPA, MAX_STEP = 10.0, 0.05, 0.75, 3.141592653589793
CLAMP = (1e-20, 1e20)


class Moments(NamedTuple):
    """Welford's running mean and sum of squared deviations of draws and of gradients."""

    n: Any
    mean_x: Any
    m2_x: Any
    mean_g: Any
    m2_g: Any


class DualAverage(NamedTuple):
    """Nesterov dual averaging of the log step size (Hoffman & Gelman 2014, as Stan)."""

    log_step: Any
    log_step_avg: Any
    hbar: Any
    mu: Any
    count: Any


class Adaptation(NamedTuple):
    """One chain's warm-up state: foreground and background moments, the inverse mass matrix
    (diagonal), dual averaging, the current window and whether the matrix is still the
    initial one."""

    fg: Moments
    bg: Moments
    inv_mass: Any
    da: DualAverage
    window: Any
    initial: Any


def moments(x, g) -> Moments:
    """Moments holding one draw ``x`` with gradient ``g``."""
    import jax.numpy as jnp

    zero = jnp.zeros_like(x)
    return Moments(jnp.ones((), jnp.int32), x, zero, g, zero)


def empty_moments(x) -> Moments:
    import jax.numpy as jnp

    zero = jnp.zeros_like(x)
    return Moments(jnp.zeros((), jnp.int32), zero, zero, zero, zero)


def add(m: Moments, x, g, keep) -> Moments:
    """``m`` with the draw ``x`` (gradient ``g``) added where ``keep``."""
    import jax.numpy as jnp

    n = m.n + 1
    dx = x - m.mean_x
    dg = g - m.mean_g
    mean_x = m.mean_x + dx / n
    mean_g = m.mean_g + dg / n
    new = Moments(n, mean_x, m.m2_x + dx * (x - mean_x), mean_g, m.m2_g + dg * (g - mean_g))
    return Moments(*(jnp.where(keep, a, b) for a, b in zip(new, m, strict=True)))


def draw_grad_inv_mass(m: Moments, old):
    """``sqrt(var(draws) / var(gradients))`` where finite and positive, else ``old``."""
    import jax.numpy as jnp

    val = jnp.sqrt(m.m2_x / m.m2_g)
    ok = jnp.isfinite(val) & (val > 0)
    return jnp.where(ok, jnp.clip(val, *CLAMP), old)


def gradient_inv_mass(g):
    """The initial inverse mass matrix ``1 / |g|``, 1 where that is not finite."""
    import jax.numpy as jnp

    val = 1.0 / jnp.clip(jnp.abs(g), *CLAMP)
    return jnp.where(jnp.isfinite(val), val, 1.0)


def dual_average(step):
    """Dual averaging started at ``step`` (its ``μ``: ``log(10 step)``)."""
    import jax.numpy as jnp

    log = jnp.log(step)
    return DualAverage(log, log, jnp.zeros_like(log), jnp.log(10.0 * step),
                       jnp.ones((), jnp.int32))


def advance(da: DualAverage, accept, target: float) -> DualAverage:
    """One dual-averaging update with the mean acceptance ``accept`` of the last trajectory."""
    import jax.numpy as jnp

    t = da.count.astype(accept.dtype)
    w = 1.0 / (t + DA_T0)
    hbar = (1.0 - w) * da.hbar + w * (target - accept)
    log_step = jnp.minimum(da.mu - hbar * jnp.sqrt(t) / DA_GAMMA, jnp.log(MAX_STEP))
    mk = t ** (-DA_KAPPA)
    return DualAverage(log_step, mk * log_step + (1.0 - mk) * da.log_step_avg, hbar, da.mu,
                       da.count + 1)


def find_step_size(key, x, logp, grad, inv_mass, logdensity, target: float):
    """nuts-rs's initial step size: from :data:`INITIAL_STEP`, double (or halve) while one
    leapfrog step from ``x`` with a fresh momentum is accepted with probability above (below)
    ``target``, at most 100 times; :data:`INITIAL_STEP` when a step fails."""
    import jax
    import jax.numpy as jnp

    p = jax.random.normal(key, x.shape, x.dtype) / jnp.sqrt(inv_mass)
    h0 = -logp + 0.5 * jnp.sum(inv_mass * p * p)
    value_grad = jax.value_and_grad(logdensity)

    def accept(eps):
        q = p + 0.5 * eps * grad
        y = x + eps * inv_mass * q
        lp, g = value_grad(y)
        q = q + 0.5 * eps * g
        h = -lp + 0.5 * jnp.sum(inv_mass * q * q)
        a = jnp.minimum(1.0, jnp.exp(h0 - h))
        ok = jnp.isfinite(h) & (h - h0 < 1000.0)
        return jnp.where(ok, a, jnp.nan)

    eps0 = jnp.asarray(INITIAL_STEP, x.dtype)
    a0 = accept(eps0)
    up = a0 > target

    def cond(c):
        i, eps, done, failed = c
        return (i < 100) & ~done & ~failed

    def body(c):
        i, eps, _, _ = c
        a = accept(eps)
        failed = jnp.isnan(a)
        done = jnp.where(up, (a <= target) | (eps > 1e5), (a >= target) | (eps < 1e-10))
        nxt = jnp.where(done | failed, eps, jnp.where(up, 2.0 * eps, 0.5 * eps))
        return i + 1, nxt, done, failed

    _, eps, done, failed = jax.lax.while_loop(
        cond, body, (jnp.zeros((), jnp.int32), eps0, jnp.isnan(a0), jnp.zeros((), bool)))
    return jnp.where(done & ~failed & ~jnp.isnan(a0), eps, eps0)


def start(key, x, logp, grad, logdensity, target: float) -> Adaptation:
    """The adaptation at the initial point ``x`` (log density ``logp``, gradient ``grad``)."""
    import jax.numpy as jnp

    inv_mass = gradient_inv_mass(grad)
    step = find_step_size(key, x, logp, grad, inv_mass, logdensity, target)
    return Adaptation(moments(x, grad), moments(x, grad), inv_mass, dual_average(step),
                      jnp.asarray(SWITCH, jnp.int32), jnp.ones((), bool))


def jittered(key, step):
    """``step`` times a uniform draw in ``1 ± JITTER``."""
    import jax

    return step * jax.random.uniform(key, (), step.dtype, 1.0 - JITTER, 1.0 + JITTER)


def update(ad: Adaptation, i, tune: int, key, x, logp, grad, moved, accept, logdensity,
           target: float) -> tuple[Adaptation, Any]:
    """The adaptation after warm-up iteration ``i`` ended at ``x`` (``moved``: it left the
    previous point without diverging; ``accept``: the trajectory's mean acceptance), and the
    (unjittered) step size of the next iteration."""
    import jax
    import jax.numpy as jnp

    final = tune - int(STEP_SIZE_WINDOW * tune)
    early_end = int(EARLY_WINDOW * tune)
    is_early = i < early_end
    window = jnp.where(i == early_end, jnp.maximum(ad.window, ad.bg.n), ad.window)
    switch_freq = jnp.where(is_early, EARLY_SWITCH, window)
    fg = add(ad.fg, x, grad, moved)
    bg = add(ad.bg, x, grad, moved)
    grown = jnp.maximum(window + 1, jnp.round(window * WINDOW_GROWTH).astype(window.dtype))
    next_window = jnp.where(is_early, EARLY_SWITCH, grown)
    late = next_window + i > final
    switch = (bg.n >= switch_freq) & ~late
    fg = Moments(*(jnp.where(switch, b, f) for f, b in zip(fg, bg, strict=True)))
    bg = Moments(*(jnp.where(switch, e, b) for b, e in
                   zip(bg, empty_moments(x), strict=True)))
    window = jnp.where(switch & ~is_early, next_window, window)
    changed = fg.n >= 3
    inv_mass = jnp.where(changed, draw_grad_inv_mass(fg, ad.inv_mass), ad.inv_mass)
    da = advance(ad.da, accept, target)
    restart = changed & ad.initial
    da = jax.lax.cond(restart, lambda: dual_average(
        find_step_size(key, x, logp, grad, inv_mass, logdensity, target)), lambda: da)
    adapting = i < final
    out = Adaptation(fg, bg, inv_mass, da, window, ad.initial & ~changed)
    late_da = advance(ad.da, accept, target)
    out = jax.tree.map(lambda a, b: jnp.where(adapting, a, b), out,
                       ad._replace(da=late_da))
    step = jnp.where(i == tune - 1, jnp.exp(out.da.log_step_avg), jnp.exp(out.da.log_step))
    return out, step
