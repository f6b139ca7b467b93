"""The posterior predictive check that suits the family, in ``fit.pp_check()`` and the report:
category bars for an ordinal response (observed frequencies, replicated means, medians and 90 %
intervals, the levels as tick labels), Kaplan–Meier against the posterior survival curve for a
right-censored lognormal response (the curve's median recomputed here from the draws), a
rootogram for zero-inflated counts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeszoo as bz
from bayeszoo.inference.outcome_kind import category_frequencies, check_kind

LEVELS = ["none", "mild", "moderate", "severe"]
SAMPLING = {"chains": 2, "draws": 150, "tune": 150, "seed": 3, "progress": False}


@pytest.fixture(scope="module")
def ordinal_fit():
    rng = np.random.default_rng(5)
    x = rng.normal(size=160)
    y = 1 + np.searchsorted([-1.0, 0.4, 1.5], 0.8 * x + rng.logistic(size=160))
    d = pd.DataFrame({"x": x, "y": pd.Categorical.from_codes(y - 1, LEVELS, ordered=True)})
    return bz.sample("y ~ x", d, family="cumulative", **SAMPLING)


@pytest.fixture(scope="module")
def censored_fit():
    rng = np.random.default_rng(6)
    x = rng.normal(size=120)
    t = np.exp(1.0 + 0.5 * x + 0.6 * rng.normal(size=120))
    c = rng.exponential(6.0, size=120)
    d = pd.DataFrame({"x": x, "time": np.minimum(t, c), "cens": (c < t).astype(int)})
    return bz.sample("time | cens(cens) ~ x", d, family="lognormal", **SAMPLING)


@pytest.fixture(scope="module")
def zip_fit():
    rng = np.random.default_rng(7)
    x = rng.normal(size=150)
    y = np.where(rng.uniform(size=150) < 0.3, 0, rng.poisson(np.exp(0.8 + 0.4 * x)))
    return bz.sample("y ~ x", pd.DataFrame({"x": x, "y": y}), family="zero_inflated_poisson",
                     **SAMPLING)


def test_kinds_follow_the_family(ordinal_fit, censored_fit, zip_fit):
    assert check_kind(ordinal_fit) == "bars"
    assert check_kind(censored_fit) == "km_overlay"
    assert check_kind(zip_fit) == "rootogram"


def test_ordinal_pp_check_bars_are_category_frequencies(ordinal_fit):
    fig = ordinal_fit.pp_check()
    ax = fig.axes[0]
    y = np.asarray(ordinal_fit.observed_data["y"].values, dtype=int)
    yrep = ordinal_fit.predict(kind="pp", seed=0, labels=False)
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_array_equal(heights, [(y == k).sum() for k in range(1, 5)])
    counts = np.stack([(yrep == k).sum(axis=1) for k in range(1, 5)], axis=1)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.median(counts, axis=0))
    assert [t.get_text() for t in ax.get_xticklabels()] == LEVELS


def test_report_category_bars(ordinal_fit):
    import matplotlib.pyplot as plt

    from bayeszoo.reports.figures_families import (
        plot_category_bars,
        predictive_figures,
        replicated,
    )

    y = np.asarray(ordinal_fit.observed_data["y"].values, dtype=float)
    reps = replicated(ordinal_fit)
    assert reps.shape == (300, 160)
    obs, rep = category_frequencies(y, reps, 4)
    np.testing.assert_array_equal(rep.sum(axis=1), 160)
    np.testing.assert_array_equal(rep[7], [(reps[7] == k).sum() for k in range(1, 5)])
    fig, ax = plt.subplots()
    shown = plot_category_bars(ax, y, reps, 4, LEVELS, "y")
    np.testing.assert_array_equal([p.get_height() for p in ax.patches],
                                  [(y == k).sum() for k in range(1, 5)])
    np.testing.assert_array_equal(shown[0], obs)
    np.testing.assert_allclose(shown[1], rep.mean(axis=0))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), rep.mean(axis=0))
    np.testing.assert_allclose(shown[2], np.quantile(rep, 0.05, axis=0))
    np.testing.assert_allclose(shown[3], np.quantile(rep, 0.95, axis=0))
    # the model is the simulating one: every observed count inside its 90 % interval or near
    assert np.all(obs >= shown[2] - 8) and np.all(obs <= shown[3] + 8)
    plt.close(fig)
    figs = predictive_figures(ordinal_fit, dpi=40)
    assert [f.title for f in figs] == ["Posterior predictive check: category frequencies"]


def posterior_median_by_hand(fit, grid):
    """Median over draws of ``(1/n) Σ_i P(T_i > t)``, lognormal: ``Φ((μ_i − log t) / σ)``."""
    mu = fit.predict(kind="linpred")
    sigma = np.asarray(fit.posterior["sigma"].values).reshape(-1)
    with np.errstate(divide="ignore"):
        z = (mu[:, :, None] - np.log(grid)[None, None, :]) / sigma[:, None, None]
    return np.median(stats.norm.cdf(z).mean(axis=1), axis=0)


def test_km_overlay_of_a_censored_lognormal(censored_fit):
    from bayeszoo.inference.survival import kaplan_meier, survival_grid

    fig = censored_fit.pp_check()
    ax = fig.axes[0]
    time = np.asarray(censored_fit.observed_data["time"].values, dtype=float)
    events = 1.0 - np.asarray(censored_fit.constant_data["design__cens"].values)
    km = kaplan_meier(time, events)
    steps = next(ln for ln in ax.lines if ln.get_label() == "Kaplan–Meier (data)")
    np.testing.assert_allclose(steps.get_ydata()[1:-1], km.survival, rtol=1e-14)
    grid = survival_grid(time)
    median = next(ln for ln in ax.lines if ln.get_label() == "posterior, median")
    np.testing.assert_allclose(median.get_xdata(), grid)
    np.testing.assert_allclose(median.get_ydata(), posterior_median_by_hand(censored_fit, grid),
                               rtol=1e-10, atol=1e-12)
    # the fitted curve follows the data: within 0.12 of the Kaplan–Meier estimate
    at = np.interp(km.time, grid, median.get_ydata())
    assert np.max(np.abs(at - km.survival)) < 0.12


def test_report_uses_kaplan_meier_for_censored_times(censored_fit):
    from bayeszoo.reports.figures_families import predictive_figures

    figs = predictive_figures(censored_fit, dpi=40)
    assert [f.title for f in figs] == [
        "Posterior predictive check: Kaplan–Meier against the posterior survival curve"]
    assert f"+ marks the {int(censored_fit.constant_data['design__cens'].sum())} " \
           "right-censored" in figs[0].caption


def test_zero_inflated_counts_get_a_rootogram(zip_fit):
    from bayeszoo.reports.figures_families import predictive_figures

    fig = zip_fit.pp_check()
    ax = fig.axes[0]
    y = np.asarray(zip_fit.observed_data["y"].values, dtype=int)
    yrep = zip_fit.predict(kind="pp", seed=0)
    support = np.arange(0, max(y.max(), int(yrep.max())) + 1)
    np.testing.assert_allclose([p.get_height() for p in ax.patches],
                               np.sqrt([(y == k).sum() for k in support]))
    assert (y == 0).sum() > 30
    assert [f.title for f in predictive_figures(zip_fit, dpi=40)] == [
        "Posterior predictive check: hanging rootogram"]


def test_km_overlay_refuses_an_uncensored_fit(zip_fit):
    with pytest.raises(ValueError, match="kind='km_overlay' needs a right-censored response"):
        zip_fit.pp_check("km_overlay")
