"""Non-linear formulas (``bf(..., nl=True)``): the expression's whitelist, brms's names and
prior tables, the required nlpar priors and bounds, one log density in NumPyro, PyMC and NumPy,
and REML's refusal."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES
from scipy import stats

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY
from bayeszoo.formula import FormulaError, design
from bayeszoo.formula.nonlinear import parse_nonlinear
from bayeszoo.models.prior_table import prior_summary
from bayeszoo.models.spec import model_spec

WAVE3 = json.loads((FIXTURES / "brms_wave3.json").read_text())
EXPR = "cum ~ ult * (1 - exp(-(dev / theta)^omega))"
PRIORS = {"b_ult": "normal(5000, 1000)", "b_omega": "normal(1, 2)",
          "b_theta": "normal(45, 10) lb=0"}


def loss_formula(**extra):
    return bz.bf(EXPR, ult="~ 1 + (1 | AY)", omega="~ 1", theta="~ 1", nl=True, **extra)


@pytest.fixture(scope="module")
def loss():
    return bz.datasets.load_loss()


@pytest.fixture(scope="module")
def loss_design(loss):
    return design(loss_formula(), loss)


# --------------------------------------------------------------------------- the expression


@pytest.mark.parametrize("text, values, expected", [
    ("a * exp(b * x)", {"a": 2.0, "b": 0.5, "x": 2.0}, 2.0 * np.e),
    ("-(x / t)^w", {"x": 4.0, "t": 2.0, "w": 2.0}, -4.0),  # R's ^ binds before unary minus
    ("x^w^2", {"x": 2.0, "w": 3.0}, 2.0 ** 9),  # and to the right
    ("a / (1 + exp(-(x - m) / s))", {"a": 10.0, "x": 1.0, "m": 1.0, "s": 2.0}, 5.0),
    ("inv_logit(x) + logit(p) + sqrt(4) + log(1)", {"x": 0.0, "p": 0.5}, 2.5),
    ("log1p(x) - expm1(y) + abs(-3) + square(2)", {"x": 0.0, "y": 0.0}, 7.0),
    ("+a - 2.5e-1", {"a": 1.0}, 0.75),
])
def test_expression_evaluates_as_r(text, values, expected):
    pars = [n for n in values if n not in ("x", "y", "p")]
    e = parse_nonlinear(text, pars)
    assert float(e.evaluate(values, NUMPY)) == pytest.approx(expected, rel=1e-12)
    assert set(e.covariates) == set(values) - set(pars)


@pytest.mark.parametrize("text, match", [
    ("__import__('os').system('true')", "not allowed|unknown function"),
    ("a.real * x", "not allowed"),
    ("a[0] * x", "not allowed"),
    ("(lambda: a)()", "unknown function"),
    ("a * x if a else x", "not allowed"),
    ("a > x", "not allowed"),
    ("a * 'x'", "not a number"),
    ("a * gamma(x)", "unknown function 'gamma'"),
    ("a * exp(x, 2)", "takes one argument"),
    ("a * exp(x=1)", "takes one argument"),
    ("a * exp", "is a function"),
    ("a * True", "not a number"),
    ("a *", "cannot parse"),
])
def test_expression_refuses(text, match):
    with pytest.raises(FormulaError, match=match):
        parse_nonlinear(text, ["a"])


def test_expression_names_unused_nlpars_and_unknown_columns():
    with pytest.raises(FormulaError, match=r"\['b'\] have a formula but do not appear"):
        parse_nonlinear("a * x", ["a", "b"])
    with pytest.raises(FormulaError, match=r"\['z'\] are neither parameters"):
        parse_nonlinear("a * z", ["a"], columns=["x"])


def test_bf_splits_nlpars_from_dpars():
    f = loss_formula(sigma="~ dev")
    assert f.nl and list(f.nlpars) == ["ult", "omega", "theta"] and f.dpars == {"sigma": "~ dev"}
    assert str(f) == ("bf(cum ~ ult * (1 - exp(-(dev / theta)^omega)), ult ~ 1 + (1 | AY), "
                      "omega ~ 1, theta ~ 1, sigma ~ dev, nl = TRUE)")
    assert bz.bf("y ~ x", sigma="~ x").nlpars == {}


# --------------------------------------------------------------------------- designs, names


def test_design_names_as_brms(loss, loss_design):
    d = loss_design
    assert d.formula == EXPR and d.column_names == [] and d.X.shape == (55, 1)
    np.testing.assert_array_equal(d.X[:, 0], loss["dev"].to_numpy(dtype=float))
    assert list(d.nlpars) == ["ult", "omega", "theta"]
    ult = d.nlpars["ult"]
    assert ult.fixed_params == ["b_ult_Intercept"] and ult.X.shape == (55, 1)
    assert ult.blocks[0].names.coef == "r_AY__ult"
    assert [s.name for s in ult.blocks[0].names.scales] == ["sd_AY__ult_Intercept"]
    assert d.nlpars["theta"].fixed_params == ["b_theta_Intercept"]
    new = d.for_newdata(loss.iloc[[0, 11]])
    np.testing.assert_array_equal(new.X[:, 0], [6.0, 18.0])
    np.testing.assert_array_equal(new.nlpars["ult"].blocks[0].index, [0, 1])


def test_stored_states_rebuild_the_design(loss, loss_design):
    """A fit keeps the design's states; they rebuild the nlpars and covariates on new data,
    and name the nlpars' grouping factors (for predictions at new levels)."""
    from bayeszoo.formula import evaluate_design
    from bayeszoo.inference.new_levels import groupings

    states = json.loads(json.dumps(loss_design.states))
    assert states["nonlinear"]["covariates"] == ["dev"]
    rebuilt = evaluate_design(states, loss.iloc[:5])
    assert rebuilt.formula == EXPR and list(rebuilt.nlpars) == ["ult", "omega", "theta"]
    np.testing.assert_array_equal(rebuilt.X[:, 0], loss["dev"].to_numpy()[:5])
    assert list(groupings(states)) == ["AY"]


