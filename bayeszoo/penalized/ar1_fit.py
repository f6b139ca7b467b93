"""Gaussian REML with AR(1) residuals at a given ``rho`` (``mgcv::bam(..., rho =, AR.start =)``)
and ``rho`` estimated by profiling the REML score.

:func:`fit_ar1` fits the whitened model (:mod:`.ar1`) with the exact Gaussian engine and
reports it on the original scale, as ``bam`` does: the score (``gcv.ubre``) and lme4's
criterion carry the transform's log-determinant, ``eta``/``fitted`` are ``X·beta`` of the
original rows, the deviance is ``Σ (y - fitted)²``; the covariance, edf, smoothing parameters
and scale are those of the whitened fit (``bam``'s, from the QR of the whitened ``X``).

:func:`profile_rho` minimizes that score over ``rho``, which mgcv users do by hand (fitting
``bam`` over a grid of ``rho`` and keeping the lowest ``gcv.ubre``): a grid, then Brent's
bounded search between the grid neighbours of its best point.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from .ar1 import AR1
from .engine import EngineResult, NotPositiveDefinite, fit_model
from .problem import Layout, Predictor

__all__ = ["PROFILE_GRID", "RHO_BOUND", "fit_ar1", "profile_rho"]

#: the profile's search interval is ``[-RHO_BOUND, RHO_BOUND]``
RHO_BOUND = 0.99
#: the profile's starting grid
PROFILE_GRID = np.round(np.arange(-0.95, 0.951, 0.05), 2)


def fit_ar1(predictors: list[Predictor], likelihood, method: str, ar: AR1) -> EngineResult:
    """The Gaussian identity-link fit of ``predictors`` with AR(1) residuals ``ar``."""
    whitened = copy.copy(likelihood)
    whitened.y = ar.whiten(likelihood.y)
    r = fit_model([ar.predictor(p) for p in predictors], whitened, method)
    eta = Layout(predictors).eta(r.beta)
    resid = likelihood.y - eta[:, 0]
    return replace(r, eta=eta, fitted=likelihood.fitted(eta), score=r.score - ar.log_det,
                   criterion=r.criterion - 2.0 * ar.log_det, deviance=float(resid @ resid))


def profile_rho(fit_at: Callable[[float], EngineResult], grid: np.ndarray = PROFILE_GRID,
                xatol: float = 1e-6) -> tuple[float, EngineResult, pd.DataFrame]:
    """``rho`` minimizing the REML (ML) score of ``fit_at(rho)``: ``(rho, fit, profile)`` with
    ``profile`` every ``rho`` tried and its score (``reml``), in increasing ``rho``; a ``rho``
    whose fit failed scores ``inf``."""
    fits: dict[float, EngineResult | None] = {}

    def score(rho: float) -> float:
        rho = float(rho)
        if rho not in fits:
            try:
                fits[rho] = fit_at(rho)
            except (NotPositiveDefinite, FloatingPointError):
                fits[rho] = None
        r = fits[rho]
        return float(r.score) if r is not None and np.isfinite(r.score) else np.inf

    values = np.array([score(g) for g in grid])
    if not np.isfinite(values).any():
        raise ValueError("the model could not be fitted at any rho of the profile grid")
    i = int(np.argmin(values))
    lo = float(grid[i - 1]) if i > 0 else -RHO_BOUND
    hi = float(grid[i + 1]) if i + 1 < len(grid) else RHO_BOUND
    opt = minimize_scalar(score, bounds=(lo, hi), method="bounded",
                          options={"xatol": xatol})
    best = min((r for r in fits if fits[r] is not None), key=score)
    if score(float(opt.x)) <= score(best):
        best = float(opt.x)
    rhos = sorted(fits)
    profile = pd.DataFrame({"rho": rhos, "reml": [score(r) for r in rhos]})
    return best, fits[best], profile
