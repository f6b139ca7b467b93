"""The rows of a ``bam`` fit: one pandas frame, or the partitions of a Dask data frame.

A source answers the passes :mod:`.bam` makes over the rows, each a function of one chunk of
rows whose results add up: the covariates' :class:`~.discrete.Summary`, every ``stride``-th row
(the rows the term states are fitted on), the combinations of several covariates present, the
:class:`~.crossprod.Statistics`, the response and ``X beta``. :class:`FrameSource` applies them to
a pandas frame; :class:`DaskSource` to each partition of a ``dask.dataframe`` as a delayed task
on the user's Dask client (``client=``; else Dask's current scheduler, a distributed client when
one is active), summing the statistics, so that only one partition is in a worker's memory at a
time. The chunk functions import NumPy, pandas and SciPy only (no JAX in the workers).

Passes whose results add up (:meth:`DaskSource.reduce`) are summed on the workers in a binary
tree of delayed tasks, so that a worker holds one running sum rather than every partition's
result until the calling process gathers them (at 10⁸ rows in 100 partitions, 50 cross-product
matrices of 8.5 MB per worker).
"""

from __future__ import annotations

import functools
import math
import operator
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd

from .bam_ar import ArMoments, chunk_ar_moments
from .bam_pirls import ResponseSpec, chunk_working
from .crossprod import Statistics, TermGroup, joint_codes, linear_predictor, statistics
from .discrete import Grid, Summary, merge_summaries, summarize

__all__ = ["CHUNK", "DaskSource", "FrameSource", "is_dask", "make_source",
           "scheduler_address"]

CHUNK = 1_000_000  # rows of an in-memory frame per pass of the cross-products


def is_dask(data: Any) -> bool:
    """Whether ``data`` is a Dask data frame (checked without importing Dask)."""
    return type(data).__module__.split(".")[0] == "dask" and hasattr(data, "to_delayed")


def chunk_rows(frame: pd.DataFrame, start: int, stride: int) -> pd.DataFrame:
    """The rows of a chunk whose global position (the chunk starts at ``start``) is a multiple
    of ``stride``: a copy, since a slice would keep the whole chunk alive (in a Dask worker,
    every partition until the rows are gathered)."""
    first = (-start) % stride
    return frame.iloc[first::stride].copy()


def chunk_combos(frame: pd.DataFrame, grids: dict[str, Grid],
                 sets: list[tuple[str, ...]]) -> list[np.ndarray]:
    """The sorted joint codes present in a chunk, for each set of covariates."""
    out = []
    for cols in sets:
        codes = [grids[c].codes(frame[c]) for c in cols]
        out.append(np.unique(joint_codes(codes, tuple(grids[c].size for c in cols))))
    return out


def chunk_response(frame: pd.DataFrame, response: str,
                   weights: str | None) -> tuple[np.ndarray, np.ndarray]:
    """The response and prior weights (ones without ``weights()``) of a chunk."""
    y = frame[response].to_numpy(dtype=float)
    w = np.ones(len(frame)) if weights is None else frame[weights].to_numpy(dtype=float)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"response {response!r} has missing or non-finite values; bam needs "
                         "complete rows")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weights {weights!r} must be finite and non-negative")
    return y, w


def chunk_statistics(frame: pd.DataFrame, groups: list[TermGroup], grids: dict[str, Grid],
                     response: str, weights: str | None, P: int) -> Statistics:
    y, w = chunk_response(frame, response, weights)
    return statistics(groups, grids, frame, y, w, P)


def chunk_eta(frame: pd.DataFrame, groups: list[TermGroup], grids: dict[str, Grid],
              beta: np.ndarray) -> np.ndarray:
    return linear_predictor(groups, grids, frame, beta)


