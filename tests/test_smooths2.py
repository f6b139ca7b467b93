"""Second-wave smooths (te, ti, t2, 2-D tp, cc, by, fs, re slopes) against mgcv 1.8-41
(shared/fixtures/mgcv_smooths2.json) and the term-level API's state round trip.

The fixture's REML fits are checked with their own smoothing parameters: a penalized least
squares fit with our columns and penalties at mgcv's ``sp`` must give mgcv's fitted values,
coefficients, predictions and standard errors, which pins down the bases, constraints and
penalty scaling (``S.scale``) exactly.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize_scalar

from bayeszoo.smooths import SmoothSpec, evaluate_smooth, fit_smooth
from bayeszoo.smooths.construct import smooth_con
from bayeszoo.smooths.core import constraint_null_space
from bayeszoo.smooths.fs import expand_levels
from bayeszoo.smooths.rsample import r_as_character, r_sample, r_set_seed, r_unif_rand
from bayeszoo.smooths.term import SmoothTerm

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CO2_PLANTS = ["Qn1", "Qn2", "Qn3", "Qc1", "Qc3", "Qc2", "Mn3", "Mn2", "Mn1", "Mc2", "Mc3",
              "Mc1"]  # R's CO2$Plant (an ordered factor)


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((SHARED / "fixtures" / "mgcv_smooths2.json").read_text())


@pytest.fixture(scope="module")
def air() -> pd.DataFrame:
    df = pd.read_csv(SHARED / "data" / "airquality.csv")
    return df.dropna(subset=["Ozone", "Temp", "Wind"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def co2() -> pd.DataFrame:
    df = pd.read_csv(SHARED / "data" / "co2.csv")
    df["Type"] = pd.Categorical(df["Type"], categories=["Quebec", "Mississippi"])
    df["Plant"] = pd.Categorical(df["Plant"], categories=CO2_PLANTS, ordered=True)
    return df


@pytest.fixture(scope="module")
def nottem() -> pd.DataFrame:
    return pd.read_csv(SHARED / "data" / "nottem.csv")


def penalized_fit(terms: list[SmoothTerm], y, sp: dict, extra=None):
    """Penalized least squares in mixed-model form at fixed ``sp`` (intercept + ``extra``
    parametric columns + the terms); returns ``(fitted, coef, A, H⁻¹)``."""
    cols = [np.ones((len(y), 1))] + ([] if extra is None else [extra])
    cols += [t.Xf for t in terms]
    start = sum(c.shape[1] for c in cols)
    pens = []
    for t in terms:
        for b in t.blocks:
            q = b.Z.shape[1]
            lam = [sp[label] for label in b.sp_labels]
            M = lam[0] * np.eye(q) if b.penalties is None else sum(
                s * P for s, P in zip(lam, b.penalties, strict=True))
            pens.append((start, q, M))
            cols.append(b.Z)
            start += q
    A = np.hstack(cols)
    P = np.zeros((A.shape[1],) * 2)
    for s0, q, M in pens:
        P[s0 : s0 + q, s0 : s0 + q] = M
    Hinv = np.linalg.inv(A.T @ A + P)
    coef = Hinv @ A.T @ np.asarray(y, dtype=float)
    return A @ coef, coef, A, Hinv


def new_rows(terms: list[SmoothTerm], newdata, extra=None) -> np.ndarray:
    ev = [evaluate_smooth(t.state, newdata) for t in terms]
    cols = [np.ones((len(newdata), 1))] + ([] if extra is None else [extra])
    cols += [e[0] for e in ev]
    for e in ev:
        cols += e[1]
    return np.hstack(cols)


def rel(a, b) -> float:
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


def check_against_mgcv(entry: dict, terms, y, newdata=None, extra=None, extra_new=None,
                       tol: float = 1e-10):
    fitted, coef, _, Hinv = penalized_fit(terms, y, entry["sp"], extra)
    assert rel(fitted, entry["fitted"]) < tol
    if newdata is not None:
        A = new_rows(terms, newdata, extra_new)
        assert rel(A @ coef, entry["pred"]) < tol
        se = np.sqrt(np.einsum("ij,jk,ik->i", A, Hinv, A) * entry["scale"])
        assert rel(se, entry["pred_se"]) < 100 * tol
    return coef


def mgcv_coefficients(terms: list[SmoothTerm], coef: np.ndarray, n_param: int) -> np.ndarray:
    """mgcv's coefficient vector (intercept, parametric, then each term in mgcv's order) from
    the mixed-model coefficients of :func:`penalized_fit`."""
    out = [coef[:n_param]]
    pos_f = n_param
    pos_b = n_param + sum(t.Xf.shape[1] for t in terms)
    for t in terms:
        m0 = t.Xf.shape[1]
        q = sum(b.Z.shape[1] for b in t.blocks)
        theta = np.r_[coef[pos_f : pos_f + m0], coef[pos_b : pos_b + q]]
        out.append(t.coef_map @ theta)
        pos_f += m0
        pos_b += q
    return np.concatenate(out)


def upto_sign(A, B) -> float:
    s = np.sign(np.sum(A * B, axis=0))
    s[s == 0] = 1
    return float(np.max(np.abs(A * s - B)))


# ---------------------------------------------------------------------------------------------
# te, ti, t2, 2-D thin plate
# ---------------------------------------------------------------------------------------------

def test_te_model_matrix_and_fit(ref, air):
    entry = ref["air_te"]
    spec = SmoothSpec("te", ("Temp", "Wind"), k=5)
    mm = np.array(entry["model_matrix"])[:, 1:]
    assert np.max(np.abs(smooth_con(spec, air).Xc - mm)) < 1e-12
    term = fit_smooth(spec, air)
    mixed = np.hstack([term.Xf] + [b.Z for b in term.blocks])
    assert np.max(np.abs(mixed @ np.linalg.inv(term.coef_map) - mm)) < 1e-8
    assert term.fixed_names == ["teTempWind_1", "teTempWind_2", "teTempWind_3"]
    (blk,) = term.blocks
    assert blk.name == "teTempWind_1" and blk.term == "te(Temp,Wind)"
    assert blk.sp_labels == ["te(Temp,Wind)1", "te(Temp,Wind)2"] and len(blk.penalties) == 2
    y = air["Ozone"].to_numpy(float)
    nd = pd.DataFrame(entry["newdata"])
    coef = check_against_mgcv(entry, [term], y, nd)
    assert rel(mgcv_coefficients([term], coef, 1), list(entry["coef"].values())) < 1e-9


def test_ti_main_effects_and_interaction(ref, air):
    entry = ref["air_ti"]
    terms = [fit_smooth(SmoothSpec("ti", v, k=5), air)
             for v in (("Temp",), ("Wind",), ("Temp", "Wind"))]
    assert [b.sp_labels for t in terms for b in t.blocks] == [
        ["ti(Temp)"], ["ti(Wind)"], ["ti(Temp,Wind)1", "ti(Temp,Wind)2"]]
    assert [t.Xf.shape[1] for t in terms] == [1, 1, 1]  # the linear-by-linear direction
    y = air["Ozone"].to_numpy(float)
    # ti(Temp,Wind)1 = 30507: the penalized least squares system is badly conditioned
    coef = check_against_mgcv(entry, terms, y, pd.DataFrame(entry["newdata"]), tol=1e-9)
    assert rel(mgcv_coefficients(terms, coef, 1), list(entry["coef"].values())) < 1e-8


def test_t2_model_matrix_blocks_and_fit(ref, air):
    entry = ref["air_t2"]
    spec = SmoothSpec("t2", ("Temp", "Wind"), k=5)
    sc = smooth_con(spec, air)
    # mgcv's model.matrix is in the prediction parameterization: sum-to-zero on all columns
    Xp = sc.raw.X @ constraint_null_space(sc.raw.X.sum(axis=0))
    mm = np.array(entry["model_matrix"])[:, 1:]
    assert upto_sign(Xp, mm) < 1e-10
    term = fit_smooth(spec, air)
    assert [b.name for b in term.blocks] == ["t2TempWind_1", "t2TempWind_2", "t2TempWind_3"]
    assert [b.sp_labels for b in term.blocks] == [["t2(Temp,Wind)rr"], ["t2(Temp,Wind)nr"],
                                                  ["t2(Temp,Wind)rn"]]
    assert [b.Z.shape[1] for b in term.blocks] == [9, 6, 6] and term.Xf.shape[1] == 3
    assert all(b.penalties is None for b in term.blocks)
    y = air["Ozone"].to_numpy(float)
    coef = check_against_mgcv(entry, [term], y, pd.DataFrame(entry["newdata"]))
    theta = np.r_[coef[1:4], coef[4:]]
    ours = term.mgcv_coef_map @ theta
    mgcv = np.array(list(entry["coef"].values()))
    signs = np.sign(np.sum(Xp * mm, axis=0))
    assert np.max(np.abs(ours * signs - mgcv[1:])) < 1e-8 * np.max(np.abs(mgcv))
    assert abs(coef[0] + term.mgcv_intercept_shift @ theta - mgcv[0]) < 1e-9


def test_thin_plate_2d_matches_mgcv_exactly(ref, air):
    """mgcv's Lanczos start vector and LAPACK's tridiagonal eigenvectors reproduce its
    eigenvector signs: coefficients, not just fitted values, agree."""
    entry = ref["air_tp2d"]
    term = fit_smooth(SmoothSpec("s", ("Temp", "Wind")), air)
    assert term.Xf.shape[1] == 2 and term.blocks[0].Z.shape[1] == 27
    assert term.fixed_names == ["sTempWind_1", "sTempWind_2"]
    assert term.blocks[0].sp_labels == ["s(Temp,Wind)"]
    y = air["Ozone"].to_numpy(float)
    coef = check_against_mgcv(entry, [term], y, pd.DataFrame(entry["newdata"]))
    assert rel(mgcv_coefficients([term], coef, 1), list(entry["coef"].values())) < 1e-9


# ---------------------------------------------------------------------------------------------
# by, fs, cc
# ---------------------------------------------------------------------------------------------

def test_factor_by(ref, co2):
    entry = ref["co2_by_factor"]
    term = fit_smooth(SmoothSpec("s", ("conc",), k=5, by="Type"), co2)
    assert [b.name for b in term.blocks] == ["sconcTypeQuebec_1", "sconcTypeMississippi_1"]
    assert [b.term for b in term.blocks] == ["s(conc):TypeQuebec", "s(conc):TypeMississippi"]
    assert term.fixed_names == ["sconc:TypeQuebec_1", "sconc:TypeMississippi_1"]
    quebec = (co2["Type"] == "Quebec").to_numpy()
    assert np.all(term.Xf[~quebec, 0] == 0) and np.all(term.blocks[1].Z[quebec] == 0)
    y = co2["uptake"].to_numpy(float)
    miss = (co2["Type"] == "Mississippi").to_numpy(float)[:, None]
    nd = pd.DataFrame(entry["newdata"])
    nd["Type"] = pd.Categorical(nd["Type"], categories=["Quebec", "Mississippi"])
    coef = check_against_mgcv(entry, [term], y, nd, miss,
                              (nd["Type"] == "Mississippi").to_numpy(float)[:, None])
    assert rel(mgcv_coefficients([term], coef, 2), list(entry["coef"].values())) < 1e-9


def test_cyclic_with_period_knots(ref, nottem):
    entry = ref["nottem_cc"]
    cc = fit_smooth(SmoothSpec("s", ("month",), bs="cc", k=12,
                               knots={"month": [0.5, 12.5]}), nottem)
    cr = fit_smooth(SmoothSpec("s", ("time",), bs="cr", k=10), nottem)
    assert cc.Xf.shape[1] == 0 and cc.blocks[0].Z.shape[1] == 10
    y = nottem["temp"].to_numpy(float)
    coef = check_against_mgcv(entry, [cc, cr], y, pd.DataFrame(entry["newdata"]))
    assert rel(mgcv_coefficients([cc, cr], coef, 1), list(entry["coef"].values())) < 1e-9
    # periodic: the basis at the period's ends (0.5 and 12.5) is the same
    Xf0, (Z0,) = evaluate_smooth(cc.state, {"month": np.array([0.5])})
    Xf1, (Z1,) = evaluate_smooth(cc.state, {"month": np.array([12.5])})
    assert np.allclose(Z0, Z1, atol=1e-12)


def test_factor_smooth_interaction(ref, co2):
    """Everything but the null-space basis is mgcv's: mgcv's basis of the two-dimensional
    null space is whatever LAPACK returns for a repeated zero eigenvalue (set by rounding), ours
    is canonical (constant, centred linear). Rotating ours by the one angle that reproduces
    mgcv's reproduces its fit at its sp exactly, S.scale included."""
    entry = ref["co2_fs"]
    spec = SmoothSpec("s", ("conc", "Plant"), bs="fs", k=4)
    term = fit_smooth(spec, co2)
    assert [b.name for b in term.blocks] == ["sconcPlant_1", "sconcPlant_2", "sconcPlant_3"]
    assert [b.sp_labels for b in term.blocks] == [["s(conc,Plant)1"], ["s(conc,Plant)2"],
                                                  ["s(conc,Plant)3"]]
    assert [b.Z.shape[1] for b in term.blocks] == [24, 12, 12] and term.Xf.shape[1] == 0
    assert np.allclose(term.blocks[1].Z.sum(axis=1), term.blocks[1].Z.max(axis=1))
    assert np.ptp(term.blocks[1].Z[term.blocks[1].Z != 0]) < 1e-12  # random intercepts
    sc = smooth_con(spec, co2)
    Xb, codes = sc.raw.Xb, sc.raw.codes
    y = co2["uptake"].to_numpy(float)
    miss = (co2["Type"] == "Mississippi").to_numpy(float)
    sp = list(entry["sp"].values())
    rank = sc.raw.rank

    def misfit(theta: float) -> float:
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        X = np.column_stack([Xb[:, :rank], Xb[:, rank:] @ rot])
        maXX = np.max(np.abs(X).sum(axis=1)) ** 2  # S.scale's denominator
        A = np.column_stack([np.ones_like(y), miss, expand_levels(X, codes, 12)])
        d = np.tile(maXX * np.r_[np.full(rank, sp[0]), sp[1], sp[2]], 12)
        coef = np.linalg.solve(A.T @ A + np.diag(np.r_[0, 0, d]), A.T @ y)
        return float(np.max(np.abs(A @ coef - np.array(entry["fitted"]))))

    grid = np.linspace(0, np.pi, 181)
    best = grid[int(np.argmin([misfit(t) for t in grid]))]
    res = minimize_scalar(misfit, bounds=(best - 0.02, best + 0.02), method="bounded",
                          options={"xatol": 1e-12})
    assert res.fun < 1e-8 * np.max(entry["fitted"])
    fitted, *_ = penalized_fit([term], y, entry["sp"], miss[:, None])
    assert 1e-4 < rel(fitted, entry["fitted"]) < 0.05  # the canonical basis: a different fit


