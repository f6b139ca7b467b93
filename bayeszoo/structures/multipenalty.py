"""A block with several penalties: ``r ~ Normal(0, (Σ_k S_k / sds_k²)⁻¹)``.

mgcv's tensor products ``te()`` and ``ti()`` penalize one coefficient block with one matrix per
margin, ``λ_1 S_1 + λ_2 S_2`` (Wood 2006, Biometrics 62:1025-1036); the sum cannot be
diagonalized for every ``λ`` at once, so the block cannot be split into iid pieces as ``t2``
(and brms) do. On the penalized space (the formula layer moves the summed penalty's null space
into the fixed columns) the prior that REML's penalty implies is Gaussian with precision
``P = Σ_k S_k / sds_k²`` (mgcv's ``sp_k = scale / sds_k²``). Non-centered:
``r = L⁻ᵀ z`` with ``L Lᵀ = P``, ``z ~ Normal(0, I)``: one Cholesky factor and one triangular
solve of the block's size ``q`` per evaluation (``O(q³/3 + q²)`` per gradient).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class MultiPenalty:
    """The block's penalty matrices ``S_k`` (``q × q`` each, their sum of full rank)."""

    penalties: tuple[np.ndarray, ...] = field(repr=False)
    kind: str = "multipenalty"

    def z_shape(self, block) -> tuple[int, ...]:
        return (int(self.penalties[0].shape[0]),)

    def coefficients(self, scales, z, ops):
        """``L⁻ᵀ z`` with ``L Lᵀ = Σ_k S_k / sds_k²`` (leading batch dimensions broadcast with
        NumPy; JAX and PyTensor evaluate one draw at a time)."""
        precision = sum(S / (s[..., None, None] ** 2)
                        for S, s in zip(self.penalties, scales, strict=True))
        L = ops.cholesky(precision)
        return ops.solve_upper(L.swapaxes(-1, -2), z)
