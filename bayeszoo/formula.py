"""Formula string + DataFrame -> :class:`bayeszoo.design.Design`.

Syntax (mgcv and brms formulas paste in unchanged)::

    response ~ [1 | 0 | -1] + fixed terms + (lhs | group) + (lhs || group) + s(x, bs=..., k=...)

* Fixed terms (numeric columns, factors, interactions ``a:b``, ``a*b``, transforms such as
  ``log(x)``) are evaluated by `formulaic <https://matthewwardrop.github.io/formulaic/>`_:
  factors get treatment contrasts with the first level as reference. Column names follow brms:
  ``Intercept``, ``floor``, ``countyANOKA``, ``floor:log_uranium`` (formulaic's
  ``county[T.ANOKA]`` turned into ``countyANOKA``, then brms's ``rename`` of special characters).
* ``(1 | g)``: random intercepts; ``(0 + x | g)``: a random slope; ``(1 + x || g)``:
  independent intercept and slope (one block each). Grouping ``a:b`` (levels ``a_b`` as brms)
  and nesting ``a/b`` (= ``(1 | a) + (1 | a:b)``). Correlated terms ``(1 + x | g)`` are
  rejected with a message (the design holds independent blocks only).
* ``s(x, bs="cr"|"tp"|"ps"|"re", k=, fx=, sp=)``: mgcv smooths via :mod:`bayeszoo.smooths`;
  ``TRUE``/``FALSE``/``T``/``F`` and ``True``/``False`` both accepted, quotes ``'`` or ``"``.
  ``s(g, bs="re")`` builds exactly the block of ``(1 | g)`` (term ``"s(g)"``).
* Column names that are not identifiers are written in backticks: ``` `my col` ```.

Every error is a :class:`FormulaError` (a ``ValueError``) naming the term, or for a malformed
formula showing the position; an unknown column is :class:`UnknownColumnError` (both a
``ValueError`` and a ``KeyError``).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .design import Block, Design, SmoothInfo
from .smooths import BASES, Smooth, smooth

__all__ = [
    "FormulaError",
    "ParsedFormula",
    "RandomTerm",
    "SmoothTerm",
    "UnknownColumnError",
    "brms_name",
    "design",
    "parse_formula",
]


class FormulaError(ValueError):
    """A formula that cannot be turned into a design; the message names the term."""


class UnknownColumnError(FormulaError, KeyError):
    """A formula names a column the data does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


# ---------------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------------


@dataclass
class SmoothTerm:
    """``s(variable, bs=, k=, fx=, sp=)`` as written."""

    text: str
    variable: str
    bs: str = "tp"
    k: int = -1
    fx: bool = False
    sp: float | None = None
    pos: int = 0

    @property
    def label(self) -> str:
        """mgcv's label: ``s(times)``."""
        return f"s({self.variable})"


@dataclass
class RandomTerm:
    """``(lhs | group)`` or ``(lhs || group)``: ``lhs`` fixed-effects syntax, ``group`` a
    factor, ``a:b`` or ``a/b``."""

    text: str
    lhs: str
    group: str
    double_bar: bool
    pos: int = 0


@dataclass
class ParsedFormula:
    """The pieces of a formula: response, intercept, fixed terms (formulaic syntax), random and
    smooth terms in the order written."""

    formula: str
    response: str
    intercept: bool
    fixed: list[str] = field(default_factory=list)
    random: list[RandomTerm] = field(default_factory=list)
    smooths: list[SmoothTerm] = field(default_factory=list)
    order: list[tuple[str, int]] = field(default_factory=list)  # ("random"|"smooth", index)

    def to_string(self) -> str:
        """A canonical formula string that parses to the same design."""
        terms = ["1" if self.intercept else "0", *self.fixed]
        for kind, i in self.order:
            if kind == "random":
                rt = self.random[i]
                bar = " || " if rt.double_bar else " | "
                terms.append(f"({rt.lhs}{bar}{rt.group})")
            else:
                st = self.smooths[i]
                args = [_quote_name(st.variable), f'bs="{st.bs}"']
                if st.k > 0:
                    args.append(f"k={st.k}")
                if st.fx:
                    args.append("fx=TRUE")
                if st.sp is not None:
                    args.append(f"sp={st.sp!r}")
                terms.append(f"s({', '.join(args)})")
        return f"{_quote_name(self.response)} ~ {' + '.join(terms)}"


def _quote_name(name: str) -> str:
    return name if _IDENT.match(name) else f"`{name}`"


def _malformed(formula: str, pos: int, what: str) -> FormulaError:
    caret = " " * pos + "^"
    return FormulaError(f"malformed formula at position {pos}: {what}\n  {formula}\n  {caret}")