def mixed_model_reml(terms: list[SmoothTerm], y, sp: dict, scale: float, extra=None) -> float:
    """The restricted likelihood criterion (-log) of the mixed-model form (fixed: intercept,
    ``extra``, every ``Xf``; random: the blocks with precision ``sum_j sp_j P_j / scale``) at
    fixed ``sp`` and ``scale``, in penalized form (Harville 1977) plus the terms' offsets."""
    _, coef, A, Hinv = penalized_fit(terms, y, sp, extra)
    p_fixed = 1 + (0 if extra is None else extra.shape[1]) + sum(t.Xf.shape[1] for t in terms)
    log_det_prec = 0.0
    pen = 0.0
    pos = p_fixed
    for t in terms:
        for b in t.blocks:
            q = b.Z.shape[1]
            lam = [sp[label] for label in b.sp_labels]
            M = lam[0] * np.eye(q) if b.penalties is None else sum(
                s * P for s, P in zip(lam, b.penalties, strict=True))
            log_det_prec += np.linalg.slogdet(M)[1]
            pen += coef[pos : pos + q] @ M @ coef[pos : pos + q]
            pos += q
    n = len(y)
    rss = np.sum((np.asarray(y, dtype=float) - A @ coef) ** 2)
    return float((rss + pen) / (2 * scale) + (n - p_fixed) / 2 * np.log(2 * np.pi * scale)
                 - 0.5 * np.linalg.slogdet(Hinv)[1] - 0.5 * log_det_prec
                 + sum(t.reml_offset for t in terms))


