"""Censored ``skew_normal`` and ``von_mises`` responses sampled end to end by NumPyro and PyMC:
the posterior recovers the simulated parameters within Monte Carlo error (four posterior
standard deviations), the stored log-likelihood (what LOO reads) is the censored one, and
``predict(kind="pp")`` respects ``trunc()``."""

import math

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.families import censoring, skew_normal
from bayeszoo.families.ops import NUMPY

pytestmark = pytest.mark.slow

N = 200
TRUTH_SN = {"b_Intercept": 0.5, "b_x": 1.0, "sigma": 1.2, "alpha": 3.0}
TRUTH_VM = {"b_x": 0.6, "kappa": 4.0}


def _skew_normal_data() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    x = rng.normal(size=N)
    mu = TRUTH_SN["b_Intercept"] + TRUTH_SN["b_x"] * x
    y = skew_normal().draw(rng, mu, {"sigma": np.full(N, TRUTH_SN["sigma"]),
                                     "alpha": np.full(N, TRUTH_SN["alpha"])})
    code = np.where(y > 2.0, "right", np.where(y < -0.5, "left", "none"))
    return pd.DataFrame({"x": x, "y": np.clip(y, -0.5, 2.0), "code": code})


def _von_mises_data() -> pd.DataFrame:
    rng = np.random.default_rng(22)
    x = rng.uniform(-1.0, 1.0, N)
    mu = 2.0 * np.arctan(TRUTH_VM["b_x"] * x)
    y = rng.vonmises(mu, TRUTH_VM["kappa"])
    code = np.where(y > 1.0, "right", "none")
    return pd.DataFrame({"x": x, "y": np.minimum(y, 1.0), "code": code})


@pytest.fixture(scope="module", params=["numpyro", "pymc"])
def backend(request):
    return request.param


def _within(fit, truth):
    for name, value in truth.items():
        draws = fit.posterior[name].values
        assert abs(draws.mean() - value) < 4.0 * draws.std(), name


def test_censored_skew_normal_recovers_the_truth(backend):
    d = _skew_normal_data()
    fit = bz.sample("y | cens(code) ~ x", d, family="skew_normal", backend=backend, chains=2,
                    draws=300, tune=300, seed=3, progress=False)
    _within(fit, TRUTH_SN)
    post = fit.posterior
    eta = post["b_Intercept"].values[..., None] + post["b_x"].values[..., None] * d.x.to_numpy()
    aux = {k: post[k].values[..., None] for k in ("sigma", "alpha")}
    extras = {"cens": d.code.map({"none": 0.0, "right": 1.0, "left": -1.0}).to_numpy()}
    expected = censoring.log_likelihood(skew_normal(), NUMPY, d.y.to_numpy(), eta, aux, extras)
    np.testing.assert_allclose(fit.log_likelihood["y"].values, expected, rtol=1e-8, atol=1e-8)


def test_censored_truncated_von_mises_recovers_the_truth(backend):
    d = _von_mises_data()
    fit = bz.sample("y | cens(code) + trunc(lb = -3, ub = 3) ~ 0 + x", d, family="von_mises",
                    backend=backend, chains=2, draws=300, tune=300, seed=4, progress=False)
    _within(fit, TRUTH_VM)
    pp = bz.predict(fit, kind="pp", seed=5)
    assert pp.min() >= -3.0 and pp.max() <= 3.0
    assert np.all(np.isfinite(fit.log_likelihood["y"].values))
    assert abs(float(np.mean(pp > 1.0)) - float(np.mean(d.code == "right"))) < 0.05
    loo = bz.loo(fit)
    # the pointwise elpd of the censored rows are censored probabilities: below log 1 = 0
    right = (d.code == "right").to_numpy()
    assert math.isfinite(float(loo.elpd_loo)) and np.all(loo.loo_i.values[right] < 0.0)