def _split_top(text: str, seps: str, offset: int, formula: str) -> list[tuple[str, int, str]]:
    """Split ``text`` at top-level characters in ``seps`` (outside (), [], quotes, backticks).

    Returns ``(piece, absolute position of the piece, separator before it)``.
    """
    out = []
    depth = 0
    quote = None
    start = 0
    prev_sep = ""
    stack = []
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
            stack.append(i)
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise _malformed(formula, offset + i, f"unmatched {ch!r}")
            stack.pop()
        elif depth == 0 and ch in seps:
            out.append((text[start:i], offset + start, prev_sep))
            prev_sep = ch
            start = i + 1
    if quote:
        raise _malformed(formula, offset + len(text), f"unterminated quote {quote}")
    if depth > 0:
        raise _malformed(formula, offset + stack[-1], "unmatched '('")
    out.append((text[start:], offset + start, prev_sep))
    return out


def _strip(piece: str, pos: int) -> tuple[str, int]:
    lead = len(piece) - len(piece.lstrip())
    return piece.strip(), pos + lead


_IDENT = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


def _colname(text: str, formula: str, pos: int, term: str) -> str:
    """A bare or backticked column name."""
    t = text.strip()
    if len(t) >= 2 and t[0] == "`" and t[-1] == "`":
        return t[1:-1]
    if _IDENT.match(t):
        return t
    raise FormulaError(f"{term}: expected a column name, got {t!r} (write names with spaces or "
                       f"special characters in backticks) at position {pos}\n  {formula}")


def _literal(value: str, term: str, key: str):
    v = value.strip()
    if v in ("TRUE", "True", "T"):
        return True
    if v in ("FALSE", "False", "F"):
        return False
    if v in ("NULL", "None", "NA"):
        return None
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    m = re.fullmatch(r"c\((.*)\)", v)
    if m:
        parts = [p for p in m.group(1).split(",") if p.strip()]
        vals = [_literal(p, term, key) for p in parts]
        if len(vals) == 1:
            return vals[0]
        return vals
    try:
        f = float(v.rstrip("L"))
    except ValueError:
        raise FormulaError(f"{term}: cannot read {key}={v}") from None
    return int(f) if f.is_integer() and re.fullmatch(r"[+-]?\d+L?", v) else f


def _parse_smooth(text: str, pos: int, formula: str) -> SmoothTerm:
    inner = text[text.index("(") + 1 : -1]
    args = _split_top(inner, ",", pos + text.index("(") + 1, formula)
    variables: list[str] = []
    kw: dict[str, object] = {}
    for a, apos, _ in args:
        a, apos = _strip(a, apos)
        if not a:
            raise _malformed(formula, apos, f"empty argument in {text}")
        m = re.match(r"^([A-Za-z_.][A-Za-z0-9_.]*)\s*=(?!=)\s*(.*)$", a, re.S)
        if m:
            kw[m.group(1)] = (m.group(2), apos)
        else:
            if kw:
                raise _malformed(formula, apos, f"positional argument after keyword in {text}")
            variables.append(_colname(a, formula, apos, text))
    if not variables:
        raise FormulaError(f"{text}: no covariate given")
    if len(variables) > 1:
        raise FormulaError(f"{text}: only one-dimensional smooths are supported; "
                           f"got covariates {variables}")
    st = SmoothTerm(text=text, variable=variables[0], pos=pos)
    for key, (value, _apos) in kw.items():
        val = _literal(value, text, key)
        if key == "bs":
            if not isinstance(val, str):
                raise FormulaError(f"{text}: bs must be a quoted string such as bs=\"cr\"")
            if val not in BASES:
                raise FormulaError(f"{text}: unknown basis bs={val!r}; supported: "
                                   + ", ".join(repr(b) for b in BASES))
            st.bs = val
        elif key == "k":
            if isinstance(val, bool) or not isinstance(val, int | float) or int(val) != val:
                raise FormulaError(f"{text}: k must be an integer, got {value.strip()}")
            st.k = int(val)
        elif key == "fx":
            if not isinstance(val, bool):
                raise FormulaError(f"{text}: fx must be TRUE/FALSE (or True/False)")
            st.fx = val
        elif key == "sp":
            if val is None:
                st.sp = None
            elif isinstance(val, bool) or not isinstance(val, int | float) or val < 0:
                raise FormulaError(f"{text}: sp must be one non-negative number")
            else:
                st.sp = float(val)
        elif key == "by":
            raise FormulaError(f"{text}: 'by' variables are not supported yet")
        else:
            raise FormulaError(f"{text}: unsupported argument {key!r} "
                               "(supported: bs, k, fx, sp)")
    return st


_SMOOTH_START = re.compile(r"^s\s*\(")


