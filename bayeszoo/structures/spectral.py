"""The Hilbert-space approximate Gaussian process: ``r = sqrt(spd(sqrt(λ); sdgp, lscale)) · z``.

Riutort-Mayol, Bürkner, Andersen, Solin & Vehtari (2022), "Practical Hilbert space approximate
Bayesian Gaussian processes for probabilistic programming", Statistics and Computing 33:17,
approximate a GP with the exponentiated-quadratic kernel on ``[-L, L]^D`` by ``k`` (``k^D`` in
``D`` dimensions) Laplacian eigenfunctions ``φ_m`` whose coefficients are independent normals with
variances given by the kernel's spectral density at the square roots of the eigenvalues:
``f(x) ≈ Σ_m φ_m(x) · sqrt(spd(sqrt(λ_m))) · z_m``. The formula layer builds the basis
(:mod:`bayeszoo.formula.gp_terms`, the block's dense matrix); this structure turns ``sdgp``,
``lscale`` and ``z`` into the coefficients, as brms's ``spd_cov_exp_quad`` (``R/formula-gp.R``,
Stan function of the same name in ``inst/chunks/fun_gaussian_process_approx.stan``):

    spd(ω) = sdgp² · (sqrt(2π) · lscale)^D · exp(-lscale² · |ω|² / 2)             (isotropic)
    spd(ω) = sdgp² · sqrt(2π)^D · Π_d lscale_d · exp(-Σ_d lscale_d² · ω_d² / 2)  (one per axis)

The square root is taken in closed form (``sdgp · (2π)^(D/4) · ... · exp(-lscale² |ω|² / 4)``),
so the coefficients of high frequencies underflow to zero smoothly instead of through the square
root of an underflowed density (whose gradient is infinite).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .base import Structure


@dataclass(frozen=True)
class HilbertSpaceGp(Structure):
    """``slambda``: the square roots of the eigenvalues, ``k^D × D`` (brms's ``slambda``);
    ``iso``: one length-scale for every axis (scales ``[sdgp, lscale]``) or one per axis
    (scales ``[sdgp, lscale_1, …, lscale_D]``)."""

    slambda: np.ndarray = field(repr=False)
    iso: bool = True
    kind: str = "hsgp"

    def z_shape(self, block) -> tuple[int, ...]:
        return (int(self.slambda.shape[0]),)

    def sqrt_spd(self, scales, ops):
        """``sqrt(spd(slambda_m))`` for every basis function ``m`` (leading batch dimensions of
        the scales broadcast)."""
        sdgp = scales[0][..., None]
        dim = self.slambda.shape[1]
        if self.iso:
            lscale = scales[1][..., None]
            freq2 = np.sum(self.slambda**2, axis=1)
            log_root = (ops.log(sdgp) + 0.25 * dim * math.log(2.0 * math.pi)
                        + 0.5 * dim * ops.log(lscale) - 0.25 * ops.square(lscale) * freq2)
            return ops.exp(log_root)
        log_root = ops.log(sdgp) + 0.25 * dim * math.log(2.0 * math.pi)
        for d in range(dim):
            lscale = scales[1 + d][..., None]
            log_root = (log_root + 0.5 * ops.log(lscale)
                        - 0.25 * ops.square(lscale) * self.slambda[:, d] ** 2)
        return ops.exp(log_root)

    def coefficients(self, scales, z, ops):
        """``sqrt(spd) · z`` (NumPy, JAX or PyTensor; leading dimensions broadcast)."""
        return self.sqrt_spd(scales, ops) * z
