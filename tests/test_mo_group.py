"""brms's monotonic effects varying by group, ``(mo(x) | g)``: the group's coefficient
``r_g[g, mox]`` adds to ``bsp_mox`` and multiplies the one monotonic transform
``mo(simo_mox1, x) = D · Σ_{i ≤ x} simo[i]`` (brms 2.18's ``stan_sp``). The log density of the
NumPyro and PyMC models and the posterior's linear predictor equal a hand-written JAX
expression at random parameter values; the names are brms's; what brms refuses is refused."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.design import design_arrays
from bayeszoo.formula import FormulaError
from bayeszoo.formula.term_types import state_from_dict
from bayeszoo.inference.posterior import brms_posterior, design_info, family_parameters
from bayeszoo.models.numpyro import build_numpyro
from bayeszoo.models.pymc import build_pymc
from bayeszoo.models.spec import model_spec

jax.config.update("jax_enable_x64", True)

PRIORS = {"Intercept": "normal(0, 1)", "bsp_mox": "normal(0, 1)", "sd": "normal(0, 1)",
          "sigma": "normal(0, 1)"}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    return pd.DataFrame({"y": rng.normal(size=n), "x": rng.integers(0, 4, n),
                         "z": rng.normal(size=n), "g": rng.choice(list("abcde"), n)})


def random_values(spec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A value of every site of ``spec`` inside its support."""
    out = {}
    for s in spec.sites:
        if s.support == "simplex":
            out[s.name] = rng.dirichlet(np.ones(s.shape[-1]))
        elif s.support == "correlation":
            a = rng.normal(size=(s.shape[-1], s.shape[-1]))
            cov = a @ a.T + np.eye(s.shape[-1])
            sd = np.sqrt(np.diag(cov))
            out[s.name] = np.linalg.cholesky(cov / np.outer(sd, sd))
        elif s.support == "positive":
            out[s.name] = rng.uniform(0.3, 1.5, size=s.shape)
        else:
            out[s.name] = rng.normal(size=s.shape)
    return out


def hand_eta(design, values: dict, correlated: bool) -> jnp.ndarray:
    """brms's ``mu`` of ``y ~ mo(x) + (1 + mo(x) | g)`` (``||`` when not ``correlated``)."""
    x = jnp.asarray(design.data["x"].to_numpy())
    g = jnp.asarray(pd.Categorical(design.data["g"]).codes)
    simo = jnp.asarray(values["z_0"])
    cum = jnp.concatenate([jnp.zeros(1), jnp.cumsum(simo)])[x]  # Σ_{i ≤ x} simo_i
    mo = simo.shape[0] * cum
    if correlated:
        sd = jnp.array([values["sd_g__Intercept"], values["sd_g__mox"]])
        r = values["z_1"] @ (sd[:, None] * values["L_g"]).T
        r_int, r_mo = r[:, 0], r[:, 1]
    else:
        r_int = values["sd_g__Intercept"] * values["z_1"]
        r_mo = values["sd_g__mox"] * values["z_2"]
    return values["Intercept"] + r_int[g] + (values["bsp_mox"] + r_mo[g]) * mo


def hand_log_lik(design, values: dict, correlated: bool) -> float:
    eta = hand_eta(design, values, correlated)
    y = jnp.asarray(design.y)
    return float(jnp.sum(jax.scipy.stats.norm.logpdf(y, eta, values["sigma"])))


def test_names_and_state(frame):
    d = bz.design("y ~ mo(x) + (1 + mo(x) | g)", frame)
    mo, grp = d.blocks
    assert (mo.kind, mo.names.z, grp.coefs, grp.names.coef) == \
        ("mo", "simo_mox1", ("Intercept", "mox"), "r_g")
    assert [s.name for s in grp.names.scales] == ["sd_g__Intercept", "sd_g__mox", "L_g"]
    assert grp.names.coords[1] == ("Intercept", "mox")
    np.testing.assert_array_equal(grp.weights, np.ones((len(frame), 2)))
    st = d.term_states[1]
    assert st.mo == ("mox",) and state_from_dict(st.to_dict()) == st
    iid = bz.design("y ~ mo(x) + (1 + z + mo(x) || g)", frame)
    assert [(b.coef, b.names.coef, b.names.scales[0].name) for b in iid.blocks[1:]] == [
        ("Intercept", "r_g", "sd_g__Intercept"), ("z", "r_g__z", "sd_g__z"),
        ("mox", "r_g__mox", "sd_g__mox")]
    assert bz.design("y ~ mo(x) + (0 + mo(x) | g)", frame).blocks[1].coefs == ("mox",)


@pytest.mark.parametrize("formula, pattern", [
    ("y ~ (mo(x) | g)", r"need the population-level term too .*add mo\(x\)"),
    ("y ~ mo(x):z + (mo(x) | g)", r"need the population-level term too"),
    ("y ~ mo(x) + (mo(x):z | g)", r"not supported inside group-level terms"),
    ("y ~ mo(x) + (mo(x, k = 2) | g)", r"mo\(\) takes one predictor and no arguments"),
])
def test_what_is_refused(frame, formula, pattern):
    with pytest.raises(FormulaError, match=pattern):
        bz.design(formula, frame)