def parse_formula(formula: str) -> ParsedFormula:
    """Split a formula into response, intercept, fixed terms, random and smooth terms."""
    if not isinstance(formula, str):
        raise FormulaError(f"the formula must be a string, got {type(formula).__name__}")
    parts = _split_top(formula, "~", 0, formula)
    if len(parts) != 2:
        if len(parts) == 1:
            raise _malformed(formula, len(formula), "expected 'response ~ terms'")
        raise _malformed(formula, parts[2][1] - 1, "more than one '~'")
    (lhs, lpos, _), (rhs, rpos, _) = parts
    lhs, lpos = _strip(lhs, lpos)
    if not lhs:
        raise _malformed(formula, lpos, "no response before '~'")
    response = _colname(lhs, formula, lpos, "response")
    if not rhs.strip():
        raise _malformed(formula, rpos + len(rhs), "no terms after '~'")
    pf = ParsedFormula(formula=formula, response=response, intercept=True)
    for piece, pos, sep in _split_top(rhs, "+-", rpos, formula):
        t, tpos = _strip(piece, pos)
        if not t:
            if sep == "-" or (sep == "" and piece is not None and pos == rpos):
                # leading '-' as in '~ -1 + x' gives an empty first piece
                if sep == "" and pos == rpos:
                    continue
            raise _malformed(formula, tpos, "empty term")
        if sep == "-":
            if t == "1":
                pf.intercept = False
                continue
            raise FormulaError(f"'- {t}': only '- 1' (drop the intercept) may be subtracted "
                               f"(position {tpos})\n  {formula}")
        if t == "1":
            pf.intercept = True
        elif t == "0":
            pf.intercept = False
        elif t.startswith("(") and t.endswith(")") and _has_bar(t[1:-1]):
            inner = t[1:-1]
            bars = _split_top(inner, "|", tpos + 1, formula)
            if len(bars) == 2:
                double = False
                (lhs_t, _, _), (grp, gpos, _) = bars
            elif len(bars) == 3 and bars[1][0] == "":
                double = True
                (lhs_t, _, _), _, (grp, gpos, _) = bars
            else:
                raise _malformed(formula, tpos, f"cannot read random-effect term {t}")
            if not lhs_t.strip():
                raise _malformed(formula, tpos + 1, f"nothing before '|' in {t}")
            if not grp.strip():
                raise _malformed(formula, gpos, f"no grouping factor after '|' in {t}")
            pf.order.append(("random", len(pf.random)))
            pf.random.append(RandomTerm(text=t, lhs=lhs_t.strip(), group=grp.strip(),
                                        double_bar=double, pos=tpos))
        elif _SMOOTH_START.match(t):
            if not t.endswith(")") or _split_top(t, "", tpos, formula) is None:
                raise _malformed(formula, tpos, f"cannot read smooth term {t}")
            pf.order.append(("smooth", len(pf.smooths)))
            pf.smooths.append(_parse_smooth(t, tpos, formula))
        elif re.match(r"^(te|ti|t2|gp|mo|me)\s*\(", t):
            raise FormulaError(f"{t}: term type not supported (supported smooths: s(x, bs=...))")
        else:
            if t[0] in "*:^/" or t[-1] in "*:^/":
                at = tpos if t[0] in "*:^/" else tpos + len(t) - 1
                raise _malformed(formula, at, f"operator {t[at - tpos]!r} without a term "
                                 "on both sides")
            pf.fixed.append(t)
    return pf


def _has_bar(text: str) -> bool:
    depth = 0
    quote = None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"`":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# naming
# ---------------------------------------------------------------------------------------------

_BRMS_PATTERN = [" ", "(", ")", "[", "]", ",", '"', "'", "?", "+", "-", "*", "/", "^", "="]
_BRMS_REPL = [""] * 9 + ["P", "M", "MU", "D", "E", "EQ"]


def brms_name(name: str) -> str:
    """brms's ``rename()`` of coefficient names (spaces, brackets, quotes removed; ``+`` → ``P``,
    ``-`` → ``M``, ``*`` → ``MU``, ``/`` → ``D``, ``^`` → ``E``, ``=`` → ``EQ``)."""
    for p, r in zip(_BRMS_PATTERN, _BRMS_REPL, strict=True):
        name = name.replace(p, r)
    return name


