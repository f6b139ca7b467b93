"""Simulation-based calibration of a non-linear formula in NumPyro: an exponential curve whose
scale has a random intercept per group and a prior bounded below by 0 (``lb=0``), its rate a
slope in a covariate. Calibrated ranks (every parameter's p-value above 0.01, inside the 99 %
band) say that the bounded priors, the nlpar designs and the expression make the model the
simulations come from; one wrong piece (a prior truncated without renormalization, a covariate
read from the wrong column) would skew the ranks."""

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz

pytestmark = pytest.mark.slow

PRIORS = {"b_a": "normal(2, 0.5) lb=0", "b_b": "normal(0, 0.5)", "sd_a": "normal(0, 0.3)",
          "sigma": "exponential(4)"}


@pytest.fixture(scope="module")
def curve_data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({"x": np.tile(np.linspace(0, 2, 8), 4), "z": rng.normal(size=32),
                         "g": np.repeat(list("abcd"), 8), "y": 0.0})


@pytest.mark.reference
def test_nonlinear_sbc_is_calibrated(curve_data):
    f = bz.bf("y ~ a * exp(-b * x)", a="~ 1 + (1 | g)", b="~ 1 + z", nl=True)
    res = bz.sbc(f, curve_data, n_sims=80, priors=PRIORS, seed=3, chains=2, draws=200,
                 tune=300, target_accept=0.95, progress=False)
    assert set(res.ranks.columns) >= {"b_a_Intercept", "b_b_Intercept", "b_b_z",
                                      "sd_g__a_Intercept", "sigma", "log_lik"}
    assert res.pvalues.min() > 0.01 and res.inside_band().all(), res.pvalues
    # the random intercept of 4 groups has a funnel: a few divergent transitions of 32 000
    assert res.diagnostics["divergences"].sum() < 0.001 * 80 * 2 * 200
