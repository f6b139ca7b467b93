"""mgcv's cyclic cubic regression spline, ``s(x, bs = "cc", k)``.

Re-implemented from mgcv 1.8-41's ``smooth.construct.cc.smooth.spec``, ``place.knots``,
``cwrap`` and ``Predict.matrix.cyclic.smooth`` (``R/smooth.r``; the basis of Lancaster and
Salkauskas 1986, section 4.7, wrapped to be periodic):

* knots: ``place.knots(x, k)`` (``k`` knots spread evenly through the sorted unique values,
  interpolating between neighbours); with two supplied knots (the ends of the period, mgcv's
  ``knots = list(x = c(a, b))``) ``place.knots(c(a, b, x), k)``; ``k`` supplied knots are used
  as they are;
* ``B m = D p`` links the second derivatives ``m`` at the first ``k - 1`` knots to the values
  ``p`` there (periodic versions of the natural spline's ``B``, ``D``); penalty ``S = D'B⁻¹D``
  (rank ``k - 2``, null space the constant);
* ``k - 1`` columns (the last knot is the first one again); values outside the knot range are
  wrapped into it (``cwrap``).
"""

from __future__ import annotations

import warnings

import numpy as np

from .basis_input import BasisInput, numeric_input
from .state import decode_array, encode_array


def place_knots(x, nk: int, term: str = "s(x)") -> np.ndarray:
    """mgcv's ``place.knots``: ``nk`` knots spread evenly through the unique values of ``x``."""
    xs = np.unique(np.asarray(x, dtype=float))
    n = xs.size
    if nk > n:
        raise ValueError(f"{term}: more knots ({nk}) than unique data values ({n}) is not "
                         "allowed: reduce k")
    if nk < 2:
        raise ValueError(f"{term}: too few knots ({nk})")
    if nk == 2:
        return np.array([xs[0], xs[-1]])
    delta = (n - 1) / (nk - 1)
    steps = delta * np.arange(1, nk - 1)
    lbi = np.floor(steps).astype(int)  # 0-based lower index (R's lbi - 1)
    frac = steps - lbi
    knots = np.empty(nk)
    knots[0], knots[-1] = xs[0], xs[-1]
    knots[1:-1] = xs[lbi] * (1 - frac) + xs[lbi + 1] * frac
    return knots


