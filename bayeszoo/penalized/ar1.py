"""AR(1) residuals for Gaussian REML, as ``mgcv::bam(..., rho =, AR.start =)``.

Within each series the errors follow ``e_i = rho·e_{i-1} + u_i`` with stationary variance
``phi``. mgcv whitens the model row by row (``rwMatrix`` with ``bam``'s ``ar.weight``): with
``ld = 1/sqrt(1 - rho²)`` the first row of a series is kept and every other row becomes
``ld·x_i - rho·ld·x_{i-1}``, so the whitened errors are independent with variance ``phi``.
The transform ``T`` is lower bidiagonal; ``T`` times an indicator block (one nonzero per row)
stays sparse (two nonzeros per row, the difference of consecutive rows).

The whitened model is fitted as an iid Gaussian model; the log-likelihood of the original
data adds ``log|det T| = (n - n_series)·log(ld)``, so mgcv's REML score is the whitened one
minus that (``bam``: ``gcv.ubre - (n - sum(AR.start))·log(ld)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sps

from .problem import PenalizedBlock, Predictor

__all__ = ["AR1", "ar_starts", "check_rho"]


def check_rho(rho: Any) -> float:
    """``rho`` as a float in (-1, 1)."""
    try:
        value = float(rho)
    except (TypeError, ValueError):
        raise ValueError(f"rho must be a number in (-1, 1) or 'estimate', not {rho!r}") from None
    if not -1.0 < value < 1.0:
        raise ValueError(f"rho must lie in (-1, 1) for stationary AR(1) residuals, not {value}")
    return value


def ar_starts(ar_start: Any, data: pd.DataFrame | None, n: int) -> np.ndarray:
    """mgcv's ``AR.start`` as a boolean array of length ``n``: True where a new series starts.

    ``ar_start``: ``None`` (one series starting at row 0), a boolean array or Series of the
    model's length, or the name of a boolean column of ``data``. Row 0 always starts a
    series (``bam`` whitens it so too, but its score's correction counts ``sum(AR.start)``,
    one start fewer when ``AR.start[1]`` is ``FALSE``)."""
    if ar_start is None:
        out = np.zeros(n, dtype=bool)
    else:
        if isinstance(ar_start, str):
            if data is None or ar_start not in data.columns:
                raise ValueError(f"ar_start names the column {ar_start!r}, which the data do "
                                 "not have")
            ar_start = data[ar_start]
        values = np.asarray(ar_start)
        if values.ndim != 1:
            raise ValueError("ar_start must be a one-dimensional boolean array")
        if values.dtype != bool:
            raise ValueError(f"ar_start must be logical (True where a new series starts), "
                             f"not of dtype {values.dtype} (mgcv: 'AR.start must be logical')")
        if values.shape[0] != n:
            raise ValueError(f"ar_start has length {values.shape[0]}, but the model has {n} "
                             "rows")
        out = values.copy()
    if n:
        out[0] = True
    return out


@dataclass(frozen=True)
class AR1:
    """The AR(1) whitening of ``n`` rows in series starting where ``starts`` is True."""

    rho: float
    starts: np.ndarray

    @property
    def n(self) -> int:
        return int(self.starts.shape[0])

    @property
    def n_series(self) -> int:
        return int(np.sum(self.starts))

    @property
    def ld(self) -> float:
        """mgcv's leading diagonal ``1/sqrt(1 - rho²)``."""
        return 1.0 / math.sqrt(1.0 - self.rho**2)

    @property
    def log_det(self) -> float:
        """``log|det T| = (n - n_series)·log(ld)``, the log-likelihood's Jacobian term."""
        return (self.n - self.n_series) * math.log(self.ld)

    def matrix(self) -> sps.csr_matrix:
        """``T``: 1 on the diagonal at series starts, else ``ld``; ``-rho·ld`` below it except
        in a series' first row."""
        diag = np.where(self.starts, 1.0, self.ld)
        sub = np.where(self.starts[1:], 0.0, -self.rho * self.ld)
        return sps.csr_matrix(sps.diags([diag, sub], [0, -1], shape=(self.n, self.n)))

    def whiten(self, A):
        """``T·A`` for a vector, a dense matrix or a CSR matrix (CSR stays CSR)."""
        if sps.issparse(A):
            return sps.csr_matrix(self.matrix() @ A)
        A = np.asarray(A, dtype=float)
        out = A * np.where(self.starts, 1.0, self.ld).reshape((-1,) + (1,) * (A.ndim - 1))
        lag = -self.rho * self.ld * A[:-1]
        lag[self.starts[1:]] = 0.0
        out[1:] += lag
        return out

    def predictor(self, p: Predictor) -> Predictor:
        """The whitened linear predictor (fixed columns, blocks and offset)."""
        blocks = [_whiten_block(self, b) for b in p.blocks]
        offset = None if p.offset is None else self.whiten(p.offset)
        return replace(p, X=self.whiten(p.X), blocks=blocks, offset=offset)


def _whiten_block(ar: AR1, b: PenalizedBlock) -> PenalizedBlock:
    return replace(b, matrix=ar.whiten(b.matrix))
