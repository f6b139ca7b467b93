"""bam(discrete=True) for the exponential families: mgcv's performance iteration on the
discretized cross-products.

At given smoothing parameters the iteration is the penalized-likelihood fit, so it equals
``bz.reml``'s (coefficients, edf, deviance to 1e-8; the scores differ by the constant
``ls + n/2·log(2π)``: mgcv's ``bam`` reports the working model's fREML score, ``gam`` the
Laplace one). With the smoothing parameters estimated it reproduces ``mgcv::bam(discrete = TRUE)``
(tests/fixtures/mgcv_bam.json, whose covariates keep every value): edf and smoothing
parameters to 1e-6 relative, fitted values to 1e-7, the score to 1e-6 relative (mgcv stops when
the penalized deviance changes by less than 1e-7 relative); it differs from the Laplace REML of
``bz.reml`` / ``gam(method = "REML")`` by less than 0.01 in each edf. A Dask data frame gives
the in-memory fit to 1e-8.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

import bayeszoo as bz
from bayeszoo.penalized.bam_pirls import Control

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "mgcv_bam.json").read_text())
F_POIS = "count ~ s(x1, bs='cr') + s(x2, bs='cr', k=8) + s(g, bs='re')"
F_GAMMA = "pos ~ s(x1, bs='cr') + s(x2, bs='cr', k=8)"


def fixture_data() -> pd.DataFrame:
    df = pd.DataFrame({k: FIXTURE["data"][k] for k in ("x1", "x2", "g", "count", "pos")})
    df["g"] = pd.Categorical(df["g"])
    return df


def count_data(n: int = 1500, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": np.round(rng.uniform(0, 1, n), 2),
                       "x2": np.round(rng.uniform(0, 1, n), 2),
                       "g": pd.Categorical(rng.integers(0, 10, n).astype(str)),
                       "trials": rng.integers(1, 6, n)})
    eta = np.sin(6 * df.x1) + df.x2**2 + 0.2 * (df.g.cat.codes.to_numpy() % 3)
    df["y"] = rng.poisson(np.exp(eta))
    df["b"] = rng.binomial(df.trials, 1 / (1 + np.exp(-(eta - 1))))
    df["b01"] = (df.b > 0).astype(int)
    return df


def assert_same_beta(a, b, atol: float = 1e-8) -> None:
    np.testing.assert_allclose(b.coef.to_numpy(), a.coef.to_numpy(), rtol=0, atol=atol)
    assert b.edf == pytest.approx(a.edf, rel=1e-8)
    np.testing.assert_allclose(b.fitted, a.fitted, rtol=1e-8)
    assert b.deviance == pytest.approx(a.deviance, rel=1e-9)


@pytest.mark.parametrize("formula, family, sp", [
    ('y ~ s(x1) + s(x2, bs="cr", k=8) + s(g, bs="re")', "poisson",
     {"s(x1)": 0.3, "s(x2)": 20.0, "s(g)": 5.0}),
    ('b | trials(trials) ~ s(x1, bs="cr") + s(x2, k=6)', "binomial",
     {"s(x1)": 0.3, "s(x2)": 20.0}),
    ('b01 ~ s(x1, bs="cr") + s(g, bs="re")', "bernoulli", {"s(x1)": 0.3, "s(g)": 5.0}),
])
def test_given_sp_equals_the_penalized_likelihood_fit_of_reml(formula, family, sp):
    df = count_data()
    exact = bz.reml(formula, df, family=family, sp=sp)
    fit = bz.bam(formula, df, family=family, sp=sp)
    assert fit.converged
    assert_same_beta(exact, fit)
    assert fit.null_deviance == pytest.approx(exact.null_deviance, rel=1e-12)
    if family == "poisson":  # mgcv's bam score is gam's LAML plus ls + n/2·log(2π)
        ls = float(np.sum(poisson.logpmf(df.y, df.y)))
        assert fit.reml_score - exact.reml_score == pytest.approx(
            ls + len(df) / 2 * math.log(2 * math.pi), rel=1e-9)


def test_gamma_given_sp_equals_reml():
    """Fisher scoring converges linearly for a non-canonical link: a tight control."""
    df = fixture_data()
    sp = {"s(x1)": 300.0, "s(x2)": 9000.0}
    fam = bz.families.gamma(link="log")
    fit = bz.bam(F_GAMMA, df, family=fam, sp=sp, control=Control(tol=1e-12, beta_tol=1e-11))
    assert_same_beta(bz.reml(F_GAMMA, df, family=fam, sp=sp), fit)


@pytest.mark.parametrize("key, formula, family", [
    ("poisson", F_POIS, "poisson"),
    ("gamma", F_GAMMA, "gamma"),
])
def test_reproduces_mgcv_discrete_bam(key, formula, family):
    ref = FIXTURE[key]
    fam = bz.families.gamma(link="log") if family == "gamma" else family
    fit = bz.bam(formula, fixture_data(), family=fam)
    assert fit.converged
    assert fit.edf == pytest.approx(ref["edf_terms"], rel=1e-6)
    assert fit.sp == pytest.approx(ref["sp"], rel=1e-5)
    np.testing.assert_allclose(fit.fitted, ref["fitted"], rtol=1e-7)
    assert fit.deviance == pytest.approx(ref["deviance"], rel=1e-8)
    assert fit.null_deviance == pytest.approx(ref["null_deviance"], rel=1e-10)
    assert fit.scale == pytest.approx(ref["scale"], rel=1e-6)
    assert fit.reml_score == pytest.approx(ref["reml"], rel=1e-6)


def test_close_to_laplace_reml():
    """Performance iteration (mgcv's bam) against the Laplace REML optimum (bz.reml, mgcv's
    gam): the smoothing parameters solve different equations, and differ little."""
    df = fixture_data()
    fit = bz.bam(F_POIS, df, family="poisson")
    exact = bz.reml(F_POIS, df, family="poisson")
    gam = FIXTURE["poisson_gam"]
    assert exact.edf == pytest.approx(gam["edf_terms"], rel=1e-4)
    for term, edf in exact.edf.items():
        assert abs(fit.edf[term] - edf) < 1e-2
    assert np.max(np.abs(fit.fitted - exact.fitted) / exact.fitted) < 1e-3


@pytest.fixture
def synchronous():
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="synchronous"):
        yield


def test_dask_partitions_equal_the_in_memory_fit(synchronous):
    import dask.dataframe as dd

    df = count_data(1200, seed=4)
    f = 'y ~ s(x1) + s(x2, bs="cr", k=8) + s(g, bs="re")'
    mem = bz.bam(f, df, family="poisson", m=30)
    part = bz.bam(f, dd.from_pandas(df, npartitions=3), family="poisson", m=30)
    assert part.reml_score == pytest.approx(mem.reml_score, rel=1e-10)
    assert part.edf == pytest.approx(mem.edf, rel=1e-8)
    assert part.sp == pytest.approx(mem.sp, rel=1e-6)
    np.testing.assert_allclose(part.coef.to_numpy(), mem.coef.to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(part.fitted, mem.fitted, rtol=1e-8)
    assert part.n == mem.n == 1200


def test_rounded_covariates_stay_close_to_the_exact_fit():
    rng = np.random.default_rng(9)
    n = 20000
    df = pd.DataFrame({"x1": rng.uniform(0, 1, n), "x2": rng.uniform(0, 1, n)})
    df["y"] = rng.poisson(np.exp(np.sin(6 * df.x1) + df.x2**2))
    f = 'y ~ s(x1, bs="cr") + s(x2, bs="cr")'
    exact = bz.bam(f, df, family="poisson", discrete=False)
    fit = bz.bam(f, df, family="poisson")
    for term, edf in exact.edf.items():
        assert abs(fit.edf[term] - edf) < 0.02
    assert np.max(np.abs(fit.linear_predictors - exact.linear_predictors)) < 1e-2


def test_refusals():
    df = count_data(300)
    with pytest.raises(ValueError, match="method must be 'REML'"):
        bz.bam("y ~ s(x1)", df, family="poisson", method="ML")
    with pytest.raises(ValueError, match="exponential families.*not negbinomial"):
        bz.bam("y ~ s(x1)", df, family="negbinomial")
    with pytest.raises(ValueError, match="does not take trials"):
        bz.bam("b | trials(trials) ~ s(x1)", df)
