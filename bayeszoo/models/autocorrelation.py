"""brms's autocorrelation terms ``ar()``, ``ma()`` and ``arma()`` in the model: which designs
have them, their series structure and their part of the mean, the same formula for NumPy, JAX
and PyTensor arrays (:mod:`bayeszoo.formula.ar_terms` for the terms).

brms 2.18 (``R/stan-autocor.R``, Gaussian and Student-t without ``cov = TRUE``) walks the rows
in series order::

    mu[n] += Err[n, 1:Kma] * ma;
    err[n] = Y[n] - mu[n];
    Err[n + 1, i] = err[n + 1 - i];   (lags within the series)
    mu[n] += Err[n, 1:Kar] * ar;

so the residual ``err = y - eta - ma · Err`` of the moving-average part solves a triangular
system (:func:`ma_residuals`), and :func:`arma_effect` is the sum ``(ma + ar) · Err`` added to
the mean. Without ``ma`` the residuals are ``y - eta`` and no system is solved.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from bayeszoo.design import Design

#: the families whose mean takes brms's residual ARMA form
AR_FAMILIES = ("gaussian", "student")
#: the sites (and posterior names) of the autoregressive and moving-average coefficients
AR_SITE = "ar"
MA_SITE = "ma"


class SeriesLags(NamedTuple):
    """The series structure of a design's rows (NumPy arrays; JAX ones when a compiled model
    takes them as an argument): ``rows`` ``(n, max_lag)``, each row's lag rows (``-1`` where
    the series has none); ``grid`` ``(T, S)``, the row at each position of each series with
    the latest time first (``T`` the longest series; ``0`` where a series is shorter) and
    ``mask`` ``(T, S)`` 1 where the grid holds a row; ``cell`` ``(n,)``, each row's flat
    position in the grid."""

    rows: np.ndarray
    grid: np.ndarray
    mask: np.ndarray
    cell: np.ndarray


def ar_state(design: Design) -> Any | None:
    """The fitted ``ar()``/``ma()``/``arma()`` term of ``design``'s mean formula, ``None``
    without one; ``ValueError`` for two of them."""
    found = [st for st in design.term_states if st.autocorrelation]
    if len(found) > 1:
        raise ValueError(f"{[st.text for st in found]}: give one autocorrelation term")
    return found[0] if found else None


def check_family(design: Design, family_name: str) -> None:
    """``ValueError`` when ``design`` has an autocorrelation term and the family is not one
    whose residuals brms models that way."""
    st = ar_state(design)
    if st is not None and family_name not in AR_FAMILIES:
        raise ValueError(f"{st.text}: autoregressive terms are supported for the gaussian and "
                         f"student families, not {family_name}")


def series_lags(state: Any, data: Any) -> SeriesLags:
    """The :class:`SeriesLags` of the rows of the data frame ``data`` under the fitted term
    ``state``."""
    from bayeszoo.formula.ar_terms import lag_rows, series_order

    series, order = series_order(state, data)
    n = len(order)
    s_codes, first = np.unique(series[order], return_index=True)
    lengths = np.diff(np.r_[first, n])
    T = int(lengths.max()) if n else 0
    position = np.arange(n) - np.repeat(first, lengths)  # 0 at each series' first time
    grid = np.zeros((T, len(s_codes)), dtype=int)
    mask = np.zeros((T, len(s_codes)))
    s_index = np.repeat(np.arange(len(s_codes)), lengths)
    grid[T - 1 - position, s_index] = order
    mask[T - 1 - position, s_index] = 1.0
    cell = np.empty(n, dtype=int)
    cell[order] = (T - 1 - position) * len(s_codes) + s_index
    return SeriesLags(rows=lag_rows(state, data), grid=grid, mask=mask, cell=cell)


def design_lags(design: Design) -> SeriesLags | None:
    """The :class:`SeriesLags` of ``design``'s rows, ``None`` for a design without an
    autocorrelation term."""
    st = ar_state(design)
    if st is None:
        return None
    if design.data is None:
        raise ValueError(f"{st.text}: the design keeps no data frame to order the series by")
    return series_lags(st, design.data)


def has_arma(spec: Any) -> bool:
    """Whether the model spec has autoregressive or moving-average coefficients."""
    return spec.ar is not None or spec.ma is not None


def arma_values(spec: Any, values: dict[str, Any]) -> tuple[Any, Any]:
    """The ``ar`` and ``ma`` coefficients of ``values`` (``None`` for an order 0)."""
    return (None if spec.ar is None else values[spec.ar],
            None if spec.ma is None else values[spec.ma])


def order(coef) -> int:
    """The length of a coefficient vector's last axis: static for PyTensor, whose ``shape`` is
    symbolic."""
    static = getattr(getattr(coef, "type", None), "shape", None)
    return int(static[-1]) if static is not None and static[-1] is not None \
        else int(coef.shape[-1])


def lagged(err, rows: np.ndarray, k: int):
    """``Err[..., n, i] = err[..., rows[n, i]]`` for the first ``k`` lags, 0 where a row has
    no such lag."""
    rows = rows[:, :k]
    has = rows >= 0
    n = rows.shape[0]
    flat = (rows * has).reshape(-1)
    return err[..., flat].reshape((*err.shape[:-1], n, k)) * has.astype(float)


def ma_residuals(ma, resid, lags: SeriesLags, ops):
    """brms's ``err`` of the moving-average recursion, ``err[n] = resid[n] - Σ_i ma[i] ·
    err[n - i]`` within each series: in NumPy walked position by position (any leading
    dimensions of ``ma`` ``(..., q)`` and ``resid`` ``(..., n)``), in JAX and PyTensor
    solved as the unit upper triangular system ``(I + Σ_i ma[i] · shift_i) err = resid`` on
    the latest-first grid of every series."""
    T, S = lags.grid.shape
    q = order(ma)
    R = resid[..., lags.grid] * lags.mask
    if ops.name == "numpy":
        E = np.zeros(np.broadcast_shapes(R.shape, (*np.shape(ma)[:-1], T, S)))
        for u in range(T - 1, -1, -1):
            E[..., u, :] = R[..., u, :] - sum(
                ma[..., i - 1, None] * E[..., u + i, :] for i in range(1, q + 1) if u + i < T)
        return E.reshape((*E.shape[:-2], T * S))[..., lags.cell]
    A = np.eye(T) + sum(ma[i] * np.eye(T, k=i + 1) for i in range(q))
    return ops.solve_upper(A, R).reshape((T * S,))[lags.cell]


def arma_effect(ar, ma, y, eta, lags: SeriesLags, ops):
    """brms's ARMA part of the mean, ``Σ_i ma[..., i] · Err[..., i] + Σ_i ar[..., i] ·
    Err[..., i]`` per row, ``Err`` the lagged residuals of :func:`ma_residuals` (``y - eta``
    without ``ma``): ``ar`` ``(..., p)``, ``ma`` ``(..., q)`` or ``None``, ``eta`` ``(...,
    n)`` in NumPy, JAX or PyTensor (``ops`` the matching namespace)."""
    resid = y - eta
    err = resid if ma is None else ma_residuals(ma, resid, lags, ops)
    out = 0.0
    for coef in (ma, ar):
        if coef is not None:
            k = order(coef)
            out = out + (lagged(err, lags.rows, k) * coef[..., None, :]).sum(axis=-1)
    return out
