"""Formula text -> :class:`ParsedFormula`: response (with brms's additions), intercept, fixed,
random, smooth, Gaussian-process and neural-network terms and offsets, in the order written.

The language is brms's and mgcv's (both paste in unchanged)::

    y [| trials(n) | se(s) | weights(w)] ~ [1 | 0 | -1] + fixed terms + offset(expr)
        + (lhs | group) + (lhs || group) + s(...) + te(...) + ti(...) + t2(...) + gp(...)
        + nn(x1, x2, hidden=..., activation=...)

The response is a column or an expression of columns in the vocabulary of the fixed terms
(``log(earn) ~ ...``, as brms, mgcv and lme4 accept it): the model is then of the transformed
values, named as brms names them (:func:`bayeszoo.formula.naming.response_name`).
``cbind(successes, failures)`` (mgcv's binomial response) is read as ``successes`` with
``trials(successes + failures)``. Parsing checks syntax only; columns, levels and term
arguments are checked when the terms are fitted to data (:mod:`bayeszoo.formula.terms`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from .errors import FormulaError, malformed
from .naming import response_name
from .text import Symbol, colname, has_top, is_name, literal, quote_name, split_top, strip

SMOOTH_KINDS = ("s", "te", "ti", "t2")
ADDITIONS = ("trials", "se", "weights")
_CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*)\s*\(")
_UNSUPPORTED = ("mo", "me", "mi", "cs", "mm", "car", "ar", "arma", "cosy")


@dataclass
class SmoothTerm:
    """``s()``, ``te()``, ``ti()`` or ``t2()`` as written: covariates and the keyword arguments
    (``bs``, ``k``, ``fx``, ``sp``, ``by``, ``m``, ``xt``, ``id``) as R values
    (:func:`bayeszoo.formula.text.literal`)."""

    text: str
    kind: str
    variables: tuple[str, ...]
    args: dict[str, object] = field(default_factory=dict)
    pos: int = 0

    @property
    def label(self) -> str:
        """mgcv's label without a ``by`` suffix: ``s(times)``, ``te(Temp,Wind)``."""
        return f"{self.kind}({','.join(self.variables)})"

    def to_string(self) -> str:
        parts = [quote_name(v) for v in self.variables]
        parts += [f"{k}={_r_value(v)}" for k, v in self.args.items()]
        return f"{self.kind}({', '.join(parts)})"


@dataclass
class CallTerm:
    """A term written as a call of covariates with named arguments kept as R values."""

    function: ClassVar[str] = ""
    text: str
    variables: tuple[str, ...]
    args: dict[str, object] = field(default_factory=dict)
    pos: int = 0

    def to_string(self) -> str:
        parts = [quote_name(v) for v in self.variables]
        parts += [f"{k}={_r_value(v)}" for k, v in self.args.items()]
        return f"{self.function}({', '.join(parts)})"


@dataclass
class GpTerm(CallTerm):
    """``gp(x, ...)``: brms's Gaussian-process term (``k``, ``c``, ``scale``, ``by``, ``cov``,
    ``iso``, ``gr`` as R values)."""

    function: ClassVar[str] = "gp"


@dataclass
class NnTerm(CallTerm):
    """``nn(x1, x2, ..., hidden=20, activation="tanh")``: a neural network of the covariates
    (bayeszoo's own term; neither brms nor mgcv has one) with its arguments as R values."""

    function: ClassVar[str] = "nn"


@dataclass
class RandomTerm:
    """``(lhs | group)`` or ``(lhs || group)``: ``lhs`` in fixed-effects syntax, ``group`` a
    factor, ``a:b`` (interaction) or ``a/b`` (nesting)."""

    text: str
    lhs: str
    group: str
    double_bar: bool
    pos: int = 0

    def to_string(self) -> str:
        return f"({self.lhs}{' || ' if self.double_bar else ' | '}{self.group})"


@dataclass
class ParsedFormula:
    """The pieces of a formula. ``response`` is the response column, or brms's name of a
    response given as an expression, whose text is then ``response_expr``. ``additions`` maps
    brms's response additions (``trials``, ``se``, ``weights``) to the expression given;
    ``order`` lists the non-fixed terms as ``(kind, index)`` with kind ``"random"``,
    ``"smooth"``, ``"gp"`` or ``"nn"`` in the order written."""

    formula: str
    response: str | None
    intercept: bool
    additions: dict[str, str] = field(default_factory=dict)
    response_expr: str | None = None
    fixed: list[str] = field(default_factory=list)
    offsets: list[str] = field(default_factory=list)
    random: list[RandomTerm] = field(default_factory=list)
    smooths: list[SmoothTerm] = field(default_factory=list)
    gps: list[GpTerm] = field(default_factory=list)
    nets: list[NnTerm] = field(default_factory=list)
    order: list[tuple[str, int]] = field(default_factory=list)

    def term(self, kind: str, index: int):
        return {"random": self.random, "smooth": self.smooths, "gp": self.gps,
                "nn": self.nets}[kind][index]

    def to_string(self) -> str:
        """A canonical formula string that parses to the same design."""
        terms = ["1" if self.intercept else "0", *self.fixed]
        terms += [f"offset({o})" for o in self.offsets]
        terms += [self.term(kind, i).to_string() for kind, i in self.order]
        lhs = "" if self.response is None else self.response_expr or quote_name(self.response)
        lhs += "".join(f" | {k}({v})" for k, v in self.additions.items())
        return f"{lhs} ~ {' + '.join(terms)}".lstrip()


