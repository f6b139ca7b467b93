"""The report's tables as the page shows them: each value formatted as text, problem cells
flagged (R-hat > 1.01, ESS < 400, divergences, low E-BFMI, bad Pareto k). Plain data; the
template's ``data_table`` macro turns a :class:`DisplayTable` into markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from bayeszoo.diagnostics import BFMI_MIN, ESS_MIN, RHAT_MAX
from bayeszoo.reports.tables import DIAGNOSTIC_COLUMNS, SUMMARY_COLUMNS


@dataclass(frozen=True)
class Cell:
    text: str
    flag: bool = False
    title: str = ""


@dataclass(frozen=True)
class DisplayRow:
    label: str
    cells: list[Cell]


@dataclass(frozen=True)
class DisplayTable:
    """Column headers and rows of cells; ``labelled``: the rows start with a name column
    (the DataFrame's index)."""

    css_class: str
    columns: list[str]
    rows: list[DisplayRow] = field(default_factory=list)
    labelled: bool = True


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def format_value(v: Any, digits: int = 2) -> str:
    """Text of one value: integers and booleans as they are, finite floats to ``digits``
    decimals, missing values (None, NaN) empty."""
    if _is_missing(v):
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(v) if not math.isfinite(v) else f"{v:.{digits}f}"
    return str(v)


def _values(column: pd.Series) -> list[Any]:
    """A column's values as Python scalars (``tolist`` keeps integers integers)."""
    return column.astype(object).where(column.notna(), None).tolist()


def frame_display(
    df: pd.DataFrame,
    css_class: str = "df",
    digits: int = 2,
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    flags: Mapping[str, Callable[[Any], bool]] | None = None,
) -> DisplayTable:
    """A DataFrame with its index as the name column: values through :func:`format_value`
    (or ``formats[column]``), cells flagged where ``flags[column](value)`` holds."""
    formats, flags = formats or {}, flags or {}
    columns = {c: _values(df[c]) for c in df.columns}
    rows = []
    for i, label in enumerate(df.index):
        cells = []
        for c, values in columns.items():
            v = values[i]
            text = formats[c](v) if c in formats and v is not None else format_value(v, digits)
            cells.append(Cell(text, flag=c in flags and v is not None and flags[c](v)))
        rows.append(DisplayRow(str(label), cells))
    return DisplayTable(css_class, [str(c) for c in df.columns], rows)


def _summary_number(column: str, v: float) -> str:
    if column == "Rhat":
        return f"{v:.3f}"
    if column.endswith("ESS"):
        return f"{v:.0f}"
    return f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"


def _summary_flag(column: str, v: float) -> bool:
    if not math.isfinite(v):
        return False
    if column == "Rhat":
        return v > RHAT_MAX
    return column in ("Bulk_ESS", "Tail_ESS") and v < ESS_MIN


def summary_display(shown: pd.DataFrame) -> DisplayTable:
    """The condensed summary (:func:`bayeszoo.reports.tables.condensed_summary`): estimates to 3
    decimals (1 from 100 on), R-hat to 3, ESS whole; R-hat > 1.01 and ESS < 400 flagged; the
    diagnostics of a worst-of row titled as such."""
    rows = []
    for label, row in shown.iterrows():
        cells = []
        for c in SUMMARY_COLUMNS:
            v = float(row[c])
            title = ("worst over the elements"
                     if row["aggregated"] and c in DIAGNOSTIC_COLUMNS else "")
            text = "" if math.isnan(v) else _summary_number(c, v)
            cells.append(Cell(text, flag=_summary_flag(c, v), title=title))
        rows.append(DisplayRow(str(label), cells))
    return DisplayTable("summary", list(SUMMARY_COLUMNS), rows)


def _sampler_cell(column: str, v: Any) -> Cell:
    if column == "divergences":
        return Cell("?" if _is_missing(v) else str(int(v)), flag=not _is_missing(v) and v > 0)
    if column == "E-BFMI":
        return Cell(format_value(v, 2), flag=not _is_missing(v) and v < BFMI_MIN)
    if column == "step size":
        return Cell(f"{v:.3g}")
    if column == "mean accept":
        return Cell(f"{v:.3f}")
    return Cell(str(int(v)))


def sampler_display(table: pd.DataFrame) -> DisplayTable:
    """The per-chain sampler table (:func:`bayeszoo.reports.tables.sampler_table`):
    divergences > 0 and E-BFMI < 0.3 flagged; no name column (the chain is a column)."""
    columns = {c: _values(table[c]) for c in table.columns}
    rows = [DisplayRow("", [_sampler_cell(c, values[i]) for c, values in columns.items()])
            for i in range(len(table))]
    return DisplayTable("sampler", [str(c) for c in table.columns], rows, labelled=False)


def comparison_display(table: pd.DataFrame) -> DisplayTable:
    """A :func:`bayeszoo.compare` table, observations with k > 0.7 and ArviZ's warning
    flagged."""
    return frame_display(table, flags={"k_bad": lambda v: v > 0, "warning": bool})
