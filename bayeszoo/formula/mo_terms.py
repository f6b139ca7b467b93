"""Monotonic effects ``mo(x)`` of an ordinal predictor as brms 2.18 builds them (``.data_sp``
in ``R/data-predictor.R``, the Stan function ``mo()``), fitted once into a JSON state and
evaluated from it on any data.

``mo(x):z`` (or ``z:mo(x)``, with any number of numeric covariates ``z``) multiplies the effect
by ``z`` row by row, as brms's ``Csp`` columns: ``bsp_moperiod:size`` and
``simo_moperiod:size1``.

``x`` is an ordered factor (a ``pd.Categorical``; its observed categories in order are the
categories ``0..D``, as brms's ``as.numeric(x) - 1``) or non-negative integers ``0..D`` (``D``
the largest value in the training data). The effect ``bsp · D · Σ_{i ≤ x} simo[i]`` is one
block (:class:`~bayeszoo.structures.monotonic.Monotonic`) whose dense columns are the
cumulative indicators ``M[n, i] = 1`` for ``i < x_n`` (``D`` columns).

Names (for ``mo(period)`` in the formula of ``mu``): ``bsp_moperiod`` (brms's class ``b``, coef
``moperiod``; ``priors=`` keys ``"bsp_moperiod"`` and ``"b"``, flat by default) and the simplex
``simo_moperiod1`` (class ``simo``, coef ``moperiod1``: one vector over the dimension
``moperiod_step`` with coordinates ``1..D``, brms's ``simo_moperiod1[1..D]``; key
``"simo_moperiod1"``, default ``dirichlet(1)``); ``mo_moperiod`` holds the steps
``D · bsp · simo``. In the formula of ``sigma``: ``bsp_sigma_moperiod``, ``simo_sigma_moperiod1``.

``mo(x)`` inside a group-level term (``(mo(x) | g)``, ``(1 + mo(x) | g)``, ``(mo(x) || g)``;
read by :mod:`bayeszoo.formula.random_terms` with :func:`group_mo_label`) varies the
monotonic coefficient by group as brms 2.18 does (``stan_sp`` in ``R/stan-predictor.R``):
``eta += (bsp_mox + r_g[g, mox]) · mo(simo_mox1, x)``, one simplex shared by the population
and group parts. The term's coefficient is named ``mox`` (``r_g[level, mox]``,
``sd_g__mox``, ``cor_g__Intercept__mox``); its column in the group block's weights holds ones,
which the model multiplies by ``D · Σ_{i ≤ x} simo[i]`` at the simplex's value
(:mod:`bayeszoo.models.monotonic_groups`). As in brms, the formula must have the
population-level ``mo(x)`` too (brms: "Special group-level terms require corresponding
population-level terms").

Not modelled, and refused with a message saying so: interactions of two monotonic effects
(``mo(x):mo(z)``), with factors, ``mo(x) * z`` (write ``mo(x) + z + mo(x):z``), and
``mo(x):z`` inside a group-level term.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Block, BlockNames, ScaleParam
from bayeszoo.structures import MONOTONIC

from .columns import factor_levels, is_numeric
from .errors import FormulaError
from .naming import smooth_label
from .term_base import (
    BuildContext,
    CallTerm,
    FitContext,
    TermColumns,
    TermState,
    TermType,
    parse_call,
)
from .text import colname, has_top, split_top, strip

#: brms's default prior of a monotonic effect's simplex.
SIMPLEX_PRIOR = "dirichlet(1)"
#: a call of ``mo()`` anywhere in a term's text
MO_CALL = re.compile(r"(?<![\w.`])mo\s*\(")


@dataclass
class MoTerm(CallTerm):
    """``mo(x)``: brms's monotonic effect of the ordinal predictor ``x``."""

    term_kind = "mo"
    function = "mo"
    #: the numeric covariates it interacts with (``mo(x):z``)
    by: tuple[str, ...] = ()
    #: the place of ``mo(x)`` among the pieces of the interaction
    at: int = 0

    def read_columns(self) -> tuple[str, ...]:
        return (*self.variables, *self.by)

    def effect_variables(self, columns: list[str]) -> tuple[str, ...]:
        return (*self.variables, *self.by)

    def to_string(self) -> str:
        pieces = list(self.by)
        pieces.insert(self.at, super().to_string())
        return ":".join(pieces)


