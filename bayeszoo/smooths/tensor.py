"""Tensor product smooths ``te()``, ``ti()`` (Wood 2006) and ``t2()`` (Wood, Scheipl and Faraway
2013), re-implemented from mgcv 1.8-41 (``R/smooth.r``):

* ``te`` (``smooth.construct.tensor.smooth.spec`` with ``np = TRUE``): raw margins; a margin of
  class ``tp``/``ps`` is reparameterized by ``XP = V diag(1/d) U'`` from the SVD of its basis at
  ``k`` evenly spaced points of the data range (coefficients become function values there;
  ``cr``/``cc`` margins already are, mgcv's ``noterp``); each margin penalty is divided by its
  largest eigenvalue; the model matrix is the row-wise Kronecker product of the margins
  (last margin fastest) and the penalties are ``S_1 ⊗ I ⊗ ...``, ``I ⊗ S_2 ⊗ ...``.
* ``ti``: as ``te`` but each margin is first given its sum-to-zero constraint (mgcv's
  ``smoothCon(absorb.cons = TRUE)``, including its ``S.scale``), and the product needs none.
* ``t2`` (``smooth.construct.t2.smooth.spec``, ``t2.model.matrix`` with ``full = FALSE``):
  each margin reparameterized by ``nat.param(type = 3, unit.fnorm = TRUE)`` into penalized
  columns ``Z_j`` (identity penalty) and unpenalized ``N_j``; the model matrix is the sequence of
  products ``Z1Z2 (rr), N1Z2 (nr), Z1N2 (rn), N1N2 (nn)`` (generalized to more margins), each
  but the last with its own identity penalty; the constraint touches only the unpenalized block.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .core import constraint_null_space, s_scale
from .margins import Margin
from .natparam import nat_param
from .state import decode_array, decode_optional, encode_array, encode_optional

REPARAM_TOL = np.finfo(float).eps ** 0.66


def row_kron(mats: list[np.ndarray]) -> np.ndarray:
    """Row-wise Kronecker product (mgcv's ``tensor.prod.model.matrix``; last margin fastest)."""
    out = mats[0]
    for M in mats[1:]:
        out = (out[:, :, None] * M[:, None, :]).reshape(out.shape[0], -1)
    return out


def tensor_penalties(Sm: list[np.ndarray]) -> list[np.ndarray]:
    """mgcv's ``tensor.prod.penalties``: ``I ⊗ .. ⊗ S_i ⊗ .. ⊗ I`` for each margin."""
    out = []
    for i in range(len(Sm)):
        M = np.ones((1, 1))
        for j, S in enumerate(Sm):
            M = np.kron(M, S if i == j else np.eye(S.shape[0]))
        out.append((M + M.T) / 2)
    return out


@dataclass
class TensorMargin:
    """A te/ti margin: raw basis, optional margin constraint ``Zm`` (ti) and ``XP`` (np)."""

    margin: Margin
    Zm: np.ndarray | None
    XP: np.ndarray | None

    def transform(self, X: np.ndarray) -> np.ndarray:
        if self.Zm is not None:
            X = X @ self.Zm
        if self.XP is not None:
            X = X @ self.XP
        return X

    def state(self) -> dict:
        return {"margin": self.margin.state(), "Zm": encode_optional(self.Zm),
                "XP": encode_optional(self.XP)}

    @classmethod
    def from_state(cls, st: dict) -> TensorMargin:
        return cls(margin=Margin.from_state(st["margin"]), Zm=decode_optional(st["Zm"]),
                   XP=decode_optional(st["XP"]))


@dataclass
class TensorRaw:
    """Unconstrained te/ti term: margins, model matrix ``X`` on the fitting data, penalties."""

    margins: list[TensorMargin]
    X: np.ndarray
    S: list[np.ndarray]
    null_space_dim: int

    def matrix(self, data: Mapping, term: str) -> np.ndarray:
        return row_kron([tm.transform(tm.margin.matrix(data, term)) for tm in self.margins])

    def state(self) -> dict:
        return {"construct": "tensor", "margins": [tm.state() for tm in self.margins]}


def build_tensor(margins: list[Margin], data: Mapping, term: str, *, interaction: bool,
                 fx: bool) -> TensorRaw:
    """mgcv's ``smooth.construct.tensor.smooth.spec`` (``np = TRUE``); ``interaction``: ti."""
    tms, Xm, Sm, null_dims = [], [], [], []
    for mg in margins:
        X = mg.fit_matrix(data, term)
        S = mg.basis.S
        nsd = mg.basis.null_space_dim
        Zm = None
        if interaction:
            scale = s_scale(X, S)
            Zm = constraint_null_space(X.mean(axis=0))
            X = X @ Zm
            S = Zm.T @ (S / scale) @ Zm
            nsd = max(0, nsd - 1)
        XP = None
        if not getattr(mg.basis, "noterp", False) and len(mg.variables) == 1:
            x = np.asarray(data[mg.variables[0]], dtype=float)
            grid = np.linspace(x.min(), x.max(), X.shape[1])
            Xg = mg.basis.predict(grid)
            if Zm is not None:
                Xg = Xg @ Zm
            U, d, Vt = np.linalg.svd(Xg)
            if d[-1] / d[0] < REPARAM_TOL:
                warnings.warn(f"{term}: reparameterization unstable for margin "
                              f"{mg.variables[0]!r}: not done (as mgcv)", stacklevel=3)
            else:
                XP = Vt.T @ (U.T / d[:, None])
                X = X @ XP
                S = XP.T @ S @ XP
        S = S / np.max(np.linalg.eigvalsh((S + S.T) / 2))
        tms.append(TensorMargin(margin=mg, Zm=Zm, XP=XP))
        Xm.append(X)
        Sm.append(S)
        null_dims.append(nsd)
    X = row_kron(Xm)
    S = [] if fx else tensor_penalties(Sm)
    return TensorRaw(margins=tms, X=X, S=S, null_space_dim=int(np.prod(null_dims)))


def tensor_from_state(st: dict) -> TensorRaw:
    return TensorRaw(margins=[TensorMargin.from_state(m) for m in st["margins"]],
                     X=np.zeros((0, 0)), S=[], null_space_dim=0)


# ---------------------------------------------------------------------------------------------
# t2
# ---------------------------------------------------------------------------------------------

def t2_model_matrix(Xm: list[np.ndarray], ranks: list[int]) -> tuple[np.ndarray, list[int],
                                                                      list[str]]:
    """mgcv's ``t2.model.matrix(full = FALSE)``: ``(X, sub_cols, labels)``, where ``sub_cols``
    are the sizes of the penalized blocks in order and ``labels`` their names (``rr``, ...)."""
    blocks = [Xm[0][:, : ranks[0]]]
    labels = ["r"]
    no_null = ranks[0] >= Xm[0].shape[1]
    if not no_null:
        blocks.append(Xm[0][:, ranks[0]:])
        labels.append("n")
    for X, r in zip(Xm[1:], ranks[1:], strict=True):
        Zi = X[:, :r]
        null = X[:, r:] if r < X.shape[1] else None
        if null is None:
            no_null = True
        new_blocks, new_labels = [], []
        for B, lab in zip(blocks, labels, strict=True):
            new_blocks.append(row_kron([B, Zi]))
            new_labels.append(lab + "r")
        if null is not None:
            for B, lab in zip(blocks, labels, strict=True):
                new_blocks.append(row_kron([B, null]))
                new_labels.append(lab + "n")
        blocks, labels = new_blocks, new_labels
    sizes = [b.shape[1] for b in blocks]
    X = np.hstack(blocks)
    if not no_null:
        sizes, labels = sizes[:-1], labels[:-1]
    return X, sizes, labels


@dataclass
class T2Raw:
    """Unconstrained t2 term: margins with their ``nat.param`` maps ``P`` and ranks."""

    margins: list[Margin]
    P: list[np.ndarray]
    ranks: list[int]
    X: np.ndarray
    S: list[np.ndarray]
    labels: list[str]
    null_space_dim: int

    def matrix(self, data: Mapping, term: str) -> np.ndarray:
        Xm = [mg.matrix(data, term) @ P for mg, P in zip(self.margins, self.P, strict=True)]
        return t2_model_matrix(Xm, self.ranks)[0]

    def state(self) -> dict:
        return {"construct": "t2", "margins": [mg.state() for mg in self.margins],
                "P": [encode_array(P) for P in self.P], "ranks": list(self.ranks)}


def build_t2(margins: list[Margin], data: Mapping, term: str) -> T2Raw:
    """mgcv's ``smooth.construct.t2.smooth.spec`` (``full = FALSE``, all orders kept)."""
    Ps, ranks, Xm = [], [], []
    for mg in margins:
        X = mg.fit_matrix(data, term)
        rank = mg.basis.rank
        npar = nat_param(X, mg.basis.S, rank=rank, type=3, unit_fnorm=True)
        Ps.append(npar.P)
        ranks.append(rank)
        Xm.append(X @ npar.P)
    X, sizes, labels = t2_model_matrix(Xm, ranks)
    S = []
    start = 0
    for size in sizes:
        d = np.zeros(X.shape[1])
        d[start : start + size] = 1.0
        S.append(np.diag(d))
        start += size
    return T2Raw(margins=margins, P=Ps, ranks=ranks, X=X, S=S, labels=labels,
                 null_space_dim=X.shape[1] - sum(sizes))


def t2_from_state(st: dict) -> T2Raw:
    return T2Raw(margins=[Margin.from_state(m) for m in st["margins"]],
                 P=[decode_array(P) for P in st["P"]], ranks=[int(r) for r in st["ranks"]],
                 X=np.zeros((0, 0)), S=[], labels=[], null_space_dim=0)
