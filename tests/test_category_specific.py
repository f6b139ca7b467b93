"""Category-specific effects ``cs(x)`` of the ``sratio``, ``cratio`` and ``acat`` families: the
log density against brms 2.18's Stan functions written out in NumPy (thresholds ``Intercept -
mucs[n]``), NumPyro and PyMC agreeing, brms's names (``bcs_x`` over ``threshold``) and
``get_prior`` rows (class ``b``, coef ``x``), ``predict`` using the effects, and the refusals
(``cumulative``, as brms: "Category specific effects are not supported for this family.")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import bayeszoo as bz
from bayeszoo.formula import FormulaError
from bayeszoo.formula.state import decode, encode
from bayeszoo.models.prior_table import COLUMNS
from bayeszoo.models.spec import model_spec

FAMILIES = ("sratio", "cratio", "acat")


def simulated(n: int = 80, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = rng.integers(0, 5, n)
    y = 1 + np.digitize(0.7 * x + rng.logistic(size=n), [-1.2, 0.0, 1.1])
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "g": pd.Categorical(g.astype(str)),
                         "y": pd.Categorical(y, categories=[1, 2, 3, 4], ordered=True)})


def log_lpmf_by_hand(family: str, y: int, mu: float, thres: np.ndarray) -> float:
    """brms 2.18's ``<family>_logit_lpmf(y | mu, 1, thres)`` (``R/stan-likelihood.R``'s
    generated functions), row by row, ``thres`` already ``Intercept - mucs[n]``."""
    K = len(thres) + 1
    if family == "sratio":  # P(y = k | y >= k) = inv_logit(thres_k - mu)
        p = [special.expit(thres[k] - mu) * np.prod([1 - special.expit(thres[j] - mu)
                                                     for j in range(k)]) for k in range(K - 1)]
        p.append(np.prod([1 - special.expit(t - mu) for t in thres]))
    elif family == "cratio":  # P(y > k | y >= k) = inv_logit(mu - thres_k)
        q = [special.expit(mu - t) for t in thres]
        p = [(1 - q[k]) * np.prod(q[:k]) for k in range(K - 1)] + [np.prod(q)]
    else:  # acat_logit: log p_k = sum_{j<k} (mu - thres_j) - log normalizer
        lp = np.array([np.sum(mu - thres[:k]) for k in range(K)])
        return float(lp[y - 1] - special.logsumexp(lp))
    return float(np.log(p[y - 1]))


@pytest.mark.parametrize("family", FAMILIES)
def test_log_density_is_brms_formula_with_thresholds_minus_mucs(family):
    """NumPyro's joint log density at fixed values (thresholds on the centered design as brms
    samples them, ``Xcs`` not centered) equals the sum of brms's lpmf with ``Intercept -
    transpose(mucs[n])`` plus the thresholds' ``student_t(3, 0, 2.5)`` prior, to 1e-10."""
    import jax.numpy as jnp
    from numpyro.infer.util import log_density

    from bayeszoo.models.numpyro import build_numpyro

    d = simulated()
    design = bz.design("y ~ cs(x) + z", d, family=family)
    nm = build_numpyro(design)
    assert [s.name for s in nm.spec.sites] == ["b_0", "Intercept", "z_0"]
    intercept = np.array([-0.9, 0.2, 1.3])
    b_z = np.array([0.45])
    bcs = np.array([0.6, -0.35, 0.9])
    values = {"b_0": b_z, "Intercept": intercept, "z_0": bcs}
    lp = float(log_density(nm.model, (nm.data,), {},
                           {k: jnp.asarray(v) for k, v in values.items()})[0])
    z = d["z"].to_numpy()
    mu = (z - z.mean()) * b_z[0]
    y = d["y"].cat.codes.to_numpy() + 1
    x = d["x"].to_numpy()
    hand = sum(log_lpmf_by_hand(family, int(y[n]), mu[n], intercept - x[n] * bcs)
               for n in range(len(d)))
    hand += stats.t.logpdf(intercept, 3, 0, 2.5).sum()
    assert lp == pytest.approx(hand, abs=1e-10, rel=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_numpyro_and_pymc_agree(family):
    """The two builders' joint log density (ordered thresholds' Jacobian included) at the same
    unconstrained values, with a random intercept beside ``cs()``."""
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    design = bz.design("y ~ cs(x) + z + (1 | g)", simulated(), family=family)
    built = build_numpyro(design)
    potential = initialize_model(jax.random.PRNGKey(0), built.model,
                                 model_args=(built.data,)).potential_fn
    pm_model = build_pymc(design).model
    logp = pm_model.compile_logp(jacobian=True)
    names = {rv.name: pm_model.rvs_to_values[rv].name for rv in pm_model.free_RVs}
    assert "z_0" in names
    rng = np.random.default_rng(5)
    for _ in range(3):
        point = {rv.name: rng.normal(size=tuple(int(s) for s in rv.shape.eval())) * 0.4
                 for rv in pm_model.free_RVs}
        lp_pymc = float(logp({names[k]: v for k, v in point.items()}))
        assert np.isfinite(lp_pymc)
        assert -float(potential(point)) == pytest.approx(lp_pymc, rel=1e-9, abs=1e-8)


def test_the_block_and_its_site():
    """One block per ``cs()`` covariate: the raw column (not centered), a flat site of
    ``K - 1`` coefficients named ``bcs_x`` over brms's ``threshold`` dimension."""
    d = simulated()
    design = bz.design("y ~ cs(x) + z + (1 | g)", d, family="acat")
    blk = design.blocks[0]
    assert blk.names.coef == "bcs_x" and blk.names.dims == ("threshold",)
    assert blk.labels == ["1", "2", "3"]
    np.testing.assert_array_equal(blk.Z[:, 0], d["x"].to_numpy())
    spec = model_spec(design)
    assert spec.site("z_0").shape == (3,) and str(spec.site("z_0").prior) == "flat()"
    assert spec.priors["bcs_x"] == "flat()"
    assert str(model_spec(design, {"b": "normal(0, 2)"}).site("z_0").prior) == "normal(0, 2)"
    assert str(model_spec(design, {"bcs_x": "normal(0, 1)", "b": "normal(0, 2)"})
               .site("z_0").prior) == "normal(0, 1)"


def test_the_state_survives_json_and_rebuilds_on_new_data():
    d = simulated()
    design = bz.design("y ~ cs(x) + z", d, family="sratio")
    states = decode(encode(design.states))
    assert states["terms"][0] == {"kind": "cs", "text": "cs(x)", "variable": "x",
                                  "thresholds": 3}
    new = d.iloc[:5].assign(x=[0.0, 1.0, -2.0, 3.0, 0.5])
    nd = design.for_newdata(new)
    np.testing.assert_array_equal(nd.blocks[0].Z[:, 0], [0.0, 1.0, -2.0, 3.0, 0.5])


def test_get_prior_lists_cs_in_class_b_as_brms():
    """brms 2.18's ``prior_cs``: ``brmsprior(class = "b", coef = c("", csef))``; the shared
    class row once, each covariate (``cs`` and ordinary) one empty (flat) row."""
    got = bz.get_prior("y ~ cs(x) + z", simulated(), family="cratio")
    rows = got[["prior", "class", "coef"]].values.tolist()
    assert rows == [["", "b", ""], ["", "b", "x"], ["", "b", "z"],
                    ["student_t(3, 0, 2.5)", "Intercept", ""], ["", "Intercept", "1"],
                    ["", "Intercept", "2"], ["", "Intercept", "3"]]
    assert list(got.columns) == COLUMNS
    user = bz.get_prior("y ~ cs(x) + z", simulated(), family="cratio",
                        priors={"bcs_x": "normal(0, 1)"})
    row = user[(user["class"] == "b") & (user["coef"] == "x")].iloc[0]
    assert (row["prior"], row["source"]) == ("normal(0, 1)", "user")


@pytest.mark.parametrize(("formula", "family", "pattern"), [
    ("y ~ cs(x) + z", "cumulative",
     r"cs\(x\): Category specific effects are not supported for this family \(cumulative"),
    ("y ~ cs(x)", "gaussian", "not supported for this family"),
    (bz.bf("y ~ z", disc="~ cs(x)"), "acat", "only supported for the main parameter 'mu'"),
    ("y ~ z + (cs(x) | g)", "acat", r"category-specific group-level effects"),
    ("y ~ cs(x + z)", "acat", r"cs\(\) takes one covariate; write cs\(x\) \+ cs\(z\)"),
    ("y ~ cs(x):z", "acat", "no interactions"),
    ("y ~ cs(g)", "acat", r"'g' is not numeric"),
])
def test_what_cs_refuses(formula, family, pattern):
    d = simulated()
    if family == "gaussian":
        d = d.assign(y=d["y"].cat.codes.astype(float))
    with pytest.raises(FormulaError, match=pattern):
        bz.design(formula, d, family=family)


def epred_by_hand(family: str, mu: np.ndarray, thres: np.ndarray, mucs: np.ndarray):
    """Category probabilities of every row from :func:`log_lpmf_by_hand`."""
    K = thres.shape[-1] + 1
    return np.array([[np.exp(log_lpmf_by_hand(family, k, mu[n], thres - mucs[n]))
                      for k in range(1, K + 1)] for n in range(len(mu))])


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::bayeszoo.diagnostics.SamplerWarning")  # 40 draws
def test_a_fit_names_bcs_and_predicts_with_it():
    """A short NumPyro fit: ``bcs_x`` over ``threshold`` 1..3 as brms's ``bcs_x[k]``;
    ``predict(kind="epred")`` (draws × rows × categories) equal, draw by draw, to brms's
    probabilities with ``b_Intercept - x·bcs_x`` on new data, and the LOO pointwise
    log-likelihood the log of the observed category's."""
    d = simulated()
    fit = bz.sample("y ~ cs(x) + z", d, family="acat", chains=1, draws=40, tune=60, seed=2,
                    progress=False)
    post = fit.posterior
    assert post["bcs_x"].dims == ("chain", "draw", "threshold")
    assert list(post["bcs_x"].coords["threshold"].values) == [1, 2, 3]
    new = pd.DataFrame({"x": [-1.0, 0.0, 2.0], "z": [0.3, -0.2, 1.0], "g": d["g"].iloc[:3],
                        "y": d["y"].iloc[:3]})
    epred = bz.predict(fit, new, kind="epred")
    assert epred.shape == (40, 3, 4)
    thres = post["b_Intercept"].values[0]
    bcs = post["bcs_x"].values[0]
    bz_ = post["b_z"].values[0]
    for s in (0, 17, 39):
        mucs = new["x"].to_numpy()[:, None] * bcs[s][None, :]
        hand = epred_by_hand("acat", new["z"].to_numpy() * bz_[s], thres[s], mucs)
        np.testing.assert_allclose(epred[s], hand, rtol=1e-10, atol=1e-12)
    ll = fit.log_likelihood["y"].values[0]
    y = d["y"].cat.codes.to_numpy()
    full = bz.predict(fit, kind="epred")
    np.testing.assert_allclose(ll[5], np.log(full[5][np.arange(len(d)), y]), rtol=1e-10)


@pytest.mark.slow
def test_acat_recovers_per_threshold_coefficients():
    """Simulated from brms's acat logit with ``bcs_x = (1.0, -0.5, 0.4)``, ``b_z = 0.6``:
    the posterior means lie within three posterior sd of the truth (2 chains × 500)."""
    rng = np.random.default_rng(11)
    n = 900
    x, z = rng.normal(size=n), rng.normal(size=n)
    intercept, bcs, b_z = np.array([-1.0, 0.0, 1.0]), np.array([1.0, -0.5, 0.4]), 0.6
    lp = np.zeros((n, 4))
    for k in range(1, 4):  # log p_k - log p_1 = sum_{j<k} (mu + mucs_j - Intercept_j)
        lp[:, k] = lp[:, k - 1] + b_z * z + bcs[k - 1] * x - intercept[k - 1]
    p = np.exp(lp - special.logsumexp(lp, axis=1, keepdims=True))
    y = 1 + (rng.uniform(size=n)[:, None] > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)
    d = pd.DataFrame({"x": x, "z": z, "y": y})
    fit = bz.sample("y ~ cs(x) + z", d, family="acat", chains=2, draws=500, tune=500, seed=3,
                    progress=False)
    draws = fit.posterior["bcs_x"].values.reshape(-1, 3)
    m, s = draws.mean(axis=0), draws.std(axis=0)
    assert np.all(np.abs(m - bcs) < 3 * s), (m, s)
    bzd = fit.posterior["b_z"].values.ravel()
    assert abs(bzd.mean() - b_z) < 3 * bzd.std()
    assert int(fit.sample_stats["diverging"].sum()) == 0


def test_summary_and_fixef_list_each_threshold_of_a_cs_effect():
    """brms's ``summary``/``fixef``: ``Intercept[k]``, the ordinary slopes, then ``x[k]`` for
    the category-specific effect."""
    from bayeszoo.inference.brms_summary import summarize

    design = bz.design("y ~ cs(x) + z", simulated(), family="acat")
    rng = np.random.default_rng(0)
    post = {"b_Intercept": rng.normal(size=(2, 50, 3)), "b_z": rng.normal(size=(2, 50)),
            "Intercept": rng.normal(size=(2, 50, 3)),
            "bcs_x": rng.normal(size=(2, 50, 3)) + np.array([1.0, -0.5, 0.4])}
    table = summarize(post, {"diverging": np.zeros((2, 50), bool)}, design,
                      {"chains": 2, "draws": 50, "tune": 50}).fixed
    assert list(table.index) == ["Intercept[1]", "Intercept[2]", "Intercept[3]", "z", "x[1]",
                                 "x[2]", "x[3]"]
    np.testing.assert_allclose(table["Estimate"].to_numpy()[4:],
                               post["bcs_x"].mean(axis=(0, 1)))
