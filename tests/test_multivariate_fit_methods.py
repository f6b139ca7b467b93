"""The multivariate fit as brms's ``mvbrmsfit``: saved and loaded exactly, and fixef, ranef,
coef, VarCorr, hypothesis, summary and pp_check per response, checked against the draws."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.inference.multivariate import MultivariateDraws, brms_multivariate_posterior
from bayeszoo.models.multivariate import multivariate_spec

FORMULA = "mvbind(tarsus, back) ~ sex + hatchdate + (1 | p | fosternest)"


def random_values(mspec, rng):
    """A point of every site: correlations from random correlation matrices."""
    out = {}
    for s in mspec.sites:
        if s.support == "correlation":
            k = s.shape[0]
            out[s.name] = np.linalg.cholesky(np.corrcoef(rng.normal(size=(k, k + 3))))
        elif s.support in ("positive", "greater_than_1"):
            out[s.name] = np.exp(rng.normal(size=s.shape) * 0.3) + (
                2.0 if s.support == "greater_than_1" else 0.0)
        else:
            out[s.name] = rng.normal(size=s.shape)
    return out


def fake_fit(mspec, attrs, chains=2, draws=10, seed=0):
    """A MultivariateFit of random site values (no sampler)."""
    rng = np.random.default_rng(seed)
    points = [[random_values(mspec, rng) for _ in range(draws)] for _ in range(chains)]
    site = {k: np.array([[p[k] for p in row] for row in points]) for k in points[0][0]}
    stats = {"diverging": np.zeros((chains, draws), bool)}
    return MultivariateDraws(mspec, site, brms_multivariate_posterior(mspec, site), stats,
                             {"formula": str(mspec.formula), "chains": chains, "draws": draws,
                              "tune": draws, **attrs}).inference_data()


@pytest.fixture(scope="module")
def btdata():
    return bz.datasets.load_btdata()


@pytest.fixture(scope="module")
def fit(btdata):
    priors = {"b": "normal(0, 5)"}
    m = multivariate_spec(bz.bf(FORMULA), btdata, priors=priors)
    return fake_fit(m, {"priors_given": json.dumps(priors)})


def flat(fit, name):
    return fit.posterior[name].values.reshape(-1, *fit.posterior[name].shape[2:])


@pytest.mark.parametrize("formula", [
    FORMULA,
    bz.mvbf(bz.bf("tarsus ~ sex + (1 | p | fosternest)", sigma="~ sex"),
            "back ~ hatchdate + (1 | p | fosternest) + (1 | dam)"),
])
def test_save_and_load_predict_and_loo_identically(btdata, tmp_path, formula):
    f = bz.bf(formula) if isinstance(formula, str) else formula
    given = {"sigma_back": "exponential(2)"} if isinstance(formula, str) else {}
    m = multivariate_spec(f, btdata, priors=given)
    original = fake_fit(m, {"priors_given": json.dumps(given)}, seed=3)
    path = bz.save(original, tmp_path / "mv.nc")
    back = bz.load(path)
    assert type(back).__name__ == "MultivariateFit"
    assert back.responses == original.responses and back.mspec.priors == m.priors
    assert back.mspec.rescor == m.rescor
    new = btdata.iloc[[0, 5, 40]]
    for kw in ({}, {"newdata": new}, {"newdata": new, "resp": "back"}):
        np.testing.assert_allclose(back.posterior_epred(**kw), original.posterior_epred(**kw),
                                   rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(back.posterior_predict(seed=1), original.posterior_predict(seed=1),
                               rtol=1e-12, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for resp in (None, "tarsus"):
            a, b = original.loo(resp=resp), back.loo(resp=resp)
            assert abs(a["elpd_loo"] - b["elpd_loo"]) < 1e-12
            np.testing.assert_allclose(a.loo_i.values, b.loo_i.values, rtol=1e-12, atol=1e-12)
    # a loaded fit saves again
    again = bz.load(bz.save(back, tmp_path / "again.nc"))
    np.testing.assert_allclose(again.posterior_epred(), original.posterior_epred(), atol=1e-12)
