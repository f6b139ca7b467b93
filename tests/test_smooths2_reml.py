"""REML of te, ti, t2, 2-D thin plate, by= and cyclic smooths against mgcv 1.8-41
(shared/fixtures/mgcv_smooths2.json): REML score, sp, edf per term, fitted values, predictions
and their standard errors to 1e-4 relative, and gam.vcomp's standard deviations.

At mgcv's smoothing parameters the fit is mgcv's to rounding (the criterion to 1e-9): the
design, penalties and criterion are the same. With estimated smoothing parameters two fits
have a penalty on a flat tail of the criterion (t2's ``rn`` and ti's interaction ``1``: the
term is a straight line in that direction); mgcv's Newton stops there as soon as that gradient
component is small, this engine follows the tail further, to a criterion lower by 1e-4 to 2e-4.
There the smoothing parameter is only known to be large, and the fit agrees with mgcv's to a
few 1e-4. The factor-smooth fit (co2 ``fs``) is left out: mgcv's basis of its two-dimensional
null space is whatever LAPACK returns for a repeated zero eigenvalue, and each null-space
direction has its own penalty, so the canonical basis here is a different model
(tests/test_smooths2.py).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

import bayeszoo as bz

CASES = {
    "air_te": ("air", "Ozone ~ te(Temp, Wind, k=5)", None),
    "air_ti": ("air", "Ozone ~ ti(Temp, k=5) + ti(Wind, k=5) + ti(Temp, Wind, k=5)", None),
    "air_t2": ("air", "Ozone ~ t2(Temp, Wind, k=5)", None),
    "air_tp2d": ("air", "Ozone ~ s(Temp, Wind)", None),
    "co2_by_factor": ("co2", "uptake ~ Type + s(conc, by=Type, k=5)", None),
    "nottem_cc": ("nottem", 'temp ~ s(month, bs="cc", k=12) + s(time, bs="cr", k=10)',
                  {"month": [0.5, 12.5]}),
}
#: smoothing parameters on a flat tail of the criterion (see the module docstring)
FLAT = {"air_t2": ["t2(Temp,Wind)rn"], "air_ti": ["ti(Temp,Wind)1"]}
TOL = 1e-4


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((FIXTURES / "mgcv_smooths2.json").read_text())


@pytest.fixture(scope="module")
def designs() -> dict:
    data = {"air": bz.datasets.load_airquality(dropna=True), "co2": bz.datasets.load_co2(),
            "nottem": bz.datasets.load_nottem()}
    return {case: bz.design(formula, data[name], knots=knots)
            for case, (name, formula, knots) in CASES.items()}


@pytest.fixture(scope="module")
def fits(designs) -> dict:
    return {case: bz.reml(d) for case, d in designs.items()}


def rel(a, b) -> float:
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(np.asarray(a, dtype=float) - b)) / np.max(np.abs(b)))


def _check_fit(fit, entry, tol: float) -> None:
    for term, edf in entry["edf_terms"].items():
        assert rel(fit.edf[term], edf) < tol, term
    assert rel(fit.edf_total, entry["edf_total"]) < tol
    assert rel(fit.scale, entry["scale"]) < tol
    assert rel(fit.fitted, entry["fitted"]) < tol
    pred, se = fit.predict(pd.DataFrame(entry["newdata"]), se=True)
    assert rel(pred, entry["pred"]) < tol
    assert rel(se, entry["pred_se"]) < tol


@pytest.mark.parametrize("case", sorted(CASES))
def test_at_mgcvs_smoothing_parameters_the_fit_is_mgcvs(case, designs, ref):
    entry = ref[case]
    fit = bz.reml(designs[case], sp=entry["sp"])
    assert fit.reml_score == pytest.approx(entry["reml"], rel=1e-9)
    _check_fit(fit, entry, 1e-6)
    vc = fit.vcomp()
    for row, sd in zip(entry["vcomp"]["rows"], entry["vcomp"]["sd"], strict=True):
        assert rel(vc.loc[row, "std.dev"], sd) < 1e-6, row


@pytest.mark.parametrize("case", sorted(CASES))
def test_estimated_smoothing_parameters(case, fits, ref):
    fit, entry = fits[case], ref[case]
    flat = FLAT.get(case, [])
    assert fit.reml_score <= entry["reml"] + 1e-9  # never a worse optimum than mgcv's
    assert rel(fit.reml_score, entry["reml"]) < TOL
    for label, sp in entry["sp"].items():
        if label in flat:
            assert fit.sp[label] > sp, label
        else:
            assert rel(fit.sp[label], sp) < TOL, label
    _check_fit(fit, entry, 5e-4 if flat else TOL)
    vc = fit.vcomp()
    for row, sd in zip(entry["vcomp"]["rows"], entry["vcomp"]["sd"], strict=True):
        if row not in flat:
            assert rel(vc.loc[row, "std.dev"], sd) < TOL, row
