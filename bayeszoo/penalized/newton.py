"""Outer optimization: projected Newton on the penalty parameters (log smoothing parameters and
friends) with step halving, as mgcv's ``newton`` (``R/gam.fit3.r``) does it in spirit.

A parameter at a bound of its box that wants to leave it is frozen, and so is one on a flat tail
(``sp -> 0`` or ``infinity``: gradient and curvature both vanish, e.g. a smooth that has become
a straight line); what it could still gain is below the gradient, far below the tolerance.
The Hessian is made positive definite by taking absolute eigenvalues (floored), and a step is
at most 5 units on the log scale.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayeszoo.diagnostics import ConvergenceWarning

__all__ = ["NewtonInfo", "minimize"]


@dataclass
class NewtonInfo:
    iterations: int
    converged: bool
    gradient: np.ndarray


def minimize(evaluate: Callable[[np.ndarray], Any], derivatives: Callable[[Any], tuple],
             x0: np.ndarray, lower: np.ndarray, upper: np.ndarray, max_iter: int = 200,
             what: str = "REML") -> tuple[Any, NewtonInfo]:
    """Minimize ``evaluate(x).score`` over the box ``[lower, upper]``.

    ``evaluate(x)`` returns a state with a ``score`` attribute, or ``None`` where the criterion
    cannot be evaluated (the step is then halved); ``derivatives(state)`` returns the gradient
    and Hessian at that state. Returns the final state and a :class:`NewtonInfo`.
    """
    x = np.array(x0, dtype=float)
    st = evaluate(x)
    if st is None:
        raise FloatingPointError(f"the {what} criterion cannot be evaluated at its start")
    if x.size == 0:
        return st, NewtonInfo(0, True, np.zeros(0))
    converged = False
    iterations = 0
    g = np.zeros_like(x)
    for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
        g, H = derivatives(st)
        scale = 1.0 + abs(st.score)
        dH = np.abs(np.diag(H))
        flat = (np.abs(g) < 1e-9 * scale) & (dH < 1e-3 * max(dH.max(), 1e-300))
        active = ~(((x >= upper) & (g < 0)) | ((x <= lower) & (g > 0)) | flat)
        ga = np.where(active, g, 0.0)
        if not active.any() or np.max(np.abs(ga)) < 1e-11 * scale:
            converged = True
            break
        Ha = H[np.ix_(active, active)]
        ev, vec = np.linalg.eigh(Ha)
        ev = np.abs(ev)
        ev = np.maximum(ev, max(ev.max(), 1e-300) * 1e-10)
        step = np.zeros_like(x)
        step[active] = -vec @ ((vec.T @ g[active]) / ev)
        big = np.max(np.abs(step))
        if big > 5.0:
            step *= 5.0 / big
        accepted = False
        for _ in range(40):
            x_new = np.clip(x + step, lower, upper)
            st_new = evaluate(x_new)
            if st_new is not None and st_new.score <= st.score + 1e-12 * scale:
                accepted = True
                break
            step *= 0.5
        if not accepted:
            # no further decrease possible in floating point: accept a small gradient
            converged = np.max(np.abs(ga)) < 1e-5 * scale
            break
        moved = np.max(np.abs(x_new - x))
        x, st = x_new, st_new
        if moved < 1e-9:
            g, _ = derivatives(st)
            converged = True
            break
    if not converged:
        warnings.warn(f"{what} Newton iteration did not converge in {iterations} iterations "
                      f"(max |gradient| {np.max(np.abs(g)):.3g}); the fit's converged is False "
                      "and its summary says what to try", ConvergenceWarning, stacklevel=3)
    return st, NewtonInfo(iterations, bool(converged), g)
