"""The report's figures of distributional models and Gaussian processes: the expected response
with its 95% band (and the 95% posterior predictive band) over one covariate, beside each
auxiliary parameter (``sigma``, ``shape``, ``nu``, ``phi``) with its 95% band over the same
covariate: a curve where the parameter has a formula of its own (brms's
``bf(y ~ s(x), sigma ~ s(x))``), a flat band where it is one constant.

Drawn for fits whose design has a distributional formula, a ``gp()`` or an ``nn()`` term (plain
smooths are drawn by :func:`bayeszoo.reports.figures.smooth_figures`). The covariate is the
first one of a one-dimensional smooth, GP or network term.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.reports.figures import EmbeddedFigure
from bayeszoo.reports.tables import response_name

#: Posterior draws the bands are computed from (thinned evenly across chains).
MAX_DRAWS = 400
GRID_POINTS = 200


def curve_covariate(design) -> str | None:
    """The covariate of the first one-dimensional smooth, ``gp()`` or ``nn()`` term of any
    linear predictor of ``design``, or ``None``."""
    return next((c for d in design.predictors for c in d.curve_covariates), None)


def has_curve_term(design) -> bool:
    """Whether a linear predictor of ``design`` has a term whose curve is drawn from
    posterior predictions (a ``gp()`` or ``nn()`` term)."""
    return any(st.predicted_curve for d in design.predictors for st in d.term_states)


def covariate_grid(data: pd.DataFrame, variable: str, n: int = GRID_POINTS) -> pd.DataFrame:
    """``n`` rows spanning ``variable``'s range; other numeric columns at their means, the
    others at the first row's values."""
    x = np.asarray(data[variable], dtype=float)
    base = data.iloc[[0] * n].reset_index(drop=True).copy()
    for c in base.columns:
        if c != variable and pd.api.types.is_numeric_dtype(base[c]):
            base[c] = float(np.mean(data[c]))
    base[variable] = np.linspace(x.min(), x.max(), n)
    return base


def thinned(idata, max_draws: int = MAX_DRAWS):
    post = idata.posterior
    per_chain = max(1, max_draws // post.sizes["chain"])
    if post.sizes["draw"] <= per_chain:
        return idata
    keep = np.linspace(0, post.sizes["draw"] - 1, per_chain).round().astype(int)
    return idata.isel(draw=keep, groups="posterior", inplace=False)


def png_of(fig, dpi: int) -> tuple[str, int, int]:
    """Base64 PNG of ``fig`` (closed afterwards) and its pixel size."""
    import base64
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 3})
    plt.close(fig)
    data = buf.getvalue()
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return base64.b64encode(data).decode("ascii"), width, height


def _band(ax, x, draws, color, label, alpha=0.3):
    lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
    ax.fill_between(x, lo, hi, color=color, alpha=alpha, label=f"95% interval ({label})")
    ax.plot(x, draws.mean(axis=0), color=color, lw=2, label=f"posterior mean ({label})")


def distributional_figures(idata, ctx: dict[str, Any], dpi: int) -> list[EmbeddedFigure]:
    """The mean and every auxiliary parameter against the curve's covariate (see the module
    doc); ``[]`` for fits without a distributional formula, a GP or a network."""
    import matplotlib.pyplot as plt

    from bayeszoo.inference.predict import fit_family, predict

    design, data = ctx.get("design"), ctx.get("data")
    if design is None or data is None or not (design.dpars or has_curve_term(design)):
        return []
    var = curve_covariate(design)
    if var is None:
        return []
    resp = response_name(idata)
    grid = covariate_grid(data, var)
    small = thinned(idata)
    xg = np.asarray(grid[var], dtype=float)
    aux = [a.name for a in fit_family(idata).aux_parameters(tuple(design.additions))]
    fig, axes = plt.subplots(1, 1 + len(aux), figsize=(7 + 5 * len(aux), 4), squeeze=False,
                             layout="constrained")
    ax = axes[0, 0]
    y = np.asarray(idata.observed_data[resp].values, dtype=float)  # a transformed response too
    ax.scatter(data[var], y, s=10, color="black", alpha=0.6, label="data")
    pp = predict(small, grid, kind="pp", seed=0, labels=False)
    lo, hi = np.quantile(pp, [0.025, 0.975], axis=0)
    ax.fill_between(xg, lo, hi, color="C1", alpha=0.15, label="95% predictive interval")
    _band(ax, xg, predict(small, grid, kind="epred", seed=0), "C0", "mean")
    ax.set(xlabel=var, ylabel=resp, title=f"expected {resp}")
    ax.legend(fontsize=7)
    for j, name in enumerate(aux, start=1):
        ax = axes[0, j]
        _band(ax, xg, predict(small, grid, kind="epred", dpar=name, seed=0), f"C{j + 1}", name)
        kind = "its own formula" if name in design.dpars else "one constant"
        ax.set(xlabel=var, ylabel=name, title=f"{name} ({kind})")
        ax.legend(fontsize=7)
    png, w, h = png_of(fig, dpi)
    what = ", ".join(aux)
    return [EmbeddedFigure(f"distributional-{var}", f"Mean and {what or 'response'} against "
                           f"{var}", png, w, h,
                           "Left: the data, the posterior mean of the expected response with "
                           "its 95% interval and the 95% posterior predictive interval. Right: "
                           "each auxiliary parameter with its 95% interval, a curve where it "
                           "has a formula of its own, flat where it is one constant.")]
