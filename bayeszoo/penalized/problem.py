"""The REML engine's input: linear predictors made of fixed columns and penalized blocks.

A model has one or more linear predictors (mgcv's ``gaulss`` has two)::

    eta_k = X_k·beta_k + Σ_j Z_kj·b_kj + offset_k,   b_kj penalized by S_kj(psi)

:class:`PenalizedBlock` is one ``Z`` with its :mod:`penalty <.penalties>`;
:class:`Predictor` one linear predictor. :class:`Layout` fixes the coefficient order the engine
works in: every penalized block of every predictor first (in order), then every predictor's
fixed columns, so that the leading block of a Cholesky factor of the penalized Hessian is the
factor of its penalized part (the ML criterion's determinant). Results are reported back in
each predictor's order ``[X_k columns, blocks]`` (the Design's order).

Model matrices of blocks may be dense arrays or SciPy CSR matrices (indicator and random-slope
blocks: one nonzero per row); cross-products use the sparsity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sps

from bayeszoo.design import BlockArrays, DesignArrays, linear_predictor

from .penalties import Penalty

__all__ = ["Layout", "PenalizedBlock", "Predictor", "block_matrix", "column_squares", "cross",
           "scale_rows"]


@dataclass
class PenalizedBlock:
    """One penalized block: model matrix ``matrix`` (``n × size``) and its ``penalty``.

    ``label`` names the block's term (``"s(times)"``, ``"(Days | Subject)"``); ``fixed`` holds
    the penalty's parameters when they are given rather than estimated; ``reml_offset`` is
    the constant mgcv's REML score adds for this block (``smooth2random``'s ``-log|det C_f|``).
    Random-effect blocks may name their grouping factor (``group``), the varying coefficients
    of each level (``coefs``, e.g. ``["(Intercept)", "Days"]``) and the levels (``levels``), for
    lme4-shaped results (:mod:`.lme4`).
    """

    label: str
    matrix: np.ndarray | sps.csr_matrix
    penalty: Penalty
    fixed: np.ndarray | None = None
    reml_offset: float = 0.0
    group: str | None = None
    coefs: list[str] | None = None
    levels: list[str] | None = None

    @property
    def size(self) -> int:
        return self.matrix.shape[1]


@dataclass
class Predictor:
    """One linear predictor: fixed columns ``X`` (``n × p``), penalized ``blocks``, ``offset``;
    ``n_aliased``: unpenalized columns left out of ``X`` because they were aliased
    (:mod:`bayeszoo.formula.aliasing`), which mgcv still counts in ``Mp``, the unpenalized
    coefficients of its REML score's ``Mp/2·log(2π phi)``."""

    X: np.ndarray
    blocks: list[PenalizedBlock] = field(default_factory=list)
    offset: np.ndarray | None = None
    name: str = "mu"
    n_aliased: int = 0


def block_matrix(Z: np.ndarray, index, weights, n: int):
    """A block's model matrix: CSR when ``Z[i, index[i]] == weights[i]`` is its only nonzero
    (indicator or random-slope block), else the dense array."""
    q = Z.shape[1]
    if index is not None and weights is not None:
        index = np.asarray(index, dtype=np.int64)
        weights = np.asarray(weights, dtype=float)
        if index.shape == (n,) and weights.shape == (n,) and (q == 0 or index.max() < q):
            return sps.csr_matrix((weights, (np.arange(n), index)), shape=(n, q))
    return np.asarray(Z, dtype=float)


def scale_rows(A, w: np.ndarray):
    """``diag(w) A`` for a dense or CSR matrix."""
    if sps.issparse(A):
        out = A.copy()
        out.data = out.data * np.repeat(w, np.diff(A.indptr))
        return out
    return A * w[:, None]


def column_squares(A, w: np.ndarray) -> np.ndarray:
    """``diag(A' diag(w) A)``: weighted column sums of squares."""
    if sps.issparse(A):
        rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
        return np.bincount(A.indices, weights=A.data**2 * w[rows], minlength=A.shape[1])
    return np.einsum("ij,ij,i->j", A, A, w)


def cross(A, B, w: np.ndarray | None = None) -> np.ndarray:
    """``A' diag(w) B`` as a dense array (either matrix may be CSR)."""
    if w is not None:
        A = scale_rows(A, w)
    if sps.issparse(A):
        out = A.T @ B
    elif sps.issparse(B):
        out = (B.T @ A).T
    else:
        return A.T @ B
    return out.toarray() if sps.issparse(out) else np.asarray(out)


def _block_arrays(M) -> BlockArrays:
    """A block's matrix as :class:`~bayeszoo.design.BlockArrays`: index and weights when each
    row has one stored entry (an indicator or random-slope block), else the dense matrix."""
    empty = np.zeros(0)
    if sps.issparse(M) and M.shape[0] and np.all(np.diff(M.indptr) == 1):
        return BlockArrays(index=M.indices.astype(np.int64), weights=M.data.astype(float),
                           matrix=np.zeros((0, 0)))
    dense = M.toarray() if sps.issparse(M) else np.asarray(M, dtype=float)
    return BlockArrays(index=empty.astype(np.int64), weights=empty, matrix=dense)