def cyclic_B_D(knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mgcv's ``getBD``: ``B``, ``D`` (``k-1 × k-1``) of the periodic cubic spline."""
    h = np.diff(knots)
    n = h.size
    B = np.zeros((n, n))
    D = np.zeros((n, n))
    B[0, 0] = (h[n - 1] + h[0]) / 3
    B[0, 1] = h[0] / 6
    B[0, n - 1] = h[n - 1] / 6
    D[0, 0] = -(1 / h[0] + 1 / h[n - 1])
    D[0, 1] = 1 / h[0]
    D[0, n - 1] = 1 / h[n - 1]
    for i in range(1, n - 1):
        B[i, i - 1] = h[i - 1] / 6
        B[i, i] = (h[i - 1] + h[i]) / 3
        B[i, i + 1] = h[i] / 6
        D[i, i - 1] = 1 / h[i - 1]
        D[i, i] = -(1 / h[i - 1] + 1 / h[i])
        D[i, i + 1] = 1 / h[i]
    B[n - 1, n - 2] = h[n - 2] / 6
    B[n - 1, n - 1] = (h[n - 2] + h[n - 1]) / 3
    B[n - 1, 0] = h[n - 1] / 6
    D[n - 1, n - 2] = 1 / h[n - 2]
    D[n - 1, n - 1] = -(1 / h[n - 2] + 1 / h[n - 1])
    D[n - 1, 0] = 1 / h[n - 1]
    return B, D


def cyclic_wrap(x0: float, x1: float, x: np.ndarray) -> np.ndarray:
    """mgcv's ``cwrap``: map ``x`` onto ``[x0, x1]`` periodically."""
    x = np.array(x, dtype=float)
    h = x1 - x0
    above = x > x1
    x[above] = x0 + np.mod(x[above] - x1, h)
    below = x < x0
    x[below] = x1 - np.mod(x0 - x[below], h)
    return x


def cyclic_basis(x, knots: np.ndarray, BD: np.ndarray) -> np.ndarray:
    """mgcv's ``Predict.matrix.cyclic.smooth`` (``pred.mat``)."""
    x = np.asarray(x, dtype=float).ravel()
    n = knots.size
    h = np.diff(knots)
    if x.size and (x.max() > knots[-1] or x.min() < knots[0]):
        x = cyclic_wrap(knots[0], knots[-1], x)
    # R: j = smallest knot index i >= 2 (1-based) with x <= knots[i]
    right = np.clip(np.searchsorted(knots, x, side="left"), 1, n - 1)  # 0-based right knot
    left = right - 1
    wrap = np.where(right == n - 1, 0, right)
    hj = h[left]
    am = knots[left + 1] - x
    ap = x - knots[left]
    eye = np.eye(n - 1)
    return (BD[left] * (am**3 / (6 * hj))[:, None] + BD[wrap] * (ap**3 / (6 * hj))[:, None]
            - BD[left] * (hj * am / 6)[:, None] - BD[wrap] * (hj * ap / 6)[:, None]
            + eye[left] * (am / hj)[:, None] + eye[wrap] * (ap / hj)[:, None])


class CCBasis:
    """Raw cyclic cubic spline basis: knots ``xp``, ``BD = B⁻¹D`` and penalty (unscaled).

    mgcv's ``smooth.construct.cc.smooth.spec`` before any constraint; ``X`` is the model matrix
    at ``x`` (``k - 1`` columns: the ends are one knot).

    Parameters
    ----------
    x
        The covariate, 1-D.
    k
        Basis dimension (``-1``: mgcv's default 10; below 4 is raised to 4 with a warning).
    knots
        ``k`` knot positions, or the two ends of the period; ``None``: mgcv's placement.
    term
        The term's label, for messages.

    Examples
    --------
    >>> import numpy as np
    >>> CCBasis(np.linspace(0, 1, 50), k=6).X.shape
    (50, 5)
    """

    bs = "cc"
    noterp = True  # mgcv does not reparameterize cc margins of te terms

    def __init__(self, x, k: int = -1, knots=None, term: str = "s(x)"):
        x = np.asarray(x, dtype=float).ravel()
        k = 10 if k is None or k < 0 else int(k)
        if k < 4:
            warnings.warn(f"{term}: basis dimension k = {k} increased to 4, the minimum for cc "
                          "(as mgcv does)", stacklevel=3)
            k = 4
        if knots is None:
            xp = place_knots(x, k, term)
        else:
            given = np.asarray(knots, dtype=float).ravel()
            if given.size == 2:
                lo, hi = float(given.min()), float(given.max())
                if x.min() < lo or x.max() > hi:
                    raise ValueError(
                        f"{term}: the cyclic knots ({lo:g}, {hi:g}) do not span the data "
                        f"(range {x.min():g} to {x.max():g}); give the ends of the period so "
                        "that every value lies between them")
                xp = place_knots(np.r_[given, x], k, term)
            elif given.size == k:
                xp = np.sort(given)
                if x.min() < xp[0] or x.max() > xp[-1]:
                    raise ValueError(
                        f"{term}: the cyclic knots ({xp[0]:g} ... {xp[-1]:g}) do not span the "
                        f"data (range {x.min():g} to {x.max():g}); give knots covering all "
                        "values")
            else:
                raise ValueError(f"{term}: number of supplied knots ({given.size}) != k ({k}) "
                                 "for a cc smooth: give k knots or the two ends of the period")
        self.k = k
        self.knots = xp
        B, D = cyclic_B_D(xp)
        self.BD = np.linalg.solve(B, D)
        S = D.T @ self.BD
        self.S = (S + S.T) / 2
        self.X = self.predict(x)
        self.rank = k - 2
        self.null_space_dim = 1

    @classmethod
    def from_data(cls, inp: BasisInput) -> CCBasis:
        return cls(inp.one_numeric(), k=inp.k, knots=inp.knots_of(inp.variables[0]),
                   term=inp.term)

    def predict(self, x) -> np.ndarray:
        return cyclic_basis(x, self.knots, self.BD)

    @property
    def penalties(self) -> list[np.ndarray]:
        return [self.S]

    def evaluate(self, data, variables, term: str) -> np.ndarray:
        return self.predict(numeric_input(data, variables, term))

    def state(self) -> dict:
        return {"basis": "cc", "k": self.k, "knots": encode_array(self.knots),
                "BD": encode_array(self.BD)}

    @classmethod
    def from_state(cls, st: dict) -> CCBasis:
        obj = cls.__new__(cls)
        obj.k = int(st["k"])
        obj.knots = decode_array(st["knots"])
        obj.BD = decode_array(st["BD"])
        obj.rank = obj.k - 2
        obj.null_space_dim = 1
        return obj
