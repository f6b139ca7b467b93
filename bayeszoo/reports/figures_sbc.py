"""Figures of simulation-based calibration: the ECDF difference of each quantity's ranks with
its simultaneous 95% band (Säilynoja, Bürkner & Vehtari 2022, "Graphical test for discrete
uniformity and its applications in goodness-of-fit evaluation and multiple sample comparison",
Statistics and Computing 32:32; the plot of R's SBC package and bayesplot's
``ppc_pit_ecdf(plot_diff = TRUE)``), for notebooks (:func:`ecdf_difference_figure`), the HTML
report (:func:`sbc_figure`) and PNG files (:func:`save_png`).

A calibrated quantity's curve wanders inside the grey band; a curve below it in the middle
means the true values sit too often in the upper tail of the posterior (the posterior is too
low or too narrow there), above it the reverse; a curve leaving at both ends means posteriors
that are too narrow, a hump in the middle too wide.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from bayeszoo.reports.cells import DisplayTable, frame_display
from bayeszoo.reports.figures import EmbeddedFigure


def ecdf_difference_figure(result: Any, quantities: list[str] | None = None,
                           alpha: float = 0.05, ncols: int = 3):
    """One panel per quantity of the :class:`~bayeszoo.inference.sbc_result.SbcResult`
    ``result``: ``ECDF(z) - z`` of its ranks (PIT values ``(rank + 1)/(max_rank + 1)``) with
    the simultaneous ``1 - alpha`` band, titled with the p-value. Returns the Figure."""
    import matplotlib.pyplot as plt

    quantities = list(quantities or result.quantities)
    unknown = [q for q in quantities if q not in result.quantities]
    if unknown:
        raise KeyError(f"no ranks of {unknown}; the result has {result.quantities}")
    band = result.band(alpha)
    pvalues = result.pvalues
    ncols = max(1, min(ncols, len(quantities)))
    nrows = math.ceil(len(quantities) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows), squeeze=False,
                             sharey=True, layout="constrained")
    z = np.concatenate([[0.0], band.z, [1.0]])
    lo = np.concatenate([[0.0], band.lower - band.z, [0.0]])
    hi = np.concatenate([[0.0], band.upper - band.z, [0.0]])
    for ax, q in zip(axes.ravel(), quantities, strict=False):
        diff = np.concatenate([[0.0], result.ecdf(q) - band.z, [0.0]])
        ax.fill_between(z, lo, hi, step="post", color="0.85", linewidth=0)
        outside = not bool(result.inside_band(alpha)[q])
        ax.step(z, diff, where="post", color="tab:red" if outside else "tab:blue", lw=1.2)
        ax.axhline(0.0, color="0.4", lw=0.6)
        ax.set_xlim(0.0, 1.0)
        ax.set_title(f"{q}\np = {pvalues[q]:.3f}", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(quantities):]:
        ax.set_visible(False)
    for col in range(ncols):  # the lowest panel of each column carries the axis label
        shown = [ax for ax in axes[:, col] if ax.get_visible()]
        for ax in shown[:-1]:
            ax.tick_params(labelbottom=False)
        shown[-1].set_xlabel("fractional rank", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("ECDF difference", fontsize=8)
    s = result.settings
    fig.suptitle(f"SBC of {s.get('model', '')} ({s.get('backend', '')}, {result.n_sims} "
                 f"simulations): ECDF − uniform, {100 * (1 - alpha):.0f}% simultaneous band",
                 fontsize=9)
    return fig


def sbc_table(result: Any, alpha: float = 0.05) -> DisplayTable:
    """The result's summary (p-value, inside the band, mean rank, ESS) for the report."""
    table = result.summary(alpha)
    table["inside_band"] = table["inside_band"].map({True: "yes", False: "no"})
    return frame_display(table, digits=3)


def sbc_figure(result: Any, dpi: int = 72, alpha: float = 0.05) -> EmbeddedFigure:
    """:func:`ecdf_difference_figure` as an embedded PNG of the report, with the summary
    table."""
    import base64

    data = png_bytes(ecdf_difference_figure(result, alpha=alpha), dpi)
    png = base64.b64encode(data).decode("ascii")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    failing = [q for q, ok in result.inside_band(alpha).items() if not ok]
    caption = (f"Simulation-based calibration: {result.n_sims} simulations from the prior, "
               f"each refitted; ranks on 0..{result.max_rank}. "
               + (f"Outside the band: {', '.join(failing)}." if failing
                  else "Every quantity stays inside its band."))
    return EmbeddedFigure(key="sbc", title="Simulation-based calibration", png=png,
                          width=width, height=height, caption=caption,
                          tables=[sbc_table(result, alpha)])


def png_bytes(fig, dpi: int) -> bytes:
    """``fig`` as PNG bytes (the figure is closed)."""
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def save_png(fig, path: str | Path, dpi: int = 100) -> Path:
    """Write ``fig`` as PNG through a temporary file renamed when complete (then close it)."""
    from bayeszoo.paths import write_bytes_atomically

    return write_bytes_atomically(path, png_bytes(fig, dpi))
