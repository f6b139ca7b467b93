"""Category-specific effects ``cs(x)`` of the sequential and adjacent ordinal models, as brms
2.18 builds them (``terms_cs`` in ``R/brmsterms.R``, ``data_cs`` in ``R/data-predictor.R``,
``stan_cs`` in ``R/stan-predictor.R``), fitted once into a JSON state and evaluated from it on
any data.

``rating ~ cs(x) + z + (1 | g)`` with ``family="sratio"``, ``"cratio"`` or ``"acat"`` gives
the numeric covariate ``x`` one coefficient per threshold: brms's ``bcs_x[k]``, ``k = 1..K-1``
(one variable ``bcs_x`` over the dimension ``threshold``), entering brms's ``mucs = Xcs · bcs``
(rows × thresholds), so that the ``k``-th linear predictor of a row is ``disc (thres_k - (mu +
mucs_k))`` (brms's ``Intercept - transpose(mucs[n])`` in ``stan_log_lik_ordinal``). ``Xcs`` is
not centered (brms centers only ``X``). The prior is brms's class ``b`` (coef ``x``), flat by
default; ``priors=`` keys ``"bcs_x"`` and ``"b"``.

Each call takes one numeric covariate (``cs(x) + cs(w)`` for two). Refused with a message:
``cs()`` in a formula of a distributional parameter (brms: "Category specific effects are only
supported for the main parameter 'mu'."), inside group-level terms ``(cs(x) | g)`` (brms's
category-specific group-level effects), interactions with ``cs()`` and factors. The family is
checked when the design is built (:func:`check_family`): brms refuses ``cs()`` with
``cumulative`` and every non-ordinal family.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Block, BlockNames, ScaleParam
from bayeszoo.structures import CATEGORY_SPECIFIC

from .columns import is_numeric
from .errors import FormulaError
from .term_base import (
    BuildContext,
    CallTerm,
    FitContext,
    TermColumns,
    TermState,
    TermType,
    parse_call,
)

#: :attr:`Block.kind` of a category-specific effect
CS_KIND = "cs"
#: the families whose thresholds take category-specific effects (brms's ``specials`` "cs")
CS_FAMILIES = ("sratio", "cratio", "acat")
#: a call of ``cs()`` anywhere in a term's text
CS_CALL = re.compile(r"(?<![\w.`])cs\s*\(")


@dataclass
class CsTerm(CallTerm):
    """``cs(x)``: brms's category-specific effect of the numeric covariate ``x``."""

    term_kind = "cs"
    function = "cs"

    def effect_variables(self, columns: list[str]) -> tuple[str, ...]:
        return self.variables


@dataclass(frozen=True)
class CsState(TermState):
    """A fitted ``cs(x)``: the covariate and brms's ``nthres`` (the response's categories less
    one)."""

    kind = "cs"
    variable: str = ""
    thresholds: int = 0

    @property
    def covariates(self) -> tuple[str, ...]:
        return (self.variable,)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "variable": self.variable,
                "thresholds": self.thresholds}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CsState:
        return cls(text=d["text"], variable=d["variable"], thresholds=int(d["thresholds"]))


def check_family(pf: Any, dpfs: Mapping[str, Any], family: Any) -> None:
    """:class:`FormulaError` for ``cs()`` in the parsed formula ``pf`` of ``mu`` when
    ``family`` is not one of :data:`CS_FAMILIES`, or in a distributional parameter's formula
    (``dpfs``), with brms's messages."""
    for name, f in dpfs.items():
        for t in f.of_kind("cs"):
            raise FormulaError(f"{t.text} in the formula of {name}: Category specific effects "
                               "are only supported for the main parameter 'mu' (brms)")
    for t in pf.of_kind("cs"):
        if family.name not in CS_FAMILIES:
            raise FormulaError(f"{t.text}: Category specific effects are not supported for "
                               f"this family ({family.name}; brms allows cs() with "
                               f"{', '.join(CS_FAMILIES)})")