@dataclass(frozen=True)
class MoState(TermState):
    """A fitted ``mo()``: its brms label (``moperiod``, ``moperiod:size``), the predictor, its
    categories in order (``None`` for integers), the number of steps ``D`` and the numeric
    covariates of an interaction."""

    kind = "mo"
    label: str = ""
    variable: str = ""
    levels: tuple[str, ...] | None = None
    steps: int = 0
    by: tuple[str, ...] = ()

    @property
    def covariates(self) -> tuple[str, ...]:
        return (self.variable, *self.by)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "label": self.label,
                "variable": self.variable,
                "levels": None if self.levels is None else list(self.levels),
                "steps": self.steps, "by": list(self.by)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MoState:
        return cls(text=d["text"], label=d["label"], variable=d["variable"],
                   levels=None if d["levels"] is None else tuple(d["levels"]),
                   steps=int(d["steps"]), by=tuple(d["by"]))


def _column(var: str, data: pd.DataFrame, columns: dict[str, object]) -> pd.Series:
    return data[columns[var]]


def fit_mo_term(term: MoTerm, data: pd.DataFrame, columns: dict[str, object]) -> MoState:
    """The state of ``mo(x)`` on ``data``: the categories of a factor, or the largest value of
    non-negative integers; :class:`FormulaError` for anything else (brms: "Monotonic predictors
    must be integers or ordered factors")."""
    if len(term.variables) != 1 or term.args:
        raise FormulaError(f"{term.text}: mo() takes one predictor and no arguments")
    var = term.variables[0]
    s = _column(var, data, columns)
    pieces = list(term.by)
    pieces.insert(term.at, smooth_label("mo", (var,)))
    label = ":".join(pieces)
    for z in term.by:
        if not is_numeric(_column(z, data, columns)):
            raise FormulaError(f"{term.text}: {z!r} is not numeric; interactions of mo() with "
                               "factors are not supported")
    if isinstance(s.dtype, pd.CategoricalDtype):
        levels = tuple(str(v) for v in factor_levels(s))
        if len(levels) < 2:
            raise FormulaError(f"{term.text}: {var!r} has {len(levels)} category in the data; a "
                               "monotonic effect needs at least two")
        return MoState(text=term.text, label=label, variable=var, levels=levels,
                       steps=len(levels) - 1, by=term.by)
    if not is_numeric(s):
        raise FormulaError(f"{term.text}: {var!r} is neither a factor nor numbers; a monotonic "
                           "predictor is an ordered factor (pd.Categorical with its categories "
                           "in order) or integers 0, 1, ..., D")
    x = np.asarray(s, dtype=float)
    _check_integers(x, term.text, var, None)
    steps = int(x.max())
    if steps < 1:
        raise FormulaError(f"{term.text}: {var!r} is 0 in every row; a monotonic effect needs "
                           "values up to at least 1")
    return MoState(text=term.text, label=label, variable=var, levels=None, steps=steps,
                   by=term.by)


def _check_integers(x: np.ndarray, text: str, var: str, steps: int | None) -> None:
    bad = (x != np.round(x)) | (x < 0) | (x > (np.inf if steps is None else steps))
    if np.any(bad):
        top = "D" if steps is None else str(steps)
        raise FormulaError(f"{text}: {var!r} has {x[bad][0]:g}; a monotonic predictor given as "
                           f"numbers takes the integers 0, 1, ..., {top}")


def categories(state: MoState, data: pd.DataFrame, columns: dict[str, object]) -> np.ndarray:
    """The category ``0..D`` of every row of ``data``; an unknown level or value raises."""
    s = _column(state.variable, data, columns)
    if state.levels is None:
        x = np.asarray(s, dtype=float)
        _check_integers(x, state.text, state.variable, state.steps)
        return x.astype(int)
    index = {level: i for i, level in enumerate(state.levels)}
    values = s.astype(str).to_numpy()
    unknown = sorted(set(values) - set(index))
    if unknown:
        raise FormulaError(f"{state.text}: {state.variable!r} has level(s) {unknown} the fit "
                           f"did not see; its levels are {list(state.levels)}")
    return np.array([index[v] for v in values], dtype=int)


def cumulative_columns(x: np.ndarray, steps: int) -> np.ndarray:
    """``M`` (``n × D``) with ``M[n, i] = 1`` for ``i < x_n``: ``M @ simo`` is brms's
    ``mo(simo, x_n) / D``, the share of the total change reached at category ``x_n``."""
    return (np.arange(steps)[None, :] < x[:, None]).astype(float)