def test_covariate_slopes_in_an_nlpar(loss):
    d = design(bz.bf(EXPR, ult="~ 1 + premium", omega="~ 1", theta="~ 1", nl=True), loss)
    assert d.nlpars["ult"].fixed_params == ["b_ult_Intercept", "b_ult_premium"]
    spec = model_spec(d, {"b_ult": "normal(0, 10)", "b_ult_Intercept": "normal(5000, 1000)",
                          "b_omega": "normal(1, 2)", "b_theta": "normal(45, 10)"})
    assert spec.priors["b_ult_premium"] == "normal(0, 10)"
    assert spec.priors["b_ult_Intercept"] == "normal(5000, 1000)"
    assert [s.name for s in spec.sites if s.name.startswith("b_ult")] == ["b_ult_0", "b_ult_1"]


def test_design_errors(loss):
    with pytest.raises(FormulaError, match="neither parameters"):
        design(bz.bf("cum ~ ult * devv", ult="~ 1", nl=True), loss)
    with pytest.raises(FormulaError, match="not numeric"):
        design(bz.bf("cum ~ ult * g", ult="~ 1", nl=True), loss.assign(g="a"))


# --------------------------------------------------------------------------- priors


def test_nlpar_priors_are_required_and_named(loss_design):
    with pytest.raises(ValueError, match=r"none were given for \['omega', 'theta'\]"):
        model_spec(loss_design, {"b_ult": "normal(5000, 1000)"})
    with pytest.raises(ValueError, match=r"\['ult', 'omega', 'theta'\]"):
        model_spec(loss_design)


def test_priors_and_bounds_of_the_spec(loss_design):
    spec = model_spec(loss_design, PRIORS)
    assert spec.priors == {
        "b_ult_Intercept": "normal(5000, 1000)",
        "sd_AY__ult_Intercept": "half_student_t(3, 1963.7)",
        "b_omega_Intercept": "normal(1, 2)", "b_theta_Intercept": "normal(45, 10) lb=0",
        "sigma": "half_student_t(3, 1963.7)"}
    assert spec.site("b_theta_0").bounds == (0.0, None)
    assert spec.site("b_ult_0").bounds is None
    both = model_spec(loss_design, {**PRIORS, "b_omega": "normal(1, 2) lb=0.5 ub=3"})
    assert both.site("b_omega_0").bounds == (0.5, 3.0)


