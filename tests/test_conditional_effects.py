"""Fit.conditional_effects (brms's marginal effects) and Fit.smooths (mgcv's partial effects),
checked against the same quantities computed by hand from the posterior draws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

FORMULA = "y ~ x + f + s(z, k=5) + t2(z, w, k=4) + (1 | g)"


@pytest.fixture(scope="module")
def fit():
    import bayeszoo as bz

    rng = np.random.default_rng(1)
    n = 100
    d = pd.DataFrame({"x": rng.normal(size=n), "z": rng.uniform(0, 1, n),
                      "w": rng.uniform(0, 1, n),
                      "f": pd.Categorical(rng.choice(["a", "b", "c"], n)),
                      "g": rng.choice(list("pqrstu"), n)})
    d["y"] = rng.poisson(np.exp(0.3 + 0.4 * d.x + np.sin(3 * d.z)))
    with pytest.warns():  # a short run: the sampler's warnings about few draws
        return bz.sample(FORMULA, d, family="poisson", chains=2, draws=150, tune=150, seed=1,
                         progress=False)


def draws(fit, name: str) -> np.ndarray:
    v = np.asarray(fit.posterior[name].values, dtype=float)
    return v.reshape(v.shape[0] * v.shape[1], -1)


def smooth_at(fit, term: str, rows: pd.DataFrame) -> np.ndarray:
    """Draws × rows of a smooth's columns times its coefficient draws."""
    design = fit.design
    sm = next(s for s in design.smooths if s.term == term)
    nd = design.for_newdata(rows)
    out = np.column_stack([draws(fit, design.fixed_params[j]) for j in sm.fixed_columns]) \
        @ nd.X[:, sm.fixed_columns].T
    for b in sm.blocks:
        out = out + draws(fit, design.blocks[b].names.coef) @ nd.blocks[b].Z.T
    return out


def test_default_effects_are_the_main_effects(fit):
    ce = fit.conditional_effects()
    assert list(ce) == ["x", "f", "z", "z:w"]
    assert ce.kinds == {"x": "numeric", "f": "factor", "z": "numeric", "z:w": "surface"}
    assert list(ce["x"].columns) == ["x", "effect1__", "estimate__", "se__", "lower__",
                                     "upper__"]
    assert len(ce["x"]) == 100 and len(ce["z:w"]) == 100 * 100
    assert list(ce["f"]["f"]) == ["a", "b", "c"]


