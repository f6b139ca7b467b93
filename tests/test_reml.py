"""REML against mgcv 1.8-41 (``gam(..., method="REML")``, ``gam.vcomp``) and internal consistency.

Reference numbers: ``../shared/fixtures/mgcv_reference.json``; the internal-consistency tests check
the criterion against the dense Gaussian (restricted) log density, optimality against perturbed
smoothing parameters, and the sparse path against the dense one.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import linalg

import bayeszoo as bz

# Resolve the lazy ``bz.design`` (a function) before the ``bayeszoo.design`` module is imported:
# a first import of that submodule sets the package attribute ``design`` to the module.
assert callable(bz.design)

from bayeszoo.design import Block, BlockNames, Design, ScaleParam, SmoothInfo  # noqa: E402
from bayeszoo.penalized import RemlFit, reml  # noqa: E402

MCYCLE_K20 = "accel ~ 1 + s(times, bs='cr', k=20)"
RADON_RE = "log_radon ~ 1 + s(county, bs='re')"
RADON_RI = "log_radon ~ 1 + (1 | county)"


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.fixture(scope="module")
def mcycle():
    return bz.datasets.load_mcycle()


@pytest.fixture(scope="module")
def radon():
    return bz.datasets.load_radon()


@pytest.fixture(scope="module")
def fit20(mcycle) -> RemlFit:
    return reml(MCYCLE_K20, mcycle)


@pytest.fixture(scope="module")
def fit_radon(radon) -> RemlFit:
    return reml(RADON_RE, radon)


# -- mgcv reference values ------------------------------------------------------------------------
def test_mcycle_k20_matches_mgcv(fit20, mgcv_ref):
    ref = mgcv_ref["gam_mcycle_cr_k20"]
    assert fit20.converged
    assert fit20.edf["s(times)"] == pytest.approx(11.78490, rel=1e-4)
    assert fit20.edf["s(times)"] == pytest.approx(ref["edf_smooth"], rel=1e-6)
    assert fit20.edf_total == pytest.approx(ref["edf_total"], rel=1e-6)
    assert fit20.reml_score == pytest.approx(616.00938, abs=1e-5)
    assert fit20.scale == pytest.approx(509.01211, rel=1e-6)
    assert fit20.sp["s(times)"] == pytest.approx(25.3195, rel=1e-5)
    assert fit20.coef["Intercept"] == pytest.approx(-25.54586, rel=1e-6)
    assert rel(fit20.fitted, ref["fitted"]) < 1e-5
    assert fit20.sd["s(times)"] == pytest.approx(math.sqrt(fit20.scale / fit20.sp["s(times)"]))
    assert list(fit20.coef.index[:3]) == ["Intercept", "stimes_1", "s(times).1"]
    assert len(fit20.coef) == 20 and fit20.fixed_sp == []


def test_mcycle_k50_matches_mgcv(mcycle, mgcv_ref):
    ref = mgcv_ref["gam_mcycle_cr_k50"]
    fit = reml("accel ~ 1 + s(times, bs='cr', k=50)", mcycle)
    assert fit.edf["s(times)"] == pytest.approx(12.8104, rel=1e-4)
    assert fit.edf_total == pytest.approx(ref["edf_total"], rel=1e-5)
    assert fit.reml_score == pytest.approx(616.06803, abs=1e-5)
    assert fit.scale == pytest.approx(ref["scale"], rel=1e-5)
    assert fit.sp["s(times)"] == pytest.approx(ref["sp"], rel=1e-4)
    assert rel(fit.fitted, ref["fitted"]) < 1e-5


def test_mcycle_k50_fx_is_unpenalized(mcycle, mgcv_ref):
    ref = mgcv_ref["gam_mcycle_cr_k50_fx"]
    fit = reml("accel ~ 1 + s(times, bs='cr', k=50, fx=TRUE)", mcycle)
    assert fit.sp == {} and fit.design.blocks == []
    assert fit.edf == {"s(times)": pytest.approx(49, abs=1e-9)}
    assert fit.edf_total == pytest.approx(50, abs=1e-9)
    assert fit.reml_score == pytest.approx(403.46158, abs=1e-5)
    assert fit.scale == pytest.approx(ref["scale"], rel=1e-8)
    assert rel(fit.fitted, ref["fitted"]) < 1e-8
    with pytest.raises(ValueError, match=r"s\(times\).*unpenalized"):
        reml("accel ~ 1 + s(times, bs='cr', k=50, fx=TRUE)", mcycle, sp={"s(times)": 1.0})


def test_mcycle_fixed_sp_gives_straight_line(mcycle, mgcv_ref):
    ref = mgcv_ref["gam_mcycle_cr_k20_sp1e7"]
    for sp in (1e7, {"s(times)": 1e7}):
        fit = reml(MCYCLE_K20, mcycle, sp=sp)
        assert fit.edf_total == pytest.approx(2.0104, rel=1e-4)
        assert fit.edf_total == pytest.approx(ref["edf_total"], rel=1e-7)
        assert fit.fixed_sp == ["s(times)"] and fit.sp["s(times)"] == 1e7
        assert rel(fit.fitted, ref["fitted"]) < 1e-6
    # a straight line in times: the least-squares line through the data, nearly
    t = mcycle["times"].to_numpy(float)
    line = np.polyval(np.polyfit(t, mcycle["accel"].to_numpy(float), 1), t)
    assert np.max(np.abs(fit.fitted - line)) < 0.05 * np.std(line)
    own_line = np.polyval(np.polyfit(t, fit.fitted, 1), t)
    assert np.max(np.abs(fit.fitted - own_line)) < 1e-2 * np.ptp(fit.fitted)


def test_radon_re_matches_mgcv_and_vcomp(fit_radon, mgcv_ref):
    ref = mgcv_ref["gam_radon_re"]
    fit = fit_radon
    assert fit.edf["s(county)"] == pytest.approx(39.56661, rel=1e-6)
    assert fit.edf_total == pytest.approx(ref["edf_total"], rel=1e-6)
    assert fit.reml_score == pytest.approx(1092.42906, abs=1e-5)
    assert fit.scale == pytest.approx(ref["scale"], rel=1e-6)
    assert fit.sp["s(county)"] == pytest.approx(ref["sp"], rel=1e-5)
    assert fit.coef["Intercept"] == pytest.approx(ref["intercept"], rel=1e-6)
    assert rel(fit.coef.to_numpy(), ref["coef"]) < 1e-5
    assert rel(fit.fitted, ref["fitted"]) < 1e-6
    vc = fit.vcomp()
    assert list(vc.index) == ["s(county)", "scale"]
    assert list(vc.columns) == ["std.dev", "lower", "upper"]
    np.testing.assert_allclose(vc.loc["s(county)"], [0.2976671, 0.2202676, 0.4022639], rtol=1e-4)
    np.testing.assert_allclose(vc.loc["scale"], [0.7660696, 0.7304109, 0.8034692], rtol=1e-4)
    np.testing.assert_allclose(vc["std.dev"], ref["vcomp_sd"], rtol=1e-6)
    np.testing.assert_allclose(vc["lower"], ref["vcomp_lower"], rtol=1e-5)
    np.testing.assert_allclose(vc["upper"], ref["vcomp_upper"], rtol=1e-5)


def test_random_intercept_equals_re_smooth(fit_radon, radon):
    fit = reml(RADON_RI, radon)
    assert list(fit.sp) == ["(1 | county)"] and list(fit.edf) == ["(1 | county)"]
    assert fit.reml_score == pytest.approx(fit_radon.reml_score, abs=1e-9)
    assert fit.scale == pytest.approx(fit_radon.scale, rel=1e-10)
    assert fit.sp["(1 | county)"] == pytest.approx(fit_radon.sp["s(county)"], rel=1e-8)
    assert fit.edf["(1 | county)"] == pytest.approx(fit_radon.edf["s(county)"], rel=1e-10)
    np.testing.assert_allclose(fit.coef.to_numpy(), fit_radon.coef.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(fit.vcomp().to_numpy(), fit_radon.vcomp().to_numpy(), rtol=1e-6)
    assert fit.coef.index[1] == "(1 | county).AITKIN"


def _names(sd: str, labels: list[str]) -> BlockNames:
    return BlockNames(scales=(ScaleParam(sd, (sd,)),), coef="r", dims=("d",),
                      coords=(tuple(labels),))


def test_smooth2random_offset_from_fixture(mcycle, mgcv_ref):
    """A Design built by hand from mgcv's own matrices: the offset is -log|det C_f|."""
    s2r, basis = mgcv_ref["mcycle_cr_k20_smooth2random"], mgcv_ref["mcycle_cr_k20"]
    Xs, S = np.array(basis["X"]), np.array(basis["S"])
    Xf, Zr = np.array(s2r["Xf"]), np.array(s2r["Zr"])
    w, U = np.linalg.eigh(S)
    Uf = U[:, w < w.max() * 1e-10]
    Cf = np.linalg.lstsq(Xs @ Uf, Xf, rcond=None)[0]
    n = Xf.shape[0]
    labels = [str(i + 1) for i in range(Zr.shape[1])]
    block = Block(name="stimes_1", kind="smooth", coef=None, term="s(times)", labels=labels,
                  names=_names("sds_stimes_1", labels), matrix=Zr,
                  reml_offset=-math.log(abs(np.linalg.det(Cf))))
    d = Design(formula=MCYCLE_K20, response="accel", y=mcycle["accel"].to_numpy(float),
               X=np.column_stack([np.ones(n), Xf]), column_names=["Intercept", "stimes_1"],
               blocks=[block], smooths=[SmoothInfo("s(times)", ("times",), "cr", [1], [0])])
    fit = reml(d)
    assert fit.reml_score == pytest.approx(616.00938, abs=1e-5)
    assert fit.edf["s(times)"] == pytest.approx(11.78490, rel=1e-6)
    formula_offset = bz.reml(MCYCLE_K20, mcycle).design.blocks[0].reml_offset
    assert formula_offset == pytest.approx(block.reml_offset, rel=1e-8)


