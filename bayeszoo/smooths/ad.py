"""mgcv's adaptive smooth ``s(x, bs = "ad")`` of one covariate.

Re-implemented from mgcv's ``smooth.construct.ad.smooth.spec`` (``R/smooth.r``, the
one-dimensional case with the default P-spline basis):

* the basis is a P-spline ``s(x, bs = "ps", k, m = c(2, 2))`` (default ``k = 40``);
* its second-difference penalty ``D'D`` gets weights that vary smoothly along the coefficients:
  ``m`` (default 5) penalty basis functions ``V`` evaluated at ``1:(k-2) / k`` give the
  ``m`` penalties ``S_l = D' diag(V[, l]) D``, each with its own smoothing parameter. ``V`` is
  the raw P-spline basis ``s(., bs = "ps", k = m, m = 2)`` (``m = 1`` when ``m = 3``),
  ``[1, x]`` when ``m = 2``; ``m = 1`` keeps the single P-spline penalty (``m <= 0``, no
  penalty, is refused: use ``bs = "ps", fx = TRUE``);
* the rank of each penalty is counted numerically on its non-zero rows and columns
  (eigenvalues above ``eps^0.9`` of the largest).

The term has several smoothing parameters (``s(x)1`` ... ``s(x)m``), fitted through the
multi-penalty path as a tensor product's. Checked against mgcv 1.8-41 on ``mcycle$times``
(``tests/fixtures/mgcv_bases.json``): basis, penalties, ``S.scale`` and REML fits.
"""

from __future__ import annotations

import numpy as np

from .basis_input import BasisInput, numeric_input
from .ps import PSBasis

RANK_TOL = np.finfo(float).eps ** 0.9


def penalty_weights(nk: int, m: int) -> np.ndarray:
    """mgcv's ``V``: the ``m`` penalty basis functions at the ``nk - 2`` differences."""
    x = np.arange(1, nk - 1) / nk
    if m == 2:
        return np.column_stack([np.ones(nk - 2), x])
    return PSBasis(x, k=m, m=1 if m == 3 else 2, term="ad penalty basis").X


def adaptive_penalties(nk: int, m: int) -> tuple[list[np.ndarray], list[int]]:
    """The ``m`` penalties ``D' diag(V[, l]) D`` and their ranks."""
    D = np.diff(np.eye(nk), n=2, axis=0)
    V = penalty_weights(nk, m)
    penalties, ranks = [], []
    for j in range(m):
        S = D.T @ (V[:, j, None] * D)
        used = np.sum(np.abs(S), axis=1) > 0
        ev = np.linalg.eigvalsh(S[np.ix_(used, used)])
        penalties.append(S)
        ranks.append(int(np.sum(ev > ev.max() * RANK_TOL)))
    return penalties, ranks


class ADBasis:
    """Raw adaptive basis: a P-spline ``spline`` with ``m`` adaptive penalties (unscaled)."""

    bs = "ad"

    @classmethod
    def from_data(cls, inp: BasisInput) -> ADBasis:
        x = inp.one_numeric()
        k = 40 if inp.k < 0 else int(inp.k)
        m = 5 if inp.order() is None else inp.order()
        obj = cls.__new__(cls)
        obj.spline = PSBasis(x, k=k, m=2, term=inp.term)
        obj.m = m
        if m <= 0:
            raise ValueError(f"{inp.term}: bs=\"ad\" with m = {m} has no penalty; write "
                             "s(..., bs=\"ps\", fx=TRUE) for an unpenalized P-spline")
        if m >= k - 2:
            raise ValueError(f"{inp.term}: penalty basis too large for smoothing basis (m = {m} "
                             f"penalties for k = {k}; use m < k - 2)")
        obj._penalties(k)
        obj.X = obj.spline.X
        return obj

    def _penalties(self, k: int) -> None:
        if self.m == 1:
            self.penalty_list, self.ranks = [self.spline.S], [k - 2]
        else:
            self.penalty_list, self.ranks = adaptive_penalties(k, self.m)
        self.null_space_dim = 2
        self.k = k

    @property
    def penalties(self) -> list[np.ndarray]:
        return list(self.penalty_list)

    def evaluate(self, data, variables, term: str) -> np.ndarray:
        return self.predict(numeric_input(data, variables, term))

    def predict(self, x) -> np.ndarray:
        return self.spline.predict(x)

    def state(self) -> dict:
        return {"basis": "ad", "m": self.m, "spline": self.spline.state()}

    @classmethod
    def from_state(cls, st: dict) -> ADBasis:
        obj = cls.__new__(cls)
        obj.spline = PSBasis.from_state(st["spline"])
        obj.m = int(st["m"])
        obj._penalties(obj.spline.k)
        return obj
