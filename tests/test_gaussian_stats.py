"""The sufficient-statistics Gaussian likelihood equals the row-wise one: values and gradients
to 1e-9 for random designs and parameters (x64), and the NumPyro model built either way gives
the same NUTS posterior on radon."""

from __future__ import annotations

import numpy as np
import pytest

from bayeszoo.runtime import ensure_configured

ensure_configured()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from bayeszoo.families.gaussian_stats import (  # noqa: E402
    gaussian_stats,
    normal_loglik,
    residual_sum_of_squares,
)


def _problem(seed: int, n: int = 400, intercept: bool = True):
    """A design with dense columns (intercept, covariates, a smooth-like basis) and three
    indicator blocks: a random intercept, a random slope (weights = covariate) and a second,
    crossed grouping; y on a scale far from 0 so that centering matters."""
    rng = np.random.default_rng(seed)
    cols = [np.ones(n)] if intercept else []
    cols += [rng.normal(size=n), rng.uniform(size=n)]
    cols += list(rng.normal(size=(5, n)))
    D = np.column_stack(cols)
    g1, g2 = rng.integers(0, 7, n), rng.integers(0, 13, n)
    blocks = [(g1, np.ones(n), 7), (g1, D[:, -1].copy(), 7), (g2, np.ones(n), 13)]
    y = 50.0 + rng.normal(scale=3.0, size=n)
    return y, D, blocks


def _rowwise(y, D, blocks, a, rs, sigma):
    mu = D @ a
    for (idx, w, _), r in zip(blocks, rs, strict=True):
        mu = mu + r[idx] * w
    return jnp.sum(jax.scipy.stats.norm.logpdf(y, mu, sigma))


def _params(rng, D, blocks):
    a = rng.normal(size=D.shape[1]) + np.r_[50.0, np.zeros(D.shape[1] - 1)]
    rs = [rng.normal(size=q) for _, _, q in blocks]
    return a, rs, float(rng.uniform(0.5, 5.0))


@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loglik_and_gradient_equal_rowwise(seed, intercept):
    assert jax.config.jax_enable_x64
    y, D, blocks = _problem(seed, intercept=intercept)
    stats = gaussian_stats(y, D, blocks)
    rng = np.random.default_rng(100 + seed)
    for _ in range(5):
        a, rs, sigma = _params(rng, D, blocks)
        exact = float(_rowwise(y, D, blocks, a, rs, sigma))
        fast = float(normal_loglik(stats, a, rs, sigma))
        assert abs(fast - exact) <= 1e-9 * max(1.0, abs(exact))
        g_exact = jax.grad(lambda p: _rowwise(y, D, blocks, p[0], p[1], p[2]))((a, rs, sigma))
        g_fast = jax.grad(lambda p: normal_loglik(stats, p[0], p[1], p[2]))((a, rs, sigma))
        for u, v in zip(jax.tree.leaves(g_fast), jax.tree.leaves(g_exact), strict=True):
            np.testing.assert_allclose(u, v, rtol=1e-8, atol=1e-8)


def test_rss_matches_residuals_and_works_without_blocks():
    y, D, _ = _problem(3, n=50)
    a = np.linalg.lstsq(D, y, rcond=None)[0]
    stats = gaussian_stats(y, D)
    resid = y - D @ a
    assert float(residual_sum_of_squares(stats, a)) == pytest.approx(resid @ resid, rel=1e-9)
    np.testing.assert_allclose(stats.dense_shift, np.r_[np.mean(y), np.zeros(D.shape[1] - 1)])
    assert stats.pairs == {}


def test_pairs_hold_cooccurring_levels_only():
    y = np.arange(6.0)
    state = np.array([0, 0, 0, 1, 1, 1])
    county = np.array([0, 1, 1, 2, 3, 3])
    stats = gaussian_stats(y, np.ones((6, 1)), [(state, np.ones(6), 2),
                                                 (county, np.ones(6), 4)])
    ((j, m), (lj, lm, v)), = stats.pairs.items()
    assert (j, m) == (0, 1)
    assert list(zip(lj.tolist(), lm.tolist(), v.tolist(), strict=True)) == [
        (0, 0, 1.0), (0, 1, 2.0), (1, 2, 1.0), (1, 3, 2.0)]
    np.testing.assert_array_equal(stats.block_sq[1], [1, 2, 1, 2])


def test_bad_blocks_are_named():
    with pytest.raises(ValueError, match="block 0: index outside"):
        gaussian_stats(np.zeros(3), np.ones((3, 1)), [(np.array([0, 1, 5]), np.ones(3), 2)])
    with pytest.raises(ValueError, match="block 0: index and weights need 3"):
        gaussian_stats(np.zeros(3), np.ones((3, 1)), [(np.array([0, 1]), np.ones(2), 2)])
    stats = gaussian_stats(np.zeros(3), np.ones((3, 1)), [(np.array([0, 1, 1]), np.ones(3), 2)])
    with pytest.raises(ValueError, match="expected 1 block coefficient"):
        residual_sum_of_squares(stats, np.zeros(1), [])


@pytest.fixture(scope="module")
def radon_posteriors():
    """NUTS on radon ``log_radon ~ 1 + (1 | county)`` with the model ``bz.sample`` uses, once
    through the sufficient statistics and once with Normal(mu, sigma) row by row."""
    from numpyro.infer import MCMC, NUTS

    import bayeszoo as bz
    from bayeszoo.models.numpyro import build_numpyro

    d = bz.design("log_radon ~ 1 + (1 | county)", bz.datasets.load_radon())
    out = {}
    for fast in (False, True):
        built = build_numpyro(d, sufficient_stats=fast)
        mcmc = MCMC(NUTS(built.model), num_warmup=500, num_samples=1000, num_chains=2,
                    chain_method="vectorized", progress_bar=False)
        mcmc.run(jax.random.PRNGKey(3), built.data)
        s = mcmc.get_samples(group_by_chain=True)
        sd = np.asarray(s["sd_county__Intercept"])
        out[fast] = {"b0": np.asarray(s["Intercept"]), "sd": sd,
                     "sigma": np.asarray(s["sigma"]), "r": sd[..., None] * np.asarray(s["z_0"])}
    return out


def test_same_posterior_as_rowwise(radon_posteriors):
    import arviz as az

    slow, fast = radon_posteriors[False], radon_posteriors[True]
    for name in ("b0", "sd", "sigma", "r"):
        a, b = slow[name], fast[name]
        se = np.sqrt(sum(az.mcse(az.convert_to_dataset({name: s}), method="mean")[name].values
                         ** 2 for s in (a, b)))
        z = np.abs(a.mean(axis=(0, 1)) - b.mean(axis=(0, 1))) / se
        # 85 county effects: allow the largest of them a wider band than a single scalar
        assert np.max(z) < (4.5 if name == "r" else 4.0), (name, np.max(z))


def test_stats_enter_a_compiled_function_as_argument():
    """The statistics are a pytree of arrays: one compilation serves any data of the same
    shapes."""
    y, D, blocks = _problem(4, n=60)
    a, rs, sigma = _params(np.random.default_rng(5), D, blocks)
    f = jax.jit(normal_loglik)
    for shift in (0.0, 7.0):
        stats = gaussian_stats(y + shift, D, blocks)
        exact = float(_rowwise(y + shift, D, blocks, a, rs, sigma))
        assert float(f(stats, a, rs, sigma)) == pytest.approx(exact, rel=1e-9)
    assert f._cache_size() == 1
