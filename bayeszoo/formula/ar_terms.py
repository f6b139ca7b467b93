"""brms 2.18's autocorrelation terms ``ar(time =, gr =, p =)``, ``ma(time =, gr =, q =)`` and
``arma(time =, gr =, p =, q =)`` for Gaussian and Student-t responses, in the residual form brms
uses for them without ``cov = TRUE`` (``R/stan-autocor.R``): in series order,

``mu[n] = eta[n] + Σ_{i=1..q} ma[i] · err[n - i] + Σ_{i=1..p} ar[i] · err[n - i]``,
``err[n] = y[n] - eta[n] - Σ_{i=1..q} ma[i] · err[n - i]``

where ``n - i`` is the row ``i`` places before ``n`` in its series (rows of one ``gr`` level,
ordered by ``time``) and the sums leave out the lags before the series starts. ``ar()`` is
``arma(p = p, q = 0)`` (``err = y - eta``), ``ma()`` is ``arma(p = 0, q = q)``.

The term adds no columns and no block: its fitted state names the time and group columns and
the orders ``p`` and ``q``, and :func:`lag_rows` gives, for every row of a data frame, the row
of each of its ``max(p, q)`` lags in its series (``-1`` where there is none). Rows need not
be sorted: the series order comes from ``time`` (the row order when ``time`` is not given),
as brms orders its data by group and time. Time points must be distinct within a series
(brms: "Time points within groups must be unique").

Parameters (:mod:`bayeszoo.models.autocorrelation`): ``ar``, a vector of length ``p``, and
``ma``, one of length ``q``, on ``(-1, 1)`` with a flat prior (classes ``ar`` and ``ma``),
shown as ``ar[1]``, ``ma[1]``, ... All three calls are one term type of kind ``"ar"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import FormulaError
from .term_base import BuildContext, CallTerm, FitContext, TermColumns, TermState, TermType
from .text import call_args, colname, literal

#: each call's arguments in brms's order, and its default orders ``(p, q)``
CALLS: dict[str, tuple[tuple[str, ...], tuple[int, int]]] = {
    "ar": (("time", "gr", "p", "cov"), (1, 0)),
    "ma": (("time", "gr", "q", "cov"), (0, 1)),
    "arma": (("time", "gr", "p", "q", "cov"), (1, 1)),
}


@dataclass
class ArTerm(CallTerm):
    """``ar(time = t, gr = g, p = k)`` (or ``ma(q =)``, ``arma(p =, q =)``) as written:
    ``time``/``gr`` column names or ``None``, the call's name and its orders."""

    term_kind = "ar"
    function = "ar"
    time: str | None = None
    group: str | None = None
    p: int = 1
    q: int = 0
    call: str = "ar"

    def read_columns(self) -> tuple[str, ...]:
        return tuple(v for v in (self.time, self.group) if v is not None)

    def to_string(self) -> str:
        parts = [f"time = {self.time}"] if self.time else []
        parts += [f"gr = {self.group}"] if self.group else []
        parts += [f"{k} = {getattr(self, k)}" for k in ("p", "q") if k in CALLS[self.call][0]]
        return f"{self.call}({', '.join(parts)})"


@dataclass(frozen=True)
class ArState(TermState):
    """A fitted ``ar()``, ``ma()`` or ``arma()``: its time and group columns (``None`` when not
    given) and its orders ``p`` (autoregressive) and ``q`` (moving average)."""

    kind = "ar"
    autocorrelation = True
    time: str | None = None
    group: str | None = None
    p: int = 1
    q: int = 0

    @property
    def max_lag(self) -> int:
        """brms's ``max_lag``: the lags each row's residual terms reach back."""
        return max(self.p, self.q)

    @property
    def covariates(self) -> tuple[str, ...]:
        return tuple(c for c in (self.time, self.group) if c is not None)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "time": self.time, "group": self.group,
                "p": self.p, "q": self.q}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ArState:
        return cls(text=d["text"], time=d["time"], group=d["group"], p=int(d["p"]),
                   q=int(d.get("q", 0)))


def _order(given: Mapping[str, tuple[str, int]], key: str, default: int, text: str) -> int:
    """The order ``key`` (``p`` or ``q``) as given, else ``default``: a positive integer."""
    if key not in given:
        return default
    k = literal(given[key][0], text, key)
    if isinstance(k, bool) or not isinstance(k, int | float) or k != int(k) or k < 1:
        raise FormulaError(f"{text}: {key} must be a positive integer, got {given[key][0]!r}")
    return int(k)


def parse_ar(text: str, pos: int, formula: str) -> ArTerm:
    """``ar(time, gr, p)``, ``ma(time, gr, q)`` or ``arma(time, gr, p, q)`` with brms's
    argument order and names; ``cov = TRUE`` and arguments brms does not know are refused."""
    call = text[:text.index("(")].strip()
    names, (p0, q0) = CALLS[call]
    positional, keywords = call_args(text, pos, formula)
    if len(positional) > len(names):
        raise FormulaError(f"{text}: {call}() takes {', '.join(names)}")
    given: dict[str, tuple[str, int]] = dict(zip(names, positional, strict=False))
    for key, value in keywords.items():
        if key not in names or key in given:
            raise FormulaError(f"{text}: unknown or repeated argument {key!r} of {call}(); it "
                               f"takes {', '.join(names[:-1])}")
        given[key] = value
    if "cov" in given and literal(given["cov"][0], text, "cov") is not False:
        raise FormulaError(f"{text}: {call}(cov = TRUE) is not supported; the residual form "
                           "(cov = FALSE, brms's default) is")
    cols = {k: None if k not in given or given[k][0].strip() == "NA"
            else colname(given[k][0], formula, given[k][1], text) for k in ("time", "gr")}
    return ArTerm(text=text, pos=pos, time=cols["time"], group=cols["gr"],
                  p=_order(given, "p", p0, text), q=_order(given, "q", q0, text), call=call)


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
    """``(n, max(p, q))``: for row ``n`` and lag ``i + 1``, the row ``i + 1`` places before
    ``n`` in its series, ``-1`` where the series has no such row."""
    series, order = series_order(state, data)
    out = np.full((len(data), state.max_lag), -1, dtype=int)
    s = series[order]
    for i in range(1, state.max_lag + 1):
        has = np.zeros(len(order), dtype=bool)
        has[i:] = s[i:] == s[:-i]
        out[order[has], i - 1] = order[np.flatnonzero(has) - i]
    return out


class ArType(TermType):
    """brms's ``ar()``, ``ma()`` and ``arma()``."""

    kind = "ar"
    calls = tuple(CALLS)
    state = ArState

    def parse(self, text: str, pos: int, formula: str) -> ArTerm:
        return parse_ar(text, pos, formula)

    def fit(self, term: ArTerm, planned: None, ctx: FitContext) -> ArState:
        state = ArState(text=term.text, time=term.time, group=term.group, p=term.p, q=term.q)
        if state.time is not None and not pd.api.types.is_numeric_dtype(ctx.data[state.time]):
            raise FormulaError(f"{term.text}: time {state.time!r} must be numeric")
        series_order(state, ctx.data)
        return state

    def build(self, state: ArState, ctx: BuildContext) -> TermColumns:
        if ctx.dpar is not None:
            raise FormulaError(f"{state.text}: autocorrelation terms belong in the formula of "
                               f"the mean, not of {ctx.dpar}")
        return TermColumns(blocks=[])


TERM_TYPE = ArType()
