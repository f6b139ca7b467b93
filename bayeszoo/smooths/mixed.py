"""The mixed-model form of a smooth: unpenalized columns ``Xf`` and penalized blocks.

Every map here is linear in the constrained basis ``X_c`` of one smooth (one ``by`` level):
``Xf = X_c F`` and ``Z_b = X_c M_b``. They follow mgcv's routes to a mixed model, which
brms (``standata``: ``Xs``, ``Zs``) and ``gamm`` take (mgcv 1.8-41, ``R/smooth.r`` and
``R/gamm.r``):

* one penalty (``s``, ``re``, single-margin ``ti``): ``diagonal.penalty`` (``nat.param(type = 2,
  unit.fnorm = FALSE)`` computed on the first ``by`` level's matrix, unless the penalty is
  already ``S11 diag(1, .., 1, 0, ..)``), then ``smooth2random.mgcv.smooth(type = 2)``:
  LAPACK's order of the eigenvectors of the diagonal penalty, penalized columns scaled to an
  identity penalty -> one iid block;
* several penalties that do not diagonalize jointly (``te``, ``ti``;
  ``smooth2random.tensor.smooth``): eigenvectors ``U`` of ``sum_j S_j / mean|S_j|``; the null
  space columns go to ``Xf``, the range space is one block carrying ``U_r' S_j U_r``;
* ``t2`` (``smooth2random.t2.smooth``): each penalty is the identity (times ``1/S.scale``) on its
  own columns -> one iid block per penalty, columns scaled by ``sqrt(S.scale)``;
* ``fs`` (``smooth2random.fs.interaction(type = 2)``): one iid block per penalty of the base
  smooth, repeated per level (see :mod:`bayeszoo.smooths.fs`).

``reml_offset``: with ``beta = T theta`` mapping the mixed-model coefficients to mgcv's and
``N`` an orthonormal basis of the penalty null space, mgcv's REML score equals the mixed
model's restricted likelihood criterion plus ``-log|det(N' T_f)|`` (``T_f``: the columns of
``T`` that give ``Xf``). Range-space scalings cancel between ``log|X'X + S|`` and
``log|S|_+``; only the null-space scaling is left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import mgcv_diagonal_eigen_order
from .natparam import nat_param, r_eigen_symmetric

DIAGONAL_TOL = np.finfo(float).eps ** 0.8


@dataclass
class BlockMap:
    """One penalized block: ``Z = X_c M``, its penalties (``None``: identity) and the indices of
    the smooth's penalties (and hence smoothing parameters) it carries."""

    M: np.ndarray
    penalties: list[np.ndarray] | None
    penalty_index: list[int]


@dataclass
class MixedMaps:
    """``Xf = X_c fixed`` and the blocks of one smooth (one ``by`` level)."""

    fixed: np.ndarray
    blocks: list[BlockMap]

    def transform(self) -> np.ndarray:
        """``T = [fixed, M_1, M_2, ...]``: mgcv's coefficients from the mixed-model ones."""
        return np.hstack([self.fixed] + [b.M for b in self.blocks])


def single_penalty_maps(X1: np.ndarray, S: np.ndarray, rank: int) -> MixedMaps:
    """``diagonal.penalty`` + ``smooth2random.mgcv.smooth`` for one penalty."""
    p = S.shape[0]
    s11 = S[0, 0]
    target = np.r_[np.full(rank, s11), np.zeros(p - rank)]
    if np.max(np.abs(S - np.diag(target))) <= abs(s11) * DIAGONAL_TOL:
        P, d = np.eye(p), target
    else:
        P, d = nat_param(X1, S, rank=rank, type=2, unit_fnorm=False).P, np.r_[np.ones(rank),
                                                                              np.zeros(p - rank)]
    order = mgcv_diagonal_eigen_order(d)
    scale = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1.0)), 1.0)
    T = P[:, order] * scale[order]
    blocks = [BlockMap(M=T[:, :rank], penalties=None, penalty_index=[0])] if rank else []
    return MixedMaps(fixed=T[:, rank:], blocks=blocks)


def tensor_maps(S: list[np.ndarray], null_dim: int) -> MixedMaps:
    """``smooth2random.tensor.smooth``: null space of the summed penalty to ``Xf``, the range
    space one block with every penalty restricted to it."""
    total = sum(Sj / np.mean(np.abs(Sj)) for Sj in S)
    _, U = r_eigen_symmetric(total)
    p = U.shape[0]
    rank = p - null_dim
    Ur = U[:, :rank]
    pens = [Ur.T @ Sj @ Ur for Sj in S]
    pens = [(A + A.T) / 2 for A in pens]
    return MixedMaps(fixed=U[:, rank:],
                     blocks=[BlockMap(M=Ur, penalties=pens, penalty_index=list(range(len(S))))])


def separable_maps(S: list[np.ndarray]) -> MixedMaps:
    """``smooth2random.t2.smooth``/``fs``: each penalty is diagonal on its own columns."""
    p = S[0].shape[0]
    penalized = np.zeros(p, dtype=bool)
    blocks = []
    for j, Sj in enumerate(S):
        diag = np.diag(Sj)
        cols = np.flatnonzero(diag != 0)
        M = np.zeros((p, cols.size))
        M[cols, np.arange(cols.size)] = 1 / np.sqrt(diag[cols])
        blocks.append(BlockMap(M=M, penalties=None, penalty_index=[j]))
        penalized[cols] = True
    free = np.flatnonzero(~penalized)
    fixed = np.zeros((p, free.size))
    fixed[free, np.arange(free.size)] = 1.0
    return MixedMaps(fixed=fixed, blocks=blocks)


def mixed_maps(kind: str, S: list[np.ndarray], null_dim: int, X1: np.ndarray) -> MixedMaps:
    """The mixed-model maps of one smooth with scaled constrained penalties ``S``."""
    p = X1.shape[1]
    if not S:
        return MixedMaps(fixed=np.eye(p), blocks=[])
    if kind in ("t2", "fs"):
        return separable_maps(S)
    if len(S) == 1:
        return single_penalty_maps(X1, S[0], p - null_dim)
    return tensor_maps(S, null_dim)


def reml_offset(maps: MixedMaps, S: list[np.ndarray]) -> float:
    """``-log|det(N' T_f)|`` (see the module docstring); 0 without unpenalized columns."""
    m0 = maps.fixed.shape[1]
    if m0 == 0 or not S:
        return 0.0
    total = sum(Sj / np.max(np.abs(Sj)) for Sj in S)
    vals, vecs = np.linalg.eigh((total + total.T) / 2)
    N = vecs[:, np.argsort(vals)[:m0]]
    return float(-np.linalg.slogdet(N.T @ maps.fixed)[1])
