"""mgcv's Gaussian process smooth ``s(x, bs = "gp")`` (Kammann & Wand 2003).

Re-implemented from mgcv's ``smooth.construct.gp.smooth.spec``, ``gpE``, ``gpT`` and
``Predict.matrix.gp.smooth`` (``R/smooth.r``):

* covariates are centred (``shift`` = column means); the knots are the unique covariate rows
  in the order of ``uniquecombs(x, ordered = TRUE)``, more than ``max_knots`` (2000) of them
  subsampled as mgcv does (R's ``set.seed(seed); sample(1:nu, max_knots)``);
* ``m`` selects the correlation function ``c(r)`` of the distance ``r / rho``: ``m[1]`` = 1
  spherical, 2 power exponential ``exp(-r^kappa)`` (``kappa = m[3]``, default 1), 3 Matérn 1.5
  (the default), 4 Matérn 2.5, 5 Matérn 3.5; ``m[2]`` is the range ``rho`` (default, or any
  value <= 0: the largest distance between knots). A negative ``m[1]`` drops the linear terms
  (stationary version: the null space is the constant only);
* ``E = c(||x_i - x_j|| / rho)`` between knots; its ``k - M`` largest-magnitude eigenpairs
  ``(U, d)`` (mgcv's ``slanczos``: :func:`~bayeszoo.smooths.lanczos.mgcv_lanczos_largest` with
  tolerance ``eps^0.5``) give the basis ``[E(x, knots) U, 1, x]`` and the penalty
  ``diag(d, 0, .., 0)``; ``M = d + 1`` (``1`` when stationary), default ``k = d + 1 + 10``
  (30 for two covariates, 100 for three), minimum ``d + 2``.

Checked against mgcv 1.8-41 (``tests/fixtures/mgcv_bases.json``, ``tests/test_mgcv_bases.py``):
the raw basis, the penalty, ``S.scale`` and REML fits on ``mcycle$times`` for the default
Matérn, a power exponential, a spherical and a stationary Matérn 2.5 correlation, and on
airquality's ``Temp`` and ``Wind``. The eigenvector signs are mgcv's except for two columns of
the stationary case, where LAPACK's tridiagonal eigenvectors differ between R's libraries and
this machine's.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .basis_input import BasisInput, numeric_input
from .lanczos import EPS, mgcv_lanczos_largest
from .rsample import mgcv_unique_rows, r_sample
from .state import decode_array, encode_array

DEFAULT_K = (10, 30, 100)


def gp_definition(m) -> tuple[int, float, float]:
    """``(signed type, rho, kappa)`` of mgcv's ``m`` (``p.order``): ``rho = -1`` means the
    largest knot distance, which :func:`gp_correlation` fills in."""
    vals = [] if m is None else (list(m) if isinstance(m, tuple) else [m])
    if not vals:
        return 3, -1.0, 1.0
    kind = int(round(vals[0]))
    rho = float(vals[1]) if len(vals) > 1 else -1.0
    kappa = float(vals[2]) if len(vals) > 2 else 1.0
    if abs(kind) not in (1, 2, 3, 4, 5) or kappa > 2 or kappa <= 0:
        raise ValueError(f"incorrect arguments to GP smoother: m = {vals} (m[1] in 1..5, or "
                         "negative for the stationary version; m[3] in (0, 2])")
    return kind, rho, kappa


def distances(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``x`` and of ``knots``."""
    r2 = sum((x[:, j, None] - knots[None, :, j]) ** 2 for j in range(x.shape[1]))
    return np.sqrt(r2)


def gp_correlation(r: np.ndarray, kind: int, rho: float, kappa: float) -> np.ndarray:
    """mgcv's ``gpE`` at distances ``r`` (already computed) for ``|kind|`` 1..5."""
    e = r / rho
    kind = abs(kind)
    if kind == 1:
        return (1 - 1.5 * e + 0.5 * e**3) * (e <= 1)
    if kind == 2:
        return np.exp(-(e**kappa))
    ee = np.exp(-e)
    if kind == 3:
        return (1 + e) * ee
    if kind == 4:
        return ee + (e * ee) * (1 + e / 3)
    return ee + (e * ee) * (1 + 0.4 * e + e**2 / 15)