def test_predict_and_se(fit20, mcycle, mgcv_ref):
    np.testing.assert_allclose(fit20.predict(), fit20.fitted, rtol=1e-12)
    np.testing.assert_allclose(fit20.predict(mcycle), fit20.fitted, rtol=1e-10)
    # mgcv's basis at new times with mgcv's coefficients
    pred = mgcv_ref["mcycle_cr_k20_predict"]
    coef = np.array(mgcv_ref["gam_mcycle_cr_k20"]["coef"])
    expected = coef[0] + np.array(pred["X"]) @ coef[1:]
    new = pd.DataFrame({"times": pred["times"]})
    fit, se = fit20.predict(new, se=True)
    assert rel(fit, expected) < 1e-5
    # SE from Vp, computed densely
    d = fit20.design.for_newdata(new)
    C = np.column_stack([d.X] + [b.Z for b in d.blocks])
    np.testing.assert_allclose(se, np.sqrt(np.einsum("ij,jk,ik->i", C, fit20.Vp, C)), rtol=1e-10)
    A = _dense(fit20.design)[0]
    S = np.diag(_penalty(fit20))
    np.testing.assert_allclose(fit20.Vp, fit20.scale * np.linalg.inv(A.T @ A + S), rtol=1e-6,
                               atol=1e-10 * np.abs(fit20.Vp).max())


