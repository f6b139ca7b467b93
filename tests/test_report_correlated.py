"""The report's varying-slopes figures and the zoo's correlated entries."""

import re

import numpy as np
import pytest

import bayeszoo as bz
from bayeszoo.models import zoo
from bayeszoo.reports.figures_correlated import (
    correlated_figures,
    ellipse,
    lkj_marginal_density,
    no_pooling,
    population,
)


@pytest.fixture(scope="module")
def sleep_fit(small_fit):
    return small_fit("sleepstudy_slope")


@pytest.fixture(scope="module")
def context(sleep_fit):
    from bayeszoo.api import fit_context

    return fit_context(sleep_fit)


@pytest.mark.parametrize("name, group, coefs", [
    ("radon_varying_slope", "county", ("Intercept", "floor")),
    ("sleepstudy_slope", "Subject", ("Intercept", "Days")),
])
def test_zoo_entries(name, group, coefs):
    e = zoo.get(name)
    assert e.reml_formula == e.formula and e.group == group
    (b,) = bz.design(e.formula, e.load_data()).blocks
    assert (b.name, b.structure.coefs) == (group, coefs)


def test_no_pooling_is_least_squares_per_level(sleep_fit, context):
    """sleepstudy: nothing but the block's own columns in the model, so no pooling is lm(Reaction
    ~ Days) per subject."""
    design = context["design"]
    got = no_pooling(sleep_fit.posterior, design, 0)
    data = context["data"]
    for g, subject in enumerate(design.blocks[0].labels):
        rows = data[data["Subject"] == subject]
        slope, intercept = np.polyfit(rows["Days"], rows["Reaction"], 1)
        np.testing.assert_allclose(got[g], [intercept, slope], rtol=1e-10)


def test_population_ellipse(sleep_fit, context):
    post = sleep_fit.posterior
    center, cov = population(post, context["design"], 0)
    assert center[0] == pytest.approx(float(post["b_Intercept"].mean()))
    sd = float(post["sd_Subject__Days"].mean())
    assert cov[1, 1] == pytest.approx(sd**2)
    rho = float(post["cor_Subject__Intercept__Days"].mean())
    assert cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]) == pytest.approx(rho)
    for level in (0.5, 0.95):
        e = ellipse(center, cov, level)
        d = e - center
        maha = np.einsum("ij,jk,ik->i", d, np.linalg.inv(cov), d)
        np.testing.assert_allclose(maha, -2 * np.log(1 - level))


@pytest.mark.parametrize("eta, k", [(1.0, 2), (2.0, 2), (0.5, 3), (1.0, 4)])
def test_lkj_marginal_is_a_density(eta, k):
    r = np.linspace(-1, 1, 200_001)
    dens = lkj_marginal_density(r, eta, k)
    assert np.trapezoid(dens, r) == pytest.approx(1.0, abs=1e-4)
    if (eta, k) == (1.0, 2):
        np.testing.assert_allclose(dens[1:-1], 0.5)


def test_figures_and_report(sleep_fit, context, tmp_path):
    figs = correlated_figures(sleep_fit, context, dpi=50)
    assert [f.key for f in figs] == ["varying-Subject", "correlation-Subject"]
    assert "0 of 18 levels have no such estimate" in figs[0].caption
    path = bz.report({"sleep": sleep_fit}, tmp_path / "r.html")
    text = path.read_text()
    for key in ("varying-Subject", "correlation-Subject", "pooling"):
        assert re.search(rf'data-section="{key}"', text), key
    assert "Could not draw" not in text
    assert "cor_Subject__Intercept__Days" in text
