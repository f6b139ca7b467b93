"""Non-Gaussian REML (Laplace-approximate, penalized IRLS) against mgcv 1.8-41
(``mgcv_families.json``: cbpp binomial with a random effect, epilepsy Poisson with a random
effect, Pima bernoulli with two cr smooths, quine negative binomial with theta estimated), and
the Laplace path's internal consistency: exact gradient against central differences, the
Gaussian family through the Laplace path equal to the exact path, Gamma's scale."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from reference_data import fixture, load

import bayeszoo as bz
import bayeszoo.families as fam
from bayeszoo.penalized import (
    Layout,
    PenalizedBlock,
    PenaltySum,
    Predictor,
    ScaledIdentity,
    block_matrix,
    fit_model,
)
from bayeszoo.penalized.laplace import LaplaceEngine

REF = fixture("mgcv_families")


def rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def mgcv_coefficients(fit) -> np.ndarray:
    """Coefficients in mgcv's basis and order (RemlFit.mgcv_coef)."""
    return fit.mgcv_coef().to_numpy()


@pytest.fixture(scope="module")
def cbpp_fit():
    return bz.reml("cbind(incidence, size - incidence) ~ period + s(herd, bs='re')",
                   load("cbpp"), family="binomial")


@pytest.fixture(scope="module")
def epilepsy_fit():
    return bz.reml("count ~ zAge + zBase * Trt + s(patient, bs='re')", load("epilepsy"),
                   family="poisson")


@pytest.fixture(scope="module")
def pima():
    df = load("pima")
    df["y"] = (df["type"] == "Yes").astype(int)
    return df


PIMA = "y ~ s(glu, bs='cr', k=10) + s(bmi, bs='cr', k=10)"


def _check_against_mgcv(fit, ref, tol=1e-6):
    assert fit.converged
    assert fit.reml_score == pytest.approx(ref["reml"], rel=tol)
    assert fit.edf_total == pytest.approx(ref["edf_total"], rel=tol)
    for term, e in (ref["edf_terms"] or {}).items():
        assert fit.edf[term] == pytest.approx(e, rel=tol)
    for term, sp in (ref["sp"] or {}).items():
        assert fit.sp[term] == pytest.approx(sp, rel=10 * tol)
    assert rel(mgcv_coefficients(fit), list(ref["coef"].values())) < 10 * tol
    assert rel(fit.se.to_numpy(), list(ref["se"].values())) < 10 * tol
    assert rel(fit.fitted, ref["fitted"]) < 10 * tol
    assert rel(fit.linear_predictors, ref["linear_predictors"]) < 10 * tol
    assert fit.deviance == pytest.approx(ref["deviance"], rel=tol)
    assert fit.null_deviance == pytest.approx(ref["null_deviance"], rel=1e-8)
    assert fit.deviance_explained == pytest.approx(ref["dev_explained"], rel=tol)
    assert fit.scale == ref["scale"] and not fit.scale_estimated


def test_cbpp_binomial_random_effect(cbpp_fit):
    ref = REF["cbpp_binomial_re"]
    fit = cbpp_fit
    _check_against_mgcv(fit, ref)
    vc = fit.vcomp()
    assert list(vc.index) == ["s(herd)"]  # known scale: no scale row
    np.testing.assert_allclose(vc.loc["s(herd)"], [ref["vcomp"]["sd"], ref["vcomp"]["lower"],
                                                   ref["vcomp"]["upper"]], rtol=1e-6)
    text = fit.summary()
    for piece in ("Family: binomial", "Link function: logit", "z value", "s(herd) 9.66",
                  "Deviance explained =   53%", "-REML = 93.199", "Scale est. = 1"):
        assert piece in text, piece
    # mgcv's response: probabilities; epred-style means are mu * trials
    np.testing.assert_allclose(fit.predict(type="response"), ref["fitted"], rtol=1e-6)


def test_epilepsy_poisson_random_effect(epilepsy_fit):
    ref = REF["epilepsy_poisson_re"]
    _check_against_mgcv(epilepsy_fit, ref)
    np.testing.assert_allclose(epilepsy_fit.vcomp().loc["s(patient)"],
                               [ref["vcomp"]["sd"], ref["vcomp"]["lower"],
                                ref["vcomp"]["upper"]], rtol=1e-6)
    assert "Family: poisson" in epilepsy_fit.summary()


