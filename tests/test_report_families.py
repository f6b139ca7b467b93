"""The report's family-aware posterior predictive checks: rootogram frequencies, calibration
bins, and which figures each family gets."""

import numpy as np
import pytest

import bayeszoo as bz
from bayeszoo.reports.figures_families import (
    calibration_bins,
    count_frequencies,
    predictive_figures,
)


def test_count_frequencies_pool_the_tail():
    observed = np.array([0, 0, 1, 3, 7, 2])
    replicates = np.array([[0, 1, 1, 2, 9, 4], [0, 0, 0, 0, 1, 3]])
    ks, obs, rep = count_frequencies(observed, replicates, 3)
    np.testing.assert_array_equal(ks, [0, 1, 2, 3])
    np.testing.assert_array_equal(obs, [2, 1, 1, 2])
    np.testing.assert_array_equal(rep, [[1, 2, 1, 2], [4, 1, 0, 1]])


def test_calibration_bins():
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    y = np.array([0, 0, 1, 0, 1, 1, 0, 1])
    mean_p, freq, lo, hi = calibration_bins(p, y, n_bins=4)
    np.testing.assert_allclose(mean_p, [0.15, 0.35, 0.65, 0.85])
    np.testing.assert_allclose(freq, [0.0, 0.5, 1.0, 0.5])
    from scipy import stats

    assert lo[1] == pytest.approx(stats.beta.ppf(0.025, 1.5, 1.5))
    assert hi[0] == pytest.approx(stats.beta.ppf(0.975, 0.5, 2.5))
    assert lo[0] == 0.0 and hi[2] == 1.0  # no ones, all ones
    assert np.all(lo <= freq) and np.all(freq <= hi)


@pytest.mark.slow
@pytest.mark.parametrize("name, keys, title", [
    ("cbpp_binomial", ["ppc"], "hanging rootogram"),
    ("pima_bernoulli", ["ppc", "calibration"], "counts of 0 and 1"),
    ("eight_schools", ["ppc"], "Posterior predictive check"),
])
def test_each_family_gets_its_check(small_fit, name, keys, title):
    idata = small_fit(name)
    figs = predictive_figures(idata, dpi=40)
    assert [f.key for f in figs] == keys
    assert figs[0].title.startswith("Posterior predictive check")
    assert title in figs[0].title
    for f in figs:
        assert f.png and f.width > 0


@pytest.mark.slow
def test_report_of_count_and_binary_fits(small_fit, tmp_path):
    fits = {n: small_fit(n) for n in ("cbpp_binomial", "pima_bernoulli")}
    text = bz.report(fits, tmp_path / "families.html").read_text()
    assert "hanging rootogram" in text and "Calibration" in text
    assert "the posterior predictive check:" not in text  # no figure failed
    assert "the smooth figures:" not in text and "the partial-pooling figures:" not in text
    assert "Fitted curve s(glu)" in text and "Partial pooling" in text
