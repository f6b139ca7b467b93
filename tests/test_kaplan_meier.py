"""The Kaplan–Meier estimate against a hand computation in exact fractions and against R's
``survfit`` on the textbook 6-MP arm of Freireich et al. (1963), as Gehan (1965) and Kalbfleisch &
Prentice tabulate it; the posterior-survival overlay plots exactly the numbers it returns."""

from __future__ import annotations

from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from bayeszoo.inference.survival import kaplan_meier, plot_km_overlay, survival_grid

# remission times (weeks) of the 6-MP arm; 0 marks a censored time
TIMES = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def by_hand(times, event):
    """Product-limit estimate and Greenwood's sum in exact fractions."""
    out, s, g = [], Fraction(1), Fraction(0)
    for t in sorted({t for t, e in zip(times, event, strict=True) if e}):
        n = sum(1 for u in times if u >= t)
        d = sum(1 for u, e in zip(times, event, strict=True) if u == t and e)
        s *= Fraction(n - d, n)
        g += Fraction(d, n * (n - d))
        out.append((t, n, d, s, g))
    return out


def test_six_mp_against_exact_fractions():
    km = kaplan_meier(TIMES, EVENT, level=0.95)
    exact = by_hand(TIMES, EVENT)
    np.testing.assert_array_equal(km.time, [t for t, *_ in exact])
    np.testing.assert_array_equal(km.time, [6, 7, 10, 13, 16, 22, 23])
    np.testing.assert_array_equal(km.at_risk, [21, 17, 15, 12, 11, 7, 6])
    np.testing.assert_array_equal(km.events, [3, 1, 1, 1, 1, 1, 1])
    s = np.array([float(v) for *_, v, _ in exact])
    se = s * np.sqrt([float(g) for *_, g in exact])
    np.testing.assert_allclose(km.survival, s, rtol=0, atol=1e-12)
    np.testing.assert_allclose(km.std_err, se, rtol=0, atol=1e-12)
    z = 1.959963984540054
    sigma = np.sqrt([float(g) for *_, g in exact])
    np.testing.assert_allclose(km.lower, s * np.exp(-z * sigma), rtol=0, atol=1e-12)
    np.testing.assert_allclose(km.upper, np.minimum(s * np.exp(z * sigma), 1), rtol=0,
                               atol=1e-12)


def test_six_mp_against_survfit():
    """R 4.x: ``summary(survfit(Surv(time, event) ~ 1))`` (conf.type "log", 95 %)."""
    km = kaplan_meier(TIMES, EVENT, level=0.95)
    np.testing.assert_allclose(km.survival, [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448],
                               atol=6e-4)
    np.testing.assert_allclose(km.std_err, [0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282,
                                            0.1346], atol=6e-5)
    np.testing.assert_allclose(km.lower, [0.720, 0.653, 0.586, 0.510, 0.439, 0.337, 0.249],
                               atol=6e-4)
    np.testing.assert_allclose(km.upper, [1.000, 0.996, 0.968, 0.935, 0.896, 0.858, 0.807],
                               atol=6e-4)


def test_last_death_gives_zero_without_band():
    km = kaplan_meier([1.0, 2.0, 2.0, 3.0], [1, 0, 1, 1])
    np.testing.assert_allclose(km.survival, [0.75, 0.5, 0.0], atol=1e-15)
    assert np.isnan(km.lower[-1]) and np.isnan(km.upper[-1]) and np.isnan(km.std_err[-1])
    assert km.upper[0] <= 1.0


def test_bad_event_codes_are_refused():
    with pytest.raises(ValueError, match="event must hold 0"):
        kaplan_meier([1.0, 2.0], [1, 2])


def test_overlay_draws_the_median_and_band_of_the_curves():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    t = np.asarray(TIMES, dtype=float)
    grid = survival_grid(t, 50)
    assert grid[0] == 0 and grid[-1] == 35
    rates = rng.gamma(20, 1 / 400, size=301)  # odd: median and 5 % quantile are draws
    curves = np.exp(-rates[:, None] * grid)
    fig, ax = plt.subplots()
    km = kaplan_meier(t, EVENT)
    median, lo, hi = plot_km_overlay(ax, km, grid, curves, t[np.asarray(EVENT) == 0])
    np.testing.assert_allclose(median, np.exp(-np.median(rates) * grid), rtol=1e-12)
    np.testing.assert_allclose(lo, np.exp(-np.quantile(rates, 0.95) * grid), rtol=1e-12)
    line = next(ln for ln in ax.lines if ln.get_label() == "posterior, median")
    np.testing.assert_allclose(line.get_ydata(), median)
    steps = next(ln for ln in ax.lines if ln.get_label() == "Kaplan–Meier (data)")
    np.testing.assert_allclose(steps.get_ydata()[1:-1], km.survival)
    ticks = next(ln for ln in ax.lines if ln.get_label() == "censored")
    # a time censored at 6 sits at S(6), one at 9 at S(7)
    np.testing.assert_allclose(ticks.get_ydata()[:2], [km.survival[0], km.survival[1]])
    plt.close(fig)
