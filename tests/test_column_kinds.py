"""Columns that a formula would read as something they are not: numbers stored as strings or
factors in an offset or a response addition, and dates, durations, complex numbers or integers
beyond int64 as predictors. Each is refused, naming the column, the term and the conversion."""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.formula.errors import FormulaError

N = 12


@pytest.fixture
def df():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"y": rng.normal(size=N), "x": rng.normal(size=N),
                         "cnt": rng.integers(0, 5, N)})


def refused(formula, data, message, **kw):
    with pytest.raises(FormulaError, match=f"^{re.escape(message)}$"):
        bz.design(formula, data, **kw)


@pytest.mark.parametrize("formula, family, column, values, term, what, like", [
    ("y | weights(w) ~ x", "gaussian", "w", ["1.5", "2.25"] * 6, "weights(w)", "not numeric",
     "'1.5'"),
    ("y | se(s) ~ x", "gaussian", "s", ["0.5"] * N, "se(s)", "not numeric", "'0.5'"),
    ("cnt | trials(n) ~ x", "binomial", "n", ["10"] * N, "trials(n)", "not numeric", "'10'"),
    ("cnt ~ x + offset(log(e))", "poisson", "e", pd.Categorical(["2", "3"] * 6),
     "offset(log(e))", "a factor", "'2'"),
])
def test_a_number_per_row_from_strings_or_a_factor_is_refused(df, formula, family, column, values,
                                                              term, what, like):
    data = df.assign(**{column: values})
    dtype = data[column].dtype
    refused(formula, data, f"column {column!r} of {term} is {what} (dtype {dtype}, values like "
            f"{like}); {term} needs numbers: convert the column, e.g. df[{column!r}] = "
            f"pd.to_numeric(df[{column!r}].astype(str))", family=family)
    data[column] = pd.to_numeric(data[column].astype(str))
    d = bz.design(formula, data, family=family)
    read = d.offset if term.startswith("offset") else d.additions[term.split("(")[0]]
    expected = np.log(data[column]) if term.startswith("offset") else data[column]
    np.testing.assert_allclose(read, expected.to_numpy(dtype=float), rtol=1e-15)


DAYS = ("holds dates; a formula reads numbers or factors: convert it to numbers, e.g. days since "
        "the first date with df['d'] = (pd.to_datetime(df['d']) - pd.to_datetime(df['d']).min())"
        ".dt.days, or to a factor with df['d'].astype(str)")
DURATIONS = ("holds durations; a formula reads numbers: convert them, e.g. to days with "
             "df['d'] = pd.to_timedelta(df['d']).dt.total_seconds() / 86400")
COMPLEX = ("holds complex numbers; a formula reads real ones: put the parts you mean in columns "
           "of their own (np.real(df['d']), np.imag(df['d']) or np.abs(df['d']))")
BIG = ("holds integers beyond the int64 range (e.g. 1180591620717411303424): as a factor each "
       "value would be a level of its own, as a number it would lose digits; rescale it (e.g. "
       "df['d'].astype(float) / 1e18) or, for identifiers, use df['d'].astype(str)")
DATES = pd.date_range("2020-01-01", periods=N)


@pytest.mark.parametrize("values, problem", [
    (DATES, DAYS),
    (DATES.tz_localize("UTC"), DAYS),
    (pd.Series(list(DATES.to_pydatetime()), dtype=object), DAYS),
    (pd.Series([datetime.date(2020, 1, i + 1) for i in range(N)], dtype=object), DAYS),
    (pd.to_timedelta(np.arange(N), unit="D"), DURATIONS),
    (np.arange(N) + 1j, COMPLEX),
    (pd.Series([2**70 + i for i in range(N)], dtype=object), BIG),
])
@pytest.mark.parametrize("formula, term", [("y ~ d", "term d"), ("y ~ x + (1 | d)", "term (1 | d)"),
                                           ("y ~ s(d)", "term s(d)")])
def test_dates_durations_complex_and_huge_integers_are_refused(df, values, problem, formula,
                                                               term):
    data = df.assign(d=values)
    refused(formula, data, f"column 'd' ({term}; dtype {data['d'].dtype}) {problem}")


def test_a_period_column_gets_the_period_conversion(df):
    stamps = "df['d'].dt.to_timestamp()"
    refused("y ~ d", df.assign(d=pd.period_range("2020-01", periods=N, freq="M")),
            f"column 'd' (term d; dtype period[M]) holds dates; a formula reads numbers or "
            f"factors: convert it to numbers, e.g. days since the first date with df['d'] = "
            f"({stamps} - {stamps}.min()).dt.days, or to a factor with df['d'].astype(str)")


def test_dates_converted_as_advised_are_read_as_numbers(df):
    data = df.assign(d=DATES)
    refused("y ~ d", data, f"column 'd' (term d; dtype {data['d'].dtype}) {DAYS}")
    data["d"] = (pd.to_datetime(data["d"]) - pd.to_datetime(data["d"]).min()).dt.days
    d = bz.design("y ~ d", data)
    np.testing.assert_array_equal(d.X[:, 1], np.arange(N, dtype=float))
