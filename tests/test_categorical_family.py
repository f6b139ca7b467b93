"""The ``categorical`` family (brms 2.18's multinomial logit, first category the reference):
its log density against SciPy's softmax in NumPy, JAX and PyTensor; one linear predictor
``mu<c>`` per non-reference category named as brms names them, with ``bf()`` formulas per
category; brms's default priors (``get_prior``, ``brms_wave3.json``); the same joint log
density in NumPyro and PyMC; bad responses refused before anything compiles."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES
from scipy import special

import bayeszoo as bz
from bayeszoo.families import get
from bayeszoo.families.categorical import predictor_name
from bayeszoo.families.ops import by_name
from bayeszoo.formula.errors import FormulaError
from bayeszoo.models.spec import model_spec

WAVE3 = json.loads((FIXTURES / "brms_wave3.json").read_text())
MU = np.array([[0.3, -1.2, 2.0, 0.0, 40.0], [-0.5, 0.7, 1.1, 0.0, -40.0]])  # mu2, mu3 per row
Y = np.array([1.0, 2.0, 3.0, 3.0, 2.0])
WEIGHTS = np.array([1.0, 2.0, 0.5, 1.0, 3.0])


def softmax_log_probs() -> np.ndarray:
    """``log softmax([0, mu2, mu3])`` per row (rows × categories)."""
    return special.log_softmax(np.column_stack([np.zeros(5), MU[0], MU[1]]), axis=1)


@pytest.mark.parametrize("backend", ["numpy", "jax", "pytensor"])
def test_log_density_is_weighted_log_softmax(backend):
    ops = by_name(backend)
    if backend == "jax":
        from bayeszoo.runtime import ensure_configured

        ensure_configured()
    aux = {"mu2": ops.asarray(MU[0]), "mu3": ops.asarray(MU[1])}
    lp = get("categorical").log_prob(ops, Y, ops.asarray(np.zeros(5)), aux,
                                     {"weights": WEIGHTS})
    lp = np.asarray(lp.eval() if backend == "pytensor" else lp, dtype=float)
    expected = softmax_log_probs()[np.arange(5), Y.astype(int) - 1] * WEIGHTS
    np.testing.assert_allclose(lp, expected, rtol=1e-10)
    assert np.isfinite(lp).all()


def test_mean_is_softmax_and_draws_follow_it():
    fam = get("categorical")
    p = fam.mean(np.zeros((2, 5)), {"mu2": np.tile(MU[0], (2, 1)), "mu3": np.tile(MU[1], (2, 1))})
    assert p.shape == (2, 5, 3)
    np.testing.assert_allclose(p[1], np.exp(softmax_log_probs()), rtol=1e-12)
    aux = {"mu2": np.full(30000, 0.4), "mu3": np.full(30000, -0.9)}
    draws = fam.draw(np.random.default_rng(0), np.zeros(30000), aux)
    freq = np.bincount(draws.astype(int), minlength=4)[1:] / draws.size
    np.testing.assert_allclose(freq, special.softmax([0.0, 0.4, -0.9]), atol=0.01)


@pytest.mark.parametrize(("category", "name"), [
    ("Medium", "muMedium"), ("Very high", "muVeryhigh"), ("a_b.c", "muabc"), (2, "mu2"),
    (2.5, "mu25"), (-1, "mu1"), (True, "muTRUE")])
def test_predictor_names_as_brms_make_names(category, name):
    assert predictor_name(category) == name


def housing() -> pd.DataFrame:
    d = bz.datasets.load_housing()
    d["Sat"] = pd.Categorical(d["Sat"].astype(str), categories=["Low", "Medium", "High"])
    return d


def test_one_predictor_per_category_named_as_brms():
    design = bz.design("Sat | weights(Freq) ~ Infl + Type + Cont", housing(),
                       family="categorical")
    assert list(design.dpars) == ["muMedium", "muHigh"]
    assert design.X.shape == (72, 0) and design.states["categories"] == ["Low", "Medium", "High"]
    assert design.dpars["muHigh"].fixed_params == [
        "b_muHigh_Intercept", "b_muHigh_InflMedium", "b_muHigh_InflHigh",
        "b_muHigh_TypeApartment", "b_muHigh_TypeAtrium", "b_muHigh_TypeTerrace",
        "b_muHigh_ContHigh"]
    np.testing.assert_array_equal(design.y[:6], [1, 2, 3, 1, 2, 3])
    np.testing.assert_array_equal(design.additions["weights"][:3], [21, 21, 28])
    spec = model_spec(design)
    assert [(s.name, str(s.prior), s.shape) for s in spec.sites] == [
        ("b_muMedium_0", "flat()", (6,)), ("Intercept_muMedium", "student_t(3, 0, 2.5)", ()),
        ("b_muHigh_0", "flat()", (6,)), ("Intercept_muHigh", "student_t(3, 0, 2.5)", ())]


def test_bf_gives_one_category_its_own_formula_and_group_effects_are_named_per_category():
    d = housing()
    f = bz.bf("Sat ~ Infl + (1 | Type)", muHigh="~ Cont")
    design = bz.design(f, d, family="categorical")
    assert design.dpars["muMedium"].fixed_params == ["b_muMedium_Intercept",
                                                     "b_muMedium_InflMedium",
                                                     "b_muMedium_InflHigh"]
    assert design.dpars["muHigh"].fixed_params == ["b_muHigh_Intercept", "b_muHigh_ContHigh"]
    names = [sp.name for blk in design.dpars["muMedium"].blocks for sp in blk.names.scales]
    assert names == ["sd_Type__muMedium_Intercept"]
    with pytest.raises(FormulaError, match=r"\['muLow'\].*this response's are \['muMedium', "
                                           r"'muHigh'\].*'Low', is the reference"):
        bz.design(bz.bf("Sat ~ Infl", muLow="~ Cont"), d, family="categorical")


def test_strings_and_integers_take_sorted_categories_and_newdata_keeps_the_coding():
    d = pd.DataFrame({"y": ["b", "c", "a", "c", "b", "a"], "x": np.arange(6.0)})
    design = bz.design("y ~ x", d, family="categorical")
    assert list(design.dpars) == ["mub", "muc"]
    np.testing.assert_array_equal(design.y, [2, 3, 1, 3, 2, 1])
    sub = design.for_newdata(d.iloc[[1, 3]])  # only "c": still category 3
    np.testing.assert_array_equal(sub.y, [3, 3])
    with pytest.raises(FormulaError, match="missing value at row 0"):
        design.for_newdata(pd.DataFrame({"y": ["d"], "x": [0.0]}))
    d["y"] = [3, 7, 3, 7, 5, 5]
    design = bz.design("y ~ x", d, family="categorical")
    assert list(design.dpars) == ["mu5", "mu7"] and design.states["categories"] == [3, 5, 7]


def test_get_prior_equals_brms():
    got = bz.get_prior("Sat | weights(Freq) ~ Infl + Type + Cont", housing(),
                       family="categorical")
    assert got.to_dict("records") == WAVE3["default_priors"]["categorical_housing"]["rows"]


def test_priors_without_category_set_every_category():
    design = bz.design("Sat | weights(Freq) ~ Infl", housing(), family="categorical")
    used = model_spec(design, {"b": "normal(0, 1)", "Intercept": "normal(0, 2)",
                               "b_muHigh_Intercept": "normal(0, 3)"}).priors
    assert used["b_muMedium_InflHigh"] == used["b_muHigh_InflMedium"] == "normal(0, 1)"
    assert used["Intercept_muMedium"] == "normal(0, 2)"
    assert used["Intercept_muHigh"] == "normal(0, 3)"


def test_unused_level_is_dropped_as_brms_with_a_warning():
    d = housing()
    d["Sat"] = pd.Categorical(d["Sat"].astype(str),
                              categories=["Low", "None", "Medium", "High", "Extra"])
    with pytest.warns(UserWarning, match=r"levels \['None', 'Extra'\] do not occur"):
        design = bz.design("Sat ~ Infl", d, family="categorical")
    assert list(design.dpars) == ["muMedium", "muHigh"]
    np.testing.assert_array_equal(design.y[:3], [1, 2, 3])


@pytest.mark.parametrize(("values", "message"), [
    (["a", "a", "a", "a"], r"at least 2 categories.*'At least 2 response categories are "
                           r"required\.'.*\['a'\]"),
    (pd.Categorical(["a", "a", "a", "a"], categories=["a", "b"]), r"at least 2 categories"),
    (["a", "b", np.nan, "a"], r"'y' has a missing value at row 2"),
    (pd.Categorical.from_codes([0, 1, -1, 0], categories=["lo", "hi"]),
     r"missing value at row 2 \(or a category outside its levels \['lo', 'hi'\]\)"),
    (["a_b", "ab", "a", "a"], r"give the linear predictors \['muab', 'muab'\]"),
])
def test_bad_responses_refused_before_compiling(no_compile, values, message):
    d = pd.DataFrame({"y": values, "x": [0.1, 0.5, -0.3, 1.2]})
    with pytest.raises(ValueError, match=message):
        bz.sample("y ~ x", d, family="categorical", chains=1, draws=10, tune=10, progress=False)


def test_reml_refused_naming_the_samplers():
    with pytest.raises(ValueError, match=r"REML is not available for family 'categorical'"):
        bz.reml("Sat ~ Infl", housing(), family="categorical")


def test_same_log_density_numpyro_pymc():
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    design = bz.design(bz.bf("Sat | weights(Freq) ~ Infl + (1 | Type)", muHigh="~ Cont"),
                       housing(), family="categorical")
    built = build_numpyro(design)
    potential = initialize_model(jax.random.PRNGKey(0), built.model,
                                 model_args=(built.data,)).potential_fn
    pm_model = build_pymc(design).model
    logp = pm_model.compile_logp(jacobian=True)
    values = {rv.name: pm_model.rvs_to_values[rv].name for rv in pm_model.free_RVs}
    rng = np.random.default_rng(3)
    for _ in range(3):
        point = {rv.name: rng.normal(size=tuple(int(s) for s in rv.shape.eval())) * 0.3
                 for rv in pm_model.free_RVs}
        lp_pymc = float(logp({values[k]: v for k, v in point.items()}))
        assert np.isfinite(lp_pymc)
        assert -float(potential(point)) == pytest.approx(lp_pymc, rel=1e-9, abs=1e-8)


def test_zoo_entry_is_brms_housing_model():
    e = bz.zoo.get("housing_categorical")
    design = bz.design(e.formula, e.load_data(), family=e.family_object())
    assert list(design.dpars) == ["muMedium", "muHigh"] and design.n == 72
    assert e.question.endswith("do they move Medium and High alike?")
    table = bz.get_prior(e.formula, e.load_data(), family=e.family)
    assert table.to_dict("records") == WAVE3["default_priors"]["categorical_housing"]["rows"]
