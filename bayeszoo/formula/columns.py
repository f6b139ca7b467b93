"""The columns a formula reads: checks on the data frame, safe aliases for formulaic, missing
values, factor levels and numeric-looking strings."""

from __future__ import annotations

import datetime
import re
import warnings

import numpy as np
import pandas as pd

from .errors import FormulaError, malformed, unknown_column
from .text import IDENT_AT

KEEP_NAMES = {"True", "False", "None", "TRUE", "FALSE", "pi", "inf", "nan"}
KEEP_PREFIXES = ("np.", "numpy.", "contr.", "scipy.")
#: the safe name :func:`alias_expr` gives a column
ALIAS = re.compile(r"_bzv\d+_")


def column_map(data: pd.DataFrame) -> dict[str, object]:
    """``{str(name): name}`` of ``data``'s columns; duplicate names are an error."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    names = [str(c) for c in data.columns]
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        raise ValueError(f"the data has duplicate column name(s) {dup}; rename them so that each "
                         "column is named once (df.columns = [...])")
    return dict(zip(names, data.columns, strict=True))


def is_numeric(s: pd.Series) -> bool:
    """Numeric or boolean, not categorical."""
    return (pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)) \
        or pd.api.types.is_bool_dtype(s)


def numeric_like_strings(s: pd.Series) -> list[str]:
    """For a string column most of whose values read as numbers, the values that do not (a
    CSV cell such as "abc" turns a numeric column into strings); ``[]`` otherwise."""
    if is_numeric(s) or isinstance(s.dtype, pd.CategoricalDtype):
        return []
    vals = pd.Series(pd.unique(s.dropna()))
    if vals.empty:
        return []
    as_num = pd.to_numeric(vals.astype(str), errors="coerce")
    bad = vals[as_num.isna()]
    if as_num.notna().mean() >= 0.5:
        return [str(v) for v in bad[:3]]
    return []


def factor_levels(s: pd.Series) -> list:
    """Observed levels in R's order: a Categorical's categories that occur, in category order
    (R's model frame drops unused levels); otherwise the sorted unique values."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna().unique())
        return [c for c in s.cat.categories if c in present]
    vals = pd.unique(s.dropna())
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


def alias_expr(text: str, pos: int, columns: dict[str, object], aliases: dict[str, str],
               term: str, formula: str) -> str:
    """Rewrite an expression for formulaic: every column name (bare, Unicode letters and dots
    allowed, or in backticks) becomes a safe alias ``_bzvN_``; R's ``^`` becomes ``**``.
    An identifier that is neither a column nor a function call raises
    :class:`~bayeszoo.formula.errors.UnknownColumnError` naming the term."""
    out: list[str] = []
    i = 0
    n = len(text)

    def alias(name: str) -> str:
        if name not in aliases:
            aliases[name] = f"_bzv{len(aliases)}_"
        return aliases[name]

    while i < n:
        ch = text[i]
        if ch == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise malformed(formula, pos + i, "unterminated backtick")
            name = text[i + 1: j]
            if name not in columns:
                raise unknown_column(name, columns, term)
            out.append(alias(name))
            i = j + 1
            continue
        if ch in "\"'":
            j = text.find(ch, i + 1)
            if j < 0:
                raise malformed(formula, pos + i, f"unterminated quote {ch}")
            out.append(text[i: j + 1])
            i = j + 1
            continue
        if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            m = re.match(r"\d*\.?\d*(?:[eE][+-]?\d+)?L?", text[i:])
            tok = m.group(0) or ch
            out.append(tok.rstrip("L"))
            i += len(tok)
            continue
        m = IDENT_AT.match(text, i)
        if m:
            name = m.group(0)
            j = m.end()
            k = j
            while k < n and text[k] == " ":
                k += 1
            nxt = text[k] if k < n else ""
            if nxt == "(" or (nxt == "=" and text[k: k + 2] != "=="):
                out.append(name)  # a function call or a keyword argument
            elif name in columns:
                out.append(alias(name))
            elif name in KEEP_NAMES or name.startswith(KEEP_PREFIXES):
                out.append(name)
            else:
                raise unknown_column(name, columns, term)
            i = j
            continue
        out.append("**" if ch == "^" else ch)
        i += 1
    return "".join(out)


def check_mixed_types(data: pd.DataFrame, columns: dict[str, object], used: list[str]) -> None:
    """A column of Python objects that mixes strings with numbers (``2`` and ``"2"``) has no one
    set of factor levels (they would sort and print alike but compare unequal); refuse it,
    naming the column."""
    for c in used:
        s = data[columns[c]]
        if s.dtype != object:
            continue
        kinds = {type(v).__name__ for v in s.dropna()}
        if "str" in kinds and len(kinds) > 1:
            raise FormulaError(f"column {c!r} mixes strings and other values "
                               f"({', '.join(sorted(kinds))}); convert it with "
                               f"df[{c!r}].astype(str) for a factor or pd.to_numeric(df[{c!r}], "
                               "errors='coerce') for numbers")


def warn_numeric_strings(data: pd.DataFrame, columns: dict[str, object], used: list[str]) -> None:
    """Warn for each used column read as a factor although its values are mostly numbers."""
    for c in used:
        bad = numeric_like_strings(data[columns[c]])
        if bad:
            warnings.warn(f"column {c!r} holds strings and is read as a factor, but most of its "
                          f"values are numbers (not numbers: {bad}); convert it with "
                          f"pd.to_numeric(df[{c!r}], errors='coerce') if it is numeric",
                          UserWarning, stacklevel=4)


def check_na(data: pd.DataFrame, columns: dict[str, object], used: list[str], na_action: str,
             users, formula: str) -> pd.DataFrame:
    """``data`` with a fresh index; a NaN in a used column raises naming the column and the terms
    that read it (``users(col)``), or, with ``na_action="drop"``, those rows are dropped with a
    warning giving the count."""
    counts = {str(columns[c]): int(data[columns[c]].isna().sum()) for c in used}
    bad = {c: v for c, v in counts.items() if v}
    if not bad:
        return data.reset_index(drop=True)
    sub = data[[columns[c] for c in used]]
    if na_action == "raise":
        desc = ", ".join(f"{c!r} ({v} rows, {users(c)})" for c, v in bad.items())
        raise FormulaError(f"missing values (NaN) in column {desc} of {formula!r}; drop or impute "
                           "them, or pass na_action='drop' (bayeszoo.design, sample, reml)")
    keep = ~sub.isna().any(axis=1).to_numpy()
    dropped = int((~keep).sum())
    warnings.warn(f"na_action='drop': dropped {dropped} of {len(data)} rows with missing values "
                  f"in {list(bad)}", stacklevel=4)
    return data.loc[keep].reset_index(drop=True)


def check_finite_moments(name: str, values: np.ndarray, what: str) -> None:
    """Reject a column whose mean or mean square overflows (a value of 1e308, a response of
    1e300): the model could be built but every sum over it is infinite."""
    v = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(v)):
        bad = v[~np.isfinite(v)][0]
        raise FormulaError(f"{what} {name!r} holds a non-finite value ({bad}); remove or "
                           "replace it")
    with np.errstate(over="ignore", invalid="ignore"):
        ok = np.isfinite(np.mean(v)) and np.isfinite(np.mean(v * v))
    if not ok:
        big = float(np.max(np.abs(v)))
        raise FormulaError(f"{what} {name!r} holds values too large to model ({big:.3g}): its "
                           "mean square overflows; rescale the column (e.g. divide by a power "
                           "of 10)")


