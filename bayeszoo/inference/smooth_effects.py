"""Partial effects of a fit's smooths: mgcv's ``plot.gam`` and gratia's ``draw`` on posterior
draws.

A smooth's partial effect is its unpenalized columns and penalized blocks evaluated on a grid
from the fit's term states, times the posterior draws of their coefficients (``bs_<label>_<j>``,
``s_<label>_<j>``): the smooth's contribution to the linear predictor alone, centred by its
identifiability constraint as ``plot.gam`` shows it (a surface: mean zero over the data, which
for ``t2`` is mgcv's prediction constraint rather than its fitting one). The HTML report's smooth
figures and :meth:`bayeszoo.inference.fit.Fit.smooths` both draw from here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .effect_plots import Effects

GRID_2D = 70
GRID_1D = 200
TOO_FAR = 0.1
MAX_DRAWS = 400


def coefficient_draws(idata, design, sm, max_draws: int = MAX_DRAWS
                      ) -> tuple[np.ndarray, list[np.ndarray]]:
    """``(beta, [r_1, ...])``: draws × coefficients of a smooth's unpenalized columns and of
    each of its blocks, thinned to about ``max_draws`` draws."""
    post = idata.posterior
    n = post.sizes["chain"] * post.sizes["draw"]
    keep = np.unique(np.linspace(0, n - 1, min(n, max_draws)).round().astype(int))

    def flat(name: str) -> np.ndarray:
        v = np.asarray(post[name].values, dtype=float)
        return v.reshape(n, -1)[keep]

    beta = np.column_stack([flat(design.fixed_params[j]) for j in sm.fixed_columns]) \
        if sm.fixed_columns else np.zeros((keep.size, 0))
    return beta, [flat(design.blocks[b].names.coef) for b in sm.blocks]


def partial_effect(idata, design, sm, newdata: pd.DataFrame) -> np.ndarray:
    """Draws × rows of smooth ``sm``'s contribution to the linear predictor at ``newdata``."""
    nd = design.for_newdata(newdata)
    beta, blocks = coefficient_draws(idata, design, sm)
    out = beta @ nd.X[:, sm.fixed_columns].T
    for b, r in zip(sm.blocks, blocks, strict=True):
        out = out + r @ nd.blocks[b].Z.T
    return out


def base_rows(data: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` copies of the data's first row with numeric columns at their means."""
    base = data.iloc[[0] * n].reset_index(drop=True).copy()
    for c in base.columns:
        if pd.api.types.is_numeric_dtype(base[c]):
            base[c] = float(np.mean(data[c]))
    return base


def far_from_data(gx: np.ndarray, gy: np.ndarray, x: np.ndarray, y: np.ndarray,
                  too_far: float = TOO_FAR) -> np.ndarray:
    """Grid points whose distance to the nearest data point, on the unit-scaled square of the
    data's range, exceeds ``too_far`` (mgcv's ``exclude.too.far``)."""
    sx, sy = np.ptp(x) or 1.0, np.ptp(y) or 1.0
    dx = (gx.ravel()[:, None] - x[None, :]) / sx
    dy = (gy.ravel()[:, None] - y[None, :]) / sy
    return (np.min(dx * dx + dy * dy, axis=1) > too_far**2).reshape(gx.shape)


def summarize_draws(draws: np.ndarray) -> dict[str, np.ndarray]:
    """Per column of draws × rows: ``estimate__`` (mean), ``se__`` (sd), ``lower__`` and
    ``upper__`` (the 2.5 % and 97.5 % quantiles)."""
    lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
    return {"estimate__": draws.mean(axis=0), "se__": draws.std(axis=0, ddof=1),
            "lower__": lo, "upper__": hi}


def smooth_frame(idata, design, data: pd.DataFrame, sm) -> tuple[str, pd.DataFrame] | None:
    """``(kind, frame)`` of one smooth's partial effect: ``"numeric"`` (one covariate,
    ``GRID_1D`` points over its range), ``"by"`` (one curve per level of a ``by=`` factor or an
    ``fs`` smooth's factor) or ``"surface"`` (two covariates, a ``GRID_2D`` square grid, mean
    zero over the data); ``None`` for random-effect smooths and numeric ``by=`` smooths, which
    ``plot.gam`` draws otherwise."""
    spec = sm.state["spec"] if sm.state is not None else {"by": None}
    by = spec.get("by")
    numeric = [v for v in sm.variables if pd.api.types.is_numeric_dtype(data[v])]
    factor = by if by is not None and not pd.api.types.is_numeric_dtype(data[by]) else None
    if sm.bs == "fs":
        factor = next((v for v in sm.variables if v not in numeric), None)
    if sm.is_random_effect or (by is not None and factor is None) or len(numeric) not in (1, 2):
        return None
    if factor is not None:
        var = numeric[0]
        x = np.asarray(data[var], dtype=float)
        xg = np.linspace(x.min(), x.max(), GRID_1D)
        levels = list(pd.Categorical(data[factor]).categories)
        grid = base_rows(data, xg.size * len(levels))
        grid[var] = np.tile(xg, len(levels))
        grid[factor] = pd.Categorical(np.repeat(levels, xg.size), categories=levels)
        draws = partial_effect(idata, design, sm, grid)
        return "by", pd.DataFrame({var: grid[var], factor: grid[factor],
                                   **summarize_draws(draws)})
    if len(numeric) == 1:
        var = numeric[0]
        x = np.asarray(data[var], dtype=float)
        grid = base_rows(data, GRID_1D)
        grid[var] = np.linspace(x.min(), x.max(), GRID_1D)
        draws = partial_effect(idata, design, sm, grid)
        return "numeric", pd.DataFrame({var: grid[var], **summarize_draws(draws)})
    v1, v2 = numeric
    x, y = (np.asarray(data[v], dtype=float) for v in (v1, v2))
    gx, gy = np.meshgrid(np.linspace(x.min(), x.max(), GRID_2D),
                         np.linspace(y.min(), y.max(), GRID_2D))
    grid = base_rows(data, gx.size)
    grid[v1], grid[v2] = gx.ravel(), gy.ravel()
    draws = partial_effect(idata, design, sm, grid)
    draws = draws - partial_effect(idata, design, sm, data).mean(axis=1, keepdims=True)
    return "surface", pd.DataFrame({v1: grid[v1], v2: grid[v2], **summarize_draws(draws)})


def smooths(fit) -> Effects:
    """mgcv's ``plot.gam`` / gratia's ``draw``: per smooth of the mean's formula (keyed by its
    term, ``"s(times)"``), the partial effect's posterior mean (``estimate__``), sd
    (``se__``) and 95 % interval (``lower__``, ``upper__``) on a grid over the data."""
    design = fit.design
    data = design.data.drop(columns=[design.response], errors="ignore")
    out = Effects(ylabel="partial effect", data=data, too_far=TOO_FAR)
    for sm in design.smooths:
        made = smooth_frame(fit, design, data, sm)
        if made is not None:
            out.add(sm.term, made[1], made[0])
    return out