def test_summary_text(fit20, fit_radon):
    text = fit20.summary()
    for piece in ("Family: gaussian", "Link function: identity", MCYCLE_K20,
                  "Parametric coefficients:", "(Intercept)", "-25.546",
                  "s(times) 11.78  13.97 33.93",
                  "-REML = 616.01", "Scale est. = 509.01", "n = 133", "R-sq.(adj)",
                  "Deviance explained"):
        assert piece in text, piece
    assert "stimes_1" not in text  # Xf is not a parametric coefficient
    assert "n = 919" in fit_radon.summary() and "s(county) 39.57     84" in fit_radon.summary()


# -- internal consistency -------------------------------------------------------------------------
def _dense(d: Design):
    C = np.column_stack([np.asarray(d.X, float)] + [np.asarray(b.Z, float) for b in d.blocks])
    return C, np.asarray(d.y, float)


def _penalty(fit: RemlFit) -> np.ndarray:
    d = fit.design
    return np.concatenate([np.zeros(d.X.shape[1])]
                          + [np.full(b.size, fit.sp[b.term]) for b in d.blocks])


def _covariance(fit: RemlFit) -> np.ndarray:
    d = fit.design
    V = fit.reml_scale * np.eye(d.n)
    for b in d.blocks:
        V += fit.sd[b.term] ** 2 * (b.Z @ b.Z.T)
    return V


