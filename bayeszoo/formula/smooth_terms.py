"""Smooth terms of a formula (``s()``, ``te()``, ``ti()``, ``t2()``) fitted through
:mod:`bayeszoo.smooths` into unpenalized columns and penalized blocks, and replayed on new data
from their states.

``s(g, bs="re")`` of one factor builds exactly the indicator block of ``(1 | g)`` (term
``s(g)``). Every other smooth becomes mgcv's mixed-model form: its ``Xf`` columns join the fixed
design; each penalized block is iid (one ``sds``) or, for ``te``/``ti`` and ``bs="ad"``, carries
one penalty per smoothing parameter (:class:`~bayeszoo.structures.MultiPenalty`, one ``sds``
each).

mgcv's ``xt`` is not written in the formula: ``design(..., xt={"region": {"nb": {region:
[neighbours]}}})`` gives it per covariate, as ``knots=`` gives knots (``bs="mrf"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import SMOOTH_KIND, Block, BlockNames, ScaleParam, SmoothInfo
from bayeszoo.smooths import SmoothSpec, fit_smooth, term_maps
from bayeszoo.smooths import SmoothTerm as FittedSmooth
from bayeszoo.structures import IID, MultiPenalty

from .columns import is_numeric
from .errors import FormulaError, unknown_column
from .grouping import Grouping, codes, fit_grouping
from .naming import brms_name, smooth_coef_param, smooth_sd_param
from .side import side_deletions
from .term_base import (
    CALL,
    BuildContext,
    FitContext,
    ParsedTerm,
    TermColumns,
    TermState,
    TermType,
    call_columns,
    covariates_and_by,
    parse_call,
)
from .text import Symbol, quote_name, r_value

SUPPORTED_ARGS = ("bs", "k", "fx", "sp", "by", "m")
SMOOTH_KINDS = ("s", "te", "ti", "t2")


@dataclass
class SmoothTerm(ParsedTerm):
    """``s()``, ``te()``, ``ti()`` or ``t2()`` as written: covariates and the keyword arguments
    (``bs``, ``k``, ``fx``, ``sp``, ``by``, ``m``, ``xt``, ``id``) as R values
    (:func:`bayeszoo.formula.text.literal`)."""

    term_kind = "smooth"
    discretizable = True
    text: str = ""
    kind: str = "s"
    variables: tuple[str, ...] = ()
    args: dict[str, object] = field(default_factory=dict)
    pos: int = 0

    def read_columns(self) -> tuple[str, ...]:
        return call_columns(self.variables, self.args)

    @property
    def label(self) -> str:
        """mgcv's label without a ``by`` suffix: ``s(times)``, ``te(Temp,Wind)``."""
        return f"{self.kind}({','.join(self.variables)})"

    def knot_variables(self) -> tuple[str, ...]:
        return self.variables

    def joint_covariates(self) -> int:
        """``s(x, z)`` rounds its covariates jointly; a tensor product's margins are each one
        covariate."""
        return len(self.variables) if self.kind == "s" else 1

    def effect_variables(self, columns: list[str]) -> tuple[str, ...]:
        return covariates_and_by(self.variables, self.args, columns)

    def to_string(self) -> str:
        parts = [quote_name(v) for v in self.variables]
        parts += [f"{k}={r_value(v)}" for k, v in self.args.items()]
        return f"{self.kind}({', '.join(parts)})"


@dataclass(frozen=True)
class SmoothState(TermState):
    """A fitted smooth: mgcv's label and either the grouping of ``s(g, bs="re")`` with its
    ``fx`` and fixed ``sp``, or the fitted smooth of :mod:`bayeszoo.smooths` (its JSON state:
    basis, constraints, reparameterization)."""

    kind = "smooth"
    label: str = ""
    grouping: Grouping | None = None
    fx: bool = False
    sp: float | None = None
    smooth: Mapping[str, Any] | None = None

    @property
    def covariates(self) -> tuple[str, ...]:
        if self.grouping is not None:
            return self.grouping.variables
        return tuple(self.smooth["spec"]["variables"])

    @property
    def curve_covariates(self) -> tuple[str, ...]:
        return () if self.smooth is None else self.covariates

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "text": self.text, "label": self.label}
        if self.grouping is not None:
            return out | {"grouping": self.grouping.to_dict(), "fx": self.fx, "sp": self.sp}
        return out | {"smooth": self.smooth}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SmoothState:
        if "grouping" in d:
            return cls(text=d["text"], label=d["label"],
                       grouping=Grouping.from_dict(d["grouping"]), fx=d["fx"], sp=d["sp"])
        return cls(text=d["text"], label=d["label"], smooth=d["smooth"])


