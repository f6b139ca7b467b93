"""Distributional parameters without sampling: a formula for every auxiliary parameter of every
family (fixed, random and smooth terms), brms's names and default priors, the link each
parameter's linear predictor goes through in the likelihood, and ``bz.bf`` wherever a formula
string goes (design, zoo, the formula a fit records)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference_data import fixture, load
from scipy import special, stats

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY
from bayeszoo.inference.posterior import brms_posterior
from bayeszoo.inference.sampling import formula_text
from bayeszoo.models.likelihood import model_data, pointwise_log_likelihood
from bayeszoo.models.spec import model_spec

# the smooth reads z: x + s(x) would span the intercept twice, which the design resolves by
# leaving the intercept out (bayeszoo.formula.aliasing)
FULL = '~ x + (1 | g) + s(z, bs="cr", k=5)'


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 80
    x = rng.uniform(0, 1, n)
    g = pd.Categorical(rng.choice(["a", "b", "c", "d"], n))
    mu = np.exp(0.5 + x)
    return pd.DataFrame({
        "x": x, "g": g,
        "y_real": 1.0 + 2.0 * x + rng.normal(0, 0.5, n),
        "y_count": rng.poisson(mu),
        "y_pos": rng.gamma(3.0, mu / 3.0),
        "y_unit": rng.beta(2.0, 3.0, n),
        "z": rng.uniform(0, 1, n),
    })


# family, response, distributional parameter, brms's default prior of its formula's intercept,
# inverse link of that parameter
CASES = [
    ("gaussian", "y_real", "sigma", "student_t(3, 0, 2.5)", np.exp),
    ("student", "y_real", "sigma", "student_t(3, 0, 2.5)", np.exp),
    ("student", "y_real", "nu", "normal(2.7, 0.8)", lambda e: 1.0 + np.exp(e)),
    ("negbinomial", "y_count", "shape", "student_t(3, 0, 2.5)", np.exp),
    ("gamma", "y_pos", "shape", "student_t(3, 0, 2.5)", np.exp),
    ("beta", "y_unit", "phi", "student_t(3, 0, 2.5)", np.exp),
]


def log_density(family: str, y, mu_eta, aux: dict) -> np.ndarray:
    """The reference log density (SciPy) of each family (its default link; gamma's log)."""
    if family == "gaussian":
        return stats.norm.logpdf(y, mu_eta, aux["sigma"])
    if family == "student":
        return stats.t.logpdf(y, aux["nu"], mu_eta, aux["sigma"])
    mu = np.exp(mu_eta) if family != "beta" else special.expit(mu_eta)
    if family == "negbinomial":
        return stats.nbinom.logpmf(y, aux["shape"], aux["shape"] / (aux["shape"] + mu))
    if family == "gamma":
        return stats.gamma.logpdf(y, aux["shape"], scale=mu / aux["shape"])
    return stats.beta.logpdf(y, mu * aux["phi"], (1.0 - mu) * aux["phi"])


def random_values(spec, rng) -> dict:
    out = {}
    for s in spec.sites:
        v = rng.normal(0.0, 0.3, s.shape)
        out[s.name] = np.abs(v) + 0.2 if s.support != "real" else v
    return out


@pytest.mark.parametrize("family, response, dpar, intercept_prior, inverse", CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_every_auxiliary_parameter_takes_a_formula(frame, family, response, dpar,
                                                   intercept_prior, inverse):
    f = bz.bf(f"{response} ~ x", **{dpar: FULL})
    link = "log" if family == "gamma" else None  # brms's Gamma defaults to the inverse link
    d = bz.design(f, frame, family=bz.families.get(family, link=link))
    spec = model_spec(d)
    sub = d.dpars[dpar]
    assert sub.fixed_params == [f"b_{dpar}_Intercept", f"b_{dpar}_x", f"bs_{dpar}_sz_1"]
    assert [s.name for b in sub.blocks for s in b.names.scales] == [
        f"sd_g__{dpar}_Intercept", f"sds_{dpar}_sz_1"]
    assert [b.names.coef for b in sub.blocks] == [f"r_g__{dpar}", f"s_{dpar}_sz_1"]
    assert spec.priors[f"Intercept_{dpar}"] == intercept_prior
    assert spec.priors[f"b_{dpar}_x"] == "flat()"
    sd_default = spec.priors["sd_g__" + dpar + "_Intercept"]
    assert sd_default == spec.priors[f"sds_{dpar}_sz_1"] and sd_default.startswith(
        "half_student_t(3, ")
    assert dpar not in spec.aux  # estimated through its formula, not as a constant
    spec2 = model_spec(d, priors={f"sd_{dpar}": "normal(0, 1)", f"b_{dpar}_x": "normal(0, 2)",
                                  f"Intercept_{dpar}": "normal(1, 1)"})
    assert spec2.priors[f"sd_g__{dpar}_Intercept"] == "half_normal(1)"
    assert spec2.priors[f"b_{dpar}_x"] == "normal(0, 2)"

    # brms's names on draws, and the likelihood: the parameter is its linear predictor through
    # brms's link, row by row
    rng = np.random.default_rng(2)
    values = random_values(spec, rng)
    lp = pointwise_log_likelihood(spec, values, model_data(d, spec), NUMPY, np.concatenate)
    draws = {k: np.asarray(v)[None, None] for k, v in values.items()}
    post = brms_posterior(spec, draws, d)
    for name in (f"b_{dpar}_Intercept", f"b_{dpar}_x", f"bs_{dpar}_sz_1",
                 f"sd_g__{dpar}_Intercept", f"sds_{dpar}_sz_1", f"r_g__{dpar}",
                 f"s_{dpar}_sz_1", "b_Intercept", "b_x"):
        assert name in post, name
    eta_dpar = (sub.X @ np.array([post[n][0, 0] for n in sub.fixed_params])
                + sub.blocks[0].Z @ post[f"r_g__{dpar}"][0, 0]
                + sub.blocks[1].Z @ post[f"s_{dpar}_sz_1"][0, 0])
    eta_mu = d.X @ np.array([post[n][0, 0] for n in d.fixed_params])
    aux = {dpar: inverse(eta_dpar)}
    aux |= {a: post[a][0, 0] for a in spec.aux}
    np.testing.assert_allclose(lp, log_density(family, d.y, eta_mu, aux), rtol=1e-9, atol=1e-9)


def test_fixture_priors_and_names_of_the_mcycle_model():
    ref = fixture("brms_wave2")["mcycle_distributional"]
    mcycle = load("mcycle")
    f = bz.bf('accel ~ s(times, bs="cr", k=20)', sigma='~ s(times, bs="cr", k=10)')
    spec = model_spec(bz.design(f, mcycle))
    brms = {(r["class"], r["dpar"]): r["prior"] for r in ref["priors"] if r["prior"]}
    assert spec.priors["Intercept"] == brms[("Intercept", "")]
    assert spec.priors["Intercept_sigma"] == brms[("Intercept", "sigma")]
    for key, name in ((("sds", ""), "sds_stimes_1"), (("sds", "sigma"), "sds_sigma_stimes_1")):
        assert brms[key] == "student_t(3, 0, 35.6)"
        assert spec.priors[name] == "half_student_t(3, 35.6)"
    assert {"bs_sigma_stimes_1", "Intercept_sigma", "sds_sigma_stimes_1"} <= set(spec.priors)


def test_bf_wherever_a_formula_goes():
    from bayeszoo.models import zoo

    entry = zoo.get("mcycle_distributional")
    assert str(entry.formula) == ('bf(accel ~ 1 + s(times, bs="cr", k=20), '
                                  'sigma ~ 1 + s(times, bs="cr", k=10))')
    assert "sigma ~" in zoo.describe("mcycle_distributional")
    d = bz.design(entry.formula, entry.load_data())
    assert formula_text(d) == str(entry.formula)
    assert formula_text(bz.design("accel ~ times", entry.load_data())) == "accel ~ times"
    assert {"mcycle_distributional", "mcycle_gp", "mcycle_cr20"} <= set(zoo.RUN_MODELS)
    # a design evaluated on new data keeps the distributional formula's terms
    nd = d.for_newdata(pd.DataFrame({"times": [5.0, 30.0]}))
    assert nd.dpars["sigma"].X.shape == (2, 2) and nd.dpars["sigma"].blocks[0].matrix.shape[0] == 2