class Layout:
    """Coefficient positions of a list of predictors (see the module docstring).

    ``blocks`` lists every penalized block (predictor order, then block order); ``block_slices``
    their internal positions, ``block_predictor`` the predictor each belongs to;
    ``fixed_slices[k]`` predictor ``k``'s fixed columns; ``param_slices`` each block's part of
    the flat outer-parameter vector. ``Q`` penalized and ``P`` total coefficients.
    """

    def __init__(self, predictors: list[Predictor]) -> None:
        self.predictors = predictors
        n = predictors[0].X.shape[0]
        self.n = n
        self.blocks: list[PenalizedBlock] = []
        self.block_predictor: list[int] = []
        for k, lp in enumerate(predictors):
            if lp.X.shape[0] != n:
                raise ValueError(f"linear predictor {lp.name!r} has {lp.X.shape[0]} rows, the "
                                 f"first has {n}")
            for b in lp.blocks:
                if b.matrix.shape[0] != n:
                    raise ValueError(f"block {b.label!r} has {b.matrix.shape[0]} rows, the data "
                                     f"{n}")
                if b.penalty.size != b.size:
                    raise ValueError(f"block {b.label!r} has {b.size} columns but its "
                                     f"penalty {b.penalty.size}")
                self.blocks.append(b)
                self.block_predictor.append(k)
        sizes = [b.size for b in self.blocks]
        starts = np.cumsum([0, *sizes])
        self.block_slices = [slice(int(starts[j]), int(starts[j + 1]))
                             for j in range(len(sizes))]
        self.Q = int(starts[-1])
        pos = self.Q
        self.fixed_slices = []
        for lp in predictors:
            p = lp.X.shape[1]
            self.fixed_slices.append(slice(pos, pos + p))
            pos += p
        self.P = pos
        self.Mp = self.P - self.Q + sum(lp.n_aliased for lp in predictors)
        counts = np.cumsum([0, *[b.penalty.n_params for b in self.blocks]])
        self.param_slices = [slice(int(counts[j]), int(counts[j + 1]))
                             for j in range(len(self.blocks))]
        self.n_params = int(counts[-1])
        offsets = self.offsets()
        self.arrays = [DesignArrays(X=np.asarray(lp.X, dtype=float), offset=offsets[:, k],
                                    blocks=tuple(_block_arrays(self.blocks[j].matrix)
                                                 for j in range(len(self.blocks))
                                                 if self.block_predictor[j] == k))
                       for k, lp in enumerate(predictors)]

    def matrices(self, k: int) -> list[tuple[slice, np.ndarray | sps.csr_matrix]]:
        """``(internal slice, matrix)`` pairs of predictor ``k``: its blocks, then ``X``."""
        out = [(self.block_slices[j], b.matrix) for j, b in enumerate(self.blocks)
               if self.block_predictor[j] == k]
        out.append((self.fixed_slices[k], np.asarray(self.predictors[k].X, dtype=float)))
        return out

    def design_order(self) -> np.ndarray:
        """Internal index of each coefficient in the Design's order: per predictor its ``X``
        columns, then its blocks."""
        idx = []
        for k in range(len(self.predictors)):
            fs = self.fixed_slices[k]
            idx.extend(range(fs.start, fs.stop))
            for j, sl in enumerate(self.block_slices):
                if self.block_predictor[j] == k:
                    idx.extend(range(sl.start, sl.stop))
        return np.array(idx, dtype=int)

    def offsets(self) -> np.ndarray:
        """``n × K`` offsets (zeros where a predictor has none)."""
        out = np.zeros((self.n, len(self.predictors)))
        for k, lp in enumerate(self.predictors):
            if lp.offset is not None:
                out[:, k] = lp.offset
        return out

    def eta(self, beta: np.ndarray) -> np.ndarray:
        """``n × K`` linear predictors (offsets included), each through the one
        :func:`bayeszoo.design.linear_predictor`."""
        out = np.empty((self.n, len(self.predictors)))
        for k, arrays in enumerate(self.arrays):
            coefs = [beta[sl] for j, sl in enumerate(self.block_slices)
                     if self.block_predictor[j] == k]
            out[:, k] = linear_predictor(arrays, beta[self.fixed_slices[k]], coefs)
        return out

    def rmatvec(self, v: np.ndarray) -> np.ndarray:
        """``Σ_k C_k' v[:, k]`` (``v`` is ``n × K``) as a vector of all coefficients."""
        out = np.zeros(self.P)
        for k in range(len(self.predictors)):
            for sl, M in self.matrices(k):
                out[sl] += np.asarray(M.T @ v[:, k]).ravel()
        return out

    def gram(self, W: np.ndarray) -> np.ndarray:
        """``Σ_ab C_a' diag(W[:, a, b]) C_b`` (``W`` is ``n × K × K``), dense ``P × P``."""
        H = np.zeros((self.P, self.P))
        K = len(self.predictors)
        mats = [self.matrices(k) for k in range(K)]
        for a in range(K):
            for b in range(a, K):
                w = W[:, a, b]
                for ia, (sa, Ma) in enumerate(mats[a]):
                    for ib, (sb, Mb) in enumerate(mats[b]):
                        if a == b and ib < ia:
                            continue
                        block = cross(Ma, Mb, w)
                        H[sa, sb] += block
                        if sa != sb or a != b:
                            H[sb, sa] += block.T
        return H

    def dense(self, k: int) -> np.ndarray:
        """Predictor ``k``'s model matrix as a dense ``n × P`` array (zeros elsewhere)."""
        out = np.zeros((self.n, self.P))
        for sl, M in self.matrices(k):
            out[:, sl] = M.toarray() if sps.issparse(M) else M
        return out
