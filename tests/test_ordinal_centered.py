"""Hierarchical centering of an ordinal model's random intercept on its first threshold
(``parameterization="centered"``): the block is sampled as ``u_g = r_g - thres_1 ~
Normal(-thres_1, sd)``. The transformation is exact: the joint log density at ``u`` equals the
non-centered one at ``z = (u + thres_1) / sd`` less the Jacobian ``G log sd``, in NumPyro
(collapsed and row-wise) and PyMC, for every ordinal family; and the brms-named posterior is
the same within Monte Carlo error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.families import get
from bayeszoo.models.spec import model_spec


def ratings_data(n: int = 400, groups: int = 10, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    a, b = rng.integers(0, 2, n), rng.integers(0, 3, n)
    latent = 0.8 * a - 0.5 * b + rng.normal(0, 0.7, groups)[g] + rng.logistic(size=n)
    y = 1 + np.searchsorted([-1.0, 0.2, 1.4], latent)
    return pd.DataFrame({"y": pd.Categorical(y, categories=[1, 2, 3, 4], ordered=True),
                         "a": a.astype(float), "b": pd.Categorical(b),
                         "g": pd.Categorical(g), "w": rng.integers(1, 4, n).astype(float)})


FAMILIES = ["cumulative", "sratio", "cratio", "acat", get("cumulative", "probit")]
IDS = ["cumulative", "sratio", "cratio", "acat", "cumulative-probit"]


def test_spec_centers_the_random_intercept_on_the_first_threshold():
    design = bz.design("y ~ a + b + (1 | g)", ratings_data(), family="cumulative")
    (block,) = model_spec(design, parameterization="centered").mu.blocks
    assert block.centered_on == "Intercept" and block.on_threshold
    thres = np.array([[-1.0, 0.5, 2.0], [0.3, 0.4, 0.9]])
    np.testing.assert_array_equal(block.centered_mean({"Intercept": thres}), [[1.0], [-0.3]])
    u = np.array([[0.5, -0.2, 1.0], [0.0, 0.1, -0.4]])
    np.testing.assert_allclose(block.from_centered({"Intercept": thres, "z_0": u}),
                               u + thres[:, :1], rtol=0, atol=1e-15)
    (plain,) = model_spec(design).mu.blocks
    assert plain.centered_on is None and not plain.on_threshold


def test_only_the_first_random_intercept_is_centered_on_a_threshold():
    d = ratings_data()
    d["x"] = np.random.default_rng(1).normal(size=len(d))
    design = bz.design("y ~ a + (1 | g) + (0 + x | g)", d, family="cumulative")
    spec = model_spec(design, parameterization="centered")
    assert [bs.centered_on for bs in spec.mu.blocks] == ["Intercept", None]
    assert not spec.mu.blocks[1].on_threshold


def numpyro_log_joint(design, parameterization: str, sufficient_stats: bool):
    """The model's joint log density of constrained values (priors and likelihood)."""
    from numpyro.infer.util import log_density

    from bayeszoo.models.numpyro import build_numpyro

    built = build_numpyro(design, parameterization=parameterization,
                          sufficient_stats=sufficient_stats)
    return lambda values: float(log_density(built.model, (built.data,), {}, values)[0])


def random_point(rng, spec) -> dict:
    """Constrained values of every site: increasing thresholds, positive scales."""
    out = {}
    for site in spec.sites:
        x = rng.normal(0, 0.6, site.shape)
        out[site.name] = np.sort(x) if site.support == "ordered" else \
            np.exp(x - 0.5) if site.support == "positive" else x
    return out


def shifted(point: dict, groups: int) -> tuple[dict, float]:
    """The centered draws of ``point``'s non-centered ``z_0`` and the log Jacobian."""
    sd = point["sd_g__Intercept"]
    u = sd * point["z_0"] - point["Intercept"][0]
    return {**point, "z_0": u}, groups * float(np.log(sd))


@pytest.mark.parametrize("family", FAMILIES, ids=IDS)
@pytest.mark.parametrize("sufficient_stats", [True, False], ids=["collapsed", "rows"])
def test_numpyro_log_density_is_the_noncentered_one_shifted(family, sufficient_stats):
    d = ratings_data()
    design = bz.design("y | weights(w) ~ a + b + (1 | g)", d, family=family)
    groups = d["g"].nunique()
    noncentered = numpyro_log_joint(design, "noncentered", sufficient_stats)
    centered = numpyro_log_joint(design, "centered", sufficient_stats)
    rng = np.random.default_rng(7)
    for _ in range(3):
        p = random_point(rng, model_spec(design))
        q, log_jacobian = shifted(p, groups)
        lp_nc, lp_c = noncentered(p) - log_jacobian, centered(q)
        assert np.isfinite(lp_c)
        assert abs(lp_c - lp_nc) <= 1e-10 * max(1.0, abs(lp_nc))


@pytest.mark.parametrize("family", ["cumulative", "acat"])
def test_pymc_log_density_is_the_noncentered_one_shifted(family):
    pytest.importorskip("pymc")
    from bayeszoo.models.pymc import build_pymc

    d = ratings_data(n=200)
    design = bz.design("y ~ a + b + (1 | g)", d, family=family)
    groups = d["g"].nunique()
    models = {p: build_pymc(design, parameterization=p).model
              for p in ("noncentered", "centered")}
    logps = {p: m.compile_logp(jacobian=False) for p, m in models.items()}
    rng = np.random.default_rng(5)
    for _ in range(2):
        p = random_point(rng, model_spec(design))
        q, log_jacobian = shifted(p, groups)
        ordered = models["centered"].rvs_to_transforms[models["centered"]["Intercept"]]
        free = {"Intercept_ordered__": ordered.forward(p["Intercept"]).eval(), "b_0": p["b_0"],
                "sd_g__Intercept_log__": np.log(p["sd_g__Intercept"])}
        lp_nc = float(logps["noncentered"]({**free, "z_0": p["z_0"]})) - log_jacobian
        lp_c = float(logps["centered"]({**free, "z_0": q["z_0"]}))
        assert abs(lp_c - lp_nc) <= 1e-9 * max(1.0, abs(lp_nc))


@pytest.mark.slow
def test_centered_posterior_matches_noncentered_in_brms_names():
    d = ratings_data(n=1500, groups=15, seed=9)
    fits = {p: bz.sample("y ~ a + b + (1 | g)", d, family="cumulative", chains=4, draws=1000,
                         tune=1000, seed=2, parameterization=p, progress=False)
            for p in ("noncentered", "centered")}
    names = ["b_Intercept", "b_a", "b_b1", "b_b2", "sd_g__Intercept", "r_g"]
    for name in names:
        x = {p: np.asarray(f.posterior[name]) for p, f in fits.items()}
        lead = x["centered"].shape[:2]
        flat = {p: v.reshape(*lead, -1) for p, v in x.items()}
        for j in range(flat["centered"].shape[-1]):
            a, b = flat["noncentered"][..., j], flat["centered"][..., j]
            sd = float(np.sqrt(0.5 * (a.var() + b.var())))
            assert abs(a.mean() - b.mean()) < 0.15 * sd, (name, j)
            assert abs(a.std() / b.std() - 1) < 0.15, (name, j)