def _strings(value, key: str, st: SmoothTerm):
    vals = value if isinstance(value, tuple) else (value,)
    for v in vals:
        if isinstance(v, Symbol):
            raise FormulaError(f'{st.text}: {key} must be a quoted string: write {key}="{v}"')
        if not isinstance(v, str):
            raise FormulaError(f'{st.text}: {key} must be a quoted string such as {key}="cr"')
    return value


def _integers(value, key: str, st: SmoothTerm):
    vals = value if isinstance(value, tuple) else (value,)
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v:
            raise FormulaError(f"{st.text}: {key} must be an integer (or c(...) of integers), "
                               f"got {v!r}")
    return tuple(int(v) for v in vals) if isinstance(value, tuple) else int(value)


def _numbers(value, key: str, st: SmoothTerm):
    vals = value if isinstance(value, tuple) else (value,)
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise FormulaError(f"{st.text}: {key} must be a number (or c(...) of numbers), "
                               f"got {v!r}")
    return tuple(float(v) for v in vals) if isinstance(value, tuple) else float(value)


def read_spec(st: SmoothTerm, columns: dict[str, object], knots: dict[str, Any] | None,
              xt: dict[str, Any] | None = None) -> SmoothSpec:
    """The :class:`~bayeszoo.smooths.SmoothSpec` of a parsed smooth term; arguments are
    checked one by one, each error naming the term and the argument. ``xt``: column -> mgcv's
    ``xt`` of the smooths of that column (``design(..., xt=...)``)."""
    kw: dict[str, Any] = {}
    for key, val in st.args.items():
        if key == "bs":
            kw["bs"] = _strings(val, key, st)
        elif key == "m" and st.args.get("bs") == "gp":
            kw[key] = _numbers(val, key, st)
        elif key in ("k", "m"):
            kw[key] = _integers(val, key, st)
        elif key == "fx":
            if not isinstance(val, bool):
                raise FormulaError(f"{st.text}: fx must be TRUE/FALSE (or True/False)")
            kw["fx"] = val
        elif key == "sp":
            vals = val if isinstance(val, tuple) else (val,)
            if val is not None and any(isinstance(v, bool) or not isinstance(v, int | float)
                                       or v < 0 for v in vals):
                raise FormulaError(f"{st.text}: sp must be non-negative numbers")
            kw["sp"] = None if val is None else tuple(float(v) for v in vals)
        elif key == "by":
            if not isinstance(val, str):
                raise FormulaError(f"{st.text}: by must name a column, e.g. by=Type")
            if str(val) not in columns:
                raise unknown_column(str(val), columns, f"{st.text} (its by= variable)")
            kw["by"] = str(val)
        elif key == "xt":
            raise FormulaError(f"{st.text}: give xt outside the formula, keyed by the "
                               f"smooth's covariate: xt={{{st.variables[0]!r}: {{'nb': "
                               "{region: [neighbours], ...}}} (an argument of bz.design, bz.reml "
                               "and bz.sample, as knots=)")
        else:
            raise FormulaError(f"{st.text}: unsupported argument {key!r} (supported: "
                               + ", ".join(SUPPORTED_ARGS) + ")")
    used = {v: knots[v] for v in st.variables if knots and v in knots}
    term_xt = xt.get(st.variables[0]) if xt and st.kind == "s" else None
    if term_xt is not None and not isinstance(term_xt, dict):
        raise FormulaError(f"{st.text}: xt[{st.variables[0]!r}] must be a dict such as "
                           f"{{'nb': {{region: [neighbours]}}}}, got {type(term_xt).__name__}")
    try:
        return SmoothSpec(kind=st.kind, variables=st.variables, knots=used or None,
                          xt=term_xt, **kw)
    except ValueError as e:
        raise FormulaError(str(e)) from None


def _is_re_intercept(spec: SmoothSpec) -> bool:
    return spec.kind == "s" and spec.bs == "re" and len(spec.variables) == 1 and not spec.by


def _columns_of(spec: SmoothSpec, data: pd.DataFrame, columns: dict[str, object]) -> dict:
    names = [*spec.variables, *([spec.by] if spec.by else [])]
    return {v: data[columns[v]] for v in names}


def check_finite_covariates(text: str, values: dict[str, pd.Series]) -> None:
    """A smooth's numeric covariates must be finite: ``inf`` passes the missing-value check but
    makes every basis column NaN; the error names the column and the term."""
    for name, s in values.items():
        if not is_numeric(s):
            continue
        v = np.asarray(s, dtype=float)
        bad = ~np.isfinite(v)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise FormulaError(f"{text}: column {name!r} holds a non-finite value ({v[i]}) at "
                               f"row {i}; a smooth needs finite covariates: remove or replace it")


