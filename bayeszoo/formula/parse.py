"""Formula text -> :class:`ParsedFormula`: response (with brms's additions), intercept, fixed,
random, smooth, Gaussian-process, neural-network and monotonic terms and offsets, in the order
written.

The language is brms's and mgcv's (both paste in unchanged)::

    y [| trials(n) | se(s) | weights(w) | cens(c[, y2]) | trunc(lb = a, ub = b)]
        ~ [1 | 0 | -1] + fixed terms + offset(expr)
        + (lhs | group) + (lhs || group) + s(...) + te(...) + ti(...) + t2(...) + gp(...)
        + nn(x1, x2, hidden=..., activation=...) + mo(x)

The response is a column or an expression of columns in the vocabulary of the fixed terms
(``log(earn) ~ ...``, as brms, mgcv and lme4 accept it): the model is then of the transformed
values, named as brms names them (:func:`bayeszoo.formula.naming.response_name`).
``cbind(successes, failures)`` (mgcv's binomial response) is read as ``successes`` with
``trials(successes + failures)``. ``cens(c)`` names the column of brms's censoring codes and
``cens(c, y2)`` adds the column of the upper ends of interval-censored rows (both read with the
response); ``trunc(lb = a, ub = b)`` (either
bound alone, or both by position) takes numbers or expressions of columns
(:mod:`bayeszoo.families.censoring`). Parsing checks syntax only; columns, levels and term
arguments are checked when the terms are fitted to data. Each non-fixed term is parsed by the
term type the registry (:mod:`bayeszoo.formula.term_types`) recognises in its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import FormulaError, malformed
from .naming import response_name
from .term_base import CALL, ParsedTerm
from .term_types import recognise
from .text import colname, is_name, quote_name, split_top, strip

ADDITIONS = ("trials", "se", "weights", "cens", "trunc")
#: The keys of ``ParsedFormula.additions`` that ``cens()`` and ``trunc()`` fill.
CALL_KEYS = {"cens": ("cens", "y2"), "trunc": ("lb", "ub")}


def addition_calls(additions: dict[str, str]) -> list[str]:
    """The additions as written: ``trials(n)``, ``cens(c, y2)``, ``trunc(lb = 0, ub = u)``."""
    calls = [f"{k}({v})" for k, v in additions.items() if k in ("trials", "se", "weights")]
    if "cens" in additions:
        y2 = f", {quote_name(additions['y2'])}" if "y2" in additions else ""
        calls.append(f"cens({quote_name(additions['cens'])}{y2})")
    bounds = [f"{k} = {additions[k]}" for k in ("lb", "ub") if k in additions]
    if bounds:
        calls.append(f"trunc({', '.join(bounds)})")
    return calls


@dataclass
class ParsedFormula:
    """The pieces of a formula. ``response`` is the response column, or brms's name of a
    response given as an expression, whose text is then ``response_expr``. ``additions`` maps
    brms's response additions (``trials``, ``se``, ``weights``; ``cens`` the column of
    censoring codes and ``y2``, ``lb``, ``ub``) to the expression given;
    ``terms`` holds the non-fixed terms (group-level terms, smooths, GPs, networks, ...) in the
    order written."""

    formula: str
    response: str | None
    intercept: bool
    additions: dict[str, str] = field(default_factory=dict)
    response_expr: str | None = None
    fixed: list[str] = field(default_factory=list)
    offsets: list[str] = field(default_factory=list)
    terms: list[ParsedTerm] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[ParsedTerm]:
        """The terms of one term type (``"random"``, ``"smooth"``, ``"gp"``, ``"nn"``,
        ``"mo"``)."""
        return [t for t in self.terms if t.term_kind == kind]

    @property
    def random(self) -> list[ParsedTerm]:
        """The group-level terms ``(lhs | g)``."""
        return self.of_kind("random")

    def to_string(self) -> str:
        """A canonical formula string that parses to the same design."""
        terms = ["1" if self.intercept else "0", *self.fixed]
        terms += [f"offset({o})" for o in self.offsets]
        terms += [t.to_string() for t in self.terms]
        lhs = "" if self.response is None else self.response_expr or quote_name(self.response)
        lhs += "".join(f" | {call}" for call in addition_calls(self.additions))
        return f"{lhs} ~ {' + '.join(terms)}".lstrip()


def _parse_lhs(lhs: str, lpos: int, formula: str) -> tuple[str, str | None, dict[str, str]]:
    """The response's name, its expression (``None`` for a column) and the additions."""
    pieces = split_top(lhs, "|", lpos, formula)
    head, hpos = strip(pieces[0][0], pieces[0][1])
    additions: dict[str, str] = {}
    expr = None
    m = re.fullmatch(r"cbind\s*\((.*)\)", head, re.S)
    if m:
        parts = split_top(m.group(1), ",", hpos + head.index("(") + 1, formula)
        if len(parts) != 2:
            raise FormulaError(f"{head}: cbind() takes two columns, successes and failures")
        succ = colname(parts[0][0], formula, parts[0][1], head)
        fail = parts[1][0].strip()
        response = succ
        additions["trials"] = f"{quote_name(succ)} + ({fail})"
    elif is_name(head) or re.fullmatch(r"`[^`]+`", head):
        response = colname(head, formula, hpos, "response")
    else:
        response, expr = response_name(head), head
    for piece, ppos, _ in pieces[1:]:
        for add, apos, _ in split_top(piece, "+", ppos, formula):
            add, apos = strip(add, apos)
            am = re.fullmatch(r"([A-Za-z_]+)\s*\((.*)\)", add, re.S)
            if not am:
                raise malformed(formula, apos, f"cannot read response addition {add!r}; "
                                "write trials(n), se(s), weights(w), cens(c) or "
                                "trunc(lb = 0)")
            name, arg = am.group(1), am.group(2).strip()
            if name not in ADDITIONS:
                raise FormulaError(f"response addition {name}() is not supported; use one of "
                                   + ", ".join(f"{a}()" for a in ADDITIONS))
            if any(k in additions for k in CALL_KEYS.get(name, (name,))):
                raise FormulaError(f"response addition {name}() given twice")
            if not arg:
                raise malformed(formula, apos, f"{name}() needs a column or a number")
            if name in CALL_KEYS:
                additions |= _call_arguments(name, arg, apos + add.index("(") + 1, formula)
            else:
                additions[name] = arg
    return response, expr, additions


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _call_arguments(name: str, arg: str, pos: int, formula: str) -> dict[str, str]:
    """``cens(c[, y2])`` -> ``{"cens": c, "y2": y2}``; ``trunc(lb = a, ub = b)`` (or by
    position) -> ``{"lb": a, "ub": b}``."""
    keys = CALL_KEYS[name]
    out: dict[str, str] = {}
    parts = split_top(arg, ",", pos, formula)
    if len(parts) > 2:
        raise FormulaError(f"{name}({arg}) takes at most two arguments: "
                           + ("the censoring column and y2" if name == "cens" else "lb and ub"))
    for k, (piece, ppos, _) in enumerate(parts):
        piece, ppos = strip(piece, ppos)
        m = re.fullmatch(r"([A-Za-z_][\w.]*)\s*=(?!=)\s*(.*)", piece, re.S)
        key, value = (m.group(1), m.group(2).strip()) if m else (keys[k], piece)
        if key not in keys:
            raise FormulaError(f"{name}() has no argument {key!r}; it takes {', '.join(keys)}")
        if key in out:
            raise FormulaError(f"{name}() gets {key} twice")
        if not value:
            raise malformed(formula, ppos, f"{name}() needs a value for {key}")
        out[key] = value
    if name == "cens":
        if "cens" not in out:
            raise FormulaError(f"cens({arg}) needs the column of censoring codes first")
        out["cens"] = colname(out["cens"], formula, pos, f"cens({arg})")
        if "y2" in out and not _is_number(out["y2"]):
            out["y2"] = colname(out["y2"], formula, pos, f"cens({arg})")
    return {k: out[k] for k in keys if k in out}


