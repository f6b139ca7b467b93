"""brms default priors, the prior vocabulary, and the same log density in NumPyro and PyMC."""

import json

import numpy as np
import pytest

import bayeszoo as bz
from bayeszoo.formula import design as make_design
from bayeszoo.models.priors import (
    Prior,
    default_scale,
    half_student_t,
    normal,
    parse_prior,
    r_mad,
)
from bayeszoo.models.spec import model_spec


@pytest.fixture(scope="module")
def radon():
    return make_design("log_radon ~ 1 + (1 | county)", bz.datasets.load_radon())


@pytest.fixture(scope="module")
def mcycle():
    return make_design("accel ~ s(times, bs='cr', k=20)", bz.datasets.load_mcycle())


@pytest.fixture(scope="module")
def mixed():
    return make_design("log_radon ~ 1 + floor + s(log_uranium, bs='cr', k=5) + (1 | county)",
                       bz.datasets.load_radon())


def test_r_mad_and_scale_match_r():
    df = bz.datasets.load_radon()
    assert r_mad(df["log_radon"]) == pytest.approx(0.835400, abs=1e-6)
    assert default_scale(df["log_radon"]) == (1.3, 2.5)
    assert default_scale(bz.datasets.load_mcycle()["accel"]) == (-13.3, 35.6)


def test_defaults_match_brms(radon, mcycle, brms_ref):
    spec = model_spec(radon)
    assert spec.priors == {"Intercept": "student_t(3, 1.3, 2.5)",
                           "sd_county__Intercept": "half_student_t(3, 2.5)",
                           "sigma": "half_student_t(3, 2.5)"}
    assert "student_t(3, 1.3, 2.5)" in brms_ref["radon_intercept"]["priors"]
    spec = model_spec(mcycle)
    assert spec.priors["Intercept"] == "student_t(3, -13.3, 35.6)"
    assert spec.priors["sds_stimes_1"] == spec.priors["sigma"] == "half_student_t(3, 35.6)"
    assert spec.priors["bs_stimes_1"] == "flat()"
    assert "student_t(3, -13.3, 35.6)" in brms_ref["mcycle_cr_k20"]["priors"]
    assert "student_t(3, 0, 35.6)" in brms_ref["mcycle_cr_k20"]["priors"]


@pytest.mark.parametrize("text, expected", [
    ("normal(0, 5)", normal(0, 5)),
    ("normal(mu=0, sigma=5)", normal(0, 5)),
    ("student_t(3, 1.3, 2.5)", Prior("student_t", (3, 1.3, 2.5))),
    ("half_normal(1)", Prior("half_normal", (1,))),
    ("half_normal(0, 1)", Prior("half_normal", (1,))),
    ("half_student_t(3, 2.5)", half_student_t(3, 2.5)),
    ("half_student_t(3, 0, 2.5)", half_student_t(3, 2.5)),
    ("exponential(2)", Prior("exponential", (2,))),
    ("flat", Prior("flat")),
    ("flat()", Prior("flat")),
])
def test_parse(text, expected):
    assert parse_prior(text) == expected
    assert parse_prior(str(expected)) == expected


@pytest.mark.parametrize("text", [
    "cauchy(0)", "normal(0)", "normal(0, 1, 2)", "normal(0, -1)", "normal(loc=0, sigma=1)",
    "half_normal(1, 2)",
    "half_student_t(3, 1, 2)", "normal(0, x)", "exponential(0)", "normal(0, 1",
])
def test_parse_errors(text):
    with pytest.raises(ValueError):
        parse_prior(text)


def test_overrides_and_keys(mixed):
    spec = model_spec(mixed, {"sigma": "half_normal(0, 1)", "sd_county": "exponential(1)",
                              "b": "normal(0, 5)", "Intercept": normal(1, 2),
                              "sds": "half_normal(3)"})
    assert spec.priors["sigma"] == "half_normal(1)"
    assert spec.priors["sd_county__Intercept"] == "exponential(1)"
    assert spec.priors["b_floor"] == spec.priors["bs_slog_uranium_1"] == "normal(0, 5)"
    assert spec.priors["Intercept"] == "normal(1, 2)"
    assert spec.priors["sds_slog_uranium_1"] == "half_normal(3)"
    # most specific wins
    spec = model_spec(mixed, {"b": "normal(0, 5)", "b_floor": "normal(0, 1)", "bs": "flat"})
    assert spec.priors["b_floor"] == "normal(0, 1)"
    assert spec.priors["bs_slog_uranium_1"] == "flat()"
    assert json.loads(spec.priors_json()) == spec.priors


