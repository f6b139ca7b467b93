"""mgcv's ``smoothCon(absorb.cons = TRUE, scale.penalty = TRUE)`` for every term kind.

:func:`smooth_con` builds the raw term (``s``, ``te``, ``ti``, ``t2``, ``fs``, ``re``), then, as
``smoothCon`` in mgcv 1.8-41's ``R/smooth.r`` does:

1. ``S.scale``: each penalty divided by ``||S_j||_1 / ||X||_inf²`` of the raw model matrix;
2. the ``by`` variable: a numeric one that is not constant removes the centring constraint; a
   factor one gives one copy of the smooth per level (ordered factors: all but the first);
3. the identifiability constraint is absorbed: ``C = colMeans(X)`` through R's Householder
   ``qr(t(C))`` (:func:`~bayeszoo.smooths.core.constraint_null_space`); a constraint with zero
   entries (``t2``) transforms only the columns it involves and drops the last of them
   (mgcv's ``indi`` branch); ``t2`` with a one-dimensional null space drops that column.

The result is linear in the raw basis: ``X_c = X_raw Z`` with ``Z`` stored in the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .columns import factor_levels, get_column, is_factor, numeric_column
from .core import constraint_null_space, s_scale
from .fs import FSRaw, build_fs, fs_from_state
from .margins import Margin, build_margin
from .spec import SmoothSpec
from .state import decode_optional, encode_optional
from .tensor import T2Raw, TensorRaw, build_t2, build_tensor, t2_from_state, tensor_from_state
from .tp import default_k

BY_CONSTANT_TOL = np.finfo(float).eps * 1000


@dataclass
class PlainRaw:
    """The raw basis of an ``s()`` term with one penalty (or none when ``fx``)."""

    margin: Margin
    X: np.ndarray
    S: list[np.ndarray]

    def matrix(self, data: Mapping, term: str) -> np.ndarray:
        return self.margin.matrix(data, term)

    def state(self) -> dict:
        return {"construct": "s", "margin": self.margin.state()}


def raw_from_state(st: dict):
    """The raw term of a state (evaluation only: no fitting-data matrices)."""
    kind = st["construct"]
    if kind == "s":
        return PlainRaw(margin=Margin.from_state(st["margin"]), X=np.zeros((0, 0)), S=[])
    if kind == "tensor":
        return tensor_from_state(st)
    if kind == "t2":
        return t2_from_state(st)
    if kind == "fs":
        return fs_from_state(st)
    raise ValueError(f"unknown smooth construct {kind!r} in a saved state")


@dataclass
class ByVariable:
    """``by=``: a numeric column, or a factor with the levels that get a smooth each."""

    column: str
    kind: str
    levels: list | None = None

    def state(self) -> dict:
        return {"column": self.column, "kind": self.kind, "levels": self.levels}


@dataclass
class SmoothCon:
    """One term after ``smoothCon``: the raw term, ``S.scale``, constraint map ``Z``
    (``X_c = X_raw Z``; ``None``: no constraint), scaled constrained penalties ``S`` with mgcv's
    names ``sp_labels`` (before any ``by`` level), the ``by`` variable and the penalty null-space
    dimension after the constraint."""

    spec: SmoothSpec
    kind: str
    raw: PlainRaw | TensorRaw | T2Raw | FSRaw
    S_scale: list[float]
    Z: np.ndarray | None
    S: list[np.ndarray]
    penalty_suffixes: list[str]
    null_space_dim: int
    by: ByVariable | None
    Xc: np.ndarray

    def constrain(self, X_raw: np.ndarray) -> np.ndarray:
        return X_raw if self.Z is None else X_raw @ self.Z

    def state(self) -> dict:
        return {"kind": self.kind, "raw": self.raw.state(), "S_scale": list(self.S_scale),
                "Z": encode_optional(self.Z), "penalty_suffixes": list(self.penalty_suffixes),
                "null_space_dim": self.null_space_dim,
                "by": None if self.by is None else self.by.state()}


def partial_constraint(C: np.ndarray) -> np.ndarray:
    """``Z`` absorbing the one-row constraint ``C b = 0``, as ``smoothCon``: with all entries
    non-zero the Householder null space; otherwise only the columns ``indi`` with ``C != 0``
    are transformed (into the first ``len(indi) - 1`` of those positions) and the last is
    dropped."""
    C = np.asarray(C, dtype=float).ravel()
    p = C.size
    indi = np.flatnonzero(C != 0)
    if indi.size == p:
        return constraint_null_space(C)
    H = constraint_null_space(C[indi])
    keep = [j for j in range(p) if j != indi[-1]]
    Z = np.zeros((p, p - 1))
    for out, j in enumerate(keep):
        pos = np.flatnonzero(indi == j)
        if pos.size:
            Z[indi, out] = H[:, pos[0]]
        else:
            Z[j, out] = 1.0
    return Z


def drop_column(p: int, j: int) -> np.ndarray:
    """``Z`` of mgcv's set-to-zero constraint on coefficient ``j``."""
    return np.delete(np.eye(p), j, axis=1)


def read_by(spec: SmoothSpec, data: Mapping) -> ByVariable | None:
    if spec.by is None:
        return None
    col = get_column(data, spec.by, spec.label, "by")
    if is_factor(col):
        levels, ordered = factor_levels(col)
        if ordered and len(levels) > 1:
            levels = levels[1:]
        return ByVariable(column=spec.by, kind="factor", levels=list(levels))
    numeric_column(data, spec.by, spec.label, "by")
    return ByVariable(column=spec.by, kind="numeric")