def parse_formula(formula: str, dpar: str | None = None) -> ParsedFormula:
    """Split a formula into its pieces (syntax only). ``dpar`` parses the formula of a
    distributional parameter (``"~ s(times)"`` or ``"sigma ~ s(times)"``): no response."""
    if not isinstance(formula, str):
        raise FormulaError(f"the formula must be a string, got {type(formula).__name__}")
    parts = split_top(formula, "~", 0, formula)
    if len(parts) != 2:
        if len(parts) == 1:
            raise malformed(formula, len(formula), "expected 'response ~ terms'")
        raise malformed(formula, parts[2][1] - 1, "more than one '~'")
    (lhs, lpos, _), (rhs, rpos, _) = parts
    lhs, lpos = strip(lhs, lpos)
    if dpar is None:
        if not lhs:
            raise malformed(formula, lpos, "no response before '~'")
        response, response_expr, additions = _parse_lhs(lhs, lpos, formula)
    else:
        if lhs and lhs != dpar:
            raise FormulaError(f"the formula of {dpar} {formula!r} has {lhs!r} on its left; a "
                               f"distributional formula has no response: write '~ ...' or "
                               f"'{dpar} ~ ...'")
        response, response_expr, additions = None, None, {}
    if not rhs.strip():
        raise malformed(formula, rpos + len(rhs), "no terms after '~'")
    pf = ParsedFormula(formula=formula, response=response, intercept=True, additions=additions,
                       response_expr=response_expr)
    for piece, pos, sep in split_top(rhs, "+-", rpos, formula):
        t, tpos = strip(piece, pos)
        if not t:
            if sep == "" and pos == rpos:
                continue  # a leading '-' as in '~ -1 + x'
            raise malformed(formula, tpos, "empty term")
        if sep == "-":
            if t == "1":
                pf.intercept = False
                continue
            raise FormulaError(f"'- {t}': only '- 1' (drop the intercept) may be subtracted "
                               f"(position {tpos})\n  {formula}")
        _add_term(pf, t, tpos, formula)
    return pf


def _add_term(pf: ParsedFormula, t: str, tpos: int, formula: str) -> None:
    call = CALL.match(t)
    if t == "1":
        pf.intercept = True
        return
    if t == "0":
        pf.intercept = False
        return
    term_type = recognise(t)
    if term_type is not None:
        pf.terms.append(term_type.parse(t, tpos, formula))
    elif call and call.group(1) == "offset" and t.endswith(")"):
        inner = t[t.index("(") + 1: -1].strip()
        if not inner:
            raise malformed(formula, tpos, "offset() needs an expression")
        pf.offsets.append(inner)
    else:
        if t[0] in "*:^/" or t[-1] in "*:^/":
            at = tpos if t[0] in "*:^/" else tpos + len(t) - 1
            raise malformed(formula, at, f"operator {t[at - tpos]!r} without a term on both "
                            "sides")
        pf.fixed.append(t)
