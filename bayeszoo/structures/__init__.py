"""Prior structures of coefficient blocks: how a block's coefficients are tied together.

Every block of the design is ``r = f(scales, z)``, ``z ~ Normal(0, I)``: the structure says
which scale parameters the block has (their brms class: ``sd``, ``sds``, ...) and how they turn
standard-normal draws into coefficients. The Bayesian backends sample ``z`` and the scales
(non-centered); the REML engine reads the same structure as a penalty on the coefficients.

* :class:`~bayeszoo.structures.iid.Iid`: one standard deviation, identity penalty (a random
  intercept or slope, a smooth after mgcv's ``smooth2random``): the common, fast case.
* :class:`~bayeszoo.structures.multipenalty.MultiPenalty`: several penalty matrices on one
  block (``te``, ``ti``), one ``sds`` each: ``r ~ Normal(0, (Σ_k S_k / sds_k²)⁻¹)``.
* :class:`~bayeszoo.structures.unstructured.Unstructured`: ``k`` correlated coefficients per
  level (``(1 + x | g)``), one ``sd`` each and the Cholesky factor of their correlation matrix.
* :class:`~bayeszoo.structures.spectral.HilbertSpaceGp`: brms's approximate Gaussian process
  ``gp(x, k=, c=)``, coefficients scaled by the kernel's spectral density (``sdgp``,
  ``lscale``).
* :class:`~bayeszoo.structures.exact_gp.ExactGp`: brms's exact Gaussian process ``gp(x)``, the
  kernel matrix's Cholesky factor per draw; on new points it also draws the conditional
  (``predictive_coefficients``, which a structure may offer when its coefficients on a
  prediction design are not those of the fit).

A new structure (several penalties on one block, an unstructured covariance, a spectral
density) is a new module here with the same three members: ``kind``, ``z_shape(block)`` (the
shape of the standard-normal draws) and ``coefficients(scales, z, ops)`` (the block's scale
parameters, in the order of ``Block.names.scales``, and ``z`` to coefficients, with leading
batch dimensions broadcasting; ``ops`` the array backend's :mod:`bayeszoo.families.ops`); the
formula layer names the scale parameters (:class:`bayeszoo.design.ScaleParam`). A structure that
can also be sampled centered (``parameterization="centered"``) says so with ``can_center`` and
has ``centered_scale(scales, ops)`` (the standard deviations of the centered draws ``u``) and
``from_centered(u)`` (the coefficients); the others are refused before anything compiles.
"""

from __future__ import annotations

from .exact_gp import ExactGp
from .iid import IID, Iid
from .multipenalty import MultiPenalty
from .spectral import HilbertSpaceGp
from .unstructured import Unstructured

__all__ = ["IID", "ExactGp", "HilbertSpaceGp", "Iid", "MultiPenalty", "Unstructured"]
