"""The iid block: ``r_j = sd · z_j`` with ``z_j ~ Normal(0, 1)``.

A random intercept ``(1 | g)`` (lme4's diagonal relative covariance, brms's ``sd``) and a smooth
in mgcv's ``smooth2random`` form (identity penalty: ``sp = scale / sds²``, brms's ``sds``) both
have this structure. REML reads it as the penalty ``sp · I``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import Structure


@dataclass(frozen=True)
class Iid(Structure):
    """One standard deviation shared by every coefficient of the block."""

    kind: str = "iid"

    def z_shape(self, block) -> tuple[int, ...]:
        return (len(block.labels),)

    def coefficients(self, scales, z, ops=None):
        """``sd · z`` (NumPy, JAX or PyTensor arrays alike; leading dimensions of ``sd`` and
        ``z``, such as chains and draws, broadcast)."""
        return scales[0][..., None] * z

    #: the centered parameterization samples the coefficients as ``Normal(0, sd)``
    can_center = True
    #: a centered random intercept may be drawn around the intercept, ``Normal(b_0, sd)``
    centers_on_intercept = True
    #: independent ``Normal(0, sd)`` coefficients, integrable in closed form
    iid_normal = True

    def centered_scale(self, scales, ops=None):
        """The standard deviation of the centered coefficients: ``sd``."""
        return scales[0]

    def from_centered(self, u):
        """The block's coefficients from the centered draws: ``u`` itself."""
        return u


IID = Iid()
