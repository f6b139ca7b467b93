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


def _fixed_name(name: str) -> str:
    """formulaic column name -> brms name: ``county[T.ANOKA]`` -> ``countyANOKA``."""
    parts = []
    for part in _split_colon(name):
        m = re.match(r"^(.*?)\[(?:T\.)?(.*)\]$", part, re.S)
        if m and m.group(1):
            var = m.group(1)
            if len(var) >= 2 and var[0] == "`" and var[-1] == "`":
                var = var[1:-1]
            part = var + m.group(2)
        elif len(part) >= 2 and part[0] == "`" and part[-1] == "`":
            part = part[1:-1]
        parts.append(brms_name(part))
    return ":".join(parts)


def smooth_label(variable: str) -> str:
    """brms's smooth label: ``"s" + variable with non-alphanumerics removed``."""
    return "s" + re.sub(r"[^A-Za-z0-9]", "", variable)


# ---------------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------------


def _fixed_spec(intercept: bool, terms: list[str]) -> str:
    return " + ".join(["1" if intercept else "0", *terms])


def _required_fixed(spec: str, formula: str) -> set[str]:
    from formulaic import Formula

    try:
        return set(Formula(spec).required_variables)
    except Exception as e:  # formulaic's parser errors
        raise FormulaError(f"cannot read the fixed-effects part {spec!r} of {formula!r}: {e}") \
            from None


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
    """Holds the fitted state (formulaic spec, smooth bases, grouping levels) of a design."""

    def __init__(self, pf: ParsedFormula, seed: int = 1):
        self.pf = pf
        self.seed = seed

    # -- variables ---------------------------------------------------------------------------
    def _used_columns(self, data: pd.DataFrame, with_response: bool) -> list[str]:
        pf = self.pf
        cols: list[str] = []

        def need(col: str, term: str):
            if col not in data.columns:
                close = [c for c in data.columns if str(c).lower() == col.lower()]
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise UnknownColumnError(f"unknown column {col!r} in term {term}{hint}; the "
                                         f"data has columns {list(map(str, data.columns))}")
            if col not in cols:
                cols.append(col)

        if with_response:
            need(pf.response, f"{pf.response} (the response)")
        spec = _fixed_spec(pf.intercept, pf.fixed)
        for t in pf.fixed:
            for v in sorted(_required_fixed(_fixed_spec(True, [t]), pf.formula)):
                if v in data.columns or not _is_builtin_name(v):
                    need(v, t)
        del spec
        for rt in pf.random:
            lhs_terms, _, groups = _re_blocks_spec(rt, pf.formula)
            for t in lhs_terms:
                for v in sorted(_required_fixed(_fixed_spec(True, [t]), pf.formula)):
                    if v in data.columns or not _is_builtin_name(v):
                        need(v, rt.text)
            for g in groups:
                for v in g:
                    need(v, rt.text)
        for st in pf.smooths:
            need(st.variable, st.text)
        return cols

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, na_action: str = "raise") -> Design:
        pf = self.pf
        cols = self._used_columns(data, with_response=True)
        data = self._check_na(data, cols, na_action)
        n = len(data)
        if n == 0:
            raise FormulaError(f"no rows to build the design of {pf.formula!r} from")
        y = self._response(data)
        Xfix, fix_names = self._fixed_fit(data)
        X_parts = [Xfix]
        names = list(fix_names)
        blocks: list[Block] = []
        smooths: list[SmoothInfo] = []
        self.groupings: dict[str, _Grouping] = {}
        self.smooth_objs: list[Smooth] = []
        self.re_plan: list[tuple] = []   # per random term: [(grouping, coef, colspec)]
        seen_blocks: set[tuple[str, str | None]] = set()
        for kind, idx in pf.order:
            if kind == "random":
                rt = pf.random[idx]
                for blk in self._random_fit(rt, data):
                    key = (blk.name, blk.coef)
                    if key in seen_blocks:
                        raise FormulaError(f"{rt.text}: the block {blk.name}/{blk.coef} appears "
                                           "twice in the formula")
                    seen_blocks.add(key)
                    blocks.append(blk)
            else:
                st = pf.smooths[idx]
                if any(si.term == st.label for si in smooths):
                    raise FormulaError(f"{st.text}: {st.label} appears twice in the formula")
                sm, Xf, xf_names, blk = self._smooth_fit(st, data)
                self.smooth_objs.append(sm)
                fixed_idx = list(range(len(names), len(names) + len(xf_names)))
                X_parts.append(Xf)
                names.extend(xf_names)
                block_idx = None
                if blk is not None:
                    key = (blk.name, blk.coef)
                    if key in seen_blocks:
                        raise FormulaError(f"{st.text}: the block {blk.name}/{blk.coef} appears "
                                           "twice in the formula")
                    seen_blocks.add(key)
                    block_idx = len(blocks)
                    blocks.append(blk)
                smooths.append(SmoothInfo(term=st.label, variable=st.variable, bs=st.bs,
                                          fixed_columns=fixed_idx, block=block_idx, basis=sm))
        X = np.column_stack(X_parts) if X_parts else np.zeros((n, 0))
        if len(set(names)) != len(names):
            dup = sorted({c for c in names if names.count(c) > 1})
            raise FormulaError(f"duplicate design columns {dup} in {pf.formula!r}")
        self.column_names = names
        return Design(formula=pf.formula, response=pf.response, y=y, X=X, column_names=names,
                      blocks=blocks, smooths=smooths, data=data, rebuild=self.rebuild)

    def _check_na(self, data: pd.DataFrame, cols: list[str], na_action: str) -> pd.DataFrame:
        bad = {c: int(data[c].isna().sum()) for c in cols}
        bad = {c: v for c, v in bad.items() if v}
        if not bad:
            return data
        if na_action == "raise":
            desc = ", ".join(f"{c!r} ({v} rows)" for c, v in bad.items())
            raise FormulaError(f"missing values (NaN) in column {desc} used by {self.pf.formula!r}"
                               "; drop or impute them, or pass na_action='drop'")
        keep = ~data[cols].isna().any(axis=1)
        dropped = int((~keep).sum())
        warnings.warn(f"na_action='drop': dropped {dropped} of {len(data)} rows with missing "
                      f"values in {list(bad)}", stacklevel=3)
        return data.loc[keep].reset_index(drop=True)

    def _response(self, data: pd.DataFrame) -> np.ndarray:
        s = data[self.pf.response]
        if not _is_numeric(s):
            raise FormulaError(f"the response {self.pf.response!r} is not numeric "
                               f"(dtype {s.dtype})")
        return np.asarray(s, dtype=float)

    def _fixed_fit(self, data: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        import formulaic

        pf = self.pf
        spec = _fixed_spec(pf.intercept, pf.fixed)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mm = formulaic.model_matrix(spec, data, na_action="raise")
        except FormulaError:
            raise
        except Exception as e:
            raise FormulaError(f"cannot evaluate the fixed effects {' + '.join(pf.fixed) or '1'}"
                               f" of {pf.formula!r}: {e}") from None
        self.fixed_spec = mm.model_spec
        names = [_fixed_name(c) for c in mm.columns]
        if names and names[0] == "Intercept" or "Intercept" not in names:
            pass
        X = np.asarray(mm, dtype=float)
        for j, c in enumerate(names):
            if not np.all(np.isfinite(X[:, j])):
                raise FormulaError(f"column {c!r} of the fixed effects has non-finite values")
        return X, names

    def _fixed_new(self, data: pd.DataFrame) -> np.ndarray:
        from formulaic.errors import DataMismatchWarning

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", DataMismatchWarning)
                mm = self.fixed_spec.get_model_matrix(data, na_action="raise")
        except DataMismatchWarning as w:
            raise FormulaError(f"new data for the fixed effects of {self.pf.formula!r}: {w}") \
                from None
        return np.asarray(mm, dtype=float)

    def _lhs_matrix(self, rt: RandomTerm, lhs_terms: list[str], intercept: bool,
                    data: pd.DataFrame):
        import formulaic

        if not lhs_terms:
            return None, [], None
        spec = _fixed_spec(False, lhs_terms)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mm = formulaic.model_matrix(spec, data, na_action="raise")
        except Exception as e:
            raise FormulaError(f"{rt.text}: cannot evaluate {' + '.join(lhs_terms)}: {e}") \
                from None
        names = [_fixed_name(c) for c in mm.columns]
        if intercept and any(not _is_numeric(data[v]) for v in mm.model_spec.required_variables
                             if v in data.columns):
            raise FormulaError(f"{rt.text}: factor slopes next to an intercept are not supported;"
                               " write the factor's indicator columns as numeric variables")
        return np.asarray(mm, dtype=float), names, mm.model_spec

    def _random_fit(self, rt: RandomTerm, data: pd.DataFrame) -> list[Block]:
        pf = self.pf
        lhs_terms, intercept, groups = _re_blocks_spec(rt, pf.formula)
        Xl, lnames, lspec = self._lhs_matrix(rt, lhs_terms, intercept, data)
        ncoef = int(intercept) + len(lnames)
        if ncoef == 0:
            raise FormulaError(f"{rt.text}: no varying coefficient (write (1 | g) or (0 + x | g))")
        if ncoef > 1 and not rt.double_bar:
            raise FormulaError(f"{rt.text}: correlated random effects are not supported; write "
                               f"independent ones with '||', e.g. ({rt.lhs} || {rt.group})")
        plan = []
        blocks = []
        for gvars in groups:
            gname = ":".join(gvars)
            grouping = _make_grouping(gname, gvars, data)
            self.groupings[gname] = grouping
            coefs: list[tuple[str, int | None]] = []
            if intercept:
                coefs.append(("Intercept", None))
            coefs += [(nm, j) for j, nm in enumerate(lnames)]
            for coef, j in coefs:
                term = (f"(1 | {gname})" if coef == "Intercept" else f"(0 + {coef} | {gname})")
                if len(coefs) == 1 and len(groups) == 1:
                    term = _normalize_re_text(rt)
                plan.append((grouping, coef, j, term))
                blocks.append(_re_block(grouping, coef, j, term, data, Xl, allow_new=False))
        self.re_plan.append((rt, lspec, plan))
        return blocks

    def _smooth_fit(self, st: SmoothTerm, data: pd.DataFrame):
        col = data[st.variable]
        label = smooth_label(st.variable)
        if st.bs == "re":
            if _is_numeric(col) and not pd.api.types.is_bool_dtype(col):
                raise FormulaError(f"{st.text}: bs=\"re\" needs a factor; column "
                                   f"{st.variable!r} is numeric (dtype {col.dtype}); convert it "
                                   "with .astype('category')")
            grouping = _make_grouping(st.variable, [st.variable], data)
            try:
                sm = smooth(list(col), bs="re", fx=st.fx, variable=st.variable, term=st.label,
                            levels=grouping.levels)
            except ValueError as e:
                raise FormulaError(f"{st.text}: {e}") from None
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
        if st.k > 0 and st.bs in ("cr", "tp", "ps"):
            nu = np.unique(x).size
            if nu < st.k:
                raise FormulaError(f"{st.text}: {st.variable} has insufficient unique values "
                                   f"({nu}) to support k={st.k} basis functions: reduce k "
                                   "(mgcv's error)")
        try:
            sm = smooth(x, bs=st.bs, k=st.k, fx=st.fx, variable=st.variable, term=st.label,
                        seed=self.seed)
        except FormulaError:
            raise
        except ValueError as e:
            raise FormulaError(f"{st.text}: {e}") from None
        if st.fx:
            names = [f"{label}_{j + 1}" for j in range(sm.Xf.shape[1])]
            return sm, sm.Xf, names, None
        names = [f"{label}_{j + 1}" for j in range(sm.Xf.shape[1])]
        blk = Block(name=f"{label}_1", kind="smooth", coef=None, term=st.label, Z=sm.Zr,
                    labels=[str(j + 1) for j in range(sm.Zr.shape[1])], sp=st.sp,
                    reml_offset=sm.reml_offset)
        return sm, sm.Xf, names, blk

    # -- new data ----------------------------------------------------------------------------
    def rebuild(self, data: pd.DataFrame, allow_new_levels: bool = False) -> Design:
        pf = self.pf
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        with_y = pf.response in data.columns
        cols = self._used_columns(data, with_response=with_y)
        data = self._check_na(data, cols, "raise")
        n = len(data)
        y = self._response(data) if with_y else None
        X_parts = [self._fixed_new(data)]
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
                    Xl = np.asarray(lspec.get_model_matrix(data, na_action="raise"), dtype=float)
                for grouping, coef, j, term in plan:
                    blocks.append(_re_block(grouping, coef, j, term, data, Xl,
                                            allow_new=allow_new_levels))
            else:
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
                    x = np.asarray(data[st.variable], dtype=float)
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
                      data=data, rebuild=self.rebuild)


def _is_builtin_name(v: str) -> bool:
    """Names formulaic resolves outside the data (``np``, ``log``, ``C``...)."""
    return v in {"np", "numpy", "log", "exp", "sqrt", "C", "I", "center", "scale", "poly",
                 "bs", "lag", "abs"}


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
