"""Random-effect terms ``(lhs | g)`` and ``(lhs || g)``: grouping factors and varying
coefficients fitted once, evaluated as indicator blocks (lme4's and brms's ``Z``).

* ``(1 | g)``, ``(0 + x | g)`` and each coefficient of ``(1 + x || g)``: one block per
  coefficient (iid structure, one ``sd``).
* ``(1 + x | g)`` (``(x | g)``: the intercept is implied, as in R): ONE block per grouping
  factor whose rows carry ``k`` weights (the intercept's ones and each slope column), its
  coefficients ``r_g`` of shape ``(levels, k)`` tied by an unstructured covariance
  (:class:`bayeszoo.structures.Unstructured`): one ``sd`` per coefficient and the Cholesky
  factor ``L_g`` of their correlation matrix, with brms's default prior
  ``lkj_corr_cholesky(1)``.

The left side is evaluated as R's ``model.matrix`` evaluates it, intercept included, so a factor
there gets treatment contrasts beside an intercept (``(1 + f | g)``: ``Intercept``, ``fb``,
``fc``) and full dummy coding without one (``(0 + f | g)``: ``fa``, ``fb``, ``fc``).
A monotonic effect there (``(1 + mo(x) | g)``, :mod:`bayeszoo.formula.mo_terms`) is one more
coefficient, ``mox``, after the left side's columns, with a column of ones that the model
multiplies by the monotonic transform of ``x``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayeszoo.design import GROUP_EFFECT_KIND, Block, BlockNames, ScaleParam
from bayeszoo.structures import Unstructured

from .errors import FormulaError, malformed
from .expressions import evaluate, fit_expression
from .grouping import Grouping, codes, fit_grouping
from .mo_terms import MO_CALL, check_population_mo, group_mo_label
from .naming import model_matrix_name, re_coef_param, re_sd_param
from .term_base import BuildContext, FitContext, ParsedTerm, TermColumns, TermState, TermType
from .text import colname, has_top, split_top, strip

#: brms's default prior of a correlation matrix's Cholesky factor (class ``L``).
DEFAULT_CORRELATION_PRIOR = "lkj_corr_cholesky(1)"


@dataclass
class RandomTerm(ParsedTerm):
    """``(lhs | group)`` or ``(lhs || group)``: ``lhs`` in fixed-effects syntax, ``group`` a
    factor, ``a:b`` (interaction) or ``a/b`` (nesting)."""

    term_kind = "random"
    discretizable = True
    text: str = ""
    lhs: str = ""
    group: str = ""
    double_bar: bool = False
    pos: int = 0

    def to_string(self) -> str:
        return f"({self.lhs}{' || ' if self.double_bar else ' | '}{self.group})"

    def group_names(self) -> list[str]:
        """``g`` -> ``[g]``; ``a:b`` -> ``[a:b]``; ``a/b`` -> ``[a, a:b]``."""
        parts = [p.strip() for p in self.group.split("/")]
        return [":".join(parts[: i + 1]) for i in range(len(parts))]


def parse_random(t: str, tpos: int, formula: str) -> RandomTerm:
    """``(lhs | group)`` or ``(lhs || group)`` read into its pieces."""
    inner = t[1:-1]
    bars = split_top(inner, "|", tpos + 1, formula)
    if len(bars) == 2:
        double = False
        (lhs_t, _, _), (grp, gpos, _) = bars
    elif len(bars) == 3 and bars[1][0] == "":
        double = True
        (lhs_t, _, _), _, (grp, gpos, _) = bars
    else:
        raise malformed(formula, tpos, f"cannot read random-effect term {t}")
    if not lhs_t.strip():
        raise malformed(formula, tpos + 1, f"nothing before '|' in {t}")
    if not grp.strip():
        raise malformed(formula, gpos, f"no grouping factor after '|' in {t}")
    return RandomTerm(text=t, lhs=lhs_t.strip(), group=grp.strip(), double_bar=double, pos=tpos)


def random_lhs(rt: RandomTerm, formula: str) -> tuple[list[str], bool]:
    """The fixed-effects terms and the intercept flag of a random term's left side."""
    intercept = True
    terms: list[str] = []
    for piece, pos, sep in split_top(rt.lhs, "+-", rt.pos + 1, formula):
        t, tpos = strip(piece, pos)
        if not t:
            if sep == "" and pos == rt.pos + 1:
                continue
            raise malformed(formula, tpos, f"empty term in {rt.text}")
        if sep == "-":
            if t == "1":
                intercept = False
                continue
            raise FormulaError(f"{rt.text}: only '- 1' may be subtracted")
        if t == "1":
            intercept = True
        elif t == "0":
            intercept = False
        else:
            terms.append(t)
    return terms, intercept


