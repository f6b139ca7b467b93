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
* :class:`~bayeszoo.structures.network.Network`: a neural network of the block's inputs, whose
  contribution to the linear predictor is the network's output rather than ``Z·r``.
* :class:`~bayeszoo.structures.monotonic.Monotonic`: brms's monotonic effect ``mo(x)``, steps
  ``D · bsp · ζ`` of a simplex ``ζ`` (its draws, with a Dirichlet prior) over cumulative
  indicator columns.

Every structure subclasses :class:`~bayeszoo.structures.base.Structure`, which says what a
structure must give (``kind``, ``z_shape(block)``, ``coefficients(scales, z, ops)``) and holds
the defaults of what it may give (centered sampling, predictive coefficients, named
coefficients per level, a contribution of its own), and is registered in :data:`STRUCTURES`
by its ``kind``. A new structure (several penalties on one block, an unstructured covariance,
a spectral density) is a new module here with a subclass of it and one more entry there; the
formula layer names its scale parameters (:class:`bayeszoo.design.ScaleParam`).
"""

from __future__ import annotations

from .base import Structure
from .category_specific import CATEGORY_SPECIFIC, CategorySpecific
from .exact_gp import ExactGp
from .iid import IID, Iid
from .monotonic import MONOTONIC, Monotonic
from .multipenalty import MultiPenalty, cholesky_coefficients
from .network import Network
from .spectral import HilbertSpaceGp
from .unstructured import Unstructured

__all__ = ["CATEGORY_SPECIFIC", "IID", "MONOTONIC", "STRUCTURES", "CategorySpecific", "ExactGp",
           "HilbertSpaceGp", "Iid", "Monotonic", "MultiPenalty", "Network", "Structure",
           "Unstructured", "cholesky_coefficients"]

#: Every block structure by its ``kind``.
STRUCTURES: dict[str, type[Structure]] = {cls.kind: cls for cls in (
    Iid, MultiPenalty, Unstructured, HilbertSpaceGp, ExactGp, Network, Monotonic,
    CategorySpecific)}
