"""Covariate discretization of mgcv's ``bam(discrete = TRUE)`` (``compress.df``).

Each covariate of the model is replaced by the nearest of at most ``m`` values: a numeric
covariate keeps its own distinct values when it has at most ``m`` of them, else it is rounded
onto ``m`` equally spaced points over its range (mgcv's ``compress.df``); a factor keeps its
observed levels. ``m`` follows ``compress.df``'s defaults per term dimension ``d`` (1000 for
one covariate, 100 for two, 25 for more; a given ``m`` becomes ``round(m^(1/d)) + 1`` for
``d > 1``); a covariate read by several terms takes the largest.

The discretization is decided from mergeable per-chunk :class:`Summary` values (range and, while
there are at most ``m``, the distinct values), so that the rows of a Dask data frame are summarized
partition by partition (:mod:`.partitions`) and give the same :class:`Grid` as the whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.formula.columns import is_numeric

__all__ = ["Grid", "Summary", "default_m", "grids", "merge_summaries", "summarize"]


def default_m(d: int, m: int | None) -> int:
    """mgcv's ``compress.df`` number of values per covariate of a ``d``-covariate term."""
    if m is None:
        return 1000 if d <= 1 else 100 if d == 2 else 25
    if m < 2:
        raise ValueError(f"m must be at least 2 (values per covariate), got {m}")
    return int(m) if d <= 1 else int(round(m ** (1.0 / d))) + 1


@dataclass
class Summary:
    """What one chunk of rows says about a covariate: numeric or not, its range, its distinct
    values (``None`` once there are more than the cap: the covariate will be rounded), the
    column's dtype and the rows."""

    numeric: bool
    lo: float
    hi: float
    values: np.ndarray | None
    dtype: Any
    rows: int


def _distinct(s: pd.Series) -> np.ndarray:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return np.asarray(s.cat.remove_unused_categories().cat.categories, dtype=object)
    return np.asarray(pd.unique(s), dtype=object)


def summarize(frame: pd.DataFrame, caps: dict[str, int]) -> dict[str, Summary]:
    """The :class:`Summary` of every covariate in ``caps`` (column -> values kept at most) on
    the rows of ``frame``."""
    out = {}
    for col, cap in caps.items():
        s = frame[col]
        if s.isna().any():
            raise ValueError(f"column {col!r} has missing values; bam needs complete rows "
                             "(drop them before fitting)")
        if is_numeric(s):
            x = s.to_numpy(dtype=float)
            u = np.unique(x)
            lo, hi = (float(u[0]), float(u[-1])) if u.size else (np.inf, -np.inf)
            out[col] = Summary(True, lo, hi, u if u.size <= cap else None, s.dtype, len(s))
        else:
            out[col] = Summary(False, np.nan, np.nan, _distinct(s), s.dtype, len(s))
    return out


def merge_summaries(a: dict[str, Summary], b: dict[str, Summary],
                    caps: dict[str, int]) -> dict[str, Summary]:
    """The summary of two chunks of rows together."""
    out = {}
    for col, sa in a.items():
        sb = b[col]
        if sa.numeric != sb.numeric:
            raise ValueError(f"column {col!r} is numeric in some partitions and not in others")
        if sa.numeric:
            vals = None
            if sa.values is not None and sb.values is not None:
                u = np.union1d(sa.values, sb.values)
                vals = u if u.size <= caps[col] else None
            out[col] = Summary(True, min(sa.lo, sb.lo), max(sa.hi, sb.hi), vals, sa.dtype,
                               sa.rows + sb.rows)
        else:
            vals = np.asarray(list(dict.fromkeys([*sa.values, *sb.values])), dtype=object)
            out[col] = Summary(False, np.nan, np.nan, vals, sa.dtype, sa.rows + sb.rows)
    return out


@dataclass(frozen=True)
class Grid:
    """The discretized values of one covariate: its distinct values (``rounded`` False), the
    ``m`` equally spaced points of its range (``rounded`` True) or its levels (``numeric``
    False); ``dtype`` the column's."""

    name: str
    values: np.ndarray
    numeric: bool
    rounded: bool
    dtype: Any

    @property
    def size(self) -> int:
        return len(self.values)

    def codes(self, s: pd.Series) -> np.ndarray:
        """The position in :attr:`values` of each value of ``s`` (its nearest grid point for a
        rounded covariate)."""
        if s.isna().any():
            raise ValueError(f"column {self.name!r} has missing values; bam needs complete "
                             "rows (drop them before fitting)")
        if self.rounded:
            lo, hi = self.values[0], self.values[-1]
            dx = (hi - lo) / (self.size - 1)
            k = np.rint((s.to_numpy(dtype=float) - lo) / dx)
            return np.clip(k, 0, self.size - 1).astype(np.int64)
        if self.numeric:
            x = s.to_numpy(dtype=float)
            k = np.minimum(np.searchsorted(self.values, x), self.size - 1)
            bad = self.values[k] != x
        elif isinstance(s.dtype, pd.CategoricalDtype):
            lookup = pd.Index(self.values).get_indexer(s.cat.categories)
            codes = s.cat.codes.to_numpy()
            k = np.where(codes >= 0, lookup[codes], -1).astype(np.int64)
            bad = k < 0
        else:
            k = pd.Categorical(np.asarray(s, dtype=object), categories=self.values).codes
            k = k.astype(np.int64)
            bad = k < 0
        if np.any(bad):
            raise ValueError(f"column {self.name!r} has a value not seen when the "
                             f"discretization was fitted ({np.asarray(s)[bad][0]!r})")
        return k

    def column(self, codes: np.ndarray) -> pd.Series:
        """The discretized values at ``codes``, with the column's dtype."""
        v = self.values[np.asarray(codes, dtype=np.int64)]
        if isinstance(self.dtype, pd.CategoricalDtype):
            return pd.Series(pd.Categorical(v, categories=self.dtype.categories,
                                            ordered=self.dtype.ordered), name=self.name)
        if self.rounded:
            return pd.Series(v.astype(float), name=self.name)
        return pd.Series(v, name=self.name).astype(self.dtype)


def grids(summary: dict[str, Summary], caps: dict[str, int]) -> dict[str, Grid]:
    """The :class:`Grid` of every covariate from the summary of all rows (which may keep more
    distinct values than ``caps``: such a covariate is rounded)."""
    out = {}
    for col, s in summary.items():
        if not s.numeric:
            values = s.values
            if isinstance(s.dtype, pd.CategoricalDtype):
                order = list(s.dtype.categories)
                values = np.asarray(sorted(values, key=order.index), dtype=object)
            else:
                try:
                    values = np.asarray(sorted(values), dtype=object)
                except TypeError:
                    values = np.asarray(values, dtype=object)
            out[col] = Grid(col, values, False, False, s.dtype)
        elif s.values is not None and s.values.size <= caps[col]:
            out[col] = Grid(col, np.asarray(s.values, dtype=float), True, False, s.dtype)
        else:
            out[col] = Grid(col, np.linspace(s.lo, s.hi, caps[col]), True, True, s.dtype)
    return out
