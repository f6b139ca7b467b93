"""Gaussian-process terms ``gp(x, ..., k=, c=, by=, scale=, iso=, gr=)`` as brms 2.18 builds
them (``R/formula-gp.R``, ``.data_gp`` in ``R/data-predictor.R``, ``def_lscale_prior`` in
``R/priors.R``), fitted once into a JSON state and evaluated from it on any data.

Per sub-GP (one, or one per level of a factor ``by``, each on its own rows as brms's ``Igp``):

* the covariate points, distinct rows only (brms's ``gr = TRUE``), divided by ``dmax``, the
  largest Euclidean distance between two of them (``scale = TRUE``), so that ``lscale`` is on
  the scale of a unit-diameter input;
* with ``k`` (the Hilbert-space approximation, Riutort-Mayol et al. 2022): the points centered
  at their column means ``cmeans``, the half-width ``L = c · max(1, range)`` of the
  approximation's domain (brms's ``choose_L``; the range over every coordinate), the ``k^D``
  index tuples in ``expand.grid`` order, the eigenfunctions
  ``φ_m(x) = Π_d L_d^(-1/2) sin(m_d π (x_d + L_d) / (2 L_d))`` (the block's dense columns) and
  the square roots of the eigenvalues ``m_d π / (2 L_d)`` (``slambda``: the structure's
  :class:`~bayeszoo.structures.HilbertSpaceGp`);
* without ``k``: the exact GP over the distinct points
  (:class:`~bayeszoo.structures.ExactGp`, an indicator block); on new data, points the fit never
  saw are appended and drawn from the conditional normal when predicting;
* brms's default prior of ``lscale``, an inverse gamma with 1 % of its mass below the smallest
  and 1 % above the largest distance between points (:func:`tune_inv_gamma`).

``dmax``, ``cmeans`` and ``L`` are kept from the training data (later brms releases store ``L``
as ``Lgp`` too; 2.18 recomputed it from new data, which changes the basis when new points
widen the range).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Block, BlockNames, ScaleParam
from bayeszoo.structures import ExactGp, HilbertSpaceGp

from .columns import factor_levels, is_numeric
from .errors import FormulaError, unknown_column
from .naming import brms_name, smooth_label
from .term_base import (
    BuildContext,
    CallTerm,
    FitContext,
    TermColumns,
    TermState,
    TermType,
    covariates_and_by,
    parse_call,
)

SUPPORTED_ARGS = ("k", "c", "by", "scale", "iso", "gr", "cov", "cmc")
#: brms's ``def_lscale_prior``: prior mass below the smallest and above the largest distance.
LSCALE_TAIL = 0.01
#: The fallback brms uses when the inverse-gamma tuning does not converge.
LSCALE_FALLBACK = "normal(0, 0.5)"
_CHUNK = 2048


@dataclass
class GpTerm(CallTerm):
    """``gp(x, ...)``: brms's Gaussian-process term (``k``, ``c``, ``scale``, ``by``, ``cov``,
    ``iso``, ``gr`` as R values)."""

    term_kind = "gp"
    function = "gp"

    def effect_variables(self, columns: list[str]) -> tuple[str, ...]:
        return covariates_and_by(self.variables, self.args, columns)


@dataclass(frozen=True)
class GpState(TermState):
    """A fitted ``gp()``: its covariates and checked arguments, the kind of its ``by``
    variable (``None``, ``"numeric"`` or ``"factor"``) and one sub-GP per ``by`` level (one
    without a factor ``by``): ``suffix`` (its brms label), ``level``, ``dmax``, ``cmeans``,
    ``lscale_priors`` and ``L`` (approximate GP) or ``points`` (exact GP)."""

    kind = "gp"
    predicted_curve = True
    variables: tuple[str, ...] = ()
    k: int | None = None
    c: tuple[float, ...] | None = None
    by: str | None = None
    scale: bool = True
    iso: bool = True
    gr: bool = True
    by_kind: str | None = None
    subs: tuple[Mapping[str, Any], ...] = ()

    @property
    def covariates(self) -> tuple[str, ...]:
        return self.variables

    @property
    def curve_covariates(self) -> tuple[str, ...]:
        return self.variables

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "variables": list(self.variables),
                "k": self.k, "c": None if self.c is None else list(self.c), "by": self.by,
                "scale": self.scale, "iso": self.iso, "gr": self.gr, "by_kind": self.by_kind,
                "subs": [dict(sub) for sub in self.subs]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GpState:
        return cls(text=d["text"], variables=tuple(d["variables"]), k=d["k"],
                   c=None if d["c"] is None else tuple(d["c"]), by=d["by"], scale=d["scale"],
                   iso=d["iso"], gr=d["gr"], by_kind=d["by_kind"],
                   subs=tuple(dict(sub) for sub in d["subs"]))


# --------------------------------------------------------------------------- arguments


def _flag(value, key: str, gt: GpTerm) -> bool:
    if not isinstance(value, bool):
        raise FormulaError(f"{gt.text}: {key} must be TRUE or FALSE, got {value!r}")
    return value


def _number(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float)


def read_args(gt: GpTerm, columns: dict[str, object]) -> dict[str, Any]:
    """The checked arguments of a ``gp()`` term, each error naming the term and the argument;
    ``k < 1``, ``c <= 0``, ``c`` missing with ``k``, an unknown column or argument all raise
    :class:`FormulaError`."""
    args = dict(gt.args)
    unknown = sorted(set(args) - set(SUPPORTED_ARGS))
    if unknown:
        raise FormulaError(f"{gt.text}: unsupported argument(s) {unknown} (supported: "
                           + ", ".join(SUPPORTED_ARGS) + ")")
    dim = len(gt.variables)
    out: dict[str, Any] = {"k": None, "c": None, "by": None,
                           "scale": _flag(args.get("scale", True), "scale", gt),
                           "iso": _flag(args.get("iso", True), "iso", gt) if dim > 1 else True,
                           "gr": _flag(args.get("gr", True), "gr", gt)}
    if args.get("cov", "exp_quad") != "exp_quad":
        raise FormulaError(f'{gt.text}: only cov="exp_quad" (the exponentiated-quadratic '
                           f"kernel) is available, got cov={args['cov']!r}")
    if not _flag(args.get("cmc", True), "cmc", gt):
        raise FormulaError(f"{gt.text}: cmc=FALSE (contrast GPs of a by-factor) is not "
                           "supported; use the default cmc=TRUE (one GP per level)")
    k = args.get("k")
    if k is not None:
        if not _number(k) or int(k) != k:
            raise FormulaError(f"{gt.text}: k must be a whole number of basis functions, "
                               f"got {k!r}")
        if k < 1:
            raise FormulaError(f"{gt.text}: k must be at least 1 (the number of basis "
                               f"functions per dimension), got k={k}")
        c = args.get("c")
        if c is None:
            raise FormulaError(f"{gt.text}: c must be given with k for an approximate GP (the "
                               "boundary factor; c=5/4 is a common choice), e.g. "
                               f"gp({', '.join(gt.variables)}, k={int(k)}, c=5/4)")
        cs = c if isinstance(c, tuple) else (c,)
        if not all(_number(v) for v in cs):
            raise FormulaError(f"{gt.text}: c must be a number or c(...) of numbers, got {c!r}")
        if len(cs) == 1:
            cs = cs * dim
        if len(cs) != dim:
            raise FormulaError(f"{gt.text}: c has {len(cs)} values; give one, or one per "
                               f"covariate ({dim})")
        if any(v <= 0 for v in cs):
            raise FormulaError(f"{gt.text}: c must be positive (the approximation covers c "
                               f"times the covariates' range), got c={c!r}")
        out["k"], out["c"] = int(k), [float(v) for v in cs]
    if not out["gr"] and out["k"] is None:
        raise FormulaError(f"{gt.text}: gr=FALSE is supported for approximate GPs only; the "
                           "exact GP takes the distinct covariate points (gr=TRUE, the default)")
    by = args.get("by")
    if by is not None:
        if not isinstance(by, str):
            raise FormulaError(f"{gt.text}: by must name a column, e.g. by=fac")
        if str(by) not in columns:
            raise unknown_column(str(by), columns, f"{gt.text} (its by= variable)")
        out["by"] = str(by)
    for v in gt.variables:
        if v not in columns:
            raise unknown_column(v, columns, gt.text)
    return out


# --------------------------------------------------------------------------- brms's pieces


def pair_distance_range(points: np.ndarray) -> tuple[float, float]:
    """``(smallest positive, largest)`` Euclidean distance between two rows of ``points``
    (brms's ``sqrt(min(dq[dq > 0]))`` and ``sqrt(max(dq))`` of ``diff_quad``); the smallest is
    ``inf`` when all rows coincide. Exact in one dimension from the sorted values, in chunks
    otherwise (memory ``O(chunk · m)``)."""
    if points.shape[1] == 1:
        x = np.unique(points[:, 0])
        if x.size < 2:
            return math.inf, 0.0
        return float(np.min(np.diff(x))), float(x[-1] - x[0])
    lo, hi = math.inf, 0.0
    for start in range(0, points.shape[0], _CHUNK):
        block = points[start:start + _CHUNK]
        d2 = np.sum((block[:, None, :] - points[None, :, :]) ** 2, axis=-1)
        hi = max(hi, float(d2.max()))
        pos = d2[d2 > 0]
        if pos.size:
            lo = min(lo, float(pos.min()))
    return math.sqrt(lo), math.sqrt(hi)


def tune_inv_gamma(lower: float, upper: float, tail: float = LSCALE_TAIL) -> tuple[float, float]:
    """``(alpha, beta)`` of the inverse gamma with ``P(l < lower) = P(l > upper) = tail``
    (brms's ``def_lscale_prior``, which solves the same two equations with ``nleqslv``;
    Betancourt, "Robust Gaussian processes in Stan", part 3).

    With ``G = 1/l ~ Gamma(alpha, rate beta)`` the equations read
    ``beta = upper · Q⁻¹(alpha; tail) = lower · Q̄⁻¹(alpha; tail)`` (``Q``, ``Q̄`` the regularized
    lower and upper incomplete gamma functions), one equation in ``alpha``, increasing in
    ``log alpha``, solved by bracketing. ``ValueError`` when it has no root (``lower >=
    upper``)."""
    from scipy import optimize, special

    if not lower < upper:
        raise ValueError(f"no inverse gamma puts {tail} below {lower} and above {upper}")

    def gap(log_alpha: float) -> float:
        a = math.exp(log_alpha)
        return (math.log(upper) + math.log(special.gammaincinv(a, tail))
                - math.log(lower) - math.log(special.gammainccinv(a, tail)))

    lo, hi = -2.0, 2.0
    while gap(lo) > 0:
        lo -= 2.0
        if lo < -40:
            raise ValueError("the inverse-gamma tuning found no lower bracket")
    while gap(hi) < 0:
        hi += 2.0
        if hi > 40:
            raise ValueError("the inverse-gamma tuning found no upper bracket")
    log_alpha = optimize.brentq(gap, lo, hi, xtol=1e-14, rtol=1e-15)
    alpha = math.exp(log_alpha)
    return alpha, upper * float(special.gammaincinv(alpha, tail))


def lscale_prior(points: np.ndarray) -> str:
    """brms's default ``lscale`` prior for covariate points (scaled as the term scales them):
    ``inv_gamma(alpha, beta)`` rounded to 6 decimals as brms prints it, the lower distance
    raised to at least 1 % of the upper; ``normal(0, 0.5)`` when no inverse gamma fits."""
    lower, upper = pair_distance_range(points)
    lower = max(lower, 0.01 * upper)
    try:
        alpha, beta = tune_inv_gamma(lower, upper)
    except ValueError:
        return LSCALE_FALLBACK
    return f"inv_gamma({_r6(alpha)}, {_r6(beta)})"


def _r6(v: float) -> str:
    return f"{round(v, 6):.6f}".rstrip("0").rstrip(".")


def choose_L(centered: np.ndarray, c: list[float]) -> np.ndarray:
    """brms's ``choose_L``: ``c · max(1, max(x) - min(x))`` over every coordinate at once."""
    span = float(centered.max() - centered.min()) if centered.size else 1.0
    return np.asarray(c, dtype=float) * max(1.0, span)


def index_tuples(k: int, dim: int) -> np.ndarray:
    """R's ``expand.grid(1:k, ..., 1:k)`` (the first index varies fastest): ``k^D × D``."""
    grid = itertools.product(range(1, k + 1), repeat=dim)
    return np.array([t[::-1] for t in grid], dtype=float)


def eigenfunctions(centered: np.ndarray, indices: np.ndarray, L: np.ndarray) -> np.ndarray:
    """brms's ``eigen_fun_cov_exp_quad`` for every index tuple: ``n × k^D``."""
    out = np.ones((centered.shape[0], indices.shape[0]))
    for d in range(centered.shape[1]):
        freq = indices[:, d] * math.pi / (2.0 * L[d])
        out *= np.sin(np.outer(centered[:, d] + L[d], freq)) / math.sqrt(L[d])
    return out


def sqrt_eigenvalues(indices: np.ndarray, L: np.ndarray) -> np.ndarray:
    """brms's ``slambda``: ``sqrt(eigen_val_cov_exp_quad) = m_d π / (2 L_d)``, ``k^D × D``."""
    return indices * math.pi / (2.0 * L[None, :])


def distinct_rows(points: np.ndarray) -> np.ndarray:
    """The distinct rows in order of first appearance (brms's ``match_rows`` grouping)."""
    seen: dict[tuple, None] = {}
    for row in map(tuple, points):
        seen.setdefault(row, None)
    return np.array(list(seen), dtype=float).reshape(-1, points.shape[1])


# --------------------------------------------------------------------------- fitting


def _covariates(gt_text: str, variables, data: pd.DataFrame,
                columns: dict[str, object]) -> np.ndarray:
    cols = []
    for v in variables:
        s = data[columns[v]]
        if not is_numeric(s) or pd.api.types.is_bool_dtype(s):
            raise FormulaError(f"{gt_text}: covariate {v!r} is not numeric (dtype {s.dtype}); a "
                               "Gaussian process needs numeric covariates (for one curve per "
                               f"level of a factor write gp(x, by={v}))")
        cols.append(np.asarray(s, dtype=float))
    return np.column_stack(cols)


def _fit_sub(points: np.ndarray, args: dict[str, Any], suffix: str, level, text: str,
             ) -> dict[str, Any]:
    """One sub-GP fitted to its rows' covariate points."""
    distinct = distinct_rows(points) if args["gr"] else points
    dmax = None
    if args["scale"]:
        dmax = pair_distance_range(distinct)[1]
        if not dmax > 0:
            raise FormulaError(f"{text}: the covariate points of {suffix} do not vary, so they "
                               "cannot be scaled; drop the term or write scale=FALSE")
        distinct = distinct / dmax
    sub: dict[str, Any] = {"suffix": suffix, "level": level, "dmax": dmax,
                           "cmeans": distinct.mean(axis=0)}
    if args["iso"]:
        sub["lscale_priors"] = [lscale_prior(distinct)]
    else:
        sub["lscale_priors"] = [lscale_prior(distinct[:, [d]])
                                for d in range(distinct.shape[1])]
    if args["k"] is not None:
        sub["L"] = choose_L(distinct - sub["cmeans"], args["c"])
    else:
        sub["points"] = distinct
    return sub


def fit_gp_term(gt: GpTerm, data: pd.DataFrame, columns: dict[str, object]) -> GpState:
    """The state of a ``gp()`` term fitted to ``data``."""
    args = read_args(gt, columns)
    x = _covariates(gt.text, gt.variables, data, columns)
    label = smooth_label("gp", gt.variables)
    by, by_kind, subs = args["by"], None, []
    if by is not None:
        label += brms_name(by)
        s = data[columns[by]]
        if is_numeric(s) and not pd.api.types.is_bool_dtype(s):
            by_kind = "numeric"
        else:
            by_kind = "factor"
            for level in factor_levels(s):
                rows = np.asarray(s == level)
                value = level.item() if isinstance(level, np.generic) else level
                subs.append(_fit_sub(x[rows], args, label + brms_name(str(value)), value,
                                     gt.text))
    if by_kind != "factor":
        subs.append(_fit_sub(x, args, label, None, gt.text))
    return GpState(text=gt.text, variables=tuple(gt.variables), k=args["k"],
                   c=None if args["c"] is None else tuple(args["c"]), by=by,
                   scale=args["scale"], iso=args["iso"], gr=args["gr"], by_kind=by_kind,
                   subs=tuple(subs))


# --------------------------------------------------------------------------- evaluation


def gp_block_names(state: GpState, sub: dict[str, Any], labels: list[str],
                   dpar: str | None) -> BlockNames:
    """brms's names of a sub-GP (``R/rename_pars.R``, ``change_gp``): ``sdgp_gptimes`` (keys:
    itself, then ``sdgp``; ``sdgp_<dpar>`` for a distributional parameter's term),
    ``lscale_gptimes`` (one per covariate, ``lscale_gpxzx``, when ``iso=FALSE``; default prior
    tuned to the data), the standardized draws ``zgp_gptimes`` and the function's coefficients
    ``rgp_gptimes`` (basis weights, or values at the distinct points of an exact GP)."""
    dp = f"{dpar}_" if dpar else ""
    sfx = sub["suffix"]
    sd_name = f"sdgp_{dp}{sfx}"
    scales = [ScaleParam(sd_name, (sd_name, f"sdgp_{dpar}" if dpar else "sdgp"))]
    ls_names = ([f"lscale_{dp}{sfx}"] if state.iso
                else [f"lscale_{dp}{sfx}{brms_name(v)}" for v in state.variables])
    for name, prior in zip(ls_names, sub["lscale_priors"], strict=True):
        scales.append(ScaleParam(name, (name, f"lscale_{dpar}" if dpar else "lscale"),
                                 default=prior))
    what = "basis" if state.k is not None else "points"
    return BlockNames(scales=tuple(scales), coef=f"rgp_{dp}{sfx}",
                      dims=(f"{dp}{sfx}_{what}",), coords=(tuple(labels),),
                      z=f"zgp_{dp}{sfx}")


def _row_weights(state: GpState, sub: dict[str, Any], data: pd.DataFrame,
                 columns: dict[str, object], allow_new_levels: bool) -> np.ndarray:
    """Each row's multiplier of the sub-GP: 1, the numeric ``by`` value, or 0/1 for the rows of
    the sub-GP's level of a factor ``by``."""
    n = len(data)
    if state.by_kind is None:
        return np.ones(n)
    by = state.by
    if by not in columns:
        raise unknown_column(by, columns, f"{state.text} (its by= variable)")
    s = data[columns[by]]
    if state.by_kind == "numeric":
        return np.asarray(s, dtype=float)
    known = {sb["level"] for sb in state.subs}
    new = [v for v in pd.unique(s) if v not in known]
    if new and not allow_new_levels:
        raise FormulaError(f"new level {new[0]!r} of the by= factor {by!r} in term "
                           f"{state.text}: not in the data the model was fitted to (pass "
                           "allow_new_levels=True to predict those rows without the GP)")
    return np.asarray(s == sub["level"], dtype=float)


def _scaled(sub: dict[str, Any], x: np.ndarray) -> np.ndarray:
    return x if sub["dmax"] is None else x / sub["dmax"]


def gp_blocks(state: GpState, data: pd.DataFrame, columns: dict[str, object],
              allow_new_levels: bool, dpar: str | None = None) -> list[Block]:
    """The blocks of a fitted ``gp()`` term on ``data``: one per sub-GP, a dense basis
    (approximate GP) or an indicator block over the distinct points (exact GP)."""
    x = _covariates(state.text, state.variables, data, columns)
    blocks = []
    for sub in state.subs:
        w = _row_weights(state, sub, data, columns, allow_new_levels)
        xs = _scaled(sub, x)
        if state.k is not None:
            L = np.asarray(sub["L"], dtype=float)
            indices = index_tuples(state.k, x.shape[1])
            phi = eigenfunctions(xs - sub["cmeans"], indices, L) * w[:, None]
            labels = [str(j + 1) for j in range(indices.shape[0])]
            structure = HilbertSpaceGp(sqrt_eigenvalues(indices, L), iso=state.iso)
            blocks.append(Block(name=sub["suffix"], kind="gp", coef=None, term=state.text,
                                labels=labels,
                                names=gp_block_names(state, sub, labels, dpar),
                                matrix=phi, structure=structure))
            continue
        points = np.asarray(sub["points"], dtype=float)
        lookup = {tuple(p): i for i, p in enumerate(points)}
        new: dict[tuple, int] = {}
        index = np.zeros(len(data), dtype=np.int64)
        for i, row in enumerate(map(tuple, xs)):
            if w[i] == 0:
                continue
            j = lookup.get(row)
            if j is None:
                j = new.setdefault(row, len(points) + len(new))
            index[i] = j
        new_points = np.array(list(new), dtype=float).reshape(-1, x.shape[1])
        labels = [str(j + 1) for j in range(len(points) + len(new))]
        structure = ExactGp(points, new_points, iso=state.iso)
        blocks.append(Block(name=sub["suffix"], kind="gp", coef=None, term=state.text,
                            labels=labels, names=gp_block_names(state, sub, labels, dpar),
                            index=index, weights=w, structure=structure))
    return blocks


class GpType(TermType):
    """brms's ``gp()``."""

    kind = "gp"
    calls = ("gp",)
    state = GpState

    def parse(self, text: str, pos: int, formula: str) -> GpTerm:
        variables, args = parse_call(text, pos, formula)
        return GpTerm(text=text, variables=variables, args=args, pos=pos)

    def fit(self, term: GpTerm, planned: None, ctx: FitContext) -> GpState:
        return fit_gp_term(term, ctx.data, ctx.columns)

    def build(self, state: GpState, ctx: BuildContext) -> TermColumns:
        return TermColumns(blocks=gp_blocks(state, ctx.data, ctx.columns, ctx.allow_new_levels,
                                            ctx.dpar))


TERM_TYPE = GpType()
