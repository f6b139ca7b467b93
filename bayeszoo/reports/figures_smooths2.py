"""The report's figures of smooths beyond one curve: surfaces, curves per factor level and
cyclic smooths, each a PNG embedded as base64.

Every figure shows a smooth's partial effect (:mod:`bayeszoo.inference.smooth_effects`, which
:meth:`bayeszoo.inference.fit.Fit.smooths` uses too), centred as mgcv's ``plot.gam`` and
gratia's ``draw`` show it.

* two covariates (``te``, ``ti``, ``t2``, ``s(x, z)``): the posterior mean as a heat map with
  contours and the data points, beside its posterior standard deviation; grid points farther
  than a tenth of the covariates' (unit-scaled) range from every data point are left blank, as
  ``vis.gam(too.far = 0.1)`` does;
* ``by=`` a factor, and ``bs="fs"``: the curve of every level with its 95% band in one panel;
* ``bs="cc"``: the curve over exactly one period (between the cyclic knots), its two ends
  marked: they meet in value and slope.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.inference.smooth_effects import (
    GRID_1D,
    GRID_2D,
    base_rows,
    far_from_data,
    partial_effect,
)
from bayeszoo.reports.figures import EmbeddedFigure


def png_of(fig, dpi: int) -> tuple[str, int, int]:
    """Base64 PNG of ``fig`` (closed afterwards) and its pixel size."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 3})
    plt.close(fig)
    data = buf.getvalue()
    return (base64.b64encode(data).decode("ascii"), int.from_bytes(data[16:20], "big"),
            int.from_bytes(data[20:24], "big"))


def smooth_kind(sm, data: pd.DataFrame) -> str | None:
    """``"surface"``, ``"levels"``, ``"cyclic"`` or ``None`` (drawn elsewhere or not at all)."""
    if sm.state is None:
        return None
    spec = sm.state["spec"]
    by = spec["by"]
    factor_by = by is not None and not pd.api.types.is_numeric_dtype(data[by])
    if sm.bs == "fs" or factor_by:
        return "levels"
    if by is not None:
        return None
    numeric = [v for v in sm.variables if pd.api.types.is_numeric_dtype(data[v])]
    if len(sm.variables) == 2 and len(numeric) == 2:
        return "surface"
    if sm.bs == "cc":
        return "cyclic"
    return None


def surface_figure(idata, design, data: pd.DataFrame, sm, dpi: int) -> EmbeddedFigure:
    import matplotlib.pyplot as plt

    v1, v2 = sm.variables
    x = np.asarray(data[v1], dtype=float)
    y = np.asarray(data[v2], dtype=float)
    gx, gy = np.meshgrid(np.linspace(x.min(), x.max(), GRID_2D),
                         np.linspace(y.min(), y.max(), GRID_2D))
    grid = base_rows(data, gx.size)
    grid[v1] = gx.ravel()
    grid[v2] = gy.ravel()
    # mean zero over the data, as mgcv draws every surface: a no-op for te, ti and s(x, z),
    # whose constraint is exactly that, and t2's prediction constraint
    draws = partial_effect(idata, design, sm, grid)
    draws = draws - partial_effect(idata, design, sm, data).mean(axis=1, keepdims=True)
    hidden = far_from_data(gx, gy, x, y)
    mean = np.ma.masked_array(draws.mean(axis=0).reshape(gx.shape), hidden)
    sd = np.ma.masked_array(draws.std(axis=0).reshape(gx.shape), hidden)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    for ax, values, label, cmap in ((axes[0], mean, "posterior mean", "RdBu_r"),
                                    (axes[1], sd, "posterior sd", "viridis")):
        if cmap == "RdBu_r":
            lim = float(np.abs(values).max()) or 1.0
            mesh = ax.pcolormesh(gx, gy, values, cmap=cmap, vmin=-lim, vmax=lim,
                                 shading="auto")
        else:
            mesh = ax.pcolormesh(gx, gy, values, cmap=cmap, shading="auto")
        contours = ax.contour(gx, gy, values, levels=8, colors="black", linewidths=0.7)
        ax.clabel(contours, fontsize=7, fmt="%.3g")
        ax.scatter(x, y, s=6, color="black", alpha=0.7)
        fig.colorbar(mesh, ax=ax, label=label)
        ax.set_xlabel(v1)
        ax.set_ylabel(v2)
        ax.set_title(f"{sm.term}: {label}")
    png, w, h = png_of(fig, dpi)
    return EmbeddedFigure(f"surface-{v1}-{v2}", f"Surface {sm.term}", png, w, h,
                          "The smooth's partial effect (mean zero over the data): posterior "
                          "mean with contours (left) and posterior standard deviation (right) "
                          "over the data range, with the data points; grid cells far from "
                          "every data point are left blank (vis.gam's too.far = 0.1).")


