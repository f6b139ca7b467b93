"""te, ti, t2, s(x, z), by, fs and cc smooths as a Design carries them: brms's names, what the
REML engine reads (penalties and smoothing-parameter labels per block, S.scale, the maps back to
mgcv's coefficients), and the prior the Bayesian backends put on them, tied to mgcv 1.8-41's
REML fits (shared/fixtures/mgcv_smooths2.json) without sampling.

The tie: with ``sds_k = sqrt(scale / sp_k)`` and ``sigma² = scale`` at mgcv's REML estimates,
the posterior mean of the coefficients given those scales is mgcv's penalized fit, for the iid
blocks (t2, by, cc, s(x, z)) and the MultiPenalty blocks (te, ti) alike.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import FIXTURES

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY

AIR_TE = "Ozone ~ te(Temp, Wind, k=5)"
AIR_T2 = "Ozone ~ t2(Temp, Wind, k=5)"
NOTTEM = 'temp ~ s(month, bs="cc", k=12) + s(time, bs="cr", k=10)'
NOTTEM_KNOTS = {"month": [0.5, 12.5]}

#: fixture entry -> (dataset, formula as written here, knots)
CASES = {
    "air_te": ("air", AIR_TE, None),
    "air_ti": ("air", "Ozone ~ ti(Temp, k=5) + ti(Wind, k=5) + ti(Temp, Wind, k=5)", None),
    "air_t2": ("air", AIR_T2, None),
    "air_tp2d": ("air", "Ozone ~ s(Temp, Wind)", None),
    "co2_by_factor": ("co2", "uptake ~ Type + s(conc, by=Type, k=5)", None),
    "nottem_cc": ("nottem", NOTTEM, NOTTEM_KNOTS),
}


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((FIXTURES / "mgcv_smooths2.json").read_text())


@pytest.fixture(scope="module")
def datasets() -> dict:
    return {"air": bz.datasets.load_airquality(dropna=True), "co2": bz.datasets.load_co2(),
            "nottem": bz.datasets.load_nottem()}


def build(case: str, datasets):
    name, formula, knots = CASES[case]
    return bz.design(formula, datasets[name], knots=knots)


def rel(a, b) -> float:
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(np.asarray(a, dtype=float) - b)) / np.max(np.abs(b)))


# ---------------------------------------------------------------------------------------------
# brms's names
# ---------------------------------------------------------------------------------------------

def names(d):
    return (d.fixed_params, [[s.name for s in b.names.scales] for b in d.blocks],
            [b.names.coef for b in d.blocks])


def test_brms_names(datasets):
    """brms 2.18's rules: ``Xs`` columns ``rename(<mgcv label>_<j>)`` (``bs_`` parameters; the
    colon of a by-level label stays), smooth labels ``<sfun><vars><by><level>`` (``tidy_smef``)
    and one ``sds_<label>_<j>`` / ``s_<label>_<j>`` per penalized block of ``smooth2random``."""
    fixed, scales, coefs = names(build("air_t2", datasets))
    assert fixed == ["b_Intercept", "bs_t2TempWind_1", "bs_t2TempWind_2", "bs_t2TempWind_3"]
    assert scales == [["sds_t2TempWind_1"], ["sds_t2TempWind_2"], ["sds_t2TempWind_3"]]
    assert coefs == ["s_t2TempWind_1", "s_t2TempWind_2", "s_t2TempWind_3"]
    fixed, scales, coefs = names(build("co2_by_factor", datasets))
    assert fixed == ["b_Intercept", "b_TypeMississippi", "bs_sconc:TypeQuebec_1",
                     "bs_sconc:TypeMississippi_1"]
    assert scales == [["sds_sconcTypeQuebec_1"], ["sds_sconcTypeMississippi_1"]]
    assert coefs == ["s_sconcTypeQuebec_1", "s_sconcTypeMississippi_1"]
    fixed, scales, _ = names(build("air_tp2d", datasets))
    assert fixed == ["b_Intercept", "bs_sTempWind_1", "bs_sTempWind_2"]
    assert scales == [["sds_sTempWind_1"]]
    fixed, scales, _ = names(build("nottem_cc", datasets))
    assert fixed == ["b_Intercept", "bs_stime_1"]  # a cyclic smooth has no null space left
    assert scales == [["sds_smonth_1"], ["sds_stime_1"]]
    fs = bz.design('uptake ~ Type + s(conc, Plant, bs="fs", k=4)', datasets["co2"])
    assert names(fs)[1] == [["sds_sconcPlant_1"], ["sds_sconcPlant_2"], ["sds_sconcPlant_3"]]
    # te, which brms refuses: one block, one sds per margin penalty
    fixed, scales, coefs = names(build("air_te", datasets))
    assert fixed == ["b_Intercept", "bs_teTempWind_1", "bs_teTempWind_2", "bs_teTempWind_3"]
    assert scales == [["sds_teTempWind_1", "sds_teTempWind_2"]]
    assert coefs == ["s_teTempWind_1"]


# ---------------------------------------------------------------------------------------------
# what REML reads, and the prior tied to REML's penalty
# ---------------------------------------------------------------------------------------------

def smooth_blocks(d):
    return [b for b in d.blocks if b.sp_labels]


@pytest.mark.parametrize("case", sorted(CASES))
def test_design_carries_mgcvs_smoothing_parameters(case, ref, datasets):
    """Every smoothing parameter of mgcv's fit is one scale of one block, in mgcv's order;
    ``gam.vcomp``'s standard deviations are ``sqrt(scale · S.scale / sp)`` with the design's
    ``S.scale``."""
    d = build(case, datasets)
    entry = ref[case]
    labels = [lab for b in d.blocks for lab in b.sp_labels]
    assert labels == list(entry["sp"])
    for sm in d.smooths:  # edf per term: every column and block knows its mgcv label
        assert len(sm.fixed_terms) == len(sm.fixed_columns)
        assert set(sm.fixed_terms) <= {d.blocks[j].term for j in sm.blocks} | {sm.term}
    assert {b.term for b in d.blocks} == set(entry["edf_terms"])
    for b in d.blocks:
        assert len(b.sp_labels) == len(b.names.scales)
        penalties = getattr(b.structure, "penalties", None)
        assert (penalties is None) == (b.structure.kind == "iid")
        if penalties is not None:
            assert len(penalties) == len(b.sp_labels)
            assert all(P.shape == (b.size, b.size) for P in penalties)
    S_scale = {k: v for sm in d.smooths for k, v in sm.S_scale.items()}
    vcomp = dict(zip(entry["vcomp"]["rows"], entry["vcomp"]["sd"], strict=True))
    for label, sp in entry["sp"].items():
        assert abs(np.sqrt(entry["scale"] * S_scale[label] / sp) / vcomp[label] - 1) < 1e-5


def prior_precision(block, sds: list[float]) -> np.ndarray:
    """The inverse of the prior covariance ``C Cᵀ`` the block's structure implies."""
    q = block.size
    C = block.structure.coefficients([np.asarray(s) for s in sds], np.eye(q), NUMPY).T
    return np.linalg.inv(C @ C.T)


