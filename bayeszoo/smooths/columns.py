"""Reading the columns a smooth term needs from a mapping of arrays or pandas Series.

A column is a factor when it is a pandas ``Categorical`` (its categories, in order, are the
levels; an ordered one is R's ordered factor) or holds strings/objects (levels: the sorted
unique values, as R's ``factor()`` makes them, sorted by code point rather than by locale).
Booleans are numeric 0/1, as mgcv treats a logical ``by`` variable. Everything else must be
numeric and finite.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def has_column(data: Mapping, name: str) -> bool:
    try:
        return name in data
    except TypeError:
        return False


def get_column(data: Mapping, name: str, term: str, role: str = "covariate"):
    if not has_column(data, name):
        available = ", ".join(map(repr, list(data.keys())[:12])) if hasattr(data, "keys") else ""
        raise ValueError(f"{term}: the {role} column {name!r} is not in the data "
                         f"(columns: {available}); add it or correct the name")
    return data[name]


def is_factor(col) -> bool:
    """Is ``col`` a factor (categorical, string or object values)?"""
    if isinstance(col, pd.Series | pd.Index):
        dt = col.dtype
    elif isinstance(col, pd.Categorical):
        return True
    else:
        dt = np.asarray(col).dtype
    if isinstance(dt, pd.CategoricalDtype):
        return True
    if pd.api.types.is_bool_dtype(dt):
        return False
    return not pd.api.types.is_numeric_dtype(dt)


def plain(value):
    """A factor level as a JSON value (numpy scalars become Python ones)."""
    return value.item() if isinstance(value, np.generic) else value


def factor_levels(col) -> tuple[list, bool]:
    """``(levels, ordered)`` of a factor column, as R's ``levels()``/``is.ordered()``; levels are
    plain Python values."""
    if isinstance(col, pd.Categorical):
        return [plain(v) for v in col.categories], bool(col.ordered)
    if isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
        return [plain(v) for v in col.cat.categories], bool(col.cat.ordered)
    values = pd.Series(np.asarray(col, dtype=object)).dropna().unique()
    return sorted((plain(v) for v in values), key=str), False


def numeric_column(data: Mapping, name: str, term: str, role: str = "covariate") -> np.ndarray:
    """A numeric column as float64; errors name the term and the column."""
    col = get_column(data, name, term, role)
    if is_factor(col):
        raise ValueError(f"{term}: the {role} {name!r} is a factor (non-numeric values); "
                         "smooths of a factor need bs=\"re\" or bs=\"fs\", or use it as by=")
    x = np.asarray(col, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{term}: column {name!r} must be one-dimensional, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{term}: column {name!r} has {int(np.sum(~np.isfinite(x)))} missing "
                         "or infinite values; drop those rows first")
    return x


def level_indicator(data: Mapping, name: str, level, term: str) -> np.ndarray:
    """1.0 where the factor column ``name`` equals ``level``, else 0.0 (R's ``lev == by``)."""
    col = get_column(data, name, term, "by")
    values = np.asarray(col, dtype=object)
    return np.array([v == level for v in values], dtype=float)


def level_codes(data: Mapping, name: str, levels: list, term: str) -> np.ndarray:
    """Index of each value in ``levels``; an unknown level is an error."""
    col = get_column(data, name, term, "factor")
    lookup = {lev: i for i, lev in enumerate(levels)}
    values = np.asarray(col, dtype=object)
    codes = np.array([lookup.get(v, -1) for v in values], dtype=int)
    if np.any(codes < 0):
        bad = sorted({str(v) for v, c in zip(values, codes, strict=True) if c < 0})[:5]
        raise ValueError(f"{term}: level(s) {bad} of {name!r} were not in the data the term was "
                         f"fitted on (levels: {levels[:10]}); drop those rows or refit")
    return codes
