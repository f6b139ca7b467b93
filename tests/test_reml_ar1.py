"""REML with AR(1) residuals against mgcv 1.8-41's ``bam(temp ~ s(month, bs = "cc", k = 8) +
s(time), rho = 0.6, AR.start = (time == 1))`` on nottem (``shared/fixtures/mgcv_wave3.json``,
``nottem_bam_ar1``): the REML score with the transform's log-determinant, edf, sp, scale,
coefficients and standard errors in bam's basis, fitted values and the whitened residuals;
``rho`` estimated by profiling; the whitening itself; and the refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sps
from reference_data import DATA, fixture

import bayeszoo as bz
from bayeszoo.penalized import bam_coef
from bayeszoo.penalized.ar1 import AR1, ar_starts

FORMULA = "temp ~ s(month, bs='cc', k=8) + s(time)"
KNOTS = {"month": [0.5, 12.5]}


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.fixture(scope="module")
def ref() -> dict:
    return fixture("mgcv_wave3")["nottem_bam_ar1"]


@pytest.fixture(scope="module")
def nottem() -> pd.DataFrame:
    return pd.read_csv(DATA / "nottem.csv")


@pytest.fixture(scope="module")
def fit(nottem, ref):
    return bz.reml(FORMULA, nottem, knots=KNOTS, rho=ref["rho"],
                   ar_start=(nottem["time"] == 1).to_numpy())


def test_fixed_rho_matches_bam(fit, ref):
    assert ref["rho"] == 0.6 and fit.rho == 0.6
    assert abs(fit.reml_score - ref["reml"]) < 1e-4
    assert rel([fit.edf["s(month)"], fit.edf["s(time)"]],
               [ref["edf_terms"]["s(month)"], ref["edf_terms"]["s(time)"]]) < 1e-4
    assert rel(fit.edf_total, ref["edf_total"]) < 1e-4
    assert rel(fit.sp["s(month)"], ref["sp"]["s(month)"]) < 1e-6
    assert fit.sp["s(time)"] > 1e5  # s(time) is pushed to its null space, as in bam
    assert rel(fit.scale, ref["scale"]) < 1e-6
    assert rel(fit.reml_scale, ref["scale"]) < 1e-6
    assert rel(fit.deviance, ref["deviance"]) < 1e-6
    assert rel(fit.null_deviance, ref["null_deviance"]) < 1e-12
    np.testing.assert_allclose(fit.fitted, ref["fitted"], atol=1e-5)
    np.testing.assert_allclose(fit.linear_predictors, ref["linear_predictors"], atol=1e-5)
    np.testing.assert_allclose(fit.std_rsd, ref["std_rsd"], atol=1e-5)
    vc = fit.vcomp()
    assert rel(vc.loc[["s(month)", "scale"], "std.dev"],
               [ref["vcomp"]["sd"][0], ref["vcomp"]["sd"][2]]) < 1e-6


def test_score_is_whitened_score_minus_log_determinant(fit, nottem):
    """bam's ``gcv.ubre - (n - sum(AR.start))·log(1/sqrt(1 - rho²))``."""
    ld = 1.0 / np.sqrt(1.0 - 0.6**2)
    whitened = fit.engine.score + (len(nottem) - 1) * np.log(ld)
    assert whitened == pytest.approx(562.73349192954 + 239 * np.log(1.25), abs=1e-4)
    assert fit.criterion == pytest.approx(2 * fit.reml_score - 2 * sum(
        b.reml_offset for b in fit.engine.layout.blocks), rel=1e-12)


def test_coefficients_in_bam_basis(fit, nottem, ref):
    table = bam_coef(fit, nottem).rename(index={"Intercept": "(Intercept)"})
    assert list(table.index) == list(ref["coef"])
    stable = [n for n in ref["coef"] if not n.startswith("s(time)") or n == "s(time).9"]
    assert rel(table.loc[stable, "Estimate"], [ref["coef"][n] for n in stable]) < 1e-4
    assert rel(table.loc[stable, "Std. Error"], [ref["se"][n] for n in stable]) < 1e-4
    # s(time)'s penalized coefficients shrink to 0 as its sp grows without bound (bam's sp is
    # 465652, not a stable target): both fits have them at 0 to the 5th decimal.
    wiggly = [f"s(time).{i}" for i in range(1, 9)]
    assert np.max(np.abs(table.loc[wiggly, "Estimate"])) < 1e-5
    assert np.max(np.abs([ref["coef"][n] for n in wiggly])) < 1e-5


