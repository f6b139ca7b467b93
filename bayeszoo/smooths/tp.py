"""Thin plate regression splines of one covariate, ``s(x)`` / ``s(x, bs = "tp", k)``.

Re-implemented from mgcv's ``smooth.construct.tp.smooth.spec`` (``R/smooth.r``) and
``tprs_setup``/``predict_tprs`` (``src/tprs.c``) for ``d = 1`` and mgcv's default ``m = 2``:

* the covariate is centred (``shift = mean(x)``); knots are the unique values, or, when there
  are more than ``max_knots`` (2000) of them, ``max_knots`` of them drawn without replacement
  (mgcv draws with R's RNG and ``xt$seed = 1``; here numpy's generator seeded with ``seed``, so
  for n > 2000 the knots are a different, equally valid, subsample);
* ``E_ij = eta(|x_i - x_j|)`` with ``eta(r) = r³/12`` (mgcv's ``eta_const(2, 1)``), ``T = [1, x]``;
* the ``k`` eigenvectors ``U`` of ``E`` with largest-magnitude eigenvalues ``v`` are kept
  (Lanczos iterations as in mgcv for more than 400 knots, else a dense eigendecomposition);
  the constraint ``T'U δ = 0`` is absorbed through an orthonormal null-space basis ``Z``; the
  basis is ``[eta(|x - knots|) U Z, 1, x]`` and the penalty ``Z' diag(v) Z`` (zero on ``1, x``);
* every column is scaled to unit root-mean-square on the data, as mgcv does.

What was checked against mgcv and how (the fixture holds ``cr`` output only): the construction
follows mgcv's C code step by step; ``tests/test_smooths.py`` checks that with ``k`` equal to the
number of unique values (no truncation) the basis spans every function of the data points and
its penalty, mapped to function values, equals the ``cr`` penalty ``∫ f''²`` with knots at the
data (the thin plate spline of one variable is the natural cubic spline: this pins down the
``eta`` constant and the constraint handling), and that the truncated basis contains the linear
functions and spans the same space after a round trip through new-data prediction. Column
space and projections are basis-invariant; individual columns (and hence ``S.scale``) depend on
the eigenvector signs and null-space basis LAPACK returns, so mgcv's ``sp`` for ``tp`` terms is
matched only up to that scaling.
"""

from __future__ import annotations

import numpy as np


def _eta(r: np.ndarray) -> np.ndarray:
    return np.abs(r) ** 3 / 12.0


class TPBasis:
    """Raw (unconstrained) 1-D thin plate regression spline basis (mgcv's ``tprs.smooth``)."""

    bs = "tp"

    def __init__(self, x, k: int = 10, seed: int = 1, max_knots: int = 2000):
        x = np.asarray(x, dtype=float).ravel()
        M = 2
        k = int(k)
        if k < M + 1:
            k = M + 1
        self.k = k
        self.shift = float(np.mean(x))
        xc = x - self.shift
        xu = np.unique(xc)
        if xu.size > max_knots:
            rng = np.random.default_rng(seed)
            xu = np.sort(rng.choice(xu, size=max_knots, replace=False))
        if xu.size < k:
            raise ValueError(f"has fewer unique covariate values ({xu.size}) than the basis "
                             f"dimension k={k}: reduce k")
        self.knots = xu
        E = _eta(xu[:, None] - xu[None, :])
        T = np.column_stack([np.ones_like(xu), xu])
        if xu.size == k:
            U = np.eye(k)
            v = None
        else:
            if xu.size > 400 and k < xu.size // 4:
                # Lanczos for the k largest-magnitude eigenpairs, as mgcv (seeded start vector)
                from scipy.sparse.linalg import eigsh

                v0 = np.random.default_rng(seed).standard_normal(xu.size)
                w, V = eigsh(E, k=k, which="LM", v0=v0, tol=0)
            else:
                w, V = np.linalg.eigh(E)
            idx = np.argsort(-np.abs(w), kind="stable")[:k]
            pos = sorted([i for i in idx if w[i] > 0], key=lambda i: -w[i])
            neg = sorted([i for i in idx if w[i] <= 0], key=lambda i: -w[i])
            idx = np.array(pos + neg)
            U = V[:, idx]
            v = w[idx]
        TU = T.T @ U  # M x k
        Q, _ = np.linalg.qr(TU.T, mode="complete")
        Z = Q[:, M:]  # k x (k-M), TU Z = 0
        self.UZ = U @ Z
        Sr = (E if v is None else np.diag(v))
        S = np.zeros((k, k))
        S[: k - M, : k - M] = Z.T @ Sr @ Z
        X = self._unscaled(xc)
        self.w = np.sqrt(np.mean(X**2, axis=0))
        self.S = (S / self.w[:, None]) / self.w[None, :]
        self.S = (self.S + self.S.T) / 2
        self.rank = k - M
        self.null_space_dim = M

    def _unscaled(self, xc: np.ndarray, chunk: int = 20000) -> np.ndarray:
        B = np.empty((xc.size, self.UZ.shape[1]))
        for i in range(0, xc.size, chunk):  # bounded memory: chunk × knots radial values
            B[i : i + chunk] = _eta(xc[i : i + chunk, None] - self.knots[None, :]) @ self.UZ
        return np.column_stack([B, np.ones_like(xc), xc])

    def predict(self, x) -> np.ndarray:
        xc = np.asarray(x, dtype=float).ravel() - self.shift
        return self._unscaled(xc) / self.w
