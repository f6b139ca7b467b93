"""Censored and truncated responses, brms's ``y | cens(c, y2)`` and ``y | trunc(lb, ub)``:
the censoring codes, the checks, the log-likelihood of every row and truncated predictive
draws, for every family with a distribution function (``lcdf`` and ``lccdf``).

The log-likelihood is brms 2.18's (``stan_log_lik_cens``, ``stan_log_lik_trunc``): per row,

* ``cens = 0`` (``"none"``): ``log p(y)``;
* ``cens = 1`` (``"right"``): ``log P(Y > y)`` (``lccdf``);
* ``cens = -1`` (``"left"``): ``log P(Y <= y)`` (``lcdf``);
* ``cens = 2`` (``"interval"``): ``log(F(y2) - F(y))``;

minus ``log(F(ub) - F(lb))`` under truncation (``lccdf(lb)`` or ``lcdf(ub)`` when one bound
is given); a discrete family's lower bound enters as ``lb - 1``, so that ``lb`` itself is a
possible value, as in brms. A censored row of a truncated response is censored within the
bounds: right censoring gives ``log(F(ub) - F(y))``, left censoring ``log(F(y) - F(lb))``, an
interval ends at ``ub`` at the latest. (brms's Stan code keeps ``lccdf(y)`` and ``lcdf(y)``
there, which can exceed the normalizing mass, so that the likelihood of a right-censored row
below an upper bound grows without limit as the mass moves above the bound.) A difference of
distribution functions is taken on the log scale from whichever tail keeps its precision
(``log F(b) + log1mexp(log F(a) - log F(b))`` below the median, the survival functions
above). ``weights()`` multiply each row's whole
contribution, as brms's ``log_lik`` does (brms's Stan code leaves the truncation term
unweighted). The functions take any array backend (:mod:`bayeszoo.families.ops`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CENSORING_KEYS", "CODES", "accepts_censoring", "censor", "censorable_families",
           "censoring_codes", "check_censoring", "draw", "has_censoring", "log_likelihood"]

#: The response additions this module reads: the censoring code, the upper end of an interval,
#: the truncation bounds.
CENSORING_KEYS = ("cens", "y2", "lb", "ub")
#: brms's censoring codes.
CODES = {"left": -1, "none": 0, "right": 1, "interval": 2}
LOG_HALF = -math.log(2.0)
MAX_REJECTION_ROUNDS = 200


def has_censoring(extras: dict) -> bool:
    """Whether the additions censor or truncate the response."""
    return any(k in extras for k in CENSORING_KEYS)


def accepts_censoring(family: Any) -> bool:
    """Whether ``family`` has both distribution functions (``lcdf`` and ``lccdf``)."""
    from .base import Family

    cls = type(family)
    return cls.lcdf is not Family.lcdf and cls.lccdf is not Family.lccdf


def censorable_families() -> list[str]:
    """The registered families that take ``cens()`` and ``trunc()``."""
    from . import FAMILIES

    return [name for name, cls in FAMILIES.items() if accepts_censoring(cls())]


def _code(value: Any, column: str, row: int) -> int:
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, str):
        hits = [code for word, code in CODES.items() if value and word.startswith(value)]
        if len(hits) == 1:
            return hits[0]
    elif isinstance(value, (int, float, np.integer, np.floating)) and float(value) in (
            -1.0, 0.0, 1.0, 2.0):
        return int(value)
    raise ValueError(f"censoring column {column!r} has {value!r} at row {row}; brms's codes are "
                     "'left', 'none', 'right', 'interval' (or -1, 0, 1, 2, or TRUE/FALSE for "
                     "right-censored or not)")


def censoring_codes(values: Any, column: str) -> np.ndarray:
    """brms's censoring codes of ``cens(column)`` as ``-1, 0, 1, 2`` (floats): the words
    ``"left"``, ``"none"``, ``"right"``, ``"interval"`` (or their first letters, as brms's
    ``prepare_cens`` matches them), the numbers themselves, or booleans (``True`` right
    censored). Anything else raises ``ValueError`` naming the column, row and value."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(str)
    return np.array([_code(v, column, i) for i, v in enumerate(series.tolist())], dtype=float)