def test_reml_offset_gives_mgcv_reml_score(ref, air, co2, nottem):
    """mgcv's REML score (``gam(method = "REML")``) at its own sp and scale equals the mixed
    model's restricted likelihood criterion plus the terms' ``reml_offset``: single-penalty,
    multi-penalty (te, ti), separable (t2), 2-D tp, by-factor and cyclic terms."""
    y = air["Ozone"].to_numpy(float)
    cases = [
        ("air_te", [fit_smooth(SmoothSpec("te", ("Temp", "Wind"), k=5), air)], y, None),
        ("air_ti", [fit_smooth(SmoothSpec("ti", v, k=5), air)
                    for v in (("Temp",), ("Wind",), ("Temp", "Wind"))], y, None),
        ("air_t2", [fit_smooth(SmoothSpec("t2", ("Temp", "Wind"), k=5), air)], y, None),
        ("air_tp2d", [fit_smooth(SmoothSpec("s", ("Temp", "Wind")), air)], y, None),
        ("co2_by_factor", [fit_smooth(SmoothSpec("s", ("conc",), k=5, by="Type"), co2)],
         co2["uptake"].to_numpy(float),
         (co2["Type"] == "Mississippi").to_numpy(float)[:, None]),
        ("nottem_cc", [fit_smooth(SmoothSpec("s", ("month",), bs="cc", k=12,
                                             knots={"month": [0.5, 12.5]}), nottem),
                       fit_smooth(SmoothSpec("s", ("time",), bs="cr", k=10), nottem)],
         nottem["temp"].to_numpy(float), None),
    ]
    for name, terms, yy, extra in cases:
        entry = ref[name]
        score = mixed_model_reml(terms, yy, entry["sp"], entry["scale"], extra)
        assert abs(score - entry["reml"]) < 1e-8 * entry["reml"], name
    assert ref["air_tp2d"]["reml"] - 499.3 > 0 and abs(cases[3][1][0].reml_offset) > 1


