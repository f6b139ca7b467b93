"""The zoo's ordinal, censored and zero-inflated entries get their check in the report: category
bars for ``inhaler_cumulative`` (one bar per rating, observed counts as the data's), Kaplan–Meier
for ``kidney_weibull_cens`` and ``kidney_lognormal_cens``, a rootogram for the bioChemists count
models. Short runs: the choice of figure and the observed numbers do not depend on mixing."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import bayeszoo as bz
from bayeszoo.inference.outcome_kind import check_kind

SHORT = {"chains": 1, "draws": 40, "tune": 40, "seed": 2, "progress": False}
EXPECTED = {"inhaler_cumulative": ("bars", "category frequencies"),
            "kidney_weibull_cens": ("km_overlay", "Kaplan–Meier against the posterior survival "
                                                  "curve"),
            "kidney_lognormal_cens": ("km_overlay", "Kaplan–Meier against the posterior "
                                                    "survival curve"),
            "biochemists_zip": ("rootogram", "hanging rootogram"),
            "biochemists_hurdle_nb": ("rootogram", "hanging rootogram")}


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::bayeszoo.diagnostics.SamplerWarning")
@pytest.mark.parametrize("name", list(EXPECTED))
def test_zoo_entry_gets_its_check(name):
    from bayeszoo.models import zoo
    from bayeszoo.reports.figures_families import predictive_figures

    if name not in zoo.names():
        pytest.skip(f"no zoo entry {name}")
    fit = bz.fit(name, **SHORT)
    kind, title = EXPECTED[name]
    assert check_kind(fit) == kind
    assert [f.title for f in predictive_figures(fit, dpi=30)] == [
        f"Posterior predictive check: {title}"]
    if kind == "bars":
        fig = fit.pp_check()
        y = np.asarray(fit.observed_data[fit.attrs["response"]].values, dtype=int)
        np.testing.assert_array_equal([p.get_height() for p in fig.axes[0].patches],
                                      np.bincount(y - 1, minlength=4))
