"""``gp()`` terms without sampling: brms 2.18's scaling, basis, names, default priors and
prior keys; the approximate GP's covariance against the exact kernel; the exact GP's
coefficients and its conditional draws at new points; bad input refused before compiling."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from reference_data import fixture, load

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY
from bayeszoo.formula import FormulaError
from bayeszoo.formula.gp_terms import lscale_prior, tune_inv_gamma
from bayeszoo.models.spec import model_spec

HSGP = "accel ~ gp(times, k=30, c=5/4)"


@pytest.fixture(scope="module")
def mcycle() -> pd.DataFrame:
    return load("mcycle")


@pytest.fixture(scope="module")
def two_d() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 60
    df = pd.DataFrame({"x": rng.uniform(0, 4, n), "z": rng.uniform(-1, 1, n),
                       "fac": pd.Categorical(rng.choice(["a", "b c"], n))})
    df["y"] = np.sin(df.x) + df.z + rng.normal(0, 0.3, n)
    return df


def test_default_lscale_prior_is_brms(mcycle):
    ref = fixture("brms_wave2")["mcycle_hsgp"]["priors"]
    brms = next(r["prior"] for r in ref if r["class"] == "lscale" and r["coef"] == "gptimes")
    spec = model_spec(bz.design(HSGP, mcycle))
    assert brms == "inv_gamma(1.494197, 0.056607)"
    assert spec.priors["lscale_gptimes"] == brms
    assert spec.priors["sdgp_gptimes"] == "half_student_t(3, 35.6)"  # brms: student_t(3, 0, 35.6)
    assert spec.priors["Intercept"] == "student_t(3, -13.3, 35.6)"


def test_tune_inv_gamma_puts_one_percent_in_each_tail():
    from scipy import stats

    for lower, upper in ((0.01, 1.0), (0.2, 3.0), (0.05, 0.06)):
        a, b = tune_inv_gamma(lower, upper)
        dist = stats.invgamma(a, scale=b)
        assert dist.cdf(lower) == pytest.approx(0.01, rel=1e-9)
        assert dist.sf(upper) == pytest.approx(0.01, rel=1e-9)
    assert lscale_prior(np.array([[0.0], [0.0], [1.0]])) == "normal(0, 0.5)"  # lower = upper


def test_scaling_and_basis_follow_brms(mcycle):
    d = bz.design(HSGP, mcycle)
    (st,) = d.term_states
    (sub,) = st.subs
    distinct = mcycle.times.drop_duplicates().to_numpy()
    assert sub["dmax"] == pytest.approx(distinct.max() - distinct.min(), abs=1e-12)
    assert sub["cmeans"][0] == pytest.approx(distinct.mean() / sub["dmax"], abs=1e-12)
    assert sub["L"][0] == pytest.approx(1.25 * 1.0)  # c · max(1, range of the scaled points)
    (blk,) = d.blocks
    assert blk.matrix.shape == (133, 30) and blk.kind == "gp"
    assert blk.structure.slambda[:, 0] == pytest.approx(np.arange(1, 31) * math.pi / 2.5)
    x = (mcycle.times.to_numpy() / sub["dmax"] - sub["cmeans"][0])
    phi3 = np.sin(3 * math.pi * (x + 1.25) / 2.5) / math.sqrt(1.25)
    assert blk.matrix[:, 2] == pytest.approx(phi3, abs=1e-13)
    assert [s.name for s in blk.names.scales] == ["sdgp_gptimes", "lscale_gptimes"]
    assert (blk.names.coef, blk.names.z) == ("rgp_gptimes", "zgp_gptimes")


@pytest.mark.parametrize("lscale", [0.1, 0.3])
def test_approximate_covariance_converges_to_the_exact_kernel(mcycle, lscale):
    """Φ·diag(spd)·Φᵀ of the Hilbert-space basis against the exact GP's kernel on the same
    scaled points: the approximation of Riutort-Mayol et al. (2022) with many basis functions
    and a wide domain reproduces the kernel (it would not with a wrong scaling, frequency or
    spectral density)."""
    approx = bz.design("accel ~ gp(times, k=120, c=3)", mcycle).blocks[0]
    exact = bz.design("accel ~ gp(times)", mcycle).blocks[0]
    sd = np.array(2.0)
    root = approx.structure.sqrt_spd([sd, np.array(lscale)], NUMPY)
    cov_approx = (approx.matrix * root**2) @ approx.matrix.T
    x = exact.structure.points[exact.index, 0]
    cov_exact = sd**2 * np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / lscale**2)
    assert np.max(np.abs(cov_approx - cov_exact)) < 1e-6 * sd**2
    rough = bz.design("accel ~ gp(times, k=5, c=5/4)", mcycle).blocks[0]
    root = rough.structure.sqrt_spd([sd, np.array(lscale)], NUMPY)
    assert np.max(np.abs((rough.matrix * root**2) @ rough.matrix.T - cov_exact)) > 1e-3


def test_exact_gp_block_and_coefficients(mcycle):
    d = bz.design("accel ~ gp(times)", mcycle)
    (blk,) = d.blocks
    assert blk.is_indicator and len(blk.labels) == mcycle.times.nunique() == 94
    points = blk.structure.points[:, 0]
    np.testing.assert_allclose(points[blk.index] * d.term_states[0].subs[0]["dmax"],
                               mcycle.times.to_numpy(), rtol=1e-15)
    z = np.random.default_rng(1).standard_normal((3, 94))
    scales = [np.array([1.0, 20.0, 40.0]), np.array([0.05, 0.1, 0.3])]
    got = blk.structure.coefficients(scales, z, NUMPY)
    for i in range(3):
        K = scales[0][i] ** 2 * np.exp(-0.5 * (points[:, None] - points) ** 2
                                      / scales[1][i] ** 2)
        K += (1e-12 + 1e-9 * scales[0][i] ** 2) * np.eye(94)
        np.testing.assert_allclose(got[i], np.linalg.cholesky(K) @ z[i], rtol=1e-5,
                                   atol=1e-6 * scales[0][i])


def test_exact_gp_conditional_draws_at_new_points(mcycle):
    """New covariate points are appended to the block; their draws are the GP's conditional
    normal given its values at the fitted points (checked by the mean and covariance of many
    draws), while fitted points keep their posterior values."""
    d = bz.design("accel ~ gp(times)", mcycle)
    new = pd.DataFrame({"times": [2.4, 10.05, 31.05, 150.0]})
    nd = d.for_newdata(new)
    (blk,) = nd.blocks
    assert blk.structure.new_points.shape == (3, 1) and blk.index[0] == 0
    assert list(blk.index[1:]) == [94, 95, 96]
    sd, ls = 30.0, 0.08
    rng = np.random.default_rng(5)
    f_old = d.blocks[0].structure.coefficients([np.array(sd), np.array(ls)],
                                              rng.standard_normal(94), NUMPY)
    S = 2000
    draws = blk.structure.predictive_coefficients(
        [np.full(S, sd), np.full(S, ls)], np.tile(f_old, (S, 1)), np.random.default_rng(2))
    np.testing.assert_array_equal(draws[:, :94], np.tile(f_old, (S, 1)))
    x_old = blk.structure.points[:, 0]
    x_new = blk.structure.new_points[:, 0]

    def k(a, b):
        return sd**2 * np.exp(-0.5 * (a[:, None] - b[None, :]) ** 2 / ls**2)

    K = k(x_old, x_old) + (1e-12 + 1e-9 * sd**2) * np.eye(94)
    mean = k(x_new, x_old) @ np.linalg.solve(K, f_old)
    cov = k(x_new, x_new) - k(x_new, x_old) @ np.linalg.solve(K, k(x_old, x_new))
    se = np.sqrt(np.diag(cov) / S)
    assert np.all(np.abs(draws[:, 94:].mean(axis=0) - mean) < 5 * se + 1e-9)
    np.testing.assert_allclose(np.cov(draws[:, 94:].T), cov, atol=0.15 * sd**2)
    assert np.sqrt(cov[2, 2]) == pytest.approx(sd, rel=1e-6)  # 150 ms: far from every point


def test_two_dimensional_and_by_factor_terms(two_d):
    d = bz.design("y ~ gp(x, z, k=5, c=3/2)", two_d)
    (blk,) = d.blocks
    assert blk.matrix.shape == (60, 25) and blk.structure.slambda.shape == (25, 2)
    # expand.grid order: the first index varies fastest
    assert blk.structure.slambda[1, 0] == pytest.approx(2 * blk.structure.slambda[0, 0])
    assert blk.structure.slambda[1, 1] == pytest.approx(blk.structure.slambda[0, 1])
    aniso = bz.design("y ~ gp(x, z, k=5, c=3/2, iso=FALSE)", two_d).blocks[0]
    assert [s.name for s in aniso.names.scales] == ["sdgp_gpxz", "lscale_gpxzx",
                                                    "lscale_gpxzz"]
    assert all(s.default.startswith("inv_gamma(") for s in aniso.names.scales[1:])
    by = bz.design("y ~ gp(x, by=fac, k=8, c=5/4)", two_d)
    assert [b.name for b in by.blocks] == ["gpxfaca", "gpxfacbc"]
    a_rows = (two_d.fac == "a").to_numpy()
    assert np.all(by.blocks[0].matrix[~a_rows] == 0) and np.all(by.blocks[1].matrix[a_rows] == 0)
    # each level is scaled on its own rows, as brms's Igp subsets
    dmax_a = by.term_states[0].subs[0]["dmax"]
    xa = two_d.x[a_rows]
    assert dmax_a == pytest.approx(xa.max() - xa.min())
    exact_by = bz.design("y ~ gp(x, by=fac)", two_d)
    assert [len(b.labels) for b in exact_by.blocks] == [a_rows.sum(), (~a_rows).sum()]
    with pytest.raises(FormulaError, match="new level 'd'"):
        by.for_newdata(pd.DataFrame({"x": [1.0], "fac": ["d"], "z": [0.0]}))
    spec = model_spec(by, priors={"sdgp": "normal(0, 2)", "lscale_gpxfacbc": "gamma(2, 10)"})
    assert spec.priors["sdgp_gpxfaca"] == "half_normal(2)"
    assert spec.priors["lscale_gpxfacbc"] == "gamma(2, 10)"
    assert spec.priors["lscale_gpxfaca"].startswith("inv_gamma(")


def test_gp_in_a_distributional_formula(mcycle):
    f = bz.bf("accel ~ gp(times, k=20, c=5/4)", sigma="~ gp(times, k=10, c=5/4)")
    d = bz.design(f, mcycle)
    spec = model_spec(d, priors={"sdgp_sigma": "normal(0, 1)", "lscale": "gamma(3, 30)"})
    assert spec.priors["sdgp_sigma_gptimes"] == "half_normal(1)"
    assert spec.priors["lscale_gptimes"] == "gamma(3, 30)"
    assert spec.priors["lscale_sigma_gptimes"] == "inv_gamma(1.494197, 0.056607)"
    assert d.dpars["sigma"].blocks[0].names.z == "zgp_sigma_gptimes"


@pytest.mark.slow
@pytest.mark.parametrize("formula", [
    "y ~ gp(x, k=6, c=5/4)", "y ~ gp(x)", "y ~ gp(x, z, iso=FALSE)",
    bz.bf("y ~ gp(x, by=fac, k=5, c=3/2)", sigma="~ gp(z, k=4, c=2)"),
], ids=["hsgp", "exact", "exact-2d-aniso", "by-and-sigma"])
def test_same_log_density_numpyro_pymc(two_d, formula):
    """Both builders give the same joint log density (Jacobians included) at random points,
    for the approximate and the exact GP (PyTensor's Cholesky against the JAX one)."""
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    d = bz.design(formula, two_d.iloc[:25])
    nm = build_numpyro(d)
    potential = initialize_model(jax.random.PRNGKey(0), nm.model,
                                 model_args=(nm.data,)).potential_fn
    pm_model = build_pymc(d).model
    logp = pm_model.compile_logp(jacobian=True)
    rng = np.random.default_rng(1)
    for _ in range(3):
        point, unc = {}, {}
        for rv in pm_model.free_RVs:
            vv = pm_model.rvs_to_values[rv]
            val = rng.normal(size=tuple(int(s) for s in rv.shape.eval())) * 0.5
            point[vv.name], unc[rv.name] = val, val
        assert -float(potential(unc)) == pytest.approx(float(logp(point)), rel=1e-8, abs=1e-6)


@pytest.fixture
def no_compile(monkeypatch):
    """Any attempt to reach a sampler fails the test: errors must come before compiling."""
    from bayeszoo.inference import backends

    def refuse(name):
        raise AssertionError(f"backend {name!r} reached: the input should have been refused")

    monkeypatch.setattr(backends, "get", refuse)


@pytest.mark.parametrize("formula, message", [
    ("accel ~ gp(times, k=0, c=5/4)", "k must be at least 1"),
    ("accel ~ gp(times, k=2.5, c=5/4)", "k must be a whole number"),
    ("accel ~ gp(times, k=10, c=0)", "c must be positive"),
    ("accel ~ gp(times, k=10, c=-1)", "c must be positive"),
    ("accel ~ gp(times, k=10)", "c must be given with k"),
    ("accel ~ gp(times, k=10, c=c(1, 2))", "c has 2 values"),
    ("accel ~ gp(period)", "covariate 'period' is not numeric"),
    ("accel ~ gp(times, cov=\"matern32\")", "only cov=\"exp_quad\""),
    ("accel ~ gp(times, foo=1)", "unsupported argument"),
    ("accel ~ gp(timez)", "unknown column 'timez'"),
    ("accel ~ gp(times, by=grp)", "unknown column 'grp'"),
])
def test_bad_gp_terms_are_refused_before_compiling(mcycle, no_compile, formula, message):
    data = mcycle.assign(period=pd.Categorical(np.where(mcycle.times < 20, "early", "late")))
    with pytest.raises(FormulaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bz.sample(formula, data, chains=1, draws=10, tune=10, progress=False)


@pytest.mark.parametrize("formula, family, message", [
    (bz.bf("accel ~ times", sigma="~ times"), "poisson", "no auxiliary parameter 'sigma'"),
    (bz.bf("accel ~ times", shape="~ times"), "gaussian", "no auxiliary parameter 'shape'"),
    (bz.bf("accel ~ times", sigma="accel ~ times"), "gaussian", "has 'accel' on its left"),
    (bz.bf("accel ~ times", sigma="~ gp(times, k=0, c=1)"), "gaussian", "k must be at least"),
])
def test_bad_distributional_formulas_are_refused_before_compiling(mcycle, no_compile, formula,
                                                                   family, message):
    data = mcycle.assign(accel=mcycle.accel.abs().round())
    with pytest.raises(ValueError, match=message):
        bz.sample(formula, data, family=family, chains=1, draws=10, tune=10, progress=False)