class GPBasis:
    """Raw (unconstrained) gp basis: centring ``shift``, ``knots``, eigenvectors ``UZ``,
    correlation ``(kind, rho, kappa)`` and penalty ``S`` (unscaled)."""

    bs = "gp"

    @classmethod
    def from_data(cls, inp: BasisInput) -> GPBasis:
        x = np.column_stack(inp.numeric())
        n, d = x.shape
        if d > 3:
            raise ValueError(f"{inp.term}: bs=\"gp\" handles up to three covariates, got {d}")
        kind, rho, kappa = gp_definition(inp.m)
        obj = cls.__new__(cls)
        obj.shift = x.mean(axis=0)
        xu = mgcv_unique_rows(x) - obj.shift
        k = DEFAULT_K[d - 1] + d + 1 if inp.k < 0 else int(inp.k)
        if xu.shape[0] < k:
            raise ValueError(f"{inp.term}: a term has fewer unique covariate combinations "
                             f"({xu.shape[0]}) than specified maximum degrees of freedom "
                             f"(k = {k}): reduce k")
        if n > inp.max_knots and xu.shape[0] > inp.max_knots:
            xu = xu[r_sample(xu.shape[0], inp.max_knots, inp.seed)]
        if k < d + 2:
            warnings.warn(f"{inp.term}: basis dimension k = {k} reset to {d + 2}, the minimum "
                          "for a gp smooth (as mgcv does)", stacklevel=3)
            k = d + 2
        r = distances(xu, xu)
        if rho <= 0:
            rho = float(r.max())
        obj.knots, obj.kind, obj.rho, obj.kappa = xu, kind, rho, kappa
        obj.k, obj.d = k, d
        obj.null_space_dim = 1 if kind < 0 else d + 1
        rank = k - obj.null_space_dim
        values, obj.UZ = mgcv_lanczos_largest(gp_correlation(r, kind, rho, kappa), rank,
                                              tol=math.sqrt(EPS))
        obj.rank = rank
        obj.S = np.diag(np.r_[values, np.zeros(obj.null_space_dim)])
        obj.X = obj.predict(x)
        return obj

    @property
    def penalties(self) -> list[np.ndarray]:
        return [self.S]

    def evaluate(self, data, variables, term: str) -> np.ndarray:
        return self.predict(numeric_input(data, variables, term))

    def predict(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        xc = (x[:, None] if x.ndim == 1 else x) - self.shift
        E = gp_correlation(distances(xc, self.knots), self.kind, self.rho, self.kappa)
        T = np.ones((xc.shape[0], 1)) if self.kind < 0 else np.column_stack(
            [np.ones(xc.shape[0]), xc])
        return np.hstack([E @ self.UZ, T])

    def state(self) -> dict:
        return {"basis": "gp", "k": self.k, "d": self.d, "kind": self.kind, "rho": self.rho,
                "kappa": self.kappa, "shift": encode_array(self.shift),
                "knots": encode_array(self.knots), "UZ": encode_array(self.UZ)}

    @classmethod
    def from_state(cls, st: dict) -> GPBasis:
        obj = cls.__new__(cls)
        obj.k, obj.d, obj.kind = int(st["k"]), int(st["d"]), int(st["kind"])
        obj.rho, obj.kappa = float(st["rho"]), float(st["kappa"])
        obj.shift = decode_array(st["shift"])
        obj.knots = decode_array(st["knots"])
        obj.UZ = decode_array(st["UZ"])
        obj.null_space_dim = 1 if obj.kind < 0 else obj.d + 1
        obj.rank = obj.k - obj.null_space_dim
        return obj