def _split_colon(name: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(name):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == ":" and depth == 0:
            out.append(name[start:i])
            start = i + 1
    out.append(name[start:])
    return out


def _fixed_name(name: str, reverse: dict[str, str]) -> str:
    """formulaic column name (on aliased columns) -> brms name: ``county[T.ANOKA]`` ->
    ``countyANOKA``, ``floor:log_uranium`` unchanged."""
    parts = []
    for part in _split_colon(name):
        m = re.match(r"^(.*?)\[(?:T\.)?(.*)\]$", part, re.S)
        if m and m.group(1):
            part = _unalias(m.group(1), reverse) + m.group(2)
        else:
            part = _unalias(part, reverse)
        parts.append(brms_name(part))
    return ":".join(parts)


def _unalias(text: str, reverse: dict[str, str]) -> str:
    """A formulaic message in the user's names, without its terminal colours and markers."""
    text = re.sub(r"_bzv\d+_", lambda m: reverse.get(m.group(0), m.group(0)), text)
    text = re.sub(r"\x1b\[[0-9;]*m|[⧛⧚]", "", text)
    return text.replace("**", "^")


_KEEP_NAMES = {"True", "False", "None", "TRUE", "FALSE", "pi", "inf", "nan"}
_KEEP_PREFIXES = ("np.", "numpy.", "contr.", "scipy.")


def _alias_expr(text: str, pos: int, columns: dict[str, object], aliases: dict[str, str],
                term: str, formula: str) -> str:
    """Rewrite a fixed-effects expression for formulaic: every column name (bare, with dots as
    R allows, or in backticks) becomes a safe alias ``_bzvN_``; R's ``^`` becomes ``**``.
    An identifier that is neither a column nor a function call raises
    :class:`UnknownColumnError` naming the term."""
    out: list[str] = []
    i = 0
    n = len(text)

    def alias(name: str) -> str:
        if name not in aliases:
            aliases[name] = f"_bzv{len(aliases)}_"
        return aliases[name]

    def unknown(name: str) -> UnknownColumnError:
        close = [c for c in columns if c.lower() == name.lower()]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return UnknownColumnError(f"unknown column {name!r} in term {term}{hint}; the data has "
                                  f"columns {list(columns)}")

    while i < n:
        ch = text[i]
        if ch == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise _malformed(formula, pos + i, "unterminated backtick")
            name = text[i + 1 : j]
            if name not in columns:
                raise unknown(name)
            out.append(alias(name))
            i = j + 1
            continue
        if ch in "\"'":
            j = text.find(ch, i + 1)
            if j < 0:
                raise _malformed(formula, pos + i, f"unterminated quote {ch}")
            out.append(text[i : j + 1])
            i = j + 1
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            m = re.match(r"\d*\.?\d*(?:[eE][+-]?\d+)?L?", text[i:])
            tok = m.group(0) or ch
            out.append(tok.rstrip("L"))
            i += len(tok)
            continue
        if ch.isalpha() or ch in "_.":
            m = re.match(r"[A-Za-z_.][A-Za-z0-9_.]*", text[i:])
            name = m.group(0)
            j = i + len(name)
            k = j
            while k < n and text[k] == " ":
                k += 1
            nxt = text[k] if k < n else ""
            if nxt == "(" or (nxt == "=" and text[k : k + 2] != "=="):
                out.append(name)  # a function call or a keyword argument
            elif name in columns:
                out.append(alias(name))
            elif name in _KEEP_NAMES or name.startswith(_KEEP_PREFIXES):
                out.append(name)
            else:
                raise unknown(name)
            i = j
            continue
        if ch == "^":
            out.append("**")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def smooth_label(variable: str) -> str:
    """brms's smooth label: ``"s" + variable with non-alphanumerics removed``."""
    return "s" + re.sub(r"[^A-Za-z0-9]", "", variable)


# ---------------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------------


def _fixed_spec(intercept: bool, terms: list[str]) -> str:
    return " + ".join(["1" if intercept else "0", *terms])


def _is_numeric(s: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)) \
        or pd.api.types.is_bool_dtype(s)