def _row(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def check_censoring(family: Any, y: np.ndarray, column: str,
                    additions: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Check ``cens()`` and ``trunc()`` against the family and the response; return the
    additions with ``y2`` set to ``y`` on the rows that are not interval censored (brms ignores
    it there), so that every row's interval term is finite. ``ValueError`` names the family
    without distribution functions (and those with them), a row whose interval does not end
    above ``y``, bounds that leave no room, and a response value outside the bounds."""
    if not has_censoring(additions):
        return additions
    used = " and ".join(f"{k}()" for k, keys in (("cens", ("cens", "y2")), ("trunc", ("lb", "ub")))
                        if any(x in additions for x in keys))
    if not accepts_censoring(family):
        raise ValueError(f"family {family.name!r} takes no {used}: it has no distribution "
                         f"function here; families that do: {', '.join(censorable_families())}")
    y = np.asarray(y, dtype=float)
    out = dict(additions)
    cens = additions.get("cens")
    if cens is not None:
        interval = cens == 2
        if np.any(interval):
            y2 = additions.get("y2")
            if y2 is None:
                i = _row(interval)
                raise ValueError(f"row {i} of response {column!r} is interval censored but "
                                 "cens() has no upper end: write cens(c, y2)")
            bad = interval & ~(y2 > y)
            if np.any(bad):
                i = _row(bad)
                raise ValueError(f"row {i} of response {column!r} is interval censored from "
                                 f"{y[i]:g} to {y2[i]:g}: the upper end y2 must exceed y")
        if "y2" in additions:
            out["y2"] = np.where(interval, additions["y2"], y)
    lb, ub = additions.get("lb"), additions.get("ub")
    if lb is not None and ub is not None and np.any(lb >= ub):
        i = _row(lb >= ub)
        raise ValueError(f"trunc() bounds of row {i} are lb = {lb[i]:g}, ub = {ub[i]:g}: lb "
                         "must be below ub")
    if cens is not None:
        for bound, at, what in ((ub, lambda b: (cens == 1) & (y >= b), "right censored at"),
                                (lb, lambda b: (cens == -1) & (y <= b) & (not family.discrete),
                                 "left censored at")):
            if bound is not None and np.any(at(bound)):
                i = _row(at(bound))
                raise ValueError(f"row {i} of response {column!r} is {what} {y[i]:g}, its "
                                 f"truncation bound: no value of the response lies beyond it")
    for bound, outside, side in ((lb, lambda b: y < b, "below its lower"),
                                 (ub, lambda b: y > b, "above its upper")):
        if bound is not None and np.any(outside(bound)):
            i = _row(outside(bound))
            raise ValueError(f"response {column!r} has {y[i]:g} at row {i}, {side} truncation "
                             f"bound {bound[i]:g}")
    return out


def _log_mass_between(family, ops, lo, hi, eta, aux, extras, valid=None):
    """``log(F(hi) - F(lo))`` from the tail that keeps its precision; rows where ``valid`` is
    false get a finite stand-in (their gradient stays finite too)."""
    c_lo, c_hi = family.lcdf(ops, lo, eta, aux, extras), family.lcdf(ops, hi, eta, aux, extras)
    s_lo, s_hi = family.lccdf(ops, lo, eta, aux, extras), family.lccdf(ops, hi, eta, aux, extras)
    upper = c_lo > LOG_HALF
    valid = np.ones(np.shape(lo), dtype=bool) if valid is None else valid
    via_cdf = c_hi + ops.log1mexp(ops.where(valid, ops.where(upper, -1.0, c_lo - c_hi), -1.0))
    via_sf = s_lo + ops.log1mexp(ops.where(valid, ops.where(upper, s_hi - s_lo, -1.0), -1.0))
    return ops.where(upper, via_sf, via_cdf)


def _truncation(family, ops, eta, aux, extras, lb, ub):
    """``log(F(ub) - F(lb))``, ``lccdf(lb)`` or ``lcdf(ub)``: the mass inside the bounds
    (``lb`` already moved down by one for a discrete family)."""
    if lb is not None and ub is not None:
        return _log_mass_between(family, ops, lb, ub, eta, aux, extras)
    if lb is not None:
        return family.lccdf(ops, lb, eta, aux, extras)
    return family.lcdf(ops, ub, eta, aux, extras)


def log_likelihood(family: Any, ops, y, eta, aux: dict, extras: dict):
    """``log p(y_i | θ)`` of every row under brms's ``cens()`` and ``trunc()`` (the module
    docstring), weighted by ``weights()``; the family's ``log_prob`` when neither is given."""
    if not has_censoring(extras):
        return family.log_prob(ops, y, eta, aux, extras)
    plain = {k: v for k, v in extras.items() if k not in (*CENSORING_KEYS, "weights")}
    lp = family.log_prob(ops, y, eta, aux, plain)
    lb, ub = extras.get("lb"), extras.get("ub")
    low = None if lb is None else lb - 1.0 if family.discrete else lb
    cens = extras.get("cens")
    if cens is not None:
        right, left = cens == 1, cens == -1
        lp = ops.where(right, family.lccdf(ops, y, eta, aux, plain) if ub is None else
                       _log_mass_between(family, ops, y, ub, eta, aux, plain, right), lp)
        lp = ops.where(left, family.lcdf(ops, y, eta, aux, plain) if low is None else
                       _log_mass_between(family, ops, low, y, eta, aux, plain, left), lp)
        if "y2" in extras:
            interval = cens == 2
            y2 = extras["y2"] if ub is None else ops.where(extras["y2"] > ub, ub, extras["y2"])
            lp = ops.where(interval, _log_mass_between(family, ops, y, y2, eta, aux, plain,
                                                       interval), lp)
    if lb is not None or ub is not None:
        # a row without support (a mean the link let go negative) stays at -inf
        lp = ops.where(lp > -np.inf, lp - _truncation(family, ops, eta, aux, plain, low, ub),
                       -np.inf)
    w = extras.get("weights")
    return lp if w is None else lp * w


def draw(family: Any, rng: np.random.Generator, eta: np.ndarray, aux: dict | None = None,
         extras: dict | None = None) -> np.ndarray:
    """Predictive draws (brms's ``posterior_predict``): the family's, redrawn where they fall
    outside ``trunc()``'s bounds until every one lies within them (rejection sampling, as
    brms's ``rcontinuous``/``rdiscrete`` for a truncated response); censoring does not change
    them (they are draws of the uncensored response, as brms's)."""
    extras = extras or {}
    out = family.draw(rng, eta, aux, extras)
    lb, ub = extras.get("lb"), extras.get("ub")
    if lb is None and ub is None:
        return out
    out = np.asarray(out, dtype=float)
    lb = np.broadcast_to(-np.inf if lb is None else lb, out.shape)
    ub = np.broadcast_to(np.inf if ub is None else ub, out.shape)
    for _ in range(MAX_REJECTION_ROUNDS):
        outside = (out < lb) | (out > ub)
        if not np.any(outside):
            return out
        fresh = np.asarray(family.draw(rng, eta, aux, extras), dtype=float)
        out = np.where(outside, fresh, out)
    i = int(np.flatnonzero(((out < lb) | (out > ub)).any(axis=0))[0])
    raise ValueError(f"predictive draws of row {i} keep falling outside its truncation bounds "
                     f"[{lb[..., i].flat[0]:g}, {ub[..., i].flat[0]:g}]: the model puts almost "
                     "no mass there")


def censor(t: np.ndarray, observed: np.ndarray, extras: dict) -> tuple[np.ndarray, dict]:
    """Censor simulated times ``t`` (draws of the uncensored response) at the data's own
    censoring points, for simulation-based calibration: ``observed`` is the response as the
    data hold it, so a right-censored row's value is its censoring time ``C`` and an
    interval-censored row's ``(y, y2)`` its interval. Per row, by the data's code:

    * ``1`` (right): ``t > C`` is recorded as ``C`` censored (code 1), else ``t`` (code 0);
    * ``-1`` (left): ``t <= C`` is recorded as ``C`` censored (code -1), else ``t``;
    * ``2`` (interval): ``y < t <= y2`` is recorded as that interval (code 2), else ``t``;
    * ``0``: ``t``.

    The events are those whose probabilities brms's likelihood gives (``lccdf(C)``,
    ``lcdf(C)``, ``F(y2) - F(y)``, for discrete responses too), so the censoring is fixed in
    advance and uninformative. Returns the response and the additions ``cens`` (and ``y2``,
    ``y`` where not an interval, as :func:`check_censoring` leaves it) that record it; without
    ``cens()`` the draws and no additions."""
    t = np.asarray(t, dtype=float)
    cens = extras.get("cens")
    if cens is None:
        return t, {}
    observed = np.asarray(observed, dtype=float)
    y2 = extras.get("y2", observed)
    right = (cens == 1) & (t > observed)
    left = (cens == -1) & (t <= observed)
    interval = (cens == 2) & (t > observed) & (t <= y2)
    y = np.where(right | left | interval, observed, t)
    codes = np.where(right, 1.0, np.where(left, -1.0, np.where(interval, 2.0, 0.0)))
    out = {"cens": codes}
    if "y2" in extras:
        out["y2"] = np.where(interval, y2, y)
    return y, out