@pytest.mark.parametrize("extra, match", [
    ({"sigma": "student_t(3, 0, 10) lb=1"}, "bounds .* are for the coefficients"),
    ({"b_omega": "normal(1, 2) lb=3 ub=1"}, "must be below"),
    ({"b_omega": "normal(1, 2) lb=x"}, "cannot read the bound"),
    ({"b_omega": "uniform(0, 1) lb=2"}, "no mass within its bounds"),
    ({"b_ultt": "normal(0, 1)"}, "unknown prior name"),
    ({"Intercept_ult": "normal(0, 1)"}, "unknown prior name"),
])
def test_prior_errors(loss_design, extra, match):
    with pytest.raises(ValueError, match=match):
        model_spec(loss_design, {**PRIORS, **extra})


def test_prior_tables_equal_brms(loss, loss_design):
    expected = pd.DataFrame(WAVE3["default_priors"]["nonlinear_loss"]["rows"])
    got = bz.get_prior(loss_formula(), loss)
    pd.testing.assert_frame_equal(got[list(expected.columns)], expected)
    vignette = {k: v.split(" lb=")[0] for k, v in PRIORS.items()}
    expected = pd.DataFrame(WAVE3["loss_nonlinear"]["priors"])
    got = prior_summary(loss_design, None, vignette)
    pd.testing.assert_frame_equal(got[list(expected.columns)], expected)
    bounded = bz.get_prior(loss_formula(), loss, priors=PRIORS)
    row = bounded[(bounded["nlpar"] == "theta") & (bounded["coef"] == "")].iloc[0]
    assert (row["prior"], row["lb"], row["ub"], row["source"]) == ("normal(45, 10)", "0", "",
                                                                    "user")


# --------------------------------------------------------------------------- log density

POINT = {"b_ult": 5200.0, "b_omega": 1.3, "b_theta": 46.0, "sd": 700.0, "sigma": 140.0,
         "z": np.linspace(-1.5, 1.2, 10)}


def reference_log_density(loss):
    """The joint log density at :data:`POINT` in NumPy and SciPy, as brms's Stan code adds it
    up (constants included, the bounded ``theta`` prior renormalized on ``(0, inf)``)."""
    p = POINT
    half_t = stats.t(3, 0, 1963.7)
    lp = stats.norm(5000, 1000).logpdf(p["b_ult"]) + stats.norm(1, 2).logpdf(p["b_omega"])
    lp += stats.norm(45, 10).logpdf(p["b_theta"]) - stats.norm(45, 10).logsf(0.0)
    lp += 2 * np.log(2) + half_t.logpdf(p["sd"]) + half_t.logpdf(p["sigma"])
    lp += stats.norm.logpdf(p["z"]).sum()
    ay = pd.Categorical(loss["AY"]).codes
    ult = p["b_ult"] + p["sd"] * p["z"][ay]
    mu = ult * (1 - np.exp(-(loss["dev"].to_numpy() / p["b_theta"]) ** p["b_omega"]))
    return lp + stats.norm.logpdf(loss["cum"].to_numpy(), mu, p["sigma"]).sum()


def site_values():
    p = POINT
    return {"b_ult_0": np.array([p["b_ult"]]), "b_omega_0": np.array([p["b_omega"]]),
            "b_theta_0": np.array([p["b_theta"]]), "sd_AY__ult_Intercept": np.array(p["sd"]),
            "z_ult_0": p["z"], "sigma": np.array(p["sigma"])}


def test_log_density_numpyro_pymc_numpy(loss, loss_design):
    """NumPyro's and PyMC's joint log density (on the constrained values, no Jacobian) equal
    the NumPy/SciPy sum at one point."""
    from numpyro.infer.util import log_density

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    expected = reference_log_density(loss)
    nm = build_numpyro(loss_design, PRIORS)
    got_np, _ = log_density(nm.model, (nm.data,), {}, site_values())
    assert float(got_np) == pytest.approx(expected, rel=1e-10)
    pm_model = build_pymc(loss_design, PRIORS).model
    point = {}
    for rv in pm_model.free_RVs:
        value = np.asarray(site_values()[rv.name], dtype=float)
        transform = pm_model.rvs_to_transforms.get(rv)
        vv = pm_model.rvs_to_values[rv]
        point[vv.name] = value if transform is None else \
            transform.forward(value, *rv.owner.inputs).eval()
    got_pm = pm_model.compile_logp(jacobian=False)(point)
    assert float(got_pm) == pytest.approx(expected, rel=1e-9)


