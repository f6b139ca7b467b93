"""Rows that share a linear predictor, collapsed into one weighted row (Poisson, binomial,
bernoulli and the ordinal likelihoods).

Two rows with the same fixed-effect row, offset and block entries (indicator level and
weight, or dense block row) have the same ``eta`` for every parameter value. For the exponential
families whose log density is linear in the response's statistics the summed log-likelihood of
such rows is one term:

    poisson:    Σ_i w_i log p(y_i | mu) = (Σ w y) log mu − (Σ w) mu − Σ w log y!
    binomial:   Σ_i w_i log p(y_i | n_i, p) = (Σ w y) log p + (Σ w (n − y)) log(1 − p)
                                              + Σ w log C(n, y)

(bernoulli: ``n = 1``); for an ordinal family (``cumulative``, ``sratio``, ``cratio``, ``acat``)
the rows of a pattern with the same rating ``k`` share ``log P(y = k | eta)``:

    ordinal:    Σ_i w_i log p(y_i | eta) = Σ_k (Σ_{i: y_i = k} w_i) log P(y = k | eta),

so a gradient costs one evaluation per distinct pattern, not per row; the result equals the
row-wise sum to rounding (exact algebra, no approximation). Trials and weights may differ
between the rows of a pattern: they enter the sums. The pointwise
log-likelihood (for LOO) stays per row: it is computed from the draws afterwards.

:func:`distinct_rows` finds the patterns of a design's arrays (any named tuple with ``X``,
``offset`` and ``blocks`` of ``index``/``weights``/``matrix``, as
:class:`bayeszoo.design.DesignArrays`), :func:`pattern_sums` sums per-row statistics over
them, :func:`category_counts` the weights per pattern and rating.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["PatternStats", "category_counts", "distinct_rows", "pattern_sums"]


class PatternStats(NamedTuple):
    """The collapsed likelihood's inputs: ``arrays`` the design arrays of the distinct rows
    (same type as the full design's), ``sums`` per-pattern sums of the response statistics the
    family's log density is linear in, ``constant`` the parameter-free part summed over rows,
    ``n_rows`` the rows collapsed. A named tuple of arrays: it enters a compiled function as an
    argument."""

    arrays: Any
    sums: tuple[np.ndarray, ...]
    constant: float
    n_rows: int


def _key_columns(arrays) -> np.ndarray:
    n = arrays.X.shape[0]
    cols = [np.asarray(arrays.X, dtype=float), np.asarray(arrays.offset, dtype=float)[:, None]]
    for b in arrays.blocks:
        if b.matrix.shape[0]:
            cols.append(np.asarray(b.matrix, dtype=float))
        else:
            cols.append(np.asarray(b.index, dtype=float)[:, None])
            cols.append(np.asarray(b.weights, dtype=float).reshape(n, -1))
    return np.hstack(cols)


def row_codes(key: np.ndarray) -> np.ndarray:
    """One integer per row of ``key`` (``n × m``), equal for equal rows: the columns' value
    codes combined one column at a time and compacted after each (so the codes stay below
    ``n²``). Costs ``2m`` one-dimensional sorts, not a sort of ``n`` rows of ``m`` values."""
    n = key.shape[0]
    code = np.zeros(n, dtype=np.int64)
    for j in range(key.shape[1]):
        levels, column = np.unique(key[:, j], return_inverse=True)
        _, code = np.unique(code * len(levels) + column.ravel(), return_inverse=True)
        code = code.ravel().astype(np.int64)
    return code


def distinct_rows(arrays) -> tuple[Any, np.ndarray]:
    """``(patterns, inverse)``: the design arrays restricted to their distinct rows (in the
    order of :func:`row_codes`) and, per original row, the index of its pattern."""
    _, first, inverse = np.unique(row_codes(_key_columns(arrays)), return_index=True,
                                  return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    blocks = tuple(b._replace(matrix=b.matrix[first]) if b.matrix.shape[0] else
                   b._replace(index=b.index[first], weights=b.weights[first])
                   for b in arrays.blocks)
    patterns = arrays._replace(X=arrays.X[first], offset=arrays.offset[first], blocks=blocks)
    return patterns, inverse


def pattern_sums(inverse: np.ndarray, n_patterns: int, *columns: np.ndarray) -> tuple:
    """Each of ``columns`` (one value per row) summed over the rows of each pattern."""
    return tuple(np.bincount(inverse, weights=np.asarray(c, dtype=float), minlength=n_patterns)
                 for c in columns)


def category_counts(inverse: np.ndarray, n_patterns: int, y: np.ndarray,
                    weights: np.ndarray | None = None) -> np.ndarray:
    """``n_patterns × K`` summed weights (counts without ``weights``) of the rows of each
    pattern with rating ``k = 1..K`` (column ``k - 1``), ``K`` the largest rating."""
    k = np.asarray(y, dtype=float).round().astype(np.int64) - 1
    n_cat = int(k.max()) + 1
    w = np.ones(len(k)) if weights is None else np.asarray(weights, dtype=float)
    counts = np.bincount(inverse * n_cat + k, weights=w, minlength=n_patterns * n_cat)
    return counts.reshape(n_patterns, n_cat)
