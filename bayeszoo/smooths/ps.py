"""P-splines, ``s(x, bs = "ps", k)``: cubic B-splines with a second-order difference penalty.

Re-implemented from mgcv's ``smooth.construct.ps.smooth.spec`` and
``Predict.matrix.pspline.smooth`` (``R/smooth.r``) with ``m = c(2, 2)`` (mgcv's default):

* ``nk = k - 2`` equally spaced "interior" knots spanning the data range widened by 0.1 % on
  each side; the full knot vector is ``seq(xl - 3 dx, xu + 3 dx, length = k + 4)`` with
  ``dx = (xu - xl) / (nk - 1)``; the basis is the ``k`` cubic B-splines on it (R's
  ``splines::spline.des(knots, x, 4)``; here ``scipy.interpolate.BSpline``);
* penalty ``S = D'D`` with ``D = diff(diag(k), differences = 2)`` (rank ``k - 2``);
* outside ``[knots[3], knots[k]]`` (0-based) the basis extrapolates linearly from the value and
  slope at the end of that range, as mgcv's prediction method does.

What was checked against mgcv and how (the fixture holds ``cr`` output only): the knot layout
is mgcv's formula above; the column space of the basis on ``mcycle$times`` equals the space of
cubic splines with mgcv's interior knots, compared through projections (the fitted values of an
unpenalized least-squares fit of ``accel`` on the basis equal those on a truncated-power basis
with the same knots) in ``tests/test_smooths.py``; the penalty is checked to annihilate exactly
the linear functions (null space ``1, x`` before the constraint).
"""

from __future__ import annotations

import numpy as np

from .basis_input import BasisInput, numeric_input
from .state import decode_array, encode_array


def ps_knots(x, k: int, m: int = 2) -> np.ndarray:
    """mgcv's P-spline knot vector (``k + m + 2`` knots for basis order ``m + 2``)."""
    x = np.asarray(x, dtype=float)
    nk = k - m
    if nk <= 0:
        raise ValueError(f"basis dimension k={k} too small for a P-spline of order {m}")
    xl, xu = float(np.min(x)), float(np.max(x))
    xr = xu - xl
    xl -= xr * 0.001
    xu += xr * 0.001
    dx = (xu - xl) / (nk - 1)
    lo = xl - dx * (m + 1)
    hi = xu + dx * (m + 1)
    n = nk + 2 * m + 2
    # R's seq(from, to, length.out = n)
    return np.r_[lo, lo + np.arange(1, n - 1) * ((hi - lo) / (n - 1)), hi]


class PSBasis:
    """Raw (unconstrained) P-spline basis: knots and penalty ``S = D'D`` (unscaled).

    mgcv's ``smooth.construct.ps.smooth.spec`` (cubic B-splines); ``X`` is the model matrix at
    ``x``.

    Parameters
    ----------
    x
        The covariate, 1-D.
    k
        Basis dimension (``-1``: 10).
    m
        Difference order of the penalty (``0``/``None``: 2).
    term
        The term's label, for messages.

    Raises
    ------
    ValueError
        When ``k < m + 2``.

    Examples
    --------
    >>> import numpy as np
    >>> basis = PSBasis(np.linspace(0, 1, 50), k=8)
    >>> basis.X.shape, basis.S.shape
    ((50, 8), (8, 8))
    """

    bs = "ps"
    noterp = False  # te reparameterizes ps margins

    def __init__(self, x, k: int = 10, m: int = 2, term: str = "x"):
        x = np.asarray(x, dtype=float)
        self.k = 10 if k is None or k < 0 else int(k)
        self.m = 2 if not m else int(m)
        if self.k < self.m + 2:
            raise ValueError(f"{term}: basis dimension k={self.k} too small for bs='ps' "
                             f"(minimum {self.m + 2})")
        self._setup(ps_knots(x, self.k, self.m))
        self.X = self.predict(x)

    def _setup(self, knots: np.ndarray) -> None:
        self.knots = knots
        self.degree = self.m + 1
        D = np.diff(np.eye(self.k), n=2, axis=0)
        self.S = D.T @ D
        self.rank = self.k - 2
        self.null_space_dim = 2
        # imported here: scipy.interpolate (with scipy.optimize) takes 0.2-0.4 s to import, which
        # every model without a P-spline would pay
        from scipy.interpolate import BSpline

        self._spl = BSpline(self.knots, np.eye(self.k), self.degree, extrapolate=False)
        self._dspl = self._spl.derivative()
        self.lower = self.knots[self.degree]
        self.upper = self.knots[len(self.knots) - self.degree - 1]

    @classmethod
    def from_data(cls, inp: BasisInput) -> PSBasis:
        return cls(inp.one_numeric(), k=inp.k, m=inp.order() or 2, term=inp.term)

    @property
    def penalties(self) -> list[np.ndarray]:
        return [self.S]

    def evaluate(self, data, variables, term: str) -> np.ndarray:
        return self.predict(numeric_input(data, variables, term))

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float).ravel()
        X = np.zeros((x.size, self.k))
        inside = (x >= self.lower) & (x <= self.upper)
        if np.any(inside):
            X[inside] = self._spl(x[inside])
        for edge, mask in ((self.lower, x < self.lower), (self.upper, x > self.upper)):
            if np.any(mask):
                v = self._spl(np.array([edge]))[0]
                d = self._dspl(np.array([edge]))[0]
                X[mask] = v[None, :] + (x[mask] - edge)[:, None] * d[None, :]
        return X

    def state(self) -> dict:
        return {"basis": "ps", "k": self.k, "m": self.m, "knots": encode_array(self.knots)}

    @classmethod
    def from_state(cls, st: dict) -> PSBasis:
        obj = cls.__new__(cls)
        obj.k, obj.m = int(st["k"]), int(st["m"])
        obj._setup(decode_array(st["knots"]))
        return obj
