"""The ordinal families ``cumulative``, ``sratio``, ``cratio`` and ``acat``: category
probabilities against brms 2.18's formulas written out with SciPy, in NumPy, JAX and PyTensor;
the thresholds as an ordered site in place of the intercept (brms's default prior from
``get_prior``, ``brms_wave3.json``); the same joint log density in NumPyro and PyMC; bad
responses refused before anything compiles; REML refused naming the samplers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, SHARED
from scipy import special, stats

import bayeszoo as bz
from bayeszoo.families import get
from bayeszoo.families.ops import by_name
from bayeszoo.models.spec import model_spec

WAVE3 = json.loads((FIXTURES / "brms_wave3.json").read_text())
CDF = {"logit": special.expit, "probit": stats.norm.cdf,
       "cloglog": lambda x: 1.0 - np.exp(-np.exp(x))}
ETA = np.array([-1.3, 0.0, 0.4, 2.2])
THRES = np.array([-0.8, 0.1, 1.5])
DISC = np.array([1.0, 0.5, 2.0, 1.3])


def by_hand(family: str, link: str, eta, thres, disc) -> np.ndarray:
    """brms 2.18's category probabilities, one row per ``eta``, written out loop by loop."""
    F = CDF[link]
    out = []
    for e, d in zip(eta, disc, strict=True):
        K = len(thres) + 1
        if family == "cumulative":
            cdf = [0.0, *(F(d * (t - e)) for t in thres), 1.0]
            p = [cdf[k + 1] - cdf[k] for k in range(K)]
        elif family == "sratio":
            q = [1.0 - F(d * (t - e)) for t in thres]
            p = [(1.0 - q[k]) * np.prod(q[:k]) for k in range(K - 1)] + [np.prod(q)]
        elif family == "cratio":
            q = [F(d * (e - t)) for t in thres]
            p = [(1.0 - q[k]) * np.prod(q[:k]) for k in range(K - 1)] + [np.prod(q)]
        else:
            q = [F(d * (e - t)) for t in thres]
            p = np.array([np.prod(q[:k]) * np.prod([1.0 - v for v in q[k:]])
                          for k in range(K)])
            p = p / p.sum()
        out.append(p)
    return np.array(out)


CASES = [(f, link) for f in ("cumulative", "sratio", "cratio", "acat")
         for link in ("logit", "probit", "cloglog")]


@pytest.mark.parametrize(("family", "link"), CASES)
def test_probabilities_match_brms_formulas(family, link):
    fam = get(family, link)
    p = fam.mean(ETA, {"thresholds": THRES, "disc": DISC})
    assert p.shape == (4, 4)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(p, by_hand(family, link, ETA, THRES, DISC), rtol=1e-9,
                               atol=1e-14)


def test_rating_beyond_the_thresholds_has_no_probability():
    lp = get("cumulative").log_prob(by_name("numpy"), np.array([1.0, 4.0, 5.0]), np.zeros(3),
                                    {"thresholds": THRES}, {})
    assert np.all(np.isfinite(lp[:2])) and lp[2] == -np.inf


def test_acat_logit_is_brms_closed_form():
    """``acat_logit_lpmf``: ``log P(y = k) = sum_{j<k} (eta - thres_j)`` less log-sum-exp."""
    e = 0.7
    terms = np.concatenate([[0.0], np.cumsum(e - THRES)])
    np.testing.assert_allclose(get("acat").mean(np.array([e]), {"thresholds": THRES})[0],
                               np.exp(terms - special.logsumexp(terms)), rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "jax", "pytensor"])
@pytest.mark.parametrize(("family", "link"), CASES)
def test_log_density_every_backend(backend, family, link):
    y = np.array([1.0, 2.0, 3.0, 4.0])
    expected = np.log(by_hand(family, link, ETA, THRES, DISC)[np.arange(4), [0, 1, 2, 3]])
    expected = expected * np.array([1.0, 2.0, 0.5, 1.0])
    ops = by_name(backend)
    if backend == "jax":
        from bayeszoo.runtime import ensure_configured

        ensure_configured()
    lp = get(family, link).log_prob(ops, y, ops.asarray(ETA),
                                    {"thresholds": ops.asarray(THRES), "disc": ops.asarray(DISC)},
                                    {"weights": np.array([1.0, 2.0, 0.5, 1.0])})
    lp = np.asarray(lp.eval() if backend == "pytensor" else lp, dtype=float)
    np.testing.assert_allclose(lp, expected, rtol=1e-9)


def test_far_tails_stay_finite_with_finite_gradient():
    import jax
    import jax.numpy as jnp

    from bayeszoo.families.ops import jax_ops
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    for link in ("logit", "probit", "cloglog"):
        fam = get("cumulative", link)

        def total(t, fam=fam):
            return fam.log_prob(jax_ops(), jnp.array([2.0, 2.0, 3.0]),
                                jnp.array([-30.0, 30.0, 0.0]), {"thresholds": t}, {}).sum()

        value, grad = jax.value_and_grad(total)(jnp.array([-1.0, 1.0, 2.0]))
        assert np.isfinite(float(value)), link
        assert np.all(np.isfinite(np.asarray(grad))), link


def test_draws_follow_probabilities():
    fam = get("cumulative", "probit")
    rng = np.random.default_rng(0)
    eta = np.zeros(20000)
    draws = fam.draw(rng, eta, {"thresholds": THRES})
    assert set(np.unique(draws)) == {1.0, 2.0, 3.0, 4.0}
    freq = np.bincount(draws.astype(int), minlength=5)[1:] / draws.size
    np.testing.assert_allclose(freq, fam.mean(np.zeros(1), {"thresholds": THRES})[0], atol=0.01)


