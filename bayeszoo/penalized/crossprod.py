"""Cross-products of a discretized model without its full model matrix (Wood, Li, Shaddick &
Augustin 2017, JASA 112:1199-1210, "Generalized additive models for gigadata", section 3).

A :class:`TermGroup` is the columns of one term (or of the parametric part): a function of that
term's covariates only, so they are its matrix ``M`` on the distinct discretized covariate
values (``u × p``) indexed by ``k`` (row ``i`` of the model matrix is ``M[k[i]]``). Then::

    X_a' W X_b = M_a' T_ab M_b,    T_ab[r, s] = Σ_{i: k_a[i] = r, k_b[i] = s} w_i
    X_a' W y  = M_a' t_a,         t_a[r]     = Σ_{i: k_a[i] = r} w_i y_i

``T_ab`` is a weighted two-way bincount of the index pairs (diagonal for ``a = b``; sparse when
``u_a·u_b`` is large), so one pass over the rows costs ``O(n)`` per pair of terms and the
products ``O(u p²)``; :class:`Statistics` (``G = X'WX``, ``X'Wy``, ``y'Wy``, counts) of chunks
of rows add up, which :mod:`.partitions` uses for Dask partitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sps

from .discrete import Grid
from .problem import cross

__all__ = ["Statistics", "TermGroup", "code_predictor", "code_statistics", "group_codes",
           "linear_predictor", "statistics"]

DENSE_PAIRS = 4_000_000  # a pair table up to this many cells is a dense bincount


@dataclass
class TermGroup:
    """The columns of one term: ``positions`` in the engine's coefficient order, ``covariates``
    they are a function of, ``shape`` the sizes of those covariates' grids, ``combos`` the
    sorted joint codes of the combinations present (``None``: every grid point, one or no
    covariate) and ``matrix`` (dense or CSR) the columns at each combination."""

    label: str
    covariates: tuple[str, ...]
    positions: np.ndarray
    shape: tuple[int, ...]
    combos: np.ndarray | None
    matrix: np.ndarray | sps.csr_matrix

    @property
    def size(self) -> int:
        """The distinct rows ``u``."""
        return self.matrix.shape[0]

    def index(self, codes: dict[str, np.ndarray], n: int) -> np.ndarray:
        """``k``: the row of :attr:`matrix` of each of ``n`` rows, from the grid codes of the
        covariates."""
        if not self.covariates:
            return np.zeros(n, dtype=np.int64)
        if self.combos is None:
            return codes[self.covariates[0]]
        joint = joint_codes([codes[c] for c in self.covariates], self.shape)
        k = np.minimum(np.searchsorted(self.combos, joint), self.combos.size - 1)
        if np.any(self.combos[k] != joint):
            raise ValueError(f"{self.label}: a combination of {list(self.covariates)} not seen "
                             "when the discretization was fitted")
        return k


def joint_codes(codes: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """One int64 code per row for the combination of several covariates' grid codes."""
    return np.ravel_multi_index(tuple(codes), shape).astype(np.int64)


@dataclass
class Statistics:
    """The Gaussian model's sufficient statistics: ``G = X'WX``, ``c = X'Wy``, ``yy = y'Wy``;
    ``rows`` all rows, ``n_obs`` those with ``w > 0`` and ``sum_log_w`` their ``Σ log w``."""

    G: np.ndarray
    c: np.ndarray
    yy: float
    rows: int
    n_obs: int
    sum_log_w: float

    def __add__(self, other: Statistics) -> Statistics:
        return Statistics(self.G + other.G, self.c + other.c, self.yy + other.yy,
                          self.rows + other.rows, self.n_obs + other.n_obs,
                          self.sum_log_w + other.sum_log_w)


def pair_table(ka: np.ndarray, ua: int, kb: np.ndarray, ub: int, w: np.ndarray):
    """``T[r, s] = Σ_{k_a = r, k_b = s} w``, dense or (for many cells) CSR."""
    if ua * ub <= DENSE_PAIRS:
        return np.bincount(ka * ub + kb, weights=w, minlength=ua * ub).reshape(ua, ub)
    return sps.csr_matrix((w, (ka, kb)), shape=(ua, ub))


def sandwich(A, T, B) -> np.ndarray:
    """``A' T B`` as a dense array (any of the three may be CSR)."""
    if sps.issparse(B) and not sps.issparse(T):
        TB = np.asarray((B.T @ T.T).T)
    else:
        TB = T @ B
    if sps.issparse(TB):
        TB = TB.toarray()
    return cross(A, np.asarray(TB))


def group_codes(groups: list[TermGroup], grids: dict[str, Grid],
                frame: pd.DataFrame) -> list[np.ndarray]:
    """Each group's index ``k`` on the rows of ``frame``."""
    names = dict.fromkeys(c for g in groups for c in g.covariates)
    codes = {c: grids[c].codes(frame[c]) for c in names}
    return [g.index(codes, len(frame)) for g in groups]


def statistics(groups: list[TermGroup], grids: dict[str, Grid], frame: pd.DataFrame,
               y: np.ndarray, w: np.ndarray, P: int) -> Statistics:
    """The :class:`Statistics` of the rows of ``frame`` (response ``y``, prior weights ``w``)
    for a model of ``P`` coefficients made of ``groups``."""
    return code_statistics(groups, group_codes(groups, grids, frame), y, w, P)


def code_statistics(groups: list[TermGroup], ks: list[np.ndarray], y: np.ndarray,
                    w: np.ndarray, P: int) -> Statistics:
    """:func:`statistics` from each group's index ``k`` on the rows."""
    G = np.zeros((P, P))
    c = np.zeros(P)
    for a, ga in enumerate(groups):
        pa = ga.positions
        c[pa] = cross(ga.matrix, np.bincount(ks[a], weights=w * y, minlength=ga.size))
        diag = np.bincount(ks[a], weights=w, minlength=ga.size)
        G[np.ix_(pa, pa)] = cross(ga.matrix, ga.matrix, diag)
        for b in range(a + 1, len(groups)):
            gb = groups[b]
            block = sandwich(ga.matrix, pair_table(ks[a], ga.size, ks[b], gb.size, w), gb.matrix)
            G[np.ix_(pa, gb.positions)] = block
            G[np.ix_(gb.positions, pa)] = block.T
    keep = w > 0
    return Statistics(G, c, float((w * y) @ y), len(y), int(np.sum(keep)),
                      float(np.sum(np.log(w[keep]))))


def linear_predictor(groups: list[TermGroup], grids: dict[str, Grid], frame: pd.DataFrame,
                     beta: np.ndarray) -> np.ndarray:
    """``X beta`` on the rows of ``frame``: each group's ``M beta`` looked up by its index."""
    return code_predictor(groups, group_codes(groups, grids, frame), beta)


def code_predictor(groups: list[TermGroup], ks: list[np.ndarray], beta: np.ndarray) -> np.ndarray:
    """:func:`linear_predictor` from each group's index ``k`` on the rows."""
    eta = np.zeros(ks[0].shape[0] if ks else 0)
    for g, k in zip(groups, ks, strict=True):
        eta += np.asarray(g.matrix @ beta[g.positions]).ravel()[k]
    return eta