# ---------------------------------------------------------------------------------------------
# state round trip and new data
# ---------------------------------------------------------------------------------------------

def all_terms(air, co2, nottem):
    return [
        (fit_smooth(SmoothSpec("te", ("Temp", "Wind"), k=5), air), air, True),
        (fit_smooth(SmoothSpec("ti", ("Temp", "Wind"), k=(5, 4), bs=("cr", "ps")), air), air,
         True),
        (fit_smooth(SmoothSpec("t2", ("Temp", "Wind"), k=5), air), air, True),
        (fit_smooth(SmoothSpec("te", ("Temp", "Wind"), k=(4, 5), bs=("tp", "cr")), air), air,
         False),
        (fit_smooth(SmoothSpec("s", ("Temp", "Wind")), air), air, False),
        (fit_smooth(SmoothSpec("s", ("conc",), k=5, by="Type"), co2), co2, False),
        (fit_smooth(SmoothSpec("s", ("conc",), bs="cr", k=5, by="Type"), co2), co2, True),
        (fit_smooth(SmoothSpec("s", ("conc", "Plant"), bs="fs", k=4), co2), co2, False),
        (fit_smooth(SmoothSpec("s", ("Plant", "conc"), bs="re"), co2), co2, True),
        (fit_smooth(SmoothSpec("s", ("month",), bs="cc", k=12, knots={"month": [0.5, 12.5]}),
                    nottem), nottem, True),
        (fit_smooth(SmoothSpec("s", ("time",), bs="ps", k=8, by="month"), nottem), nottem, True),
    ]


