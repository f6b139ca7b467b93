"""Correlated random effects against lme4 1.1 (``lme4_reference.json``): sleepstudy
``Reaction ~ Days + (Days | Subject)`` by REML and ML (the unstructured block built by hand,
level-major columns, until the formula reads correlated terms) and ``(Days || Subject)`` through
the formula. lme4 stops its optimizer at a tolerance of about 1e-6 in ``theta``: the criterion
agrees to 1e-10 here (this fit is at least as low), parameters to about 1e-5."""

from __future__ import annotations

import numpy as np
import pytest
from reference_data import fixture, load

import bayeszoo as bz
import bayeszoo.families as fam
from bayeszoo.penalized import CholeskyPrecision, PenalizedBlock, Predictor, fit_model
from bayeszoo.penalized.lme4 import fixef, lme4_theta, ranef, varcorr

REF = fixture("lme4_reference")


@pytest.fixture(scope="module")
def sleep():
    return load("sleepstudy")


def sleep_correlated(sleep, method):
    n = len(sleep)
    g = sleep["Subject"].cat.codes.to_numpy().astype(int)
    days = sleep["Days"].to_numpy(float)
    Z = np.zeros((n, 36))
    Z[np.arange(n), 2 * g] = 1.0
    Z[np.arange(n), 2 * g + 1] = days
    block = PenalizedBlock("(Days | Subject)", Z, CholeskyPrecision(18, 2), group="Subject",
                           coefs=["(Intercept)", "Days"],
                           levels=list(sleep["Subject"].cat.categories))
    lik = fam.gaussian().reml_likelihood(fam.gaussian().prepare(sleep["Reaction"], "Reaction"))
    return fit_model([Predictor(np.column_stack([np.ones(n), days]), [block])], lik, method)


def _check(r, ref):
    assert r.converged
    assert r.criterion == pytest.approx(ref["criterion"], rel=1e-10)
    assert r.criterion <= ref["criterion"] + 1e-9
    np.testing.assert_allclose(lme4_theta(r), ref["theta"], rtol=1e-4, atol=1e-5)
    est, se = fixef(r)
    np.testing.assert_allclose(est, list(ref["fixef"].values()), rtol=1e-8)
    np.testing.assert_allclose(se, list(ref["fixef_se"].values()), rtol=1e-4)
    vc = varcorr(r)
    expected = ref["varcorr"]
    assert list(vc["grp"]) == [row["grp"] for row in expected]
    assert list(vc["var1"].fillna("-")) == [row["var1"] or "-" for row in expected]
    np.testing.assert_allclose(vc["sdcor"], [row["sdcor"] for row in expected], rtol=1e-4)
    modes = ranef(r)["Subject"]
    levels = ref["ranef"]["Subject"]["levels"]
    assert list(modes.index) == levels
    for col, values in ref["ranef"]["Subject"]["columns"].items():
        sd = float(vc.loc[vc["var1"].eq(col) & vc["var2"].isna(), "sdcor"].iloc[0])
        assert np.max(np.abs(modes[col].to_numpy() - values)) < 1e-4 * sd
    assert np.max(np.abs(r.fitted[:, 0] - ref["fitted"])) < 1e-4 * np.std(ref["fitted"])


def test_sleepstudy_correlated_reml(sleep):
    r = sleep_correlated(sleep, "REML")
    _check(r, REF["sleep_corr_reml"])
    assert r.criterion / 2 == pytest.approx(-REF["sleep_corr_reml"]["logLik"], rel=1e-10)


def test_sleepstudy_correlated_ml(sleep):
    r = sleep_correlated(sleep, "ML")
    _check(r, REF["sleep_corr_ml"])
    # lme4's ML sigma is the optimum's sqrt(Dp / n); mgcv's sig2 is RSS / (n - edf)
    assert np.sqrt(r.reml_scale) == pytest.approx(REF["sleep_corr_ml"]["sigma"], rel=1e-4)
    rss = float(np.sum((sleep["Reaction"].to_numpy() - r.fitted[:, 0]) ** 2))
    assert r.scale == pytest.approx(rss / (len(sleep) - np.sum(r.edf)), rel=1e-10)


def test_sleepstudy_uncorrelated_through_formula(sleep):
    ref = REF["sleep_uncorr_reml"]
    fit = bz.reml("Reaction ~ Days + (Days || Subject)", sleep)
    assert fit.criterion == pytest.approx(ref["criterion"], rel=1e-10)
    assert fit.reml_score == pytest.approx(ref["criterion"] / 2, rel=1e-10)
    vc = fit.varcorr()
    assert list(vc["grp"]) == ["Subject", "Subject.1", "Residual"]
    np.testing.assert_allclose(vc["sdcor"], [row["sdcor"] for row in ref["varcorr"]], rtol=1e-5)
    modes = fit.ranef()["Subject"]
    assert list(modes.columns) == ["(Intercept)", "Days"]
    for col, values in ref["ranef"]["Subject"]["columns"].items():
        np.testing.assert_allclose(modes[col], values, atol=1e-4 * vc["sdcor"].iloc[0])
    np.testing.assert_allclose(fit.fitted, ref["fitted"], rtol=1e-6)
    np.testing.assert_allclose(fit.se.iloc[:2], list(ref["fixef_se"].values()), rtol=1e-5)


def test_ml_scale_is_mgcvs_sig2(sleep):
    """gam(Reaction ~ Days + s(Subject, bs = "re"), method = "ML"): mgcv reports the Pearson
    scale over n - edf (Fletcher's correction is 0 for the Gaussian), 0.66% above the ML
    optimum's Dp / n; vcomp uses the optimum (mgcv's reml.scale)."""
    fit = bz.reml("Reaction ~ Days + s(Subject, bs='re')", sleep, method="ML")
    rss = float(fit.residuals @ fit.residuals)
    assert fit.scale == pytest.approx(rss / (fit.n - fit.edf_total), rel=1e-12)
    assert fit.scale / fit.reml_scale == pytest.approx(1.0066, abs=2e-4)
    assert fit.vcomp().loc["scale", "std.dev"] == pytest.approx(np.sqrt(fit.reml_scale))
