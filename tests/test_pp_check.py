"""Fit.pp_check: the plotted data are the observed response and the replicated data sets of
``fit.predict(kind="pp")``, summarized by hand here."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure


@pytest.fixture(scope="module")
def fit():
    import bayeszoo as bz

    rng = np.random.default_rng(2)
    d = pd.DataFrame({"x": rng.normal(size=80)})
    d["y"] = rng.poisson(np.exp(1.0 + 0.5 * d.x))
    return bz.sample("y ~ x", d, family="poisson", chains=2, draws=200, tune=200, seed=1,
                     progress=False)


def observed(fit) -> np.ndarray:
    return np.asarray(fit.observed_data["y"].values, dtype=float)


def test_rootogram_hangs_observed_from_expected_frequencies(fit):
    fig = fit.pp_check("rootogram")
    ax = fig.axes[0]
    y = observed(fit).astype(int)
    yrep = fit.predict(kind="pp", seed=0)  # every draw, the seed pp_check uses
    support = np.arange(0, max(y.max(), int(yrep.max())) + 1)
    obs = np.array([(y == k).sum() for k in support])
    expected = np.array([(yrep == k).sum(axis=1).mean() for k in support])
    heights = np.array([p.get_height() for p in ax.patches])
    bottoms = np.array([p.get_y() for p in ax.patches])
    np.testing.assert_allclose(heights, np.sqrt(obs))
    np.testing.assert_allclose(bottoms + heights, np.sqrt(expected))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.sqrt(expected))


def test_stat_is_a_histogram_of_the_stat_of_each_draw(fit):
    fig = fit.pp_check("stat", stat="sd")
    ax = fig.axes[0]
    yrep = fit.predict(kind="pp", seed=0)
    counts, _ = np.histogram(yrep.std(axis=1, ddof=1), bins=30)
    np.testing.assert_array_equal([p.get_height() for p in ax.patches], counts)
    assert ax.lines[0].get_xdata()[0] == pytest.approx(observed(fit).std(ddof=1))


def test_bars_show_observed_counts_and_replicated_medians(fit):
    fig = fit.pp_check("bars", ndraws=100)
    ax = fig.axes[0]
    y = observed(fit).astype(int)
    keep = np.sort(np.random.default_rng(0).choice(400, 100, replace=False))
    yrep = fit.predict(kind="pp", seed=0)[keep]
    support = np.arange(min(y.min(), int(yrep.min())), max(y.max(), int(yrep.max())) + 1)
    np.testing.assert_array_equal([p.get_height() for p in ax.patches],
                                  [(y == k).sum() for k in support])
    medians = [np.median((yrep == k).sum(axis=1)) for k in support]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), medians)


def test_hist_panels_share_bins_with_the_observed_first(fit):
    fig = fit.pp_check("hist", ndraws=5)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["y"] + [f"yrep {i}" for i in range(1, 6)]
    y = observed(fit)
    keep = np.sort(np.random.default_rng(0).choice(400, 5, replace=False))
    yrep = fit.predict(kind="pp", seed=0)[keep]
    edges = np.histogram_bin_edges(np.concatenate([y, yrep.ravel()]), bins=30)
    for ax, values in zip(panels, [y, *yrep], strict=True):
        np.testing.assert_array_equal([p.get_height() for p in ax.patches],
                                      np.histogram(values, bins=edges)[0])


def test_arviz_kinds_return_figures_with_ndraws_replicates(fit):
    for kind in ("dens_overlay", "ecdf_overlay"):
        fig = fit.pp_check(kind, ndraws=7)
        assert isinstance(fig, Figure)
        labels = [ln.get_label() for ln in fig.axes[0].lines]
        assert "Observed" in labels and "Posterior predictive mean" in labels
        assert sum(label.startswith("_child") for label in labels) == 7
    ecdf = next(ln for ln in fig.axes[0].lines if ln.get_label() == "Observed")
    np.testing.assert_array_equal(np.sort(ecdf.get_xdata()), np.sort(observed(fit)))


def test_unknown_kind_lists_the_kinds(fit):
    with pytest.raises(ValueError, match=r"^pp_check kind must be one of dens_overlay, "
                                         r"ecdf_overlay, hist, bars, rootogram, km_overlay, stat, "
                                         r"got 'violin'$"):
        fit.pp_check("violin")
    with pytest.raises(ValueError, match=r"^stat must be one of mean, sd, var, median, min, max "
                                         r"or a function, got 'iqr'$"):
        fit.pp_check("stat", stat="iqr")


def test_integer_kinds_refuse_a_continuous_outcome():
    from bayeszoo.inference.pp_check import integer_values

    with pytest.raises(ValueError, match=r"^pp_check kind='rootogram' needs an integer outcome "
                                         r"\(binary, ordinal or counts\); use 'dens_overlay', "
                                         r"'hist' or 'ecdf_overlay'$"):
        integer_values(np.array([0.0, 1.5]), "rootogram")
