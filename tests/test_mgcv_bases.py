"""mgcv's gp, ad and mrf smooth classes against mgcv 1.8-41 (``fixtures/mgcv_bases.json``, made
by ``fixtures/mgcv_bases.R``): raw bases and penalties, ``S.scale``, and ``gam(method =
"REML")`` fits (at mgcv's smoothing parameters the coefficients are mgcv's, which checks the
constrained basis too) on mcycle (gp, ad), airquality (a gp of two covariates) and columb
with the neighbours of ``columb.polys`` (mrf); plus errors, the saved state and one short
NumPyro run per class."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.formula.errors import FormulaError
from bayeszoo.smooths import SmoothSpec, evaluate_smooth, fit_smooth, smooth_con

FIXTURE = Path(__file__).parent / "fixtures" / "mgcv_bases.json"

# case -> (spec, formula, data set); the formula is the spec's term written as R would
CASES = {
    "gp": (SmoothSpec("s", ("times",), bs="gp", k=20), "accel ~ s(times, bs='gp', k=20)"),
    "gp_m": (SmoothSpec("s", ("times",), bs="gp", k=15, m=(2, 15, 1)),
             "accel ~ s(times, bs='gp', k=15, m=c(2, 15, 1))"),
    "gp_sph": (SmoothSpec("s", ("times",), bs="gp", k=12, m=(1, 30)),
               "accel ~ s(times, bs='gp', k=12, m=c(1, 30))"),
    "gp_stat": (SmoothSpec("s", ("times",), bs="gp", k=12, m=(-4, 10)),
                "accel ~ s(times, bs='gp', k=12, m=c(-4, 10))"),
    "gp_2d": (SmoothSpec("s", ("Temp", "Wind"), bs="gp", k=20),
              "Ozone ~ s(Temp, Wind, bs='gp', k=20)"),
    "ad": (SmoothSpec("s", ("times",), bs="ad", k=20), "accel ~ s(times, bs='ad', k=20)"),
    "ad_m3": (SmoothSpec("s", ("times",), bs="ad", k=15, m=3),
              "accel ~ s(times, bs='ad', k=15, m=3)"),
    "mrf": (SmoothSpec("s", ("district",), bs="mrf"), "crime ~ s(district, bs='mrf')"),
    "mrf_k20": (SmoothSpec("s", ("district",), bs="mrf", k=20),
                "crime ~ s(district, bs='mrf', k=20)"),
    # district 7 dropped from the data, every region named in knots=
    "mrf_missing": (SmoothSpec("s", ("district",), bs="mrf", k=20),
                    "crime ~ s(district, bs='mrf', k=20)"),
}
# mgcv's eigenvector signs are LAPACK's for the low-rank mrf (nat.param's eigen()); gp's come
# from mgcv's own Lanczos iteration, which bayeszoo.smooths.lanczos reproduces, signs included,
# except for the first two columns of the stationary Matérn 2.5 (``gp_stat``): the signs of the
# tridiagonal eigenvectors that LAPACK's dsteqr returns there differ between R's BLAS/LAPACK
# and this machine's
SIGN_FREE = {"mrf_k20", "mrf_missing", "gp_stat"}
# bases whose REML criterion mgcv's optimizer leaves short of the optimum (flat directions of
# the adaptive penalties' smoothing parameters; see test_ad_fit_is_at_least_mgcv_optimum)
FLAT = {"ad", "ad_m3"}


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def data(ref) -> dict:
    cb = ref["columb"]
    columb = pd.DataFrame({"crime": cb["crime"],
                           "district": pd.Categorical(cb["district"], categories=cb["levels"])})
    return {"mcycle": bz.datasets.load_mcycle(), "columb": columb,
            "airquality": bz.datasets.load_airquality(dropna=True)}


def case_data(name: str, data: dict) -> pd.DataFrame:
    if name == "mrf_missing":
        return data["columb"][data["columb"]["district"] != "7"]
    if name == "gp_2d":
        return data["airquality"]
    return data["columb"] if name.startswith("mrf") else data["mcycle"]


def case_knots(name: str, ref: dict) -> dict | None:
    return {"district": ref["columb"]["levels"]} if name == "mrf_missing" else None


def case_xt(name: str, ref: dict) -> dict | None:
    return {"district": {"nb": ref["columb"]["nb"]}} if name.startswith("mrf") else None


def case_spec(name: str, ref: dict) -> SmoothSpec:
    spec = CASES[name][0]
    xt = case_xt(name, ref)
    return spec if xt is None else SmoothSpec(spec.kind, spec.variables, bs=spec.bs, k=spec.k,
                                              xt=xt["district"], knots=case_knots(name, ref))


def align_signs(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A`` with each column's sign flipped to agree with ``B``'s."""
    s = np.sign(np.sum(A * B, axis=0))
    return A * np.where(s == 0, 1.0, s)


