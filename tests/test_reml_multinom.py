"""mgcv's ``multinom`` family in ``bz.reml``: the housing fit against mgcv (``mgcv_wave3.json``
``housing_multinom``: ``gam(list(y0 ~ Infl + Type + Cont, ~ Infl + Type + Cont), family =
multinom(K = 2))`` on the 1681 expanded rows, here the 72 rows with frequency weights), the
likelihood's derivatives against central differences, the exact REML gradient of a smooth
multinomial model, and the formulas and responses refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference_data import fixture

import bayeszoo as bz
from bayeszoo.families.multinom import MultinomLikelihood, multinom_probabilities

REF = fixture("mgcv_wave3")["housing_multinom"]
FORMULAS = ["Sat | weights(Freq) ~ Infl + Type + Cont", "~ Infl + Type + Cont"]


@pytest.fixture(scope="module")
def housing_fit():
    return bz.reml(FORMULAS, bz.datasets.load_housing(), family="multinom")


def test_housing_matches_mgcv(housing_fit):
    fit = housing_fit
    assert fit.converged
    assert fit.reml_score == pytest.approx(REF["reml"], abs=1e-4)
    coef = fit.mgcv_coef()
    assert [c.replace("Intercept", "(Intercept)") for c in coef.index] == list(REF["coef"])
    np.testing.assert_allclose(coef.to_numpy(), list(REF["coef"].values()), atol=1e-4)
    np.testing.assert_allclose(fit.se.to_numpy(), list(REF["se"].values()), atol=1e-4)
    np.testing.assert_allclose(fit.edf_coef.to_numpy(), list(REF["edf_coef"].values()),
                               atol=1e-4)
    assert fit.edf_total == pytest.approx(REF["edf_total"], abs=1e-4)
    assert fit.sp == {} and fit.scale == 1.0 and not fit.scale_estimated
    assert fit.fitted.shape == (72, 2)  # mgcv's fitted values: the K linear predictors
    np.testing.assert_allclose(fit.fitted, REF["linear_predictors_72"], atol=1e-4)
    np.testing.assert_allclose(fit.linear_predictors, REF["linear_predictors_72"], atol=1e-4)
    np.testing.assert_allclose(fit.predict(type="response"), REF["prob_72"], atol=1e-5)
    assert fit.deviance == pytest.approx(REF["deviance"], abs=1e-4)
    assert fit.null_deviance == pytest.approx(REF["null_deviance"], abs=1e-4)


def test_reml_score_carries_mgcv_reference_constant(housing_fit):
    """mgcv 1.8-41 fills the reference column of eta with 1: its score is lower by the
    weighted count of reference rows (567 'Low' ratings) than the multinomial Laplace REML."""
    d = bz.datasets.load_housing()
    low = float(d.loc[d["Sat"] == "Low", "Freq"].sum())
    assert low == 567.0
    lik = housing_fit.likelihood
    assert lik.saturated(np.zeros(0))[0] == low
    assert housing_fit.deviance / 2.0 - low < housing_fit.reml_score


def test_predict_new_rows_and_summary(housing_fit):
    d = bz.datasets.load_housing()
    np.testing.assert_allclose(housing_fit.predict(d.iloc[3:6]), housing_fit.fitted[3:6],
                               atol=1e-12)
    text = str(housing_fit)
    assert "Family: multinom" in text and "InflHigh.1" in text and "R-sq" not in text
    with pytest.raises(ValueError, match="several"):
        housing_fit.predict(se=True)


def test_bf_with_eta2_is_the_list():
    d = bz.datasets.load_housing()
    a = bz.reml(["Sat | weights(Freq) ~ Infl", "~ Cont"], d, family="multinom")
    b = bz.reml(bz.bf("Sat | weights(Freq) ~ Infl", eta2="~ Cont"), d, family="multinom")
    np.testing.assert_allclose(a.coef.to_numpy(), b.coef.to_numpy(), atol=1e-12)
    assert list(a.coef.index) == ["Intercept", "InflMedium", "InflHigh", "Intercept.1",
                                  "ContHigh.1"]


def _likelihood(K=3, n=30, seed=2):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K + 1, n).astype(float)
    return MultinomLikelihood(y, rng.uniform(0.5, 2.0, n), K), rng.normal(0, 1, (n, K))


def test_derivatives_against_finite_differences():
    lik, eta = _likelihood()
    f1, f2, f3 = lik.eta_derivatives(eta, np.zeros(0), order=3)
    h = 1e-6
    for c in range(lik.K):
        step = np.zeros_like(eta)
        step[:, c] = h
        dev = [0.5 * lik.deviance(eta + s * step, None) for s in (1.0, -1.0)]
        np.testing.assert_allclose(f1[:, c], (dev[0] - dev[1]) / (2 * h), rtol=1e-6, atol=1e-8)
        d1 = [lik.eta_derivatives(eta + s * step, None)[0] for s in (1.0, -1.0)]
        np.testing.assert_allclose(f2[:, :, c], (d1[0] - d1[1]) / (2 * h), atol=1e-7)
        d2 = [lik.eta_derivatives(eta + s * step, None)[1] for s in (1.0, -1.0)]
        np.testing.assert_allclose(f3[:, :, :, c], (d2[0] - d2[1]) / (2 * h), atol=1e-7)
    np.testing.assert_allclose(multinom_probabilities(eta).sum(axis=1), 1.0)


def test_smooth_multinom_fits_and_gradient_vanishes():
    rng = np.random.default_rng(5)
    n = 400
    x = rng.uniform(0, 1, n)
    eta = np.column_stack([np.sin(2 * np.pi * x), 1.5 * x - 0.5])
    p = multinom_probabilities(eta)
    y = np.array([rng.choice(3, p=pi) for pi in p])
    df = pd.DataFrame({"y": y, "x": x})
    fit = bz.reml(["y ~ s(x)", "~ s(x)"], df, family="multinom")
    assert fit.converged
    assert set(fit.sp) == {"s(x)", "s.1(x)"}
    assert np.max(np.abs(fit.engine.gradient)) < 1e-4
    assert 2.5 < fit.edf["s(x)"] < 9.0  # the sine needs a curve
    assert fit.edf["s.1(x)"] < 2.5  # the straight line does not


def test_refusals():
    d = bz.datasets.load_housing()
    with pytest.raises(ValueError, match="must have 2 categories.*it has categories 0..2"):
        bz.reml(["Sat ~ Infl"], d, family="multinom")
    with pytest.raises(ValueError, match="only the first formula"):
        bz.reml(["Sat ~ Infl", "Sat ~ Infl"], d, family="multinom")
    with pytest.raises(ValueError, match="is for family='multinom'"):
        bz.reml(["Sat ~ Infl", "~ Infl"], d, family="poisson")
    with pytest.raises(ValueError, match="0..K"):
        bz.reml(["y ~ x", "~ x"], pd.DataFrame({"y": [0, 1, 2.5, 1], "x": [1.0, 2, 3, 4]}),
                family="multinom")
    with pytest.raises(ValueError, match="family='categorical'"):
        bz.families.get("multinom")