def test_bam_basis_is_a_reparameterization(fit, nottem):
    """The gam-basis coefficients and bam's give the same fitted values."""
    table = bam_coef(fit, nottem)
    gam = fit.mgcv_coef()
    assert np.max(np.abs(table["Estimate"] - gam)) > 1.0  # s(month)'s coordinates differ
    assert table.loc["Intercept", "Estimate"] == pytest.approx(gam["Intercept"], rel=1e-12)
    M, names = fit.mgcv_coef_map()
    assert names == list(gam.index)
    np.testing.assert_allclose(M @ fit.coef.to_numpy(), gam.to_numpy(), rtol=1e-14)


def test_rho_zero_is_the_plain_fit(nottem):
    plain = bz.reml(FORMULA, nottem, knots=KNOTS)
    zero = bz.reml(FORMULA, nottem, knots=KNOTS, rho=0.0)
    assert zero.reml_score == plain.reml_score
    assert np.array_equal(zero.coef.to_numpy(), plain.coef.to_numpy())
    assert zero.edf == plain.edf and zero.sp == plain.sp and zero.scale == plain.scale
    assert np.array_equal(zero.std_rsd, plain.residuals)
    assert zero.rho == 0.0 and plain.rho is None
    iid = fixture("mgcv_wave3")["nottem_gam_iid"]
    assert abs(plain.reml_score - iid["reml"]) < 1e-6


def test_ar_start_forms_agree(nottem, fit):
    default = bz.reml(FORMULA, nottem, knots=KNOTS, rho=0.6)
    data = nottem.assign(first=nottem["time"] == 1)
    by_name = bz.reml(FORMULA, data, knots=KNOTS, rho=0.6, ar_start="first")
    by_series = bz.reml(FORMULA, nottem, knots=KNOTS, rho=0.6, ar_start=data["first"])
    for other in (default, by_name, by_series):
        assert other.reml_score == pytest.approx(fit.reml_score, abs=1e-9)
        np.testing.assert_allclose(other.fitted, fit.fitted, atol=1e-9)
    assert fit.ar_start.sum() == 1 and fit.ar_start[0]


def test_several_series(nottem):
    """Yearly series: 20 starts, so the log-determinant counts n - 20 rows."""
    starts = (nottem["month"] == 1).to_numpy()
    fit = bz.reml(FORMULA, nottem, knots=KNOTS, rho=0.6, ar_start=starts)
    ar = AR1(0.6, starts)
    assert ar.n_series == 20
    assert fit.engine.score + ar.log_det == pytest.approx(
        fit.reml_score + 220 * np.log(1.25), abs=1e-9)
    whitened = nottem["temp"].to_numpy() - fit.fitted
    whitened = np.where(starts, whitened, 1.25 * (whitened - 0.6 * np.r_[0.0, whitened[:-1]]))
    np.testing.assert_allclose(fit.std_rsd, whitened, atol=1e-12)
    assert "AR(1) residuals: rho = 0.6 (fixed), 20 series" in str(fit.summary())


def test_whitening_is_the_inverse_correlation_root():
    """``T'T = R⁻¹`` for the block AR(1) correlation ``R`` and ``log|det T| = -½ log|R|``;
    sparse (indicator) blocks are whitened as dense ones."""
    starts = np.zeros(9, dtype=bool)
    starts[[0, 4]] = True
    rho = -0.45
    ar = AR1(rho, starts)
    series = np.cumsum(starts)
    lag = np.abs(np.subtract.outer(np.arange(9), np.arange(9)))
    R = np.where(series[:, None] == series[None, :], rho**lag, 0.0)
    T = ar.matrix().toarray()
    np.testing.assert_allclose(T.T @ T, np.linalg.inv(R), atol=1e-12)
    assert ar.log_det == pytest.approx(-0.5 * np.linalg.slogdet(R)[1], rel=1e-12)
    ind = sps.csr_matrix((np.ones(9), (np.arange(9), np.arange(9) % 3)), shape=(9, 3))
    w = ar.whiten(ind)
    assert sps.issparse(w)
    np.testing.assert_allclose(w.toarray(), ar.whiten(ind.toarray()), atol=1e-15)
    np.testing.assert_allclose(ar.whiten(np.arange(9.0)), T @ np.arange(9.0), atol=1e-12)