def response_thresholds(formula: str, data: pd.DataFrame, columns: dict[str, object],
                        text: str) -> int:
    """brms's ``nthres`` from the response column of ``formula``: an ordered Categorical's
    categories, else the largest rating, less one (as the ordinal families count them)."""
    from bayeszoo.families import get as get_family

    lhs = formula.split("~", 1)[0].split("|", 1)[0].strip().strip("`")
    label = columns.get(lhs, lhs)
    if not lhs or label not in data.columns:
        raise FormulaError(f"{text}: category-specific effects need the ordinal response as a "
                           "column of the data in the formula of mu (brms: 'Category specific "
                           "effects are only supported for the main parameter 'mu'.')")
    k = len(get_family("acat").categories(data[label])) - 1
    if k < 1:
        raise FormulaError(f"{text}: the response {lhs!r} has one category; an ordinal model "
                           "needs at least two")
    return k


def cs_block(state: CsState, data: pd.DataFrame, columns: dict[str, object]) -> Block:
    """The block of a fitted ``cs()`` on ``data``: the covariate's column and its per-threshold
    coefficients ``bcs_<x>`` (see the module doc)."""
    x = data[columns[state.variable]]
    if not is_numeric(x):
        raise FormulaError(f"{state.text}: {state.variable!r} is not numeric; cs() takes a "
                           "numeric covariate")
    name = f"bcs_{state.variable}"
    labels = tuple(str(k + 1) for k in range(state.thresholds))
    bcs = ScaleParam(name, (name, "b"), support="real", shape=(state.thresholds,),
                     default="flat")
    names = BlockNames(scales=(), coef=name, dims=("threshold",), coords=(labels,),
                       z_param=bcs)
    return Block(name=state.variable, kind=CS_KIND, coef=None, term=state.text,
                 labels=list(labels), names=names,
                 matrix=np.asarray(x, dtype=float)[:, None], structure=CATEGORY_SPECIFIC)


class CsType(TermType):
    """brms's ``cs()``."""

    kind = "cs"
    calls = ("cs",)
    state = CsState

    def recognises(self, text: str) -> bool:
        """Any term that calls ``cs()``: ``cs(x)`` itself, or one that :meth:`parse`
        refuses."""
        return CS_CALL.search(text) is not None

    def parse(self, text: str, pos: int, formula: str) -> CsTerm:
        """``cs(x)`` of one covariate."""
        if text.startswith("("):
            raise FormulaError(f"{text}: category-specific group-level effects ((cs(x) | g)) "
                               "are not supported; write cs(x) as a population-level term")
        if not super().recognises(text) or CS_CALL.search(text, 1):
            raise FormulaError(f"{text}: write a category-specific effect as cs(x) on its own "
                               "(no interactions with cs())")
        inner = text[text.index("(") + 1:-1]
        if "+" in inner or "," in inner:
            raise FormulaError(f"{text}: cs() takes one covariate; write cs(x) + cs(z)")
        variables, args = parse_call(text, pos, formula)
        if args:
            raise FormulaError(f"{text}: cs() takes no arguments")
        return CsTerm(text=text, variables=variables, args=args, pos=pos)

    def fit(self, term: CsTerm, planned: None, ctx: FitContext) -> CsState:
        state = CsState(text=term.text, variable=term.variables[0],
                        thresholds=response_thresholds(ctx.formula, ctx.data, ctx.columns,
                                                       term.text))
        cs_block(state, ctx.data, ctx.columns)
        return state

    def build(self, state: CsState, ctx: BuildContext) -> TermColumns:
        if ctx.dpar is not None:
            raise FormulaError(f"{state.text}: Category specific effects are only supported "
                               "for the main parameter 'mu' (brms)")
        return TermColumns(blocks=[cs_block(state, ctx.data, ctx.columns)])


TERM_TYPE = CsType()
