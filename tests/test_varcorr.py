"""lme4's VarCorr and ranef tables of a design (:mod:`bayeszoo.inference.varcorr`), filled with
lme4's own estimates of sleepstudy; and REML/ML of correlated terms from the formula against
``lmer``."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

import bayeszoo as bz
from bayeszoo.formula import design as make_design
from bayeszoo.inference.varcorr import lme4_terms, r_make_names, ranef_frames, varcorr_frame

CORR = "Reaction ~ Days + (Days | Subject)"
UNCORR = "Reaction ~ Days + (Days || Subject)"


@pytest.fixture(scope="module")
def lme4_ref() -> dict:
    return json.loads((FIXTURES / "lme4_reference.json").read_text())


@pytest.fixture(scope="module")
def sleep():
    return bz.datasets.load_sleepstudy()


@pytest.fixture(scope="module")
def synth():
    rng = np.random.default_rng(3)
    n = 400
    return pd.DataFrame({
        "y": rng.normal(size=n), "x": rng.normal(size=n),
        "g": pd.Categorical(rng.choice([f"g{i}" for i in range(8)], n)),
        "h": pd.Categorical(rng.choice(["u", "v", "w"], n), categories=["w", "v", "u"]),
        "f": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "hi"]),
    })


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)[["grp", "var1", "var2", "sdcor"]]


def _strings(column) -> list:
    """A text column with missing entries as ``None``."""
    return [None if pd.isna(v) else v for v in column]


def _inputs(ref: dict, design) -> tuple[list, list]:
    """The fixture's sds and correlations per block of the design."""
    rows = ref["varcorr"]
    sd = {r["var1"]: r["sdcor"] for r in rows if r["var2"] is None and r["var1"]}
    names = {"Intercept": "(Intercept)", "Days": "Days"}
    sds, cors = [], []
    for b in design.blocks:
        coefs = getattr(b.structure, "coefs", (b.coef,))
        sds.append(np.array([sd[names[c]] for c in coefs]) if len(coefs) > 1 else
                   sd[names[coefs[0]]])
        if len(coefs) > 1:
            rho = next(r["sdcor"] for r in rows if r["var2"] is not None)
            cors.append(np.array([[1.0, rho], [rho, 1.0]]))
        else:
            cors.append(None)
    return sds, cors


@pytest.mark.parametrize("key, formula", [("sleep_corr_reml", CORR), ("sleep_corr_ml", CORR),
                                          ("sleep_uncorr_reml", UNCORR)])
def test_varcorr_is_lme4s_table(lme4_ref, sleep, key, formula):
    ref = lme4_ref[key]
    d = make_design(formula, sleep)
    sds, cors = _inputs(ref, d)
    got = varcorr_frame(d, sds, cors, ref["sigma"])
    assert list(got.columns) == ["grp", "var1", "var2", "vcov", "sdcor"]
    expected = _frame(ref["varcorr"])
    for col in ("grp", "var1", "var2"):
        assert _strings(got[col]) == _strings(expected[col]), col
    np.testing.assert_allclose(got["sdcor"], expected["sdcor"], rtol=1e-15)
    # vcov: variances, covariance = cor * sd1 * sd2
    sd = got["sdcor"].to_numpy()
    vcov = sd**2
    if key != "sleep_uncorr_reml":
        vcov[2] = sd[2] * sd[0] * sd[1]
    np.testing.assert_allclose(got["vcov"], vcov, rtol=1e-14)
    assert list(varcorr_frame(d, sds, cors, None)["grp"]) == list(expected["grp"])[:-1]


@pytest.mark.parametrize("key, formula", [("sleep_corr_reml", CORR), ("sleep_corr_ml", CORR),
                                          ("sleep_uncorr_reml", UNCORR)])
def test_ranef_is_lme4s_table(lme4_ref, sleep, key, formula):
    """The fixture's conditional modes, laid out in the design's coefficient order (level-major
    for the correlated block), come back as lme4's ``ranef`` table."""
    ref = lme4_ref[key]["ranef"]["Subject"]
    d = make_design(formula, sleep)
    cols = ref["columns"]
    modes = np.column_stack([cols["(Intercept)"], cols["Days"]])
    vector = modes.ravel() if len(d.blocks) == 1 else modes.T.ravel()
    (name, table), = ranef_frames(d, vector).items()
    assert name == "Subject"
    assert list(table.columns) == ["(Intercept)", "Days"]
    assert list(table.index) == ref["levels"]
    np.testing.assert_array_equal(table.to_numpy(), modes)