def _factor_levels(s: pd.Series) -> list:
    """Levels of a grouping factor in column order: observed categories in category order for
    a Categorical, else sorted unique values."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna().unique())
        return [c for c in s.cat.categories if c in present]
    vals = pd.unique(s.dropna())
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


@dataclass
class _Grouping:
    name: str            # "county" or "state:county"
    variables: list[str]
    levels: list         # tuples of values for interactions, values otherwise
    labels: list[str]

    def key(self, df: pd.DataFrame) -> list:
        if len(self.variables) == 1:
            return list(df[self.variables[0]])
        return list(zip(*(df[v] for v in self.variables), strict=True))

    def codes(self, df: pd.DataFrame, term: str, allow_new_levels: bool) -> np.ndarray:
        lookup = {lev: i for i, lev in enumerate(self.levels)}
        keys = self.key(df)
        codes = np.fromiter((lookup.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
        if not allow_new_levels and np.any(codes < 0):
            bad = keys[int(np.argmax(codes < 0))]
            lab = "_".join(map(str, bad)) if isinstance(bad, tuple) else str(bad)
            raise FormulaError(f"new level {lab!r} of grouping factor {self.name!r} in term "
                               f"{term}: not in the data the design was built on (pass "
                               "allow_new_levels=True to predict it at the population level)")
        return codes


def _make_grouping(name: str, variables: list[str], df: pd.DataFrame) -> _Grouping:
    if len(variables) == 1:
        levels = _factor_levels(df[variables[0]])
        labels = [str(v) for v in levels]
    else:
        seen = set(zip(*(df[v] for v in variables), strict=True))
        per = [_factor_levels(df[v]) for v in variables]
        rank = [{lev: i for i, lev in enumerate(p)} for p in per]
        levels = sorted(seen, key=lambda t: tuple(r[x] for r, x in zip(rank, t, strict=True)))
        labels = ["_".join(str(x) for x in t) for t in levels]
    return _Grouping(name=name, variables=variables, levels=levels, labels=labels)


def _re_blocks_spec(rt: RandomTerm, formula: str) -> tuple[list[str], bool, list[list[str]]]:
    """(lhs fixed terms, lhs intercept, grouping variable lists) of a random term."""
    intercept = True
    lhs_terms: list[str] = []
    for piece, pos, sep in _split_top(rt.lhs, "+-", rt.pos + 1, formula):
        t, tpos = _strip(piece, pos)
        if not t:
            if sep == "" and pos == rt.pos + 1:
                continue
            raise _malformed(formula, tpos, f"empty term in {rt.text}")
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
            lhs_terms.append(t)
    groups: list[list[str]] = []
    gtext = rt.group
    nested = _split_top(gtext, "/", 0, gtext)
    if len(nested) > 1:
        names = [_colname(p, formula, rt.pos, rt.text) for p, _, _ in nested]
        for i in range(len(names)):
            groups.append(names[: i + 1])
    else:
        names = [_colname(p, formula, rt.pos, rt.text)
                 for p, _, _ in _split_top(gtext, ":", 0, gtext)]
        groups.append(names)
    return lhs_terms, intercept, groups


def design(formula: str, data: pd.DataFrame, *, na_action: str = "raise", seed: int = 1) -> Design:
    """Parse ``formula`` against ``data`` into a :class:`~bayeszoo.design.Design`.

    ``na_action``: ``"raise"`` (default: a NaN in a used column raises ``ValueError`` naming the
    column) or ``"drop"`` (drop those rows and warn with the count). ``seed`` seeds ``tp``'s
    knot subsampling for more than 2000 unique covariate values (mgcv's ``xt$seed``).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if na_action not in ("raise", "drop"):
        raise ValueError(f"na_action must be 'raise' or 'drop', got {na_action!r}")
    pf = parse_formula(formula)
    builder = _Builder(pf, seed=seed)
    return builder.fit(data, na_action=na_action)


class _Builder:
    """Holds the fitted state (formulaic specs, column aliases, factor levels, smooth bases,
    grouping levels) of a design, and rebuilds it on new data."""

    def __init__(self, pf: ParsedFormula, seed: int = 1):
        self.pf = pf
        self.seed = seed

    # -- variables ---------------------------------------------------------------------------
    def _resolve(self, data: pd.DataFrame, with_response: bool) -> list[str]:
        """Check every column the formula names; set the aliased fixed / random-slope terms.
        Returns the used columns (original names)."""
        pf = self.pf
        columns = {str(c): c for c in data.columns}
        used: list[str] = []
        aliases: dict[str, str] = {}

        def need(col: str, term: str):
            if col not in columns:
                close = [c for c in columns if c.lower() == col.lower()]
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise UnknownColumnError(f"unknown column {col!r} in term {term}{hint}; the "
                                         f"data has columns {list(columns)}")
            if col not in used:
                used.append(col)

        if with_response:
            need(pf.response, f"{pf.response} (the response)")
        self.fixed_alias = [_alias_expr(t, 0, columns, aliases, t, pf.formula) for t in pf.fixed]
        self.random_spec = []
        for rt in pf.random:
            lhs_terms, intercept, groups = _re_blocks_spec(rt, pf.formula)
            lhs_alias = [_alias_expr(t, rt.pos, columns, aliases, rt.text, pf.formula)
                         for t in lhs_terms]
            for g in groups:
                for v in g:
                    need(v, rt.text)
            self.random_spec.append((lhs_alias, intercept, groups))
        for name in aliases:
            need(name, "the fixed effects")
        for st in pf.smooths:
            need(st.variable, st.text)
        self.aliases = aliases
        self.reverse = {a: c for c, a in aliases.items()}
        self.columns = columns
        return used

    def _aliased(self, data: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for c, a in self.aliases.items():
            s = data[self.columns[c]]
            out[a] = s.array if isinstance(s.dtype, pd.CategoricalDtype) else s.to_numpy()
        return pd.DataFrame(out, index=pd.RangeIndex(len(data)))

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, na_action: str = "raise") -> Design:
        pf = self.pf
        cols = self._resolve(data, with_response=True)
        data = self._check_na(data, cols, na_action)
        n = len(data)
        if n == 0:
            raise FormulaError(f"no rows to build the design of {pf.formula!r} from")
        y = self._response(data)
        adata = self._aliased(data)
        self.levels = {a: _levels_seen(data[self.columns[c]]) for c, a in self.aliases.items()
                       if not _is_numeric(data[self.columns[c]])}
        Xfix, fix_names = self._fixed_fit(adata)
        X_parts = [Xfix]
        names = list(fix_names)
        blocks: list[Block] = []
        smooths: list[SmoothInfo] = []
        self.groupings: dict[str, _Grouping] = {}
        self.smooth_objs: list[Smooth] = []
        self.re_plan: list[tuple] = []
        seen_blocks: set[tuple[str, str | None]] = set()

        def add_block(blk: Block, text: str) -> int:
            key = (blk.name, blk.coef)
            if key in seen_blocks:
                raise FormulaError(f"{text}: the block {blk.name}/{blk.coef} appears twice in "
                                   "the formula")
            seen_blocks.add(key)
            blocks.append(blk)
            return len(blocks) - 1

        for kind, idx in pf.order:
            if kind == "random":
                rt = pf.random[idx]
                for blk in self._random_fit(idx, rt, data, adata):
                    add_block(blk, rt.text)
            else:
                st = pf.smooths[idx]
                if any(si.term == st.label for si in smooths):
                    raise FormulaError(f"{st.text}: {st.label} appears twice in the formula")
                sm, Xf, xf_names, blk = self._smooth_fit(st, data)
                self.smooth_objs.append(sm)
                fixed_idx = list(range(len(names), len(names) + len(xf_names)))
                X_parts.append(Xf)
                names.extend(xf_names)
                block_idx = None if blk is None else add_block(blk, st.text)
                smooths.append(SmoothInfo(term=st.label, variable=st.variable, bs=st.bs,
                                          fixed_columns=fixed_idx, block=block_idx, basis=sm))
        X = np.column_stack(X_parts)
        if len(set(names)) != len(names):
            dup = sorted({c for c in names if names.count(c) > 1})
            raise FormulaError(f"duplicate design columns {dup} in {pf.formula!r}")
        self.column_names = names
        return Design(formula=pf.formula, response=pf.response, y=y, X=X, column_names=names,
                      blocks=blocks, smooths=smooths, data=data, terms=pf, rebuild=self.rebuild)

    def _users(self, col: str) -> str:
        """The terms of the formula that read column ``col``, for error messages."""
        if col == self.pf.response:
            return "the response"
        word = re.compile(rf"(?<![\w.`]){re.escape(col)}(?![\w.`])|`{re.escape(col)}`")
        texts = [*self.pf.fixed, *(t.text for t in self.pf.random),
                 *(t.text for t in self.pf.smooths)]
        hits = [t for t in texts if word.search(t)]
        return ("term " if len(hits) == 1 else "terms ") + ", ".join(hits) if hits else "read by it"

    def _check_na(self, data: pd.DataFrame, cols: list[str], na_action: str) -> pd.DataFrame:
        sub = data[[self.columns[c] for c in cols]]
        counts = sub.isna().sum()
        bad = {str(c): int(v) for c, v in counts.items() if v}
        if not bad:
            return data.reset_index(drop=True)
        if na_action == "raise":
            desc = ", ".join(f"{c!r} ({v} rows, {self._users(c)})" for c, v in bad.items())
            raise FormulaError(f"missing values (NaN) in column {desc} of {self.pf.formula!r}"
                               "; drop or impute them, or pass na_action='drop'")
        keep = ~sub.isna().any(axis=1).to_numpy()
        dropped = int((~keep).sum())
        warnings.warn(f"na_action='drop': dropped {dropped} of {len(data)} rows with missing "
                      f"values in {list(bad)}", stacklevel=3)
        return data.loc[keep].reset_index(drop=True)

    def _response(self, data: pd.DataFrame) -> np.ndarray:
        s = data[self.columns[self.pf.response]]
        if not _is_numeric(s):
            raise FormulaError(f"the response {self.pf.response!r} is not numeric "
                               f"(dtype {s.dtype})")
        return np.asarray(s, dtype=float)

    def _model_matrix(self, spec: str, adata: pd.DataFrame, what: str):
        import formulaic

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mm = formulaic.model_matrix(spec, adata, na_action="raise")
        except Exception as e:
            raise FormulaError(f"cannot evaluate {what}: {_unalias(str(e), self.reverse)}") \
                from None
        names = [_fixed_name(c, self.reverse) for c in mm.columns]
        X = np.asarray(mm, dtype=float)
        for j, c in enumerate(names):
            if not np.all(np.isfinite(X[:, j])):
                raise FormulaError(f"column {c!r} of {what} has non-finite values")
        return X, names, mm.model_spec

    def _fixed_fit(self, adata: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        pf = self.pf
        spec = _fixed_spec(pf.intercept, self.fixed_alias)
        what = f"the fixed effects {' + '.join(pf.fixed) or '1'} of {pf.formula!r}"
        X, names, self.fixed_spec = self._model_matrix(spec, adata, what)
        return X, names

    def _check_levels(self, data: pd.DataFrame, aliases: list[str], where: str):
        for a in aliases:
            if a not in self.levels:
                continue
            col = self.reverse[a]
            known = self.levels[a]
            vals = pd.unique(data[self.columns[col]].dropna())
            new = [v for v in vals if v not in known]
            if new:
                raise FormulaError(f"new level {new[0]!r} of {col!r} in {where}: not in the "
                                   "data the design was built on")

    def _spec_matrix(self, spec, adata: pd.DataFrame, where: str) -> np.ndarray:
        from formulaic.errors import DataMismatchWarning

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", DataMismatchWarning)
                mm = spec.get_model_matrix(adata, na_action="raise")
        except DataMismatchWarning as w:
            raise FormulaError(f"new data for {where}: {_unalias(str(w), self.reverse)}") \
                from None
        return np.asarray(mm, dtype=float)

    def _random_fit(self, idx: int, rt: RandomTerm, data: pd.DataFrame,
                    adata: pd.DataFrame) -> list[Block]:
        lhs_alias, intercept, groups = self.random_spec[idx]
        Xl, lnames, lspec = None, [], None
        if lhs_alias:
            Xl, lnames, lspec = self._model_matrix(_fixed_spec(False, lhs_alias), adata,
                                                   f"the varying coefficients of {rt.text}")
        ncoef = int(intercept) + len(lnames)
        if ncoef == 0:
            raise FormulaError(f"{rt.text}: no varying coefficient (write (1 | g) or (0 + x | g))")
        if ncoef > 1 and not rt.double_bar:
            raise FormulaError(f"{rt.text}: correlated random effects are not supported; write "
                               f"independent ones with '||', e.g. ({rt.lhs} || {rt.group})")
        plan = []
        blocks = []
        coefs: list[tuple[str, int | None]] = [("Intercept", None)] if intercept else []
        coefs += [(nm, j) for j, nm in enumerate(lnames)]
        for gvars in groups:
            gname = ":".join(gvars)
            grouping = _make_grouping(gname, gvars, data)
            self.groupings[gname] = grouping
            for coef, j in coefs:
                if len(coefs) == 1 and len(groups) == 1:
                    term = _normalize_re_text(rt)
                elif coef == "Intercept":
                    term = f"(1 | {gname})"
                else:
                    term = f"(0 + {coef} | {gname})"
                plan.append((grouping, coef, j, term))
                blocks.append(_re_block(grouping, coef, j, term, data, Xl, allow_new=False))
        self.re_plan.append((rt, lspec, plan))
        return blocks

    def _smooth_fit(self, st: SmoothTerm, data: pd.DataFrame):
        col = data[self.columns[st.variable]]
        label = smooth_label(st.variable)
        if st.bs == "re":
            if _is_numeric(col) and not pd.api.types.is_bool_dtype(col):
                raise FormulaError(f"{st.text}: bs=\"re\" needs a factor; column "
                                   f"{st.variable!r} is numeric (dtype {col.dtype}); convert it "
                                   "with .astype('category')")
            grouping = _make_grouping(st.variable, [st.variable], data)
            sm = smooth(list(col), bs="re", fx=st.fx, variable=st.variable, term=st.label,
                        levels=grouping.levels)
            self.groupings.setdefault(st.variable, grouping)
            if st.fx:
                names = [brms_name(f"{st.variable}{lab}") for lab in grouping.labels]
                return sm, sm.Xf, names, None
            blk = _re_block(grouping, "Intercept", None, st.label, data, None, allow_new=False,
                            sp=st.sp)
            return sm, np.zeros((len(data), 0)), [], blk
        if not _is_numeric(col):
            raise FormulaError(f"{st.text}: the covariate {st.variable!r} is not numeric "
                               f"(dtype {col.dtype}); smooths need a numeric column "
                               "(use bs=\"re\" for a factor)")
        x = np.asarray(col, dtype=float)
        kk = st.k if st.k > 0 else 10
        nu = np.unique(x).size
        if nu < kk:
            raise FormulaError(f"{st.text}: {st.variable} has insufficient unique values ({nu})"
                               f" to support k={kk} basis functions: reduce k (mgcv's error)")
        try:
            sm = smooth(x, bs=st.bs, k=st.k, fx=st.fx, variable=st.variable, term=st.label,
                        seed=self.seed)
        except ValueError as e:
            raise FormulaError(f"{st.text}: {e}") from None
        names = [f"{label}_{j + 1}" for j in range(sm.Xf.shape[1])]
        if st.fx:
            return sm, sm.Xf, names, None
        blk = Block(name=f"{label}_1", kind="smooth", coef=None, term=st.label, Z=sm.Zr,
                    labels=[str(j + 1) for j in range(sm.Zr.shape[1])], sp=st.sp,
                    reml_offset=sm.reml_offset)
        return sm, sm.Xf, names, blk

    # -- new data ----------------------------------------------------------------------------
    def rebuild(self, data: pd.DataFrame, allow_new_levels: bool = False) -> Design:
        """The design evaluated on ``data`` with the fitted knots, constraints and levels."""
        pf = self.pf
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        columns = {str(c): c for c in data.columns}
        with_y = pf.response in columns
        used = [] if not with_y else [pf.response]
        for c in [*self.aliases, *(v for g in self.groupings.values() for v in g.variables),
                  *(st.variable for st in pf.smooths)]:
            if c not in columns:
                raise UnknownColumnError(f"new data lacks column {c!r} used by "
                                         f"{pf.formula!r}")
            if c not in used:
                used.append(c)
        old_columns, self.columns = self.columns, columns
        try:
            return self._rebuild(data, used, with_y, allow_new_levels)
        finally:
            self.columns = old_columns

    def _rebuild(self, data, used, with_y, allow_new_levels) -> Design:
        pf = self.pf
        data = self._check_na(data, used, "raise")
        n = len(data)
        y = self._response(data) if with_y else None
        adata = self._aliased(data)
        fixed_vars = [a for a in self.aliases.values() if any(a in t for t in self.fixed_alias)]
        self._check_levels(data, fixed_vars, f"the fixed effects of {pf.formula!r}")
        X_parts = [self._spec_matrix(self.fixed_spec, adata, "the fixed effects")]
        blocks: list[Block] = []
        smooths: list[SmoothInfo] = []
        ncols = X_parts[0].shape[1]
        re_iter = iter(self.re_plan)
        sm_i = 0
        for kind, idx in pf.order:
            if kind == "random":
                rt, lspec, plan = next(re_iter)
                Xl = None
                if lspec is not None:
                    lvars = [a for a in self.aliases.values()
                             if any(a in t for t in self.random_spec[idx][0])]
                    self._check_levels(data, lvars, rt.text)
                    Xl = self._spec_matrix(lspec, adata, rt.text)
                for grouping, coef, j, term in plan:
                    blocks.append(_re_block(grouping, coef, j, term, data, Xl,
                                            allow_new=allow_new_levels))
                continue
            st = pf.smooths[idx]
            sm = self.smooth_objs[sm_i]
            sm_i += 1
            label = smooth_label(st.variable)
            block_idx = None
            if st.bs == "re":
                grouping = self.groupings[st.variable]
                if st.fx:
                    codes = grouping.codes(data, st.text, allow_new_levels)
                    Xf = np.zeros((n, len(grouping.levels)))
                    ok = codes >= 0
                    Xf[np.nonzero(ok)[0], codes[ok]] = 1.0
                else:
                    Xf = np.zeros((n, 0))
                    block_idx = len(blocks)
                    blocks.append(_re_block(grouping, "Intercept", None, st.label, data,
                                            None, allow_new=allow_new_levels, sp=st.sp))
            else:
                col = data[self.columns[st.variable]]
                if not _is_numeric(col):
                    raise FormulaError(f"{st.text}: the covariate {st.variable!r} is not "
                                       f"numeric in the new data (dtype {col.dtype})")
                x = np.asarray(col, dtype=float)
                if st.fx:
                    Xf = sm.constrained_matrix(x)
                else:
                    Xf, Zr = sm.split(x)
                    block_idx = len(blocks)
                    blocks.append(Block(name=f"{label}_1", kind="smooth", coef=None,
                                        term=st.label, Z=Zr,
                                        labels=[str(j + 1) for j in range(Zr.shape[1])],
                                        sp=st.sp, reml_offset=sm.reml_offset))
            fixed_idx = list(range(ncols, ncols + Xf.shape[1]))
            ncols += Xf.shape[1]
            X_parts.append(Xf)
            smooths.append(SmoothInfo(term=st.label, variable=st.variable, bs=st.bs,
                                      fixed_columns=fixed_idx, block=block_idx, basis=sm))
        X = np.column_stack(X_parts)
        return Design(formula=pf.formula, response=pf.response, y=y, X=X,
                      column_names=list(self.column_names), blocks=blocks, smooths=smooths,
                      data=data, terms=pf, rebuild=self.rebuild)


def _levels_seen(s: pd.Series) -> set:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return set(s.cat.categories)
    return set(pd.unique(s.dropna()))


def _normalize_re_text(rt: RandomTerm) -> str:
    bar = " || " if rt.double_bar else " | "
    lhs = re.sub(r"\s*\+\s*", " + ", rt.lhs.strip())
    return f"({lhs}{bar}{rt.group.strip()})"


def _re_block(grouping: _Grouping, coef: str, j: int | None, term: str, data: pd.DataFrame,
              Xl: np.ndarray | None, allow_new: bool, sp: float | None = None) -> Block:
    n = len(data)
    codes = grouping.codes(data, term, allow_new)
    w = np.ones(n) if j is None else np.asarray(Xl[:, j], dtype=float)
    q = len(grouping.levels)
    Z = np.zeros((n, q))
    ok = codes >= 0
    Z[np.nonzero(ok)[0], codes[ok]] = w[ok]
    if np.any(~ok):
        w = np.where(ok, w, 0.0)
        codes = np.where(ok, codes, 0)
    return Block(name=grouping.name, kind="re", coef=coef, term=term, Z=Z,
                 labels=list(grouping.labels), index=codes, weights=w, sp=sp)
