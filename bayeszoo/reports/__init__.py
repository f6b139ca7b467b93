"""The self-contained HTML diagnostics report (:func:`report`) and its brms-like posterior
summary (:func:`summary_table`).

``tables`` computes the numbers, ``cells`` formats and flags them, ``figures`` draws the embedded
PNGs, ``page`` assembles each fit's section and renders ``templates/`` with Jinja.
"""

from bayeszoo.reports.page import report
from bayeszoo.reports.tables import summary_table

__all__ = ["report", "summary_table"]