def test_state_round_trip_and_new_data(air, co2, nottem):
    for term, data, exact in all_terms(air, co2, nottem):
        text = json.dumps(term.state)
        back = SmoothTerm.from_state(json.loads(text), data)
        Xf, Zs = evaluate_smooth(term.state, data)
        assert np.array_equal(back.Xf, Xf) and back.fixed_names == term.fixed_names
        for b0, b1, Z in zip(term.blocks, back.blocks, Zs, strict=True):
            assert np.array_equal(b1.Z, Z) and b1.name == b0.name
            assert b1.sp_labels == b0.sp_labels and b1.reml_offset == b0.reml_offset
            if b0.penalties is not None:
                assert all(np.array_equal(p0, p1)
                           for p0, p1 in zip(b0.penalties, b1.penalties, strict=True))
            # evaluation on the fitting data gives the fitted columns (tp: to the Lanczos
            # tolerance, as mgcv's own predict)
            if exact:
                assert np.array_equal(Z, b0.Z), term.label
            else:
                assert np.max(np.abs(Z - b0.Z)) < 1e-9 * max(1, np.max(np.abs(b0.Z)))
        assert np.max(np.abs(Xf - term.Xf), initial=0) < 1e-9
        assert np.array_equal(back.coef_map, term.coef_map)


