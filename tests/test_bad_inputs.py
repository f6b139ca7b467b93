"""Bad and edge inputs a new user tries: each is refused with a message naming the column, term,
value or path (and what to do) before anything compiles, or handled as R would."""

from __future__ import annotations

import os
import signal
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

import bayeszoo as bz


@pytest.fixture(scope="module")
def radon():
    return bz.datasets.load_radon()


@pytest.fixture(scope="module")
def tiny_fits():
    mc = bz.datasets.load_mcycle()
    kw = dict(chains=1, draws=60, tune=60, seed=1, progress=False)
    return {"accel": bz.sample("accel ~ 1", mc, **kw), "times": bz.sample("times ~ 1", mc, **kw)}


# -- silent nonsense -------------------------------------------------------------------------

def test_constant_or_collinear_column_under_a_flat_prior_is_refused(radon, no_compile):
    df = radon.assign(const=3.0)
    with pytest.raises(ValueError, match=r"'const'.*b_const.*flat prior.*priors="):
        bz.sample("log_radon ~ const", df)
    with pytest.raises(ValueError, match=r"'twice'.*linear combination.*floor"):
        bz.sample("log_radon ~ floor + twice", radon.assign(twice=2 * radon["floor"]))
    few = radon.iloc[:3].assign(x1=[1.0, 2.0, 4.0], x2=[0.5, 0.1, 0.9])
    with pytest.raises(ValueError, match="linear combination"):  # more columns than rows
        bz.sample("log_radon ~ floor + x1 + x2", few)


def test_a_proper_prior_makes_a_constant_column_acceptable(radon, no_compile):
    with pytest.raises(AssertionError, match="sampler was started"):
        bz.sample("log_radon ~ const", radon.assign(const=3.0),
                  priors={"b_const": "normal(0, 1)"})


def test_unused_factor_levels_are_dropped_as_r_does(radon):
    sub = radon.iloc[:200]
    assert len(sub["county"].cat.categories) == 85
    d = bz.design("log_radon ~ 0 + county", sub)
    assert d.X.shape == (200, sub["county"].nunique()) and np.all(d.X.sum(axis=0) > 0)
    with pytest.raises(ValueError, match="new level 'WRIGHT' of 'county'"):
        d.for_newdata(radon.iloc[-3:])


@pytest.mark.parametrize("column, value, what", [
    ("big", 1e308, "fixed-effect column 'big'"), ("log_radon", 1e300, "response 'log_radon'")])
def test_overflowing_columns_are_refused(radon, no_compile, column, value, what):
    df = radon.assign(**{column: value})
    formula = "log_radon ~ big" if column == "big" else "log_radon ~ floor"
    with pytest.raises(ValueError, match=f"{what}.*too large"):
        bz.sample(formula, df)
    with pytest.raises(ValueError, match=f"{what}.*too large"):
        bz.design(formula, df)


def test_compare_refuses_different_responses_of_equal_length(tiny_fits):
    with pytest.raises(ValueError, match="same number of rows but different observed values"):
        bz.compare(tiny_fits, reml=False)


def test_cli_compare_keeps_two_fits_of_the_same_model(tiny_fits, tmp_path):
    for name in ("x", "x_copy"):
        bz.save(tiny_fits["accel"], tmp_path / f"{name}.nc")
    res = run_cli("compare", str(tmp_path / "x.nc"), str(tmp_path / "x_copy.nc"), "-q",
                  check=False)
    assert res.returncode == 0, res.stderr
    import json

    table = json.loads(res.stdout.strip().splitlines()[-1])["compare"]
    assert set(table) == {"x", "x_copy"}


# -- crashes ---------------------------------------------------------------------------------

def test_unicode_column_names(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"y": rng.normal(size=30), "été": rng.normal(size=30),
                       "größe": rng.normal(size=30)})
    d = bz.design("y ~ été + größe", df)
    assert d.column_names == ["Intercept", "été", "größe"]
    path = tmp_path / "u.csv"
    df.to_csv(path, index=False)
    res = run_cli("reml", "y ~ été", "--data", str(path), "-q", check=False)
    assert "Traceback" not in res.stderr


def test_a_column_read_as_factor_is_named(radon):
    df = radon.assign(log_uranium=radon["log_uranium"].astype(str))
    df.loc[3, "log_uranium"] = "abc"
    with pytest.warns(UserWarning, match=r"'log_uranium' holds strings.*\['abc'\]"):
        bz.design("log_radon ~ log_uranium", df)