@pytest.mark.parametrize("case", sorted(CASES))
def test_prior_at_remls_scales_gives_remls_fit(case, ref, datasets):
    """Given ``sds_k = sqrt(scale / sp_k)`` and ``sigma² = scale`` (flat priors on the fixed
    columns), the posterior mean is mgcv's fit: fitted values, and through the design's
    ``coef_map`` (``mgcv_coef_map`` for t2, whose ``coef()`` is in the prediction
    parameterization) mgcv's coefficients."""
    d = build(case, datasets)
    entry = ref[case]
    scale = entry["scale"]
    A = np.hstack([d.X] + [b.Z for b in d.blocks])
    P = np.zeros((A.shape[1],) * 2)
    start = d.X.shape[1]
    offsets = []
    for b in d.blocks:
        sds = [np.sqrt(scale / entry["sp"][lab]) for lab in b.sp_labels]
        P[start : start + b.size, start : start + b.size] = scale * prior_precision(b, sds)
        offsets.append(start)
        start += b.size
    theta = np.linalg.solve(A.T @ A + P, A.T @ d.y)
    assert rel(A @ theta, entry["fitted"]) < 1e-7
    for j, column in enumerate(d.column_names):  # parametric columns (TypeMississippi)
        if column in entry["coef"]:
            assert abs(theta[j] / entry["coef"][column] - 1) < 1e-6, column
    intercept = theta[d.column_names.index("Intercept")]
    for sm in d.smooths:
        th = np.concatenate([theta[sm.fixed_columns]]
                            + [theta[offsets[j] : offsets[j] + d.blocks[j].size]
                               for j in sm.blocks])
        mine = sm.mgcv_coef_map @ th
        intercept += sm.mgcv_intercept_shift @ th
        theirs = np.array([entry["coef"][name] for name in sm.coef_names])
        if sm.term.startswith("t2("):  # t2's columns are mgcv's up to the sign of each
            mine, theirs = np.abs(mine), np.abs(theirs)
        assert rel(mine, theirs) < 1e-6, sm.term
    assert abs(intercept - entry["coef"]["(Intercept)"]) < 1e-6 * abs(entry["coef"]["(Intercept)"])


def test_factor_smooth_blocks_carry_their_labels(ref, datasets):
    d = bz.design('uptake ~ Type + s(conc, Plant, bs="fs", k=4)', datasets["co2"])
    assert [b.sp_labels for b in d.blocks] == [(lab,) for lab in ref["co2_fs"]["sp"]]
    assert list(d.smooths[0].S_scale) == list(ref["co2_fs"]["sp"])
    assert d.smooths[0].coef_map.shape == (48, 48)