def test_r_random_numbers():
    """R's set.seed/runif/sample (R >= 3.6), which mgcv's knot subsample uses."""
    gen = r_set_seed(1)
    assert [round(r_unif_rand(gen), 7) for _ in range(3)] == [0.2655087, 0.3721239, 0.5728534]
    assert list(r_sample(10, 10, 1) + 1) == [9, 4, 7, 1, 2, 5, 3, 10, 6, 8]
    assert list(r_sample(5, 5, 42) + 1) == [1, 5, 4, 3, 2]
    assert list(r_sample(30, 10, 20) + 1) == [6, 11, 24, 2, 25, 27, 13, 9, 3, 28]
    assert [r_as_character(v) for v in (1e5, 123456.0, 0.1 + 0.2, -0.25, 1e-4, 2 / 3)] == [
        "1e+05", "123456", "0.3", "-0.25", "1e-04", "0.666666666666667"]


def test_thin_plate_knot_subsample_is_seeded_and_stored():
    rng = np.random.default_rng(3)
    data = {"x": rng.uniform(0, 10, 2600)}
    a = fit_smooth(SmoothSpec("s", ("x",), k=8), data, seed=1)
    c = fit_smooth(SmoothSpec("s", ("x",), k=8), data, seed=2)
    assert not np.allclose(a.blocks[0].Z, c.blocks[0].Z)
    new = {"x": np.linspace(-1, 11, 50)}
    state = json.loads(json.dumps(a.state))
    assert np.array_equal(evaluate_smooth(state, new)[1][0], evaluate_smooth(a.state, new)[1][0])
    # knots are a stored 2000-row subsample; the training columns come back from the state
    assert np.array_equal(evaluate_smooth(state, data)[1][0], a.blocks[0].Z)
    assert a.state["con"]["raw"]["margin"]["basis"]["knots"]["shape"] == [2000, 1]
    two = {"x": data["x"][:2100], "z": rng.uniform(0, 1, 2100)}
    b2 = fit_smooth(SmoothSpec("s", ("x", "z"), k=12), two)
    assert b2.state["con"]["raw"]["margin"]["basis"]["knots"]["shape"] == [2000, 2]
    assert np.array_equal(evaluate_smooth(json.loads(json.dumps(b2.state)), two)[1][0],
                          b2.blocks[0].Z)