@pytest.mark.parametrize("priors, match", [
    ({"sd_state": "normal(0, 1)"}, "unknown prior name"),
    ({"tau": "normal(0, 1)"}, "unknown prior name"),
    ({"sigma": "normal(1, 1)"}, "location-0"),
    ({"b": "half_normal(1)"}, "positive"),
    ({"sigma": "logitnormal(0, 1)"}, "unknown prior family"),
    ({"sigma": "lkj(2)"}, "not allowed"),
    ({"b": "gamma(2, 1)"}, "not allowed"),
    ({"sigma": "half_normal(0, 1, 2)"}, "parameter"),
    ({"sigma": 3.0}, "string"),
])
def test_bad_priors(mixed, priors, match):
    with pytest.raises(ValueError, match=match):
        model_spec(mixed, priors)


def test_priors_must_be_a_dict(mixed):
    with pytest.raises(TypeError, match="priors must be a dict"):
        model_spec(mixed, ["sigma", "normal(0, 1)"])


def test_extended_vocabulary(mixed):
    spec = model_spec(mixed, {"sigma": "gamma(2, 0.1)", "sd": "half_cauchy(0, 1)",
                              "sds": "lognormal(0, 1)", "b_floor": "cauchy(0, 2)",
                              "Intercept": "uniform(-10, 10)"})
    assert spec.priors["sigma"] == "gamma(2, 0.1)"
    assert spec.priors["sd_county__Intercept"] == "half_cauchy(1)"
    assert spec.priors["sds_slog_uranium_1"] == "lognormal(0, 1)"
    assert spec.priors["b_floor"] == "cauchy(0, 2)"
    assert parse_prior("lkj_corr_cholesky(1)") == Prior("lkj", (1,))
    assert parse_prior("inv_gamma(1.494197, 0.056607)").named == {"alpha": 1.494197,
                                                                   "beta": 0.056607}
    with pytest.raises(ValueError, match="lower"):
        parse_prior("uniform(2, 1)")
    with pytest.raises(ValueError, match="lower bound"):
        model_spec(mixed, {"sigma": "uniform(-1, 1)"})


@pytest.mark.parametrize("sufficient_stats", [True, False])
def test_same_log_density_numpyro_pymc(mixed, sufficient_stats):
    """Both builders give the same joint log density (Jacobians included) at random points,
    NumPyro's through the sufficient statistics and row by row, PyMC's row by row."""
    pytest.importorskip("pymc")
    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    priors = {"b_floor": "normal(0, 2)", "sigma": "exponential(1)"}
    for par in ("noncentered", "centered"):
        nm = build_numpyro(mixed, priors, parameterization=par,
                           sufficient_stats=sufficient_stats)
        from bayeszoo.models.likelihood import ModelData

        assert isinstance(nm.data, ModelData) != sufficient_stats
        pm_model = build_pymc(mixed, priors, parameterization=par).model
        import jax
        from numpyro.infer.util import initialize_model

        info = initialize_model(jax.random.PRNGKey(0), nm.model, model_args=(nm.data,))
        potential = info.potential_fn
        logp = pm_model.compile_logp(jacobian=True)
        rng = np.random.default_rng(1)
        for _ in range(3):
            point, unc = {}, {}
            for rv in pm_model.free_RVs:
                vv = pm_model.rvs_to_values[rv]
                shape = tuple(int(s) for s in rv.shape.eval())
                val = rng.normal(size=shape) * 0.5
                point[vv.name] = val
                unc[rv.name] = val
            lp_pymc = float(logp(point))
            lp_numpyro = -float(potential(unc))
            assert lp_numpyro == pytest.approx(lp_pymc, rel=1e-9, abs=1e-6)
