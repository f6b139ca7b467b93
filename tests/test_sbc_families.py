"""Simulation-based calibration of the ordinal, zero-inflated, hurdle, positive and circular
families and of censored responses: every family simulates responses it accepts from proper
priors, ordinal thresholds are ranked one by one (``b_Intercept[k]``), censored simulations
carry their own codes into the refit, a short run ranks within ``0..max_rank``, and a model
whose likelihood is not the one that simulated the data fails the check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.design import design_arrays
from bayeszoo.families import censoring
from bayeszoo.families.lognormal import Lognormal
from bayeszoo.families.ops import NUMPY
from bayeszoo.inference.posterior import brms_posterior, design_info, family_parameters
from bayeszoo.inference.sbc import prior_draws, quantity, scalar_quantities, simulate
from bayeszoo.models.spec import model_spec

LOG = {"Intercept": "normal(1, 0.5)", "b": "normal(0, 0.5)", "sd": "normal(0, 0.5)"}
LOGIT = {"Intercept": "normal(0, 1)", "b": "normal(0, 1)", "sd": "normal(0, 0.5)"}
#: family, response kind, proper priors
CASES = {
    "zero_inflated_poisson": ("count", LOG),
    "zero_inflated_negbinomial": ("count", {**LOG, "shape": "gamma(4, 1)"}),
    "zero_inflated_binomial": ("trials", LOGIT),
    "zero_inflated_beta": ("unit", {"Intercept": "normal(0, 0.5)", "b": "normal(0, 0.5)",
                                    "sd": "normal(0, 0.3)", "phi": "gamma(10, 0.5)"}),
    "hurdle_poisson": ("count", LOG),
    "hurdle_negbinomial": ("count", {**LOG, "shape": "gamma(4, 1)"}),
    "hurdle_gamma": ("positive", {**LOG, "shape": "gamma(4, 1)"}),
    "hurdle_lognormal": ("positive", {**LOG, "sigma": "normal(0, 1)"}),
    "lognormal": ("positive", {**LOG, "sigma": "normal(0, 1)"}),
    "exponential": ("positive", LOG),
    "weibull": ("positive", {**LOG, "shape": "gamma(4, 2)"}),
    "skew_normal": ("real", {**LOGIT, "sigma": "normal(0, 1)"}),
    "von_mises": ("angle", {"Intercept": "normal(0, 0.5)", "b": "normal(0, 0.3)",
                            "sd": "normal(0, 0.3)", "kappa": "gamma(4, 0.5)"}),
    "cumulative": ("ordinal", LOGIT),
    "sratio": ("ordinal", LOGIT),
    "cratio": ("ordinal", LOGIT),
    "acat": ("ordinal", LOGIT),
}


def frame(kind: str, n: int = 30, seed: int = 0) -> tuple[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"x": rng.normal(size=n), "g": np.repeat(["a", "b", "c"], n // 3)})
    lhs = "y"
    if kind == "count":
        d["y"] = rng.poisson(2.0, n)
    elif kind == "trials":
        d["n"], d["y"], lhs = 8, rng.binomial(8, 0.4, n), "y | trials(n)"
    elif kind == "unit":
        d["y"] = np.where(rng.random(n) < 0.3, 0.0, rng.beta(2, 3, n))
    elif kind == "positive":
        d["y"] = rng.gamma(2.0, 1.5, n)
    elif kind == "real":
        d["y"] = rng.normal(size=n)
    elif kind == "angle":
        d["y"] = rng.vonmises(0.0, 2.0, n)
    elif kind == "ordinal":
        d["y"] = rng.integers(1, 5, n)
    else:
        d["y"] = np.exp(rng.normal(1.0, 0.6, n))
        d["c"] = np.resize(["right", "none", "left", "interval", "none"], n)
        d["y2"] = np.where(d.c == "interval", 2.0 * d.y, d.y)
        lhs = "y | cens(c, y2)"
    return f"{lhs} ~ x + (1 | g)", d


def _valid(family, y: np.ndarray, extras: dict) -> bool:
    if family.name.startswith(("zero_inflated_poisson", "zero_inflated_negbinomial", "hurdle_p",
                               "hurdle_n")):
        return bool(np.all((y >= 0) & (y == np.round(y))))
    if family.name == "zero_inflated_binomial":
        return bool(np.all((y >= 0) & (y <= extras["trials"]) & (y == np.round(y))))
    if family.name == "zero_inflated_beta":
        return bool(np.all((y >= 0) & (y < 1)))
    if family.name.startswith("hurdle_"):
        return bool(np.all(y >= 0))
    if family.name in ("lognormal", "exponential", "weibull"):
        return bool(np.all(y > 0))
    if family.name == "von_mises":
        return bool(np.all(np.abs(y) <= np.pi))
    if family.thresholds:
        return bool(np.all(np.isin(y, [1, 2, 3, 4])))
    return bool(np.all(np.isfinite(y)))


@pytest.mark.parametrize("name", list(CASES))
def test_every_family_simulates_valid_responses_with_finite_log_likelihood(name):
    kind, priors = CASES[name]
    formula, d = frame(kind)
    design = bz.design(formula, d, family=name)
    spec = model_spec(design, priors, "noncentered")
    sims = simulate(design, spec, 6, seed=2)
    assert len(sims) == 6
    for sim in sims:
        assert sim.y.shape == (30,) and _valid(design.family, sim.y, design.additions)
        assert np.isfinite(sim.truth["log_lik"])
        assert sim.truth["log_lik"] < 0 or not design.family.discrete
        assert sim.additions == {}
    if design.family.thresholds:
        names = list(sims[0].truth)
        assert [n for n in names if n.startswith("b_Intercept")] == [
            "b_Intercept[1]", "b_Intercept[2]", "b_Intercept[3]"]
        thresholds = [[s.truth[f"b_Intercept[{k}]"] for k in (1, 2, 3)] for s in sims]
        assert np.all(np.diff(thresholds, axis=1) > 0)
        assert len({s.truth["b_Intercept[1]"] for s in sims}) == 6


def test_threshold_elements_are_named_and_read_as_brms_names_them():
    post = {"b_Intercept": np.arange(24.0).reshape(2, 4, 3), "b_x": np.zeros((2, 4)),
            "r_g": np.zeros((2, 4, 5))}
    assert scalar_quantities(post) == ["b_Intercept[1]", "b_Intercept[2]", "b_Intercept[3]",
                                       "b_x"]
    np.testing.assert_array_equal(quantity(post, "b_Intercept[2]"),
                                  post["b_Intercept"][..., 1])
    np.testing.assert_array_equal(quantity(post, "b_x"), post["b_x"])


def test_censor_records_what_the_data_would_show():
    observed = np.array([2.0, 2.0, 3.0, 3.0, 1.0, 1.0, 1.0, 5.0])
    extras = {"cens": np.array([1.0, 1.0, -1.0, -1.0, 2.0, 2.0, 2.0, 0.0]),
              "y2": np.array([2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 4.0, 5.0])}
    t = np.array([2.5, 1.5, 3.0, 3.5, 4.0, 0.5, 4.5, 0.2])
    y, coded = censoring.censor(t, observed, extras)
    np.testing.assert_array_equal(y, [2.0, 1.5, 3.0, 3.5, 1.0, 0.5, 4.5, 0.2])
    np.testing.assert_array_equal(coded["cens"], [1, 0, -1, 0, 2, 0, 0, 0])
    np.testing.assert_array_equal(coded["y2"], [2.0, 1.5, 3.0, 3.5, 4.0, 0.5, 4.5, 0.2])
    same, none = censoring.censor(t, observed, {})
    np.testing.assert_array_equal(same, t)
    assert none == {}


def test_censored_simulations_carry_their_codes_and_censored_log_likelihood():
    formula, d = frame("censored")
    design = bz.design(formula, d, family="weibull")
    spec = model_spec(design, {**LOG, "shape": "gamma(4, 2)"}, "noncentered")
    sims = simulate(design, spec, 8, seed=3)
    data_codes = design.additions["cens"]
    codes = np.array([s.additions["cens"] for s in sims])
    # a row is censored only where the data censor it, and not always (its time may fall short)
    assert np.all((codes == 0) | (codes == data_codes))
    assert 0 < np.mean(codes[:, data_codes == 1] == 1) < 1
    assert np.all(codes[:, data_codes == 0] == 0)
    sim = sims[0]
    right = sim.additions["cens"] == 1
    np.testing.assert_array_equal(sim.y[right], design.y[right])
    truth = brms_posterior(spec, prior_draws(spec, 8, 3), design)
    eta, aux = family_parameters(truth, design_info(design),
                                 [design_arrays(p) for p in design.predictors], spec.family,
                                 design.additions)
    lp = censoring.log_likelihood(spec.family, NUMPY, sim.y, eta[0, 0],
                                  {k: v[0, 0] for k, v in aux.items()},
                                  {**design.additions, **sim.additions})
    assert sim.truth["log_lik"] == pytest.approx(float(np.sum(lp)), rel=1e-12)


SHORT = {"chains": 1, "draws": 60, "tune": 60, "progress": False}
#: Runs this short do not mix (the warning says so); the tests check the machinery.
UNMIXED = pytest.mark.filterwarnings("ignore::bayeszoo.diagnostics.SamplerWarning")


@UNMIXED
@pytest.mark.parametrize("name,kind,priors", [
    ("cumulative", "ordinal", LOGIT),
    ("weibull", "censored", {**LOG, "shape": "gamma(4, 2)"}),
])
def test_short_runs_rank_every_quantity_in_range(name, kind, priors):
    formula, d = frame(kind)
    result = bz.sbc(formula, d, family=name, n_sims=3, priors=priors, seed=4, max_rank=19,
                    **SHORT)
    assert result.ranks.shape[0] == 3
    assert ((result.ranks >= 0) & (result.ranks <= 19)).all().all()
    assert "log_lik" in result.ranks.columns
    if name == "cumulative":
        assert {"b_Intercept[1]", "b_Intercept[3]", "Intercept[2]", "b_x"} <= set(
            result.ranks.columns)


class DoubledSigmaLognormal(Lognormal):
    """A wrong likelihood: the model's sd of log y is twice its sigma, the data's is sigma."""

    def log_prob(self, ops, y, eta, aux, extras):
        return super().log_prob(ops, y, eta, {**aux, "sigma": 2.0 * aux["sigma"]}, extras)


@UNMIXED
def test_sbc_fails_for_a_likelihood_that_did_not_simulate_the_data():
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"x": rng.normal(size=40), "y": rng.gamma(2.0, 1.5, 40)})
    priors = {"Intercept": "normal(1, 0.5)", "b": "normal(0, 0.5)", "sigma": "normal(0, 1)"}
    opts = {"n_sims": 20, "priors": priors, "seed": 6, "max_rank": 19, **SHORT}
    bad = bz.sbc("y ~ x", d, family=DoubledSigmaLognormal(), **opts)
    assert bad.ranks["sigma"].mean() > 16  # the data's sigma lies above the model's
    assert bad.pvalues["sigma"] < 1e-3 and not bad.inside_band()["sigma"]
