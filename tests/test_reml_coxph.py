"""mgcv's ``cox.ph`` family in ``bz.reml`` against ``tests/fixtures/mgcv_coxph.json``
(``tests/fixtures/mgcv_coxph.R``, mgcv 1.8-41): the kidney recurrence times (tied times, a
smooth on its flat tail) and a simulated proportional hazards model with a smooth; the events
given as mgcv's ``weights(status)`` or brms's ``cens(censored)``; the coupled Hessian and the
trace of its derivative against central differences; bad responses refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.families.cox_ph import CoxPHLikelihood

HERE = Path(__file__).parent / "fixtures"
REF = json.loads((HERE / "mgcv_coxph.json").read_text())
SIM = HERE / "mgcv_coxph_sim.csv"
KIDNEY = "time | cens(censored) ~ s(age, k = 5) + sex + disease"


def _mgcv_se(fit):
    M, _ = fit.mgcv_coef_map()
    return np.sqrt(np.diag(M @ fit.Vp @ M.T))


def _check(fit, ref, atol=1e-4):
    coef = fit.mgcv_coef()
    assert list(coef.index) == list(ref["coef"])
    np.testing.assert_allclose(coef.to_numpy(), list(ref["coef"].values()), atol=atol)
    np.testing.assert_allclose(_mgcv_se(fit), ref["se"], atol=atol)
    assert fit.reml_score == pytest.approx(ref["reml"], abs=1e-4)
    assert fit.edf_total == pytest.approx(ref["edf_total"], abs=atol)
    for term, edf in ref["edf_terms"].items():
        assert fit.edf[term] == pytest.approx(edf, abs=atol)
    np.testing.assert_allclose(fit.linear_predictors, ref["linear_predictors"], atol=atol)
    np.testing.assert_allclose(fit.fitted, ref["fitted"], atol=atol)
    assert fit.null_deviance == pytest.approx(ref["null_deviance"], abs=1e-6)


def test_simulated_matches_mgcv():
    ref = REF["sim"]
    fit = bz.reml("time | weights(status) ~ s(x) + z", pd.read_csv(SIM), family="cox.ph")
    assert fit.converged
    _check(fit, ref)
    assert fit.sp["s(x)"] == pytest.approx(ref["sp"]["s(x)"], rel=1e-4)
    assert fit.deviance == pytest.approx(ref["deviance"], abs=1e-4)
    assert "Intercept" not in fit.coef.index  # mgcv's drop.intercept
    np.testing.assert_allclose(fit.predict(), ref["linear_predictors"], atol=1e-4)
    with pytest.raises(ValueError, match="type='link'"):
        fit.predict(type="response")
    text = str(fit)
    assert "Family: Cox PH" in text and "s(x)" in text


def test_kidney_at_mgcv_sp_matches_exactly():
    ref = REF["kidney"]
    fit = bz.reml(KIDNEY, bz.datasets.load_kidney(), family="cox.ph", sp=ref["sp"])
    _check(fit, ref, atol=1e-6)
    assert fit.deviance == pytest.approx(ref["deviance"], abs=1e-6)


def test_kidney_estimated_sp_on_the_flat_tail():
    """mgcv stops at sp = 4027 where the REML score is flat (edf 1.0003); the Newton iteration
    here goes further along the tail to a score at most as large, within 1e-4 of mgcv's."""
    ref = REF["kidney"]
    fit = bz.reml(KIDNEY, bz.datasets.load_kidney(), family="cox.ph")
    assert fit.converged
    assert fit.reml_score == pytest.approx(ref["reml"], abs=1e-4)
    assert fit.reml_score <= ref["reml"] + 1e-9
    assert fit.sp["s(age)"] > ref["sp"]["s(age)"]
    np.testing.assert_allclose(fit.mgcv_coef().to_numpy(), list(ref["coef"].values()),
                               atol=2e-4)
    assert fit.edf["s(age)"] == pytest.approx(ref["edf_terms"]["s(age)"], abs=1e-3)


def test_weights_and_cens_give_the_same_fit():
    k = bz.datasets.load_kidney()
    a = bz.reml("time | cens(censored) ~ age + sex", k, family="cox.ph")
    b = bz.reml("time | weights(event) ~ age + sex", k.assign(event=1 - k["censored"]),
                family="cox.ph")
    np.testing.assert_allclose(a.coef.to_numpy(), b.coef.to_numpy(), atol=1e-12)
    assert a.reml_score == pytest.approx(b.reml_score, abs=1e-12)


def _likelihood(n=40, seed=4):
    rng = np.random.default_rng(seed)
    t = rng.integers(1, 15, n).astype(float)  # ties
    event = (rng.uniform(size=n) < 0.7).astype(float)
    C = rng.normal(size=(n, 3))
    return CoxPHLikelihood(t, event), C, rng.normal(0, 0.3, 3)


def test_coupled_hessian_and_trace_against_finite_differences():
    lik, C, beta = _likelihood()
    h = 1e-6

    def grad(b):
        return C.T @ lik.eta_derivatives((C @ b)[:, None], None)[0][:, 0]

    H = lik.coupled_hessian(C, (C @ beta)[:, None], None)
    fd = np.column_stack([(grad(beta + h * e) - grad(beta - h * e)) / (2 * h)
                          for e in np.eye(3)])
    np.testing.assert_allclose(H, fd, atol=1e-6)
    half = [0.5 * lik.deviance((C @ (beta + s * h * np.eye(3)[0]))[:, None], None).sum()
            for s in (1.0, -1.0)]
    assert grad(beta)[0] == pytest.approx((half[0] - half[1]) / (2 * h), abs=1e-6)
    Ainv = np.linalg.inv(H + np.eye(3))
    direction = np.array([0.3, -0.2, 0.5])
    dH = (lik.coupled_hessian(C, (C @ (beta + h * direction))[:, None], None)
          - lik.coupled_hessian(C, (C @ (beta - h * direction))[:, None], None)) / (2 * h)
    trace = lik.coupled_hessian_trace(C, (C @ beta)[:, None], None, Ainv, C @ direction)
    assert trace == pytest.approx(float(np.sum(Ainv * dH)), abs=1e-6)


def test_bad_responses_refused():
    k = bz.datasets.load_kidney()
    with pytest.raises(ValueError, match="right censoring only"):
        bz.reml("time | cens(c) ~ age", k.assign(c=np.where(k.index < 3, -1, 0)),
                family="cox.ph")
    with pytest.raises(ValueError, match="must be 1 \\(event\\) or 0"):
        bz.reml("time | weights(w) ~ age", k.assign(w=2.0), family="cox.ph")
    with pytest.raises(ValueError, match="not both"):
        bz.reml("time | cens(censored) + weights(w) ~ age", k.assign(w=1.0),
                family="cox.ph")
    with pytest.raises(ValueError, match="must not be negative"):
        bz.reml("t | cens(censored) ~ age", k.assign(t=k["time"] - 10.0), family="cox.ph")
    with pytest.raises(ValueError, match="no coefficients.*cox.ph has no intercept"):
        bz.reml("time | cens(censored) ~ 1", k, family="cox.ph")
    with pytest.raises(ValueError, match="no events"):
        bz.reml("time | cens(c) ~ age", k.assign(c=1), family="cox.ph")
    with pytest.raises(ValueError, match="family='weibull'"):
        bz.families.get("cox.ph")
