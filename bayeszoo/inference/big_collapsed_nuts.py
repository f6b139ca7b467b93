"""NUTS on the variance parameters of a Gaussian-statistics model, the coefficients drawn
exactly given them (:mod:`.big_collapsed`): the sampler :func:`bayeszoo.sample_big` uses
where the model allows it.

The sampled sites are the intercept, the blocks' standard deviations and ``sigma`` (none for
the Laplace-expanded Poisson likelihood), under their priors; the fixed coefficients (flat or
normal priors) and every block's coefficients are integrated out of the density NUTS sees and
drawn afterwards, one exact draw from their Gaussian conditional per kept draw. NUTS runs on
the sampled sites whitened at their joint mode (:func:`whitening`). The posterior
is the joint model's (:func:`bayeszoo.models.numpyro.build_numpyro` on the same statistics)
and so are the site names and shapes (standardized ``z`` when non-centered, the centered
coefficients when centered), so brms's names and summaries follow as for
:func:`bayeszoo.sample`. The sampler statistics (``lp``, tree depths, divergences) are those
of the NUTS run on the variance parameters.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, NamedTuple

import numpy as np

from bayeszoo.design import Design
from bayeszoo.families.gaussian_stats import GaussianStats
from bayeszoo.models.spec import ModelSpec

from .backends import SamplerResult, SamplerSettings
from .big_collapsed import (
    CollapsedStats,
    collapsed_stats,
    conditional_coefficients,
    marginal_log_likelihood,
)

__all__ = ["CollapsedPlan", "collapse_plan", "sample_collapsed"]

#: Draws per batch of the conditional coefficient draws (bounds their memory).
DRAW_BATCH = 256
#: The one site NUTS samples: the sampled sites whitened (:func:`whitening`).
WHITE_SITE = "collapsed_z"


class CollapsedPlan(NamedTuple):
    """How a model is collapsed: its statistics (:class:`~.big_collapsed.CollapsedStats`), the
    order of the integrated coefficients in ``θ`` (``order``), the intercept's position in
    ``θ`` (``None``: none), the sampled sites (``outer``), the blocks' scale sites (in the
    order of the scale indices) and ``θ``'s slices of the fixed groups and blocks."""

    stats: CollapsedStats
    order: np.ndarray
    intercept: int | None
    outer: tuple[str, ...]
    scales: tuple[str, ...]
    fixed: tuple[tuple[str, np.ndarray], ...]
    blocks: tuple[tuple[int, slice], ...]


def _unsupported(spec: ModelSpec, design: Design) -> str | None:
    ps = spec.mu
    if len(spec.predictors) != 1 or spec.ar or spec.ma or spec.nonlinear is not None \
            or ps.thresholds is not None or ps.mo_groups:
        return "the model has more than one linear predictor, thresholds or autocorrelation"
    for bs in ps.blocks:
        if not bs.structure.iid_normal or len(bs.scale_sites) != 1:
            return f"block {bs.z_site} is not an iid block (one sd shared by its coefficients)"
    for site, _ in ps.fixed_groups:
        s = spec.site(site)
        if s.prior.family not in ("flat", "normal") or s.bounds is not None:
            return f"{site} has the prior {s.prior} (only flat and normal priors integrate)"
    return None


