"""lme4's correlated random effects: ``G`` levels of ``c`` coefficients, ``b_g ~ N(0, Σ)`` iid
over levels, ``Σ`` unstructured (``(1 + x | g)``; Bates et al. 2015, JSS 67(1)).

Column order (required of the block's model matrix): level-major, i.e. columns
``[g1:coef1, g1:coef2, ..., g1:coefc, g2:coef1, ...]``, so that the penalty is
``S = I_G ⊗ Ω`` with ``Ω = phi·Σ⁻¹`` the relative precision. ``Ω = L·L'`` with ``L`` lower
triangular; the parameters are ``L``'s entries in lme4's column-major lower-triangle order
(``L[1,1], L[2,1], ..., L[c,1], L[2,2], ...``) with each diagonal entry on the log scale, so
``log|S| = 2G·Σ_i psi_ii`` is linear and every ``psi`` gives a positive definite ``Ω``.
lme4's ``theta`` is the lower Cholesky factor of ``Ω⁻¹ = Σ/phi`` in the same order
(:meth:`CholeskyPrecision.lme4_theta`).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg


class CholeskyPrecision:
    """``G`` levels × ``c`` coefficients, level-major; ``labels`` name the ``c`` coefficients."""

    def __init__(self, n_levels: int, n_coef: int, labels: list[str] | None = None) -> None:
        if n_coef < 1 or n_levels < 1:
            raise ValueError("an unstructured block needs at least one level and one coefficient")
        self.n_levels = int(n_levels)
        self.c = int(n_coef)
        self.size = self.n_levels * self.c
        self.coef_labels = tuple(labels or [f"coef{i + 1}" for i in range(self.c)])
        self.index = [(i, j) for j in range(self.c) for i in range(j, self.c)]  # column-major
        self.n_params = len(self.index)
        self.param_labels = [f"log L[{i + 1},{j + 1}]" if i == j else f"L[{i + 1},{j + 1}]"
                             for i, j in self.index]

    # -- parameter maps -----------------------------------------------------------------------
    def factor(self, psi: np.ndarray) -> np.ndarray:
        L = np.zeros((self.c, self.c))
        for p, (i, j) in zip(psi, self.index, strict=True):
            L[i, j] = np.exp(p) if i == j else p
        return L

    def precision(self, psi: np.ndarray) -> np.ndarray:
        """``Ω = L·L'``: the relative precision of one level's coefficients."""
        L = self.factor(psi)
        return L @ L.T

    def dfactor(self, psi: np.ndarray) -> list[np.ndarray]:
        out = []
        for p, (i, j) in zip(psi, self.index, strict=True):
            E = np.zeros((self.c, self.c))
            E[i, j] = np.exp(p) if i == j else 1.0
            out.append(E)
        return out

    def lme4_covariance(self, psi: np.ndarray, scale: float) -> np.ndarray:
        """``Σ = scale · Ω⁻¹``: the covariance of one level's coefficients (lme4's
        ``VarCorr``)."""
        return scale * linalg.inv(self.precision(psi))

    def lme4_theta(self, psi: np.ndarray) -> np.ndarray:
        """lme4's ``theta``: ``Λ`` lower triangular with ``Λ·Λ' = Ω⁻¹``, column-major."""
        Lam = linalg.cholesky(linalg.inv(self.precision(psi)), lower=True)
        return np.array([Lam[i, j] for i, j in self.index])

    def params_from_covariance(self, Sigma_over_scale: np.ndarray) -> np.ndarray:
        L = linalg.cholesky(linalg.inv(Sigma_over_scale), lower=True)
        return np.array([np.log(L[i, j]) if i == j else L[i, j] for i, j in self.index])

    # -- protocol -------------------------------------------------------------------------------
    def start(self, gram_diag: np.ndarray) -> np.ndarray:
        per_coef = np.asarray(gram_diag, dtype=float).reshape(self.n_levels, self.c).mean(axis=0)
        return np.array([0.5 * np.log(max(per_coef[i], 1e-8)) if i == j else 0.0
                         for i, j in self.index])

    def bounds(self, psi0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        diag = np.array([i == j for i, j in self.index])
        lo = np.where(diag, psi0 - 12.5, -np.inf)
        hi = np.where(diag, psi0 + 12.5, np.inf)
        return lo, hi

    def _apply(self, Om: np.ndarray, M: np.ndarray) -> np.ndarray:
        """``(I_G ⊗ Om) M``: ``Om`` times each level's rows."""
        return np.matmul(Om, M.reshape(self.n_levels, self.c, -1)).reshape(M.shape)

    def add_penalty(self, A: np.ndarray, sl: slice, psi: np.ndarray) -> None:
        G, c = self.n_levels, self.c
        block = A[sl, sl].reshape(G, c, G, c)
        idx = np.arange(G)
        block[idx, :, idx, :] += self.precision(psi)
        A[sl, sl] = block.reshape(G * c, G * c)

    def times(self, psi: np.ndarray, M: np.ndarray) -> np.ndarray:
        return self._apply(self.precision(psi), M)

    def _d_precision(self, psi: np.ndarray) -> list[np.ndarray]:
        L = self.factor(psi)
        return [dL @ L.T + L @ dL.T for dL in self.dfactor(psi)]

    def d_times(self, psi: np.ndarray, M: np.ndarray) -> list[np.ndarray]:
        return [self._apply(D, M) for D in self._d_precision(psi)]

    def _d2_precision(self, psi: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        L = self.factor(psi)
        dL = self.dfactor(psi)
        out = {}
        for k in range(self.n_params):
            for m in range(k, self.n_params):
                D = dL[k] @ dL[m].T + dL[m] @ dL[k].T
                if k == m and self.index[k][0] == self.index[k][1]:  # d²L/dpsi² = dL (log diag)
                    D = D + dL[k] @ L.T + L @ dL[k].T
                if np.any(D):
                    out[(k, m)] = D
        return out

    def d2_times(self, psi: np.ndarray, M: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        return {km: self._apply(D, M) for km, D in self._d2_precision(psi).items()}

    def _level_sum(self, A: np.ndarray) -> np.ndarray:
        """``Σ_g A_gg``: the sum of the ``c × c`` diagonal blocks."""
        G, c = self.n_levels, self.c
        idx = np.arange(G)
        return A.reshape(G, c, G, c)[idx, :, idx, :].sum(axis=0)

    def trace_d(self, psi: np.ndarray, A: np.ndarray) -> np.ndarray:
        B = self._level_sum(A)
        return np.array([float(np.vdot(D, B)) for D in self._d_precision(psi)])

    def trace_d2(self, psi: np.ndarray, A: np.ndarray) -> dict[tuple[int, int], float]:
        B = self._level_sum(A)
        return {km: float(np.vdot(D, B)) for km, D in self._d2_precision(psi).items()}

    def log_det(self, psi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        diag = np.array([i == j for i, j in self.index], dtype=float)
        value = 2.0 * self.n_levels * float(np.sum(np.asarray(psi) * diag))
        return value, 2.0 * self.n_levels * diag, np.zeros((self.n_params, self.n_params))

    def smoothing_parameters(self, psi: np.ndarray) -> np.ndarray:
        return np.zeros(0)