def random_groups(rt: RandomTerm, formula: str) -> list[list[str]]:
    """The grouping factors of a random term: ``g`` -> [[g]]; ``a:b`` -> [[a, b]];
    ``a/b`` -> [[a], [a, b]] (nesting expands to ``(1 | a) + (1 | a:b)``)."""
    nested = split_top(rt.group, "/", 0, rt.group)
    if len(nested) > 1:
        names = [colname(p, formula, rt.pos, rt.text) for p, _, _ in nested]
        return [names[: i + 1] for i in range(len(names))]
    return [[colname(p, formula, rt.pos, rt.text)
             for p, _, _ in split_top(rt.group, ":", 0, rt.group)]]


@dataclass(frozen=True)
class RandomState(TermState):
    """A fitted ``(lhs | g)``: the intercept flag, ``||``, nesting ``a/b``, formulaic's state of
    the left side's columns (``None`` for ``(1 | g)``), the varying coefficients (brms's
    names), the groupings and, per grouping, the term label of each of its blocks; ``mo``:
    the coefficients that are monotonic effects (``mox`` of ``mo(x)``), the last of
    ``coefs``."""

    kind = "random"
    intercept: bool = True
    double_bar: bool = False
    nested: bool = False
    lhs: Mapping[str, Any] | None = None
    coefs: tuple[str, ...] = ()
    groups: tuple[Grouping, ...] = ()
    terms: tuple[tuple[str, ...], ...] = ()
    mo: tuple[str, ...] = ()

    @property
    def groupings(self) -> tuple[Grouping, ...]:
        return self.groups

    @property
    def covariates(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for g in self.groups for v in g.variables))

    @property
    def correlated(self) -> bool:
        """Whether the term is one correlated block per grouping factor."""
        return len(self.coefs) > 1 and not self.double_bar

    def lme4_coef_names(self, reverse: Mapping[str, str]) -> dict[str, str]:
        """The coefficients: brms name -> lme4's (``Intercept`` -> ``(Intercept)``, a factor
        level ``fb`` as R's ``model.matrix`` names it); ``reverse`` maps formulaic's aliases
        back to the columns."""
        out = {"Intercept": "(Intercept)"}
        if self.lhs is not None:
            for col, brms in zip(self.lhs["columns"], self.lhs["names"], strict=True):
                if brms != "Intercept":
                    out[brms] = model_matrix_name(col, reverse)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "intercept": self.intercept,
                "double_bar": self.double_bar, "nested": self.nested, "lhs": self.lhs,
                "coefs": list(self.coefs), "groups": [g.to_dict() for g in self.groups],
                "terms": [list(t) for t in self.terms],
                **({"mo": list(self.mo)} if self.mo else {})}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RandomState:
        return cls(text=d["text"], intercept=d["intercept"], double_bar=d.get("double_bar", True),
                   nested=d.get("nested", False), lhs=d["lhs"], coefs=tuple(d["coefs"]),
                   groups=tuple(Grouping.from_dict(g) for g in d["groups"]),
                   terms=tuple(tuple(t) for t in d["terms"]), mo=tuple(d.get("mo", ())))


def normalized_lhs(rt: RandomTerm) -> str:
    return re.sub(r"\s*\+\s*", " + ", rt.lhs.strip())


def normalized_text(rt: RandomTerm) -> str:
    bar = " || " if rt.double_bar else " | "
    return f"({normalized_lhs(rt)}{bar}{rt.group.strip()})"


def sd_keys(name: str, group: str, dpar: str | None) -> tuple[str, ...]:
    """``priors=`` keys of a group-level sd, most specific first: the parameter, its group,
    its class (``sd``; ``sd_<dpar>`` for a distributional parameter's terms)."""
    return (name, f"sd_{dpar}") if dpar else (name, f"sd_{group}", "sd")


def cholesky_site(group: str, dpar: str | None) -> str:
    """The sampled Cholesky factor of a correlated term's correlations: ``L_g``
    (``L_sigma_g`` for a distributional parameter's term)."""
    return f"L_{dpar}_{group}" if dpar else f"L_{group}"


def correlation_keys(group: str, dpar: str | None) -> tuple[str, ...]:
    """``priors=`` keys of a correlated term's correlation matrix, most specific first: brms's
    class ``cor`` (or ``L``, as brms 2.18's ``prior_summary`` calls it) for the group, then for
    every group (``cor_g``, ``L_g``, ``cor``, ``L``; ``cor_sigma_g``, ``L_sigma_g``,
    ``cor_sigma``, ``L_sigma`` for a distributional parameter's terms)."""
    tag = f"{dpar}_" if dpar else ""
    return (f"cor_{tag}{group}", f"L_{tag}{group}", f"cor{'_' + dpar if dpar else ''}",
            f"L{'_' + dpar if dpar else ''}")


