"""mgcv's ``gam.side``: side constraints that make smooths nested in others identifiable.

mgcv 1.8-41 (``R/mgcv.r``, called by ``gam.setup`` with ``tol = sqrt(eps)``) names each smooth's
variables ``vn`` (a ``by`` variable appended: ``s(wt, by = hp)`` reads ``wthp``, so it shares no
variable with ``s(hp)``; a factor ``by`` level appended too). When a variable is read by several
smooths (not ``bs = "re"`` or ``"fs"``, which mgcv never side-constrains), it works up through
the smooths' dimensions: for each smooth, the columns of the lower-dimensional (or earlier)
smooths that share one of its variables, with a column of ones when the parametric part spans
the intercept, form ``X1``, and ``fixDependence(X1, X)`` names the columns of the smooth's
``X`` to delete. Later smooths see the earlier ones without their deleted columns.

Dependence that ``gam.side`` leaves (a numeric ``by`` smooth against a smooth of the ``by``
variable) is left to the fit: see :mod:`bayeszoo.formula.aliasing`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import linalg

from .errors import FormulaError

if TYPE_CHECKING:
    from .smooth_terms import SmoothState

SIDE_TOL = np.finfo(float).eps ** 0.5
CONSTANT_TOL = np.finfo(float).eps ** 0.75


@dataclass
class SidePiece:
    """One of mgcv's smooths (``sm[[i]]``): its label, variable names ``vn``, dimension,
    number of columns, whether it may be side-constrained, its model matrix ``X`` (``sm$X``;
    only for those that may) and the columns deleted."""

    label: str
    vn: list[str]
    dim: int
    width: int
    constrain: bool
    X: np.ndarray | None = None
    deleted: list[int] = field(default_factory=list)


def fix_dependence(X1: np.ndarray, X2: np.ndarray, tol: float = SIDE_TOL) -> list[int]:
    """mgcv's ``fixDependence(X1, X2, tol)`` (non-strict): the columns (0-based, in the pivot
    order mgcv returns them) of ``X2`` to delete so that ``[X1, X2]`` has full column rank.
    Both QRs are LAPACK's column-pivoted ``dgeqp3``, as R's ``qr(..., LAPACK = TRUE)``. mgcv
    factors the last ``n - ncol(X1)`` rows of ``Q' X2``; the residual ``X2 - Q1 Q1' X2`` is
    that matrix times orthonormal columns, so it has the same ``R`` and pivots without the
    ``n × n`` ``Q``."""
    Q1, R1, _ = linalg.qr(X1, pivoting=True, mode="economic")
    r1 = abs(R1[0, 0])
    resid = X2 - Q1 @ (Q1.T @ X2)
    R, piv = linalg.qr(resid, mode="r", pivoting=True)
    rank = min(X1.shape[0] - X1.shape[1], X2.shape[1])
    R = R[:rank, :]
    top = rank
    while top > 0 and np.mean(np.abs(R[top - 1:rank, top - 1:rank])) < r1 * tol:
        top -= 1
    return [int(i) for i in piv[top:rank]]


def has_intercept(Xp: np.ndarray) -> bool:
    """``gam.side``'s test for an intercept (or equivalent) in the parametric matrix."""
    if Xp.shape[1] == 0:
        return False
    if np.any(np.std(Xp, axis=0, ddof=1) < CONSTANT_TOL):
        return True
    ones = np.ones(Xp.shape[0])
    fitted = Xp @ np.linalg.lstsq(Xp, ones, rcond=None)[0]
    return bool(np.max(np.abs(fitted - ones)) < CONSTANT_TOL)