def _check_against_dense(fit: RemlFit) -> None:
    """Coefficients, edf and the criterion from dense formulas and Gaussian densities."""
    d = fit.design
    C, y = _dense(d)
    s = _penalty(fit)
    A = C.T @ C + np.diag(s)
    theta = np.linalg.solve(A, C.T @ y)
    np.testing.assert_allclose(fit.coef.to_numpy(), theta, rtol=1e-6,
                               atol=1e-8 * np.abs(theta).max())
    infl = np.trace(np.linalg.solve(A, C.T @ C))
    assert fit.edf_total == pytest.approx(infl, rel=1e-8)
    parametric = d.X.shape[1] - sum(len(sm.fixed_columns) for sm in d.smooths)
    assert fit.edf_total == pytest.approx(parametric + sum(fit.edf.values()), rel=1e-10)
    # log density of y: beta at its GLS estimate, b integrated out
    V = linalg.cho_factor(_covariance(fit))
    X = np.asarray(d.X, float)
    beta = fit.coef.to_numpy()[: X.shape[1]]
    Vi_X = linalg.cho_solve(V, X)
    np.testing.assert_allclose(beta, np.linalg.solve(X.T @ Vi_X, Vi_X.T @ y), rtol=1e-6,
                               atol=1e-8 * np.abs(beta).max())
    r = y - X @ beta
    loglik = -0.5 * (len(y) * math.log(2 * math.pi) + 2 * np.sum(np.log(np.diag(V[0])))
                     + r @ linalg.cho_solve(V, r))
    if fit.method == "ML":
        assert -fit.reml_score == pytest.approx(loglik, abs=1e-7 * abs(loglik))
        assert fit.loglik == -fit.reml_score
    else:  # Harville's restricted log likelihood
        restricted = (loglik - 0.5 * np.linalg.slogdet(X.T @ Vi_X)[1]
                      + 0.5 * X.shape[1] * math.log(2 * math.pi))
        offset = sum(b.reml_offset for b in d.blocks)
        assert fit.reml_score - offset == pytest.approx(-restricted, abs=1e-7 * abs(restricted))


def _check_optimal(fit: RemlFit, h: float = 1e-3) -> None:
    """The criterion rises when any estimated sp moves away from the optimum, quadratically."""
    base = fit.reml_score
    for term in fit.hessian_terms:
        scores = []
        for step in (-h, h):
            sp = {**fit.sp, term: fit.sp[term] * math.exp(step)}
            scores.append(reml(fit.design, method=fit.method, sp=sp).reml_score)
        assert min(scores) > base - 1e-10
        curvature = (scores[0] + scores[1] - 2 * base) / h**2
        assert abs(scores[1] - scores[0]) / (2 * h) < 1e-3 * max(curvature, 1e-3)


@pytest.fixture(scope="module")
def synth():
    rng = np.random.default_rng(20261121)
    n = 240
    df = pd.DataFrame({"x1": rng.uniform(0, 1, n), "x2": rng.uniform(-2, 2, n),
                       "f": pd.Categorical(rng.choice(["a", "b", "c"], n)),
                       "g": pd.Categorical(rng.choice([f"g{i:02d}" for i in range(12)], n))})
    eff_f = df["f"].map({"a": 0.0, "b": 1.0, "c": -0.5}).to_numpy(float)
    eff_g = rng.normal(0, 0.7, 12)[df["g"].cat.codes.to_numpy()]
    df["y"] = (np.sin(2 * np.pi * df["x1"]) + 0.3 * df["x2"] ** 2 + eff_f + eff_g
               + rng.normal(0, 0.4, n))
    slope_g = rng.normal(0, 0.5, 12)[df["g"].cat.codes.to_numpy()]
    df["y_slope"] = df["y"] + slope_g * df["x2"]
    df["noise"] = rng.uniform(0, 1, n)
    return df


