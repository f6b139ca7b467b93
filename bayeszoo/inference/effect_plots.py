"""Effects as data frames with a figure: what ``Fit.conditional_effects`` and
``Fit.smooths`` return (:mod:`bayeszoo.inference.fit`).

An :class:`Effects` maps each effect's name (``"x"``, ``"x:f"``, ``"s(times)"``) to a data frame
of its grid (the effect's variables first) and ``estimate__``, ``se__``, ``lower__``,
``upper__`` as brms names them. :meth:`Effects.plot` draws one panel per effect, as brms's
``plot(conditional_effects(fit))``: a line with its 95 % band for a numeric variable, one such
line per level of a factor as second variable, points with intervals for a factor, a filled
contour of the estimate for two numeric variables (with ``too_far``, grid cells farther than
that from every data point, on the unit square of the data's range, left blank: brms's
``too_far`` argument, 0 by default, and ``plot.gam``'s ``too.far = 0.1`` for smooths).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

KINDS = ("numeric", "by", "factor", "surface")
STATS = ("estimate__", "se__", "lower__", "upper__")


class Effects(dict):
    """Effect name -> data frame (see the module doc); ``kinds[name]`` says how it is drawn:
    ``"numeric"``, ``"by"`` (curves per level of the second variable), ``"factor"`` or
    ``"surface"``."""

    def __init__(self, ylabel: str, data: pd.DataFrame | None = None,
                 too_far: float = 0.0) -> None:
        super().__init__()
        self.kinds: dict[str, str] = {}
        self.ylabel = ylabel
        self.data = data
        self.too_far = too_far

    def add(self, name: str, frame: pd.DataFrame, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        self[name] = frame
        self.kinds[name] = kind

    def variables(self, name: str) -> list[str]:
        """The effect's variables: the frame's columns before its statistics."""
        cols = [c for c in self[name].columns if c not in STATS]
        return [c for c in cols if not c.endswith("__")]

    def plot(self, ncols: int = 3):
        """A matplotlib Figure with one panel per effect."""
        import matplotlib.pyplot as plt

        names = list(self)
        if not names:
            raise ValueError("there are no effects to plot (a model without smooths has no "
                             "Fit.smooths(); see Fit.conditional_effects())")
        ncols = min(ncols, len(names))
        nrows = math.ceil(len(names) / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.6 * nrows),
                                 layout="constrained", squeeze=False)
        for ax, name in zip(axes.ravel(), names, strict=False):
            DRAW[self.kinds[name]](ax, self[name], self.variables(name), self)
            ax.set_title(name)
        for ax in axes.ravel()[len(names):]:
            ax.set_visible(False)
        return fig


def draw_numeric(ax, frame: pd.DataFrame, variables: list[str], eff: Effects) -> None:
    x = frame[variables[0]].to_numpy(dtype=float)
    ax.fill_between(x, frame["lower__"], frame["upper__"], color="C0", alpha=0.3)
    ax.plot(x, frame["estimate__"], color="C0", lw=2)
    if eff.data is not None and variables[0] in eff.data:
        xs = np.asarray(eff.data[variables[0]], dtype=float)
        ax.plot(xs, np.full_like(xs, ax.get_ylim()[0]), "|", color="black", alpha=0.4)
    ax.set_xlabel(variables[0])
    ax.set_ylabel(eff.ylabel)


def draw_by(ax, frame: pd.DataFrame, variables: list[str], eff: Effects) -> None:
    var, factor = variables[0], variables[1]
    for i, (level, part) in enumerate(frame.groupby(factor, observed=True, sort=False)):
        x = part[var].to_numpy(dtype=float)
        ax.fill_between(x, part["lower__"], part["upper__"], color=f"C{i % 10}", alpha=0.2)
        ax.plot(x, part["estimate__"], color=f"C{i % 10}", lw=2, label=str(level))
    ax.legend(title=factor, fontsize=8)
    ax.set_xlabel(var)
    ax.set_ylabel(eff.ylabel)


def draw_factor(ax, frame: pd.DataFrame, variables: list[str], eff: Effects) -> None:
    var = variables[0]
    levels = list(pd.unique(frame[var]))
    pos = np.array([levels.index(v) for v in frame[var]], dtype=float)
    groups = [None] if len(variables) < 2 else list(pd.unique(frame[variables[1]]))
    width = 0.6 / len(groups)
    for i, group in enumerate(groups):
        rows = np.ones(len(frame), bool) if group is None else \
            (frame[variables[1]] == group).to_numpy()
        shift = (i - (len(groups) - 1) / 2) * width
        est = frame["estimate__"].to_numpy()[rows]
        err = np.vstack([est - frame["lower__"].to_numpy()[rows],
                         frame["upper__"].to_numpy()[rows] - est])
        ax.errorbar(pos[rows] + shift, est, yerr=err, fmt="o", color=f"C{i % 10}", capsize=3,
                    label=None if group is None else str(group))
    if len(groups) > 1:
        ax.legend(title=variables[1], fontsize=8)
    ax.set_xticks(range(len(levels)))
    ax.set_xticklabels([str(v) for v in levels])
    ax.set_xlabel(var)
    ax.set_ylabel(eff.ylabel)


def draw_surface(ax, frame: pd.DataFrame, variables: list[str], eff: Effects) -> None:
    from .smooth_effects import far_from_data

    v1, v2 = variables[:2]
    table = frame.pivot_table(index=v2, columns=v1, values="estimate__", sort=True)
    gx, gy = np.meshgrid(table.columns.to_numpy(float), table.index.to_numpy(float))
    values = table.to_numpy()
    shown = eff.data is not None and v1 in eff.data and v2 in eff.data
    if shown and eff.too_far > 0:
        values = np.ma.masked_array(values, far_from_data(
            gx, gy, np.asarray(eff.data[v1], dtype=float), np.asarray(eff.data[v2], dtype=float),
            eff.too_far))
    filled = ax.contourf(gx, gy, values, levels=12, cmap="viridis")
    ax.contour(gx, gy, values, levels=12, colors="white", linewidths=0.4)
    if shown:
        ax.scatter(eff.data[v1], eff.data[v2], s=5, color="black", alpha=0.5)
    ax.figure.colorbar(filled, ax=ax, label=eff.ylabel)
    ax.set_xlabel(v1)
    ax.set_ylabel(v2)


DRAW = {"numeric": draw_numeric, "by": draw_by, "factor": draw_factor, "surface": draw_surface}
