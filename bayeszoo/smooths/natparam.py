"""mgcv's ``nat.param`` reparameterizations (``R/smooth.r``) and R's symmetric ``eigen()``.

* :func:`r_eigen_symmetric` is R's ``eigen(A, symmetric = TRUE)``: LAPACK ``dsyevr`` on the
  lower triangle (``range = "A"``, ``abstol = 0``), eigenpairs in descending order. The
  eigenvectors are R's up to the sign of each (and, for a penalty with a two-dimensional null
  space, up to a rotation of the null-space pair). Those signs are not a property of the
  penalty: ``dsyevr`` flips them under rounding-level changes of its input, and two LAPACK
  builds differ on the same input. brms's own ``Xs`` of ``s(x, bs = "cr")`` changes sign when
  ``x`` is given in other units (``tests/fixtures/brms_smooth_standata.json``, ``rescaled``).
  The same routine is called here because it gives R's sign more often than a fixed rule does:
  in 360 of the 400 sign-defined columns of that fixture's cases, against 286 for "first
  nonzero coefficient positive", the best rule tried.
* :func:`nat_param` is ``nat.param(X, S, rank, type, unit.fnorm)`` for types 0 to 3:
  type 0 (low-rank ``mrf`` smooths) makes the penalty diagonal using the QR factor of ``X``
  (the natural parameterization), type 1 (``fs`` smooths) reduces it to an identity on its
  range; type 2 (``diagonal.penalty``) and type 3 (``t2`` margins; the null space
  redone so that a constant is its first column) use the eigenvectors of ``S`` directly.
  ``unit.fnorm`` rescales the penalized and unpenalized columns to unit mean square.

mgcv's ``unit.fnorm`` step for types 2 and 3 rescales rows of ``P`` (``P[ind, ] * scale``)
where columns are meant; it does no harm there because both scale factors are equal (the
null-space columns were given the mean squared norm of the penalized ones), and here the
columns are scaled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack, solve_triangular

TOL = np.finfo(float).eps ** 0.8


def r_eigen_symmetric(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``eigen(A, symmetric = TRUE)``: ``(values, vectors)``, values descending."""
    A = np.asarray(A, dtype=float)
    w, v, _, _, info = lapack.dsyevr(A, compute_v=1, range="A", lower=1, abstol=0.0)
    if info != 0:
        raise ValueError(f"LAPACK dsyevr failed (info={info})")
    return w[::-1], v[:, ::-1]


def r_qr_R(X: np.ndarray) -> np.ndarray:
    """Upper triangular factor of R's ``qr(X)`` (Householder with ``R_ii = -sign(x_ii) ||x||``,
    the convention LINPACK's ``dqrdc2`` shares with LAPACK's ``dgeqrf``)."""
    qr, _, _, info = lapack.dgeqrf(np.asarray(X, dtype=float))
    if info != 0:
        raise ValueError(f"LAPACK dgeqrf failed (info={info})")
    p = X.shape[1]
    return np.triu(qr[:p, :p])


@dataclass
class NatParam:
    """Result of :func:`nat_param`: ``X`` (reparameterized model matrix), ``P`` (``X = X_in P``),
    ``D`` (the positive penalty diagonal) and ``rank``."""

    X: np.ndarray
    P: np.ndarray
    D: np.ndarray
    rank: int


def nat_param(X: np.ndarray, S: np.ndarray, rank: int | None = None, type: int = 0,
              unit_fnorm: bool = True) -> NatParam:
    """mgcv's ``nat.param`` for ``type`` 0, 1, 2 or 3 (see the module docstring)."""
    X = np.asarray(X, dtype=float)
    p = X.shape[1]
    if type in (2, 3):
        vals, V = r_eigen_symmetric(S)
        if rank is None or rank < 1 or rank > p:
            rank = int(np.sum(vals > vals.max() * TOL))
        E = np.ones(p)
        E[:rank] = np.sqrt(vals[:rank])
        XV = X @ V
        col_norm = np.sum(XV**2, axis=0) / E**2
        av_norm = np.mean(col_norm[:rank])
        E[rank:] = np.sqrt(col_norm[rank:] / av_norm)
        P = V / E
        Xn = XV / E
        if type == 3 and rank < p - 1:
            null = slice(rank, p)
            Xnull = Xn[:, null]
            Xcen = Xnull - Xnull.mean(axis=0)
            _, um = r_eigen_symmetric(Xcen.T @ Xcen)
            Xn[:, rank:] = (Xnull @ um)[:, ::-1]
            P[:, rank:] = (P[:, null] @ um)[:, ::-1]
        D = np.ones(rank)
        if unit_fnorm:
            scale = 1 / np.sqrt(np.mean(Xn[:, :rank] ** 2))
            Xn[:, :rank] *= scale
            P[:, :rank] *= scale
            D = np.full(rank, scale**2)
            if rank < p:
                scalef = 1 / np.sqrt(np.mean(Xn[:, rank:] ** 2))
                Xn[:, rank:] *= scalef
                P[:, rank:] *= scalef
        return NatParam(X=Xn, P=P, D=D, rank=rank)
    if type not in (0, 1):
        raise ValueError(f"nat_param: type {type} is not implemented (use 0, 1, 2 or 3)")
    R = r_qr_R(X)
    RSR = solve_triangular(R, solve_triangular(R, S.T, trans="T").T, trans="T")
    vals, V = r_eigen_symmetric(RSR)
    if rank is None or rank < 1 or rank > p:
        rank = int(np.sum(vals > vals.max() * TOL))
    P = solve_triangular(R, V)
    if type == 1:
        P = P / np.r_[np.sqrt(vals[:rank]), np.ones(p - rank)]
        D = np.ones(rank)
    else:
        D = vals[:rank].copy()
    Xn = X @ P
    if unit_fnorm:
        scale = 1 / np.sqrt(np.mean(Xn[:, :rank] ** 2))
        Xn[:, :rank] *= scale
        P[:, :rank] *= scale
        D = D * scale**2
        if rank < p:
            scalef = 1 / np.sqrt(np.mean(Xn[:, rank:] ** 2))
            Xn[:, rank:] *= scalef
            P[:, rank:] *= scalef
    return NatParam(X=Xn, P=P, D=D, rank=rank)