def vector(value) -> list[float]:
    """A fixture vector (jsonlite writes a length-one vector as a number)."""
    return [float(v) for v in np.atleast_1d(value)]


@pytest.mark.parametrize("name", list(CASES))
def test_basis_and_penalties_equal_mgcv(name, ref, data):
    r = ref[name]
    sc = smooth_con(case_spec(name, ref), case_data(name, data))
    X_ref = np.array(r["raw_X"])
    X = align_signs(sc.raw.X, X_ref) if name in SIGN_FREE else sc.raw.X
    assert X.shape == X_ref.shape
    assert np.max(np.abs(X - X_ref)) < 1e-12 * np.abs(X_ref).max()
    S_ref = [np.array(S) for S in r["raw_S"]]
    assert len(sc.raw.S) == len(S_ref)
    for S, Sr in zip(sc.raw.S, S_ref, strict=True):
        assert np.max(np.abs(S - Sr)) < 1e-11 * np.abs(Sr).max()
    assert sc.S_scale == pytest.approx(vector(r["S_scale"]), rel=1e-12)
    assert sc.null_space_dim == r["null_space_dim"]


def test_ranks_equal_mgcv(ref, data):
    ad = smooth_con(case_spec("ad", ref), data["mcycle"]).raw.margin.basis
    assert ad.ranks == ref["ad"]["rank"] == [9, 18, 18, 18, 9]
    for name in ("gp", "mrf", "mrf_k20"):
        basis = smooth_con(case_spec(name, ref), case_data(name, data)).raw.margin.basis
        assert basis.rank == ref[name]["rank"]


def test_low_rank_mrf_spans_the_least_penalized_space(ref, data):
    """Sign-free check of the k = 20 mrf: the same fitted values of any response under the
    same penalty (``X (X'X + S)⁻¹ X'`` is invariant to column signs)."""
    sc = smooth_con(case_spec("mrf_k20", ref), data["columb"])
    X_ref, S_ref = np.array(ref["mrf_k20"]["raw_X"]), np.array(ref["mrf_k20"]["raw_S"][0])
    X, S = sc.raw.X, sc.raw.S[0]
    hat = X @ np.linalg.solve(X.T @ X + S, X.T)
    hat_ref = X_ref @ np.linalg.solve(X_ref.T @ X_ref + S_ref, X_ref.T)
    assert np.max(np.abs(hat - hat_ref)) < 1e-10


@pytest.mark.parametrize("name", list(CASES))
def test_reml_at_mgcv_sp_equals_mgcv(name, ref, data):
    """With mgcv's smoothing parameters held fixed, the REML score, edf and fit are mgcv's."""
    r = ref[name]
    formula = CASES[name][1]
    d = bz.design(formula, case_data(name, data), xt=case_xt(name, ref),
                  knots=case_knots(name, ref))
    labels = [lab for b in d.blocks for lab in b.sp_labels]
    fit = bz.reml(d, sp=dict(zip(labels, vector(r["sp"]), strict=True)))
    assert fit.reml_score == pytest.approx(r["reml"], abs=1e-7)
    assert fit.edf_total == pytest.approx(r["edf_total"], rel=1e-7)
    assert fit.scale == pytest.approx(r["scale"], rel=1e-7)
    coef = fit.mgcv_coef().to_numpy()
    if name not in SIGN_FREE:
        assert np.max(np.abs(coef - r["coef"])) < 1e-6 * np.abs(r["coef"]).max()
    else:
        assert np.abs(coef) == pytest.approx(np.abs(r["coef"]), rel=1e-6, abs=1e-6)
    # summary(gam)$s.table: edf, Ref.df and F to rounding; the mrf p-values (2e-4, 8e-5)
    # differ from mgcv's by 0.3 % of their size
    edf, ref_df, F, pval = fit.summary().s_table.to_numpy()[0]
    assert [edf, ref_df, F] == pytest.approx(r["s_table"][:3], rel=1e-9)
    assert pval == pytest.approx(r["s_table"][3], rel=1e-2, abs=1e-12)