def test_bad_inputs(sleep):
    d = make_design(CORR, sleep)
    with pytest.raises(ValueError, match="one sd entry and one correlation entry per block"):
        varcorr_frame(d, [], [], 1.0)
    with pytest.raises(ValueError, match="2 x 2 correlation matrix"):
        varcorr_frame(d, [np.array([1.0, 2.0])], [None], 1.0)
    with pytest.raises(ValueError, match="sds of shape"):
        varcorr_frame(d, [1.0], [np.eye(2)], 1.0)
    with pytest.raises(ValueError, match="36 coefficients, got 35"):
        ranef_frames(d, np.zeros(35))


def test_lme4_term_order_and_names(synth):
    """lme4's order: ``a/b`` gives ``b:a`` then ``a``; ``||`` one term per coefficient; terms
    reordered by decreasing number of levels when a later one has more (``mkReTrms``)."""
    terms = lme4_terms(make_design("y ~ (1 | h) + (1 + x | g)", synth))
    assert [(t.group, t.names, t.n_levels) for t in terms] == [
        ("g", ("(Intercept)", "x"), 8), ("h", ("(Intercept)",), 3)]
    terms = lme4_terms(make_design("y ~ (1 + x | g) + (1 | h)", synth))
    assert [t.group for t in terms] == ["g", "h"]
    terms = lme4_terms(make_design("y ~ (1 + x | h/g)", synth))
    assert [(t.group, t.n_levels) for t in terms] == [("g:h", 24), ("h", 3)]
    # (1 + f || h/g) expands to (1 | g:h) + (1 | h) + (0 + f | g:h) + (0 + f | h), whose
    # levels 24, 3, 24, 3 rise once: reordered by rev(order(nl))
    terms = lme4_terms(make_design("y ~ (1 + f || h/g)", synth))
    assert [(t.group, t.names) for t in terms] == [
        ("g:h", ("fhi",)), ("g:h", ("(Intercept)",)), ("h", ("fhi",)), ("h", ("(Intercept)",))]
    # same number of levels: R's rev(order(nl)) reverses ties only when reordering happens
    terms = lme4_terms(make_design("y ~ (1 | h) + (1 | f) + (1 | g)", synth))
    assert [t.group for t in terms] == ["g", "h", "f"]


def test_duplicated_groups_are_made_unique_as_r_does(synth):
    assert r_make_names(["Subject", "Subject"]) == ["Subject", "Subject.1"]
    assert r_make_names(["g:h", "h", "g:h", "g:h"]) == ["g.h", "h", "g.h.1", "g.h.2"]
    assert r_make_names(["a", "a", "a.1"]) == ["a", "a.2", "a.1"]
    assert r_make_names(["1x", ".5", "ok"]) == ["X1x", "X.5", "ok"]
    d = make_design("y ~ (1 + x || h/g)", synth)
    table = varcorr_frame(d, [1.0, 2.0, 3.0, 4.0], [None] * 4, 0.5)
    assert list(table["grp"]) == ["g.h", "g.h.1", "h", "h.1", "Residual"]
    assert _strings(table["var1"]) == ["x", "(Intercept)", "x", "(Intercept)", None]
    # the design's block order: h/Intercept, h/x, h:g/Intercept, h:g/x
    np.testing.assert_array_equal(table["sdcor"], [4.0, 3.0, 2.0, 1.0, 0.5])


def test_ranef_of_a_nested_grouping(synth):
    """``(1 + x | h/g)``: lme4's factor ``g:h`` has levels ``g1:u`` in R's order of ``g:h``
    (``g`` slowest, then ``h`` in its level order ``w, v, u``)."""
    d = make_design("y ~ (1 + x | h/g)", synth)
    inner = d.blocks[1]
    rng = np.random.default_rng(0)
    coefs = [rng.normal(size=b.size) for b in d.blocks]
    frames = ranef_frames(d, np.concatenate(coefs))
    assert list(frames) == ["g:h", "h"]
    table = frames["g:h"]
    order = {"w": 0, "v": 1, "u": 2}
    expected = sorted((lab.split("_") for lab in inner.labels),
                      key=lambda t: (int(t[1][1:]), order[t[0]]))
    assert list(table.index) == [f"{g}:{h}" for h, g in expected]
    by_label = dict(zip(inner.labels, coefs[1].reshape(-1, 2), strict=True))
    for (h, g), row in zip(expected, table.to_numpy(), strict=True):
        np.testing.assert_array_equal(row, by_label[f"{h}_{g}"])
    assert list(frames["h"].index) == ["w", "v", "u"]


# --------------------------------------------------------------------------- REML


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
