"""A truncated and censored Gaussian sampled end to end by NumPyro and PyMC: both give the
posterior of the same log-likelihood (which the ``log_likelihood`` group stores, as LOO reads
it), recover the simulated coefficients that plain least squares on the truncated data would
bias, and ``predict(kind="pp")`` draws within the bounds."""

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.families import censoring, gaussian
from bayeszoo.families.ops import NUMPY

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, 4000)
    y = 0.5 + 1.5 * x + rng.normal(0, 1.0, x.size)
    keep = y > 0
    x, y = x[keep][:300], y[keep][:300]
    code = np.where(y > 2.5, "right", "none")
    return pd.DataFrame({"x": x, "y": np.minimum(y, 2.5), "code": code})


@pytest.fixture(scope="module", params=["numpyro", "pymc"])
def fit(request, data):
    return bz.sample("y | cens(code) + trunc(lb = 0) ~ x", data, backend=request.param,
                     chains=2, draws=500, tune=500, seed=2, progress=False)


def test_truncated_censored_gaussian_recovers_the_truth(fit, data):
    post = fit.posterior
    slope = float(post["b_x"].mean())
    sigma = float(post["sigma"].mean())
    assert abs(slope - 1.5) < 0.35 and abs(sigma - 1.0) < 0.2
    naive = np.polyfit(data["x"], data["y"], 1)[0]
    assert naive < 1.2  # the truncated, censored data flatten a least-squares slope


def test_stored_log_likelihood_is_the_censored_one(fit, data):
    post = fit.posterior
    eta = (post["b_Intercept"].values[..., None] + post["b_x"].values[..., None]
           * data["x"].to_numpy())
    extras = {"cens": np.where(data["code"] == "right", 1.0, 0.0), "lb": np.zeros(len(data))}
    expected = censoring.log_likelihood(gaussian(), NUMPY, data["y"].to_numpy(), eta,
                                        {"sigma": post["sigma"].values[..., None]}, extras)
    np.testing.assert_allclose(fit.log_likelihood["y"].values, expected, rtol=1e-8, atol=1e-8)


def test_predictive_draws_respect_the_bound(fit, data):
    pp = bz.predict(fit, kind="pp", seed=3)
    assert pp.shape[1] == len(data) and pp.min() >= 0.0
    new = bz.predict(fit, newdata=pd.DataFrame({"x": [-1.0, 0.0]}), kind="pp", seed=3)
    assert new.min() >= 0.0
    assert new.max() > 2.5  # censoring does not bound the predictive draws
