"""The Fit's brms summary against brms 2.18's posteriors of the same models (brms_wave2.json):
every row within Monte Carlo error of brms's mean, sd and 95 % interval, and the summary
``bayeszoo fit`` prints from the arrays equal to the Fit's."""

import json

import numpy as np
import pytest
from conftest import FIXTURES

from bayeszoo.api import fit_draws

# zoo model, brms_wave2 entry, summary row -> (section, brms variable)
CASES = {
    "sleepstudy_slope": ("sleep_corr", {
        ("fixed", "Intercept"): "b_Intercept",
        ("fixed", "Days"): "b_Days",
        ("Subject", "sd(Intercept)"): "sd_Subject__Intercept",
        ("Subject", "sd(Days)"): "sd_Subject__Days",
        ("Subject", "cor(Intercept,Days)"): "cor_Subject__Intercept__Days",
        ("spec_pars", "sigma"): "sigma",
    }),
    "mcycle_distributional": ("mcycle_distributional", {
        ("fixed", "Intercept"): "b_Intercept",
        ("fixed", "sigma_Intercept"): "b_sigma_Intercept",
        ("fixed", "stimes_1"): "bs_stimes_1",
        ("fixed", "sigma_stimes_1"): "bs_sigma_stimes_1",
        ("splines", "sds(stimes_1)"): "sds_stimes_1",
        ("splines", "sds(sigma_stimes_1)"): "sds_sigma_stimes_1",
    }),
}
BRMS_DRAWS = 12000


@pytest.mark.slow
@pytest.mark.parametrize("name", [pytest.param("sleepstudy_slope", marks=pytest.mark.reference),
                                  "mcycle_distributional"])
def test_summary_matches_brms(name):
    entry, rows = CASES[name]
    ref = json.loads((FIXTURES / "brms_wave2.json").read_text())[entry]["posterior"]
    draws = fit_draws(name, chains=4, draws=500, tune=500, seed=1, progress=False)
    summary = draws.summary()
    fit = draws.inference_data()
    assert fit.summary().text() == summary.text()  # the command line prints the Fit's summary
    for (section, row), var in rows.items():
        table = summary.random[section] if section in summary.random \
            else getattr(summary, section)
        got = table.loc[row]
        r = ref[var]
        if var.startswith("bs_") and np.sign(got["Estimate"]) != np.sign(r["mean"]):
            # a smooth's unpenalized column has LAPACK's sign (tests/test_smooth_brms_standata.py)
            got = got.copy()
            got["Estimate"], got["l-95% CI"], got["u-95% CI"] = (
                -got["Estimate"], -got["u-95% CI"], -got["l-95% CI"])
        assert got["Rhat"] < 1.05, (row, got["Rhat"])
        ess = min(got["Bulk_ESS"], got["Tail_ESS"])
        mc = r["sd"] * np.sqrt(1 / ess + 1 / (BRMS_DRAWS / 4))  # Monte Carlo sd of a mean
        assert abs(got["Estimate"] - r["mean"]) < 4 * mc, (row, got["Estimate"], r["mean"])
        assert abs(got["Est.Error"] - r["sd"]) < 4 * mc / np.sqrt(2) + 0.05 * r["sd"], row
        for col, q in (("l-95% CI", "q2.5"), ("u-95% CI", "q97.5")):
            assert abs(got[col] - r[q]) < 8 * mc, (row, col, got[col], r[q])
    lines = summary.text().splitlines()
    assert lines[0] == " Family: gaussian"
    assert [ln for ln in lines if ln.endswith(":") and not ln.startswith(" ")] == (
        ["Group-Level Effects:", "Population-Level Effects:", "Family Specific Parameters:"]
        if name == "sleepstudy_slope" else ["Smooth Terms:", "Population-Level Effects:"])
