"""Block penalties of the REML engine: the prior ``b ~ N(0, phi·S(psi)⁻¹)`` of a coefficient
block written as the penalty ``b'S(psi)b / phi`` (mgcv's convention: ``phi`` the scale, 1 for
known-scale families).

A penalty owns its outer parameters ``psi`` and exposes what the REML engine needs
(:class:`Penalty`, a protocol): the penalty added into the penalized Hessian, products of its
first and second derivatives with matrices (traces and implicit derivatives are formed from
them), ``log|S|`` with its gradient and Hessian, and lme4's view of it (variance components
and ``theta``) where it has one. Each penalty is one module:

* :class:`ScaledIdentity` (``scaled_identity.py``): ``S = exp(rho)·I``, one smoothing parameter
  (random intercepts, ``smooth2random``'s penalized part of a smooth, each part of an ``||``
  term); the fast path;
* :class:`PenaltySum` (``penalty_sum.py``): ``S = Σ_k exp(rho_k)·S_k`` on one block
  (``te``/``ti`` after the joint null space is moved to the fixed effects by
  :func:`split_null_space`);
* :class:`CholeskyPrecision` (``cholesky_precision.py``): lme4's correlated random effects,
  ``G`` levels of ``c`` coefficients in level-major column order, ``S = I_G ⊗ L·L'`` with ``L``
  lower triangular (the relative precision's Cholesky factor, log diagonal).
"""

from __future__ import annotations

from .cholesky_precision import CholeskyPrecision
from .penalty_sum import PenaltySum, RangeSpaceSplit, split_null_space
from .protocol import Penalty
from .scaled_identity import ScaledIdentity

__all__ = ["CholeskyPrecision", "Penalty", "PenaltySum", "RangeSpaceSplit", "ScaledIdentity",
           "split_null_space"]