def test_two_smooths_and_factor(synth):
    formula = "y ~ f + s(x1, bs='cr', k=10) + s(x2, bs='cr', k=8)"
    fit = reml(formula, synth)
    assert fit.converged and set(fit.sp) == {"s(x1)", "s(x2)"}
    assert len(fit.hessian_terms) == 2 and fit.hessian.shape == (3, 3)
    assert set(fit.edf) == {"s(x1)", "s(x2)"}
    assert 3 < fit.edf["s(x1)"] < 9 and 1 < fit.edf["s(x2)"] < 7
    _check_against_dense(fit)
    _check_optimal(fit)
    text = fit.summary()
    assert "s(x1)" in text and "s(x2)" in text and "fb" in text.split("smooth terms")[0]


def test_smooth_plus_random_intercept(synth):
    fit = reml("y ~ f + s(x1, bs='cr', k=10) + (1 | g)", synth)
    assert set(fit.sp) == {"s(x1)", "(1 | g)"}
    assert 0.3 < fit.sd["(1 | g)"] < 1.5
    _check_against_dense(fit)
    _check_optimal(fit)
    # the sparse (index/weights) path equals the dense one
    d = fit.design
    dense_blocks = [dataclasses.replace(b, index=None, weights=None, matrix=b.Z)
                    for b in d.blocks]
    fit_dense = reml(dataclasses.replace(d, blocks=dense_blocks))
    assert fit_dense.reml_score == pytest.approx(fit.reml_score, abs=1e-9)
    np.testing.assert_allclose(fit_dense.coef.to_numpy(), fit.coef.to_numpy(), rtol=1e-7,
                               atol=1e-10)
    # the same model with the random intercept written as an re smooth
    fit_re = reml("y ~ f + s(x1, bs='cr', k=10) + s(g, bs='re')", synth)
    assert fit_re.reml_score == pytest.approx(fit.reml_score, abs=1e-8)
    assert fit_re.edf["s(g)"] == pytest.approx(fit.edf["(1 | g)"], rel=1e-7)


def test_random_slopes(synth):
    fit = reml("y_slope ~ x2 + (1 + x2 || g)", synth)
    assert set(fit.sp) == {"(1 | g)", "(0 + x2 | g)"}
    assert 0.2 < fit.sd["(0 + x2 | g)"] < 1.0
    _check_against_dense(fit)
    _check_optimal(fit)


def test_smooth_of_noise_goes_linear(synth):
    """sp -> infinity on a flat tail: Newton stops there, the smooth keeps its linear column."""
    fit = reml("y ~ f + s(x1, bs='cr', k=10) + s(noise, bs='cr', k=6)", synth)
    assert fit.converged and fit.iterations < 40
    assert fit.sp["s(noise)"] > 1e6
    assert fit.edf["s(noise)"] == pytest.approx(1.0, abs=1e-4)
    _check_against_dense(fit)
    vc = fit.vcomp()
    assert vc.loc["s(noise)", "std.dev"] < 1e-2 and np.isfinite(vc.loc["s(x1)", "upper"])


