"""What every term type of a formula declares (:mod:`bayeszoo.formula.term_types` registers
them): the term as parsed, its fitted state, and the operations that turn one into the other
and the state into design columns.

A term type is one module holding

* a parsed term (a :class:`ParsedTerm`: the text as written, read into its pieces);
* a fitted state (a frozen :class:`TermState`: everything learnt from the training data, stored
  in a fit as the JSON dict of :meth:`TermState.to_dict` and read back by
  :meth:`TermState.from_dict`);
* a :class:`TermType`: how to recognise and parse the term, which columns it reads, how to fit
  its state and how to build its fixed columns and blocks on any data from that state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from bayeszoo.design import Block, SmoothInfo

from .errors import FormulaError
from .grouping import Grouping
from .text import call_args, colname, literal, quote_name, r_value

CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\s*\(")


@dataclass
class ParsedTerm:
    """A term as written: its text and its position in the formula. ``term_kind`` names its
    term type in the registry."""

    term_kind: ClassVar[str] = ""
    #: whether the term's blocks are networks, which only backends that sample networks fit
    is_network: ClassVar[bool] = False
    #: whether the term's columns are functions of its covariates' values alone, so that a
    #: discretized fit (``bayeszoo.bam``) evaluates them on each covariate's distinct values
    discretizable: ClassVar[bool] = False

    def read_columns(self) -> tuple[str, ...]:
        """The data columns the term reads, each declared to the design before any is fitted
        (none by default)."""
        return ()

    def joint_covariates(self) -> int:
        """How many covariates a discretized fit rounds jointly for the term (mgcv's
        ``compress.df`` takes fewer distinct values per covariate as it grows)."""
        return 1

    def group_names(self) -> list[str]:
        """brms's names of the grouping factors the term varies by (none but for
        group-level terms)."""
        return []

    def knot_variables(self) -> tuple[str, ...]:
        """The covariates whose knots ``knots=`` may set."""
        return ()

    def effect_variables(self, columns: list[str]) -> tuple[str, ...]:
        """The variables of brms's default conditional effect of the term (among the data's
        ``columns``), none for terms brms draws no default effect of."""
        return ()

    def to_string(self) -> str:
        raise NotImplementedError


@dataclass
class CallTerm(ParsedTerm):
    """A term written as a call of covariates with named arguments kept as R values
    (:func:`bayeszoo.formula.text.literal`)."""

    function: ClassVar[str] = ""
    text: str = ""
    variables: tuple[str, ...] = ()
    args: dict[str, object] = field(default_factory=dict)
    pos: int = 0

    def read_columns(self) -> tuple[str, ...]:
        return call_columns(self.variables, self.args)

    def to_string(self) -> str:
        parts = [quote_name(v) for v in self.variables]
        parts += [f"{k}={r_value(v)}" for k, v in self.args.items()]
        return f"{self.function}({', '.join(parts)})"


def call_columns(variables: tuple[str, ...], args: Mapping[str, object]) -> tuple[str, ...]:
    """The columns a call reads: its covariates and its ``by`` variable when one is named."""
    by = args.get("by")
    return (*variables, *([str(by)] if isinstance(by, str) else []))


def covariates_and_by(variables: tuple[str, ...], args: Mapping[str, object],
                      columns: list[str]) -> tuple[str, ...]:
    """A call's covariates and its ``by`` variable when that is one of ``columns`` (brms's
    default conditional effect of a smooth or a GP)."""
    by = args.get("by")
    return (*variables, *([str(by)] if by in columns else []))


def parse_call(text: str, pos: int, formula: str) -> tuple[tuple[str, ...], dict[str, object]]:
    """The covariates and keyword arguments (as R values) of ``name(x1, x2, key=value)``."""
    positional, keywords = call_args(text, pos, formula)
    variables = tuple(colname(a, formula, apos, text) for a, apos in positional)
    if not variables:
        raise FormulaError(f"{text}: no covariate given")
    args = {key: literal(value, text, key) for key, (value, _) in keywords.items()}
    return variables, args


@dataclass(frozen=True)
class TermState:
    """A term fitted to data. ``kind`` is the registry key of its term type, ``text`` the term
    as written."""

    kind: ClassVar[str] = ""
    text: str
    #: reports draw the term's curve from posterior predictions over its covariate (a GP, a
    #: network), having no basis of mgcv's to draw it from
    predicted_curve: ClassVar[bool] = False
    #: the term models the residuals' autocorrelation (brms's ``ar()``), adding no columns
    autocorrelation: ClassVar[bool] = False

    @property
    def groupings(self) -> tuple[Grouping, ...]:
        """The grouping factors of a group-level term (``(lhs | g)``), else empty."""
        return ()

    @property
    def covariates(self) -> tuple[str, ...]:
        """The columns the term is a function of (a smooth's, GP's or network's covariates;
        a group-level term's grouping columns)."""
        return ()

    @property
    def curve_covariates(self) -> tuple[str, ...]:
        """The covariates of a term that is a curve or surface over them (smooths, GPs,
        networks), else empty."""
        return ()

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TermState:
        raise NotImplementedError


@dataclass
class FitContext:
    """What fitting a term sees: the data (checked for missing values), the map from column
    names to the frame's labels, the aliased frame and reverse aliases of formulaic
    expressions, ``seed`` (mgcv's ``xt$seed``), ``knots=``, the formula's text and ``xt=``
    (column -> mgcv's ``xt`` of its smooths)."""

    data: pd.DataFrame
    columns: dict[str, object]
    frame: pd.DataFrame
    reverse: dict[str, str]
    seed: int
    knots: dict[str, Any] | None
    formula: str
    xt: dict[str, Any] | None = None


@dataclass
class BuildContext:
    """What building a fitted term's columns sees: as :class:`FitContext`, with
    ``allow_new_levels`` and the distributional parameter whose formula holds the term."""

    data: pd.DataFrame
    columns: dict[str, object]
    frame: pd.DataFrame
    reverse: dict[str, str]
    allow_new_levels: bool
    dpar: str | None


@dataclass
class TermColumns:
    """A fitted term on data: columns it adds to the fixed design ``X`` (named, brms's class
    ``bs``), and its blocks."""

    blocks: list[Block]
    fixed: np.ndarray | None = None
    fixed_names: list[str] = field(default_factory=list)


class TermType:
    """One kind of formula term. Subclasses set ``kind`` (the registry key and the state's
    ``"kind"``), ``calls`` (the function names that write it, ``("s", "te", "ti", "t2")``) and
    ``state`` (its :class:`TermState` class) and implement :meth:`parse`, :meth:`fit` and
    :meth:`build`."""

    kind: ClassVar[str] = ""
    calls: ClassVar[tuple[str, ...]] = ()
    state: ClassVar[type[TermState]] = TermState

    def recognises(self, text: str) -> bool:
        """Whether ``text`` (one term of a formula) is a term of this type: by default a call
        of one of ``calls``."""
        m = CALL.match(text)
        return m is not None and m.group(1) in self.calls and text.endswith(")")

    def parse(self, text: str, pos: int, formula: str) -> ParsedTerm:
        raise NotImplementedError

    def plan(self, term: ParsedTerm, need: Callable[[str, str], None],
             alias: Callable[[str, int, str], str], formula: str) -> Any:
        """Declare the columns ``term`` reads (``need(column, term text)``; an expression of
        columns through ``alias(text, position, term text)``); returns what :meth:`fit` needs
        of them. By default each of :meth:`ParsedTerm.read_columns` is needed and nothing is
        returned."""
        for v in term.read_columns():
            need(v, term.text)
        return None

    def fit(self, term: ParsedTerm, planned: Any, ctx: FitContext) -> TermState:
        raise NotImplementedError

    def constrain(self, fitted: list[tuple[int, ParsedTerm, TermState]], ctx: FitContext,
                  Xp: np.ndarray) -> dict[int, TermState]:
        """States refitted under constraints between this type's terms (mgcv's ``gam.side``
        for smooths), by the terms' positions; none by default."""
        return {}

    def build(self, state: TermState, ctx: BuildContext) -> TermColumns:
        raise NotImplementedError

    def smooth_info(self, state: TermState, fixed_columns: list[int],
                    blocks: list[int]) -> SmoothInfo | None:
        """The term's :class:`~bayeszoo.design.SmoothInfo` (mgcv smooths only)."""
        return None
