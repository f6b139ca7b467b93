"""brms's monotonic effects ``mo(x)``: the cumulative design of an ordinal predictor and of its
interaction with numeric covariates ``mo(x):z``, the state kept in a fit, the simplex with its
Dirichlet prior in the model spec, both builders, the prior table and the summary, and what is
refused (interactions with factors or of two ``mo()``, group-level ``mo()`` without its
population-level term, REML)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES
from reference_data import load

import bayeszoo as bz
from bayeszoo.design import design_arrays, linear_predictor
from bayeszoo.families.ops import NUMPY
from bayeszoo.formula import FormulaError, evaluate_design
from bayeszoo.formula.state import decode, encode
from bayeszoo.formula.term_types import state_from_dict
from bayeszoo.models.prior_table import COLUMNS
from bayeszoo.models.spec import model_spec

FORMULA = "incidence | trials(size) ~ mo(period) + (1 | herd)"


@pytest.fixture(scope="module")
def cbpp() -> pd.DataFrame:
    d = load("cbpp")
    d["period"] = d["period"].cat.as_ordered()
    return d


@pytest.fixture(scope="module")
def mo_design(cbpp):
    return bz.design(FORMULA, cbpp, family="binomial")


def test_a_four_level_factor_gives_three_cumulative_columns(mo_design, cbpp):
    (blk,) = mo_design.blocks_of("mo(period)")
    assert blk.name == "moperiod" and blk.term == "mo(period)" and blk.labels == ["1", "2", "3"]
    expected = {"1": [0, 0, 0], "2": [1, 0, 0], "3": [1, 1, 0], "4": [1, 1, 1]}
    np.testing.assert_array_equal(blk.Z, [expected[p] for p in cbpp["period"].astype(str)])
    assert blk.Z.shape == (56, 3)
    assert mo_design.column_names == ["Intercept"]  # the effect is no fixed column
    assert [s.name for s in blk.names.scales] == ["bsp_moperiod"]
    assert blk.names.z == "simo_moperiod1" and blk.names.z_param.shape == (3,)
    assert blk.names.dims == ("moperiod_step",) and blk.names.coords == (("1", "2", "3"),)
    assert mo_design.covariates_of("mo(period)") == ("period",)


def test_integers_0_to_D_give_the_same_design_as_their_factor(cbpp):
    as_int = cbpp.assign(period=cbpp["period"].cat.codes.astype(int))
    a = bz.design(FORMULA, cbpp, family="binomial").blocks[0].Z
    b = bz.design(FORMULA, as_int, family="binomial").blocks[0].Z
    np.testing.assert_array_equal(a, b)
    skipped = as_int.assign(period=as_int["period"].replace({1: 0}))  # no row at 1: D stays 3
    c = bz.design(FORMULA, skipped, family="binomial").blocks[0]
    assert c.labels == ["1", "2", "3"]


def test_the_effect_is_bsp_times_D_times_the_cumulated_simplex(mo_design, cbpp):
    """brms's Stan code: ``mu += bsp[1] * mo(simo_1, Xmo_1[n])`` with ``mo(scale, i) =
    rows(scale) * sum(scale[1:i])``."""
    (blk,) = mo_design.blocks_of("mo(period)")
    bsp, simo = np.array(-0.5), np.array([0.5, 0.2, 0.3])
    r = blk.structure.coefficients([bsp], simo, NUMPY)
    np.testing.assert_allclose(r, 3 * -0.5 * simo)
    x = cbpp["period"].cat.codes.to_numpy()
    brms = np.array([-0.5 * (3 * simo[:i].sum() if i else 0.0) for i in x])
    arrays = design_arrays(mo_design)
    eta = linear_predictor(arrays, np.array([0.0]), [r, np.zeros(15)])
    np.testing.assert_allclose(eta, brms, rtol=0, atol=1e-12)


def test_an_interaction_with_a_numeric_covariate_scales_the_columns_row_by_row(cbpp):
    """brms's ``mo(x):z``: ``bsp · mo(simo, x) · z``, named ``bsp_moperiod:size`` and
    ``simo_moperiod:size1`` (``size:moperiod`` when written the other way round)."""
    d = bz.design("incidence | trials(size) ~ mo(period) + mo(period):size", cbpp,
                  family="binomial")
    plain, inter = d.blocks
    np.testing.assert_array_equal(inter.Z, plain.Z * cbpp["size"].to_numpy()[:, None])
    assert inter.names.scales[0].name == "bsp_moperiod:size"
    assert inter.names.z == "simo_moperiod:size1"
    assert d.covariates_of("mo(period):size") == ("period", "size")
    assert d.terms.to_string() == "incidence | trials(size) ~ 1 + mo(period) + mo(period):size"
    other = bz.design("incidence | trials(size) ~ size:mo(period)", cbpp, family="binomial")
    assert other.blocks[0].names.z == "simo_size:moperiod1"
    np.testing.assert_array_equal(other.blocks[0].Z, inter.Z)
    rows = bz.get_prior("incidence | trials(size) ~ mo(period):size", cbpp, family="binomial")
    assert {(r["class"], r["coef"], r["prior"]) for _, r in rows.iterrows()} >= {
        ("b", "moperiod:size", ""), ("simo", "moperiod:size1", "dirichlet(1)")}
    st = d.term_states[1]
    assert state_from_dict(decode(json.loads(json.dumps(encode(st.to_dict()))))) == st
    new = d.for_newdata(cbpp.iloc[:4].assign(size=[11, 12, 13, 14]))
    np.testing.assert_array_equal(new.blocks[1].Z, plain.Z[:4] * np.arange(11, 15)[:, None])


def test_the_state_survives_json_and_rebuilds_the_columns_on_new_data(mo_design, cbpp):
    (st,) = [s for s in mo_design.term_states if s.kind == "mo"]
    text = json.dumps(encode(st.to_dict()), sort_keys=True)
    assert json.loads(text) == {"kind": "mo", "text": "mo(period)", "label": "moperiod",
                                "variable": "period", "levels": ["1", "2", "3", "4"],
                                "steps": 3, "by": []}
    back = state_from_dict(decode(json.loads(text)))
    assert back == st
    stored = decode(json.loads(json.dumps(encode(mo_design.states))))
    again = evaluate_design(stored, cbpp, family="binomial", require_response=True)
    np.testing.assert_array_equal(again.blocks[0].Z, mo_design.blocks[0].Z)
    new = mo_design.for_newdata(cbpp.iloc[[3, 0]].assign(
        period=pd.Categorical(["4", "1"], categories=["1", "2", "3", "4"], ordered=True)))
    np.testing.assert_array_equal(new.blocks[0].Z, [[1, 1, 1], [0, 0, 0]])
    with pytest.raises(FormulaError, match=r"level\(s\) \['5'\] the fit did not see"):
        mo_design.for_newdata(cbpp.iloc[:1].assign(period=["5"]))
    ints = bz.design("y ~ mo(x)", pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [0, 1, 2, 2]}))
    with pytest.raises(FormulaError, match=r"takes the integers 0, 1, \.\.\., 2"):
        ints.for_newdata(pd.DataFrame({"x": [3]}))


@pytest.mark.parametrize("formula, pattern", [
    ("y ~ mo(p):g", r"'g' is not numeric; interactions of mo\(\) with factors are not "
     r"supported"),
    ("y ~ x:mo(p):mo(x)", r"interactions of two monotonic effects are not supported"),
    ("y ~ mo(p) * x", r"write an interaction with a monotonic effect as mo\(x\):z.*"
     r"\(mo\(x\) \* z as mo\(x\) \+ z \+ mo\(x\):z\)"),
    ("y ~ (mo(p) | g)", r"group-level monotonic effects need the population-level term too"),
    ("y ~ mo(p, k = 2)", r"mo\(\) takes one predictor and no arguments"),
    ("y ~ mo(s)", r"'s' is neither a factor nor numbers; a monotonic predictor is an ordered "
     r"factor"),
    ("y ~ mo(x)", r"'x' has 0\.5; a monotonic predictor given as numbers"),
    ("y ~ mo(n)", r"'n' has -1; a monotonic predictor given as numbers"),
    ("y ~ mo(z)", r"'z' is 0 in every row"),
])
def test_what_mo_refuses(formula, pattern):
    frame = pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [0.5, 1, 2, 0], "n": [-1, 0, 1, 2],
                          "z": [0, 0, 0, 0], "s": ["a", "b", "a", "c"],
                          "p": pd.Categorical(["a", "b", "c", "a"], ordered=True),
                          "g": ["u", "u", "v", "v"]})
    with pytest.raises(FormulaError, match=pattern):
        bz.design(formula, frame)


def test_the_simplex_site_takes_a_dirichlet_prior(mo_design):
    spec = model_spec(mo_design)
    site = next(s for s in spec.sites if s.name == "z_0")
    assert site.support == "simplex" and site.shape == (3,) and str(site.prior) == \
        "dirichlet(1)"
    bsp = spec.site("bsp_moperiod")
    assert bsp.support == "real" and str(bsp.prior) == "flat()"
    assert spec.priors["simo_moperiod1"] == "dirichlet(1)"
    spec2 = model_spec(mo_design, {"simo_moperiod1": "dirichlet(2)", "b": "normal(0, 1)"})
    assert str(spec2.site("z_0").prior) == "dirichlet(2)"
    assert str(spec2.site("bsp_moperiod").prior) == "normal(0, 1)"
    spec3 = model_spec(mo_design, {"bsp_moperiod": "normal(0, 3)", "b": "normal(0, 1)"})
    assert str(spec3.site("bsp_moperiod").prior) == "normal(0, 3)"
    with pytest.raises(ValueError, match="'simo_moperiod1', which is a simplex: use one of "
                       "dirichlet"):
        model_spec(mo_design, {"simo_moperiod1": "normal(0, 1)"})
    with pytest.raises(ValueError, match="not allowed for 'bsp_moperiod'"):
        model_spec(mo_design, {"bsp_moperiod": "dirichlet(1)"})
    with pytest.raises(ValueError, match="unknown prior name"):
        model_spec(mo_design, {"simo_moperiod": "dirichlet(2)"})


def test_numpyro_and_pymc_give_the_same_log_density(mo_design):
    """Both builders' joint log density (without Jacobians: their simplex transforms differ)
    at the same constrained values, the Dirichlet's normalizing constant included."""
    pytest.importorskip("pymc")
    import jax.numpy as jnp
    from numpyro.infer.util import log_density

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    priors = {"simo_moperiod1": "dirichlet(2)", "b": "normal(0, 2)"}
    nm = build_numpyro(mo_design, priors)
    pm_model = build_pymc(mo_design, priors).model
    logp = pm_model.compile_logp(jacobian=False)
    rng = np.random.default_rng(3)
    for _ in range(3):
        values = {"b_0": np.zeros(0), "Intercept": rng.normal(), "bsp_moperiod": rng.normal(),
                  "sd_herd__Intercept": rng.gamma(2.0), "z_0": rng.dirichlet([1.0] * 3),
                  "z_1": rng.normal(size=15)}
        values = {k: v for k, v in values.items() if k in {s.name for s in nm.spec.sites}}
        lp_numpyro = float(log_density(nm.model, (nm.data,), {},
                                       {k: jnp.asarray(v) for k, v in values.items()})[0])
        point = {}
        for rv in pm_model.free_RVs:
            vv = pm_model.rvs_to_values[rv]
            tr = pm_model.rvs_to_transforms.get(rv)
            v = values[rv.name]
            point[vv.name] = v if tr is None else tr.forward(v, *rv.owner.inputs).eval()
        assert lp_numpyro == pytest.approx(float(logp(point)), rel=1e-9, abs=1e-6)