def test_posterior_side_log_likelihood(loss, loss_design):
    """A fit's pointwise log-likelihood (LOO's input) from brms-named draws equals the
    likelihood part of :func:`reference_log_density`."""
    from bayeszoo.inference.posterior import design_info, pointwise_log_likelihood

    p = POINT
    post = {"b_ult_Intercept": np.full((1, 2), p["b_ult"]),
            "b_omega_Intercept": np.full((1, 2), p["b_omega"]),
            "b_theta_Intercept": np.full((1, 2), p["b_theta"]),
            "r_AY__ult": np.broadcast_to(p["sd"] * p["z"], (1, 2, 10)).copy(),
            "sigma": np.full((1, 2), p["sigma"])}
    info = json.loads(json.dumps(design_info(loss_design)))
    assert info["nonlinear"]["covariates"] == ["dev"]
    assert [q.get("nlpar", False) for q in info["predictors"]] == [False, True, True, True]
    ll = pointwise_log_likelihood(post, info, loss_design, loss_design.family)
    ay = pd.Categorical(loss["AY"]).codes
    mu = (p["b_ult"] + p["sd"] * p["z"][ay]) * (
        1 - np.exp(-(loss["dev"].to_numpy() / p["b_theta"]) ** p["b_omega"]))
    expected = stats.norm.logpdf(loss["cum"].to_numpy(), mu, p["sigma"])
    np.testing.assert_allclose(ll[0, 1], expected, rtol=1e-12)


def test_bounded_flat_and_uniform_priors_agree(loss_design):
    """``flat`` and ``uniform`` priors on bounds: the same log density in both backends at
    random unconstrained points (Jacobians included)."""
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    priors = {"b_ult": "normal(5000, 1000) ub=9000", "b_omega": "uniform(0, 5) lb=0.5",
              "b_theta": "flat lb=1"}
    nm = build_numpyro(loss_design, priors)
    pm_model = build_pymc(loss_design, priors).model
    potential = initialize_model(jax.random.PRNGKey(0), nm.model,
                                 model_args=(nm.data,)).potential_fn
    logp = pm_model.compile_logp(jacobian=True)
    rng = np.random.default_rng(3)
    start = pm_model.initial_point()
    for _ in range(3):
        point, by_rv = {}, {}
        for rv in pm_model.free_RVs:
            vv = pm_model.rvs_to_values[rv]
            point[vv.name] = start[vv.name] + rng.normal(size=np.shape(start[vv.name])) * 0.3
            by_rv[rv.name] = point[vv.name]
        assert -float(potential(by_rv)) == pytest.approx(float(logp(point)), rel=1e-10)


# --------------------------------------------------------------------------- REML, zoo


def test_reml_refuses_naming_the_samplers(loss):
    with pytest.raises(ValueError, match="non-linear formula .* bz.sample.*numpyro.*pymc"):
        bz.reml(loss_formula(), loss)


def test_zoo_entry(loss):
    from bayeszoo.models import zoo

    e = zoo.get("loss_nonlinear")
    assert e.dataset == "loss" and e.reml_formula is None and e.group == "AY"
    assert "ultimate" in e.question
    assert e.backends == ("numpyro", "pymc", "nutpie", "blackjax")
    opts = e.sampler_options
    assert opts["target_accept"] == 0.9
    spec = model_spec(design(e.formula, e.load_data()), opts["priors"])
    assert spec.priors["b_theta_Intercept"] == "normal(45, 10)"
    assert str(e.formula) == ("bf(cum ~ ult * (1 - exp(-(dev / theta)^omega)), "
                              "ult ~ 1 + (1 | AY), omega ~ 1, theta ~ 1, nl = TRUE)")
