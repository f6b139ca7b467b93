"""A fit's data come back from its InferenceData, in memory or saved to netCDF and loaded,
exactly as they were (dtypes, categories, missing values, names), so that the design rebuilt
for the report, kfold, reloo and compare's REML edf is the design that was fitted; a data frame
that a fit could not store so is refused before sampling."""

from __future__ import annotations

import json
import re

import arviz as az
import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.design import design_arrays
from bayeszoo.inference.compare import reml_edf_total
from bayeszoo.inference.idata import data_columns, states_bytes
from bayeszoo.inference.predict import design_from_idata, stored_data

N = 18
FORMULA = "y ~ obs + `a/b` + lev + (1 | g)"


def frame() -> pd.DataFrame:
    """The columns that did not survive: an integer factor, an empty-string level, uint64 past
    int64, predictors named ``obs`` and ``a/b``; and every other kind of column a frame has."""
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "y": rng.normal(size=N),
        "g": pd.Categorical(np.tile([4, 4, 2, 1, 2, 4], 3), categories=[1, 2, 3, 4]),
        "lev": np.tile(["", "a", "b"], 6),
        "u": np.arange(N, dtype=np.uint64) + np.uint64(2**63),
        "obs": rng.normal(size=N),
        "a/b": rng.normal(size=N),
        "small": np.arange(N, dtype=np.int8),
        "half": np.linspace(0, 1, N, dtype=np.float16),
        "flag": np.tile([True, False], N // 2),
        "z": np.arange(N) - 1j,
        "when": pd.date_range("2020-03-29", periods=N, freq="h", tz="Europe/Paris"),
        "naive": pd.date_range("2020-01-01", periods=N).where(np.arange(N) != 3),
        "lag": pd.to_timedelta(np.arange(N), unit="min"),
        "month": pd.period_range("2020-01", periods=N, freq="M"),
        "count": pd.array([*range(N - 1), None], dtype="Int64"),
        "share": pd.array([None, *np.linspace(0, 1, N - 1)], dtype="Float64"),
        "ok": pd.array([True, None] * (N // 2), dtype="boolean"),
        "text": pd.array(["", None, "x"] * 6, dtype="string"),
        "ids": pd.Series([1, None, 2**40] * 6, dtype=object),
        "mixed_missing": pd.Series(["a", None, np.nan] * 6, dtype=object),
        "grade": pd.Categorical(["lo", "", None] * 6, categories=["hi", "lo", ""], ordered=True),
        7: np.arange(N),
    })


def stored_fit(d):
    """An InferenceData holding what ``bayeszoo.sample`` stores of a design to rebuild it."""
    arrays, dims, meta = data_columns(d)
    idata = az.from_dict(posterior={"b_Intercept": np.zeros((1, 2))},
                         constant_data={**arrays, "design__states": states_bytes(d)},
                         dims={**dims, "design__states": ["design__states_bytes"]},
                         coords={"obs": np.arange(d.n)})
    idata.attrs.update(formula=d.formula, design="{}", data_columns=json.dumps(meta),
                       family="gaussian")
    return idata


def assert_same_design(a, b):
    for pa, pb in zip(design_arrays(a).blocks, design_arrays(b).blocks, strict=True):
        np.testing.assert_array_equal(pa.index, pb.index)
        np.testing.assert_array_equal(pa.weights, pb.weights)
    assert a.column_names == b.column_names
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert [blk.names.coords for blk in a.blocks] == [blk.names.coords for blk in b.blocks]


def test_stored_data_round_trip_exactly_in_memory_and_through_netcdf(tmp_path):
    df = frame()
    d = bz.design(FORMULA, df)
    fit = stored_fit(d)
    pd.testing.assert_frame_equal(stored_data(fit), df, check_exact=True)
    loaded = bz.load(bz.save(fit, tmp_path / "fit.nc"))
    back = stored_data(loaded)
    pd.testing.assert_frame_equal(back, df, check_exact=True)
    assert list(back["g"].cat.categories) == [1, 2, 3, 4]
    assert back["lev"].tolist() == df["lev"].tolist()
    assert back["u"].iloc[0] == 2**63
    assert_same_design(design_from_idata(loaded), d)


def test_reml_edf_of_a_loaded_fit_is_the_fitted_data_s(tmp_path):
    df = frame()
    loaded = bz.load(bz.save(stored_fit(bz.design(FORMULA, df)), tmp_path / "fit.nc"))
    assert reml_edf_total(loaded) == pytest.approx(float(bz.reml(FORMULA, df).edf_total),
                                                   rel=1e-10)


def test_a_fit_saved_in_the_earlier_layout_still_reads():
    """Fits saved before the exact layout name their columns in ``constant_data`` and keep a
    numeric response in ``observed_data`` only."""
    fit = az.from_dict(posterior={"b_Intercept": np.zeros((1, 2))},
                       observed_data={"y": np.array([0.5, 1.5, 2.5])},
                       constant_data={"g": np.array(["a", "", "b"]), "n": np.array([1, 2, 3])},
                       dims={"g": ["obs"], "n": ["obs"], "y": ["obs"]})
    fit.attrs["data_columns"] = json.dumps({
        "y": {"dtype": "float64", "observed": True}, "n": {"dtype": "int64"},
        "g": {"dtype": "category", "categories": ["a", "b"], "ordered": False}})
    back = stored_data(fit)
    assert back["y"].tolist() == [0.5, 1.5, 2.5]
    assert back["n"].tolist() == [1, 2, 3]
    assert back["g"].astype(object).where(back["g"].notna(), None).tolist() == ["a", None, "b"]


@pytest.mark.parametrize("column, message", [
    (pd.Series([[1], [2]] * (N // 2)),
     "column 'bad' (dtype object) cannot be stored with the fit, which keeps its data to "
     "predict, report and refit later: it holds Python objects of types ['list'], not one of "
     "str, bool, int or float (.astype(str) makes them text); convert it or drop it from the "
     "data frame (df.drop(columns=['bad'])) before fitting"),
    (pd.Series(["a", 1] * (N // 2), dtype=object),
     "column 'bad' (dtype object) cannot be stored with the fit, which keeps its data to "
     "predict, report and refit later: it holds Python objects of types ['int', 'str'], not "
     "one of str, bool, int or float (.astype(str) makes them text); convert it or drop it "
     "from the data frame (df.drop(columns=['bad'])) before fitting"),
    (pd.Series(pd.arrays.IntervalArray.from_breaks(np.arange(N + 1))),
     "column 'bad' (dtype interval[int64, right]) cannot be stored with the fit, which keeps "
     "its data to predict, report and refit later: a fit stores numbers, strings, factors, "
     "dates and durations; convert it or drop it from the data frame "
     "(df.drop(columns=['bad'])) before fitting"),
    (pd.Series(["a\x00b"] * N),
     "column 'bad' (dtype str) cannot be stored with the fit, which keeps its data to predict, "
     "report and refit later: its value 'a\\x00b' holds a NUL character (\\x00), where a "
     "stored string would end; convert it or drop it from the data frame "
     "(df.drop(columns=['bad'])) before fitting"),
])
def test_a_column_a_fit_cannot_store_is_refused_before_sampling(monkeypatch, column, message):
    from bayeszoo.inference import backends

    def boom(name):
        raise AssertionError("a sampler was started before the data were checked")

    monkeypatch.setattr(backends, "get", boom)
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"y": rng.normal(size=N), "bad": column})
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        bz.sample("y ~ 1", df, chains=1, draws=10, tune=10, progress=False)


def test_a_column_name_that_cannot_be_stored_is_named():
    from bayeszoo.inference.stored_frame import check_storable

    with pytest.raises(ValueError, match=re.escape(
            "column name ('a', 'b') (tuple) cannot be stored with the fit: name every column "
            "with a string (df.columns = [...]) before fitting")):
        check_storable(pd.DataFrame({("a", "b"): np.arange(3.0)}))


def test_compare_says_why_an_edf_is_nan():
    rng = np.random.default_rng(3)
    fits = {name: az.from_dict(posterior={"mu": rng.normal(size=(1, 100))},
                               log_likelihood={"y": rng.normal(-1, 0.1, size=(1, 100, 20))},
                               observed_data={"y": np.zeros(20)})
            for name in ("a", "b")}
    with pytest.warns(UserWarning) as record:
        table = bz.compare(fits)
    assert [str(w.message) for w in record] == [
        f"compare: edf_total of {name!r} is NaN: its REML twin could not be fitted (the fit "
        f"stores no formula or data frame (not made by bayeszoo.sample)); pass "
        f"reml={{{name!r}: bz.reml(...)}} to give it" for name in ("a", "b")]
    assert table["edf_total"].isna().all()


@pytest.mark.slow
def test_a_sampled_fit_saves_and_loads_its_data_and_design(tmp_path):
    df = frame()
    fit = bz.sample(FORMULA, df, chains=1, draws=20, tune=20, seed=1, progress=False)
    loaded = bz.load(bz.save(fit, tmp_path / "fit.nc"))
    pd.testing.assert_frame_equal(stored_data(loaded), df, check_exact=True)
    assert_same_design(design_from_idata(loaded), bz.design(FORMULA, df))
    np.testing.assert_array_equal(bz.predict(loaded, newdata=df.iloc[:5]),
                                  bz.predict(fit, newdata=df.iloc[:5]))
