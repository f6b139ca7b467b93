"""Fit.conditional_effects of a model with nested grouping factors, ``(1 | a) + (1 | a:b)``:
brms's ``re_formula = NA`` leaves the group-level effects out, so the reference row's levels
(each factor's first, a combination the data may not hold) need not exist in the fitted data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest


@pytest.mark.slow
def test_effects_of_a_model_whose_first_levels_never_meet():
    import bayeszoo as bz

    rng = np.random.default_rng(3)
    a = np.repeat(["A", "B"], 40)
    b = np.where(a == "A", rng.choice(["q", "r"], 80), rng.choice(["p", "s"], 80))
    d = pd.DataFrame({"a": a, "b": b, "x": rng.normal(size=80)})
    d["y"] = 1.0 + 0.5 * d.x + rng.normal(scale=0.5, size=80)
    assert not ((d.a == "A") & (d.b == "p")).any()
    with pytest.warns():  # a short run: the sampler's warnings about few draws
        fit = bz.sample("y ~ x + (1 | a) + (1 | a:b)", d, chains=1, draws=100, tune=100,
                        seed=1, progress=False)
    ce = fit.conditional_effects("x")
    grid = ce["x"]["x"].to_numpy()
    b0 = fit.posterior["b_Intercept"].values.ravel()
    b1 = fit.posterior["b_x"].values.ravel()
    expected = np.median(b0[:, None] + b1[:, None] * grid[None, :], axis=0)
    np.testing.assert_allclose(ce["x"]["estimate__"].to_numpy(), expected, rtol=1e-6, atol=1e-9)