def collapse_plan(design: Design, spec: ModelSpec, stats: Any) -> CollapsedPlan | str:
    """The :class:`CollapsedPlan` of the model ``spec`` of ``design`` on ``stats``
    (:class:`~bayeszoo.families.gaussian_stats.GaussianStats` of the identity-link Gaussian
    family, or the :class:`~.big_stats.LaplaceStats` of the Poisson expansion), or the reason
    it cannot be collapsed (another family, a non-iid block, a fixed prior other than flat or
    normal, several linear predictors, a block with several weights per row)."""
    laplace = type(stats).__name__ == "LaplaceStats"
    gauss = stats.gaussian if laplace else stats
    if not isinstance(gauss, GaussianStats):
        return f"the {spec.family.name} family's statistics are not Gaussian"
    if not laplace and (spec.family.name != "gaussian" or set(spec.aux) != {"sigma"}):
        return "only the Gaussian family (identity link) and the Laplace expansion collapse"
    reason = _unsupported(spec, design)
    if reason is not None:
        return reason
    if any(np.ndim(sq) != 1 for sq in gauss.block_sq):
        return "a block has several weights per row (a correlated term)"
    ps = spec.mu
    lead = 1 if ps.intercept is not None else 0
    p_x = lead + len(ps.fixed_cols)
    indicator = [b.is_indicator for b in design.blocks]
    sizes = [int(np.prod(bs.z_shape)) for bs in ps.blocks]
    dense_sizes = [s for s, ind in zip(sizes, indicator, strict=True) if not ind]
    if p_x + sum(dense_sizes) != gauss.dense_gram.shape[0] or [
            s for s, ind in zip(sizes, indicator, strict=True) if ind] != [
            len(sq) for sq in gauss.block_sq]:
        return "the statistics do not have the model's columns"
    P = p_x + sum(sizes)
    scale = np.full(P, -1, dtype=np.int64)
    prec = np.zeros(P)
    mean = np.zeros(P)
    fixed = []
    for site, members in ps.fixed_groups:
        pos = lead + np.asarray(members, dtype=np.int64)
        prior = spec.site(site).prior
        if prior.family == "normal":
            prec[pos] = 1.0 / prior.named["sigma"] ** 2
            mean[pos] = prior.named["mu"]
        fixed.append((site, pos))
    starts = {}
    at = p_x
    for j in [j for j, ind in enumerate(indicator) if not ind] + [
            j for j, ind in enumerate(indicator) if ind]:
        starts[j] = slice(at, at + sizes[j])
        scale[starts[j]] = j
        at += sizes[j]
    cs, order = collapsed_stats(gauss, 0 if lead else None, scale, prec, mean,
                                stats.constant if laplace else None)
    outer = ([ps.intercept] if ps.intercept else []) + [bs.scale_sites[0] for bs in ps.blocks] \
        + list(spec.aux.values())
    if not outer:
        return "the model has no intercept, block or sigma to sample"
    integrated = {site for site, _ in ps.fixed_groups} | {bs.z_site for bs in ps.blocks}
    if {s.name for s in spec.sites} != set(outer) | integrated:
        return "the model has sites other than the intercept, scales, sigma and coefficients"
    return CollapsedPlan(cs, order, 0 if lead else None, tuple(outer),
                         tuple(bs.scale_sites[0] for bs in ps.blocks), tuple(fixed),
                         tuple((j, starts[j]) for j in range(len(ps.blocks))))


def _outer_values(plan: CollapsedPlan, values: dict[str, Any], xp):
    alpha = values[plan.outer[0]] if plan.intercept is not None else 0.0
    sigma = values["sigma"] if "sigma" in values else 1.0
    shape = np.shape(values[plan.outer[0]])
    taus = xp.stack([values[s] for s in plan.scales] + [xp.ones(shape)], axis=-1)
    return alpha, sigma, taus


def _outer_density(spec: ModelSpec, plan: CollapsedPlan):
    """``logp(u, data)``: the log density of the sampled sites on their unconstrained scale
    ``u`` (in ``plan.outer``'s order; priors, Jacobians and the integrated likelihood), and
    ``values(u)``: the sites' constrained values."""
    from numpyro.distributions.transforms import biject_to

    from bayeszoo.models.bounded import numpyro_bounded
    from bayeszoo.models.numpyro import prior_distribution

    priors = []
    for name in plan.outer:
        site = spec.site(name)
        d = numpyro_bounded(site.prior, site.bounds, ()) if site.bounds is not None \
            else prior_distribution(site.prior, site.support)
        priors.append((name, d, biject_to(d.support)))

    def values(u):
        return {name: T(u[..., i]) for i, (name, _, T) in enumerate(priors)}

    def logp(u, data):
        import jax.numpy as jnp

        lp = 0.0
        for i, (_, d, T) in enumerate(priors):
            x = T(u[i])
            lp = lp + d.log_prob(x) + T.log_abs_det_jacobian(u[i], x)
        alpha, sigma, taus = _outer_values(plan, values(u), jnp)
        return lp + marginal_log_likelihood(data, alpha, sigma, taus)

    return logp, values