def check_by_not_zero(text: str, by: str | None, values: dict[str, pd.Series]) -> None:
    """A numeric ``by`` variable that is zero in every row makes every column of the smooth
    zero: the term is not identifiable (mgcv's fit stops on it too)."""
    if by is None or not is_numeric(values[by]):
        return
    if not np.any(np.asarray(values[by], dtype=float)):
        raise FormulaError(f"{text}: its by= variable {by!r} is zero in every row, so every "
                           "column of the term is zero and it is not identifiable; drop the "
                           "term or choose another by= variable")


def check_finite_basis(text: str, term: FittedSmooth, values: dict[str, pd.Series]) -> None:
    """Finite covariates can still overflow a basis (``x`` of 1e300 cubed); the error names the
    term and its covariates' range."""
    parts = [term.Xf, *(b.Z for b in term.blocks)]
    if all(np.all(np.isfinite(p)) for p in parts):
        return
    ranges = ", ".join(f"{n!r} from {np.min(v):.3g} to {np.max(v):.3g}"
                       for n, v in values.items() if is_numeric(v) and len(v))
    raise FormulaError(f"{text}: the basis overflows for these covariate values ({ranges}); "
                       "rescale the column(s), e.g. divide by a power of 10")


def fit_smooth_term(st: SmoothTerm, data: pd.DataFrame, columns: dict[str, object],
                    seed: int, knots: dict[str, Any] | None = None,
                    side_drop: list[int] | None = None,
                    xt: dict[str, Any] | None = None) -> SmoothState:
    """The state of a smooth term fitted to ``data``; ``side_drop``: the columns of its
    constrained basis that mgcv's ``gam.side`` deletes (:mod:`bayeszoo.formula.side`); ``xt``:
    column -> mgcv's ``xt`` (:func:`read_spec`)."""
    spec = read_spec(st, columns, knots, xt)
    if _is_re_intercept(spec):
        var = spec.variables[0]
        if is_numeric(data[columns[var]]):
            raise FormulaError(f"{st.text}: bs=\"re\" needs a factor; column {var!r} is "
                               f"numeric (dtype {data[columns[var]].dtype}); convert it with "
                               ".astype('category')")
        return SmoothState(text=st.text, label=spec.label,
                           grouping=fit_grouping(var, [var], data, columns), fx=spec.fx,
                           sp=None if spec.sp is None else spec.sp[0])
    values = _columns_of(spec, data, columns)
    check_finite_covariates(st.text, values)
    check_by_not_zero(st.text, spec.by, values)
    try:
        fitted = fit_smooth(spec, values, seed=seed, side_drop=side_drop or ())
    except ValueError as e:
        msg = str(e)
        raise FormulaError(msg if st.label in msg or spec.label in msg
                           else f"{st.text}: {msg}") from None
    check_finite_basis(st.text, fitted, values)
    return SmoothState(text=st.text, label=spec.label, smooth=fitted.state)


def smooth_block_names(label: str, labels: list[str], n_penalties: int,
                       dpar: str | None) -> BlockNames:
    """The names of a smooth's penalized block ``label`` (``stimes_1``): ``sds_stimes_1`` (keys
    ``sds_stimes_1``, then ``sds``, or ``sds_<dpar>`` for a distributional parameter's smooth),
    ``s_stimes_1`` with dimension ``stimes_1_basis``. A block with ``K`` penalties (``te``) has
    ``K`` scales ``sds_<term>_1`` … ``sds_<term>_K``."""
    cls = f"sds_{dpar}" if dpar else "sds"
    if n_penalties == 1:
        names = [smooth_sd_param(label, dpar)]
    else:
        base = label.rsplit("_", 1)[0]
        names = [smooth_sd_param(f"{base}_{k + 1}", dpar) for k in range(n_penalties)]
    coef = smooth_coef_param(label, dpar)
    return BlockNames(scales=tuple(ScaleParam(n, (n, cls)) for n in names), coef=coef,
                      dims=(f"{coef[2:]}_basis",), coords=(tuple(labels),))


