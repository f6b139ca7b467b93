"""Separation: a direction of the fixed coefficients along which the likelihood grows without
bound, so that their maximum likelihood estimate does not exist and a flat prior leaves no
posterior.

A row whose likelihood reaches its supremum as ``eta -> +inf`` (a bernoulli one, a binomial
success in every trial) constrains a direction ``d`` of the coefficients to ``x_i'd >= 0``, one
whose supremum lies at ``-inf`` (a zero, a zero count under the log link) to ``x_i'd <= 0``,
and any other row to ``x_i'd = 0`` (:meth:`bayeszoo.families.base.Family.boundary_sides`). The
data are separated, completely or quasi-completely (Albert & Anderson 1984), when a ``d`` meets
every constraint with ``Xd != 0``: then the likelihood increases along ``d`` for ever. As
Konis's ``safeBinaryRegression`` (R) does, a linear program finds such a ``d``: maximize
``Σ_i s_i x_i'd`` subject to ``s_i x_i'd >= 0`` within a box; its optimum is 0 exactly when
the data are not separated.

The equality rows are folded into the space the direction may take, and the inequality rows
enter the program a few thousand at a time (constraint generation): a working set of rows that
sees every direction and is not separated proves that the whole data are not, so 10⁶
overlapping rows cost one small program and a few passes over the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RELATIVE", "SeparationCone", "separation_cone"]

RANK_TOL = 1e-6  # singular values below this fraction of the largest span nothing
MARGIN = 1e-6  # a row is separated when its scaled x_i'd exceeds this
RELATIVE = 1e-3  # a coordinate takes part in a direction above this fraction of the largest
WORKING_ROWS = 2000


def _span(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orthonormal bases of the row space of ``M`` and of its null space, from the
    eigenvectors of ``M'M`` (one pass over the rows)."""
    w, v = np.linalg.eigh(M.T @ M)
    top = float(w[-1]) if w.size else 0.0
    big = w > RANK_TOL**2 * top if top > 0 else np.zeros(w.shape, dtype=bool)
    return v[:, big], v[:, ~big]


@dataclass(frozen=True)
class SeparationCone:
    """The directions ``d`` of the scaled columns meeting every constraint: ``A d >= 0`` for
    the inequality rows ``A`` (signed), ``d`` in the span of the orthonormal ``basis`` (the
    informative rows' row space, less the span of the rows whose likelihood peaks at a finite
    ``eta``)."""

    A: np.ndarray
    basis: np.ndarray

    def _spanning(self, work: np.ndarray) -> np.ndarray:
        """``work`` with rows added until its rows leave no direction of the basis unseen
        (a direction they all ignore could separate rows outside them)."""
        A, N = self.A, self.basis
        while True:
            _, unseen = _span(A[work] @ N)
            if unseen.shape[1] == 0:
                return work
            reach = np.abs(A @ (N @ unseen)).max(axis=1)
            grown = np.union1d(work, np.argsort(reach)[-unseen.shape[1]:])
            if len(grown) == len(work):
                return work
            work = grown

    def maximize(self, c: np.ndarray) -> np.ndarray:
        """The ``d`` maximizing ``c'd`` over the cone within the box ``|z| <= 1`` of the basis
        coordinates (``0`` when the optimum is 0), by constraint generation over the rows of
        ``A``: a working set of rows that sees every direction and whose optimum is 0 proves
        the optimum over all rows is 0."""
        from scipy.optimize import linprog

        A, N = self.A, self.basis
        cz = N.T @ c
        cz = cz / max(float(np.max(np.abs(cz))), 1e-300)
        work = np.random.default_rng(0).permutation(A.shape[0])[:WORKING_ROWS]
        while True:
            work = self._spanning(work)
            res = linprog(-cz, A_ub=-(A[work] @ N), b_ub=np.zeros(len(work)),
                          bounds=[(-1.0, 1.0)] * N.shape[1], method="highs")
            d = N @ res.x
            if -res.fun <= MARGIN * 1e-3:
                return np.zeros_like(d)
            margins = A @ d
            violated = np.flatnonzero(margins < -MARGIN)
            if violated.size == 0:
                return d
            work = np.union1d(work, violated[np.argsort(margins[violated])[:WORKING_ROWS]])

    def direction(self) -> np.ndarray | None:
        """A separating direction of the scaled columns that separates as many rows as any
        does, or ``None`` when the data are not separated. The program's vertex may leave
        rows on its hyperplane that another direction separates: the sum of two directions
        of the cone separates the rows of both, so the rows left are offered again until
        none gains."""
        d = self.maximize(self.A.sum(axis=0))
        if not np.any(self.A @ d > MARGIN):
            return None
        while True:
            left = self.A @ d <= MARGIN
            more = self.maximize(self.A[left].sum(axis=0)) if np.any(left) else d * 0
            if not np.any(self.A[left] @ more > MARGIN):
                return d
            d = d + more

    def separated_rows(self, d: np.ndarray) -> int:
        """How many rows direction ``d`` predicts with certainty."""
        return int(np.sum(self.A @ d > MARGIN))

    def moves(self, j: int) -> bool:
        """Whether some separating direction changes coefficient ``j`` appreciably (by
        :data:`RELATIVE` of its largest coordinate)."""
        e = np.zeros(self.A.shape[1])
        e[j] = 1.0
        for sign in (1.0, -1.0):
            d = self.maximize(sign * e)
            if abs(d[j]) > RELATIVE * max(float(np.max(np.abs(d))), 1e-300):
                return True
        return False


def separation_cone(X: np.ndarray, sides: np.ndarray) -> SeparationCone | None:
    """The cone of separating directions of fixed-effect rows ``X`` with
    :meth:`~bayeszoo.families.base.Family.boundary_sides` ``sides`` (rows with ``nan`` sides
    left out), on the columns scaled to a largest absolute value of 1; ``None`` when no
    direction can separate them (rows whose likelihood peaks at a finite ``eta`` pin every
    direction)."""
    X = np.asarray(X, dtype=float)
    sides = np.asarray(sides, dtype=float)
    keep = np.isfinite(sides)
    if not np.all(keep):  # (boolean indexing of every row costs more than the program)
        X, sides = X[keep], sides[keep]
    if X.shape[0] == 0 or X.shape[1] == 0:
        return None
    scale = np.maximum(X.max(axis=0), -X.min(axis=0))
    X = X / np.where(scale > 0, scale, 1.0)
    span, _ = _span(X)
    pinned = sides == 0
    if np.any(pinned):
        _, free = _span(X[pinned] @ span)
        span = span @ free
        X, sides = X[~pinned], sides[~pinned]
    if span.shape[1] == 0:
        return None
    return SeparationCone(sides[:, None] * X, span)