@pytest.mark.parametrize("name", [n for n in CASES if n not in FLAT])
def test_reml_fit_equals_mgcv(name, ref, data):
    r = ref[name]
    fit = bz.reml(CASES[name][1], case_data(name, data), xt=case_xt(name, ref),
                  knots=case_knots(name, ref))
    assert fit.reml_score == pytest.approx(r["reml"], abs=1e-6)
    assert fit.edf_total == pytest.approx(r["edf_total"], rel=1e-4)
    assert list(fit.sp.values()) == pytest.approx(vector(r["sp"]), rel=1e-4)
    assert fit.scale == pytest.approx(r["scale"], rel=1e-4)


@pytest.mark.parametrize("name", sorted(FLAT))
def test_ad_fit_is_at_least_mgcv_optimum(name, ref, data):
    """mgcv 1.8-41 stops on the adaptive smooths where its REML gradient is below its
    tolerance (~1e-3), with two smoothing parameters in a flat direction (near zero here,
    5e-4 and 2e-3 in mgcv): mgcv's own score at the smoothing parameters found here
    (``ad_at_sp``: 611.052623, against 611.052734 at mgcv's optimum) is lower, and equals the
    score here. edf and the well-determined smoothing parameters agree with mgcv's fit."""
    r = ref[name]
    fit = bz.reml(CASES[name][1], data["mcycle"])
    assert list(fit.sp) == [f"s(times){j + 1}" for j in range(len(r["sp"]))]
    assert fit.reml_score == pytest.approx(ref[f"{name}_at_sp"], abs=1e-6)
    assert r["reml"] - 5e-4 < fit.reml_score < r["reml"]
    assert fit.edf_total == pytest.approx(r["edf_total"], rel=1e-4)
    sp, sp_ref = np.array(list(fit.sp.values())), np.array(r["sp"])
    determined = sp_ref > 0.1
    assert sp[determined] == pytest.approx(sp_ref[determined], rel=1e-3)
    assert fit.scale == pytest.approx(r["scale"], rel=1e-4)


@pytest.mark.parametrize("name", list(CASES))
def test_state_evaluates_the_fitted_columns(name, ref, data):
    df = case_data(name, data)
    term = fit_smooth(case_spec(name, ref), df)
    Xf, Zs = evaluate_smooth(json.loads(json.dumps(term.state)), df)
    assert Xf.shape == term.Xf.shape and np.allclose(Xf, term.Xf, rtol=0, atol=1e-10)
    assert len(Zs) == len(term.blocks)
    for Z, block in zip(Zs, term.blocks, strict=True):
        assert np.allclose(Z, block.Z, rtol=0, atol=1e-10 * max(1.0, np.abs(block.Z).max()))


def test_gp_predicts_on_new_covariate_values(ref, data):
    """The gp basis between and beyond the data: its columns are the correlation with the
    knots, so a value at a knot reproduces that knot's row."""
    term = fit_smooth(case_spec("gp", ref), data["mcycle"])
    grid = pd.DataFrame({"times": np.r_[data["mcycle"]["times"].to_numpy()[:5], 30.5, 70.0]})
    Xf, _ = evaluate_smooth(term.state, grid)
    assert np.max(np.abs(Xf[:5] - term.Xf[:5])) < 1e-12
    assert np.all(np.isfinite(Xf))


def test_mrf_region_without_data_from_knots(ref, data):
    """``knots=`` lists every region (mgcv's ``knots = list(district = ...)``): with district 7
    absent from a text column the fit is the categorical one's (``mrf_missing``); without the
    knots the neighbour list names a region the data lacks."""
    keep = case_data("mrf_missing", data).assign(
        district=lambda f: f["district"].astype(str))
    xt = case_xt("mrf", ref)
    fit = bz.reml("crime ~ s(district, bs='mrf', k=20)", keep, xt=xt,
                  knots=case_knots("mrf_missing", ref))
    assert fit.reml_score == pytest.approx(ref["mrf_missing"]["reml"], abs=1e-6)
    with pytest.raises(FormulaError, match="mismatch between the regions"):
        bz.reml("crime ~ s(district, bs='mrf', k=20)", keep, xt=xt)