def gam_side(pieces: list[SidePiece], Xp: np.ndarray, formula: str) -> None:
    """mgcv's ``gam.side(sm, Xp)`` without penalties, on pieces whose names repeat: sets
    ``deleted`` of each piece and drops those columns from its ``X``. mgcv uses
    penalty-augmented matrices when the model has more coefficients than rows; a nesting to
    resolve in that case raises, naming the formula and the term."""
    n = Xp.shape[0]
    with_pen = n < Xp.shape[1] + sum(p.width for p in pieces)
    max_dim = max(p.dim for p in pieces)
    if max_dim == 1:
        warnings.warn(f"{formula!r}: the model has repeated 1-d smooths of the same variable",
                      UserWarning, stacklevel=5)
    users: dict[str, list[int]] = {v: [] for p in pieces for v in p.vn}
    for d in range(1, max_dim + 1):
        for i, p in enumerate(pieces):
            if p.dim == d and p.constrain:
                for v in p.vn:
                    users[v].append(i)
    intercept = has_intercept(Xp)
    for d in range(1, max_dim + 1):
        for i, p in enumerate(pieces):
            if p.dim != d or not p.constrain:
                continue
            lower: list[int] = []
            for v in p.vn:
                b = users[v]
                lower += [j for j in b[: b.index(i)] if j not in lower]
            if not lower:
                continue
            if with_pen:
                raise FormulaError(f"{formula!r}: {p.label} shares covariates with earlier "
                                   "smooths, and the model has more coefficients than its "
                                   f"{n} rows; mgcv then sets side constraints with penalties, "
                                   "which is not supported: lower the smooths' k")
            X1 = np.column_stack([np.ones((n, int(intercept))),
                                  *(pieces[j].X for j in lower)])
            ind = fix_dependence(X1, p.X)
            if ind:
                p.deleted = ind
                p.X = np.delete(p.X, ind, axis=1)


def side_pieces(state: SmoothState) -> list[SidePiece]:
    """The smooths mgcv makes of one fitted smooth term ``state`` (one per factor ``by``
    level) with their ``gam.side`` names, without matrices."""
    if state.grouping is not None:
        return [SidePiece(state.label, list(state.grouping.variables), 1,
                          len(state.grouping.levels), constrain=False)]
    smooth = state.smooth
    variables, con = list(smooth["spec"]["variables"]), smooth["con"]
    by = con["by"]
    levels = by["levels"] if by is not None and by["kind"] == "factor" else [""]
    suffix = by["column"] if by is not None else ""
    width = len(smooth["term"]["coef_names"]) // len(levels)
    return [SidePiece(state.label, [f"{v}{suffix}{lev}" for v in variables],
                      len(variables), width, constrain=con["kind"] not in ("re", "fs"))
            for lev in levels]


def side_deletions(smooths: list[SmoothState], data, columns: dict[str, object],
                   Xp: np.ndarray, formula: str) -> dict[int, list[int]]:
    """The columns ``gam.side`` deletes from each of the fitted ``smooths`` (by position in
    ``smooths``; only those that lose columns). A term with a factor ``by`` loses the same
    columns from every level's smooth or raises, naming it. The smooths' matrices are
    evaluated only when some variable name repeats (mgcv's test for nesting). A smooth written
    twice is left to the design's duplicate-term error."""
    from bayeszoo.smooths import side_matrices

    owners, pieces = [], []
    texts = [st.text for st in smooths]
    if len(set(texts)) != len(texts):
        return {}
    for t, st in enumerate(smooths):
        new = side_pieces(st)
        owners += [t] * len(new)
        pieces += new
    names = [v for p in pieces for v in p.vn]
    if len(set(names)) == len(names):
        return {}
    for t in dict.fromkeys(owners):
        mine = [p for p, o in zip(pieces, owners, strict=True) if o == t]
        if mine[0].constrain:
            spec = smooths[t].smooth["spec"]
            used = [*spec["variables"], *([spec["by"]] if spec["by"] else [])]
            Xs = side_matrices(smooths[t].smooth, {v: data[columns[v]] for v in used})
            for p, X in zip(mine, Xs, strict=True):
                p.X = X
    gam_side(pieces, Xp, formula)
    out: dict[int, list[int]] = {}
    for t in dict.fromkeys(owners):
        mine = [p.deleted for p, o in zip(pieces, owners, strict=True) if o == t]
        if any(m != mine[0] for m in mine):
            raise FormulaError(f"{smooths[t].text}: the side constraints that make it "
                               "identifiable differ between the levels of its by= factor, "
                               "which is not supported; drop the smooths nested in it")
        if mine[0]:
            out[t] = mine[0]
    return out
