"""RemlFit's printed summary against mgcv 1.8-41's ``summary.gam`` (``tests/fixtures/
mgcv_summary.json``, written by ``mgcv_summary.R`` beside it): the parametric table, Wood
(2013)'s p-values of smooth terms (``testStat``, and ``reTest`` for ``bs = "re"`` terms), R²,
deviance explained and the printed layout; and lme4's Random effects block for ``(... | g)``
terms against ``lme4_reference.json``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from IPython.lib.pretty import pretty
from reference_data import fixture, load

import bayeszoo as bz
from bayeszoo.penalized.rformat import format_c, format_pval, format_vector
from bayeszoo.penalized.smooth_tests import psum_chisq

REF = json.loads((Path(__file__).parent / "fixtures" / "mgcv_summary.json").read_text())


def data(name: str):
    if name in ("co2", "nottem"):
        return getattr(bz.datasets, f"load_{name}")()
    df = load(name)
    if name == "airquality":
        df = df.dropna(subset=["Ozone", "Temp", "Wind"])
    if name == "mtcars":
        df["fgear"] = df["gear"].astype(str)
    return df


@pytest.fixture(scope="module")
def fits() -> dict:
    return {}


def fitted(fits: dict, key: str):
    if key not in fits:
        ref = REF[key]
        fits[key] = bz.reml(ref["formula"].replace('"', "'"), data(ref["data"]),
                            family=ref["family"], knots=ref["knots"] or None)
    return fits[key]


def table(ref: dict) -> np.ndarray:
    return np.array(ref["values"], dtype=float)


@pytest.mark.parametrize("key", list(REF))
def test_tables_match_mgcv(fits, key):
    ref = REF[key]
    s = fitted(fits, key).summary()
    assert list(s.p_table.index) == ref["p_table"]["rows"]
    assert list(s.p_table.columns) == ref["p_table"]["columns"]
    np.testing.assert_allclose(s.p_table.to_numpy(), table(ref["p_table"]), rtol=2e-4,
                               atol=1e-6)
    assert list(s.s_table.index) == ref["s_table"]["rows"]
    assert list(s.s_table.columns) == ref["s_table"]["columns"]
    ours, theirs = s.s_table.to_numpy(), table(ref["s_table"])
    np.testing.assert_allclose(ours[:, 0], theirs[:, 0], rtol=1e-3, atol=1e-3)  # edf
    stat = slice(1, 2) if key == "air_t2" else slice(1, 3)  # t2's F differs (see below)
    np.testing.assert_allclose(ours[:, stat], theirs[:, stat], rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(ours[:, 3], theirs[:, 3], atol=1e-3)  # p-value
    assert s.r_sq == pytest.approx(ref["r_sq"], abs=1e-5)
    assert s.dev_expl == pytest.approx(ref["dev_expl"], abs=1e-5)


def test_t2_statistic_is_close_to_mgcv(fits):
    """``t2``: mgcv tests the term with ``R`` in its fitting parameterization and the
    coefficients in its prediction one, so F follows the signs of the margins' null-space
    columns (LAPACK's eigenvectors); with this machine's it is 5 % from mgcv's (p-value < 2e-16
    in both), so only its size is checked here (mgcv's signs: ``test_reml_summary_t2.py``)."""
    ours = fitted(fits, "air_t2").summary().s_table.to_numpy()[0, 2]
    assert ours == pytest.approx(table(REF["air_t2"]["s_table"])[0, 2], rel=0.06)


def test_p_values_between_the_tails(fits):
    """Fits whose smooth p-values are neither ~0 nor ~1, to 1e-4: fractional-rank testStat
    (F and chi-square) and reTest at an estimated variance near zero."""
    for key, rows in (("mtcars_mixed", [0, 1, 2]), ("biochemists_poisson", [0]),
                      ("air_weak", [1])):
        ours = fitted(fits, key).summary().s_table.to_numpy()[rows, 3]
        np.testing.assert_allclose(ours, table(REF[key]["s_table"])[rows, 3], atol=1e-4)


@pytest.mark.parametrize("key", ["mcycle_cr20", "air_te", "biochemists_poisson", "radon_re",
                                 "epilepsy_poisson_re"])
def test_printed_as_mgcv_prints_it(fits, key):
    """Every line as ``print(summary(fit))`` prints it (trailing spaces aside), except the
    formula, which is printed as written rather than deparsed by R."""
    fit = fitted(fits, key)
    ours = str(fit).split("\n")
    theirs = REF[key]["printed"]
    at = theirs.index("Formula:") + 1
    assert ours[at] == REF[key]["formula"].replace('"', "'")
    del ours[at], theirs[at]
    assert [s.rstrip() for s in ours] == [s.rstrip() for s in theirs]


def test_summary_is_shown_not_escaped(fits):
    fit = fitted(fits, "mcycle_cr20")
    s = fit.summary()
    assert repr(s) == str(s) == str(fit) and "\\n" not in repr(s)
    assert pretty(fit) == str(s)  # IPython and notebooks
    assert repr(fit).startswith("RemlFit(") and "\n" not in repr(fit)
    assert s.text().splitlines()[1] == "Family: gaussian"


def test_psum_chisq_matches_mgcv():
    """mgcv's psum.chisq (Davies's algorithm, accuracy 2e-5) on the same arguments."""
    assert psum_chisq(3, [1, 0.7, 0.3]) == pytest.approx(0.2111042, abs=1e-5)
    assert psum_chisq(0, [1, 1, 1.4, 0.6, -5 / 30], [1, 1, 1, 1, 30]) == pytest.approx(
        0.307928, abs=1e-5)
    assert psum_chisq(20, [2, 1, 0.5]) == pytest.approx(0.002752762, abs=1e-5)
    assert psum_chisq(0, [1e-6, 2e-6, -1e-5 / 28], [1, 1, 28]) == pytest.approx(
        0.05366388, abs=1e-5)


def test_r_number_formatting():
    """R's format(), formatC() and format.pval() on values whose layout R chooses."""
    assert format_vector([1.000122, 2.0589, 2], 4) == ["1.000", "2.059", "2.000"]
    assert format_vector([1, 1.667, 2.694e-6], 4) == ["1.000e+00", "1.667e+00", "2.694e-06"]
    assert format_vector([123456.7, 0.5], 4) == ["123456.7", "     0.5"]
    assert format_vector([1e5], 4) == ["1e+05"]
    assert [format_c(v, 5) for v in (3, 490.5, 1e-5, 1234567)] == [
        "     3", " 490.5", " 1e-05", "1.2346e+06"]
    assert format_c(1, 5, 8, left=True) == "1       "
    assert format_pval([1e-20, 2.87e-5, 0.00867]) == ["< 2e-16", "2.87e-05", "0.00867"]
    assert format_pval([1e-20]) == ["<2e-16"]


@pytest.fixture(scope="module")
def sleep_fit():
    return bz.reml("Reaction ~ Days + (Days | Subject)", load("sleepstudy"))


def test_correlated_terms_print_lme4_random_effects(sleep_fit):
    ref = fixture("lme4_reference")["sleep_corr_reml"]
    s = sleep_fit.summary()
    re = s.random_effects
    assert list(re["Groups"]) == ["Subject", "Subject", "Residual"]
    assert list(re["Name"]) == ["(Intercept)", "Days", ""]
    sd = {(v["grp"], v["var1"], v["var2"]): v["sdcor"] for v in ref["varcorr"]}
    np.testing.assert_allclose(re["Std.Dev."], [sd["Subject", "(Intercept)", None],
                                                sd["Subject", "Days", None],
                                                sd["Residual", None, None]], rtol=1e-4)
    np.testing.assert_allclose(re["Variance"], re["Std.Dev."] ** 2, rtol=1e-12)
    assert re["Corr"][1] == pytest.approx([sd["Subject", "(Intercept)", "Days"]], abs=1e-4)
    np.testing.assert_allclose(s.p_table["Estimate"], list(ref["fixef"].values()), rtol=1e-6)
    np.testing.assert_allclose(s.p_table["Std. Error"], list(ref["fixef_se"].values()),
                               rtol=1e-4)
    lines = str(s).split("\n")
    at = lines.index("Random effects:")
    assert lines[at + 1:at + 6] == [
        " Groups   Name        Variance Std.Dev. Corr",
        " Subject  (Intercept) 612.09   24.740       ",
        "          Days         35.07    5.922   0.07",
        " Residual             654.94   25.592       ",
        "Number of obs: 180, groups:  Subject, 18"]
    assert "fx" not in str(s) and len(s.s_table) == 0


def test_uncorrelated_terms_name_each_block():
    s = bz.reml("Reaction ~ Days + (Days || Subject)", load("sleepstudy")).summary()
    assert list(s.random_effects["Groups"]) == ["Subject", "Subject.1", "Residual"]
    assert "Corr" not in str(s)