def build_raw(spec: SmoothSpec, data: Mapping, seed: int):
    """The raw term and its kind (mgcv's ``smooth.construct`` methods)."""
    term = spec.label
    if spec.kind == "s":
        bs = spec.basis()
        k = spec.basis_k()
        if bs == "fs":
            m = spec.m if not isinstance(spec.m, tuple) else spec.m[0]
            if spec.fx:
                raise ValueError(f"{term}: bs=\"fs\" terms can not be fixed (fx=TRUE): their "
                                 "null space is penalized by design; use by= instead")
            if spec.by is not None:
                raise ValueError(f"{term}: bs=\"fs\" with by= is not supported; put the factor "
                                 "in the fs term or use s(x, by=f)")
            return "fs", build_fs(spec.variables, k, data, term, m=m, seed=seed)
        margin = build_margin(bs, spec.variables, k, data, term, m=spec.m, knots=spec.knots,
                              xt=spec.xt, seed=seed)
        kind = "re" if bs == "re" else "s"
        X = margin.fit_matrix(data, term)
        S = [] if spec.fx else margin.basis.penalties
        return kind, PlainRaw(margin=margin, X=X, S=S)
    for v in spec.variables:
        if is_factor(get_column(data, v, term)):
            raise ValueError(f"{term}: {v!r} is a factor; {spec.kind}() margins must be numeric "
                             f"(use {spec.kind}(..., by={v}) for one surface per level, or "
                             "s(x, g, bs=\"fs\") / s(g, x, bs=\"re\"))")
    bases, ks, ms = spec.margin_bases(), spec.margin_k(), spec.margin_m()
    margins = []
    for v, bs, k, m in zip(spec.variables, bases, ks, ms, strict=True):
        if bs == "tp" and k == -1:
            k = default_k(1)
        margins.append(build_margin(bs, (v,), k, data, term, m=m, knots=spec.knots, seed=seed))
    if spec.kind == "t2":
        if spec.fx:
            raise ValueError(f"{term}: t2 terms can not be fixed (mgcv ignores fx for t2); use "
                             "te(..., fx=TRUE) for an unpenalized tensor product")
        return "t2", build_t2(margins, data, term)
    return spec.kind, build_tensor(margins, data, term, interaction=spec.kind == "ti",
                                   fx=spec.fx)


def smooth_con(spec: SmoothSpec, data: Mapping, seed: int = 1) -> SmoothCon:
    """Build ``spec`` on ``data`` as mgcv's ``smoothCon(absorb.cons = TRUE)``.

    Parameters
    ----------
    spec
        The term.
    data
        Column name -> array or Series.
    seed
        Seed of the thin plate knot subsample (more than 2000 unique rows).

    Returns
    -------
    SmoothCon
        The raw basis, ``S.scale``, the absorbed constraint ``Z``, the scaled constrained
        penalties and the constrained columns ``Xc``, before the mixed-model split.

    Raises
    ------
    ValueError
        For bad input, naming the term (as :func:`~bayeszoo.smooths.fit_smooth`).

    Examples
    --------
    >>> import numpy as np
    >>> sc = smooth_con(SmoothSpec("s", ("x",), bs="cr", k=6), {"x": np.linspace(0, 1, 50)})
    >>> sc.Z.shape, sc.Xc.shape, len(sc.S)
    ((6, 5), (50, 5), 1)
    """
    by = read_by(spec, data)
    kind, raw = build_raw(spec, data, seed)
    X = raw.X
    S_raw = list(raw.S)
    scales = [s_scale(X, S) for S in S_raw]
    S_scaled = [S / sc for S, sc in zip(S_raw, scales, strict=True)]
    p = X.shape[1]
    if kind in ("re", "fs", "ti"):
        null_dim = 0 if kind != "ti" else raw.null_space_dim
        Z = None
    elif kind == "t2":
        null_dim = raw.null_space_dim
        if null_dim == 0:
            Z = None
        elif null_dim == 1:
            Z = drop_column(p, p - 1)
        else:
            nup = p - null_dim
            Z = partial_constraint(np.r_[np.zeros(nup), X[:, nup:].sum(axis=0)])
    else:
        null_dim = raw.null_space_dim if kind == "te" else raw.margin.basis.null_space_dim
        Z = constraint_null_space(X.mean(axis=0))
    if by is not None and by.kind == "numeric":
        z = numeric_column(data, by.column, spec.label, "by")
        if np.std(z, ddof=1) > np.mean(z) * BY_CONSTANT_TOL:
            Z = None
    if Z is not None:
        null_dim = max(0, null_dim - 1)
        S_scaled = [(Z.T @ S @ Z + (Z.T @ S @ Z).T) / 2 for S in S_scaled]
    if spec.fx:
        null_dim = (p if Z is None else p - 1)
    if kind == "t2":
        suffixes = list(raw.labels)
    elif len(S_scaled) > 1:
        suffixes = [str(j + 1) for j in range(len(S_scaled))]
    else:
        suffixes = [""] * len(S_scaled)
    Xc = X if Z is None else X @ Z
    return SmoothCon(spec=spec, kind=kind, raw=raw, S_scale=scales, Z=Z, S=S_scaled,
                     penalty_suffixes=suffixes, null_space_dim=null_dim, by=by, Xc=Xc)


def smooth_con_from_state(spec: SmoothSpec, st: dict) -> SmoothCon:
    """The parts of a :class:`SmoothCon` that evaluation needs, from its state."""
    by = st["by"]
    return SmoothCon(spec=spec, kind=st["kind"], raw=raw_from_state(st["raw"]),
                     S_scale=list(st["S_scale"]), Z=decode_optional(st["Z"]), S=[],
                     penalty_suffixes=list(st["penalty_suffixes"]),
                     null_space_dim=int(st["null_space_dim"]),
                     by=None if by is None else ByVariable(**by), Xc=np.zeros((0, 0)))
