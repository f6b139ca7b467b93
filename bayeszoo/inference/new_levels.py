"""Group-level effects of levels a fit never saw, drawn as brms's ``sample_new_levels`` does.

With ``allow_new_levels=True`` brms gives each new level of a grouping factor, per posterior
draw, a coefficient (a vector for a correlated term) instead of zero:

* ``"uncertainty"`` (brms's default): the draw's coefficients of an existing level chosen at
  random, anew for every draw and every new level, so the new level's draws spread as the
  existing levels do;
* ``"gaussian"``: a draw from the normal distribution implied by that draw's group-level
  standard deviations (and correlations, for a correlated term): ``N(0, sd²)`` or
  ``N(0, D Ω D)``;
* ``"old_levels"``: all draws of one existing level, chosen at random once per new level.

Rows of the same new level share its draws; every new level is drawn independently. For
``"uncertainty"`` and ``"old_levels"`` all blocks of one grouping factor (the intercept and
slopes of ``(1 | g) + (0 + x | g)``) take the same chosen level, as brms does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from bayeszoo.formula.grouping import Grouping

SAMPLE_NEW_LEVELS = ("uncertainty", "gaussian", "old_levels")


def groupings(states: dict[str, Any]) -> dict[str, Grouping]:
    """Every grouping factor of the fitted group-level terms (the distributional parameters'
    included) of a fit's stored term ``states``, by brms's name (``"county"``,
    ``"state:county"``)."""
    from bayeszoo.formula.term_types import stored_term_states

    return {g.name: g for terms in stored_term_states(states).values() for st in terms
            for g in st.groupings}


def level_keys(grouping: Grouping, data: pd.DataFrame) -> list:
    """Each row's level of ``grouping`` on ``data`` (a value, or a tuple of values for an
    interaction such as ``state:county``), comparable with ``grouping.levels``."""
    from bayeszoo.formula.columns import column_map

    columns = column_map(data)
    variables = grouping.variables
    if len(variables) == 1:
        return list(data[columns[variables[0]]])
    return [tuple(lev) for lev in zip(*(data[columns[v]] for v in variables), strict=True)]


def new_level_codes(grouping: Grouping, data: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Per row of ``data``, the number of its new level of ``grouping`` (``0, 1, ...`` in order
    of first appearance) or ``-1`` for a level the fit saw; and how many new levels there are."""
    known = set(grouping.levels)
    keys = level_keys(grouping, data)
    ids: dict[Any, int] = {}
    codes = np.full(len(keys), -1, dtype=np.int64)
    for i, key in enumerate(keys):
        if key not in known:
            codes[i] = ids.setdefault(key, len(ids))
    return codes, len(ids)


def placeholder_data(data: pd.DataFrame, fitted: pd.DataFrame, rows: np.ndarray,
                     variables: list[str]) -> pd.DataFrame:
    """``data`` with the grouping ``variables`` of ``rows`` set to those of the fitted data's
    first row (a level combination the fit saw): the design of this frame has every row's
    group-level weights (covariates of varying slopes) where new levels would get zeros."""
    from bayeszoo.formula.columns import column_map

    out = data.copy()
    columns, fitted_columns = column_map(out), column_map(fitted)
    for v in variables:
        col = columns[v]
        out[col] = out[col].astype(object)
        out.loc[out.index[rows], col] = fitted[fitted_columns[v]].iloc[0]
    return out


def old_level_choices(method: str, n_draws: int, n_levels: int, n_new: int,
                      rng: np.random.Generator) -> np.ndarray:
    """``(draws, new levels)`` indices of the existing level whose coefficients each new level
    takes: a fresh level per draw (``"uncertainty"``) or one per new level (``"old_levels"``)."""
    if method == "uncertainty":
        return rng.integers(n_levels, size=(n_draws, n_new))
    return np.broadcast_to(rng.integers(n_levels, size=n_new), (n_draws, n_new))


def gaussian_levels(post: dict[str, np.ndarray], block: dict[str, Any], coefs: list[str] | None,
                    dpar: str | None, n_new: int, rng: np.random.Generator) -> np.ndarray:
    """brms's ``"gaussian"`` new levels of one block: ``(draws, n_new)`` draws of
    ``N(0, sd²)``, or ``(draws, n_new, k)`` of ``N(0, D Ω D)`` for a correlated term with
    coefficients ``coefs`` (``D`` its sds, ``Ω`` its correlations ``cor_g__a__b``)."""
    from bayeszoo.formula.naming import cor_param

    if coefs is None:
        sd = post[block["sd_names"][0]].reshape(-1)
        return sd[:, None] * rng.standard_normal((sd.size, n_new))
    k = len(coefs)
    sds = np.stack([post[s].reshape(-1) for s in block["sd_names"][:k]], axis=-1)
    omega = np.broadcast_to(np.eye(k), (sds.shape[0], k, k)).copy()
    for j in range(k):
        for i in range(j):
            r = post[cor_param(block["name"], coefs[i], coefs[j], dpar)].reshape(-1)
            omega[:, i, j] = omega[:, j, i] = r
    cov = sds[:, :, None] * omega * sds[:, None, :]
    chol = np.linalg.cholesky(cov + 1e-12 * np.eye(k))
    z = rng.standard_normal((sds.shape[0], n_new, k))
    return np.einsum("sij,suj->sui", chol, z)


def new_level_coefficients(post: dict[str, np.ndarray], block: dict[str, Any],
                           coefs: list[str] | None, dpar: str | None, method: str, n_new: int,
                           choices: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """The coefficients of ``n_new`` new levels of one block, per draw: ``(draws, n_new)``
    (``(draws, n_new, k)`` for a correlated term), by ``method``; ``choices``: the existing
    levels of :func:`old_level_choices` (``"uncertainty"``, ``"old_levels"``)."""
    if method == "gaussian":
        return gaussian_levels(post, block, coefs, dpar, n_new, rng)
    r = post[block["coef_name"]]
    r = r.reshape(-1, *r.shape[2:])
    draws = np.arange(r.shape[0])[:, None]
    return r[draws, choices]
