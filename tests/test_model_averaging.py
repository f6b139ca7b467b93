"""Fit.loo / waic / kfold, model weights by stacking and pseudo-BMA+ as ArviZ's, and brms's
pp_average mixing posterior draws in proportion to the weights."""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pytest
from scipy.special import logsumexp

import bayeszoo as bz
from bayeszoo.inference.averaging import draw_counts, model_weights


@pytest.fixture(scope="module")
def radon_fits(small_fit):
    return {"pooled": small_fit("radon_pooled"), "intercept": small_fit("radon_intercept")}


def test_waic_by_hand(radon_fits):
    fit = radon_fits["intercept"]
    ll = np.asarray(fit.log_likelihood["log_radon"].values).reshape(-1, fit.observed_data
                                                                     ["log_radon"].size)
    lppd = logsumexp(ll, axis=0) - np.log(ll.shape[0])
    p_waic = np.var(ll, axis=0)  # ArviZ's: over S draws (R's loo divides by S - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = fit.waic()
    assert got.elpd_waic == pytest.approx(np.sum(lppd - p_waic), rel=1e-10)
    assert got.p_waic == pytest.approx(np.sum(p_waic), rel=1e-10)


def test_loo_and_kfold_delegate(radon_fits, monkeypatch):
    fit = radon_fits["intercept"]
    assert fit.loo().elpd_loo == pytest.approx(bz.loo(fit).elpd_loo, rel=1e-12)
    seen = {}
    monkeypatch.setattr("bayeszoo.inference.refit.kfold",
                        lambda idata, **kw: seen.update(idata=idata, **kw) or "result")
    assert fit.kfold(K=4, seed=2) == "result"
    assert seen == {"idata": fit, "K": 4, "seed": 2}
    monkeypatch.setattr("bayeszoo.inference.refit.reloo",
                        lambda idata, elpd, k, executor, workers: (idata, k, elpd.elpd_loo))
    got = fit.loo(reloo=True, k_threshold=0.5)
    assert got[:2] == (fit, 0.5) and got[2] == pytest.approx(bz.loo(fit).elpd_loo)


def test_weights_sum_to_one_and_equal_arviz(radon_fits):
    weights = model_weights(radon_fits, "stacking")
    assert list(weights.index) == ["pooled", "intercept"]
    assert weights.sum() == pytest.approx(1.0, abs=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = az.compare({n: az.loo(f, pointwise=True) for n, f in radon_fits.items()},
                         method="stacking")["weight"]
    np.testing.assert_allclose(weights.to_numpy(), ref[weights.index].to_numpy(), atol=1e-6)
    table = bz.compare(radon_fits, reml=False, method="BB-pseudo-BMA")
    bma = model_weights(radon_fits, "pseudobma")
    assert bma.sum() == pytest.approx(1.0, abs=1e-9)
    assert bma.idxmax() == table.index[0] == "intercept"


def test_draw_counts_by_largest_remainder():
    np.testing.assert_array_equal(draw_counts(np.array([1, 1, 1]) / 3, 10), [4, 3, 3])
    np.testing.assert_array_equal(draw_counts(np.array([0.25, 0.75]), 400), [100, 300])
    np.testing.assert_array_equal(draw_counts(np.array([0.0, 1.0]), 7), [0, 7])


def pooled_draws(draws: np.ndarray) -> int:
    """How many draws predict one mean for every home (those of the pooled model)."""
    return int(np.sum(np.ptp(draws, axis=1) < 1e-12))


def test_pp_average_mixes_draws_in_proportion_to_the_weights(radon_fits):
    mixed = bz.pp_average(radon_fits, weights=[0.3, 0.7], ndraws=100, seed=1,
                          method="posterior_epred")
    assert mixed.shape == (100, radon_fits["pooled"].observed_data["log_radon"].size)
    assert pooled_draws(mixed[:30]) == 30 and pooled_draws(mixed[30:]) == 0
    # each model's draws are its own posterior_epred draws
    pooled = radon_fits["pooled"].posterior_epred()
    assert all((pooled == row).all(axis=1).any() for row in mixed[:30])


def test_pp_average_by_stacking_weights(radon_fits):
    weights = model_weights(radon_fits, "stacking").to_numpy()
    counts = draw_counts(weights, 400)
    mixed = bz.pp_average(list(radon_fits.values()), seed=2, method="posterior_epred")
    assert mixed.shape[0] == 400
    assert pooled_draws(mixed) == counts[0]
    predicted = bz.pp_average(radon_fits, weights={"pooled": 1, "intercept": 1}, ndraws=10,
                              seed=3)
    assert predicted.shape == (10, mixed.shape[1])


def test_pp_average_errors(radon_fits):
    with pytest.raises(ValueError, match=r"weights must be 2 non-negative numbers, one per "
                                         r"fit, not all zero, got \[1\]"):
        bz.pp_average(radon_fits, weights=[1])
    with pytest.raises(ValueError, match=r"weights has no weight for fit\(s\) \['intercept'\]"):
        bz.pp_average(radon_fits, weights={"pooled": 1})
    with pytest.raises(ValueError, match="weights must be numbers, one per fit, or one of "
                                         "'stacking', 'pseudobma'"):
        bz.pp_average(radon_fits, weights="bma")
    with pytest.raises(ValueError, match="fit 'pooled' has 400 draws but its weight asks for "
                                         "1000; pass a smaller ndraws"):
        bz.pp_average(radon_fits, weights=[1, 0], ndraws=1000)
