"""A block with several penalties: ``r ~ Normal(0, (Σ_k S_k / sds_k²)⁻¹)``.

mgcv's tensor products ``te()`` and ``ti()`` penalize one coefficient block with one matrix per
margin, ``λ_1 S_1 + λ_2 S_2`` (Wood 2006, Biometrics 62:1025-1036); the sum cannot be made the
identity for every ``λ`` by one fixed change of basis, so the block cannot be split into iid
pieces as ``t2`` (and brms) do. On the penalized space (the formula layer moves the summed
penalty's null space into the fixed columns) the prior that REML's penalty implies is Gaussian
with precision ``P = Σ_k S_k / sds_k²`` (mgcv's ``sp_k = scale / sds_k²``). It is sampled
non-centered, ``r = C z`` with ``C Cᵀ = P⁻¹`` and ``z ~ Normal(0, I)``:

* two penalties (``te(x, z)``, ``ti(x, z)``: the common case): ``S_1`` and ``S_2`` are
  diagonalized together once, when the block is built (:func:`joint_diagonalization`:
  ``Wᵀ S_1 W = diag(a)``, ``Wᵀ S_2 W = diag(1 - a)``), so that
  ``P = W⁻ᵀ diag(a / sds_1² + (1 - a) / sds_2²) W⁻¹`` for every ``sds`` and
  ``r = W (z / sqrt(a / sds_1² + (1 - a) / sds_2²))``: one ``q × q`` matrix-vector product per
  evaluation, ``O(q²)``, like a dense iid block. In this basis the block can also be sampled
  centered, ``u ~ Normal(0, 1 / sqrt(a / sds_1² + (1 - a) / sds_2²))`` and ``r = W u``
  (``parameterization="centered"``), which suits a te smooth the data inform well (airquality:
  no divergences where the non-centered form has a few per thousand draws);
* three or more penalties (``te(x, z, w)``): the Cholesky factor ``L Lᵀ = P`` and
  ``r = L⁻ᵀ z`` (:func:`cholesky_coefficients`): ``O(q³/3)`` for the factor and ``O(q²)`` for
  the triangular solve per evaluation, and a small multiple of that for the gradient.

Measured per gradient of the log density on airquality (``benchmarks/bench_smooths2.py``,
``benchmarks/RESULTS.md``): in the joint basis a te block costs what t2's iid blocks of the same
size cost, in NumPyro and PyMC; the Cholesky path about 1.5× that at 21 coefficients and 7-9× at
96 (0.7 ms against 0.08 ms).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import Structure


def joint_diagonalization(S1: np.ndarray, S2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(W, a)`` with ``Wᵀ S_1 W = diag(a)`` and ``Wᵀ S_2 W = diag(1 - a)``, ``0 ≤ a ≤ 1``.

    With ``L Lᵀ = S_1 + S_2`` (positive definite) and ``U diag(a) Uᵀ`` the eigen-decomposition of
    ``L⁻¹ S_1 L⁻ᵀ``: ``W = L⁻ᵀ U`` (so ``Wᵀ (S_1 + S_2) W = I``).
    """
    from scipy.linalg import cholesky, eigh, solve_triangular

    L = cholesky(S1 + S2, lower=True)
    A = solve_triangular(L, solve_triangular(L, S1, lower=True).T, lower=True)
    a, U = eigh((A + A.T) / 2)
    W = solve_triangular(L.T, U, lower=False)
    return W, np.clip(a, 0.0, 1.0)


def cholesky_coefficients(penalties, scales, z, ops):
    """``L⁻ᵀ z`` with ``L Lᵀ = Σ_k S_k / sds_k²`` (leading batch dimensions broadcast with
    NumPy; JAX and PyTensor evaluate one draw at a time)."""
    precision = sum(S / (s[..., None, None] ** 2)
                    for S, s in zip(penalties, scales, strict=True))
    L = ops.cholesky(precision)
    return ops.solve_upper(L.swapaxes(-1, -2), z)


@dataclass(frozen=True, eq=False)
class MultiPenalty(Structure):
    """The block's penalty matrices ``S_k`` (``q × q`` each, symmetric, their sum positive
    definite) in the order of the block's scales (``sds_<label>_1``, ``sds_<label>_2``, ...).

    ``joint``: for two penalties, ``(W, a)`` of :func:`joint_diagonalization`; else ``None``.
    Raises ``ValueError`` for penalties of different or non-square shapes, or a sum that is not
    positive definite (a direction no penalty reaches belongs in the fixed columns).
    """

    penalties: tuple[np.ndarray, ...] = field(repr=False)
    kind: str = "multipenalty"
    joint: tuple[np.ndarray, np.ndarray] | None = field(init=False, repr=False, default=None)

    def __post_init__(self):
        pens = tuple(np.asarray(S, dtype=float) for S in self.penalties)
        q = pens[0].shape[0] if pens and pens[0].ndim == 2 else -1
        if len(pens) < 2 or any(S.shape != (q, q) for S in pens):
            raise ValueError(f"MultiPenalty needs two or more square penalty matrices of one "
                             f"size, got shapes {[S.shape for S in pens]}")
        total = sum(pens)
        if np.linalg.eigvalsh((total + total.T) / 2)[0] <= 1e-12 * np.abs(total).max():
            raise ValueError("the penalties' sum is singular: a direction of the block is not "
                             "penalized; move the sum's null space into the fixed columns")
        object.__setattr__(self, "penalties", pens)
        if len(pens) == 2:
            object.__setattr__(self, "joint", joint_diagonalization(*pens))

    def z_shape(self, block) -> tuple[int, ...]:
        return (int(self.penalties[0].shape[0]),)

    def coefficients(self, scales, z, ops):
        """``C z`` with ``C Cᵀ = (Σ_k S_k / sds_k²)⁻¹`` (NumPy, JAX or PyTensor; leading
        dimensions of the scales and ``z``, such as chains and draws, broadcast)."""
        if self.joint is None:
            return cholesky_coefficients(self.penalties, scales, z, ops)
        return self.from_centered(z * self.centered_scale(scales, ops))

    @property
    def can_center(self) -> bool:
        """Two penalties: the coefficients can be sampled centered in the joint basis."""
        return self.joint is not None

    def centered_scale(self, scales, ops):
        """Two penalties: the standard deviations ``1 / sqrt(a / sds_1² + (1 - a) / sds_2²)`` of
        the coefficients ``u`` in the joint basis (``r = W u``), the centered draws."""
        _, a = self.joint
        s1, s2 = scales
        return 1.0 / ops.sqrt(a / s1[..., None] ** 2 + (1.0 - a) / s2[..., None] ** 2)

    def from_centered(self, u):
        """Two penalties: ``r = W u``."""
        W, _ = self.joint
        return u @ W.T
