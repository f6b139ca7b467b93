"""backend="blackjax": BlackJAX's NUTS with nutpie's gradient-based warm-up on the NumPyro model.
Same seed, same draws; the warm-up of nutpie (about half the leapfrog steps per draw of Stan's);
the posterior of brms within its tolerances and NumPyro's within Monte Carlo error."""

import sys

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.inference import backends
from bayeszoo.inference.backends.blackjax import require_blackjax
from bayeszoo.inference.sampling import draw_posterior, sample

pytest.importorskip("blackjax")

RADON = "log_radon ~ 1 + (1 | county)"


def data(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": 0.5 + x + rng.normal(size=n)})


def test_registered_for_models_without_networks():
    assert "blackjax" in backends.names()
    b = backends.get("blackjax")
    assert b.samples_networks is False
    assert backends.packages("blackjax")[-4:] == ("blackjax", "numpyro", "jax", "jaxlib")


def test_a_missing_blackjax_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "blackjax", None)
    with pytest.raises(ImportError, match=r"pip install 'bayeszoo\[blackjax\]'"):
        require_blackjax()


def test_a_dense_mass_matrix_is_refused():
    with pytest.raises(ValueError, match="diagonal mass matrix.*dense_mass=True use "
                                         "backend='numpyro'"):
        bz.sample("y ~ x", data(), backend="blackjax", dense_mass=True, chains=1, draws=10,
                  tune=10, progress=False)


def test_same_seed_same_draws_and_the_statistics_of_every_backend():
    kw = dict(backend="blackjax", chains=2, draws=150, tune=150, progress=False,
              log_likelihood=False)
    a = draw_posterior("y ~ x", data(), seed=5, **kw)
    b = draw_posterior("y ~ x", data(), seed=5, **kw)
    c = draw_posterior("y ~ x", data(), seed=6, **kw)
    for k in a.posterior:
        np.testing.assert_array_equal(a.posterior[k], b.posterior[k])
    assert not np.array_equal(a.posterior["b_x"], c.posterior["b_x"])
    assert set(a.stats) == set(backends.STAT_NAMES)
    assert a.posterior["b_x"].shape == (2, 150)
    assert a.attrs["backend"] == "blackjax" and a.attrs["mass_matrix"] == "diagonal"
    assert "blackjax" in a.attrs["versions"]
    step = a.stats["step_size"]
    # the sampling phase jitters one adapted step size by ±10 %
    for chain in step:
        assert chain.max() / chain.min() < 1.1 / 0.9 + 1e-9
        assert chain.max() / chain.min() > 1.05
    assert abs(float(np.mean(a.posterior["b_x"])) - 1.0) < 0.4


def mcse_z(a: np.ndarray, b: np.ndarray) -> float:
    from bayeszoo.inference.convergence import ess_bulk

    se = np.sqrt(a.var() / float(ess_bulk(a)) + b.var() / float(ess_bulk(b)))
    return abs(a.mean() - b.mean()) / se


@pytest.mark.slow
@pytest.mark.reference
def test_radon_matches_brms_and_numpyro_with_half_the_steps(brms_ref):
    """radon_intercept, 4 × 500: brms's means and 95 % intervals within test_sampling's
    tolerances, NumPyro's means within 4 Monte Carlo standard errors for every quantity (89),
    and fewer than two thirds of NumPyro's leapfrog steps per draw."""
    radon = bz.datasets.load_radon()
    kw = dict(chains=4, draws=500, tune=500, seed=1, progress=False)
    fit = sample(RADON, radon, backend="blackjax", **kw)
    ref = brms_ref["radon_intercept"]["posterior"]
    for name in ("b_Intercept", "sd_county__Intercept", "sigma"):
        draws = np.asarray(fit.posterior[name].values).ravel()
        assert abs(draws.mean() - ref[name]["mean"]) < 0.02, name
        lo, hi = np.quantile(draws, [0.025, 0.975])
        assert abs(lo - ref[name]["q2.5"]) < 0.03, name
        assert abs(hi - ref[name]["q97.5"]) < 0.03, name
    assert int(fit.sample_stats["diverging"].sum()) == 0
    other = draw_posterior(RADON, radon, backend="numpyro", log_likelihood=False, **kw)
    z = []
    for k, v in other.posterior.items():
        a = np.asarray(fit.posterior[k].values, dtype=float).reshape(4, 500, -1)
        b = np.asarray(v, dtype=float).reshape(4, 500, -1)
        z += [mcse_z(a[..., j], b[..., j]) for j in range(a.shape[-1])]
    assert len(z) == 89 and max(z) < 4, max(z)
    steps = float(fit.sample_stats["n_steps"].mean())
    assert steps < 2 / 3 * float(other.stats["n_steps"].mean())