def test_random_effect_block_with_ar1(nottem):
    """An indicator block (``(1 | year)``) is whitened by differencing consecutive rows."""
    data = nottem.assign(year=nottem["year"].astype(str))
    f = "temp ~ s(month, bs='cc', k=8) + (1 | year)"
    fit = bz.reml(f, data, knots=KNOTS, rho=0.3)
    same = bz.reml("temp ~ s(month, bs='cc', k=8) + s(year, bs='re')", data, knots=KNOTS,
                   rho=0.3)
    assert fit.reml_score == pytest.approx(same.reml_score, abs=1e-6)
    np.testing.assert_allclose(fit.fitted, same.fitted, atol=1e-6)


def test_rho_estimated_by_profile(nottem):
    est = bz.reml(FORMULA, nottem, knots=KNOTS, rho="estimate")
    prof = est.rho_profile
    assert list(prof.columns) == ["rho", "reml"]
    assert np.all(np.diff(prof["rho"]) > 0) and len(prof) >= 39
    assert est.reml_score == pytest.approx(prof["reml"].min(), abs=1e-12)
    assert est.rho == prof["rho"][prof["reml"].idxmin()]
    assert 0.15 < est.rho < 0.3
    at_fixed = bz.reml(FORMULA, nottem, knots=KNOTS, rho=est.rho)
    assert at_fixed.reml_score == pytest.approx(est.reml_score, abs=1e-9)
    for step in (-1e-3, 1e-3):
        near = bz.reml(FORMULA, nottem, knots=KNOTS, rho=est.rho + step)
        assert near.reml_score > est.reml_score
    row = prof[np.isclose(prof["rho"], 0.6)]
    assert float(row["reml"].iloc[0]) == pytest.approx(562.73349192954, abs=1e-4)
    assert "REML profile over" in str(est.summary())


@pytest.mark.parametrize("rho", [1.0, -1.0, 1.5, "0.5x", float("nan")])
def test_rho_outside_the_unit_interval(nottem, rho):
    with pytest.raises(ValueError, match="rho"):
        bz.reml(FORMULA, nottem, knots=KNOTS, rho=rho)


def test_ar_start_refusals(nottem):
    with pytest.raises(ValueError, match="length 239"):
        bz.reml(FORMULA, nottem, knots=KNOTS, rho=0.5, ar_start=np.zeros(239, dtype=bool))
    with pytest.raises(ValueError, match="logical"):
        bz.reml(FORMULA, nottem, knots=KNOTS, rho=0.5, ar_start=np.zeros(240))
    with pytest.raises(ValueError, match="give rho"):
        bz.reml(FORMULA, nottem, knots=KNOTS, ar_start=np.ones(240, dtype=bool))
    with pytest.raises(ValueError, match="column 'nope'"):
        bz.reml(FORMULA, nottem, knots=KNOTS, rho=0.5, ar_start="nope")
    assert ar_starts(None, None, 3).tolist() == [True, False, False]


def test_non_gaussian_and_weighted_models_refused(nottem):
    data = nottem.assign(count=np.round(nottem["temp"]).astype(int), w=1.0 + nottem["month"])
    with pytest.raises(ValueError, match="Gaussian identity-link"):
        bz.reml("count ~ s(month, bs='cc', k=8)", data, knots=KNOTS, family="poisson",
                rho=0.5)
    with pytest.raises(ValueError, match="Gaussian identity-link"):
        bz.reml(FORMULA, nottem, knots=KNOTS, family=bz.families.gaussian("log"), rho=0.5)
    with pytest.raises(ValueError, match="weights"):
        bz.reml("temp | weights(w) ~ s(month, bs='cc', k=8)", data, knots=KNOTS, rho=0.5)
