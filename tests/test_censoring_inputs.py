"""``y | cens(c, y2)`` and ``y | trunc(lb, ub)`` as written and as read: the formula syntax (and
its canonical text), brms's censoring codes, and every bad input named before a sampler starts:
codes other than brms's, an interval whose upper end is not above ``y``, an interval without
``y2``, values outside the truncation bounds, bounds that leave no room, a family without a
distribution function; REML refuses censored and truncated responses, naming the samplers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

import bayeszoo as bz
from bayeszoo.families.censoring import censorable_families, censoring_codes
from bayeszoo.formula import design
from bayeszoo.formula.errors import FormulaError
from bayeszoo.formula.parse import parse_formula


@pytest.fixture(scope="module")
def kidney() -> pd.DataFrame:
    d = pd.read_csv(SHARED / "data" / "kidney.csv")
    d["upper"] = d["time"] + 10.0
    d["code"] = np.where(d["censored"] == 1, "right", "none")
    return d


@pytest.mark.parametrize("formula, additions, text", [
    ("time | cens(censored) ~ age", {"cens": "censored"}, "time | cens(censored) ~ 1 + age"),
    ("y | weights(w) + cens(c, y2) ~ x", {"weights": "w", "cens": "c", "y2": "y2"},
     "y | weights(w) | cens(c, y2) ~ 1 + x"),
    ("y | trunc(lb = 0, ub = u) ~ x", {"lb": "0", "ub": "u"}, "y | trunc(lb = 0, ub = u) ~ 1 + x"),
    ("y | trunc(ub = 10) ~ x", {"ub": "10"}, "y | trunc(ub = 10) ~ 1 + x"),
    ("y | trunc(1, 5) | cens(`my c`) ~ x", {"lb": "1", "ub": "5", "cens": "my c"},
     "y | cens(`my c`) | trunc(lb = 1, ub = 5) ~ 1 + x"),
])
def test_cens_and_trunc_parse_and_print_back(formula, additions, text):
    pf = parse_formula(formula)
    assert pf.additions == additions
    assert pf.to_string() == text
    assert parse_formula(text).additions == additions


@pytest.mark.parametrize("formula, message", [
    ("y | cens(a + b) ~ x", "expected a column name, got 'a \\+ b'"),
    ("y | trunc(lb = 1, lb = 2) ~ x", "trunc\\(\\) gets lb twice"),
    ("y | trunc(low = 1) ~ x", "trunc\\(\\) has no argument 'low'; it takes lb, ub"),
    ("y | cens(c) + cens(d) ~ x", "response addition cens\\(\\) given twice"),
    ("y | cens(c, y2, z) ~ x", "takes at most two arguments: the censoring column and y2"),
    ("y | trunc() ~ x", "trunc\\(\\) needs a column or a number"),
    ("y | cens(c, log(u)) ~ x", "expected a column name, got 'log\\(u\\)'"),
    ("y | censored(c) ~ x", "cens\\(\\), trunc\\(\\)"),
])
def test_malformed_additions_are_named(formula, message):
    with pytest.raises(FormulaError, match=message):
        parse_formula(formula)


def test_brms_codes():
    words = ["left", "none", "right", "interval", "l", "r", "i", "n"]
    np.testing.assert_array_equal(censoring_codes(words, "c"), [-1, 0, 1, 2, -1, 1, 2, 0])
    np.testing.assert_array_equal(censoring_codes(np.array([-1, 0, 1, 2]), "c"), [-1, 0, 1, 2])
    np.testing.assert_array_equal(censoring_codes([True, False], "c"), [1, 0])
    cat = pd.Series(pd.Categorical(["right", "none", "right"]))
    np.testing.assert_array_equal(censoring_codes(cat, "c"), [1, 0, 1])


def test_codes_read_from_any_coding_give_one_design(kidney):
    by_number = design("time | cens(censored) ~ age + sex", kidney, family="weibull")
    by_word = design("time | cens(code) ~ age + sex", kidney, family="weibull")
    np.testing.assert_array_equal(by_number.additions["cens"], by_word.additions["cens"])
    assert by_number.additions["cens"].sum() == kidney["censored"].sum()


def test_y2_of_rows_not_interval_censored_is_ignored(kidney):
    d = kidney.assign(code=np.where(kidney.index % 3 == 0, "interval", "none"),
                      upper=np.where(kidney.index % 3 == 0, kidney["time"] + 5.0, -1.0))
    des = design("time | cens(code, upper) ~ age", d, family="lognormal")
    interval = des.additions["cens"] == 2
    np.testing.assert_array_equal(des.additions["y2"][interval], d["time"][interval] + 5.0)
    np.testing.assert_array_equal(des.additions["y2"][~interval], d["time"][~interval])


@pytest.mark.parametrize("formula, family, change, message", [
    ("time | cens(bad) ~ age", "weibull", {"bad": lambda d: np.where(d.censored == 1, 3, 0)},
     "censoring column 'bad' has 3 at row 58; brms's codes are 'left', 'none', 'right', "
     "'interval'"),
    ("time | cens(bad) ~ age", "weibull",
     {"bad": lambda d: np.where(d.censored == 1, "up", "none")}, "censoring column 'bad' has 'up'"),
    ("time | cens(code, lo) ~ age", "lognormal",
     {"code": lambda d: np.where(d.censored == 1, "interval", "none"), "lo": lambda d: d.time - 1},
     "row 58 of response 'time' is interval censored from 149 to 148: the upper end y2 must "
     "exceed y"),
    ("time | cens(code) ~ age", "lognormal",
     {"code": lambda d: np.where(d.censored == 1, 2, 0)},
     "row 58 of response 'time' is interval censored but cens\\(\\) has no upper end"),
    ("time | cens(code, upper) ~ age", "lognormal",
     {"code": lambda d: np.where(d.censored == 1, 2, 0), "upper": lambda d: d.sex},
     "the upper ends of cens\\(\\)'s intervals, column 'upper', are not numbers"),
    ("time | trunc(lb = 10) ~ age", "gamma", {},
     "response 'time' has 8 at row 0, below its lower truncation bound 10"),
    ("time | trunc(ub = cap) ~ age", "gamma", {"cap": lambda d: d.time - (d.index == 3)},
     "response 'time' has 447 at row 3, above its upper truncation bound 446"),
    ("time | trunc(lb = 5, ub = 2) ~ age", "gamma", {}, "lb = 5, ub = 2: lb must be below ub"),
    ("time | cens(censored) + trunc(ub = cap) ~ age", "gamma",
     {"cap": lambda d: np.where(d.index == 58, d.time, 1000)},
     "row 58 of response 'time' is right censored at 149, its truncation bound"),
    ("censored | cens(censored) ~ age", "bernoulli", {},
     "family 'bernoulli' takes no cens\\(\\): it has no distribution function here; "
     "families that do: gaussian, student, binomial, poisson, negbinomial, gamma, beta, "
     "lognormal, exponential, weibull, skew_normal, von_mises"),
    ("censored | trunc(lb = 0) ~ age", "bernoulli", {}, "family 'bernoulli' takes no trunc\\(\\)"),
])
def test_bad_censoring_is_named_before_sampling(kidney, no_compile, formula, family, change,
                                                message):
    d = kidney.assign(**{k: f(kidney) for k, f in change.items()})
    with pytest.raises(FormulaError, match=message):
        bz.sample(formula, d, family=family, progress=False)


def test_censorable_families():
    assert censorable_families() == ["gaussian", "student", "binomial", "poisson", "negbinomial",
                                     "gamma", "beta", "lognormal", "exponential", "weibull",
                                     "skew_normal", "von_mises"]


@pytest.mark.parametrize("formula", ["time | cens(censored) ~ age",
                                     "time | trunc(lb = 1) ~ age"])
def test_reml_refuses_censoring_naming_the_samplers(kidney, formula):
    with pytest.raises(ValueError, match="REML takes no censored or truncated response.*"
                                         "bz.sample.*numpyro.*pymc.*nutpie"):
        bz.reml(formula, kidney, family="gamma")


def test_new_data_without_the_response_drops_the_censoring(kidney):
    des = design("time | cens(censored, upper) + trunc(lb = 1, ub = cap) ~ age", kidney.assign(
        cap=kidney.time + 100), family="gamma")
    new = des.for_newdata(kidney.drop(columns=["time", "censored", "upper"]).head(4).assign(
        cap=50.0))
    assert set(new.additions) == {"lb", "ub"}
    np.testing.assert_array_equal(new.additions["ub"], np.full(4, 50.0))