def whitening(logp, data, start: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The mode ``u*`` of ``logp`` (Newton's iterations with step halving from ``start``) and
    ``L`` with ``L L' = (−∇²logp(u*))⁻¹``: NUTS then samples ``z`` with ``u = u* + L z``, an
    affine change of variables (constant Jacobian, the same posterior) under which the
    posterior is close to standard normal. The scales of the variance parameters shrink as
    ``1/√n`` (``log σ``'s posterior sd is 2·10⁻⁴ at 10⁷ rows), below the floor NUTS's mass
    matrix adaptation regularizes variances towards, which otherwise costs tens of leapfrog
    steps per draw. ``(start, I)`` when no mode with a negative definite Hessian is found."""
    import jax

    both = jax.jit(lambda u, data: (logp(u, data), jax.grad(logp)(u, data),
                                    jax.hessian(logp)(u, data)))  # one compilation

    def f(u, data):
        return both(u, data)[0]

    def hess(u, data):
        return both(u, data)[2]

    u = np.asarray(start, dtype=float)
    value = float(f(u, data))
    for _ in range(max_iter):
        _, g, H = (np.asarray(a) for a in both(u, data))
        try:
            step = np.linalg.solve(-H, g) if np.all(np.linalg.eigvalsh(-H) > 0) else g
        except np.linalg.LinAlgError:
            step = g
        t = 1.0
        while t > 1e-10:
            new = u + t * step
            v = float(f(new, data))
            if np.isfinite(v) and v >= value:
                break
            t /= 2
        else:
            break
        done = np.max(np.abs(new - u)) < 1e-10
        u, value = new, v
        if done:
            break
    H = np.asarray(hess(u, data))
    if not (np.all(np.isfinite(H)) and np.all(np.linalg.eigvalsh(-H) > 0)):
        return np.asarray(start, dtype=float), np.eye(len(u))
    return u, np.linalg.cholesky(np.linalg.inv(-H))


def collapsed_model(spec: ModelSpec, plan: CollapsedPlan):
    """The NumPyro model of the sampled sites, whitened (:func:`whitening`): one site
    ``z`` of standard scale, ``u = u* + L z`` the sites on their unconstrained scale, the log
    density their priors, Jacobians and the likelihood with the coefficients integrated out
    (:func:`~.big_collapsed.marginal_log_likelihood`); its argument is the plan's
    statistics. Also returns the model's ``spec`` (the one site ``z``) and ``values(z)``,
    the sampled sites' values."""
    import jax
    import jax.numpy as jnp

    from bayeszoo.models.priors import flat
    from bayeszoo.models.spec import Site

    logp, values = _outer_density(spec, plan)
    k = len(plan.outer)
    start = np.zeros(k)
    if plan.intercept is not None:
        start[0] = plan.stats.shift
    if "sigma" in plan.outer:
        n = max(float(plan.stats.n), 1.0)
        start[plan.outer.index("sigma")] = 0.5 * np.log(max(float(plan.stats.yy) / n, 1e-12))
    mode, L = whitening(logp, jax.device_put(plan.stats), start)
    site = Site(WHITE_SITE, flat(), (k,))

    def model(data):
        import numpyro
        import numpyro.distributions as dist

        z = numpyro.sample(WHITE_SITE, dist.ImproperUniform(dist.constraints.real_vector,
                                                            (), (k,)))
        numpyro.factor(spec.response, logp(jnp.asarray(mode) + jnp.asarray(L) @ z, data))

    def outer_values(z: np.ndarray) -> dict[str, np.ndarray]:
        u = mode + np.asarray(z) @ L.T
        return {name: np.asarray(v) for name, v in values(jnp.asarray(u)).items()}

    return model, dataclasses.replace(spec, sites=[site]), outer_values


def coefficient_draws(plan: CollapsedPlan, outer: dict[str, np.ndarray], seed: int) -> np.ndarray:
    """``θ`` (``chains × draws × P``) from one exact conditional draw per draw of the sampled
    sites ``outer`` (``chains × draws`` each), the intercept at its position."""
    import jax
    import jax.numpy as jnp

    alpha, sigma, taus = _outer_values(plan, outer, np)
    lead = np.shape(taus)[:-1]
    S = int(np.prod(lead))
    flat = (np.broadcast_to(alpha, lead).reshape(S), np.broadcast_to(sigma, lead).reshape(S),
            taus.reshape(S, -1))
    draw = jax.jit(jax.vmap(conditional_coefficients, in_axes=(None, 0, 0, 0, 0)))
    data = jax.device_put(plan.stats)
    eps = np.asarray(jax.random.normal(jax.random.fold_in(jax.random.PRNGKey(seed), 1),
                                       (S, len(plan.order))))
    out = np.empty((S, len(plan.order)))
    for lo in range(0, S, DRAW_BATCH):
        hi = min(S, lo + DRAW_BATCH)
        idx = np.minimum(np.arange(lo, lo + DRAW_BATCH), S - 1)  # one compiled batch shape
        out[lo:hi] = np.asarray(draw(data, *(jnp.asarray(x[idx]) for x in flat),
                                     jnp.asarray(eps[idx])))[:hi - lo]
    P = len(plan.order) + (plan.intercept is not None)
    theta = np.empty((S, P))
    theta[:, plan.order] = out
    if plan.intercept is not None:
        theta[:, plan.intercept] = flat[0]
    return theta.reshape(*lead, P)


def site_values(spec: ModelSpec, plan: CollapsedPlan, outer: dict[str, np.ndarray],
                theta: np.ndarray) -> dict[str, np.ndarray]:
    """Every site of ``spec`` from the sampled sites and ``θ``: the fixed groups' entries, each
    block's ``z = r / sd`` (non-centered) or its centered draws ``r`` plus the mean they are
    centered on (centered)."""
    values = {k: np.asarray(v) for k, v in outer.items()}
    for site, pos in plan.fixed:
        values[site] = theta[..., pos]
    for (_, sl), bs in zip(plan.blocks, spec.mu.blocks, strict=True):
        r = theta[..., sl]
        values[bs.z_site] = (r + bs.centered_mean(values) if spec.centered
                             else r / values[bs.scale_sites[0]][..., None])
    return {s.name: values[s.name] for s in spec.sites}


def sample_collapsed(design: Design, spec: ModelSpec, plan: CollapsedPlan,
                     settings: SamplerSettings, seed: int,
                     progress: bool = False) -> SamplerResult:
    """NUTS on the sampled sites of ``plan`` (NumPyro, :func:`~.backends.numpyro.
    model_program`), then the exact conditional draws of the coefficients: a
    :class:`~.backends.SamplerResult` with every site of ``spec``, as the joint sampler's."""
    from .backends.numpyro import model_program

    model, outer_spec, outer_values = collapsed_model(spec, plan)
    result = model_program(model, plan.stats, design, outer_spec, settings).run(
        int(seed), progress=progress)
    t0 = time.perf_counter()
    outer = outer_values(result.draws[WHITE_SITE])
    theta = coefficient_draws(plan, outer, int(seed))
    draws = site_values(spec, plan, outer, theta)
    return dataclasses.replace(
        result, draws=draws, sampling_seconds=result.sampling_seconds + time.perf_counter() - t0,
        info={**result.info, "sampler": "collapsed"})