def smooth_columns(state: SmoothState, data: pd.DataFrame, columns: dict[str, object],
                   allow_new_levels: bool, dpar: str | None = None,
                   ) -> tuple[np.ndarray, list[str], list[Block]]:
    """``(Xf, names of its columns, penalized blocks)`` of a fitted smooth on ``data``."""
    from .random_terms import indicator_block

    if state.grouping is not None:
        grouping = state.grouping
        idx = codes(grouping, data, columns, state.text, allow_new_levels)
        if state.fx:
            Xf = np.zeros((len(data), len(grouping.levels)))
            ok = idx >= 0
            Xf[np.nonzero(ok)[0], idx[ok]] = 1.0
            var = grouping.variables[0]
            return Xf, [brms_name(f"{var}{lab}") for lab in grouping.labels], []
        return np.zeros((len(data), 0)), [], [
            indicator_block(grouping, "Intercept", idx, None, state.label, sp=state.sp,
                            dpar=dpar)]
    spec_state = state.smooth["spec"]
    names = [*spec_state["variables"], *([spec_state["by"]] if spec_state["by"] else [])]
    for v in names:
        if v not in columns:
            raise unknown_column(v, columns, state.text)
    values = {v: data[columns[v]] for v in names}
    check_finite_covariates(state.text, values)
    term = FittedSmooth.from_state(state.smooth, values)
    check_finite_basis(state.text, term, values)
    blocks = []
    for sb in term.blocks:
        labels = [str(j + 1) for j in range(sb.Z.shape[1])]
        npen = 1 if sb.penalties is None else len(sb.penalties)
        structure = IID if sb.penalties is None else MultiPenalty(tuple(sb.penalties))
        sp = None if sb.sp is None else (sb.sp[0] if npen == 1 else tuple(sb.sp))
        blocks.append(Block(name=sb.name, kind=SMOOTH_KIND, coef=None, term=sb.term, labels=labels,
                            names=smooth_block_names(sb.name, labels, npen, dpar),
                            matrix=sb.Z, structure=structure, sp=sp,
                            reml_offset=sb.reml_offset, sp_labels=tuple(sb.sp_labels)))
    return term.Xf, list(term.fixed_names), blocks


def smooth_info(state: SmoothState, fixed_idx: list[int], bidx: list[int]) -> SmoothInfo:
    """The :class:`~bayeszoo.design.SmoothInfo` of a fitted smooth whose unpenalized columns
    are ``fixed_idx`` of the design's ``X`` and whose blocks are ``bidx`` of its blocks."""
    if state.grouping is not None:
        return SmoothInfo(term=state.label, variables=state.grouping.variables,
                          bs="re", fixed_columns=fixed_idx, blocks=bidx, text=state.text)
    spec = state.smooth["spec"]
    bs = spec["bs"] if spec["bs"] is not None else ("tp" if spec["kind"] == "s" else "cr")
    maps = term_maps(state.smooth)
    return SmoothInfo(term=state.label, variables=tuple(spec["variables"]),
                      bs=tuple(bs) if isinstance(bs, list) else bs, fixed_columns=fixed_idx,
                      blocks=bidx, state=state.smooth, coef_names=maps.coef_names,
                      coef_map=maps.coef_map, mgcv_coef_map=maps.mgcv_coef_map,
                      mgcv_intercept_shift=maps.mgcv_intercept_shift,
                      fixed_terms=maps.fixed_terms, S_scale=maps.S_scale, text=state.text)


class SmoothType(TermType):
    """mgcv's smooths ``s()``, ``te()``, ``ti()``, ``t2()``."""

    kind = "smooth"
    calls = SMOOTH_KINDS
    state = SmoothState

    def parse(self, text: str, pos: int, formula: str) -> SmoothTerm:
        variables, args = parse_call(text, pos, formula)
        return SmoothTerm(text=text, kind=CALL.match(text).group(1), variables=variables,
                          args=args, pos=pos)

    def fit(self, term: SmoothTerm, planned: None, ctx: FitContext) -> SmoothState:
        return fit_smooth_term(term, ctx.data, ctx.columns, ctx.seed, ctx.knots, xt=ctx.xt)

    def constrain(self, fitted: list[tuple[int, SmoothTerm, SmoothState]], ctx: FitContext,
                  Xp: np.ndarray) -> dict[int, SmoothState]:
        """mgcv's ``gam.side``: smooths nested in others refitted without the columns it
        deletes (:mod:`bayeszoo.formula.side`)."""
        deleted = side_deletions([st for _, _, st in fitted], ctx.data, ctx.columns, Xp,
                                 ctx.formula)
        return {fitted[j][0]: fit_smooth_term(fitted[j][1], ctx.data, ctx.columns, ctx.seed,
                                              ctx.knots, side_drop=ind, xt=ctx.xt)
                for j, ind in deleted.items()}

    def build(self, state: SmoothState, ctx: BuildContext) -> TermColumns:
        Xf, names, blocks = smooth_columns(state, ctx.data, ctx.columns, ctx.allow_new_levels,
                                           ctx.dpar)
        return TermColumns(blocks=blocks, fixed=Xf, fixed_names=names)

    def smooth_info(self, state: SmoothState, fixed_columns: list[int],
                    blocks: list[int]) -> SmoothInfo:
        return smooth_info(state, fixed_columns, blocks)


TERM_TYPE = SmoothType()
