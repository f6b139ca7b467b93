"""Scanning formula text: top-level splitting, column names, R literals.

Column names follow R's rules for syntactic names, with Unicode letters allowed (``été``,
``größe``) and dots inside; anything else goes in backticks (``` `my col` ```).
"""

from __future__ import annotations

import ast
import operator
import re

from .errors import FormulaError, malformed

IDENT = re.compile(r"^(?:[^\W\d]|\.)[\w.]*$")
IDENT_AT = re.compile(r"(?:[^\W\d]|\.)[\w.]*")


def is_name(text: str) -> bool:
    """Whether ``text`` is a column name that needs no backticks."""
    return bool(IDENT.match(text))


def quote_name(name: str) -> str:
    """``name`` as written in a formula: bare when syntactic, else in backticks."""
    return name if is_name(name) else f"`{name}`"


def split_top(text: str, seps: str, offset: int, formula: str) -> list[tuple[str, int, str]]:
    """Split ``text`` at top-level characters in ``seps`` (outside (), [], quotes, backticks).

    Returns ``(piece, absolute position of the piece, separator before it)``.
    """
    out = []
    depth = 0
    quote = None
    start = 0
    prev_sep = ""
    stack: list[int] = []
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
                raise malformed(formula, offset + i, f"unmatched {ch!r}")
            stack.pop()
        elif depth == 0 and ch in seps:
            out.append((text[start:i], offset + start, prev_sep))
            prev_sep = ch
            start = i + 1
    if quote:
        raise malformed(formula, offset + len(text), f"unterminated quote {quote}")
    if depth > 0:
        raise malformed(formula, offset + stack[-1], "unmatched '('")
    out.append((text[start:], offset + start, prev_sep))
    return out


def strip(piece: str, pos: int) -> tuple[str, int]:
    """``piece`` without surrounding blanks, and the position of its first character."""
    lead = len(piece) - len(piece.lstrip())
    return piece.strip(), pos + lead


def has_top(text: str, ch: str) -> bool:
    """Whether ``ch`` occurs in ``text`` outside brackets and quotes."""
    return len(split_top(text, ch, 0, text)) > 1


def colname(text: str, formula: str, pos: int, term: str) -> str:
    """A bare or backticked column name."""
    t = text.strip()
    if len(t) >= 2 and t[0] == "`" and t[-1] == "`":
        return t[1:-1]
    if is_name(t):
        return t
    raise FormulaError(f"{term}: expected a column name, got {t!r} (write names with spaces or "
                       f"special characters in backticks) at position {pos}\n  {formula}")


_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv, ast.Pow: operator.pow}


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = _arith(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        return _ARITH[type(node.op)](_arith(node.left), _arith(node.right))
    raise ValueError


class Symbol(str):
    """An unquoted name in an argument (``bs=cr``, ``by=Type``): kept apart from quoted strings
    so that each argument can say what it expected."""


def literal(value: str, term: str, key: str):
    """An R argument value: ``TRUE``/``FALSE``/``T``/``F`` (or ``True``/``False``), ``NULL``,
    a quoted string, a number (``5L``, ``1e-3``, ``5/4``), a vector ``c(...)`` (a tuple), or a
    bare name (:class:`Symbol`)."""
    v = value.strip()
    if v in ("TRUE", "True", "T"):
        return True
    if v in ("FALSE", "False", "F"):
        return False
    if v in ("NULL", "None", "NA"):
        return None
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    if len(v) >= 2 and v[0] == v[-1] == "`":
        return Symbol(v[1:-1])
    m = re.fullmatch(r"c\s*\((.*)\)", v, re.S)
    if m:
        parts = [p for p, _, _ in split_top(m.group(1), ",", 0, v) if p.strip()]
        return tuple(literal(p, term, key) for p in parts)
    if is_name(v):
        return Symbol(v)
    text = re.sub(r"(\d)L\b", r"\1", v)
    try:
        num = _arith(ast.parse(text, mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError):
        raise FormulaError(f"{term}: cannot read {key}={v}") from None
    if isinstance(num, float) and num.is_integer() and re.fullmatch(r"[+-]?\d+L?", v):
        return int(num)
    return num


def r_value(v: object) -> str:
    """A value read by :func:`literal` written back as R writes it."""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if v is None:
        return "NULL"
    if isinstance(v, Symbol):
        return quote_name(str(v))
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, tuple):
        return f"c({', '.join(r_value(x) for x in v)})"
    return repr(v)


def call_args(text: str, pos: int, formula: str) -> tuple[list[tuple[str, int]], dict]:
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
