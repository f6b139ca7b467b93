"""Penalty structures of a coefficient block: the prior ``b ~ N(0, phi·S(psi)⁻¹)`` written as
the penalty ``b'S(psi)b / phi`` (mgcv's convention: ``phi`` the scale, 1 for known-scale
families).

A structure owns its outer parameters ``psi`` and exposes what the REML engine needs
(:class:`Structure`, a protocol): the penalty added into the penalized Hessian, products of its
first and second derivatives with matrices (traces and implicit derivatives are formed from
them), and ``log|S|`` with its gradient and Hessian. Each structure is one module:

* :class:`Iid` (``iid.py``): ``S = exp(rho)·I``, one smoothing parameter (random intercepts,
  ``smooth2random``'s penalized part of a smooth, each part of an ``||`` term); the fast path;
* :class:`MultiPenalty` (``multi.py``): ``S = Σ_k exp(rho_k)·S_k`` on one block (``te``/``ti``
  after the joint null space is moved to the fixed effects by :func:`split_null_space`);
* :class:`Unstructured` (``unstructured.py``): lme4's correlated random effects, ``G`` levels of
  ``c`` coefficients in level-major column order, ``S = I_G ⊗ L·L'`` with ``L`` lower triangular
  (the relative precision's Cholesky factor, log diagonal).
"""

from __future__ import annotations

from .iid import Iid
from .multi import MultiPenalty, RangeSpaceSplit, split_null_space
from .protocol import Structure
from .unstructured import Unstructured

__all__ = ["Iid", "MultiPenalty", "RangeSpaceSplit", "Structure", "Unstructured",
           "split_null_space"]