def test_quine_negative_binomial_theta():
    ref = REF["quine_negbin"]
    fit = bz.reml("Days ~ Eth + Sex + Age + Lrn", load("quine"), family="negbinomial")
    _check_against_mgcv(fit, ref)
    assert fit.theta == pytest.approx(ref["theta"], rel=1e-6)
    assert fit.hessian_labels == ["log_theta"] and fit.hessian[0, 0] > 0
    assert "Family: Negative Binomial(1.210)" in fit.summary()
    # theta held at mgcv's value gives mgcv's fit again, and no outer parameter is left
    held = bz.reml("Days ~ Eth + Sex + Age + Lrn", load("quine"), family="negbinomial",
                   theta=ref["theta"])
    assert held.reml_score == pytest.approx(ref["reml"], rel=1e-9)
    assert held.hessian.shape == (0, 0) and held.theta == ref["theta"]


def test_pima_bernoulli_at_mgcv_smoothing_parameters(pima):
    """With mgcv's sp the fit is mgcv's to rounding: coefficients in mgcv's basis, REML score,
    edf and predictions with standard errors on both scales at new data."""
    ref = REF["pima_bernoulli_cr"]
    fit = bz.reml(PIMA, pima, family="bernoulli", sp=ref["sp"])
    assert fit.reml_score == pytest.approx(ref["reml"], rel=1e-10)
    for term, e in ref["edf_terms"].items():
        assert fit.edf[term] == pytest.approx(e, rel=1e-8)
    assert rel(mgcv_coefficients(fit), list(ref["coef"].values())) < 1e-8
    new = pd.DataFrame(ref["newdata"])
    eta, se = fit.predict(new, se=True)
    assert rel(eta, ref["pred_link"]) < 1e-9 and rel(se, ref["pred_link_se"]) < 1e-9
    mu, se_mu = fit.predict(new, se=True, type="response")
    assert rel(mu, ref["pred_response"]) < 1e-9
    np.testing.assert_allclose(se_mu, mu * (1 - mu) * se, rtol=1e-12)


def test_pima_bernoulli_estimated(pima):
    """s(glu) goes to the boundary (a straight line): mgcv stops at sp = 1.2e7, this Newton
    iteration follows the flat tail further (the criterion is lower by 2e-5 there), so the
    fit agrees with mgcv to about 1e-4 and the sp of s(glu) is only known to be large."""
    ref = REF["pima_bernoulli_cr"]
    fit = bz.reml(PIMA, pima, family="bernoulli")
    assert fit.converged and fit.iterations < 40
    assert fit.sp["s(glu)"] > ref["sp"]["s(glu)"]
    assert ref["reml"] - 1e-4 < fit.reml_score <= ref["reml"]
    assert fit.edf["s(glu)"] == pytest.approx(1.0, abs=1e-4)
    assert fit.edf["s(bmi)"] == pytest.approx(ref["edf_terms"]["s(bmi)"], rel=1e-4)
    assert fit.sp["s(bmi)"] == pytest.approx(ref["sp"]["s(bmi)"], rel=1e-4)
    assert rel(mgcv_coefficients(fit), list(ref["coef"].values())) < 1e-4
    assert rel(fit.fitted, ref["fitted"]) < 1e-4
    eta, se = fit.predict(pd.DataFrame(ref["newdata"]), se=True)
    assert rel(eta, ref["pred_link"]) < 1e-4 and rel(se, ref["pred_link_se"]) < 1e-4
    vc = fit.vcomp().loc["s(bmi)"]
    np.testing.assert_allclose(vc, [ref["vcomp"]["sd"][1], ref["vcomp"]["lower"][1],
                                    ref["vcomp"]["upper"][1]], rtol=1e-4)


# -- internal consistency of the Laplace path -------------------------------------------------
@pytest.fixture(scope="module")
def synth():
    rng = np.random.default_rng(7)
    n = 300
    df = pd.DataFrame({"x": rng.uniform(0, 1, n), "z": rng.uniform(-1, 1, n),
                       "g": pd.Categorical(rng.choice([f"g{i}" for i in range(15)], n))})
    eff = rng.normal(0, 0.4, 15)[df["g"].cat.codes.to_numpy()]
    mu = np.exp(0.5 + np.sin(2 * np.pi * df["x"]) + 0.3 * df["z"] + eff)
    df["count"] = rng.poisson(mu)
    df["pos"] = rng.gamma(3.0, mu / 3.0)
    df["y"] = np.log(mu) + rng.normal(0, 0.3, n)
    df["hit"] = (df["count"] > np.median(df["count"])).astype(int)
    return df