def test_get_prior_lists_simo_as_brms_does(cbpp):
    expected = pd.DataFrame(json.loads((FIXTURES / "brms_wave3.json").read_text())
                            ["default_priors"]["monotonic_cbpp"]["rows"])[COLUMNS]
    got = bz.get_prior(FORMULA, cbpp, family="binomial")
    pd.testing.assert_frame_equal(got, expected)
    given = bz.get_prior(FORMULA, cbpp, family="binomial",
                         priors={"simo_moperiod1": "dirichlet(2)", "bsp_moperiod": "normal(0, 1)"})
    rows = {(r["class"], r["coef"]): (r["prior"], r["source"]) for _, r in given.iterrows()}
    assert rows[("simo", "moperiod1")] == ("dirichlet(2)", "user")
    assert rows[("b", "moperiod")] == ("normal(0, 1)", "user")
    assert rows[("b", "")] == ("", "default")


def test_reml_refuses_mo_naming_the_samplers(cbpp):
    with pytest.raises(ValueError, match=r"no penalty for monotonic blocks \(mo\(period\)\); "
                       r"sample this model with bayeszoo.sample \(backend='numpyro', 'pymc' or "
                       r"'nutpie'\)"):
        bz.reml(FORMULA, cbpp, family="binomial")


def test_the_summary_lists_the_simplex_after_the_population_level_effects(mo_design):
    """``summary.brmsfit``: ``moperiod`` among the population-level effects, each part of the
    simplex a row ``moperiod1[i]`` of the ``Simplex Parameters``."""
    from bayeszoo.inference.brms_summary import summarize

    rng = np.random.default_rng(0)
    simo = rng.dirichlet([4.0, 2.0, 1.0], size=(2, 400))
    post = {"b_Intercept": rng.normal(size=(2, 400)),
            "bsp_moperiod": rng.normal(-0.5, 0.1, size=(2, 400)),
            "sd_herd__Intercept": rng.gamma(4.0, 0.2, size=(2, 400)),
            "simo_moperiod1": simo, "r_herd": rng.normal(size=(2, 400, 15))}
    s = summarize(post, {}, mo_design, {})
    assert list(s.fixed.index) == ["Intercept", "moperiod"]
    assert list(s.simplex.index) == ["moperiod1[1]", "moperiod1[2]", "moperiod1[3]"]
    np.testing.assert_allclose(s.simplex["Estimate"], simo.reshape(-1, 3).mean(axis=0))
    np.testing.assert_allclose(s.simplex["Est.Error"], simo.reshape(-1, 3).std(axis=0, ddof=1))
    text = s.text()
    assert text.index("Population-Level Effects:") < text.index("Simplex Parameters:\n"
                                                                 "             Estimate")