def test_random_effects_and_numeric_by(co2):
    g = fit_smooth(SmoothSpec("s", ("Plant",), bs="re"), co2)
    ind = np.array([[p == lev for lev in CO2_PLANTS] for p in co2["Plant"]], dtype=float)
    assert np.array_equal(g.blocks[0].Z, ind[:, ::-1])  # LAPACK's order, as brms's Zs
    assert g.S_scale == [1.0] and g.Xf.shape[1] == 0
    slope = fit_smooth(SmoothSpec("s", ("Plant", "conc"), bs="re"), co2)
    conc = co2["conc"].to_numpy(float)
    assert np.allclose(slope.blocks[0].Z, (ind * conc[:, None] / conc.max())[:, ::-1])
    assert slope.blocks[0].name == "sPlantconc_1"
    by = fit_smooth(SmoothSpec("s", ("uptake",), bs="cr", k=6, by="conc"), co2)
    plain = smooth_con(SmoothSpec("s", ("uptake",), bs="cr", k=6), co2).raw.X
    # no centring constraint: the columns span z times the raw basis (6 columns)
    cols = np.hstack([by.Xf] + [b.Z for b in by.blocks])
    target = plain * conc[:, None]
    fitc = np.linalg.lstsq(cols, target, rcond=None)[0]
    assert cols.shape[1] == 6 and np.max(np.abs(cols @ fitc - target)) < 1e-9
    assert by.blocks[0].term == "s(uptake):conc" and by.fixed_names[0] == "suptake:conc_1"


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

def test_errors_name_the_term_and_the_fix(air, co2, nottem):
    with pytest.raises(ValueError, match=r"te\(conc,Type\).*'Type' is a factor"):
        fit_smooth(SmoothSpec("te", ("conc", "Type")), co2)
    with pytest.raises(ValueError, match=r"s\(conc\).*by column 'Typo' is not in the data"):
        fit_smooth(SmoothSpec("s", ("conc",), by="Typo"), co2)
    with pytest.raises(ValueError, match=r"cyclic knots \(1, 11\) do not span the data"):
        fit_smooth(SmoothSpec("s", ("month",), bs="cc", knots={"month": [1, 11]}), nottem)
    with pytest.raises(ValueError, match="insufficient unique values .* reduce k"):
        fit_smooth(SmoothSpec("s", ("conc",), bs="cr", k=10), co2)
    with pytest.raises(ValueError, match="fewer unique covariate combinations"):
        fit_smooth(SmoothSpec("s", ("conc",), k=10), co2)
    with pytest.raises(ValueError, match=r"fs.*convert it with .astype\('category'\)"):
        fit_smooth(SmoothSpec("s", ("conc", "uptake"), bs="fs"), co2)
    for k in (0, -5):
        with pytest.raises(ValueError, match=f"k={k} is not a basis dimension"):
            fit_smooth(SmoothSpec("s", ("Temp",), k=k), air)
    with pytest.warns(UserWarning, match="increased to 3"):
        small = fit_smooth(SmoothSpec("s", ("Temp",), k=1), air)
    assert small.Xf.shape[1] + sum(b.Z.shape[1] for b in small.blocks) == 2
    with pytest.warns(UserWarning, match="increased to 3"):
        fit_smooth(SmoothSpec("s", ("Temp",), bs="tp", k=2), air)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        default = fit_smooth(SmoothSpec("s", ("Temp",), k=-1), air)
    assert default.blocks[0].Z.shape[1] == 8
