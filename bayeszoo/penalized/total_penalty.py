"""The total penalty ``S(psi) = blockdiag_j S_j(psi_j)`` of a :class:`~.problem.Layout` and the
traces and quadratic forms the REML gradient and Hessian are made of.

``psi`` is the flat vector of every block's penalty parameters (``Layout.param_slices``).
``Ainv`` is an inverse ``A⁻¹`` (``P × P``, symmetric); only its blocks on the penalized
coefficients are read. With ``S_k = dS/dpsi_k`` and ``S_kl`` the second derivatives:

* ``traces(Ainv)``: ``tr(A⁻¹ S_k)`` for every ``k``;
* ``trace_pairs(Ainv)``: ``tr(A⁻¹ S_kl) - tr(A⁻¹ S_k A⁻¹ S_l)`` (the Hessian of ``log|A|``);
* ``quadratic(beta)``, ``quadratic_derivs(beta)``: ``beta'S beta``, ``beta'S_k beta`` and
  ``beta'S_kl beta``; ``gradient_vectors(beta)``: ``S_k beta`` (``P``-vectors);
* ``log_det()``: ``log|S|`` (every block's penalty is positive definite on its block) with its
  gradient and Hessian.

(Wood 2011, JRSSB 73:3-36, section 3 and appendix A: the same quantities for ``S = Σ sp_k S_k``.)
"""

from __future__ import annotations

import numpy as np

from .problem import Layout

__all__ = ["TotalPenalty"]


class TotalPenalty:
    """The penalty of ``layout`` at parameters ``psi``."""

    def __init__(self, layout: Layout, psi: np.ndarray) -> None:
        self.layout = layout
        self.psi = np.asarray(psi, dtype=float)
        self.blocks = layout.blocks
        self.slices = layout.block_slices
        self.pslices = layout.param_slices
        self._log_det: tuple[float, np.ndarray, np.ndarray] | None = None

    def block_psi(self, j: int) -> np.ndarray:
        return self.psi[self.pslices[j]]

    def add_to(self, A: np.ndarray) -> None:
        for j, b in enumerate(self.blocks):
            b.penalty.add_penalty(A, self.slices[j], self.block_psi(j))

    def diagonal(self) -> np.ndarray:
        """The diagonal of ``S`` (zeros on the fixed columns)."""
        out = np.zeros(self.layout.P)
        for j, b in enumerate(self.blocks):
            sl = self.slices[j]
            D = np.zeros((b.size, b.size))
            b.penalty.add_penalty(D, slice(0, b.size), self.block_psi(j))
            out[sl] = np.diag(D)
        return out

    def times(self, beta: np.ndarray) -> np.ndarray:
        """``S beta``."""
        out = np.zeros(self.layout.P)
        for j, b in enumerate(self.blocks):
            sl = self.slices[j]
            out[sl] = b.penalty.times(self.block_psi(j), beta[sl])
        return out

    def quadratic(self, beta: np.ndarray) -> float:
        return float(beta @ self.times(beta))

    def log_det(self) -> tuple[float, np.ndarray, np.ndarray]:
        if self._log_det is None:
            self._log_det = self._compute_log_det()
        return self._log_det

    def _compute_log_det(self) -> tuple[float, np.ndarray, np.ndarray]:
        m = self.layout.n_params
        value, grad, hess = 0.0, np.zeros(m), np.zeros((m, m))
        for j, b in enumerate(self.blocks):
            v, g, h = b.penalty.log_det(self.block_psi(j))
            ps = self.pslices[j]
            value += v
            grad[ps] = g
            hess[ps, ps] = h
        return value, grad, hess

    def gradient_vectors(self, beta: np.ndarray) -> np.ndarray:
        """``n_params × P``: row ``k`` is ``S_k beta``."""
        out = np.zeros((self.layout.n_params, self.layout.P))
        for j, b in enumerate(self.blocks):
            sl, ps = self.slices[j], self.pslices[j]
            for k, v in enumerate(b.penalty.d_times(self.block_psi(j), beta[sl])):
                out[ps.start + k, sl] = v
        return out

    def quadratic_derivs(self, beta: np.ndarray,
                         Sb: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(beta'S_k beta, beta'S_kl beta)``; ``Sb`` the ``gradient_vectors(beta)`` if known."""
        m = self.layout.n_params
        first = (self.gradient_vectors(beta) if Sb is None else Sb) @ beta
        second = np.zeros((m, m))
        for j, b in enumerate(self.blocks):
            sl, ps = self.slices[j], self.pslices[j]
            bj = beta[sl]
            for (k, l), v in b.penalty.d2_times(self.block_psi(j), bj).items():
                second[ps.start + k, ps.start + l] = second[ps.start + l, ps.start + k] = bj @ v
        return first, second

    def edf(self, Ainv: np.ndarray) -> np.ndarray:
        """Diagonal of ``A⁻¹(A - S) = I - A⁻¹S``: mgcv's per-coefficient edf when ``A`` is the
        penalized (Fisher) Hessian."""
        out = np.ones(self.layout.P)
        for j, b in enumerate(self.blocks):
            sl = self.slices[j]
            out[sl] -= b.penalty.times(self.block_psi(j), Ainv[sl, sl]).diagonal()
        return out

    def traces(self, Ainv: np.ndarray) -> np.ndarray:
        """``tr(A⁻¹ S_k)``."""
        out = np.zeros(self.layout.n_params)
        for j, b in enumerate(self.blocks):
            sl, ps = self.slices[j], self.pslices[j]
            out[ps] = b.penalty.trace_d(self.block_psi(j), Ainv[sl, sl])
        return out

    def trace_pairs(self, Ainv: np.ndarray) -> np.ndarray:
        """``tr(A⁻¹ S_kl) - tr(A⁻¹ S_k A⁻¹ S_l)`` for every pair of parameters."""
        m = self.layout.n_params
        out = np.zeros((m, m))
        for a, ba in enumerate(self.blocks):
            pa, sa = self.pslices[a], self.slices[a]
            for (k, l), t in ba.penalty.trace_d2(self.block_psi(a), Ainv[sa, sa]).items():
                out[pa.start + k, pa.start + l] += t
                if k != l:
                    out[pa.start + l, pa.start + k] += t
            for b in range(a, len(self.blocks)):
                pb, sb_ = self.pslices[b], self.slices[b]
                B = Ainv[sa, sb_]  # (A⁻¹)_ab
                SB = ba.penalty.d_times(self.block_psi(a), B)
                BS = [v.T for v in self.blocks[b].penalty.d_times(self.block_psi(b), B.T)]
                for k, sb in enumerate(SB):
                    for l, bs in enumerate(BS):
                        t = float(np.vdot(sb, bs))
                        out[pa.start + k, pb.start + l] -= t
                        if a != b:
                            out[pb.start + l, pa.start + k] -= t
        return out
