"""mgcv's cubic regression spline basis, ``s(x, bs = "cr", k)``.

Re-implemented from mgcv's ``smooth.construct.cr.smooth.spec`` (``R/smooth.r``) and the C
routines ``getFS``/``crspl`` (``src/mgcv.c``):

* knots: ``quantile(unique(x), seq(0, 1, length = k))`` (R's type-7 quantiles);
* parameterization by the function values at the knots; with knot spacings ``h``,
  ``D`` (``k-2 × k``: ``1/h_i, -1/h_i - 1/h_{i+1}, 1/h_{i+1}``) and the tridiagonal ``B``
  (``(h_i + h_{i+1})/3`` on the diagonal, ``h_{i+1}/6`` beside it), the second derivatives at
  the knots are ``F β`` with ``F = [0; B⁻¹D; 0]`` (natural spline) and the penalty is
  ``S = D'B⁻¹D = ∫ f''(x)² dx``;
* outside the knot range the basis extrapolates linearly (value and slope at the end knot).

Checked against mgcv 1.8-41 (``shared/fixtures/mgcv_reference.json``, ``mcycle$times``,
k = 20; ``tests/test_smooths.py``): knots to 4e-14, raw ``X`` to 4e-15 and ``S / S.scale`` to
6e-15, and ``PredictMat`` at the fixture's new ``times`` (2.4 ... 57.6, the data's range ends)
to 5e-15. Linear extrapolation beyond the end knots (value and slope continuous) is tested
separately, since the fixture's prediction points lie inside the knot range.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.linalg import solveh_banded

from .basis_input import BasisInput, numeric_input
from .state import decode_array, encode_array


def r_quantile7(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's ``quantile(x, probs)`` (type 7), written as R computes it."""
    xs = np.sort(np.asarray(x, dtype=float))
    n = xs.size
    index = (n - 1) * np.asarray(probs, dtype=float)  # 0-based
    lo = np.floor(index).astype(int)
    hi = np.minimum(np.ceil(index).astype(int), n - 1)
    qs = xs[lo].copy()
    h = index - lo
    mask = (index > lo) & (xs[hi] != qs)
    qs[mask] = (1 - h[mask]) * qs[mask] + h[mask] * xs[hi[mask]]
    return qs


def cr_knots(x, k: int, term: str = "x") -> np.ndarray:
    """mgcv's cr knots: ``quantile(unique(x), seq(0, 1, length = k))``."""
    xu = np.unique(np.asarray(x, dtype=float))
    if xu.size < k:
        raise ValueError(f"{term} has insufficient unique values ({xu.size}) to support {k} "
                         "knots: reduce k")
    if k == 1:
        probs = np.zeros(1)
    else:
        probs = np.r_[0.0, np.arange(1, k - 1) * (1.0 / (k - 1)), 1.0]
    return r_quantile7(xu, probs)