def inhaler() -> pd.DataFrame:
    d = pd.read_csv(SHARED / "data" / "inhaler.csv")
    d["subject"] = pd.Categorical(d["subject"].astype(str),
                                  categories=[str(i) for i in sorted(d["subject"].unique())])
    return d


def test_get_prior_equals_brms():
    got = bz.get_prior("rating ~ treat + period + carry + (1 | subject)", inhaler(),
                       family="cumulative")
    assert got.to_dict("records") == WAVE3["default_priors"]["cumulative_inhaler"]["rows"]


def test_thresholds_replace_the_intercept():
    d = inhaler()
    design = bz.design("rating ~ treat + period + carry + (1 | subject)", d, family="cumulative")
    assert design.column_names == ["treat", "period", "carry"]
    spec = model_spec(design)
    site = spec.site("Intercept")
    assert (site.shape, site.support, str(site.prior)) == ((3,), "ordered",
                                                          "student_t(3, 0, 2.5)")
    assert spec.mu.intercept is None and spec.mu.thresholds == "Intercept"
    d["rating"] = pd.Categorical(d["rating"].map({1: "a", 2: "b", 3: "c", 4: "d"}),
                                 categories=["a", "b", "c", "d", "e"], ordered=True)
    spec = model_spec(bz.design("rating ~ treat", d, family="sratio"), {"Intercept":
                                                                         "normal(0, 3)"})
    assert spec.site("Intercept").shape == (4,)
    assert str(spec.site("Intercept").prior) == "normal(0, 3)"


def simulated(n: int = 60, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = rng.integers(0, 4, n)
    y = 1 + np.digitize(0.8 * x + rng.logistic(size=n), [-1.0, 0.3, 1.4])
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "g": pd.Categorical(g.astype(str)),
                         "y": y})


@pytest.mark.slow
@pytest.mark.parametrize(("formula", "family"), [
    ("y ~ x + (1 | g)", "cumulative"), ("y ~ x", "sratio"), ("y ~ x", "cratio"),
    (bz.bf("y ~ x", disc="~ 0 + z"), "acat")])
def test_same_log_density_numpyro_pymc(formula, family):
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    design = bz.design(formula, simulated(), family=family)
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


@pytest.mark.parametrize(("values", "message"), [
    ([1, 2, 0, 3], r"'y' of a cumulative model must hold the ratings 1..K .*row 2 has 0"),
    ([1, 2, 2.5, 3], r"row 2 has 2.5"),
    (["low", "high", "low", "mid"], r"must be an ordered pandas Categorical or whole numbers "
                                    r"1..K; it holds 'low'"),
    (pd.Categorical.from_codes([0, 2, 1, -1], categories=["lo", "mid", "hi"], ordered=True),
     r"missing values \(NaN\) in column 'y'"),
])
def test_bad_responses_refused_before_compiling(no_compile, values, message):
    d = pd.DataFrame({"y": values, "x": [0.1, 0.5, -0.3, 1.2]})
    with pytest.raises(ValueError, match=message):
        bz.sample("y ~ x", d, family="cumulative", chains=1, draws=10, tune=10, progress=False)


def test_reml_refused_naming_the_samplers():
    with pytest.raises(ValueError, match=r"REML is not available for the ordinal family "
                                         r"'cumulative'.*bz.sample.*NumPyro, PyMC and nutpie"):
        bz.reml("y ~ x", simulated(), family="cumulative")


def test_summary_shows_thresholds_as_brms():
    """``summary``'s Population-Level Effects start with ``Intercept[1]``, ... as brms's."""
    from bayeszoo.inference.brms_summary import summarize

    design = bz.design("rating ~ treat + (1 | subject)", inhaler(), family="cumulative")
    rng = np.random.default_rng(0)
    post = {"b_Intercept": rng.normal(size=(2, 50, 3)) + np.array([0.7, 3.8, 5.1]),
            "b_treat": rng.normal(size=(2, 50)),
            "sd_subject__Intercept": rng.gamma(5, size=(2, 50)),
            "Intercept": rng.normal(size=(2, 50, 3))}
    table = summarize(post, {"diverging": np.zeros((2, 50), bool)}, design,
                      {"chains": 2, "draws": 50, "tune": 50}).fixed
    assert list(table.index) == ["Intercept[1]", "Intercept[2]", "Intercept[3]", "treat"]
    np.testing.assert_allclose(table["Estimate"].to_numpy()[:3],
                               post["b_Intercept"].mean(axis=(0, 1)))


def test_fixef_lists_thresholds_and_bayes_r2_refuses_probabilities():
    from bayeszoo.inference.effects import fixef
    from bayeszoo.inference.r2 import bayes_r2

    rng = np.random.default_rng(1)
    post = {"b_Intercept": rng.normal(size=(2, 40, 2)) + np.array([-1.0, 1.0]),
            "b_x": rng.normal(size=(2, 40)), "Intercept": rng.normal(size=(2, 40, 2))}
    table = fixef(post, ())
    assert list(table.index) == ["Intercept[1]", "Intercept[2]", "x"]
    assert table.loc["Intercept[2]", "Estimate"] == pytest.approx(
        post["b_Intercept"][..., 1].mean())
    with pytest.raises(ValueError, match="category probabilities"):
        bayes_r2(np.ones(5), np.full((10, 5, 3), 1 / 3))
