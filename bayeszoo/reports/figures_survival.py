"""The report's posterior predictive check of a right-censored response (``y | cens(c)``):
the Kaplan–Meier curve of the data with its 90 % Greenwood band against the model's marginal
survival curve, median and 90 % band over posterior draws
(:mod:`bayeszoo.inference.survival`)."""

from __future__ import annotations

from bayeszoo.reports.figures import EmbeddedFigure, embed_png
from bayeszoo.reports.tables import response_name


def survival_figure(idata, dpi: int) -> EmbeddedFigure | None:
    """Kaplan–Meier against the posterior survival curve; ``None`` unless the response is
    right censored (``cens()`` codes 0 and 1, no ``trunc()``)."""
    import matplotlib.pyplot as plt

    from bayeszoo.inference.survival import (
        kaplan_meier,
        plot_km_overlay,
        posterior_survival,
        right_censored,
        survival_grid,
    )

    data = right_censored(idata)
    if data is None:
        return None
    times, events = data
    grid = survival_grid(times)
    curves = posterior_survival(idata, grid)
    fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
    plot_km_overlay(ax, kaplan_meier(times, events), grid, curves, times[events == 0],
                    response_name(idata))
    png, w, h = embed_png(fig, dpi)
    n_cens = int((events == 0).sum())
    return EmbeddedFigure("ppc", "Posterior predictive check: Kaplan–Meier against the "
                          "posterior survival curve", png, w, h,
                          f"The Kaplan–Meier estimate of the data (black steps, its 90% "
                          f"Greenwood band in grey; + marks the {n_cens} right-censored "
                          f"times) against the model's survival curve averaged over the rows: "
                          f"median (blue) and 90% interval over {curves.shape[0]} posterior "
                          "draws.")
