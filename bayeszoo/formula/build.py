"""Formula + DataFrame -> :class:`~bayeszoo.design.Design`, and a fitted design on new data.

:func:`design` fits every term once to the data (factor levels, knots, constraints, formulaic's
transform state) and records those states in ``Design.states``; :func:`evaluate_design` rebuilds
the same columns on any data from the states alone, which is what ``Design.for_newdata``,
``predict`` and a fit loaded from disk use.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Block, Design, SmoothInfo
from bayeszoo.families import get as get_family
from bayeszoo.families.censoring import censoring_codes, check_censoring

from .aliasing import aliased_columns, drop_aliased, warn_aliased
from .bf import BrmsFormula
from .categories import category_formula, coded_response
from .columns import (
    ALIAS,
    alias_expr,
    check_column_kinds,
    check_finite_moments,
    check_mixed_types,
    check_na,
    check_numeric_columns,
    column_map,
    warn_numeric_strings,
)
from .cs_terms import check_family as check_cs_family
from .errors import FormulaError, unknown_column
from .expressions import aliased_frame, evaluate, fit_columns, fit_expression, single_level_factors
from .naming import fixed_param, name_clash
from .nonlinear_design import nonlinear_main, nonlinear_parts, with_nonlinear
from .parse import ParsedFormula, addition_calls, parse_formula
from .term_base import BuildContext, FitContext, TermState
from .term_types import state_from_dict, term_type

STATE_VERSION = 1


def _spec(intercept: bool, terms: list[str]) -> str:
    return " + ".join(["1" if intercept else "0", *terms])


def _users(pf: ParsedFormula, col: str) -> str:
    """The terms of the formula that read column ``col``, for error messages."""
    word = re.compile(rf"(?<![\w.`]){re.escape(col)}(?![\w.`])|`{re.escape(col)}`")
    if pf.response_expr is None and col == pf.response:
        return "the response"
    if pf.response_expr is not None and word.search(pf.response_expr):
        return f"the response {pf.response_expr}"
    texts = [*pf.fixed, *(t.text for t in pf.terms), *(f"offset({o})" for o in pf.offsets),
             *addition_calls(pf.additions)]
    hits = [t for t in texts if word.search(t)]
    return ("term " if len(hits) == 1 else "terms ") + ", ".join(hits) if hits else "read by it"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Plan:
    """The columns a parsed formula reads, with formulaic aliases for its expressions. A
    response written as an expression has aliases of its own, so that new data without its
    columns still evaluates the rest."""

    def __init__(self, pf: ParsedFormula, columns: dict[str, object], with_response: bool):
        self.pf = pf
        self.used: list[str] = []
        self.aliases: dict[str, str] = {}
        self.response_aliases: dict[str, str] = {}
        self.response_spec: str | None = None
        if with_response and pf.response_expr is not None:
            self.response_spec = alias_expr(pf.response_expr, 0, columns, self.response_aliases,
                                            f"{pf.response_expr} (the response)", pf.formula)
            self.used += list(self.response_aliases)
        elif with_response and pf.response is not None:
            self.need(pf.response, f"{pf.response} (the response)", columns)
        alias = self.alias
        self.fixed = [alias(t, 0, t, columns) for t in pf.fixed]
        self.offsets = [alias(o, 0, f"offset({o})", columns) for o in pf.offsets]
        # the censoring codes and interval ends describe the observed response: read with it
        self.censoring = {k: pf.additions[k] for k in ("cens", "y2")
                          if with_response and not _is_number(pf.additions.get(k, "0"))}
        for col in self.censoring.values():
            self.need(col, f"cens({pf.additions['cens']})", columns)
        self.additions = {k: alias(v, 0, f"{k}({v})", columns)
                          for k, v in pf.additions.items()
                          if not _is_number(v) and k not in ("cens", "y2")}
        #: what each of ``pf.terms`` planned for its fit (:meth:`TermType.plan`)
        self.planned = [term_type(t.term_kind).plan(
            t, lambda col, term: self.need(col, term, columns),
            lambda text, pos, term: alias(text, pos, term, columns), pf.formula)
            for t in pf.terms]
        for a in self.aliases:
            if a not in self.used:
                self.used.append(a)
        self.reverse = {a: c for c, a in self.aliases.items()}
        numeric = {f"offset({o})": a for o, a in zip(pf.offsets, self.offsets, strict=True)}
        numeric |= {f"{k}({pf.additions[k]})": a for k, a in self.additions.items()}
        #: term -> the columns it reads, for the terms that must be numbers per row
        self.numeric_reads = {t: [self.reverse[a] for a in dict.fromkeys(ALIAS.findall(a))]
                              for t, a in numeric.items()}
        self.response_reverse = {a: c for c, a in self.response_aliases.items()}

    def need(self, col: str, term: str, columns: dict[str, object]) -> None:
        if col not in columns:
            raise unknown_column(col, columns, term)
        if col not in self.used:
            self.used.append(col)

    def alias(self, text: str, pos: int, term: str, columns: dict[str, object]) -> str:
        return alias_expr(text, pos, columns, self.aliases, term, self.pf.formula)


def design(formula: str | BrmsFormula | ParsedFormula, data: pd.DataFrame, *,
           family: Any = None, na_action: str = "raise", seed: int = 1,
           knots: dict[str, Any] | None = None, xt: dict[str, Any] | None = None) -> Design:
    """Parse ``formula`` against ``data`` into a :class:`~bayeszoo.design.Design`.

    ``formula``: a formula string, or :func:`bayeszoo.bf` with formulas for the family's
    auxiliary parameters (their designs go to ``Design.dpars``). ``family``: a family name or
    object of :mod:`bayeszoo.families` (default gaussian): it prepares and checks the response
    and its additions (``trials``, ``se``, ``weights``; ``cens`` and ``trunc``,
    :mod:`bayeszoo.families.censoring`). ``na_action``: ``"raise"`` (a NaN in a used column
    raises ``ValueError`` naming the column) or ``"drop"`` (drop those rows and warn with the
    count). ``seed`` seeds ``tp``'s knot subsampling for more than 2000 unique
    covariate values (mgcv's ``xt$seed``). ``knots``: column -> knot values, as mgcv's and brms's
    ``knots = list(month = c(0.5, 12.5))`` (for ``cc``, the ends of the period; for ``mrf``,
    every region). ``xt``: column -> mgcv's ``xt`` of the smooths of that column, as
    ``s(region, bs = "mrf", xt = list(nb = nb))``: ``xt={"region": {"nb": {"a": ["b"], "b":
    ["a"]}}}`` (neighbours by name) or ``{"region": {"penalty": S}}``.
    """
    columns = column_map(data)
    if na_action not in ("raise", "drop"):
        raise ValueError(f"na_action must be 'raise' or 'drop', got {na_action!r}")
    fam = get_family(family if family is not None else "gaussian")
    categories = None
    if fam.category_predictors:
        formula, categories = category_formula(formula, fam, data, na_action)
    pf, dpfs = _parsed(formula, fam)
    check_cs_family(pf, dpfs, fam)
    nl = nonlinear_parts(formula, columns) if isinstance(formula, BrmsFormula) and formula.nl \
        else None
    plans = {None: _Plan(pf, columns, with_response=True)}
    plans |= {name: _Plan(dpf, columns, with_response=False) for name, dpf in dpfs.items()}
    nlplans = {} if nl is None else {name: _Plan(f, columns, with_response=False)
                                     for name, f in nl.formulas.items()}
    used = list(dict.fromkeys(c for plan in (*plans.values(), *nlplans.values())
                              for c in plan.used))
    if nl is not None:
        used = list(dict.fromkeys([*used, *nl.expression.covariates]))
    data = check_na(data, columns, used, na_action, lambda c: _users(pf, c), pf.formula)
    if len(data) == 0:
        raise FormulaError(f"no rows to build the design of {pf.formula!r} from")
    check_mixed_types(data, columns, used)
    check_column_kinds(data, columns, used, lambda c: _users(pf, c))
    for plan in plans.values():
        check_numeric_columns(data, columns, plan.numeric_reads)
    warn_numeric_strings(data, columns, used)
    if knots is not None and not isinstance(knots, dict):
        raise TypeError(f"knots must be a dict mapping columns to knot values, got "
                        f"{type(knots).__name__}")
    if xt is not None and not isinstance(xt, dict):
        raise TypeError(f"xt must be a dict mapping columns to mgcv's xt (a dict), got "
                        f"{type(xt).__name__}")
    smooth_vars = [v for f in (pf, *dpfs.values()) for t in f.terms for v in t.knot_variables()]
    _check_knots(knots, smooth_vars)
    _check_knots(xt, smooth_vars, "xt")
    states = _fit_states(pf, plans[None], data, columns, seed, knots, xt)
    if categories is not None:
        states["categories"] = categories
    states["dpars"] = {name: _fit_states(dpf, plans[name], data, columns, seed, knots, xt)
                       for name, dpf in dpfs.items()}
    if nl is not None:
        states["nlpars"] = {name: _fit_states(f, nlplans[name], data, columns, seed, knots, xt)
                            for name, f in nl.formulas.items()}
        states["nonlinear"] = nl.state()
    d = evaluate_design(states, data, family=fam, terms=pf, require_response=True)
    aliased = {name: aliased_columns(dk) for name, dk in [(None, d), *d.dpars.items()]}
    if any(aliased.values()):
        warn_aliased(pf.formula, aliased)
        states["aliased"] = aliased[None]
        for name, sub in states["dpars"].items():
            sub["aliased"] = aliased[name]
        d = evaluate_design(states, data, family=fam, terms=pf, require_response=True)
    check_finite_moments(d.response, d.y, "the response")
    return d


def _parsed(formula, family) -> tuple[ParsedFormula, dict[str, ParsedFormula]]:
    if isinstance(formula, BrmsFormula):
        for name in formula.dpars:
            family.aux_parameter(name)
        main = nonlinear_main(formula.formula) if formula.nl else formula.formula
        return parse_formula(main), {
            name: parse_formula(f, dpar=name) for name, f in formula.dpars.items()}
    if isinstance(formula, ParsedFormula):
        return formula, {}
    return parse_formula(formula), {}


def _fit_states(pf: ParsedFormula, plan: _Plan, data: pd.DataFrame,
                columns: dict[str, object], seed: int,
                knots: dict[str, Any] | None,
                xt: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every term of ``pf`` fitted to ``data`` (already checked for missing values)."""
    cstate = fit_columns(data, columns, plan.aliases)
    frame = aliased_frame(cstate, data, columns, pf.formula)
    what = f"the fixed effects {' + '.join(pf.fixed) or '1'} of {pf.formula!r}"
    Xp, _, fixed_state = fit_expression(_spec(pf.intercept, plan.fixed), frame, plan.reverse,
                                        what)
    for col, level in single_level_factors(cstate, plan.fixed, plan.reverse):
        warnings.warn(f"factor {col!r} has a single level ({level!r}) in the data: it adds no "
                      "column to the fixed effects", UserWarning, stacklevel=3)
    # one numeric column each: I() keeps formulaic from reading + and - as term operators
    offsets = [fit_expression(f"0 + I({o})", frame, plan.reverse, f"offset({text})")[2]
               for o, text in zip(plan.offsets, pf.offsets, strict=True)]
    additions = {k: fit_expression(f"0 + I({v})", frame, plan.reverse, f"{k}({pf.additions[k]})")[2]
                 for k, v in plan.additions.items()}
    ctx = FitContext(data=data, columns=columns, frame=frame, reverse=plan.reverse, seed=seed,
                     knots=knots, formula=pf.formula, xt=xt)
    fitted: list[TermState] = [term_type(t.term_kind).fit(t, planned, ctx)
                               for t, planned in zip(pf.terms, plan.planned, strict=True)]
    for kind in dict.fromkeys(t.term_kind for t in pf.terms):
        mine = [(i, t, fitted[i]) for i, t in enumerate(pf.terms) if t.term_kind == kind]
        for i, st in term_type(kind).constrain(mine, ctx, Xp).items():
            fitted[i] = st
    terms = [st.to_dict() for st in fitted]
    states = {"version": STATE_VERSION, "formula": pf.formula, "response": pf.response,
              "columns": cstate, "fixed": fixed_state, "offsets": offsets,
              "additions": additions,
              "literal_additions": {k: float(v) for k, v in pf.additions.items()
                                    if _is_number(v)},
              "terms": terms}
    if plan.response_spec is not None:
        states["response_expression"] = _fit_response(pf, plan, data, columns)
    return states


def _fit_response(pf: ParsedFormula, plan: _Plan, data: pd.DataFrame,
                  columns: dict[str, object]) -> dict[str, Any]:
    """The state of a response written as an expression (``log(earn)``): its columns and
    formulaic's state of the one numeric column it gives, as R's model frame evaluates it."""
    cstate = fit_columns(data, columns, plan.response_aliases)
    frame = aliased_frame(cstate, data, columns, pf.formula)
    what = f"the response {pf.response_expr} of {pf.formula!r}"
    values, _, state = fit_expression(f"0 + I({plan.response_spec})", frame,
                                      plan.response_reverse, what)
    if values.shape[1] != 1:
        raise FormulaError(f"{what} gives {values.shape[1]} columns; a response expression "
                           "must give one number per row")
    return {"columns": cstate, "expression": state}


def evaluate_design(states: dict[str, Any], data: pd.DataFrame, *, family: Any = None,
                    terms: ParsedFormula | None = None, allow_new_levels: bool = False,
                    require_response: bool = False) -> Design:
    """The design of fitted term ``states`` on ``data``, with the designs of its distributional
    parameters. The response is read when present (and must be, with ``require_response``); a
    response column with missing values is ignored for prediction. An unseen factor level
    raises unless ``allow_new_levels``; a non-finite value in a fixed column raises as when
    fitting."""
    fam = get_family(family if family is not None else "gaussian")
    columns = column_map(data)
    dpars = {name: _evaluate(sub, data, columns, parse_formula(sub["formula"], dpar=name), fam,
                             allow_new_levels, False, name)
             for name, sub in states.get("dpars", {}).items()}
    pf = terms if terms is not None else parse_formula(states["formula"])
    main = _evaluate(states, data, columns, pf, fam, allow_new_levels, require_response, None)
    main = replace(main, dpars=dpars)
    if "nonlinear" not in states:
        return main
    nlpars = {name: _evaluate(sub, data, columns, parse_formula(sub["formula"], dpar=name), fam,
                              allow_new_levels, False, name)
              for name, sub in states["nlpars"].items()}
    return with_nonlinear(main, states["nonlinear"], nlpars, data, columns)


def _evaluate(states: dict[str, Any], data: pd.DataFrame, columns: dict[str, object],
              pf: ParsedFormula, fam, allow_new_levels: bool, require_response: bool,
              dpar: str | None) -> Design:
    response_state = states.get("response_expression")
    read = [] if pf.response is None else [pf.response] if response_state is None \
        else list(response_state["columns"]["aliases"])
    with_y = bool(read) and all(c in columns for c in read) and (
        require_response or not any(data[columns[c]].isna().any() for c in read))
    plan = _Plan(pf, columns, with_response=with_y)
    data = check_na(data, columns, plan.used, "raise", lambda c: _users(pf, c), pf.formula)
    frame = aliased_frame(states["columns"], data, columns, pf.formula)
    reverse = plan.reverse
    n = len(data)
    X_parts = [evaluate(states["fixed"], frame, reverse, "the fixed effects")]
    names = list(states["fixed"]["names"])
    smooth_flags = [False] * len(names)
    offset = np.zeros(n)
    for o in states["offsets"]:
        offset = offset + evaluate(o, frame, reverse, "an offset")[:, 0]
    additions = {k: evaluate(s, frame, reverse, f"{k}()")[:, 0]
                 for k, s in states["additions"].items() if k in plan.additions}
    additions |= {k: np.full(n, v) for k, v in states["literal_additions"].items()
                  if with_y or k != "y2"}
    try:
        additions |= censoring_columns(plan.censoring, data, columns)
    except ValueError as exc:
        raise FormulaError(f"{exc} (in {pf.formula!r})") from None
    blocks: list[Block] = []
    smooths: list[SmoothInfo] = []
    seen: dict[tuple, str] = {}
    owners = ["the fixed effects"] * len(names)
    term_states = tuple(state_from_dict(d) for d in states["terms"])
    term_blocks = []
    ctx = BuildContext(data=data, columns=columns, frame=frame, reverse=reverse,
                       allow_new_levels=allow_new_levels, dpar=dpar)
    for st in term_states:
        ttype = term_type(st.kind)
        built = ttype.build(st, ctx)
        fixed_idx = list(range(len(names), len(names) + len(built.fixed_names)))
        if built.fixed is not None:
            X_parts.append(built.fixed)
        names += built.fixed_names
        owners += [st.text] * len(built.fixed_names)
        smooth_flags += [True] * len(built.fixed_names)
        bidx = []
        for blk in built.blocks:
            bidx.append(len(blocks))
            _add_block(blocks, seen, blk, st.text)
        term_blocks.append(tuple(bidx))
        info = ttype.smooth_info(st, fixed_idx, bidx)
        if info is not None:
            smooths.append(info)
    if len(set(names)) != len(names):
        dup = sorted({c for c in names if names.count(c) > 1})
        terms = list(dict.fromkeys(o for c, o in zip(names, owners, strict=True) if c in dup))
        if len(terms) > 1:
            raise FormulaError(name_clash(terms[0], terms[1], f"the columns {dup}"))
        raise FormulaError(f"duplicate design columns {dup} in {pf.formula!r}")
    aliased = list(states.get("aliased", []))
    # an ordinal family's thresholds replace the intercept column of mu (brms drops it too);
    # mgcv's cox.ph has none (drop.intercept)
    thresholds = ["Intercept"] if dpar is None and (fam.thresholds or fam.drop_intercept) \
        and "Intercept" in names and "Intercept" not in aliased else []
    X, names, smooth_flags, smooths, blocks = drop_aliased(
        np.column_stack(X_parts), names, smooth_flags, smooths, blocks, aliased + thresholds)
    for j, name in enumerate(names):
        check_finite_moments(name, X[:, j], f"in {pf.formula!r}, the fixed-effect column")
    y = None
    if with_y:
        values = data[columns[pf.response]] if response_state is None else pd.Series(
            _response_values(response_state, data, columns, plan, pf), name=pf.response)
        values = coded_response(values, states)
        try:
            y = fam.prepare(values, pf.response,
                            trials=additions.get("trials"), weights=additions.get("weights"),
                            se=additions.get("se"), offset=offset if np.any(offset) else None).y
            additions = check_censoring(fam, y, pf.response, additions)
        except ValueError as exc:  # the family names the value; the formula names the column
            raise FormulaError(f"{exc} (in {pf.formula!r})") from None
    return Design(formula=pf.formula, response=pf.response, y=y, X=X, column_names=names,
                  blocks=blocks, family=fam,
                  fixed_params=[fixed_param(c, f, dpar) for c, f in zip(names, smooth_flags,
                                                                         strict=True)],
                  smooths=smooths, offset=offset, additions=additions, data=data, terms=pf,
                  states=states, dpar=dpar, evaluator=evaluate_design, aliased=tuple(aliased),
                  term_states=term_states, term_blocks=tuple(term_blocks))


def censoring_columns(read: dict[str, str], data: pd.DataFrame,
                      columns: dict[str, object]) -> dict[str, np.ndarray]:
    """``cens(c, y2)``'s columns: brms's codes of ``c`` as -1, 0, 1, 2
    (:func:`~bayeszoo.families.censoring.censoring_codes`) and ``y2`` as numbers."""
    out = {}
    if "cens" in read:
        out["cens"] = censoring_codes(data[columns[read["cens"]]], read["cens"])
    if "y2" in read:
        y2 = data[columns[read["y2"]]]
        if not pd.api.types.is_numeric_dtype(y2) or pd.api.types.is_bool_dtype(y2):
            raise ValueError(f"the upper ends of cens()'s intervals, column {read['y2']!r}, "
                             f"are not numbers (dtype {y2.dtype})")
        out["y2"] = y2.to_numpy(dtype=float)
    return out


def _response_values(state: dict[str, Any], data: pd.DataFrame, columns: dict[str, object],
                     plan: _Plan, pf: ParsedFormula) -> np.ndarray:
    """A response written as an expression, evaluated on ``data`` from its fitted state."""
    frame = aliased_frame(state["columns"], data, columns, pf.formula)
    return evaluate(state["expression"], frame, plan.response_reverse,
                    f"the response {pf.response_expr}")[:, 0]


def _add_block(blocks: list[Block], seen: dict, blk: Block, text: str) -> None:
    """Append ``blk``; a coefficient of a grouping factor given twice (``(1 | g) + (1 + x | g)``),
    two blocks under one brms name (two correlated terms of ``g``) or two smooths whose
    generated names coincide (``s(x, y)`` and ``s(xy)``: both ``sxy``) raise naming the terms."""
    for coef in blk.coefs:
        first = seen.get((blk.name, coef))
        if first is not None and first != text and not blk.is_group_effect:
            raise FormulaError(name_clash(first, text, f"the parameters {blk.names.coef}"))
        if first is not None:
            also = f" (also in {first})" if first != text else ""
            raise FormulaError(f"{text}: the block {blk.name}/{coef} appears twice in the "
                               f"formula{also}")
        seen[(blk.name, coef)] = text
    array = ("coefficient array", blk.names.coef, None)
    if array in seen:
        raise FormulaError(f"{text}: a second correlated term of grouping factor {blk.name!r}; "
                           f"write its correlated coefficients in one term, e.g. "
                           f"(1 + x + z | {blk.name})")
    seen[array] = text
    blocks.append(blk)


def _check_knots(knots: dict[str, Any] | None, used: list[str], what: str = "knots") -> None:
    """``knots=`` (and ``xt=``) may name only covariates of the formula's smooths (``used``).
    mgcv ignores other names; here a misspelt one (``Month`` for ``month``) is an error rather
    than a cyclic smooth on the wrong period."""
    if not knots:
        return
    used = sorted(set(used))
    unknown = sorted(set(knots) - set(used))
    if unknown:
        raise FormulaError(f"{what}= names {unknown}, which no smooth of the formula reads; the "
                           f"smooths' covariates are {used}")


def as_design(formula_or_design, data: pd.DataFrame | None = None, family: Any = None,
              na_action: str = "raise", knots: dict[str, Any] | None = None,
              xt: dict[str, Any] | None = None) -> Design:
    """A formula string or :func:`bayeszoo.bf` (with ``data``), or a Design, as a Design with
    ``family`` (a Design keeps its own unless ``family`` is given)."""
    if isinstance(formula_or_design, Design):
        if data is not None:
            raise ValueError("pass data only with a formula; a Design already holds its data")
        if knots is not None:
            raise ValueError("pass knots only with a formula; a Design already holds its "
                             "smooths' knots (bz.design(formula, data, knots=...))")
        if xt is not None:
            raise ValueError("pass xt only with a formula; a Design already holds its "
                             "smooths' neighbours (bz.design(formula, data, xt=...))")
        fam = family if family is not None else formula_or_design.family or "gaussian"
        return replace(formula_or_design, family=get_family(fam))
    if not isinstance(formula_or_design, str | BrmsFormula):
        raise TypeError(f"expected a formula string, bf(...) or a Design, got "
                        f"{type(formula_or_design).__name__}")
    if data is None:
        raise ValueError("a formula needs data= (a pandas DataFrame)")
    return design(formula_or_design, data, family=family, na_action=na_action, knots=knots,
                  xt=xt)