def _engine(design, family, response, method="REML"):
    blocks = [PenalizedBlock(b.term, block_matrix(b.Z, b.index, b.weights, design.n),
                             ScaledIdentity(b.size)) for b in design.blocks]
    layout = Layout([Predictor(np.asarray(design.X, float), blocks)])
    return LaplaceEngine(layout, family.reml_likelihood(family.prepare(response, "y")), method)


@pytest.mark.parametrize(("family", "column", "method"), [
    (fam.poisson(), "count", "REML"), (fam.negbinomial(), "count", "REML"),
    (fam.gamma("log"), "pos", "REML"), (fam.gamma(), "pos", "ML"),
    (fam.poisson(), "count", "ML"), (fam.bernoulli("probit"), "hit", "REML"),
    (fam.bernoulli("cloglog"), "hit", "ML")])
def test_laplace_gradient_matches_finite_differences(synth, family, column, method):
    d = bz.design(f"{column} ~ z + s(x, bs='cr', k=8) + (1 | g)", synth)
    engine = _engine(d, family, d.y, method)
    z = np.r_[np.log([3.0, 8.0]), engine.lik.initial_params() + 0.2]
    st = engine.state(z)
    g = engine.gradient(st)
    h = 1e-5
    fd = []
    for i in range(z.size):
        e = np.zeros(z.size)
        e[i] = h
        fd.append((engine.state(z + e, st.beta).score - engine.state(z - e, st.beta).score)
                  / (2 * h))
    np.testing.assert_allclose(g, fd, rtol=2e-6, atol=2e-7)


def test_gaussian_through_laplace_equals_exact_path(synth):
    """The Gaussian family's likelihood, forced through penalized IRLS and the Laplace
    criterion (exact for a Gaussian), gives the exact path's fit."""
    d = bz.design("y ~ z + s(x, bs='cr', k=8) + (1 | g)", synth)
    exact = bz.reml(d)
    lik = fam.gaussian().reml_likelihood(fam.gaussian().prepare(d.y, "y"))
    lik.quadratic = False
    blocks = [PenalizedBlock(b.term, block_matrix(b.Z, b.index, b.weights, d.n),
                             ScaledIdentity(b.size), reml_offset=b.reml_offset)
              for b in d.blocks]
    r = fit_model([Predictor(np.asarray(d.X, float), blocks)], lik)
    assert r.score == pytest.approx(exact.reml_score, abs=1e-8)
    np.testing.assert_allclose(np.exp(r.psi), list(exact.sp.values()), rtol=1e-5)
    assert r.reml_scale == pytest.approx(exact.reml_scale, rel=1e-6)
    assert r.scale == pytest.approx(exact.scale, rel=1e-6)
    np.testing.assert_allclose(r.fitted[:, 0], exact.fitted, rtol=1e-6)
    # the Hessian in (log sp, log scale): Laplace central differences vs the exact one
    np.testing.assert_allclose(r.hessian, exact.hessian, rtol=1e-4, atol=1e-5)


def test_gamma_scale_and_optimum(synth):
    fit = bz.reml("pos ~ z + s(x, bs='cr', k=8) + (1 | g)", synth, family=fam.gamma("log"))
    assert fit.converged and fit.scale_estimated
    mu = fit.fitted
    y = synth["pos"].to_numpy()
    pearson = np.sum((y - mu) ** 2 / mu**2) / (len(y) - fit.edf_total)
    s_bar = np.mean(2 * (y - mu) / mu)
    assert fit.scale == pytest.approx(pearson / (1 + s_bar), rel=1e-10)
    assert 1 / fit.reml_scale == pytest.approx(3.0, rel=0.2)  # brms's shape = 1 / phi
    assert list(fit.vcomp().index) == ["s(x)", "(1 | g)", "scale"]
    assert fit.hessian_labels[-1] == "log_scale"
    for term in ("s(x)", "(1 | g)"):
        for step in (-1e-3, 1e-3):
            other = bz.reml(fit.design, family=fam.gamma("log"),
                            sp={**fit.sp, term: fit.sp[term] * math.exp(step)})
            assert other.reml_score > fit.reml_score - 1e-9


