"""brms 2.18's autoregressive term ``ar(time =, gr =, p =)`` for Gaussian and Student-t
responses, in the residual form brms uses for them without ``cov = TRUE``
(``R/stan-autocor.R``): the mean of row ``n`` is

``mu[n] = eta[n] + Σ_{i=1..p} ar[i] · (y[n - i] - eta[n - i])``

where ``n - i`` is the row ``i`` places before ``n`` in its series (rows of one ``gr`` level,
ordered by ``time``) and the sum leaves out the lags before the series starts.

The term adds no columns and no block: its fitted state names the time and group columns and
the order ``p``, and :func:`lag_rows` gives, for every row of a data frame, the row of each of
its lags in its series (``-1`` where there is none). Rows need not be sorted: the series order
comes from ``time`` (the row order when ``time`` is not given), as brms orders its data by
group and time. Time points must be distinct within a series (brms: "Time points within groups
must be unique").

Parameters (:mod:`bayeszoo.models.autocorrelation`): ``ar``, a vector of length ``p`` on
``(-1, 1)`` with brms's default flat prior (class ``ar``), shown as ``ar[1]``, ``ar[2]``, ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import FormulaError
from .term_base import BuildContext, CallTerm, FitContext, TermColumns, TermState, TermType
from .text import call_args, colname, literal


@dataclass
class ArTerm(CallTerm):
    """``ar(time = t, gr = g, p = k)`` as written: ``time``/``gr`` column names or ``None``."""

    term_kind = "ar"
    function = "ar"
    time: str | None = None
    group: str | None = None
    p: int = 1

    def to_string(self) -> str:
        parts = [f"time = {self.time}"] if self.time else []
        parts += [f"gr = {self.group}"] if self.group else []
        return f"ar({', '.join([*parts, f'p = {self.p}'])})"


@dataclass(frozen=True)
class ArState(TermState):
    """A fitted ``ar()``: its time and group columns (``None`` when not given) and order."""

    kind = "ar"
    autocorrelation = True
    time: str | None = None
    group: str | None = None
    p: int = 1

    @property
    def covariates(self) -> tuple[str, ...]:
        return tuple(c for c in (self.time, self.group) if c is not None)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "time": self.time, "group": self.group,
                "p": self.p}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ArState:
        return cls(text=d["text"], time=d["time"], group=d["group"], p=int(d["p"]))


def parse_ar(text: str, pos: int, formula: str) -> ArTerm:
    """``ar(time, gr, p)`` with brms's argument order and names; ``cov = TRUE`` and arguments
    brms does not know are refused."""
    positional, keywords = call_args(text, pos, formula)
    names = ("time", "gr", "p", "cov")
    if len(positional) > len(names):
        raise FormulaError(f"{text}: ar() takes time, gr, p and cov")
    given: dict[str, tuple[str, int]] = dict(zip(names, positional, strict=False))
    for key, value in keywords.items():
        if key not in names or key in given:
            raise FormulaError(f"{text}: unknown or repeated argument {key!r} of ar(); it takes "
                               "time, gr, p")
        given[key] = value
    if "cov" in given and literal(given["cov"][0], text, "cov") is not False:
        raise FormulaError(f"{text}: ar(cov = TRUE) is not supported; the residual form "
                           "(cov = FALSE, brms's default) is")
    p = literal(given["p"][0], text, "p") if "p" in given else 1
    if isinstance(p, bool) or not isinstance(p, int | float) or p != int(p) or p < 1:
        raise FormulaError(f"{text}: p must be a positive integer, got {given['p'][0]!r}")
    cols = {k: None if k not in given or given[k][0].strip() == "NA"
            else colname(given[k][0], formula, given[k][1], text) for k in ("time", "gr")}
    return ArTerm(text=text, pos=pos, time=cols["time"], group=cols["gr"], p=int(p))


def series_order(state: ArState, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Every row's series (integer codes of ``gr``, all 0 without it) and the row order that
    sorts ``data`` by series then time (stable); ``FormulaError`` for a time point repeated
    within a series."""
    n = len(data)
    series = np.zeros(n, dtype=int) if state.group is None else \
        pd.factorize(data[state.group], sort=True)[0]
    time = np.arange(n, dtype=float) if state.time is None else \
        np.asarray(data[state.time], dtype=float)
    order = np.lexsort((time, series))
    same = (series[order][1:] == series[order][:-1]) & (time[order][1:] == time[order][:-1])
    if np.any(same):
        raise FormulaError(f"{state.text}: time point {time[order][1:][same][0]:g} appears "
                           "twice in one series; time points within groups must be unique")
    return series, order


def lag_rows(state: ArState, data: pd.DataFrame) -> np.ndarray:
    """``(n, p)``: for row ``n`` and lag ``i + 1``, the row ``i + 1`` places before ``n`` in
    its series, ``-1`` where the series has no such row."""
    series, order = series_order(state, data)
    out = np.full((len(data), state.p), -1, dtype=int)
    s = series[order]
    for i in range(1, state.p + 1):
        has = np.zeros(len(order), dtype=bool)
        has[i:] = s[i:] == s[:-i]
        out[order[has], i - 1] = order[np.flatnonzero(has) - i]
    return out


class ArType(TermType):
    """brms's ``ar()``."""

    kind = "ar"
    calls = ("ar",)
    state = ArState

    def parse(self, text: str, pos: int, formula: str) -> ArTerm:
        return parse_ar(text, pos, formula)

    def plan(self, term: ArTerm, need: Callable[[str, str], None],
             alias: Callable[[str, int, str], str], formula: str) -> None:
        for v in (term.time, term.group):
            if v is not None:
                need(v, term.text)

    def fit(self, term: ArTerm, planned: None, ctx: FitContext) -> ArState:
        state = ArState(text=term.text, time=term.time, group=term.group, p=term.p)
        if state.time is not None and not pd.api.types.is_numeric_dtype(ctx.data[state.time]):
            raise FormulaError(f"{term.text}: time {state.time!r} must be numeric")
        series_order(state, ctx.data)
        return state

    def build(self, state: ArState, ctx: BuildContext) -> TermColumns:
        if ctx.dpar is not None:
            raise FormulaError(f"{state.text}: ar() belongs in the formula of the mean, not "
                               f"of {ctx.dpar}")
        return TermColumns(blocks=[])


TERM_TYPE = ArType()
