"""Factor-smooth interactions ``s(x, g, bs = "fs")``: one smooth of ``x`` per level of ``g``.

Re-implemented from mgcv 1.8-41's ``smooth.construct.fs.smooth.spec`` and
``Predict.matrix.fs.interaction`` (``R/smooth.r``) and ``smooth2random.fs.interaction``
(``R/gamm.r``):

* the base smooth of the numeric covariates (``tp`` unless ``xt`` says otherwise; here the
  basis is always ``tp``, mgcv's default) is reparameterized by
  ``nat.param(type = 1, unit.fnorm = TRUE)``: ``Xb = X P`` has ``rank`` penalized columns
  with penalty ``D`` (constant ``scale²``) and ``M`` null-space columns;
* the null-space columns: mgcv takes whatever orthonormal basis LAPACK returns for the
  repeated zero eigenvalue of ``R^-T S R^-1``, a choice set by rounding errors (the fit depends
  on it, since each column gets its own smoothing parameter). Here the basis is canonical: the
  polynomial columns of the ``tp`` basis (constant first, then the linear ones) orthonormalized
  in order, i.e. per level a random intercept and random slope(s) of centred covariates;
* penalties: the range penalty ``diag(D, 0)`` and one penalty per null-space column (a single
  1 on the diagonal), so the null space is penalized too and no centring constraint is needed;
* the model matrix repeats ``Xb`` once per level (level-major columns), zero outside the level;
  all levels share the smoothing parameters.

The mixed-model form (``smooth2random.fs.interaction(type = 2)``, brms's ``Zs``): one iid block
per penalty, holding that penalty's columns of ``Xb`` scaled to an identity penalty, repeated
per level (level-major).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

from .columns import factor_levels, get_column, is_factor, level_codes, plain
from .margins import Margin, build_margin
from .natparam import nat_param, r_qr_R
from .state import decode_array, encode_array


def fs_reparam(X: np.ndarray, S: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """``(P, D)``: ``nat.param(X, S, rank, type = 1)`` with the canonical null-space columns
    (the unpenalized basis columns, which ``tp`` puts last, orthonormalized in order)."""
    npar = nat_param(X, S, rank=rank, type=1, unit_fnorm=True)
    P = npar.P.copy()
    R = r_qr_R(X)
    Qn, Rn = np.linalg.qr(R[:, rank:])
    Qn = Qn * np.where(np.diag(Rn) < 0, -1.0, 1.0)
    null = solve_triangular(R, Qn)
    Xn = X @ null
    P[:, rank:] = null / np.sqrt(np.mean(Xn**2))
    return P, npar.D


def expand_levels(Xb: np.ndarray, codes: np.ndarray, n_levels: int) -> np.ndarray:
    """``[Xb * (g == level_1), Xb * (g == level_2), ...]`` (level-major columns)."""
    n, p = Xb.shape
    out = np.zeros((n, p * n_levels))
    for lev in range(n_levels):
        rows = codes == lev
        out[rows, lev * p : (lev + 1) * p] = Xb[rows]
    return out


@dataclass
class FSRaw:
    """A fitted fs term: base margin, ``nat.param`` map ``P``, factor column and levels."""

    base: Margin
    P: np.ndarray
    factor: str
    levels: list
    rank: int
    D: np.ndarray
    Xb: np.ndarray
    X: np.ndarray
    S: list[np.ndarray]
    codes: np.ndarray

    def base_matrix(self, data: Mapping, term: str, fit: bool = False) -> np.ndarray:
        """``Xb``: the reparameterized base basis (one level's columns)."""
        X = self.base.fit_matrix(data, term) if fit else self.base.matrix(data, term)
        return X @ self.P

    def level_codes(self, data: Mapping, term: str) -> np.ndarray:
        return level_codes(data, self.factor, self.levels, term)

    def matrix(self, data: Mapping, term: str) -> np.ndarray:
        return expand_levels(self.base_matrix(data, term), self.level_codes(data, term),
                             len(self.levels))

    def state(self) -> dict:
        return {"construct": "fs", "base": self.base.state(), "P": encode_array(self.P),
                "factor": self.factor, "levels": [plain(v) for v in self.levels],
                "rank": self.rank, "D": encode_array(self.D)}


def fs_from_state(st: dict) -> FSRaw:
    empty = np.zeros((0, 0))
    return FSRaw(base=Margin.from_state(st["base"]), P=decode_array(st["P"]),
                 factor=st["factor"], levels=list(st["levels"]), rank=int(st["rank"]),
                 D=decode_array(st["D"]), Xb=empty, X=empty, S=[],
                 codes=np.zeros(0, dtype=int))


def build_fs(variables: tuple[str, ...], k: int, data: Mapping, term: str, *,
             m: int | None = None, seed: int = 1) -> FSRaw:
    """mgcv's ``smooth.construct.fs.smooth.spec`` with the default ``tp`` base."""
    factors = [v for v in variables if is_factor(get_column(data, v, term))]
    if len(factors) != 1 or len(variables) < 2:
        raise ValueError(f"{term}: bs=\"fs\" needs one factor and at least one numeric "
                         f"covariate among {list(variables)} (factors found: {factors}); if the "
                         "grouping column holds numbers, convert it with .astype('category')")
    fterm = factors[0]
    numeric = tuple(v for v in variables if v != fterm)
    base = build_margin("tp", numeric, k, data, term, m=m, seed=seed)
    Xraw = base.fit_matrix(data, term)
    rank = base.basis.rank
    P, D = fs_reparam(Xraw, base.basis.S, rank)
    levels, _ = factor_levels(get_column(data, fterm, term))
    codes = level_codes(data, fterm, levels, term)
    Xb = Xraw @ P
    p, nlev = Xb.shape[1], len(levels)
    S = [np.diag(np.tile(np.r_[D, np.zeros(p - rank)], nlev))]
    for i in range(p - rank):
        unit = np.zeros(p)
        unit[rank + i] = 1.0
        S.append(np.diag(np.tile(unit, nlev)))
    return FSRaw(base=base, P=P, factor=fterm, levels=levels, rank=rank, D=D,
                 Xb=Xb, X=expand_levels(Xb, codes, nlev), S=S, codes=codes)
