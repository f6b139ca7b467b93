"""REML evaluates the linear predictor from coefficients with the one
:func:`bayeszoo.design.linear_predictor`: the fitted linear predictors a fit reports are that
function of the design's arrays and the fit's coefficients, to the last bit, for the exact
Gaussian path and the Laplace path alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.design import design_arrays, linear_predictor


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 300
    df = pd.DataFrame({"x": rng.uniform(size=n), "g": rng.integers(0, 12, n).astype(str),
                       "t": rng.uniform(0.5, 2.0, n)})
    effect = rng.normal(scale=0.4, size=12)[df["g"].astype(int)]
    df["y"] = rng.poisson(df["t"] * np.exp(np.sin(5 * df["x"]) + effect))
    df["z"] = np.sin(5 * df["x"]) + effect + rng.normal(scale=0.3, size=n)
    return df


@pytest.mark.parametrize("formula, family", [
    ("z ~ s(x) + (1 | g)", "gaussian"),
    ("y ~ s(x) + (1 | g) + offset(log(t))", "poisson"),
])
def test_fitted_linear_predictor_is_the_designs(counts, formula, family):
    fit = bz.reml(formula, counts, family=family)
    beta, coefs = fit.mu_coefficients()
    eta = linear_predictor(design_arrays(fit.design), beta, coefs)
    np.testing.assert_array_equal(fit.linear_predictors, eta)
    np.testing.assert_array_equal(fit.fitted, fit.family.link.inverse_np(eta))