def test_mrf_penalty_given_directly(ref, data):
    """``xt={"district": {"penalty": S}}`` (mgcv's ``xt = list(penalty = S)``) with the
    neighbourhood penalty in the regions' order gives the same fit as the neighbour list."""
    S = np.array(ref["mrf"]["raw_S"][0])
    fit = bz.reml("crime ~ s(district, bs='mrf')", data["columb"],
                  xt={"district": {"penalty": S}})
    assert fit.reml_score == pytest.approx(ref["mrf"]["reml"], abs=1e-6)
    with pytest.raises(FormulaError, match="49 regions"):
        bz.design("crime ~ s(district, bs='mrf')", data["columb"],
                  xt={"district": {"penalty": S[:10, :10]}})


def test_mrf_errors_name_the_term(ref, data):
    df = data["columb"]
    with pytest.raises(FormulaError, match=r"s\(district.*neighbourhood structure.*xt="):
        bz.design("crime ~ s(district, bs='mrf')", df)
    nb = {k: list(v) for k, v in ref["columb"]["nb"].items()}
    nb["0"] = [*nb["0"], "30"]
    with pytest.raises(FormulaError, match="not symmetric"):
        bz.design("crime ~ s(district, bs='mrf')", df, xt={"district": {"nb": nb}})
    with pytest.raises(FormulaError, match="give xt outside the formula"):
        bz.design("crime ~ s(district, bs='mrf', xt=nb)", df)
    with pytest.raises(FormulaError, match=r"xt= names \['region'\]"):
        bz.design("crime ~ s(district, bs='mrf')", df, xt={"region": {"nb": nb}})
    with pytest.raises(FormulaError, match="set too high"):
        bz.design("crime ~ s(district, bs='mrf', k=60)", df, xt=case_xt("mrf", ref))
    d = bz.design("crime ~ s(district, bs='mrf')", df, xt=case_xt("mrf", ref))
    with pytest.raises(ValueError, match="pass xt only with a formula"):
        bz.reml(d, xt=case_xt("mrf", ref))
    with pytest.raises(TypeError, match="xt must be a dict"):
        bz.design("crime ~ s(district, bs='mrf')", df, xt=[nb])


def test_gp_and_ad_argument_errors(data):
    mc = data["mcycle"]
    with pytest.raises(FormulaError, match="incorrect arguments to GP smoother"):
        bz.design("accel ~ s(times, bs='gp', m=c(7, 1))", mc)
    with pytest.raises(FormulaError, match="penalty basis too large"):
        bz.design("accel ~ s(times, bs='ad', k=10, m=8)", mc)
    with pytest.raises(FormulaError, match="xt= is used by bs=\"mrf\" only"):
        bz.design("accel ~ s(times, bs='gp')", mc, xt={"times": {"nb": {}}})


def test_gp_default_is_matern_with_twelve_columns(data):
    """mgcv's defaults: ``k = d + 1 + 10`` and Matérn 1.5 with the largest knot distance."""
    sc = smooth_con(SmoothSpec("s", ("times",), bs="gp"), data["mcycle"])
    basis = sc.raw.margin.basis
    t = data["mcycle"]["times"]
    assert basis.X.shape == (133, 12) and basis.kind == 3
    assert basis.rho == pytest.approx(t.max() - t.min(), rel=1e-14)


@pytest.mark.filterwarnings("ignore::UserWarning")  # a 60-draw chain warns about ESS/R-hat
@pytest.mark.parametrize("name", ["gp", "ad_m3", "mrf_k20"])
def test_numpyro_sampling_smoke(name, ref, data):
    """Each class samples in NumPyro (a smoke run, not a reference comparison): one ``sds``
    per smoothing parameter (three for ``ad`` with ``m = 3``), finite draws."""
    d = bz.design(CASES[name][1], case_data(name, data), xt=case_xt(name, ref))
    post = bz.sample(d, chains=1, draws=60, tune=60, progress=False, seed=1).posterior
    label = "sdistrict" if name.startswith("mrf") else "stimes"
    n_sp = len(vector(ref[name]["sp"]))
    expected = ([f"sds_{label}_1"] if n_sp == 1
                else [f"sds_{label}_{j + 1}" for j in range(n_sp)])
    assert sorted(v for v in post.data_vars if str(v).startswith("sds_")) == expected
    for v in [*expected, "sigma", f"s_{label}_1"]:
        assert np.all(np.isfinite(post[v].to_numpy()))
    assert post[f"s_{label}_1"].shape[-1] == d.blocks[0].size
