"""``bz.bam(state_m=)``: every covariate value kept, the term states built on the default
discretization's points: the exact fit of the model that ``discrete=True`` approximates, as
mgcv's ``bam(discrete = n, knots = grid)`` (numbers from mgcv 1.8-41, R 4.2.2; data below
written with 17 significant digits and fitted by
``bam(f, data, family, discrete = 10000, knots = list(x = seq(min(x), max(x), length.out = 20),
z = ...), nthreads = 1)``)."""

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz

EVERY = 10**9

MGCV = {  # formula -> (family, edf of s(x), s(z), first four linear predictors)
    "y ~ s(x, k=6) + s(z, k=5)": (
        "gaussian", [4.9376026928, 3.3106905694],
        [-0.6862503671, -0.1813655204, -0.9362231490, 1.0609969376]),
    "count ~ s(x, k=6) + s(z, k=5)": (
        "poisson", [4.6902398229, 1.6025197546],
        [-0.2740000129, -0.0170108258, -0.6945634841, 1.5482566046]),
}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    x = rng.uniform(size=n)
    z = rng.uniform(size=n)
    y = np.sin(2 * np.pi * x) + 0.5 * z**2 + rng.normal(scale=0.3, size=n)
    count = rng.poisson(np.exp(0.5 + np.sin(2 * np.pi * x)))
    return pd.DataFrame({"y": y, "count": count, "x": x, "z": z})


@pytest.mark.parametrize("formula", list(MGCV))
def test_exact_fit_on_the_discretized_bases_matches_mgcv(data, formula):
    family, edf, eta = MGCV[formula]
    fit = bz.bam(formula, data, family=family, m=EVERY, state_m=20)
    np.testing.assert_allclose(list(fit.edf.values()), edf, atol=1e-6)
    np.testing.assert_allclose(np.ravel(fit.linear_predictors)[:4], eta, atol=1e-6)


def test_state_m_changes_the_bases_not_the_rows(data):
    formula = "y ~ s(x, k=6) + s(z, k=5)"
    exact = bz.bam(formula, data, m=EVERY, state_m=20)
    own = bz.bam(formula, data, m=EVERY)  # tp bases on the state rows' own values
    rounded = bz.bam(formula, data, m=20)  # rows rounded onto the 20 points too
    assert abs(own.edf["s(z)"] - exact.edf["s(z)"]) > 0.01
    assert abs(rounded.edf["s(z)"] - exact.edf["s(z)"]) > 0.1
    assert exact.n == own.n == 400


def test_state_m_needs_the_rows_kept(data):
    with pytest.raises(ValueError, match="state_m"):
        bz.bam("y ~ s(x, k=6)", data, m=EVERY, state_m=20, keep_rows=False)
