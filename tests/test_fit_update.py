"""brms's ``update(fit, ...)``: new data of the same shape reuse the compiled program, a new
formula rebuilds; priors and settings carry over as in ``update.brmsfit``."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.inference.repeated import program_counts

SMALL = {"chains": 1, "draws": 50, "tune": 50, "progress": False}


def data(seed: int, n: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = np.repeat(["a", "b", "c"], n // 3)
    return pd.DataFrame({"x": x, "g": g, "y": 1.0 + 2.0 * x + rng.normal(size=n)})


@pytest.fixture(scope="module")
def fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bz.sample("y ~ x", data(0), priors={"b": "normal(0, 5)"}, seed=1, **SMALL)


def quiet_update(fit, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit.update(**kwargs)


def test_new_data_of_the_same_shape_reuse_the_compiled_program(fit):
    first = quiet_update(fit, newdata=data(1))
    before = program_counts()
    again = quiet_update(fit, newdata=data(2), seed=5)
    after = program_counts()
    assert after["built"] == before["built"]
    assert after["reused"] == before["reused"] + 1
    names = ["b_Intercept", "b_x", "sigma", "Intercept"]
    assert list(first.posterior.data_vars) == names == list(fit.posterior.data_vars)
    assert list(again.posterior.data_vars) == names
    assert isinstance(again, bz.Fit)
    # half the rows: the Gaussian's sufficient statistics keep the program's shapes
    quiet_update(fit, newdata=data(3).iloc[:12])
    assert program_counts()["built"] == after["built"]
    assert again.attrs["seed"] == 5 and again.attrs["chains"] == 1
    assert again.design.n == 24


def test_the_fit_priors_carry_over_and_new_ones_override_them(fit):
    out = quiet_update(fit, priors={"sigma": "exponential(2)"}, draws=20)
    priors = json.loads(out.attrs["priors"])
    assert priors["b_x"] == "normal(0, 5)"
    assert priors["sigma"] == "exponential(2)"
    assert priors["Intercept"] == json.loads(fit.attrs["priors"])["Intercept"]
    assert out.posterior.sizes["draw"] == 20


def test_a_new_formula_rebuilds_with_its_own_names(fit):
    before = program_counts()["built"]
    out = quiet_update(fit, formula="y ~ x + g")
    assert program_counts()["built"] == before + 1
    assert list(out.posterior.data_vars) == ["b_Intercept", "b_x", "b_gb", "b_gc", "sigma",
                                             "Intercept"]
    priors = json.loads(out.attrs["priors"])
    assert priors["b_x"] == "normal(0, 5)" and priors["b_gb"] == "flat()"
    assert out.formula == "y ~ x + g"


def test_unknown_arguments_are_named(fit):
    with pytest.raises(TypeError, match=r"unknown argument\(s\) \['iter'\]"):
        fit.update(iter=100)


def test_a_loaded_fit_updates_on_the_same_program(fit, tmp_path):
    quiet_update(fit, newdata=data(6))
    built = program_counts()["built"]
    loaded = bz.load(bz.save(fit, tmp_path / "fit.nc"))
    out = quiet_update(loaded, newdata=data(7))
    assert program_counts()["built"] == built
    assert list(out.posterior.data_vars) == list(fit.posterior.data_vars)
    assert json.loads(out.attrs["priors"]) == json.loads(fit.attrs["priors"])