INT64_RANGE = (-(2**63), 2**63 - 1)


def _not_a_number_or_factor(c: str, s: pd.Series) -> str | None:
    """What is wrong with reading column ``c`` as a number or a factor (dates, durations,
    complex numbers, integers beyond int64), with what to do; ``None`` when nothing is."""
    stamps = f"df[{c!r}].dt.to_timestamp()" if isinstance(s.dtype, pd.PeriodDtype) \
        else f"pd.to_datetime(df[{c!r}])"
    days = f"({stamps} - {stamps}.min()).dt.days"
    dates = (f"holds dates; a formula reads numbers or factors: convert it to numbers, e.g. "
             f"days since the first date with df[{c!r}] = {days}, or to a factor with "
             f"df[{c!r}].astype(str)")
    durations = (f"holds durations; a formula reads numbers: convert them, e.g. to days with "
                 f"df[{c!r}] = pd.to_timedelta(df[{c!r}]).dt.total_seconds() / 86400")
    complex_ = (f"holds complex numbers; a formula reads real ones: put the parts you mean in "
                f"columns of their own (np.real(df[{c!r}]), np.imag(df[{c!r}]) or "
                f"np.abs(df[{c!r}]))")
    dt = s.dtype
    if isinstance(dt, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(dt):
        return dates
    if isinstance(dt, np.dtype) and dt.kind == "m":
        return durations
    if pd.api.types.is_complex_dtype(dt):
        return complex_
    if not pd.api.types.is_object_dtype(dt):
        return None
    types = set(map(type, s.dropna()))
    if any(issubclass(t, datetime.date | datetime.time | np.datetime64 | pd.Period)
           for t in types):
        return dates
    if any(issubclass(t, datetime.timedelta | np.timedelta64) for t in types):
        return durations
    if any(issubclass(t, complex | np.complexfloating) for t in types):
        return complex_
    big = [v for v in s.dropna() if type(v) is int and not INT64_RANGE[0] <= v <= INT64_RANGE[1]] \
        if int in types else []
    if big:
        return (f"holds integers beyond the int64 range (e.g. {big[0]}): as a factor each value "
                f"would be a level of its own, as a number it would lose digits; rescale it "
                f"(e.g. df[{c!r}].astype(float) / 1e18) or, for identifiers, use "
                f"df[{c!r}].astype(str)")
    return None


def check_column_kinds(data: pd.DataFrame, columns: dict[str, object], used: list[str],
                       users) -> None:
    """Refuse a used column of dates, durations, complex numbers or integers beyond int64: read
    as a factor each distinct value would be a level, read as a number it would be truncated.
    The error names the column, the terms
    that read it (``users(col)``) and the conversion to make."""
    for c in used:
        problem = _not_a_number_or_factor(c, data[columns[c]])
        if problem:
            raise FormulaError(f"column {c!r} ({users(c)}; dtype {data[columns[c]].dtype}) "
                               f"{problem}")


def check_numeric_columns(data: pd.DataFrame, columns: dict[str, object],
                          reads: dict[str, list[str]]) -> None:
    """Refuse a non-numeric column in an expression that must be a number per row (an offset,
    brms's ``weights``, ``se`` and ``trials``): strings or factor codes would be read as zeros,
    NaN or a wrong count. ``reads``: term text -> the columns it reads."""
    for term, cols in reads.items():
        for c in cols:
            s = data[columns[c]]
            if is_numeric(s):
                continue
            first = s.dropna().iloc[0] if s.notna().any() else None
            what = "a factor" if isinstance(s.dtype, pd.CategoricalDtype) else "not numeric"
            raise FormulaError(f"column {c!r} of {term} is {what} (dtype {s.dtype}, values like "
                               f"{first!r}); {term} needs numbers: convert the column, e.g. "
                               f"df[{c!r}] = pd.to_numeric(df[{c!r}].astype(str))")
