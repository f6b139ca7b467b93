"""Predictions of a fit with ``ar()``, ``ma()`` or ``arma()`` at new time points: the series
continued past the fitted rows.

brms 2.18's ``posterior_predict`` walks the rows of each series in time order
(``.predictor_arma``): the mean of a row adds ``ma · Err`` and ``ar · Err`` of the series'
earlier residuals, and a row whose response is missing takes a draw from the family at that
mean, whose residual ``y - eta - ma · Err`` then enters the later rows' ``Err``. Here the
fitted rows (with their observed responses) come first, then the new rows, which must lie
after the last fitted time of their series (or start a series of their own). A new row's
response is used where ``newdata`` gives it, as brms; elsewhere ``kind="pp"`` draws it (the
returned draws are the ones the recursion continued from, one path per posterior draw), and
``"epred"``/``"linpred"`` continue from the expected value, the shifted mean itself (for the
identity-link Gaussian and Student-t families the expectation of the drawn paths).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.families import censoring

from .posterior import family_parameters


def is_arma_fit(idata) -> bool:
    """Whether the fit has autoregressive or moving-average coefficients."""
    from bayeszoo.models.autocorrelation import AR_SITE, MA_SITE

    return AR_SITE in idata.posterior or MA_SITE in idata.posterior


def arma_recursion(ar: np.ndarray | None, ma: np.ndarray | None, y: np.ndarray,
                   eta: np.ndarray, lags: Any,
                   fill: Callable[[np.ndarray, np.ndarray], np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """brms's ARMA recursion over every series, position by position: ``ar`` ``(D, p)``,
    ``ma`` ``(D, q)`` (or ``None``), ``eta`` ``(D, n)``, ``y`` ``(n,)`` with ``NaN`` where the
    response is unknown, ``lags`` the rows' ``SeriesLags``; ``fill(mu, rows)`` gives the
    responses ``(D, len(rows))`` of unknown rows at their shifted mean. Returns the shifted
    mean ``mu`` and the responses (given or filled), both ``(D, n)``."""
    T = lags.grid.shape[0]
    mu = np.array(eta, dtype=float)
    y_out = np.broadcast_to(np.asarray(y, dtype=float), mu.shape).copy()
    err = np.zeros_like(mu)
    for u in range(T - 1, -1, -1):
        rows = lags.grid[u][lags.mask[u] > 0]
        lag = lags.rows[rows]
        Err = np.where(lag >= 0, err[:, np.maximum(lag, 0)], 0.0)  # (D, rows, max_lag)
        before = eta[:, rows] + (0.0 if ma is None else
                                 (Err[..., :ma.shape[-1]] * ma[:, None, :]).sum(-1))
        mu[:, rows] = before + (0.0 if ar is None else
                                (Err[..., :ar.shape[-1]] * ar[:, None, :]).sum(-1))
        unknown = np.isnan(y_out[0, rows])
        if unknown.any():
            y_out[:, rows[unknown]] = fill(mu[:, rows[unknown]], rows[unknown])
        err[:, rows] = y_out[:, rows] - before
    return mu, y_out


def combined_frame(state: Any, fitted: pd.DataFrame, newdata: pd.DataFrame) -> pd.DataFrame:
    """The time and group columns of the fitted rows then the new rows; ``ValueError`` when a
    new row does not come after the last fitted time of its series."""
    cols = list(state.covariates)
    both = pd.concat([fitted[cols], newdata[cols]], ignore_index=True)
    if state.time is None:
        return both
    if state.group is None:
        bound = np.full(len(newdata), float(fitted[state.time].max()))
    else:
        last = fitted.groupby(state.group)[state.time].max()
        bound = newdata[state.group].map(last).to_numpy(dtype=float)
    early = ~np.isnan(bound) & (np.asarray(newdata[state.time], dtype=float) <= bound)
    if early.any():
        raise ValueError(f"{state.text}: predictions on newdata of a fit with autocorrelation "
                         "are made continuing the series, so its time points must come after "
                         f"the fitted ones of their series; row {int(np.flatnonzero(early)[0])}"
                         " does not")
    return both


def continue_series(idata, post, info: dict, arrays: list, additions: dict,
                    newdata: pd.DataFrame, y_new: np.ndarray | None, family,
                    kind: str, rng: np.random.Generator) -> np.ndarray:
    """Draws × new rows of ``kind`` (``"epred"``, ``"linpred"``, ``"pp"``) for ``newdata``
    continuing the fitted series: ``arrays``/``additions`` are the new rows' design arrays,
    ``post`` the posterior (``(chain, draw, ...)`` per variable) and ``y_new`` the new rows'
    responses where given (``NaN`` or ``None`` elsewhere)."""
    from bayeszoo.formula.term_types import stored_term_states
    from bayeszoo.models.autocorrelation import AR_SITE, MA_SITE, series_lags

    from .predict import design_from_idata, stored_arrays, stored_states

    state = next(st for st in stored_term_states(stored_states(idata))[None]
                 if st.autocorrelation)
    train = design_from_idata(idata)
    n_fit, n_new = train.n, len(newdata)
    lags = series_lags(state, combined_frame(state, train.data, newdata))
    eta_fit, aux_fit = family_parameters(post, info, stored_arrays(idata), family,
                                         train.additions)
    eta_new, aux_new = family_parameters(post, info, arrays, family, additions)
    D = int(np.prod(eta_fit.shape[:-1]))
    eta = np.concatenate([eta_fit.reshape(D, -1), eta_new.reshape(D, -1)], axis=1)
    per_row = {p["dpar"] for p in info["predictors"][1:]}
    aux = {k: np.concatenate([aux_fit[k].reshape(D, -1), v.reshape(D, -1)], axis=1)
           if k in per_row else v.reshape(D, -1) for k, v in aux_new.items()}
    y = np.r_[np.asarray(train.y, dtype=float), np.full(n_new, np.nan) if y_new is None else
              np.asarray(y_new, dtype=float)]
    extras = {k: np.r_[np.asarray(train.additions[k], dtype=float),
                       np.asarray(v, dtype=float)] for k, v in additions.items()}

    def at(rows: np.ndarray) -> tuple[dict, dict]:
        return ({k: v[:, rows] if k in per_row else v for k, v in aux.items()},
                {k: v[rows] for k, v in extras.items()})

    def fill(mu: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if kind != "pp":
            return family.mean(mu, *at(rows))
        return censoring.draw(family, rng, mu, *at(rows))

    coefs = [np.asarray(post[s].values if hasattr(post[s], "values") else post[s],
                        dtype=float).reshape(D, -1) if s in post else None
             for s in (AR_SITE, MA_SITE)]
    mu, y_out = arma_recursion(*coefs, y, eta, lags, fill)
    new = np.arange(n_fit, n_fit + n_new)
    if kind == "linpred":
        return mu[:, new]
    if kind == "epred":
        return family.mean(mu[:, new], *at(new))
    given = ~np.isnan(y[new])
    out = y_out[:, new]
    if given.any():
        out[:, given] = censoring.draw(family, rng, mu[:, new[given]], *at(new[given]))
    return out
