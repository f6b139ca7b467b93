"""Category-specific effects of the sequential and adjacent ordinal models, brms's ``cs(x)``
(``sratio``, ``cratio``, ``acat``): one coefficient of ``x`` per threshold, brms's ``bcs`` (a
``Kcs × nthres`` matrix in its Stan code).

The block's matrix is the covariate's column, its draws ``z`` (flat prior, shape ``K - 1``) are
the coefficients themselves and it has no scale parameter. Its contribution is not a term of
the linear predictor ``eta`` but brms's ``mucs = Xcs · bcs`` (rows × thresholds), which the
ordinal family subtracts from each threshold (:mod:`bayeszoo.models.category_specific`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Structure


@dataclass(frozen=True)
class CategorySpecific(Structure):
    """The per-threshold coefficients of one ``cs()`` covariate: ``z`` itself."""

    kind: str = "category_specific"
    per_threshold = True

    def z_shape(self, block) -> tuple[int, ...]:
        return (len(block.labels),)

    def coefficients(self, scales, z, ops=None):
        """brms's ``bcs`` row of the covariate: the draws ``z`` (``(..., K - 1)``)."""
        return z


CATEGORY_SPECIFIC = CategorySpecific()