def _r_value(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if v is None:
        return "NULL"
    if isinstance(v, Symbol):
        return quote_name(str(v))
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, tuple):
        return f"c({', '.join(_r_value(x) for x in v)})"
    return repr(v)


def _call_args(text: str, pos: int, formula: str) -> tuple[list[tuple[str, int]], dict]:
    """Positional arguments (text, position) and keyword arguments of ``name(...)``."""
    open_at = text.index("(")
    inner = text[open_at + 1: -1]
    positional: list[tuple[str, int]] = []
    keywords: dict[str, tuple[str, int]] = {}
    for a, apos, _ in split_top(inner, ",", pos + open_at + 1, formula):
        a, apos = strip(a, apos)
        if not a:
            raise malformed(formula, apos, f"empty argument in {text}")
        m = re.match(r"^([A-Za-z_.][A-Za-z0-9_.]*)\s*=(?!=)\s*(.*)$", a, re.S)
        if m:
            if m.group(1) in keywords:
                raise FormulaError(f"{text}: argument {m.group(1)!r} given twice")
            keywords[m.group(1)] = (m.group(2), apos)
        else:
            if keywords:
                raise malformed(formula, apos, f"positional argument after keyword in {text}")
            positional.append((a, apos))
    return positional, keywords


def _parse_smooth(kind: str, text: str, pos: int, formula: str) -> SmoothTerm:
    positional, keywords = _call_args(text, pos, formula)
    variables = tuple(colname(a, formula, apos, text) for a, apos in positional)
    if not variables:
        raise FormulaError(f"{text}: no covariate given")
    args = {key: literal(value, text, key) for key, (value, _) in keywords.items()}
    return SmoothTerm(text=text, kind=kind, variables=variables, args=args, pos=pos)


def _parse_covariate_call(cls, text: str, pos: int, formula: str):
    """``gp(...)`` or ``nn(...)``: covariates, then keyword arguments."""
    positional, keywords = _call_args(text, pos, formula)
    variables = tuple(colname(a, formula, apos, text) for a, apos in positional)
    if not variables:
        raise FormulaError(f"{text}: no covariate given")
    args = {key: literal(value, text, key) for key, (value, _) in keywords.items()}
    return cls(text=text, variables=variables, args=args, pos=pos)


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
                                "write trials(n), se(s) or weights(w)")
            name, arg = am.group(1), am.group(2).strip()
            if name not in ADDITIONS:
                raise FormulaError(f"response addition {name}() is not supported; use one of "
                                   + ", ".join(f"{a}()" for a in ADDITIONS))
            if name in additions:
                raise FormulaError(f"response addition {name}() given twice")
            if not arg:
                raise malformed(formula, apos, f"{name}() needs a column or a number")
            additions[name] = arg
    return response, expr, additions


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
    call = _CALL.match(t)
    name = call.group(1) if call else None
    if t == "1":
        pf.intercept = True
    elif t == "0":
        pf.intercept = False
    elif t.startswith("(") and t.endswith(")") and has_top(t[1:-1], "|"):
        pf.order.append(("random", len(pf.random)))
        pf.random.append(_parse_random(t, tpos, formula))
    elif name in SMOOTH_KINDS and t.endswith(")"):
        pf.order.append(("smooth", len(pf.smooths)))
        pf.smooths.append(_parse_smooth(name, t, tpos, formula))
    elif name == "gp" and t.endswith(")"):
        pf.order.append(("gp", len(pf.gps)))
        pf.gps.append(_parse_covariate_call(GpTerm, t, tpos, formula))
    elif name == "nn" and t.endswith(")"):
        pf.order.append(("nn", len(pf.nets)))
        pf.nets.append(_parse_covariate_call(NnTerm, t, tpos, formula))
    elif name == "offset" and t.endswith(")"):
        inner = t[t.index("(") + 1: -1].strip()
        if not inner:
            raise malformed(formula, tpos, "offset() needs an expression")
        pf.offsets.append(inner)
    elif name in _UNSUPPORTED:
        raise FormulaError(f"{t}: term type {name}() is not supported; supported: fixed terms, "
                           "(lhs | group), s(), te(), ti(), t2(), gp(), nn(), offset()")
    else:
        if t[0] in "*:^/" or t[-1] in "*:^/":
            at = tpos if t[0] in "*:^/" else tpos + len(t) - 1
            raise malformed(formula, at, f"operator {t[at - tpos]!r} without a term on both "
                            "sides")
        pf.fixed.append(t)


def _parse_random(t: str, tpos: int, formula: str) -> RandomTerm:
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
