"""REML of te, ti, t2, 2-D thin plate, by= and cyclic smooths against mgcv 1.8-41
(shared/fixtures/mgcv_smooths2.json): REML score, sp, edf per term, fitted values, predictions
and their standard errors to 1e-4 relative, and gam.vcomp's standard deviations.

Written against the REML API of issue 16 (``bz.reml(design)``, ``RemlFit.reml_score``, ``sp``
and ``vcomp()`` keyed by mgcv's smoothing-parameter labels, ``edf`` by mgcv's term labels,
``fitted``, ``predict(newdata, se=True)``); marked ``reml_pending`` until the multi-penalty
engine is wired to the Design. The factor-smooth fit (co2 ``fs``) is left out: mgcv's basis of
its two-dimensional null space is whatever LAPACK returns for a repeated zero eigenvalue, and
each null-space direction has its own penalty, so the canonical basis here is a different model
(tests/test_smooths2.py).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

import bayeszoo as bz

pytestmark = pytest.mark.reml_pending

CASES = {
    "air_te": ("air", "Ozone ~ te(Temp, Wind, k=5)", None),
    "air_ti": ("air", "Ozone ~ ti(Temp, k=5) + ti(Wind, k=5) + ti(Temp, Wind, k=5)", None),
    "air_t2": ("air", "Ozone ~ t2(Temp, Wind, k=5)", None),
    "air_tp2d": ("air", "Ozone ~ s(Temp, Wind)", None),
    "co2_by_factor": ("co2", "uptake ~ Type + s(conc, by=Type, k=5)", None),
    "nottem_cc": ("nottem", 'temp ~ s(month, bs="cc", k=12) + s(time, bs="cr", k=10)',
                  {"month": [0.5, 12.5]}),
}
TOL = 1e-4


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((FIXTURES / "mgcv_smooths2.json").read_text())


@pytest.fixture(scope="module")
def fits() -> dict:
    data = {"air": bz.datasets.load_airquality(dropna=True), "co2": bz.datasets.load_co2(),
            "nottem": bz.datasets.load_nottem()}
    out = {}
    for case, (name, formula, knots) in CASES.items():
        out[case] = bz.reml(bz.design(formula, data[name], knots=knots))
    return out


def rel(a, b) -> float:
    b = np.asarray(b, dtype=float)
    return float(np.max(np.abs(np.asarray(a, dtype=float) - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_reml_score_sp_and_edf(case, fits, ref):
    fit, entry = fits[case], ref[case]
    assert rel(fit.reml_score, entry["reml"]) < TOL
    for label, sp in entry["sp"].items():
        assert rel(fit.sp[label], sp) < TOL, label
    for term, edf in entry["edf_terms"].items():
        assert rel(fit.edf[term], edf) < TOL, term
    assert rel(fit.edf_total, entry["edf_total"]) < TOL
    assert rel(fit.scale, entry["scale"]) < TOL


@pytest.mark.parametrize("case", sorted(CASES))
def test_fitted_predictions_and_standard_errors(case, fits, ref):
    fit, entry = fits[case], ref[case]
    assert rel(fit.fitted, entry["fitted"]) < TOL
    pred, se = fit.predict(pd.DataFrame(entry["newdata"]), se=True)
    assert rel(pred, entry["pred"]) < TOL
    assert rel(se, entry["pred_se"]) < TOL


@pytest.mark.parametrize("case", sorted(CASES))
def test_variance_components(case, fits, ref):
    vc = fits[case].vcomp()
    entry = ref[case]
    for row, sd in zip(entry["vcomp"]["rows"], entry["vcomp"]["sd"], strict=True):
        assert rel(vc.loc[row, "std.dev"], sd) < TOL, row
