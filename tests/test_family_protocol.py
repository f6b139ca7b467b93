"""``Family`` is an abstract base whose docstring holds a complete, runnable family, and a family
is registered by one entry of ``bayeszoo.families.FAMILIES``."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeszoo as bz
import bayeszoo.families.base as family_base
from bayeszoo import families
from bayeszoo.families import Family
from bayeszoo.families.ops import NUMPY
from bayeszoo.models.likelihood import model_data, pointwise_log_likelihood
from bayeszoo.models.spec import model_spec


def docstring_family() -> type[Family]:
    """The ``Exponential`` family of ``Family``'s docstring, after running its examples."""
    (test,) = doctest.DocTestFinder(recurse=False).find(Family, "Family", globs={"Family": Family})
    runner = doctest.DocTestRunner()
    runner.run(test, clear_globs=False)
    assert runner.summarize(verbose=False) == (0, 13)
    return test.globs["Exponential"]


def test_the_base_module_doctests_pass():
    result = doctest.testmod(family_base)
    assert result.failed == 0 and result.attempted >= 13


def test_every_registered_family_is_a_family_under_its_name():
    assert {name: cls.name for name, cls in families.FAMILIES.items()} == {
        n: n for n in families.names()}
    assert all(issubclass(cls, Family) for cls in families.FAMILIES.values())
    with pytest.raises(TypeError, match="abstract"):
        Family()


def test_registering_a_family_is_one_entry(monkeypatch):
    Exponential = docstring_family()
    monkeypatch.setattr(families, "FAMILIES", {k: v for k, v in families.FAMILIES.items()
                                               if k != "exponential"})
    with pytest.raises(ValueError, match="unknown family 'exponential'"):
        families.get("exponential")
    monkeypatch.setitem(families.FAMILIES, "exponential", Exponential)
    assert families.get("exponential") == Exponential() and "exponential" in families.names()
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x": np.linspace(0.0, 1.0, 20)})
    df["y"] = rng.exponential(np.exp(0.3 + 1.2 * df["x"]))
    d = bz.design("y ~ x", df, family="exponential")
    spec = model_spec(d)
    values = {"Intercept": np.float64(0.9), "b_0": np.array([1.2])}
    got = pointwise_log_likelihood(spec, values, model_data(d, spec), NUMPY, np.concatenate)
    eta = 0.9 + 1.2 * (df["x"] - df["x"].mean())
    np.testing.assert_allclose(got, stats.expon.logpdf(df["y"], scale=np.exp(eta)), rtol=1e-12)
