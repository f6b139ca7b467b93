"""Kaplan–Meier against the posterior survival curve, for a right-censored response
(``y | cens(c) ~ ...`` with brms's codes 0 and 1: ``weibull``, ``lognormal``, ``exponential``,
``gamma`` and any other family with a survival function).

:func:`kaplan_meier` is R's ``survival::survfit(Surv(time, event) ~ 1)``: at each distinct event
time ``t_j`` with ``n_j`` rows at risk (time ``>= t_j``; a row censored at ``t_j`` is still at
risk there) and ``d_j`` events, ``S(t_j) = Π_{i <= j} (1 − d_i / n_i)``, Greenwood's standard
error ``S(t_j) sqrt(Σ_{i <= j} d_i / (n_i (n_i − d_i)))`` and survfit's default band
(``conf.type = "log"``): ``S exp(± z σ)`` with ``σ = sqrt(Σ d / (n (n − d)))``, the upper end
capped at 1 (no band where ``S = 0``: NaN, as survfit's ``NA``).

:func:`posterior_survival` is the model's marginal survival curve over the fitted rows,
``S_s(t) = (1/n) Σ_i P(Y_i > t | θ_s)`` per posterior draw ``s`` (the family's ``lccdf``), of
which :func:`plot_km_overlay` draws the median and the 90 % band against the Kaplan–Meier curve
of the data.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np

__all__ = ["KaplanMeier", "kaplan_meier", "plot_km_overlay", "posterior_survival",
           "right_censored", "survival_grid"]

#: posterior draws the survival curves are computed from (thinned evenly within chains)
MAX_DRAWS = 400
GRID_POINTS = 120
#: the band of the posterior curve and of the Kaplan–Meier estimate
LEVEL = 0.9


class KaplanMeier(NamedTuple):
    """The Kaplan–Meier estimate at its distinct event times (see the module doc)."""

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def kaplan_meier(time, event, level: float = LEVEL) -> KaplanMeier:
    """R's ``survfit(Surv(time, event) ~ 1, conf.int = level)``: the product-limit estimate,
    Greenwood's standard error and the log-scale band (module doc). ``event`` is 1 for an
    observed event and 0 for a right-censored time."""
    from scipy import stats

    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    if t.shape != e.shape or t.ndim != 1:
        raise ValueError("time and event must be 1-D arrays of the same length")
    if not np.all(np.isin(e, (0.0, 1.0))):
        raise ValueError("event must hold 0 (right censored) or 1 (event)")
    times = np.unique(t[e == 1])
    at_risk = np.array([np.sum(t >= s) for s in times], dtype=float)
    events = np.array([np.sum((t == s) & (e == 1)) for s in times], dtype=float)
    survival = np.cumprod(1.0 - events / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_log = np.cumsum(events / (at_risk * (at_risk - events)))
        sigma = np.sqrt(var_log)
        z = stats.norm.ppf(0.5 + level / 2.0)
        alive = survival > 0
        lower = np.where(alive, survival * np.exp(-z * sigma), np.nan)
        upper = np.where(alive, np.minimum(survival * np.exp(z * sigma), 1.0), np.nan)
        std_err = np.where(alive, survival * sigma, np.nan)
    return KaplanMeier(times, at_risk, events, survival, std_err, lower, upper)


def right_censored(idata) -> tuple[np.ndarray, np.ndarray] | None:
    """``(times, events)`` of a fit whose response is right censored (``cens()`` codes 0 and 1
    only, without ``trunc()``), ``events`` 1 where the time was observed; else ``None``."""
    from .predict import stored_additions

    if "constant_data" not in idata.groups():
        return None
    additions = stored_additions(idata)
    cens = additions.get("cens")
    if cens is None or "lb" in additions or "ub" in additions or not np.all(np.isin(cens,
                                                                                 (0, 1))):
        return None
    y = np.asarray(idata.observed_data[idata.attrs["response"]].values, dtype=float)
    return y, 1.0 - cens


def survival_grid(times: np.ndarray, n: int = GRID_POINTS) -> np.ndarray:
    """``n`` times from 0 (or the smallest time, if negative) to the largest."""
    times = np.asarray(times, dtype=float)
    return np.linspace(min(0.0, float(times.min())), float(times.max()), n)


def thinned_posterior(idata, max_draws: int = MAX_DRAWS):
    """The posterior thinned evenly within each chain to about ``max_draws`` draws."""
    post = idata.posterior
    per_chain = max(1, max_draws // post.sizes["chain"])
    if post.sizes["draw"] <= per_chain:
        return post
    keep = np.linspace(0, post.sizes["draw"] - 1, per_chain).round().astype(int)
    return post.isel(draw=keep)


def posterior_survival(idata, grid: np.ndarray, max_draws: int = MAX_DRAWS) -> np.ndarray:
    """``draws × len(grid)``: the marginal survival curve ``(1/n) Σ_i P(Y_i > t)`` of each
    (thinned) posterior draw at the times ``grid`` (``1`` at ``t <= 0`` for a positive
    response)."""
    from bayeszoo.families.ops import NUMPY

    from .posterior import family_parameters
    from .predict import fit_family, stored_additions, stored_arrays

    family = fit_family(idata)
    additions = {k: v for k, v in stored_additions(idata).items() if k in ("trials", "se")}
    eta, aux = family_parameters(thinned_posterior(idata, max_draws),
                                 json.loads(idata.attrs["design"]), stored_arrays(idata),
                                 family, additions)
    eta = eta.reshape(-1, eta.shape[-1])
    aux = {k: np.asarray(v).reshape(eta.shape[0], -1) for k, v in aux.items()}
    out = np.empty((eta.shape[0], len(grid)))
    positive = family.positive_mean
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j, t in enumerate(np.asarray(grid, dtype=float)):
            if positive and t <= 0:
                out[:, j] = 1.0
                continue
            lp = family.lccdf(NUMPY, np.full(eta.shape[1], t), eta, aux, additions)
            out[:, j] = np.exp(np.asarray(lp, dtype=float)).mean(axis=1)
    return out


def plot_km_overlay(ax, km: KaplanMeier, grid: np.ndarray, curves: np.ndarray,
                    censored: np.ndarray | None = None, label: str = "time",
                    level: float = LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw the Kaplan–Meier step curve with its band (grey, ``+`` at the censored times) and
    the posterior survival curves' median with their ``level`` band (C0) on ``ax``; returns
    ``(median, lower, upper)`` of the curves at ``grid``."""
    lo_q, hi_q = 0.5 - level / 2.0, 0.5 + level / 2.0
    median = np.median(curves, axis=0)
    lo, hi = np.quantile(curves, [lo_q, hi_q], axis=0)
    steps = np.concatenate([[grid[0]], km.time])
    ax.fill_between(grid, lo, hi, color="C0", alpha=0.2,
                    label=f"posterior, {round(100 * level)}% interval")
    ax.plot(grid, median, color="C0", lw=2, label="posterior, median")
    ax.fill_between(steps, np.concatenate([[1.0], km.lower]),
                    np.concatenate([[1.0], km.upper]), step="post", color="0.6", alpha=0.35,
                    label=f"Kaplan–Meier, {round(100 * level)}% (Greenwood)")
    ax.step(np.concatenate([steps, [grid[-1]]]),
            np.concatenate([[1.0], km.survival, km.survival[-1:] if len(km.time) else [1.0]]),
            where="post", color="black", lw=1.5, label="Kaplan–Meier (data)")
    if censored is not None and len(censored):
        at = np.searchsorted(km.time, censored, side="right")
        s = np.concatenate([[1.0], km.survival])[at]
        ax.plot(censored, s, "+", color="black", ms=7, label="censored")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(label)
    ax.set_ylabel("survival probability")
    ax.legend(fontsize=8)
    return median, lo, hi