def levels_figure(idata, design, data: pd.DataFrame, sm, dpi: int) -> EmbeddedFigure:
    import matplotlib.pyplot as plt

    spec = sm.state["spec"]
    if spec["by"] is not None:
        factor, var = spec["by"], sm.variables[0]
    else:  # fs: the factor is among the variables
        factor = next(v for v in sm.variables if not pd.api.types.is_numeric_dtype(data[v]))
        var = next(v for v in sm.variables if v != factor)
    x = np.asarray(data[var], dtype=float)
    xg = np.linspace(x.min(), x.max(), GRID_1D)
    levels = list(pd.Categorical(data[factor]).categories)
    fig, ax = plt.subplots(figsize=(8, 4.4), layout="constrained")
    cmap = plt.get_cmap("tab10" if len(levels) <= 10 else "viridis")
    for i, level in enumerate(levels):
        grid = base_rows(data, xg.size)
        grid[var] = xg
        grid[factor] = pd.Categorical([level] * xg.size, categories=levels)
        draws = partial_effect(idata, design, sm, grid)
        color = cmap(i if len(levels) <= 10 else i / max(len(levels) - 1, 1))
        lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
        ax.fill_between(xg, lo, hi, color=color, alpha=0.2)
        ax.plot(xg, draws.mean(axis=0), color=color, lw=2, label=str(level))
    ax.plot(x, np.full_like(x, ax.get_ylim()[0]), "|", color="black", alpha=0.5)
    ax.set_xlabel(var)
    ax.set_ylabel("partial effect")
    ax.legend(title=factor, fontsize=8, ncol=2 if len(levels) > 6 else 1)
    ax.set_title(f"{sm.term}: one curve per level of {factor}")
    png, w, h = png_of(fig, dpi)
    return EmbeddedFigure(f"levels-{var}-{factor}", f"Smooths by level: {sm.term}", png, w, h,
                          f"The partial effect of {var} for every level of {factor} "
                          "(posterior mean and 95% interval), each centred by its own "
                          "constraint; ticks: the data's values.")


def cyclic_period(sm) -> tuple[float, float]:
    """The two ends of a cyclic smooth's period: its first and last knot."""
    from bayeszoo.smooths.margins import Margin

    knots = Margin.from_state(sm.state["con"]["raw"]["margin"]).basis.knots
    return float(knots[0]), float(knots[-1])


def cyclic_figure(idata, design, data: pd.DataFrame, sm, dpi: int) -> EmbeddedFigure:
    import matplotlib.pyplot as plt

    var = sm.variables[0]
    lo, hi = cyclic_period(sm)
    xg = np.linspace(lo, hi, GRID_1D)
    grid = base_rows(data, xg.size)
    grid[var] = xg
    draws = partial_effect(idata, design, sm, grid)
    q_lo, q_hi = np.quantile(draws, [0.025, 0.975], axis=0)
    mean = draws.mean(axis=0)
    fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
    ax.fill_between(xg, q_lo, q_hi, color="C0", alpha=0.3, label="95% interval")
    ax.plot(xg, mean, color="C0", lw=2, label="posterior mean")
    ax.plot([lo, hi], [mean[0], mean[-1]], "o", color="C3", label="ends of the period")
    for end in (lo, hi):
        ax.axvline(end, color="C3", lw=0.8, ls="--")
    x = np.asarray(data[var], dtype=float)
    ax.plot(x, np.full_like(x, ax.get_ylim()[0]), "|", color="black", alpha=0.5)
    ax.set_xlabel(var)
    ax.set_ylabel("partial effect")
    ax.legend(fontsize=8)
    ax.set_title(f"{sm.term}: one period, {lo:g} to {hi:g}")
    png, w, h = png_of(fig, dpi)
    return EmbeddedFigure(f"cyclic-{var}", f"Cyclic smooth {sm.term}", png, w, h,
                          "The partial effect over one period (between the cyclic knots), "
                          "posterior mean and 95% interval: the two ends (red) have the same "
                          "value and slope, so the curve repeats.")


MAKERS = {"surface": surface_figure, "levels": levels_figure, "cyclic": cyclic_figure}


def smooth2_figures(idata, ctx: dict[str, Any], dpi: int) -> list[EmbeddedFigure]:
    """The surface, per-level and cyclic figures of a fit's smooths (none for other models)."""
    design = ctx.get("design")
    data = ctx.get("data")
    if design is None or data is None:
        return []
    figs = []
    for sm in design.smooths:
        kind = smooth_kind(sm, data)
        if kind is not None:
            figs.append(MAKERS[kind](idata, design, data, sm, dpi))
    return figs
