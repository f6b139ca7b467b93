"""A monotonic effect of an ordinal predictor, brms's ``mo(x)`` (Bürkner & Charpentier 2020,
*Modelling monotonic effects of ordinal predictors in Bayesian regression models*, Br. J. Math.
Stat. Psychol. 73(3)).

For ``x`` in ``0..D`` the effect is ``bsp · D · Σ_{i ≤ x} ζ_i`` (brms's Stan function
``mo(simo, x)`` times ``bsp``): ``bsp`` the average difference between adjacent categories and
``ζ`` (``simo``) a simplex of ``D`` parts, the share of the total change ``D · bsp`` taken by
each step. The block's matrix holds the cumulative indicators ``M[n, i] = 1`` for ``i < x_n``,
its one scale parameter is ``bsp`` and its draws ``z`` are the simplex itself (a Dirichlet
prior, not standard normal), so that its coefficients ``r = D · bsp · ζ`` (the step sizes)
enter the linear predictor as ``M·r`` like any dense block's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import Structure


@dataclass(frozen=True)
class Monotonic(Structure):
    """The steps of a monotonic effect: ``D · bsp · ζ``."""

    kind: str = "monotonic"
    monotonic: ClassVar[bool] = True

    def z_shape(self, block) -> tuple[int, ...]:
        return (len(block.labels),)

    def coefficients(self, scales, z, ops=None):
        """``D · bsp · ζ`` from ``scales = [bsp]`` and the simplex ``z`` (``(..., D)``; NumPy,
        JAX or PyTensor arrays alike, leading dimensions broadcasting)."""
        return z.shape[-1] * scales[0][..., None] * z


MONOTONIC = Monotonic()
