"""REML/ML of correlated group-level terms from the formula against lme4's ``lmer`` of
sleepstudy: criterion, fixed effects, VarCorr, conditional modes and fitted values."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

import bayeszoo as bz

CORR = "Reaction ~ Days + (Days | Subject)"
UNCORR = "Reaction ~ Days + (Days || Subject)"


@pytest.fixture(scope="module")
def lme4_ref() -> dict:
    return json.loads((FIXTURES / "lme4_reference.json").read_text())


@pytest.fixture(scope="module")
def sleep():
    return bz.datasets.load_sleepstudy()


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)[["grp", "var1", "var2", "sdcor"]]


def _strings(column) -> list:
    """A text column with missing entries as ``None``."""
    return [None if pd.isna(v) else v for v in column]


@pytest.mark.parametrize("key, formula, method", [
    ("sleep_corr_reml", CORR, "REML"), ("sleep_corr_ml", CORR, "ML"),
    ("sleep_uncorr_reml", UNCORR, "REML")])
def test_reml_matches_lmer(lme4_ref, sleep, key, formula, method):
    """lme4's ``lmer`` of sleepstudy from the formula: criterion to 1e-6 relative; fixed
    effects, their se (lme4's, from the scale at the optimum), sigma, sds and correlations to
    1e-4 relative; conditional modes and fitted values to 1e-4 of their sd."""
    from bayeszoo.penalized.lme4 import fixef

    ref = lme4_ref[key]
    fit = bz.reml(formula, sleep, method=method)
    assert fit.criterion == pytest.approx(ref["criterion"], rel=1e-6)
    est, se = fixef(fit.engine)
    np.testing.assert_allclose(est, list(ref["fixef"].values()), rtol=1e-4)
    np.testing.assert_allclose(se, list(ref["fixef_se"].values()), rtol=1e-4)
    vc = fit.varcorr()
    expected = _frame(ref["varcorr"])
    assert list(vc["grp"]) == list(expected["grp"])
    assert _strings(vc["var1"]) == _strings(expected["var1"])
    np.testing.assert_allclose(vc["sdcor"], expected["sdcor"], rtol=1e-4)
    modes = fit.ranef()["Subject"]
    assert list(modes.index) == lme4_ref[key]["ranef"]["Subject"]["levels"]
    for col, values in ref["ranef"]["Subject"]["columns"].items():
        values = np.asarray(values)
        assert np.abs(modes[col].to_numpy() - values).max() < 1e-4 * values.std()
    fitted = np.asarray(ref["fitted"])
    assert np.abs(np.asarray(fit.fitted).ravel() - fitted).max() < 1e-4 * fitted.std()
