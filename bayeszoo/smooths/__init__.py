"""mgcv-compatible smooth terms: ``s()`` with ``tp`` (any dimension), ``cr``, ``cc``, ``ps``,
``re``, ``fs``, ``gp`` (Gaussian process), ``mrf`` (Markov random field over regions) and ``ad``
(adaptive, several smoothing parameters) bases, ``by`` variables, and the tensor products
``te()``, ``ti()``, ``t2()``.

Term-level API (mgcv 1.8-41's ``smoothCon(absorb.cons = TRUE, scale.penalty = TRUE)`` followed
by the mixed-model split that brms and ``gamm`` use):

* :class:`SmoothSpec`: what the formula asks for (kind, variables, ``bs``, ``k``, ``fx``, ``by``,
  ``knots``, ``sp``, ``m``, ``xt``: ``mrf``'s neighbours ``{"nb": {region: [neighbours]}}``);
* :func:`fit_smooth` ``(spec, data, seed=1) -> SmoothTerm``: unpenalized columns ``Xf`` and
  penalized :class:`SmoothBlock` s (iid or with penalty matrices), brms and mgcv names,
  ``reml_offset``, the map back to mgcv's coefficients and a JSON-serializable ``state``;
* :func:`smooth_con` ``(spec, data, seed=1)``: mgcv's ``smoothCon`` itself (raw basis,
  ``S.scale``, the absorbed constraint ``Z``), before the mixed-model split;
* :func:`evaluate_smooth` ``(state, data) -> (Xf, [Z, ...])``: the same columns on new data
  from the state alone; :func:`term_maps` ``(state)``: the maps back to mgcv's coefficients and
  the ``S.scale`` of each smoothing parameter; :func:`side_matrices` ``(state, data)``: mgcv's
  ``sm$X`` per smooth, which ``gam.side`` compares (``fit_smooth(..., side_drop=...)`` deletes
  the columns it names).

The steps live in their own modules: raw bases (:mod:`.cr`, :mod:`.cc`, :mod:`.ps`, :mod:`.tp`,
:mod:`.re`, :mod:`.gp`, :mod:`.mrf`, :mod:`.ad`; registered by ``bs`` in
:data:`.margins.BASIS_CLASSES` and bound to columns there, their protocol in
:mod:`.basis_input`; :mod:`.tensor`, :mod:`.fs`), ``smoothCon``
(:mod:`.construct`, with :mod:`.core`), the mixed-model split (:mod:`.natparam`, :mod:`.mixed`)
and the term (:mod:`.term`).
"""

from __future__ import annotations

from .ad import ADBasis
from .cc import CCBasis
from .construct import smooth_con
from .cr import CRBasis
from .gp import GPBasis
from .mrf import MRFBasis
from .ps import PSBasis
from .re import REBasis
from .spec import SmoothSpec
from .term import (
    SmoothBlock,
    SmoothTerm,
    TermMaps,
    evaluate_smooth,
    fit_smooth,
    side_matrices,
    term_maps,
)
from .tp import TPBasis

__all__ = [
    "ADBasis",
    "CCBasis",
    "CRBasis",
    "GPBasis",
    "MRFBasis",
    "PSBasis",
    "REBasis",
    "SmoothBlock",
    "SmoothSpec",
    "SmoothTerm",
    "TPBasis",
    "TermMaps",
    "evaluate_smooth",
    "fit_smooth",
    "side_matrices",
    "smooth_con",
    "term_maps",
]
