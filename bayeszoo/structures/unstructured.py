"""The unstructured block: correlated varying coefficients ``(1 + x | g)``.

Each of the ``G`` levels of a grouping factor has ``k`` coefficients (an intercept and slopes)
drawn from ``Normal(0, Σ)``, ``Σ = diag(sd)·Ω·diag(sd)`` with ``Ω = L·Lᵀ`` a correlation matrix
and ``L`` its lower Cholesky factor. Non-centered as brms writes it (its Stan function
``scale_r_cor``: ``r = (diag(sd)·L·z)ᵀ``), here with ``z ~ Normal(0, I)`` of shape ``(G, k)``:

    r = z·(diag(sd)·L)ᵀ,   i.e.  r[g, i] = sd_i · Σ_j L[i, j]·z[g, j].

The coefficients are level-major (``r[g]`` the ``k`` coefficients of level ``g``), matching the
block's dense ``Z`` (:attr:`bayeszoo.design.Block.Z`) and lme4's column order within a term
(Bates et al. 2015, "Fitting linear mixed-effects models using lme4", JSS 67(1), section 2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Structure


@dataclass(frozen=True)
class Unstructured(Structure):
    """``coefs``: the varying coefficients of each level (brms's names: ``Intercept``,
    ``Days``), in the order of the block's weight columns."""

    coefs: tuple[str, ...]
    kind: str = "unstructured"
    #: each level's coefficients are correlated (the Cholesky factor ``L_g``)
    correlates_coefficients = True

    def z_shape(self, block) -> tuple[int, ...]:
        return (len(block.labels), len(self.coefs))

    def level_coefficients(self, block) -> tuple[str, ...]:
        """The varying coefficients of each level: :attr:`coefs`."""
        return self.coefs

    def coefficients(self, scales, z, ops):
        """``z·(diag(sd)·L)ᵀ``: ``scales`` are the ``k`` standard deviations (in the order of
        ``coefs``) and then ``L`` (``k × k``); leading batch dimensions of every input (chains,
        draws) broadcast. Written as ``k`` broadcast products, not a matrix product: XLA's
        CPU matrix product of a ``G × 2`` by a ``2 × 2`` matrix costs three times as much in a
        gradient (radon's 85 counties: 13 µs against 4 µs)."""
        sd = ops.stack(list(scales[:-1]), axis=-1)
        M = scales[-1] * sd[..., :, None]
        return sum(z[..., :, j][..., None] * M[..., None, :, j] for j in range(len(self.coefs)))

