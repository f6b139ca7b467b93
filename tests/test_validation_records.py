"""The reference tests record what they measure (``tests/agreement.py``) and the validation
page shows it for the current version only."""

import json
import sys

import numpy as np
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs" / "sitegen"))

import agreement  # noqa: E402
import validation  # noqa: E402

import bayeszoo as bz  # noqa: E402


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    monkeypatch.setattr(agreement, "MEASURED", tmp_path)
    monkeypatch.setattr(validation, "RECORDED", tmp_path)
    monkeypatch.setattr(validation, "MEASURED", tmp_path / "absent.json")
    return tmp_path


def _draws(mean: float, sd: float, n: int = 4000) -> np.ndarray:
    z = np.random.default_rng(0).standard_normal(n)
    return mean + sd * (z - z.mean()) / z.std(ddof=1)


def test_posterior_errors_name_the_worst_parameter():
    ref = {"a": {"mean": 0.0, "sd": 1.0}, "b": {"mean": 10.0, "sd": 2.0}}
    draws = {"a": _draws(0.05, 1.02), "b": _draws(10.2, 2.4)}
    worst = agreement.posterior_errors(draws.__getitem__, ref)
    assert worst["mean"][1] == "b" and worst["mean"][0] == pytest.approx(0.1, abs=1e-12)
    assert worst["sd"][1] == "b" and worst["sd"][0] == pytest.approx(0.2, abs=1e-12)


def test_a_failed_check_is_recorded_and_shown(recorded):
    ref = {"b_Intercept": {"mean": 1.0, "sd": 0.5}}
    with pytest.raises(AssertionError):
        agreement.assert_posterior_agrees("biochemists_zip", lambda _: _draws(1.2, 0.5), ref)
    agreement.assert_loo_agrees("biochemists_zip", {"p_loo": 12.0, "elpd_loo": -1600.5},
                                {"p_loo": 11.0, "elpd_loo": -1600.0}, p_loo=2.5, elpd_loo=2.0)
    shown = validation.measured()["brms-zero-inflated"]
    assert "biochemists_zip: " in shown
    assert "mean 0.400 sd (b_Intercept)" in shown and "p_loo 1.00, elpd_loo 0.50" in shown


def test_a_record_of_another_version_is_not_shown(recorded):
    (recorded / "lakehuron_ar1.posterior.json").write_text(
        json.dumps({"error": "mean 0.010 sd", "version": "0.0.1"}))
    assert "brms-ar1" not in validation.measured()
    agreement.record("lakehuron_ar1", "posterior", "mean 0.020 sd")
    assert validation.measured()["brms-ar1"] == "mean 0.020 sd"
    assert bz.__version__ != "0.0.1"


def test_every_recorded_key_is_a_check():
    """The keys the reference tests record under are the checks' ``records``."""
    keys = {r for c in validation.CHECKS for r in c.records}
    assert {"inhaler_cumulative_re", "biochemists_zip", "biochemists_hurdle_nb_hu",
            "kidney_weibull_cens_re", "kidney_lognormal_cens", "cbpp_monotonic_re",
            "lakehuron_ar1", "cbpp_binomial_re", "epilepsy_poisson_re", "sleep_corr"} <= keys