def coefficient_dim(group: str, dpar: str | None) -> str:
    """The dimension of a correlated block's coefficients in ``r_g[level, coef]``:
    ``g__coef`` (``g__sigma_coef`` for a distributional parameter's term)."""
    return f"{group}__{dpar}_coef" if dpar else f"{group}__coef"


def _unseen_to_zero(idx: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of an unseen level (code -1) get zero weights and index 0."""
    if np.any(idx < 0):
        seen = idx >= 0
        w = np.where(seen if w.ndim == 1 else seen[:, None], w, 0.0)
        idx = np.where(seen, idx, 0)
    return idx, w


def indicator_block(grouping: Grouping, coef: str, idx: np.ndarray,
                    weights: np.ndarray | None, term: str, sp: float | None = None,
                    dpar: str | None = None) -> Block:
    """The block of one varying coefficient of grouping factor ``grouping``: row ``i`` has
    ``weights[i]`` (ones for an intercept) in the column of its level; rows of an unseen level
    (code -1) get zeros."""
    g = grouping.name
    w = np.ones(len(idx)) if weights is None else np.asarray(weights, dtype=float)
    idx, w = _unseen_to_zero(idx, w)
    sd = re_sd_param(g, coef, dpar)
    names = BlockNames(scales=(ScaleParam(sd, sd_keys(sd, g, dpar)),),
                       coef=re_coef_param(g, None if coef == "Intercept" else coef, dpar),
                       dims=(g,), coords=(tuple(grouping.labels),))
    return Block(name=g, kind=GROUP_EFFECT_KIND, coef=coef, term=term, labels=list(grouping.labels),
                 names=names, index=idx, weights=w, sp=sp)


def correlated_block(grouping: Grouping, coefs: list[str], idx: np.ndarray,
                     weights: np.ndarray, term: str, dpar: str | None = None) -> Block:
    """The block of ``(1 + x | g)``: row ``i`` has ``weights[i]`` (``k`` values, one per
    coefficient) in level ``index[i]``'s ``k`` columns; coefficients ``r_g[level, coef]``;
    scales ``sd_g__<coef>`` for each coefficient, then ``L_g``."""
    g = grouping.name
    idx, w = _unseen_to_zero(idx, np.asarray(weights, dtype=float))
    k = len(coefs)
    sds = [re_sd_param(g, c, dpar) for c in coefs]
    scales = (*(ScaleParam(s, sd_keys(s, g, dpar)) for s in sds),
              ScaleParam(cholesky_site(g, dpar), correlation_keys(g, dpar), "correlation",
                         (k, k), DEFAULT_CORRELATION_PRIOR))
    names = BlockNames(scales=scales, coef=re_coef_param(g, None, dpar),
                       dims=(g, coefficient_dim(g, dpar)),
                       coords=(tuple(grouping.labels), tuple(coefs)))
    return Block(name=g, kind=GROUP_EFFECT_KIND, coef=None, term=term, labels=list(grouping.labels),
                 names=names, index=idx, weights=w, structure=Unstructured(tuple(coefs)))


def _check_levels(rt: RandomTerm, groupings: tuple[Grouping, ...], k: int,
                  correlated: bool) -> None:
    for grp in groupings:
        n_levels = len(grp.labels)
        if n_levels < 2:
            only = grp.labels[0] if grp.labels else None
            raise FormulaError(f"{rt.text}: grouping factor {grp.name!r} has a single level "
                               f"({only!r}) in the data; a group-level effect needs at least "
                               "two levels (drop the term, or model the factor as a fixed "
                               "effect)")
        if correlated and k > n_levels:
            raise FormulaError(f"{rt.text}: {k} correlated varying coefficients but grouping "
                               f"factor {grp.name!r} has only {n_levels} levels, too few "
                               f"to inform a {k} x {k} covariance matrix; vary fewer "
                               f"coefficients, or make them independent with "
                               f"({rt.lhs.strip()} || {rt.group.strip()})")


def fit_random_term(rt: RandomTerm, lhs_spec: str | None, intercept: bool,
                    groups: list[list[str]], ctx: FitContext,
                    mo: Mapping[str, str] | None = None) -> RandomState:
    """The state of ``(lhs | g)``: the varying coefficients' columns (``lhs_spec`` evaluated
    with formulaic, intercept included when the term has one), then its monotonic effects
    ``mo`` (brms label -> predictor), and the groupings."""
    lstate, coefs = None, ("Intercept",) if intercept else ()
    if lhs_spec is not None:
        _, names, lstate = fit_expression(lhs_spec, ctx.frame, ctx.reverse,
                                          f"the varying coefficients of {rt.text}")
        coefs = tuple(names)
    if mo:
        check_population_mo(mo, ctx.formula, rt.text)
        coefs = (*coefs, *mo)
    if not coefs:
        raise FormulaError(f"{rt.text}: no varying coefficient (write (1 | g) or (0 + x | g))")
    groupings = tuple(fit_grouping(":".join(g), g, ctx.data, ctx.columns) for g in groups)
    correlated = len(coefs) > 1 and not rt.double_bar
    _check_levels(rt, groupings, len(coefs), correlated)
    single = len(groups) == 1 and (len(coefs) == 1 or correlated)
    if correlated:
        terms = tuple((normalized_text(rt) if single else
                       f"({normalized_lhs(rt)} | {grp.name})",) for grp in groupings)
    else:
        terms = tuple(tuple(normalized_text(rt) if single else
                            (f"(1 | {grp.name})" if c == "Intercept"
                             else f"(0 + {c} | {grp.name})") for c in coefs)
                      for grp in groupings)
    return RandomState(text=rt.text, intercept=intercept, double_bar=rt.double_bar,
                       nested="/" in rt.group, lhs=lstate, coefs=coefs, groups=groupings,
                       terms=terms, mo=tuple(mo or ()))


def coefficient_columns(state: RandomState, ctx: BuildContext) -> np.ndarray:
    """The ``n × k`` columns of a fitted random term's varying coefficients, in the order of
    ``state.coefs`` (the intercept's ones where the left side has none)."""
    n = len(ctx.frame)
    cols = {}
    if state.lhs is not None:
        Xl = evaluate(state.lhs, ctx.frame, ctx.reverse, state.text)
        cols = dict(zip(state.lhs["names"], Xl.T, strict=True))
    return np.column_stack([cols[c] if c in cols else np.ones(n) for c in state.coefs])


def random_blocks(state: RandomState, ctx: BuildContext) -> list[Block]:
    """The blocks of a fitted random term on ``ctx.data``: one per grouping and coefficient,
    or one per grouping for a correlated term."""
    W = coefficient_columns(state, ctx)
    blocks = []
    for grp, terms in zip(state.groups, state.terms, strict=True):
        idx = codes(grp, ctx.data, ctx.columns, state.text, ctx.allow_new_levels)
        if state.correlated:
            blocks.append(correlated_block(grp, list(state.coefs), idx, W, terms[0], ctx.dpar))
            continue
        for j, (coef, term) in enumerate(zip(state.coefs, terms, strict=True)):
            weights = None if coef == "Intercept" and state.intercept else W[:, j]
            blocks.append(indicator_block(grp, coef, idx, weights, term, dpar=ctx.dpar))
    return blocks


class RandomType(TermType):
    """``(lhs | g)`` and ``(lhs || g)``: recognised by a ``|`` at the top level of a
    parenthesized term."""

    kind = "random"
    state = RandomState

    def recognises(self, text: str) -> bool:
        return text.startswith("(") and text.endswith(")") and has_top(text[1:-1], "|")

    def parse(self, text: str, pos: int, formula: str) -> RandomTerm:
        return parse_random(text, pos, formula)

    def plan(self, term: RandomTerm, need: Callable[[str, str], None],
             alias: Callable[[str, int, str], str], formula: str
             ) -> tuple[str | None, bool, list[list[str]], dict[str, str]]:
        terms, intercept = random_lhs(term, formula)
        groups = random_groups(term, formula)
        for g in groups:
            for v in g:
                need(v, term.text)
        mo = {}
        for t in [t for t in terms if MO_CALL.search(t)]:
            label, var = group_mo_label(t, max(formula.find(t, term.pos), term.pos), formula,
                                        term.text)
            need(var, term.text)
            mo[label] = var
            terms.remove(t)
        lhs = " + ".join(["1" if intercept else "0",
                          *(alias(t, term.pos, term.text) for t in terms)]) if terms else None
        return lhs, intercept, groups, mo

    def fit(self, term: RandomTerm,
            planned: tuple[str | None, bool, list[list[str]], dict[str, str]],
            ctx: FitContext) -> RandomState:
        lhs, intercept, groups, mo = planned
        return fit_random_term(term, lhs, intercept, groups, ctx, mo)

    def build(self, state: RandomState, ctx: BuildContext) -> TermColumns:
        return TermColumns(blocks=random_blocks(state, ctx))


TERM_TYPE = RandomType()
