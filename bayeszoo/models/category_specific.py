"""brms's ``mucs`` of the sequential and adjacent ordinal models: the contribution of the
category-specific effects ``cs(x)`` (:mod:`bayeszoo.formula.cs_terms`), one column per
threshold, ``mucs = Xcs · bcs`` (``stan_cs`` in brms 2.18's ``R/stan-predictor.R``).

Their blocks stay out of the linear predictor ``eta``; :func:`split_category_specific` takes
them out of a predictor's arrays and coefficients and sums their contribution, which the
ordinal family receives as ``aux["mucs"]`` (rows × thresholds) and subtracts from the
thresholds (:meth:`bayeszoo.families.ordinal.Ordinal.log_probs`). The values may be NumPy,
JAX or PyTensor arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bayeszoo.design import DesignArrays

__all__ = ["has_category_specific", "is_category_specific", "split_category_specific"]


def is_category_specific(structure: Any) -> bool:
    """Whether a block of ``structure`` holds category-specific coefficients."""
    return structure.per_threshold


def has_category_specific(spec: Any) -> bool:
    """Whether the model ``spec`` (a :class:`~bayeszoo.models.spec.ModelSpec`) has ``cs()``
    terms."""
    return any(is_category_specific(bs.structure) for ps in spec.predictors for bs in ps.blocks)


def split_category_specific(arrays: DesignArrays, coefs: list, flags: Sequence[bool]
                            ) -> tuple[DesignArrays, list, Any]:
    """``arrays`` and ``coefs`` without the blocks flagged category-specific, and brms's
    ``mucs`` of those (``(..., n, K - 1)``: each block's column times its coefficients
    ``(..., K - 1)``), ``None`` when no block is flagged."""
    if not any(flags):
        return arrays, coefs, None
    mucs = 0.0
    for blk, r, flag in zip(arrays.blocks, coefs, flags, strict=True):
        if flag:
            mucs = mucs + blk.matrix[:, :1] * r[..., None, :]
    keep = [j for j, flag in enumerate(flags) if not flag]
    return (arrays._replace(blocks=tuple(arrays.blocks[j] for j in keep)),
            [coefs[j] for j in keep], mucs)