def mo_block(state: MoState, data: pd.DataFrame, columns: dict[str, object],
             dpar: str | None = None) -> Block:
    """The block of a fitted ``mo()`` term on ``data`` (see the module doc for its names)."""
    tag = f"{dpar}_" if dpar else ""
    label = f"{tag}{state.label}"
    bsp = ScaleParam(f"bsp_{label}", (f"bsp_{label}",) + (() if dpar else ("b",)),
                     support="real", default="flat")
    simo = ScaleParam(f"simo_{label}1", (f"simo_{label}1",), support="simplex",
                      shape=(state.steps,), default=SIMPLEX_PRIOR)
    steps = tuple(str(i + 1) for i in range(state.steps))
    names = BlockNames(scales=(bsp,), coef=f"mo_{label}", dims=(f"{label}_step",),
                       coords=(steps,), z=simo.name, z_param=simo)
    matrix = cumulative_columns(categories(state, data, columns), state.steps)
    for z in state.by:
        matrix = matrix * np.asarray(_column(z, data, columns), dtype=float)[:, None]
    return Block(name=state.label, kind="mo", coef=None, term=state.text, labels=list(steps),
                 names=names, matrix=matrix, structure=MONOTONIC)


class MoType(TermType):
    """brms's ``mo()``."""

    kind = "mo"
    calls = ("mo",)
    state = MoState

    def recognises(self, text: str) -> bool:
        """Any term but a group-level one that calls ``mo()``: ``mo(x)`` itself, or one that
        :meth:`parse` refuses."""
        return MO_CALL.search(text) is not None and not is_group_term(text)

    def parse(self, text: str, pos: int, formula: str) -> MoTerm:
        """``mo(x)``, or its interaction with numeric columns ``mo(x):z``."""
        if text.startswith("("):
            raise FormulaError(f"{text}: write a monotonic effect as mo(x), mo(x):z, or inside "
                               "a group-level term as (mo(x) | g)")
        pieces = [strip(p, at) for p, at, _ in split_top(text, ":", pos, formula)]
        calls = [i for i, (p, _) in enumerate(pieces) if MO_CALL.search(p)]
        if len(calls) > 1:
            raise FormulaError(f"{text}: interactions of two monotonic effects are not "
                               "supported")
        (at,) = calls
        call, cpos = pieces[at]
        if not super().recognises(call) or MO_CALL.search(call, 1):
            raise FormulaError(f"{text}: write an interaction with a monotonic effect as "
                               "mo(x):z, with z numeric columns (mo(x) * z as "
                               "mo(x) + z + mo(x):z)")
        by = tuple(colname(p, formula, ppos, text) for i, (p, ppos) in enumerate(pieces)
                   if i != at)
        variables, args = parse_call(call, cpos, formula)
        return MoTerm(text=text, variables=variables, args=args, pos=pos, by=by, at=at)

    def fit(self, term: MoTerm, planned: None, ctx: FitContext) -> MoState:
        return fit_mo_term(term, ctx.data, ctx.columns)

    def build(self, state: MoState, ctx: BuildContext) -> TermColumns:
        return TermColumns(blocks=[mo_block(state, ctx.data, ctx.columns, ctx.dpar)])


TERM_TYPE = MoType()


def is_group_term(text: str) -> bool:
    """Whether ``text`` is a group-level term ``(lhs | g)``."""
    return text.startswith("(") and text.endswith(")") and has_top(text[1:-1], "|")


def group_mo_label(text: str, pos: int, formula: str, term: str) -> tuple[str, str]:
    """The brms label (``mox``) and the predictor of ``mo(x)`` written on the left of the
    group-level term ``term``; :class:`FormulaError` for ``mo(x):z`` or arguments."""
    mt = TERM_TYPE.parse(text, pos, formula)
    if mt.by:
        raise FormulaError(f"{term}: interactions with a monotonic effect ({text}) are not "
                           "supported inside group-level terms; write (mo(x) | g)")
    if len(mt.variables) != 1 or mt.args:
        raise FormulaError(f"{text}: mo() takes one predictor and no arguments")
    return smooth_label("mo", mt.variables), mt.variables[0]


def check_population_mo(variables: Mapping[str, str], formula: str, term: str) -> None:
    """:class:`FormulaError` unless ``formula`` (one linear predictor's) has the
    population-level ``mo(x)`` of each of ``variables`` (brms label -> predictor), as brms
    requires."""
    rhs, rpos, _ = split_top(formula, "~", 0, formula)[-1]
    have = set()
    for piece, pos, _ in split_top(rhs, "+-", rpos, formula):
        t, tpos = strip(piece, pos)
        if t and MO_CALL.match(t) and not is_group_term(t):
            mt = TERM_TYPE.parse(t, tpos, formula)
            have |= set() if mt.by else {smooth_label("mo", mt.variables)}
    missing = [var for lab, var in variables.items() if lab not in have]
    if missing:
        raise FormulaError(f"{term}: group-level monotonic effects need the population-level "
                           f"term too (brms: \"Special group-level terms require corresponding "
                           f"population-level terms\"); add "
                           f"{' + '.join(f'mo({v})' for v in missing)} to {formula!r}")