def test_numeric_effect_equals_the_hand_computed_epred(fit):
    data = fit.design.data
    ce = fit.conditional_effects("x", robust=False)["x"]
    grid = np.linspace(data.x.min(), data.x.max(), 100)
    np.testing.assert_allclose(ce["x"], grid)
    # other covariates at their means, f at its reference level "a", no (1 | g)
    at_means = pd.DataFrame({"x": [0.0], "z": [data.z.mean()], "w": [data.w.mean()],
                             "f": pd.Categorical(["a"], categories=["a", "b", "c"]),
                             "g": [data.g.iloc[0]]})
    smooths = smooth_at(fit, "s(z)", at_means) + smooth_at(fit, "t2(z,w)", at_means)
    eta = draws(fit, "b_Intercept") + draws(fit, "b_x") * grid + smooths
    mu = np.exp(eta)
    np.testing.assert_allclose(ce["estimate__"], mu.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(ce["se__"], mu.std(axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(ce["lower__"], np.quantile(mu, 0.025, axis=0), rtol=1e-10)
    robust = fit.conditional_effects("x")["x"]  # brms's default: median and MAD
    np.testing.assert_allclose(robust["estimate__"], np.median(mu, axis=0), rtol=1e-10)
    mad = 1.4826 * np.median(np.abs(mu - np.median(mu, axis=0)), axis=0)
    np.testing.assert_allclose(robust["se__"], mad, rtol=1e-10)


def test_factor_effect_equals_the_hand_computed_epred(fit):
    data = fit.design.data
    ce = fit.conditional_effects(["f"], robust=False)["f"]
    rows = pd.DataFrame({"x": [data.x.mean()], "z": [data.z.mean()], "w": [data.w.mean()],
                         "f": pd.Categorical(["a"], categories=["a", "b", "c"]),
                         "g": [data.g.iloc[0]]})
    base = draws(fit, "b_Intercept") + draws(fit, "b_x") * data.x.mean() \
        + smooth_at(fit, "s(z)", rows) + smooth_at(fit, "t2(z,w)", rows)
    expected = [np.exp(base).mean(), np.exp(base + draws(fit, "b_fb")).mean(),
                np.exp(base + draws(fit, "b_fc")).mean()]
    np.testing.assert_allclose(ce["estimate__"], expected, rtol=1e-10)


def test_numeric_by_factor_effect_has_one_curve_per_level(fit):
    ce = fit.conditional_effects("f:x", robust=False)
    frame = ce["f:x"]  # brms puts the numeric variable first
    assert ce.kinds["f:x"] == "by" and len(frame) == 300
    assert list(frame.columns[:4]) == ["x", "f", "effect1__", "effect2__"]
    # a main-effects model: the curves of the levels differ by exp(b_fb) on average
    ratio = frame[frame.f == "b"]["estimate__"].to_numpy() / \
        frame[frame.f == "a"]["estimate__"].to_numpy()
    assert np.ptp(ratio) < 0.5 * ratio.mean()


def test_unknown_effect_variable_names_the_columns(fit):
    with pytest.raises(ValueError, match=r"effect variable 'q' is no column of the fit's data; "
                                         r"the columns are x, z, w, f, g"):
        fit.conditional_effects("q")


def test_smooths_are_the_centred_partial_effects(fit):
    data = fit.design.data
    sm = fit.smooths()
    assert list(sm) == ["s(z)", "t2(z,w)"]
    assert sm.kinds == {"s(z)": "numeric", "t2(z,w)": "surface"}
    frame = sm["s(z)"]
    grid = pd.DataFrame({"x": 0.0, "z": frame["z"], "w": 0.5,
                         "f": pd.Categorical(["a"] * len(frame), categories=["a", "b", "c"]),
                         "g": data.g.iloc[0]})
    by_hand = smooth_at(fit, "s(z)", grid)
    np.testing.assert_allclose(frame["estimate__"], by_hand.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(frame["upper__"], np.quantile(by_hand, 0.975, axis=0),
                               rtol=1e-10)
    # mgcv's sum-to-zero constraint: the partial effect sums to zero over the data
    assert abs(smooth_at(fit, "s(z)", data).mean(axis=0).sum()) < 1e-8
    surface = sm["t2(z,w)"]
    assert len(surface) == 70 * 70 and list(surface.columns[:2]) == ["z", "w"]


def test_plots_draw_one_panel_per_effect(fit):
    fig = fit.conditional_effects().plot()
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert [ax.get_title() for ax in visible] == ["x", "f", "z", "z:w"]
    line = visible[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(),
                               fit.conditional_effects("x")["x"]["estimate__"])
    fig = fit.smooths().plot()
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["s(z)", "t2(z,w)"]


def test_grid_keeps_integer_ranges_and_string_factors():
    from bayeszoo.inference.conditional_effects import effect_grid

    data = pd.DataFrame({"n": [1, 4, 2, 3], "s": pd.array(["b", "a", "b", "c"], dtype="string"),
                         "u": [1.0, 2.0, 3.0, 6.0]})
    grid = effect_grid(data, ["n", "s"], {"n": 2.5, "s": "a", "u": 3.0})
    assert len(grid) == 100 * 3
    np.testing.assert_allclose(np.unique(grid["n"]), np.linspace(1, 4, 100))
    assert grid["s"].dtype == data["s"].dtype and list(grid["s"][:3]) == ["a", "b", "c"]
    assert (grid["u"] == 3.0).all()


def test_trials_are_one_and_factors_at_their_reference_level():
    import bayeszoo as bz
    from bayeszoo.inference.conditional_effects import reference_row

    data = pd.DataFrame({"x": [0.5, 1.5, 4.0], "n": [5, 8, 9], "y": [1, 2, 3],
                         "f": ["b", "a", "b"]})
    design = bz.design("y | trials(n) ~ x + f", data, family="binomial")
    assert reference_row(design, data) == {"x": 2.0, "n": 1, "y": 2.0, "f": "a"}


def test_no_effects_are_refused_with_what_to_do():
    from bayeszoo.inference.effect_plots import Effects

    with pytest.raises(ValueError, match=r"^there are no effects to plot \(a model without "
                                         r"smooths has no Fit.smooths\(\); see "
                                         r"Fit.conditional_effects\(\)\)$"):
        Effects(ylabel="y").plot()
