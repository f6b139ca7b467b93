"""mgcv-compatible smooth terms: ``s()`` with ``tp`` (any dimension), ``cr``, ``cc``, ``ps``,
``re`` and ``fs`` bases, ``by`` variables, and the tensor products ``te()``, ``ti()``, ``t2()``.

Term-level API (mgcv 1.8-41's ``smoothCon(absorb.cons = TRUE, scale.penalty = TRUE)`` followed
by the mixed-model split that brms and ``gamm`` use):

* :class:`SmoothSpec`: what the formula asks for (kind, variables, ``bs``, ``k``, ``fx``, ``by``,
  ``knots``, ``sp``, ``m``);
* :func:`fit_smooth` ``(spec, data, seed=1) -> SmoothTerm``: unpenalized columns ``Xf`` and
  penalized :class:`SmoothBlock` s (iid or with penalty matrices), brms and mgcv names,
  ``reml_offset``, the map back to mgcv's coefficients and a JSON-serializable ``state``;
* :func:`evaluate_smooth` ``(state, data) -> (Xf, [Z, ...])``: the same columns on new data
  from the state alone.

The first-wave :func:`smooth` (one-dimensional ``cr``/``tp``/``ps``/``re``, returning
:class:`Smooth`) is kept until the formula layer has moved to :func:`fit_smooth`.
"""

from __future__ import annotations

import numpy as np

from .core import (
    Smooth,
    constraint_null_space,
    mgcv_diagonal_eigen_order,
    nat_param_type2,
    s_scale,
    setup_smooth,
)
from .cr import CRBasis, cr_basis, cr_F_S, cr_knots
from .ps import PSBasis, ps_knots
from .re import REBasis
from .spec import SmoothSpec, check_k
from .term import SmoothBlock, SmoothTerm, evaluate_smooth, fit_smooth
from .tp import TPBasis

BASES = ("cr", "tp", "ps", "re")

__all__ = [
    "BASES",
    "CRBasis",
    "PSBasis",
    "REBasis",
    "Smooth",
    "SmoothBlock",
    "SmoothSpec",
    "SmoothTerm",
    "TPBasis",
    "constraint_null_space",
    "cr_F_S",
    "cr_basis",
    "cr_knots",
    "evaluate_smooth",
    "fit_smooth",
    "mgcv_diagonal_eigen_order",
    "nat_param_type2",
    "ps_knots",
    "s_scale",
    "setup_smooth",
    "smooth",
]


def smooth(x, bs: str = "tp", k: int = -1, fx: bool = False, *, variable: str = "x",
           term: str | None = None, levels=None, seed: int = 1, max_knots: int = 2000) -> Smooth:
    """One smooth term of covariate values ``x`` as mgcv sets it up.

    ``bs``: ``"cr"``, ``"tp"`` (mgcv's default), ``"ps"`` or ``"re"``; ``k`` the basis dimension
    (``-1``: mgcv's default, 10; for ``re`` the number of levels); ``fx=True`` an unpenalized
    (regression spline) term. For ``"re"`` ``x`` holds factor values and ``levels`` the levels
    in column order (default: sorted unique values). ``seed``/``max_knots``: ``tp``'s knot
    subsampling when there are more than ``max_knots`` unique values (mgcv's ``xt`` defaults).
    A ``k`` below the basis's minimum is raised to it with a warning (as mgcv does). Raises
    ``ValueError`` for an unknown ``bs``, ``k = 0`` or ``k < -1``, or ``k`` larger than the
    number of unique values.

    Superseded by :func:`fit_smooth` (term-level API with ``te``/``ti``/``t2``/``by``/``fs`` and
    a JSON state); kept until the formula layer has switched over.
    """
    term = term or f"s({variable})"
    if bs == "re":
        if levels is None:
            levels = sorted(set(x))
        raw = REBasis(levels, variable=variable)
        return setup_smooth(raw, list(x), term=term, variable=variable, bs=bs, fx=fx,
                            constrain=False, scale_penalty=False, reorder_random=False)
    x = np.asarray(x, dtype=float)
    k = check_k(-1 if k is None else k, term)
    if bs == "cr":
        raw = CRBasis(x, k, term=term)
    elif bs == "ps":
        raw = PSBasis(x, k, term=term)
    elif bs == "tp":
        raw = TPBasis(x, k, seed=seed, max_knots=max_knots, term=term)
    else:
        raise ValueError(f"{term}: unknown basis bs={bs!r}; supported: "
                         + ", ".join(repr(b) for b in BASES))
    return setup_smooth(raw, x, term=term, variable=variable, bs=bs, fx=fx)