def cr_F_S(knots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``F`` (``k × k``; second derivatives at the knots are ``F @ beta``) and ``S = D'B⁻¹D``."""
    xk = np.asarray(knots, dtype=float)
    n = xk.size
    h = np.diff(xk)
    n2 = n - 2
    D = np.zeros((n2, n))
    for i in range(n2):
        D[i, i] = 1 / h[i]
        D[i, i + 2] = 1 / h[i + 1]
        D[i, i + 1] = -D[i, i] - D[i, i + 2]
    ab = np.zeros((2, n2))  # upper banded form of B
    ab[1] = (h[:-1] + h[1:]) / 3
    ab[0, 1:] = h[1:-1] / 6
    # k = 3 leaves a 1 × 1 system, which the banded solver does not take
    BinvD = solveh_banded(ab, D) if n2 > 1 else D / ab[1, 0]
    F = np.zeros((n, n))
    F[1:-1] = BinvD
    S = D.T @ BinvD
    S = (S + S.T) / 2
    return F, S


def cr_basis(x, knots: np.ndarray, F: np.ndarray | None = None) -> np.ndarray:
    """Model matrix of the cr spline with ``knots`` at ``x`` (mgcv's ``crspl``)."""
    xk = np.asarray(knots, dtype=float)
    if F is None:
        F, _ = cr_F_S(xk)
    x = np.asarray(x, dtype=float).ravel()
    nk = xk.size
    X = np.zeros((x.size, nk))
    kmin, kmax = xk[0], xk[-1]
    below = x < kmin
    above = x > kmax
    inside = ~(below | above)
    if np.any(inside):
        xi = x[inside]
        # interval j with xk[j] <= x <= xk[j+1] (j in 0..nk-2)
        j = np.searchsorted(xk, xi, side="left") - 1
        j = np.clip(j, 0, nk - 2)
        xj = xk[j]
        xj1 = xk[j + 1]
        h = xj1 - xj
        ajm = xj1 - xi
        ajp = xi - xj
        cjm = ajm * (ajm * ajm / h - h) / 6
        cjp = ajp * (ajp * ajp / h - h) / 6
        rows = cjm[:, None] * F[j] + cjp[:, None] * F[j + 1]
        r = np.arange(xi.size)
        rows[r, j] += ajm / h
        rows[r, j + 1] += ajp / h
        X[inside] = rows
    if np.any(below):
        xi = x[below]
        h = xk[1] - kmin
        xik = xi - kmin
        rows = (-xik * h / 3)[:, None] * F[0] + (-xik * h / 6)[:, None] * F[1]
        rows[:, 0] += 1 - xik / h
        rows[:, 1] += xik / h
        X[below] = rows
    if np.any(above):
        xi = x[above]
        h = kmax - xk[nk - 2]
        xik = xi - kmax
        rows = (xik * h / 6)[:, None] * F[nk - 2] + (xik * h / 3)[:, None] * F[nk - 1]
        rows[:, nk - 2] += -xik / h
        rows[:, nk - 1] += 1 + xik / h
        X[above] = rows
    return X


class CRBasis:
    """Raw (unconstrained) cr basis fitted to data: knots, ``F``, penalty ``S`` (unscaled).

    ``knots``: ``k`` supplied knot positions (mgcv's ``knots = list(x = ...)``) instead of the
    quantiles. ``X`` is the model matrix at ``x``. mgcv's ``smooth.construct.cr.smooth.spec``.

    Parameters
    ----------
    x
        The covariate, 1-D.
    k
        Basis dimension (``-1``: 10; below 3 is raised to 3 with a warning).
    term
        The term's label, for messages.
    knots
        ``k`` knot positions, or ``None`` for the quantiles.

    Examples
    --------
    >>> import numpy as np
    >>> basis = CRBasis(np.linspace(0, 1, 50), k=6)
    >>> basis.X.shape, basis.S.shape, basis.knots[:2]
    ((50, 6), (6, 6), array([0. , 0.2]))
    """

    bs = "cr"
    noterp = True  # mgcv does not reparameterize cr margins of te terms

    def __init__(self, x, k: int = 10, term: str = "x", knots=None):
        k = 10 if k is None or k < 0 else int(k)
        if k < 3:
            warnings.warn(f"{term}: basis dimension k = {k} increased to 3, the minimum for cr "
                          "(as mgcv does)", stacklevel=2)
            k = 3
        self.k = int(k)
        if knots is None:
            self.knots = cr_knots(x, self.k, term)
        else:
            self.knots = np.sort(np.asarray(knots, dtype=float).ravel())
            if self.knots.size != self.k:
                raise ValueError(f"{term}: number of supplied knots ({self.knots.size}) != k "
                                 f"({self.k}) for a cr smooth")
        self.F, self.S = cr_F_S(self.knots)
        self.rank = self.k - 2
        self.null_space_dim = 2
        self.X = self.predict(x)

    @classmethod
    def from_data(cls, inp: BasisInput) -> CRBasis:
        x = inp.one_numeric()
        return cls(x, k=inp.k, term=f"{inp.term}: {inp.variables[0]}",
                   knots=inp.knots_of(inp.variables[0]))

    def predict(self, x) -> np.ndarray:
        return cr_basis(x, self.knots, self.F)

    @property
    def penalties(self) -> list[np.ndarray]:
        return [self.S]

    def evaluate(self, data, variables, term: str) -> np.ndarray:
        return self.predict(numeric_input(data, variables, term))

    def state(self) -> dict:
        return {"basis": "cr", "k": self.k, "knots": encode_array(self.knots),
                "F": encode_array(self.F)}

    @classmethod
    def from_state(cls, st: dict) -> CRBasis:
        obj = cls.__new__(cls)
        obj.k = int(st["k"])
        obj.knots = decode_array(st["knots"])
        obj.F = decode_array(st["F"])
        obj.rank = obj.k - 2
        obj.null_space_dim = 2
        return obj