def test_ml_loglik_is_gaussian_density(synth, radon):
    fit = reml("y ~ f + s(x1, bs='cr', k=10) + (1 | g)", synth, method="ML")
    assert fit.method == "ML" and fit.converged
    _check_against_dense(fit)
    _check_optimal(fit)
    assert "-ML = " in fit.summary()
    # ML's optimum divides the penalized residual sum of squares by n (REML: by n - Mp);
    # the reported scale is mgcv's sig2, the residual sum of squares over n - edf
    rss = float(fit.residuals @ fit.residuals)
    resid_pen = rss + sum(
        fit.sp[b.term] * float(np.sum(fit.coef.to_numpy()[_slice(fit, j)] ** 2))
        for j, b in enumerate(fit.design.blocks))
    assert fit.reml_scale == pytest.approx(resid_pen / fit.n, rel=1e-10)
    assert fit.scale == pytest.approx(rss / (fit.n - fit.edf_total), rel=1e-10)
    assert abs(fit.scale / fit.reml_scale - 1) > 1e-3
    ml = reml(RADON_RI, radon, method="ML")
    _check_against_dense(ml)
    assert ml.sd["(1 | county)"] < reml(RADON_RI, radon).sd["(1 | county)"]


def _slice(fit: RemlFit, j: int) -> slice:
    d = fit.design
    start = d.X.shape[1] + sum(b.size for b in d.blocks[:j])
    return slice(start, start + d.blocks[j].size)


def test_reml_criterion_dense_mcycle_radon(fit20, fit_radon):
    _check_against_dense(fit20)
    _check_against_dense(fit_radon)


# -- arguments and errors -------------------------------------------------------------------------
def test_sp_argument(fit20, mcycle, synth):
    fixed = reml(MCYCLE_K20, mcycle, sp=fit20.sp["s(times)"])
    assert fixed.reml_score == pytest.approx(fit20.reml_score, abs=1e-9)
    assert fixed.hessian_terms == [] and list(fixed.vcomp().index) == ["s(times)", "scale"]
    assert np.isnan(fixed.vcomp().loc["s(times)", "lower"])
    part = reml("y ~ f + s(x1, bs='cr', k=10) + s(x2, bs='cr', k=8)", synth, sp={"s(x2)": 5.0})
    assert part.sp["s(x2)"] == 5.0 and part.hessian_terms == ["s(x1)"]
    with pytest.raises(ValueError, match=r"s\(x3\).*not a smoothing parameter"):
        reml("y ~ f + s(x1, bs='cr', k=10)", synth, sp={"s(x3)": 1.0})
    with pytest.raises(ValueError, match="positive"):
        reml(MCYCLE_K20, mcycle, sp=-1.0)
    with pytest.raises(ValueError, match="method"):
        reml(MCYCLE_K20, mcycle, method="GCV")


def test_bad_input_errors(synth):
    df = synth.copy()
    df["word"] = np.where(df["y"] > 0, "up", "down")
    df["const"] = 2.5
    df["x1_twice"] = 2 * df["x1"]
    y = df["y"].to_numpy(float)
    with pytest.raises(ValueError, match="word"):
        reml(Design(formula="word ~ 1", response="word", y=df["word"].to_numpy(),
                    X=np.ones((len(df), 1)), column_names=["Intercept"], blocks=[]))
    with pytest.raises(ValueError, match="'word'.*not numeric"):
        reml("word ~ x1", df)
    with pytest.raises(ValueError, match="const.*constant"):
        reml("const ~ x1", df)
    with pytest.raises(ValueError, match="x1_twice.*not identifiable"):
        reml("y ~ x1 + x1_twice", df)
    X = np.column_stack([np.ones(len(df)), df["x1"], 2 * df["x1"]])
    with pytest.raises(ValueError, match="'x1b' is not identifiable.*'x1'"):
        reml(Design(formula="y ~ x1 + x1b", response="y", y=y, X=X,
                    column_names=["Intercept", "x1", "x1b"], blocks=[]))
    with pytest.raises(ValueError, match=r"'\(1 \| g\)' is not identifiable.*span of the fixed"):
        reml("y ~ g + (1 | g)", df)
    small = df.iloc[:10]
    labels = [str(i) for i in range(10)]
    block = Block(name="id", kind="re", coef="Intercept", term="(1 | id)", labels=labels,
                  names=_names("sd_id__Intercept", labels), index=np.arange(10),
                  weights=np.ones(10))
    with pytest.raises(ValueError, match=r"more coefficients \(12.*than observations \(10\)"):
        reml(Design(formula="y ~ x1 + (1 | id)", response="y", y=small["y"].to_numpy(float),
                    X=np.column_stack([np.ones(10), small["x1"]]),
                    column_names=["Intercept", "x1"], blocks=[block]))


