"""The report's figure of a fit with a neural-network term: R-hat of the linear predictor at
every observed row against its posterior mean, what such a fit's convergence is judged on
(:mod:`bayeszoo.inference.function_space`). The fitted curve of a one-covariate network is drawn
with the distributional figures (:mod:`bayeszoo.reports.figures_distributional`).
"""

from __future__ import annotations

from typing import Any

from bayeszoo.diagnostics import RHAT_MAX
from bayeszoo.reports.figures import EmbeddedFigure, embed_png


def rhat_figure(idata, dpi: int) -> EmbeddedFigure:
    """R-hat of ``linpred`` (and ``linpred_<dpar>``) at each observed row against its posterior
    mean."""
    import arviz as az
    import matplotlib.pyplot as plt

    from bayeszoo.inference.function_space import function_space_posterior

    fs = function_space_posterior(idata)
    names = [n for n in fs.data_vars if str(n).startswith("linpred")]
    rhat = az.rhat(fs[names])
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.2), squeeze=False,
                             layout="constrained")
    for ax, name in zip(axes[0], names, strict=True):
        ax.scatter(fs[name].mean(("chain", "draw")).values, rhat[name].values, s=10, color="C0")
        ax.axhline(RHAT_MAX, color="C3", lw=1, ls="--", label=f"R-hat {RHAT_MAX}")
        ax.set(xlabel=f"posterior mean of {name}", ylabel="R-hat",
               title=f"{name}: max R-hat {float(rhat[name].max()):.3f}")
        ax.legend(fontsize=8)
    png, w, h = embed_png(fig, dpi)
    return EmbeddedFigure("function-space-rhat", "Function-space R-hat", png, w, h,
                          "R-hat of the linear predictor at each observed row: a network's "
                          "weights have no meaningful R-hat (hidden units can be permuted and "
                          "sign-flipped), its predictions do.")


def network_figures(idata, ctx: dict[str, Any], dpi: int) -> list[EmbeddedFigure]:
    """The function-space R-hat figure of a fit with a network term; none for other fits."""
    from bayeszoo.inference.function_space import network_blocks

    return [rhat_figure(idata, dpi)] if network_blocks(idata) else []