def test_reml_and_multivariate_refuse(frame):
    with pytest.raises(ValueError, match="no penalty for monotonic blocks"):
        bz.reml("y ~ mo(x) + (1 + mo(x) | g)", frame)
    with pytest.raises(ValueError, match=r"\(mo\(x\) \| g\)\) are not supported in "
                                         "multivariate"):
        bz.sample("mvbind(y, z) ~ mo(x) + (mo(x) | g)", frame, chains=1, draws=5, tune=5)


@pytest.mark.parametrize("formula, correlated", [
    ("y ~ mo(x) + (1 + mo(x) | g)", True), ("y ~ mo(x) + (1 + mo(x) || g)", False)])
def test_numpyro_log_likelihood_equals_hand_written(frame, formula, correlated):
    from numpyro.handlers import substitute, trace

    d = bz.design(formula, frame)
    m = build_numpyro(d, PRIORS)
    rng = np.random.default_rng(11)
    for _ in range(3):
        values = random_values(m.spec, rng)
        tr = trace(substitute(m.model, data=values)).get_trace()
        site = tr[m.spec.response]
        got = float(jnp.sum(site["fn"].log_prob(site["value"])))
        assert got == pytest.approx(hand_log_lik(d, values, correlated), abs=1e-10, rel=1e-12)


def test_pymc_log_likelihood_equals_hand_written(frame):
    d = bz.design("y ~ mo(x) + (1 + mo(x) | g)", frame)
    pm_model = build_pymc(d, PRIORS)
    model, spec = pm_model.model, pm_model.spec
    rng = np.random.default_rng(12)
    for _ in range(3):
        values = random_values(spec, rng)
        got = float(model[spec.response].eval({model[s.name]: values[s.name]
                                               for s in spec.sites}))
        assert got == pytest.approx(hand_log_lik(d, values, True), abs=1e-10, rel=1e-12)


def test_posterior_linear_predictor_and_new_data(frame):
    """The stored-fit path (brms names -> ``eta``) gives the same ``mu``, also on new rows and
    for a level the fit did not see (its group part zero)."""
    d = bz.design("y ~ mo(x) + (1 + mo(x) | g)", frame)
    spec = model_spec(d, PRIORS)
    rng = np.random.default_rng(13)
    values = random_values(spec, rng)
    draws = {k: np.asarray(v)[None, None] for k, v in values.items()}
    post = brms_posterior(spec, draws, d)
    assert post["simo_mox1"].shape == (1, 1, 3) and post["r_g"].shape == (1, 1, 5, 2)
    info = design_info(d)
    assert info["predictors"][0]["mo_groups"] == [{"link": [1, 1, 0, 3],
                                                   "simplex": "simo_mox1"}]
    eta, _ = family_parameters(post, info, [design_arrays(d)], spec.family, {})
    np.testing.assert_allclose(eta[0, 0], hand_eta(d, values, True), atol=1e-12)
    new = frame.iloc[:6].copy()
    new.loc[new.index[[2, 4]], "g"] = "zz"
    nd = d.for_newdata(new, allow_new_levels=True)
    eta_new, _ = family_parameters(post, info, [design_arrays(nd)], spec.family, {})
    seen = new["g"].to_numpy() != "zz"
    np.testing.assert_allclose(eta_new[0, 0][seen],
                               np.asarray(hand_eta(d, values, True))[:6][seen], atol=1e-12)
    simo = values["z_0"]
    mo = 3 * np.concatenate([[0.0], np.cumsum(simo)])[new["x"].to_numpy()]
    np.testing.assert_allclose(eta_new[0, 0][~seen],
                               values["Intercept"] + values["bsp_mox"] * mo[~seen], atol=1e-12)


@pytest.mark.slow
def test_sampling_recovers_simulated_parameters():
    rng = np.random.default_rng(1)
    G, per = 8, 30
    g = np.repeat(np.arange(G), per)
    x = rng.integers(0, 4, G * per)
    simo = np.array([0.6, 0.1, 0.3])
    r_int, r_mo = rng.normal(0, 0.5, G), rng.normal(0, 0.4, G)
    mu = 0.5 + r_int[g] + (1.0 + r_mo[g]) * 3 * np.concatenate([[0], np.cumsum(simo)])[x]
    d = pd.DataFrame({"y": mu + rng.normal(0, 0.3, G * per), "x": x,
                      "g": [f"g{k}" for k in g]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bz.sample("y ~ mo(x) + (1 + mo(x) | g)", d, backend="numpyro", chains=2,
                        draws=400, tune=400, seed=1)
    post = fit.posterior
    np.testing.assert_allclose(post["simo_mox1"].mean(("chain", "draw")), simo, atol=0.05)
    assert float(post["bsp_mox"].mean()) == pytest.approx(1.0 + r_mo.mean(), abs=0.2)
    assert float(post["sigma"].mean()) == pytest.approx(0.3, abs=0.04)
    r = post["r_g"].mean(("chain", "draw")).sel(g__coef="mox").to_numpy()
    assert np.corrcoef(r, r_mo - r_mo.mean())[0, 1] > 0.9
