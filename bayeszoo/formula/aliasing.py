"""Columns of the fixed design that mgcv's rank-deficient fit zeroes.

``gam.side`` (:mod:`bayeszoo.formula.side`) does not see every dependence between smooths: a
smooth with a numeric ``by`` variable (``s(wt, by = hp)``, whose null space holds ``hp``) is not
nested in ``s(hp)`` by name, yet with the intercept and ``s(hp)``'s linear column it spans the
same direction. mgcv fits such a model anyway: its pivoted QR finds the coefficient that is not
identifiable and sets it to zero (standard error 0). Here the column is deleted from the design
instead, for REML and the samplers alike, and recorded in the term states (``aliased``) so that
new data get the same columns; REML reports the coefficient as 0 (``RemlFit.mgcv_coef``), the
samplers have no parameter for it.

Which column: walking from the last column of ``X`` to the first, a column that adds no
direction to the ones after it is aliased. This is the coefficient mgcv zeroes when the aliased
direction is a coefficient of its basis (the intercept of ``s(hp) + s(wt, by = hp)`` and of
``hp + s(hp)``; of ``s(hp) + s(wt, by = hp) + s(qsec, by = hp)`` the intercept and
``s(wt):hp``'s constant-times-``hp`` column), and then the REML score is mgcv's too (its ``Mp``
counts the zeroed column: :class:`bayeszoo.penalized.problem.Predictor`). Fitted values and
edf do not depend on the choice among unpenalized columns; the REML score does, through
``log|X'X + S|``, when mgcv's zeroed direction mixes its coefficients (the null space of a
``cr`` smooth: ``s(hp, bs = "cr") + s(wt, bs = "cr", by = hp)`` scores 77.35 here, 77.78 in
mgcv, with the same fit). Only dependence that involves a smooth's unpenalized column is
resolved so: columns of the parametric part that duplicate each other (which mgcv zeroes too)
stay an error that names them (:func:`bayeszoo.penalized.checks.check_identifiable`),
since dropping one of the terms is the user's fix.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace

import numpy as np
from scipy import linalg

from bayeszoo.design import Block, Design, SmoothInfo

ALIAS_TOL = 1e-8  # distance of a unit-norm column from the span of the columns after it
INVOLVED_TOL = 1e-6  # weight of a column in that combination that counts as using it


def aliased_columns(d: Design) -> list[str]:
    """The columns of ``d.X`` to delete (in design order): each is, within ``ALIAS_TOL``, a
    combination of the columns after it, and that combination or the column itself belongs
    to a smooth's unpenalized part."""
    smooth_cols = {c for sm in d.smooths for c in sm.fixed_columns}
    if not smooth_cols:
        return []
    X = np.asarray(d.X, dtype=float)
    norms = np.sqrt(np.sum(X**2, axis=0))
    order = [j for j in reversed(range(X.shape[1])) if norms[j] > 0]
    if len(order) < 2:
        return []
    Xn = X[:, order] / norms[order]
    R = linalg.qr(Xn, mode="r", check_finite=False)[0]
    dist = np.abs(np.diag(R))
    out = []
    for pos in np.flatnonzero(dist[: min(R.shape)] < ALIAS_TOL):
        if pos == 0:
            continue
        comb = np.linalg.lstsq(Xn[:, :pos], Xn[:, pos], rcond=None)[0]
        using = {order[i] for i in np.flatnonzero(np.abs(comb) > INVOLVED_TOL)}
        if order[pos] in smooth_cols or using & smooth_cols:
            out.append(order[pos])
    return [d.column_names[j] for j in sorted(out)]


def warn_aliased(formula: str, aliased: dict[str | None, list[str]]) -> None:
    """A ``UserWarning`` naming the aliased columns of each linear predictor of ``formula``."""
    parts = [f"{cols}" + ("" if name is None else f" (of {name})")
             for name, cols in aliased.items() if cols]
    warnings.warn(f"{formula!r}: column(s) {', '.join(parts)} are linear combinations of later "
                  "columns, through a smooth's unpenalized part (a numeric by= smooth's null "
                  "space, or a parametric term that a smooth contains); as mgcv zeroes their "
                  "coefficients, they are left out of the design: REML reports them as 0 and "
                  "the samplers have no parameter for them", UserWarning, stacklevel=4)


def drop_aliased(X: np.ndarray, names: list[str], flags: list[bool],
                 smooths: list[SmoothInfo], blocks: list[Block], aliased: list[str],
                 ) -> tuple[np.ndarray, list[str], list[bool], list[SmoothInfo], list[Block]]:
    """``X``, its column names, smooth flags, the smooths' places and the blocks without the
    columns ``aliased``. A smooth that loses an unpenalized column loses it from its maps back
    to mgcv's coefficients too (that coefficient of the mixed-model form is zero), and its
    ``reml_offset`` (``-log|det(N' T_f)|``, :mod:`bayeszoo.smooths.mixed`) loses the lost
    column's share ``-log|c|``, ``c`` its largest entry in ``T_f``: exact when the column maps
    to one coefficient of mgcv's basis in the penalty null space (``c e_j``), as a thin plate
    spline's do, which is then the coefficient mgcv zeroes."""
    if not aliased:
        return X, names, flags, smooths, blocks
    gone = [names.index(c) for c in aliased]
    keep = [j for j in range(len(names)) if j not in gone]
    new_index = {j: i for i, j in enumerate(keep)}
    blocks = list(blocks)
    out = []
    for sm in smooths:
        lost = [k for k, c in enumerate(sm.fixed_columns) if c in gone]
        fixed = [new_index[c] for c in sm.fixed_columns if c not in gone]
        if not lost:
            out.append(replace(sm, fixed_columns=fixed))
            continue
        if sm.blocks and sm.coef_map is not None:
            share = sum(math.log(np.max(np.abs(sm.coef_map[:, k]))) for k in lost)
            first = blocks[sm.blocks[0]]
            blocks[sm.blocks[0]] = replace(first, reml_offset=first.reml_offset + share)
        out.append(replace(
            sm, fixed_columns=fixed,
            coef_map=None if sm.coef_map is None else np.delete(sm.coef_map, lost, axis=1),
            mgcv_coef_map=(None if sm.mgcv_coef_map is None
                           else np.delete(sm.mgcv_coef_map, lost, axis=1)),
            mgcv_intercept_shift=(None if sm.mgcv_intercept_shift is None
                                  else np.delete(sm.mgcv_intercept_shift, lost)),
            fixed_terms=[t for k, t in enumerate(sm.fixed_terms) if k not in lost]))
    return X[:, keep], [names[j] for j in keep], [flags[j] for j in keep], out, blocks