def test_exact_derivatives_match_finite_differences(synth):
    """The Newton gradient (profiled scale) and the full Hessian in (log sp, log scale) that
    the vcomp intervals use, cross terms of three blocks included, against central differences
    of the criterion, at the optimum and away from it."""
    from bayeszoo.penalized import Layout, PenalizedBlock, Predictor, ScaledIdentity, block_matrix
    from bayeszoo.penalized.gaussian import GaussianEngine

    d = bz.design("y ~ f + s(x1, bs='cr', k=10) + s(x2, bs='cr', k=8) + (1 | g)", synth)
    y = np.asarray(d.y, dtype=float)
    blocks = [PenalizedBlock(b.term, block_matrix(b.Z, b.index, b.weights, d.n),
                             ScaledIdentity(b.size))
              for b in d.blocks]
    engine = GaussianEngine(Layout([Predictor(np.asarray(d.X, dtype=float), blocks)]), y)
    free = np.array([0, 1, 2])
    q = np.array([b.size for b in d.blocks], dtype=float)

    def profiled(rho):
        return engine.state(rho).score

    def criterion(v):  # V(log sp, log scale), the scale not profiled out
        st = engine.state(v[:3])
        return (st.Dp / (2 * np.exp(v[3])) + 0.5 * engine.nr * (v[3] + np.log(2 * np.pi))
                + 0.5 * st.logdet - 0.5 * q @ v[:3])

    best = np.log(np.array(list(reml(d).sp.values())))
    h = 1e-4
    for rho in (best, best + np.array([1.0, -0.5, 0.7])):
        st = engine.state(rho)
        g, _ = engine.profile_grad_hess(st, free)
        e = np.eye(3) * h
        fd_g = np.array([(profiled(rho + e[a]) - profiled(rho - e[a])) / (2 * h)
                         for a in range(3)])
        np.testing.assert_allclose(g, fd_g, rtol=1e-5, atol=1e-6)
        v0 = np.r_[rho, np.log(st.Dp / engine.nr)]
        H = engine.full_hessian(st, free)
        E = np.eye(4) * h
        fd_H = np.array([[(criterion(v0 + E[a] + E[b]) - criterion(v0 + E[a] - E[b])
                           - criterion(v0 - E[a] + E[b]) + criterion(v0 - E[a] - E[b]))
                          / (4 * h * h) for b in range(4)] for a in range(4)])
        np.testing.assert_allclose(H, fd_H, rtol=1e-4, atol=1e-4)
        assert np.abs(H[:3, :3] - np.diag(np.diag(H[:3, :3]))).max() > 1e-3  # cross terms


def test_vcomp_of_a_smooth_on_both_penalty_scales(mgcv_ref, brms_ref):
    """``vcomp(rescale=False)`` is the SD of the smooth2random coefficients, brms's ``sds``
    (the REML estimate lies inside brms's 95% interval, below its posterior mean as a mode
    of a scale parameter does); ``rescale=True`` undoes mgcv's
    ``S.scale``, as ``gam.vcomp`` does."""
    fit = reml("accel ~ 1 + s(times, bs='cr', k=20)", bz.datasets.load_mcycle())
    raw = fit.vcomp(rescale=False).loc["s(times)"]
    assert raw["std.dev"] == pytest.approx(math.sqrt(509.01211 / 25.3195), rel=1e-4)
    sds = brms_ref["mcycle_cr_k20"]["posterior"]["sds_stimes_1"]
    assert sds["q2.5"] < raw["std.dev"] < sds["mean"] < raw["upper"] < sds["q97.5"]
    scaled = fit.vcomp().loc["s(times)"]
    s_scale = mgcv_ref["mcycle_cr_k20"]["S_scale"]
    for col in ("std.dev", "lower", "upper"):
        assert scaled[col] == pytest.approx(raw[col] * math.sqrt(s_scale), rel=1e-10)
