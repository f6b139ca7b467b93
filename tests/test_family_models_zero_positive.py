"""The zero-inflated, hurdle, positive and circular families as models: brms 2.18's default
priors against ``get_prior`` (``brms_wave3.json``), ``zi``/``hu`` as probabilities (their
priors checked, their formulas on the logit link), the same joint log density in NumPyro and
PyMC, and bad responses refused before anything compiles."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

import bayeszoo as bz
from bayeszoo.models.spec import model_spec

WAVE3 = json.loads((FIXTURES / "brms_wave3.json").read_text())
FORMULA = "art ~ fem + mar + kid5 + phd + ment"
PRIOR_CASES = {
    "zip_biochemists": ("biochemists", FORMULA, "zero_inflated_poisson"),
    "zinb_biochemists": ("biochemists", FORMULA, "zero_inflated_negbinomial"),
    "hurdle_nb_biochemists": ("biochemists", FORMULA, "hurdle_negbinomial"),
    "hurdle_nb_hu_biochemists": ("biochemists", bz.bf(FORMULA, hu="~ fem + ment"),
                                 "hurdle_negbinomial"),
    "hurdle_poisson_biochemists": ("biochemists", FORMULA, "hurdle_poisson"),
    # brms's formulas carry cens(censored), which leaves the default priors as they are
    "weibull_kidney": ("kidney", "time ~ age + sex + disease + (1 | patient)", "weibull"),
    "lognormal_kidney": ("kidney", "time ~ age + sex", "lognormal"),
}
LEVELS = {"biochemists": WAVE3["biochemists_zip"]["levels"],
          "kidney": WAVE3["kidney_weibull_cens_re"]["levels"]}


def load(name: str) -> pd.DataFrame:
    d = bz.datasets.DATASETS[name]["loader"]()
    for col, spec in LEVELS[name].items():
        assert [str(v) for v in d[col].cat.categories] == spec["levels"], (name, col)
    return d


@pytest.mark.parametrize("key", list(PRIOR_CASES))
def test_get_prior_equals_brms(key):
    data, formula, family = PRIOR_CASES[key]
    got = bz.get_prior(formula, load(data), family=family)
    assert got.to_dict("records") == WAVE3["default_priors"][key]["rows"]


def simulated(n: int = 80, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = rng.integers(0, 5, n)
    mu = np.exp(0.4 + 0.5 * x)
    zero = rng.uniform(size=n) < 0.3
    t = rng.integers(1, 8, n).astype(float)
    return pd.DataFrame({
        "x": x, "g": pd.Categorical(g.astype(str)),
        "count": np.where(zero, 0, rng.poisson(mu)).astype(float),
        "t": t, "succ": np.where(zero, 0, rng.binomial(t.astype(int), 0.4)).astype(float),
        "prop": np.where(zero, 0.0, rng.beta(2, 5, n)),
        "amount": np.where(zero, 0.0, rng.gamma(2.0, mu / 2.0)),
        "time": rng.weibull(1.5, n) * mu,
        "yr": 1.0 + 0.5 * x + rng.standard_normal(n),
        "angle": np.angle(np.exp(1j * (0.3 * x + rng.vonmises(0.0, 3.0, n)))),
    })


MODEL_CASES = [
    ("count ~ x + (1 | g)", "zero_inflated_poisson", {}),
    (bz.bf("count ~ x", zi="~ x"), "zero_inflated_negbinomial", {}),
    ("succ | trials(t) ~ x", "zero_inflated_binomial", {}),
    (bz.bf("prop ~ x", zi="~ x"), "zero_inflated_beta", {}),
    ("count ~ x", "hurdle_poisson", {"hu": "uniform(0, 0.8)"}),
    (bz.bf("count ~ x + (1 | g)", hu="~ x"), "hurdle_negbinomial", {}),
    ("amount ~ x", "hurdle_gamma", {}),
    (bz.bf("amount ~ x", hu="~ x"), "hurdle_lognormal", {}),
    ("time ~ x", "lognormal", {}),
    ("time ~ x", "exponential", {}),
    ("time ~ x + (1 | g)", "weibull", {}),
    (bz.bf("yr ~ x", sigma="~ x"), "skew_normal", {}),
    ("angle ~ x", "von_mises", {}),
]
MODEL_IDS = [c[1] for c in MODEL_CASES]


@pytest.mark.slow
@pytest.mark.parametrize(("formula", "family", "priors"), MODEL_CASES, ids=MODEL_IDS)
def test_same_log_density_numpyro_pymc(formula, family, priors):
    """The joint log density (priors, Jacobians of the probability and positive sites,
    likelihood) of NumPyro's model equals PyMC's at random unconstrained points."""
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    design = bz.design(formula, simulated(), family=family)
    built = build_numpyro(design, priors)
    potential = initialize_model(jax.random.PRNGKey(0), built.model,
                                 model_args=(built.data,)).potential_fn
    pm_model = build_pymc(design, priors).model
    logp = pm_model.compile_logp(jacobian=True)
    values = {rv.name: pm_model.rvs_to_values[rv].name for rv in pm_model.free_RVs}
    spec = model_spec(design, priors)
    rng = np.random.default_rng(3)
    for _ in range(3):
        point = {}
        for rv in pm_model.free_RVs:
            shape = tuple(int(s) for s in rv.shape.eval())
            v = rng.normal(size=shape) * 0.3
            if rv.name == "Intercept":
                v = v * 0.1 + spec.site("Intercept").prior.named["mu"]
            point[rv.name] = v
        lp_pymc = float(logp({values[k]: v for k, v in point.items()}))
        assert np.isfinite(lp_pymc)
        assert -float(potential(point)) == pytest.approx(lp_pymc, rel=1e-9, abs=1e-8)


def test_zi_and_hu_are_probability_sites():
    d = simulated()
    spec = model_spec(bz.design("count ~ x", d, family="zero_inflated_poisson"))
    zi = spec.site("zi")
    assert (str(zi.prior), zi.support) == ("beta(1, 1)", "unit")
    spec = model_spec(bz.design(bz.bf("count ~ x", hu="~ x"), d, family="hurdle_poisson"))
    assert str(spec.site("Intercept_hu").prior) == "logistic(0, 1)"
    assert spec.predictors[1].link.name == "logit"
    spec = model_spec(bz.design("count ~ x", d, family="hurdle_poisson"),
                      {"hu": "uniform(0.1, 0.5)"})
    assert str(spec.site("hu").prior) == "uniform(0.1, 0.5)"
    alpha = model_spec(bz.design("yr ~ x", d, family="skew_normal")).site("alpha")
    assert (str(alpha.prior), alpha.support) == ("normal(0, 4)", "real")


@pytest.mark.parametrize(("prior", "message"), [
    ("normal(0, 1)", r"not allowed for 'zi', which is a probability: use one of beta, uniform"),
    ("uniform(0, 2)", r"'zi': the parameter is a probability, so the bounds must lie within"),
])
def test_bad_zi_priors_are_refused(prior, message):
    d = bz.design("count ~ x", simulated(), family="zero_inflated_poisson")
    with pytest.raises(ValueError, match=message):
        model_spec(d, {"zi": prior})


@pytest.mark.parametrize(("column", "family", "message"), [
    ("yr", "hurdle_poisson", r"'yr' of a hurdle_poisson model must hold non-negative whole"),
    ("yr", "weibull", r"'yr' of a weibull model must be positive"),
    ("time", "von_mises", r"'time' of a von_mises model must be an angle"),
])
def test_bad_responses_refused_before_compiling(no_compile, column, family, message):
    with pytest.raises(ValueError, match=message):
        bz.sample(f"{column} ~ x", simulated(), family=family, chains=1, draws=10, tune=10,
                  progress=False)
