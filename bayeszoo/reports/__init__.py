"""The self-contained HTML diagnostics report (:func:`report`)."""

from bayeszoo.reports.html import report, summary_table

__all__ = ["report", "summary_table"]
