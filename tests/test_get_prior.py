"""bz.get_prior and the prior table of a fit against brms 2.18's get_prior / prior_summary."""

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import FIXTURES, SHARED

import bayeszoo as bz
from bayeszoo.formula import as_design
from bayeszoo.models.prior_table import COLUMNS, brms_prior_text, prior_summary, r_deparse
from bayeszoo.models.priors import parse_prior

DATA = SHARED / "data"
OWN = json.loads((Path(__file__).parent / "fixtures" / "brms_get_prior.json").read_text())
WAVE2 = json.loads((FIXTURES / "brms_wave2.json").read_text())


def data(name: str) -> pd.DataFrame:
    df = pd.read_csv(DATA / f"{name}.csv")
    if name == "epilepsy":
        df["Trt"] = df["Trt"].astype(str)
    if name == "cbpp":
        df["period"] = df["period"].astype(str)
    if name == "pima":
        df["type"] = (df["type"] == "Yes").astype(int)
    if name == "airquality":
        df = df.dropna().reset_index(drop=True)
    return df


MCYCLE_DIST = ('accel ~ s(times, bs="cr", k=20)', '~ s(times, bs="cr", k=10)')
OWN_CASES = {
    "radon": ("log_radon ~ floor + (1 | county)", "radon", "gaussian"),
    "mcycle_smooth": ('accel ~ s(times, bs="cr", k=20)', "mcycle", "gaussian"),
    "mcycle_distributional": (MCYCLE_DIST, "mcycle", "gaussian"),
    "sleep_corr": ("Reaction ~ Days + (Days | Subject)", "sleepstudy", "gaussian"),
    "epilepsy_poisson": ("count ~ zAge + zBase * Trt + (1 | patient)", "epilepsy", "poisson"),
    "cbpp_binomial": ("incidence | trials(size) ~ period + (1 | herd)", "cbpp", "binomial"),
    "epilepsy_negbinomial": ("count ~ zAge + (1 | patient)", "epilepsy", "negbinomial"),
}
WAVE2_CASES = {
    "bernoulli_pima": ("type ~ glu + bmi", "pima", "bernoulli"),
    "binomial_cbpp": ("incidence | trials(size) ~ period + (1 | herd)", "cbpp", "binomial"),
    "poisson_epilepsy": ("count ~ zAge + (1 | patient)", "epilepsy", "poisson"),
    "negbinomial_epilepsy": ("count ~ zAge + (1 | patient)", "epilepsy", "negbinomial"),
    "gamma_log_airquality": ("Ozone ~ Temp", "airquality", bz.families.get("gamma", "log")),
    "student_mcycle": ("accel ~ times", "mcycle", "student"),
    "gaussian_sigma_formula": (("accel ~ times", "~ times"), "mcycle", "gaussian"),
}
SUMMARY_CASES = {
    "cbpp_binomial_re": ("incidence | trials(size) ~ period + (1 | herd)", "cbpp", "binomial"),
    "epilepsy_poisson_re": ("count ~ zAge + zBase * Trt + (1 | patient)", "epilepsy",
                            "poisson"),
    "sleep_corr": ("Reaction ~ Days + (Days | Subject)", "sleepstudy", "gaussian"),
    "mcycle_distributional": (MCYCLE_DIST, "mcycle", "gaussian"),
}


def formula(f):
    return bz.bf(f[0], sigma=f[1]) if isinstance(f, tuple) else f


@pytest.mark.parametrize("name", list(OWN_CASES))
def test_get_prior_equals_brms(name):
    f, dataset, family = OWN_CASES[name]
    got = bz.get_prior(formula(f), data(dataset), family=family)
    expected = pd.DataFrame(OWN[name]["rows"])[COLUMNS]
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize("name", list(WAVE2_CASES))
def test_get_prior_equals_brms_wave2(name):
    f, dataset, family = WAVE2_CASES[name]
    got = bz.get_prior(formula(f), data(dataset), family=family)
    expected = pd.DataFrame(WAVE2["default_priors"][name]["rows"])
    pd.testing.assert_frame_equal(got[list(expected.columns)], expected)


@pytest.mark.parametrize("name", list(SUMMARY_CASES))
def test_prior_summary_equals_brms(name):
    f, dataset, family = SUMMARY_CASES[name]
    design = as_design(formula(f), data(dataset), family, "raise", None)
    got = prior_summary(design, family, None)
    expected = pd.DataFrame(WAVE2[name]["priors"])
    pd.testing.assert_frame_equal(got[list(expected.columns)], expected)


def test_get_prior_user_priors():
    got = bz.get_prior("log_radon ~ floor + (1 | county)", data("radon"),
                       priors={"b_floor": "normal(0, 2)", "sd": "exponential(1)",
                               "sigma": "half_normal(1)"})
    rows = {(r["class"], r["coef"], r["group"]): (r["prior"], r["source"])
            for r in got.to_dict("records")}
    assert rows[("b", "", "")] == ("", "default")
    assert rows[("b", "floor", "")] == ("normal(0, 2)", "user")
    assert rows[("sd", "", "")] == ("exponential(1)", "user")
    assert rows[("sd", "Intercept", "county")] == ("", "default")
    assert rows[("sigma", "", "")] == ("normal(0, 1)", "user")
    assert rows[("Intercept", "", "")] == ("student_t(3, 1.3, 2.5)", "default")


def test_get_prior_unknown_prior_name():
    with pytest.raises(ValueError, match=r"unknown prior name\(s\) \['b_flor'\]"):
        bz.get_prior("log_radon ~ floor", data("radon"), priors={"b_flor": "normal(0, 1)"})


def test_brms_prior_text():
    assert brms_prior_text(parse_prior("half_student_t(3, 2.5)")) == "student_t(3, 0, 2.5)"
    assert brms_prior_text(parse_prior("flat")) == ""
    assert brms_prior_text(parse_prior("lkj(2)"), "L") == "lkj_corr_cholesky(2)"
    assert r_deparse("s(x,bs='cr', k=5)") == 's(x, bs = "cr", k = 5)'
