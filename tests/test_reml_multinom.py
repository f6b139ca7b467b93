"""mgcv's ``multinom`` family in ``bz.reml``: the housing fit against mgcv (``mgcv_wave3.json``
``housing_multinom``: ``gam(list(y0 ~ Infl + Type + Cont, ~ Infl + Type + Cont), family =
multinom(K = 2))`` on the 1681 expanded rows, here the 72 rows with frequency weights), the
likelihood's derivatives against central differences, a model with a smooth in each linear
predictor against ``tests/fixtures/mgcv_multinom.json`` (mgcv 1.8-41), and the formulas and
responses refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reference_data import fixture

import bayeszoo as bz
from bayeszoo.families.multinom import MultinomLikelihood, multinom_probabilities

REF = fixture("mgcv_wave3")["housing_multinom"]
FIXTURES = Path(__file__).parent / "fixtures"
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
    lines = text.split("\n")
    at = lines.index("Formula:")
    assert lines[at + 1:at + 3] == FORMULAS  # mgcv prints each linear predictor's formula
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


SMOOTH = json.loads((FIXTURES / "mgcv_multinom.json").read_text())["sim"]
SMOOTH_FORMULAS = ["y ~ s(x) + z", "~ s(x) + z"]


def _sim():
    return pd.read_csv(FIXTURES / "mgcv_multinom_sim.csv")


def test_smooth_multinom_at_mgcv_sp_is_mgcv():
    """``tests/fixtures/mgcv_multinom.R``: two smooths, one per linear predictor, named
    ``s(x)`` and ``s.1(x)`` as mgcv names them (also as ``sp=`` keys)."""
    ref = SMOOTH
    fit = bz.reml(SMOOTH_FORMULAS, _sim(), family="multinom", sp=ref["sp"])
    assert fit.reml_score == pytest.approx(ref["reml"], abs=1e-6)
    coef = fit.mgcv_coef()
    assert [c.replace("Intercept", "(Intercept)") for c in coef.index] == list(ref["coef"])
    np.testing.assert_allclose(coef.to_numpy(), list(ref["coef"].values()), atol=1e-6)
    M, _ = fit.mgcv_coef_map()
    np.testing.assert_allclose(np.sqrt(np.diag(M @ fit.Vp @ M.T)), ref["se"], atol=1e-6)
    for term, edf in ref["edf_terms"].items():
        assert fit.edf[term] == pytest.approx(edf, abs=1e-6)
    np.testing.assert_allclose(fit.fitted, ref["linear_predictors"], atol=1e-6)


def test_smooth_multinom_estimated_sp():
    """mgcv stops on the flat tail of ``s.1(x)`` (edf 1.0003, sp 1.1e4); here the iteration
    goes further along it to a score at most as large, within 1e-4 of mgcv's."""
    ref = SMOOTH
    fit = bz.reml(SMOOTH_FORMULAS, _sim(), family="multinom")
    assert fit.converged
    assert fit.reml_score == pytest.approx(ref["reml"], abs=1e-4)
    assert fit.reml_score <= ref["reml"] + 1e-9
    assert fit.sp["s(x)"] == pytest.approx(ref["sp"]["s(x)"], rel=1e-4)
    assert fit.sp["s.1(x)"] > ref["sp"]["s.1(x)"]
    assert fit.edf["s(x)"] == pytest.approx(ref["edf_terms"]["s(x)"], abs=1e-4)
    np.testing.assert_allclose(fit.mgcv_coef().to_numpy(), list(ref["coef"].values()),
                               atol=1e-4)


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
