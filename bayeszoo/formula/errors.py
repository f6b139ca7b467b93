"""The formula layer's errors: every one names the term, column or position at fault."""

from __future__ import annotations


class FormulaError(ValueError):
    """A formula that cannot be turned into a design; the message names the term."""


class UnknownColumnError(FormulaError, KeyError):
    """A formula names a column the data does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def malformed(formula: str, pos: int, what: str) -> FormulaError:
    """A :class:`FormulaError` that shows ``formula`` with a caret under position ``pos``."""
    caret = " " * pos + "^"
    return FormulaError(f"malformed formula at position {pos}: {what}\n  {formula}\n  {caret}")


def unknown_column(name: str, columns, term: str) -> UnknownColumnError:
    """The error for a column the data lacks, with a case-insensitive near miss if there is one."""
    cols = [str(c) for c in columns]
    close = [c for c in cols if c.lower() == name.lower()]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return UnknownColumnError(f"unknown column {name!r} in term {term}{hint}; the data has "
                              f"columns {cols}")
