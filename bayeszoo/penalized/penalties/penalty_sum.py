"""``S = Σ_k exp(rho_k)·S_k`` on one block: several smoothing parameters (mgcv's ``te``/``ti``
tensor products, ``S_1 ⊗ I`` and ``I ⊗ S_2`` after the constraint).

The block must be the penalized range space: ``Σ_k S_k`` positive definite (the joint null space
of a tensor product goes to the fixed effects, as ``smooth2random`` does for one penalty).
``log|S|`` is taken from a Cholesky factor of the Jacobi-scaled sum, which keeps it accurate
while the ``sp`` differ by many orders of magnitude (the similarity transform of Wood 2011,
Appendix B, is the more general remedy, needed only when the ``S_k`` overlap badly).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg


@dataclass(frozen=True)
class RangeSpaceSplit:
    """A multi-penalty basis split as the engine takes it (see :func:`split_null_space`).

    ``fixed`` (``n × m``) goes to the fixed effects, ``random`` (``n × r``) is the block and
    ``penalties`` its ``r × r`` penalties; ``U_fixed``/``U_random`` are the orthonormal bases
    with ``fixed = X U_fixed`` and ``random = X U_random``, so that coefficients map back to
    the basis of ``X`` as ``U_fixed b_f + U_random b_r``. Being orthonormal, they leave the
    REML criterion unchanged (no ``reml_offset``).
    """

    fixed: np.ndarray
    random: np.ndarray
    penalties: list[np.ndarray]
    U_fixed: np.ndarray
    U_random: np.ndarray


def split_null_space(X: np.ndarray, penalties: list[np.ndarray],
                     tol: float = 1e-9) -> RangeSpaceSplit:
    """Split a basis ``X`` with penalties ``S_k`` (mgcv's ``te``/``ti`` after ``absorb.cons``)
    into the joint null space of ``Σ_k S_k / ||S_k||`` (unpenalized: the fixed effects) and its
    range space (the :class:`PenaltySum` block), as ``smooth2random`` does for one penalty.
    Eigenvalues below ``tol`` times the largest count as zero."""
    mats = [np.asarray(S, dtype=float) for S in penalties]
    total = sum(S / np.linalg.norm(S) for S in mats)
    vals, vecs = np.linalg.eigh((total + total.T) / 2)
    keep = vals > tol * vals.max()
    Ur, Uf = vecs[:, keep], vecs[:, ~keep]
    Xa = np.asarray(X, dtype=float)
    return RangeSpaceSplit(fixed=Xa @ Uf, random=Xa @ Ur,
                           penalties=[(Ur.T @ S @ Ur + (Ur.T @ S @ Ur).T) / 2 for S in mats],
                           U_fixed=Uf, U_random=Ur)


class PenaltySum:
    """Penalties ``S_k`` (each ``q × q``, symmetric, positive semi-definite); a smooth's, with
    no lme4 variance components (``coef_labels``, :meth:`lme4_covariance` and
    :meth:`lme4_theta` say so with ``None``)."""

    coef_labels = None

    def __init__(self, penalties: list[np.ndarray], labels: list[str] | None = None) -> None:
        mats = [np.asarray(S, dtype=float) for S in penalties]
        if not mats:
            raise ValueError("a multi-penalty block needs at least one penalty matrix")
        q = mats[0].shape[0]
        for k, S in enumerate(mats):
            if S.shape != (q, q) or not np.allclose(S, S.T, atol=1e-10 * np.abs(S).max()):
                raise ValueError(f"penalty {k + 1} of a multi-penalty block is not a symmetric "
                                 f"{q} x {q} matrix")
        total = sum(mats)
        try:
            linalg.cholesky(total / np.sqrt(np.outer(np.diag(total), np.diag(total))),
                            lower=False)
        except (linalg.LinAlgError, FloatingPointError, ValueError):
            raise ValueError("the penalties of a multi-penalty block must have a positive "
                             "definite sum: move the joint null space to the fixed "
                             "effects") from None
        self.penalties = mats
        self.size = q
        self.n_params = len(mats)
        self.param_labels = labels or [f"log_sp_{k + 1}" for k in range(len(mats))]

    def start(self, gram_diag: np.ndarray) -> np.ndarray:
        g = max(float(np.mean(gram_diag)), 1e-8)
        return np.array([np.log(g / max(float(np.mean(np.diag(S))), 1e-300))
                         for S in self.penalties])

    def bounds(self, psi0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return psi0 - 25.0, psi0 + 25.0

    def matrix(self, psi: np.ndarray) -> np.ndarray:
        return sum(np.exp(p) * S for p, S in zip(psi, self.penalties, strict=True))

    def add_penalty(self, A: np.ndarray, sl: slice, psi: np.ndarray) -> None:
        A[sl, sl] += self.matrix(psi)

    def times(self, psi: np.ndarray, M: np.ndarray) -> np.ndarray:
        return self.matrix(psi) @ M

    def d_times(self, psi: np.ndarray, M: np.ndarray) -> list[np.ndarray]:
        return [np.exp(p) * (S @ M) for p, S in zip(psi, self.penalties, strict=True)]

    def d2_times(self, psi: np.ndarray, M: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        return {(k, k): v for k, v in enumerate(self.d_times(psi, M))}

    def trace_d(self, psi: np.ndarray, A: np.ndarray) -> np.ndarray:
        return np.array([np.exp(p) * float(np.vdot(S, A))
                         for p, S in zip(psi, self.penalties, strict=True)])

    def trace_d2(self, psi: np.ndarray, A: np.ndarray) -> dict[tuple[int, int], float]:
        return {(k, k): float(v) for k, v in enumerate(self.trace_d(psi, A))}

    def log_det(self, psi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        S = self.matrix(psi)
        d = 1.0 / np.sqrt(np.diag(S))
        R = linalg.cholesky(S * np.outer(d, d), lower=False)
        value = 2.0 * float(np.sum(np.log(np.diag(R)))) - 2.0 * float(np.sum(np.log(d)))
        Rinv = linalg.solve_triangular(R, np.eye(self.size), lower=False)
        Sinv_half = d[:, None] * Rinv  # S⁻¹ = Sinv_half · Sinv_half'
        M = [np.exp(p) * (Sinv_half.T @ Sk @ Sinv_half)
             for p, Sk in zip(psi, self.penalties, strict=True)]
        grad = np.array([np.trace(m) for m in M])
        hess = np.diag(grad) - np.array([[np.sum(a * b.T) for b in M] for a in M])
        return value, grad, hess

    def smoothing_parameters(self, psi: np.ndarray) -> np.ndarray:
        return np.exp(np.asarray(psi, dtype=float))

    def lme4_covariance(self, psi: np.ndarray, scale: float) -> None:
        return None

    def lme4_theta(self, psi: np.ndarray) -> None:
        return None
