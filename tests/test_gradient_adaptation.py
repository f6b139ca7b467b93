"""nutpie's warm-up in JAX (bayeszoo.inference.backends.gradient_adaptation): the draw/gradient
variance estimate of the mass matrix, its running moments, dual averaging of the step size and
the initial step-size search."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bayeszoo.inference.backends import gradient_adaptation as ga
from bayeszoo.runtime import ensure_configured

ensure_configured()


def gaussian(scales):
    s2 = jnp.asarray(scales) ** 2
    return lambda x: -0.5 * jnp.sum(x * x / s2)


def test_moments_are_the_sample_variances_of_the_kept_draws():
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(2, 30, 4))
    keep = rng.random(30) < 0.7
    m = ga.empty_moments(jnp.zeros(4))
    for i in range(30):
        m = ga.add(m, x[i], g[i], keep[i])
    assert int(m.n) == keep.sum()
    np.testing.assert_allclose(m.m2_x / (m.n - 1), x[keep].var(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(m.mean_g, g[keep].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(m.m2_g / (m.n - 1), g[keep].var(axis=0, ddof=1), rtol=1e-12)


def test_draws_and_gradients_give_a_gaussian_variance_from_five_draws():
    """For a Gaussian posterior the gradient is -x/σ², so sqrt(var(x)/var(g)) is σ² exactly,
    from any few draws, where the variance of the draws alone is off by a factor of several."""
    scales = np.array([1e-2, 0.3, 1.0, 7.0, 1e2])
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 5)) * scales
    grad = jax.vmap(jax.grad(gaussian(scales)))(jnp.asarray(x))
    m = ga.empty_moments(jnp.zeros(5))
    for i in range(5):
        m = ga.add(m, x[i], grad[i], True)
    np.testing.assert_allclose(ga.draw_grad_inv_mass(m, jnp.ones(5)), scales**2, rtol=1e-10)
    draws_only = x.var(axis=0, ddof=1) / scales**2
    assert draws_only.max() / draws_only.min() > 3
    # no spread in a coordinate: the old value stays
    m0 = m._replace(m2_x=m.m2_x.at[2].set(0.0))
    assert float(ga.draw_grad_inv_mass(m0, jnp.full(5, 4.0))[2]) == 4.0


def test_the_first_mass_matrix_is_one_over_the_gradient():
    out = ga.gradient_inv_mass(jnp.array([2.0, -0.5, 0.0]))
    np.testing.assert_allclose(out[:2], [0.5, 2.0])
    assert float(out[2]) == 1e20


def test_dual_averaging_finds_the_step_of_the_target_acceptance():
    """With acceptance exp(-ε) the target 0.8 is met at ε = log(1/0.8) = 0.2231."""
    da = jax.jit(lambda: jax.lax.fori_loop(
        0, 2000, lambda _, d: ga.advance(d, jnp.exp(-jnp.exp(d.log_step)), 0.8),
        ga.dual_average(jnp.asarray(1.0))))()
    assert float(jnp.exp(da.log_step_avg)) == pytest.approx(np.log(1 / 0.8), rel=0.02)
    assert int(da.count) == 2001


def test_dual_averaging_matches_stans_recursion():
    accepts = [0.9, 0.3, 0.6, 0.95, 0.7]
    da = ga.dual_average(jnp.asarray(0.1))
    log_step = log_avg = np.log(0.1)
    hbar, mu = 0.0, np.log(1.0)
    for t, a in enumerate(accepts, start=1):
        da = ga.advance(da, jnp.asarray(a), 0.8)
        w = 1 / (t + 10)
        hbar = (1 - w) * hbar + w * (0.8 - a)
        log_step = min(mu - np.sqrt(t) / 0.05 * hbar, np.log(np.pi))
        log_avg = t ** -0.75 * log_step + (1 - t ** -0.75) * log_avg
    assert float(da.log_step) == pytest.approx(log_step, rel=1e-12)
    assert float(da.log_step_avg) == pytest.approx(log_avg, rel=1e-12)


def test_the_initial_step_size_search_stops_where_acceptance_crosses_the_target():
    """A 50-dimensional standard normal: one leapfrog step of ε is accepted with probability
    about exp(-d ε⁴/32), which crosses 0.8 between ε = 0.8 and 1.6: the search doubles 0.1 to
    1.6 (the first step accepted below the target)."""
    logdensity = gaussian(np.ones(50))
    x = 0.5 * jax.random.normal(jax.random.PRNGKey(2), (50,))
    logp, grad = jax.value_and_grad(logdensity)(x)
    eps = jax.jit(lambda: ga.find_step_size(jax.random.PRNGKey(3), x, logp, grad,
                                            jnp.ones(50), logdensity, 0.8))()
    assert float(eps) in (0.8, 1.6, 3.2)
    assert float(eps) / 0.1 == 2 ** round(np.log2(float(eps) / 0.1))


def test_the_warm_up_learns_scales_spanning_four_orders_of_magnitude():
    """Exact Gaussian draws fed through the warm-up's schedule: after its early window the
    inverse mass matrix is the posterior variances, which a 1/|gradient| start is not."""
    scales = np.logspace(-2, 2, 6)
    logdensity = gaussian(scales)
    x0 = jnp.asarray(scales)
    logp, grad = jax.value_and_grad(logdensity)(x0)
    ad = jax.jit(lambda: ga.start(jax.random.PRNGKey(0), x0, logp, grad, logdensity, 0.8))()
    assert not np.allclose(ad.inv_mass, scales**2, rtol=0.5)
    xs = jnp.asarray(np.random.default_rng(4).normal(size=(40, 6)) * scales)

    def warm(i, carry):
        ad, _ = carry
        lp, g = jax.value_and_grad(logdensity)(xs[i])
        return ga.update(ad, i, 200, jax.random.PRNGKey(i), xs[i], lp, g, True,
                         jnp.asarray(0.8), logdensity, 0.8)

    ad, step = jax.jit(lambda ad: jax.lax.fori_loop(0, 40, warm, (ad, jnp.asarray(0.1))))(ad)
    np.testing.assert_allclose(ad.inv_mass, scales**2, rtol=1e-8)
    assert not bool(ad.initial) and float(step) > 0
