"""AR(1) residuals in ``bam(discrete = TRUE)``, as ``mgcv::bam(..., rho =, AR.start =)``.

The AR(1) whitening (:mod:`.ar1`) mixes each row with the one before it: with ``ld =
1/sqrt(1 - rho²)`` the row ``i`` that does not start a series becomes ``ld·(x_i - rho·x_{i-1})``
(a series' first row is kept). Discretization works on the covariates of each row, so the
whitened model matrix is not a lookup of discretized term matrices; its cross-products are.
mgcv's ``XWXd`` takes the whitening as its ``ar.stop``, ``ar.row``, ``ar.weight`` arguments for
this; here one pass over the rows accumulates the lag moments of the rows ``N`` that continue a
series and the moments of the rows ``S`` that start one::

    X'T'TX = Σ_S x x' + ld²·(Σ_N x_i x_i' - rho·(C + C') + rho²·Σ_N x_{i-1} x_{i-1}'),
    C = Σ_N x_i x_{i-1}'

(each a weighted pair table of the index vectors of rows ``i`` and ``i - 1``, as
:mod:`.crossprod`), and the same for ``X'T'Ty`` and ``y'T'Ty``. :class:`ArMoments` of chunks add
up (a chunk carries the row before it, the last row of the previous partition on Dask), and
give the whitened model's :class:`~.crossprod.Statistics` at any ``rho`` without another pass,
so ``rho = "estimate"`` profiles the score on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .crossprod import Statistics, TermGroup, code_statistics, group_codes, pair_table, sandwich
from .discrete import Grid

__all__ = ["ArMoments", "chunk_ar_moments"]


@dataclass
class ArMoments:
    """One-pass moments of the AR(1) whitening: ``start`` the statistics of the rows starting a
    series; ``cur``, ``lag`` those of the continuing rows and of the rows before them; ``C``
    ``Σ x_i x_{i-1}'``, ``c_cl`` ``Σ x_i y_{i-1}``, ``c_lc`` ``Σ x_{i-1} y_i``, ``yy_cl``
    ``Σ y_i y_{i-1}`` over the continuing rows."""

    start: Statistics
    cur: Statistics
    lag: Statistics
    C: np.ndarray
    c_cl: np.ndarray
    c_lc: np.ndarray
    yy_cl: float

    def __add__(self, other: ArMoments) -> ArMoments:
        return ArMoments(self.start + other.start, self.cur + other.cur, self.lag + other.lag,
                         self.C + other.C, self.c_cl + other.c_cl, self.c_lc + other.c_lc,
                         self.yy_cl + other.yy_cl)

    @property
    def rows(self) -> int:
        return self.start.rows + self.cur.rows

    @property
    def n_series(self) -> int:
        return self.start.rows

    def log_det(self, rho: float) -> float:
        """``log|det T|``: ``(n - n_series)·log(ld)`` (:class:`.ar1.AR1`)."""
        return self.cur.rows * math.log(1.0 / math.sqrt(1.0 - rho**2))

    def statistics(self, rho: float) -> Statistics:
        """The whitened model's ``X'T'TX``, ``X'T'Ty``, ``y'T'Ty`` at ``rho``."""
        ld2 = 1.0 / (1.0 - rho**2)
        G = self.start.G + ld2 * (self.cur.G - rho * (self.C + self.C.T) + rho**2 * self.lag.G)
        c = self.start.c + ld2 * (self.cur.c - rho * (self.c_cl + self.c_lc)
                                  + rho**2 * self.lag.c)
        yy = self.start.yy + ld2 * (self.cur.yy - 2.0 * rho * self.yy_cl + rho**2 * self.lag.yy)
        return Statistics(G, c, yy, self.rows, self.rows, 0.0)


def _cross(groups: list[TermGroup], ka: list[np.ndarray], kb: list[np.ndarray],
           P: int) -> np.ndarray:
    """``Σ x(ka_i) x(kb_i)'`` over the rows (every pair of groups; not symmetric)."""
    C = np.zeros((P, P))
    n = ka[0].shape[0]
    ones = np.ones(n)
    for a, ga in enumerate(groups):
        for b, gb in enumerate(groups):
            T = pair_table(ka[a], ga.size, kb[b], gb.size, ones)
            C[np.ix_(ga.positions, gb.positions)] = sandwich(ga.matrix, T, gb.matrix)
    return C


def chunk_ar_moments(frame: pd.DataFrame, prev: pd.DataFrame | None, groups: list[TermGroup],
                     grids: dict[str, Grid], response: str, starts: str | None,
                     P: int) -> ArMoments:
    """The :class:`ArMoments` of the rows of ``frame``; ``prev`` the row before them (``None``
    for the first chunk, whose first row starts a series); ``starts`` the boolean column of
    mgcv's ``AR.start`` (``None``: one series)."""
    full = frame if prev is None or not len(prev) else pd.concat([prev, frame])
    lead = len(full) - len(frame)
    y_full = full[response].to_numpy(dtype=float)
    if not np.all(np.isfinite(y_full)):
        raise ValueError(f"response {response!r} has missing or non-finite values; bam needs "
                         "complete rows")
    ks_full = group_codes(groups, grids, full)
    n = len(frame)
    is_start = (np.zeros(n, dtype=bool) if starts is None
                else frame[starts].to_numpy(dtype=bool).copy())
    if lead == 0 and n:
        is_start[0] = True
    rows = np.arange(lead, lead + n)
    s_rows, c_rows = rows[is_start], rows[~is_start]
    ones = np.ones

    def stats(idx: np.ndarray) -> Statistics:
        return code_statistics(groups, [k[idx] for k in ks_full], y_full[idx], ones(idx.size),
                               P)

    k_cur = [k[c_rows] for k in ks_full]
    k_lag = [k[c_rows - 1] for k in ks_full]
    y_cur, y_lag = y_full[c_rows], y_full[c_rows - 1]
    c_cl, c_lc = np.zeros(P), np.zeros(P)
    for g, kc, kl in zip(groups, k_cur, k_lag, strict=True):
        c_cl[g.positions] = g.matrix.T @ np.bincount(kc, weights=y_lag, minlength=g.size)
        c_lc[g.positions] = g.matrix.T @ np.bincount(kl, weights=y_cur, minlength=g.size)
    C = _cross(groups, k_cur, k_lag, P) if c_rows.size else np.zeros((P, P))
    return ArMoments(stats(s_rows), stats(c_rows), stats(c_rows - 1), C, c_cl, c_lc,
                     float(y_cur @ y_lag))