@pytest.mark.parametrize("call, error, match", [
    (lambda r: bz.design("log_radon ~ floor", r.set_axis(["floor", "county", "floor", "u"],
                                                         axis=1)),
     ValueError, "duplicate column name"),
    (lambda r: bz.sample("log_radon ~ floor", r, priors=["sigma", "normal(0, 1)"]),
     TypeError, "priors must be a dict"),
    (lambda r: bz.loo({"a": 1}), TypeError, "loo.*InferenceData"),
    (lambda r: bz.compare([1, 2]), TypeError, "fit 'fit1' is a int"),
    (lambda r: bz.report({"g": "x"}), TypeError, "fits\\['g'\\]"),
])
def test_wrong_types_are_named(radon, no_compile, call, error, match):
    with pytest.raises(error, match=match):
        call(radon)


def test_predict_on_zero_rows_and_a_corrupt_file(tiny_fits, tmp_path):
    fit = tiny_fits["accel"]
    with pytest.raises(ValueError, match="newdata has no rows"):
        bz.predict(fit, pd.DataFrame({"times": []}))
    bad = tmp_path / "bad.nc"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(500))
    with pytest.raises(ValueError, match=r"bad\.nc is not a netCDF fit"):
        bz.load(bad)
    res = run_cli("report", str(bad), "-o", str(tmp_path / "r.html"), check=False)
    assert res.returncode == 1 and "Traceback" not in res.stderr and "bad.nc" in res.stderr


def test_data_naming_a_directory(tmp_path):
    res = run_cli("reml", "y ~ x", "--data", str(tmp_path), check=False)
    assert res.returncode == 1 and "is a directory" in res.stderr and "Traceback" not in res.stderr


# -- lost work and leftover files ------------------------------------------------------------

def test_fit_output_path_is_checked_before_sampling(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    t0 = time.perf_counter()
    res = run_cli("fit", "radon_pooled", "-o", str(blocker / "fit.nc"), check=False)
    assert res.returncode == 1 and "is a file, not a folder" in res.stderr
    assert time.perf_counter() - t0 < 20  # no sampling happened


def test_interrupt_during_save_finishes_the_write_then_raises(tiny_fits, tmp_path,
                                                              monkeypatch):
    import arviz as az

    fit = tiny_fits["accel"]
    original = az.InferenceData.to_netcdf

    def interrupted_write(self, path, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives in the middle of the write
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(az.InferenceData, "to_netcdf", interrupted_write)
    path = tmp_path / "fit.nc"
    with pytest.raises(KeyboardInterrupt):
        bz.save(fit, path)
    assert [p.name for p in tmp_path.iterdir()] == ["fit.nc"]
    monkeypatch.undo()
    np.testing.assert_array_equal(bz.load(path).posterior["b_Intercept"],
                                  fit.posterior["b_Intercept"])


# -- weak spots ------------------------------------------------------------------------------

def test_one_level_factor_warns(radon):
    with pytest.warns(UserWarning, match="factor 'one' has a single level"):
        d = bz.design("log_radon ~ floor + one", radon.assign(one="a"))
    assert d.column_names == ["Intercept", "floor"]


def test_na_action_advice_names_functions_that_take_it(radon):
    df = radon.copy()
    df.loc[2, "floor"] = np.nan
    with pytest.raises(ValueError, match="na_action='drop'") as err:
        bz.design("log_radon ~ floor", df)
    assert "sample" in str(err.value)
    with pytest.warns(UserWarning, match="dropped 1 of 919"):
        d = bz.design("log_radon ~ floor", df, na_action="drop")
    assert d.n == 918


def test_predict_ignores_an_unused_response_and_refuses_inf(tiny_fits):
    fit = tiny_fits["times"]
    new = pd.DataFrame({"times": [np.nan, np.nan]})
    assert bz.predict(fit, new).shape[1] == 2
    mc = bz.datasets.load_mcycle()
    fit = bz.sample("accel ~ times", mc, chains=1, draws=30, tune=30, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = bz.predict(fit, pd.DataFrame({"times": [1.0, 2.0], "accel": [np.nan, 1.0]}))
    assert out.shape[1] == 2
    with pytest.raises(ValueError, match="'times'.*non-finite"):
        bz.predict(fit, pd.DataFrame({"times": [1.0, np.inf]}))