def test_multi_penalty_block_in_laplace_path(synth):
    """A two-penalty block (the smooth's penalized part split in two) under a Poisson family:
    the exact gradient against central differences."""
    d = bz.design("count ~ z + s(x, bs='cr', k=8)", synth)
    Z = d.blocks[0].Z
    q = Z.shape[1]
    S1 = np.diag(np.r_[np.ones(q // 2), np.full(q - q // 2, 1e-3)])
    S2 = np.eye(q) - S1 + 1e-3 * np.eye(q)
    block = PenalizedBlock("te", Z, PenaltySum([S1, S2]))
    engine = LaplaceEngine(Layout([Predictor(np.asarray(d.X, float), [block])]),
                           fam.poisson().reml_likelihood(fam.poisson().prepare(d.y, "count")))
    z = np.log([2.0, 20.0])
    st = engine.state(z)
    g = engine.gradient(st)
    h = 1e-5
    fd = [(engine.state(z + e, st.beta).score - engine.state(z - e, st.beta).score) / (2 * h)
          for e in np.eye(2) * h]
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7)


# -- errors -------------------------------------------------------------------------------------
def test_result_not_finite_and_saturated_designs_raise(synth):
    df = synth.copy()
    df["huge"] = 1e300 * (1 + df["x"])
    with pytest.raises(ValueError, match=r"'huge' holds values too large"):
        bz.reml("huge ~ x", df)  # refused with the design, before the engine
    d = bz.design("y ~ x", df)  # a hand-built design the checks of the formula never saw
    with pytest.raises(ValueError, match=r"not finite.*'y'"):
        bz.reml(dataclasses.replace(d, y=d.y * 1e160))
    small = pd.DataFrame({"y": [1.0, 2.5, 2.0, 4.0], "g": list("abcd")})
    with pytest.raises(ValueError, match=r"saturated.*term 'g'"):
        bz.reml("y ~ g", small)
    with pytest.raises(ValueError, match=r"'binomial' needs trials"):
        bz.reml("count ~ x", synth, family="binomial")
    with pytest.raises(ValueError, match=r"'count'.*bernoulli.*0 or 1"):
        bz.reml("count ~ x", synth, family="bernoulli")
    with pytest.raises(KeyError, match="'nosuch'"):
        bz.reml("count | trials(nosuch) ~ x", synth, family="binomial")
    with pytest.raises(ValueError, match=r"REML is not available for family 'student'"):
        bz.reml("y ~ x", synth, family="student")


# -- prior weights, offsets, trials -----------------------------------------------------------
def test_integer_weights_equal_replicated_rows(synth):
    """Known-scale families: prior weights multiply the log likelihood, so weight 2 is a row
    counted twice, and the Laplace REML of both data sets is the same (no smooth here: its
    sum-to-zero constraint would see the replicated rows)."""
    w = np.where(np.arange(len(synth)) % 3 == 0, 2.0, 1.0)
    rep = pd.concat([synth, synth[w == 2]], ignore_index=True)
    weighted = bz.reml("count | weights(w) ~ z + x + (1 | g)", synth.assign(w=w),
                       family="poisson")
    replicated = bz.reml("count ~ z + x + (1 | g)", rep, family="poisson")
    assert weighted.reml_score == pytest.approx(replicated.reml_score, rel=1e-9)
    for term in weighted.sp:
        assert weighted.sp[term] == pytest.approx(replicated.sp[term], rel=1e-5)
    np.testing.assert_allclose(weighted.coef[:3], replicated.coef[:3], rtol=1e-6)


def test_gaussian_weights_exact_path_equals_laplace(synth):
    """mgcv's Gaussian prior weights (variance phi/w): the exact path and the Laplace path."""
    w = np.linspace(0.5, 2.0, len(synth))
    d = bz.design("y | weights(w) ~ z + s(x, bs='cr', k=8) + (1 | g)", synth.assign(w=w))
    exact = bz.reml(d)
    lik = fam.gaussian().reml_likelihood(fam.gaussian().prepare(d.y, "y", weights=w))
    lik.quadratic = False
    blocks = [PenalizedBlock(b.term, block_matrix(b.Z, b.index, b.weights, d.n),
                             ScaledIdentity(b.size), reml_offset=b.reml_offset)
              for b in d.blocks]
    r = fit_model([Predictor(np.asarray(d.X, float), blocks)], lik)
    assert r.score == pytest.approx(exact.reml_score, abs=1e-8)
    np.testing.assert_allclose(r.fitted[:, 0], exact.fitted, rtol=1e-6)
    unweighted = bz.reml("y ~ z + s(x, bs='cr', k=8) + (1 | g)", synth)
    assert abs(unweighted.reml_score - exact.reml_score) > 1.0


@pytest.mark.parametrize("family", ["gaussian", "poisson", "gamma"])
def test_constant_offset_moves_only_the_intercept(synth, family):
    column = {"gaussian": "y", "poisson": "count", "gamma": "pos"}[family]
    fam_obj = fam.gamma("log") if family == "gamma" else family
    formula = f"{column} ~ z + s(x, bs='cr', k=8) + (1 | g)"
    base = bz.reml(formula, synth, family=fam_obj)
    shifted = bz.reml(f"{column} ~ z + s(x, bs='cr', k=8) + (1 | g) + offset(off)",
                      synth.assign(off=0.7), family=fam_obj)
    assert shifted.reml_score == pytest.approx(base.reml_score, abs=1e-7)
    assert shifted.coef["Intercept"] == pytest.approx(base.coef["Intercept"] - 0.7, abs=1e-6)
    np.testing.assert_allclose(shifted.coef[1:], base.coef[1:], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(shifted.fitted, base.fitted, rtol=1e-6)
    np.testing.assert_allclose(shifted.linear_predictors, base.linear_predictors, rtol=1e-6)


def test_binomial_trials_against_bernoulli_rows():
    """Counts out of trials equal the same data as one bernoulli row per trial."""
    cbpp = load("cbpp")
    rows = []
    for _, r in cbpp.iterrows():
        rows += [(r["period"], r["herd"], 1)] * r["incidence"]
        rows += [(r["period"], r["herd"], 0)] * (r["size"] - r["incidence"])
    long = pd.DataFrame(rows, columns=["period", "herd", "y"])
    long["period"] = pd.Categorical(long["period"], categories=cbpp["period"].cat.categories)
    long["herd"] = pd.Categorical(long["herd"], categories=cbpp["herd"].cat.categories)
    counts = bz.reml("incidence | trials(size) ~ period + s(herd, bs='re')", cbpp,
                     family="binomial")
    single = bz.reml("y ~ period + s(herd, bs='re')", long, family="bernoulli")
    assert single.sp["s(herd)"] == pytest.approx(counts.sp["s(herd)"], rel=1e-5)
    np.testing.assert_allclose(single.coef, counts.coef, rtol=1e-5, atol=1e-7)
    # the criteria differ by the binomial coefficients only (mgcv's saturated likelihood)
    lchoose = np.sum(np.log([math.comb(int(s), int(k))
                             for s, k in zip(cbpp["size"], cbpp["incidence"], strict=True)]))
    assert single.reml_score - counts.reml_score == pytest.approx(lchoose, rel=1e-8)


def test_predict_with_offset(synth):
    data = synth.assign(exposure=np.linspace(1.0, 3.0, len(synth)))
    fit = bz.reml("count ~ z + s(x, bs='cr', k=8) + (1 | g) + offset(log(exposure))", data,
                  family="poisson")
    np.testing.assert_allclose(fit.predict(), fit.linear_predictors, rtol=1e-12)
    np.testing.assert_allclose(fit.predict(data), fit.linear_predictors, rtol=1e-10)
    np.testing.assert_allclose(fit.predict(data, type="response"), fit.fitted, rtol=1e-10)
    doubled = fit.predict(data.assign(exposure=2 * data["exposure"]))
    np.testing.assert_allclose(doubled - fit.linear_predictors, np.log(2.0), rtol=1e-10)
    with pytest.raises(ValueError, match="type must be"):
        fit.predict(type="terms")


def test_gaussian_with_known_standard_errors(synth):
    """``y | se(s)``: the scale is known; the criterion is the restricted density with
    ``V = diag(se²) + sd² Z Z'``."""
    se = np.linspace(0.2, 0.5, len(synth))
    fit = bz.reml("y | se(s) ~ z + (1 | g)", synth.assign(s=se))
    assert not fit.scale_estimated and fit.scale == 1.0 and fit.reml_scale == 1.0
    d = fit.design
    Z = d.blocks[0].Z
    V = np.diag(se**2) + fit.sd["(1 | g)"] ** 2 * (Z @ Z.T)
    X, y = np.asarray(d.X, float), np.asarray(d.y, float)
    Vi = np.linalg.inv(V)
    beta = np.linalg.solve(X.T @ Vi @ X, X.T @ Vi @ y)
    r = y - X @ beta
    restricted = -0.5 * (np.linalg.slogdet(V)[1] + r @ Vi @ r
                         + np.linalg.slogdet(X.T @ Vi @ X)[1]
                         + (len(y) - X.shape[1]) * math.log(2 * math.pi))
    assert fit.reml_score == pytest.approx(-restricted, rel=1e-9)
    np.testing.assert_allclose(fit.coef.iloc[:2], beta, rtol=1e-6)
    assert list(fit.vcomp().index) == ["(1 | g)"]
