"""Bad input to te/ti/t2, by=, fs and cc smooths: each is an error naming the term (or the
knots), from bz.design and from bz.sample before any model is built."""

from __future__ import annotations

import numpy as np
import pytest

import bayeszoo as bz

CASES = [
    ("co2", "uptake ~ te(conc, Type)", None, r"te\(conc,Type\): 'Type' is a factor"),
    ("co2", "uptake ~ t2(Plant, conc)", None, r"t2\(Plant,conc\): 'Plant' is a factor"),
    ("co2", "uptake ~ s(conc, by=Typo)", None, r"'Typo'.*s\(conc, by=Typo\)"),
    ("nottem", 'temp ~ s(month, bs="cc", k=12)', {"month": [1, 11]},
     r"s\(month\): the cyclic knots \(1, 11\) do not span the data \(range 1 to 12\)"),
    ("nottem", 'temp ~ s(month, bs="cc", k=20)', None,
     r"s\(month\): more knots \(20\) than unique data values \(12\).*reduce k"),
    ("co2", 'uptake ~ s(conc, bs="cr", k=10)', None,
     r"s\(conc\).*insufficient unique values \(7\).*reduce k"),
    ("co2", "uptake ~ s(conc, k=10)", None,
     r"s\(conc\): .*fewer unique covariate combinations \(7\).*reduce k"),
    ("co2", "uptake ~ te(conc, uptake, k=c(10, 5))", None,
     r"te\(conc,uptake\): conc has insufficient unique values \(7\).*reduce k"),
    ("co2", "uptake ~ s(conc, by=Type, k=8)", None,
     r"s\(conc\): .*fewer unique covariate combinations \(7\).*reduce k"),
    ("co2", 'uptake ~ s(conc, uptake, bs="fs")', None,
     r"s\(conc,uptake\): bs=\"fs\" needs one factor.*astype\('category'\)"),
    ("nottem", 'temp ~ s(month, bs="cc", k=12)', {"Month": [0.5, 12.5]},
     r"knots= names \['Month'\], which no smooth of the formula reads.*\['month'\]"),
]
IDS = [f"{c[1]} {c[2] or ''}" for c in CASES]


@pytest.fixture(scope="module")
def datasets():
    return {"co2": bz.datasets.load_co2(), "nottem": bz.datasets.load_nottem()}


@pytest.fixture
def no_compile(monkeypatch):
    """Fail if any backend model would be built."""
    import bayeszoo.models.numpyro as bn
    import bayeszoo.models.pymc as bp

    def boom(*a, **k):
        raise AssertionError("a model was built before the input was validated")

    monkeypatch.setattr(bn, "build_numpyro", boom)
    monkeypatch.setattr(bp, "build_pymc", boom)


@pytest.mark.parametrize("name, formula, knots, match", CASES, ids=IDS)
def test_design_names_the_term(datasets, name, formula, knots, match):
    with pytest.raises(ValueError, match=match):
        bz.design(formula, datasets[name], knots=knots)


@pytest.mark.parametrize("backend", ["numpyro", "pymc"])
@pytest.mark.parametrize("name, formula, knots, match", CASES, ids=IDS)
def test_sample_refuses_before_compiling(datasets, no_compile, backend, name, formula, knots,
                                         match):
    with pytest.raises(ValueError, match=match):
        bz.sample(formula, datasets[name], backend=backend, knots=knots, progress=False)


def test_knots_go_with_a_formula(datasets, no_compile):
    d = bz.design('temp ~ s(month, bs="cc", k=12)', datasets["nottem"],
                  knots={"month": [0.5, 12.5]})
    with pytest.raises(ValueError, match="knots only with a formula"):
        bz.sample(d, knots={"month": [0.5, 12.5]})
    with pytest.raises(TypeError, match="knots must be a dict"):
        bz.design('temp ~ s(month, bs="cc", k=12)', datasets["nottem"], knots=[0.5, 12.5])


def test_centered_three_penalty_te_is_refused_before_compiling(no_compile):
    air = bz.datasets.load_airquality(dropna=True).dropna()
    with pytest.raises(ValueError, match=r"te\(Temp,Wind,Solar.R\) is multipenalty"):
        bz.sample("Ozone ~ te(Temp, Wind, Solar.R, k=4)", air, parameterization="centered")


def test_cyclic_knots_set_the_period(datasets):
    """Inside the knots the cyclic smooth is periodic: the ends of the period give the same
    columns (mgcv's cc with knots = list(month = c(0.5, 12.5)))."""
    d = bz.design('temp ~ s(month, bs="cc", k=12)', datasets["nottem"],
                  knots={"month": [0.5, 12.5]})
    ends = datasets["nottem"].iloc[[0, 0]].reset_index(drop=True).copy()
    ends["month"] = [0.5, 12.5]
    Z = d.for_newdata(ends).blocks[0].Z
    assert np.max(np.abs(Z[0] - Z[1])) < 1e-12 and np.max(np.abs(Z)) > 0.1