def chunk_last(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[-1:].copy()


def chunk_columns(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return frame[cols]


def add_pairs(a: tuple, b: tuple) -> tuple:
    """Two chunks' tuples of statistics added entry by entry."""
    return tuple(x + y for x, y in zip(a, b, strict=True))


def union_sets(a: list[np.ndarray], b: list[np.ndarray]) -> list[np.ndarray]:
    """Two chunks' :func:`chunk_combos` together."""
    return [np.union1d(x, y) for x, y in zip(a, b, strict=True)]


def tree(tasks: list, combine):
    """The delayed ``combine(combine(t0, t1), combine(t2, t3))...`` of ``tasks`` (at least
    one): a binary tree, each level half the tasks of the one below."""
    import dask

    while len(tasks) > 1:
        tasks = [dask.delayed(combine)(tasks[i], tasks[i + 1]) if i + 1 < len(tasks)
                 else tasks[i] for i in range(0, len(tasks), 2)]
    return tasks[0]


class FrameSource:
    """The rows of one pandas frame."""

    def __init__(self, data: pd.DataFrame) -> None:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas or Dask DataFrame, not "
                            f"{type(data).__name__}")
        self.data = data.reset_index(drop=True)
        self.meta = self.data.iloc[:0]

    def summary(self, caps: dict[str, int]) -> dict[str, Summary]:
        return summarize(self.data, caps)

    def reduce(self, fn, combine, *args):
        """``fn(chunk, *args)`` of every chunk, combined pairwise by ``combine(a, b)``."""
        return reduce(combine, [fn(c, *args) for c in self.chunks()])

    def every(self, stride: int) -> pd.DataFrame:
        return chunk_rows(self.data, 0, stride)

    def combos(self, grids: dict[str, Grid], sets: list[tuple[str, ...]]) -> list[np.ndarray]:
        return chunk_combos(self.data, grids, sets)

    def chunks(self) -> list[pd.DataFrame]:
        """The frame in pieces of at most :data:`CHUNK` rows (bounding the index vectors)."""
        return [self.data.iloc[i:i + CHUNK] for i in range(0, max(len(self.data), 1), CHUNK)]

    def statistics(self, groups, grids, response, weights, P) -> Statistics:
        return self.reduce(chunk_statistics, operator.add, groups, grids, response, weights, P)

    def response(self, response: str, weights: str | None) -> tuple[np.ndarray, np.ndarray]:
        return chunk_response(self.data, response, weights)

    def eta(self, groups, grids, beta) -> np.ndarray:
        return np.concatenate([chunk_eta(c, groups, grids, beta) for c in self.chunks()])

    def working(self, groups, grids, spec: ResponseSpec, beta, P) -> tuple[Statistics, float]:
        """The PIRLS working model's statistics at ``beta`` and the deviance there."""
        return self.reduce(chunk_working, add_pairs, groups, grids, spec, beta, P)

    def columns(self, cols: list[str]) -> pd.DataFrame:
        """The columns ``cols`` of every row."""
        return self.data[cols]

    def ar_moments(self, groups, grids, response: str, starts: str | None, P) -> ArMoments:
        """The AR(1) lag moments (:mod:`.bam_ar`), each chunk with the row before it."""
        parts = [chunk_ar_moments(self.data.iloc[i:i + CHUNK],
                                  self.data.iloc[i - 1:i] if i else None, groups, grids,
                                  response, starts, P)
                 for i in range(0, max(len(self.data), 1), CHUNK)]
        return reduce(lambda a, b: a + b, parts)


class DaskSource:
    """The partitions of a Dask data frame, each pass one delayed task per partition."""

    def __init__(self, data: Any, client: Any = None) -> None:
        import dask

        self.dask = dask
        self.parts = data.to_delayed()
        self.meta = data._meta
        self.client = client
        self.lengths = self._compute([dask.delayed(len)(p) for p in self.parts])
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(int).tolist()

    def _compute(self, tasks: list) -> list:
        if self.client is not None:
            return self.client.gather(self.client.compute(tasks))
        return list(self.dask.compute(*tasks))

    def _map(self, fn, *args) -> list:
        delayed = self.dask.delayed
        return self._compute([delayed(fn)(p, *args) for p in self.parts])

    def _tasks(self, fn, *args) -> list:
        delayed = self.dask.delayed
        return [delayed(fn)(p, *args) for p, n in zip(self.parts, self.lengths, strict=True)
                if n]

    def reduce(self, fn, combine, *args):
        """``fn(partition, *args)`` of every non-empty partition, combined pairwise by
        ``combine(a, b)`` on the workers (:func:`tree`): one result is gathered."""
        return self._compute([tree(self._tasks(fn, *args), combine)])[0]

    def summary(self, caps: dict[str, int]) -> dict[str, Summary]:
        return self.reduce(summarize, functools.partial(merge_summaries, caps=caps), caps)

    def every(self, stride: int) -> pd.DataFrame:
        delayed = self.dask.delayed
        rows = self._compute([delayed(chunk_rows)(p, s, stride)
                              for p, s in zip(self.parts, self.starts, strict=True)])
        return pd.concat(rows, ignore_index=True)

    def combos(self, grids: dict[str, Grid], sets: list[tuple[str, ...]]) -> list[np.ndarray]:
        return self.reduce(chunk_combos, union_sets, grids, sets)

    def statistics(self, groups, grids, response, weights, P) -> Statistics:
        return self.reduce(chunk_statistics, operator.add, groups, grids, response, weights, P)

    def response(self, response: str, weights: str | None) -> tuple[np.ndarray, np.ndarray]:
        parts = self._map(chunk_response, response, weights)
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    def eta(self, groups, grids, beta) -> np.ndarray:
        return np.concatenate(self._map(chunk_eta, groups, grids, beta))

    def working(self, groups, grids, spec: ResponseSpec, beta, P) -> tuple[Statistics, float]:
        return self.reduce(chunk_working, add_pairs, groups, grids, spec, beta, P)

    def columns(self, cols: list[str]) -> pd.DataFrame:
        parts = self._map(chunk_columns, cols)
        return pd.concat(parts, ignore_index=True)

    def ar_moments(self, groups, grids, response: str, starts: str | None, P) -> ArMoments:
        """The AR(1) lag moments, each partition with the last row of the nearest non-empty
        partition before it."""
        delayed = self.dask.delayed
        tasks, prev = [], None
        for part, n in zip(self.parts, self.lengths, strict=True):
            if not n:
                continue
            tasks.append(delayed(chunk_ar_moments)(part, prev, groups, grids, response, starts,
                                                   P))
            prev = delayed(chunk_last)(part)
        return self._compute([tree(tasks, operator.add)])[0]


def scheduler_address(fn):
    """Let ``fn``'s keyword ``client`` also be a Dask scheduler's address (``"tcp://..."``):
    ``fn`` then runs with a ``distributed.Client`` connected to it, closed when it returns."""

    @functools.wraps(fn)
    def wrapped(*args, client: Any = None, **kwargs):
        if not isinstance(client, str):
            return fn(*args, client=client, **kwargs)
        from distributed import Client

        with Client(client, set_as_default=False) as connected:
            return fn(*args, client=connected, **kwargs)

    return wrapped


def make_source(data: Any, client: Any = None) -> FrameSource | DaskSource:
    """The source of ``data``: a pandas or a Dask data frame."""
    if is_dask(data):
        return DaskSource(data, client)
    if client is not None:
        raise ValueError("client= is for Dask data frames; data is in memory")
    return FrameSource(data)


def stride_for(rows: int, state_rows: int) -> int:
    """The stride of the rows the term states are fitted on: every row up to ``state_rows``."""
    return max(1, math.ceil(rows / state_rows))
