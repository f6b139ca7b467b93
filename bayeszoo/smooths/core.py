"""Pieces of mgcv's ``smoothCon`` and ``smooth2random`` shared by every smooth term.

Re-implemented from mgcv 1.8-41's R sources (``smoothCon`` in ``R/smooth.r``,
``smooth2random.mgcv.smooth`` in ``R/gamm.r``):

* :func:`s_scale` (``smoothCon``, ``scale.penalty = TRUE``): ``maXX = ||X||_inf²`` (largest
  absolute row sum, squared), ``S.scale = ||S||_1 / maXX`` (largest absolute column sum); the
  penalty used from then on is ``S / S.scale``. Computed on the raw, unconstrained basis, before
  the constraint is absorbed, as mgcv does.
* :func:`constraint_null_space` (``absorb.cons``): the sum-to-zero constraint ``C = colMeans(X)``
  is absorbed with the Householder reflection ``H`` of R's ``qr(t(C))`` (LINPACK ``dqrdc2``):
  ``X_c = X H[, -1]``, ``S_c = H[-1, ] S H[, -1]``.
* :func:`mgcv_diagonal_eigen_order` (``smooth2random(type = 2)``): R's ``eigen()`` of the
  (exactly diagonal) penalty after ``diagonal.penalty``. LAPACK returns the eigenvectors of a
  diagonal matrix in the order a selection sort of the diagonal leaves them, and R reverses it;
  this order puts the penalized columns ``Zr`` in exactly mgcv's (and brms's ``Zs``) order.

Checked against mgcv 1.8-41 output (``shared/fixtures/mgcv_reference.json``, ``cr``, k = 20 on
``mcycle$times``; ``tests/test_smooths.py``): ``S.scale`` (2.58518965761), constrained ``X`` and
``S`` (5e-15), and through :mod:`bayeszoo.smooths.mixed` brms's ``Xs`` (2e-11) and ``Zs`` (up to
the sign of each column: LAPACK's eigenvector signs).
"""

from __future__ import annotations

import numpy as np


def s_scale(X: np.ndarray, S: np.ndarray) -> float:
    """mgcv's ``S.scale``: ``||S||_1 / ||X||_inf²``; the penalty in use is ``S / S.scale``."""
    maXX = np.max(np.sum(np.abs(X), axis=1)) ** 2
    return float(np.max(np.sum(np.abs(S), axis=0)) / maXX)


def constraint_null_space(C: np.ndarray) -> np.ndarray:
    """``Z`` (``k × k-1``) with ``C Z = 0``, as R's ``qr.qy(qr(t(C)), ...)[, -1]`` for one row.

    LINPACK's Householder reflection: ``u = C / (sign(C_1) ||C||)``, ``v = u + e_1``,
    ``H = I - v v' / v_1``; ``Z`` is ``H`` without its first column.
    """
    c = np.asarray(C, dtype=float).ravel()
    k = c.size
    nrm = np.linalg.norm(c)
    if nrm == 0:
        raise ValueError("the identifiability constraint is zero: the basis has no columns")
    sgn = 1.0 if c[0] >= 0 else -1.0
    v = c / (sgn * nrm)
    v[0] += 1.0
    H = np.eye(k) - np.outer(v, v) / v[0]
    return H[:, 1:]


def mgcv_diagonal_eigen_order(d: np.ndarray) -> np.ndarray:
    """The column order in which R's ``eigen(diag(d), symmetric = TRUE)`` returns unit vectors.

    LAPACK (``dsyevr``/``dstemr``) leaves the eigenvalues of a diagonal matrix in place and then
    sorts them ascending by selection sort with swaps (strict ``<``); R reverses to descending.
    """
    d = np.asarray(d, dtype=float)
    order = list(range(d.size))
    w = list(d)
    for j in range(len(w) - 1):
        i = -1
        tmp = w[j]
        for jj in range(j + 1, len(w)):
            if w[jj] < tmp:
                i = jj
                tmp = w[jj]
        if i >= 0:
            w[i], w[j] = w[j], w[i]
            order[i], order[j] = order[j], order[i]
    return np.array(order[::-1], dtype=int)
