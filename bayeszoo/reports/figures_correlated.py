"""The report's figures of correlated group-level effects ``(1 + x | g)``.

Per correlated block of the mean's predictor (drawn only when a fit has one):

* **Varying intercepts and slopes** (Gelman & Hill 2007, "Data Analysis Using Regression and
  Multilevel/Hierarchical Models", ch. 13): each level's intercept against its slope, the
  partial-pooling estimates (posterior means of ``b + r_g``) beside the no-pooling ones (least
  squares within the level), an arrow from one to the other, and the fitted population
  distribution of (intercept, slope) as its 50 % and 95 % ellipses (posterior means of the sds,
  the correlation and the fixed effects).
* **The correlation's posterior**: the draws of every ``cor_`` of the block against the
  marginal of its LKJ prior (for ``lkj(eta)`` on ``k × k`` correlation matrices each
  correlation ``r`` has ``(r + 1)/2 ~ Beta(eta − 1 + k/2, eta − 1 + k/2)``; Lewandowski,
  Kurowicka & Joe 2009, J. Multivariate Anal. 100:1989–2001, section 3.2).

No pooling: the response minus the posterior mean of every other part of the linear predictor
(the partial residual), regressed on the block's columns within each level; levels where that
regression is not identified (too few rows, or a slope column constant within the level) are
left out and counted in the caption. Only for the Gaussian family with the identity link, where
the partial residual is on the scale of the coefficients.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from bayeszoo.design import design_arrays, linear_predictor
from bayeszoo.reports.figures import EmbeddedFigure, embed_png
from bayeszoo.reports.tables import SAMPLE_DIMS

#: Probability contents of the population ellipses.
ELLIPSE_LEVELS = (0.5, 0.95)


def correlated_blocks(design) -> list[int]:
    """Indices of the correlated blocks of ``design``'s mean predictor."""
    return [j for j, b in enumerate(design.blocks) if b.structure.correlates_coefficients]


def _mean(post, name: str) -> np.ndarray:
    return np.asarray(post[name].mean(SAMPLE_DIMS).values, dtype=float)


def _fixed_means(post, design) -> dict[str, float]:
    """Posterior means of the fixed coefficients by column name (``Intercept``, ``floor``)."""
    return {col: float(_mean(post, name)) for col, name in
            zip(design.column_names, design.fixed_params, strict=True) if name in post}


def _partial_residual(post, design, j: int) -> np.ndarray:
    """``y`` minus the posterior-mean linear predictor of everything but block ``j`` and the
    fixed coefficients of its columns."""
    fixed = _fixed_means(post, design)
    blk = design.blocks[j]
    coefs = blk.structure.coefs
    beta = np.array([0.0 if c in coefs else fixed.get(c, 0.0) for c in design.column_names])
    others = [np.zeros(b.structure.z_shape(b)) if i == j else _mean(post, b.names.coef)
              for i, b in enumerate(design.blocks)]
    return np.asarray(design.y, dtype=float) - linear_predictor(design_arrays(design), beta,
                                                               others)


def no_pooling(post, design, j: int) -> np.ndarray:
    """Per level, least squares of the partial residual on the block's columns within the
    level (``levels × k``; rows of levels where it is not identified are NaN)."""
    blk = design.blocks[j]
    W = blk.weights
    resid = _partial_residual(post, design, j)
    out = np.full((len(blk.labels), W.shape[1]), np.nan)
    for g in range(len(blk.labels)):
        rows = blk.index == g
        Wg = W[rows]
        if rows.sum() > W.shape[1] and np.linalg.matrix_rank(Wg) == W.shape[1]:
            out[g] = np.linalg.lstsq(Wg, resid[rows], rcond=None)[0]
    return out


def population(post, design, j: int) -> tuple[np.ndarray, np.ndarray]:
    """The fitted population mean and covariance of the block's first two coefficients:
    fixed effects, ``sd``s and correlation at their posterior means."""
    blk = design.blocks[j]
    a, b = blk.structure.coefs[:2]
    fixed = _fixed_means(post, design)
    sds = [s.name for s in blk.names.scales if s.support == "positive"][:2]
    s = np.array([float(_mean(post, n)) for n in sds])
    cor_name = next(n for n in post.data_vars
                    if str(n).startswith(f"cor_{blk.name}__") and str(n).endswith(f"__{b}"))
    rho = float(_mean(post, cor_name))
    center = np.array([fixed.get(a, 0.0), fixed.get(b, 0.0)])
    cov = np.array([[s[0] ** 2, rho * s[0] * s[1]], [rho * s[0] * s[1], s[1] ** 2]])
    return center, cov


def ellipse(center: np.ndarray, cov: np.ndarray, level: float, n: int = 200) -> np.ndarray:
    """The ``level`` contour of ``Normal(center, cov)`` in two dimensions (``n × 2``):
    radius ``√(−2 log(1 − level))`` in the metric of ``cov``."""
    radius = np.sqrt(-2.0 * np.log1p(-level))
    t = np.linspace(0, 2 * np.pi, n)
    circle = np.column_stack([np.cos(t), np.sin(t)]) * radius
    return center + circle @ np.linalg.cholesky(cov).T


def lkj_marginal_density(r: np.ndarray, eta: float, k: int) -> np.ndarray:
    """Density of one correlation under ``lkj(eta)`` on ``k × k`` matrices."""
    from scipy import stats

    a = eta - 1.0 + k / 2.0
    return stats.beta(a, a).pdf((np.asarray(r) + 1.0) / 2.0) / 2.0


def _correlation_eta(idata, blk) -> float | None:
    priors = json.loads(idata.attrs.get("priors", "{}") or "{}")
    site = next((s.name for s in blk.names.scales if s.support == "correlation"), None)
    text = priors.get(site)
    if text is None:
        return None
    from bayeszoo.models.priors import parse_prior

    return parse_prior(text).named["eta"]


def coefficient_label(coef: str) -> str:
    """``intercept`` or ``slope on <coef>``."""
    return "intercept" if coef == "Intercept" else f"slope on {coef}"


def intercept_slope_figure(idata, design, j: int, dpi: int, gaussian: bool) -> EmbeddedFigure:
    """Each level's (first, second) coefficient: partial against no pooling, with the
    population ellipses."""
    import matplotlib.pyplot as plt

    post = idata.posterior
    blk = design.blocks[j]
    a, b = blk.structure.coefs[:2]
    fixed = _fixed_means(post, design)
    partial = _mean(post, blk.names.coef)[:, :2] + [fixed.get(a, 0.0), fixed.get(b, 0.0)]
    fig, ax = plt.subplots(figsize=(7.5, 5.2), layout="constrained")
    caption = ("Each dot is one level: the partial-pooling estimate of its coefficients "
               "(posterior means of the fixed effect plus the level's effect). ")
    if gaussian:
        alone = no_pooling(post, design, j)[:, :2]
        ok = np.all(np.isfinite(alone), axis=1)
        for (x0, y0), (x1, y1) in zip(alone[ok], partial[ok], strict=True):
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops={"arrowstyle": "->", "color": "0.6", "lw": 0.7})
        ax.scatter(alone[ok, 0], alone[ok, 1], s=16, facecolors="none", edgecolors="C3",
                   label="no pooling (least squares within the level)")
        caption += ("Open circles: least squares within each level (no pooling) on the "
                    "partial residual; arrows show the shrinkage. "
                    f"{int((~ok).sum())} of {len(ok)} levels have no such estimate (too few "
                    "rows, or a constant column). ")
    ax.scatter(partial[:, 0], partial[:, 1], s=18, color="C0", label="partial pooling", zorder=3)
    center, cov = population(post, design, j)
    for level, style in zip(ELLIPSE_LEVELS, ("-", "--"), strict=True):
        e = ellipse(center, cov, level)
        ax.plot(e[:, 0], e[:, 1], style, color="black", lw=1.2,
                label=f"population, {int(level * 100)}%")
    ax.plot(*center, "k+", ms=12, mew=2)
    ax.set_xlabel(f"{coefficient_label(a)} of each {blk.name}")
    ax.set_ylabel(f"{coefficient_label(b)} of each {blk.name}")
    ax.legend(fontsize=8, loc="best")
    png, w, h = embed_png(fig, dpi)
    caption += ("Ellipses: the fitted population distribution of the two coefficients (50% "
                "and 95%), from the posterior means of the fixed effects, the sds and the "
                "correlation.")
    return EmbeddedFigure(f"varying-{blk.name}", f"Varying {coefficient_label(a)} and "
                          f"{coefficient_label(b)} by {blk.name}", png, w, h, caption)


def correlation_figure(idata, design, j: int, dpi: int) -> EmbeddedFigure:
    """The posterior of each correlation of block ``j`` against its LKJ prior marginal."""
    import matplotlib.pyplot as plt

    post = idata.posterior
    blk = design.blocks[j]
    names = [str(n) for n in post.data_vars if str(n).startswith(f"cor_{blk.name}__")]
    eta = _correlation_eta(idata, blk)
    k = len(blk.structure.coefs)
    grid = np.linspace(-0.999, 0.999, 300)
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.2),
                             layout="constrained", squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        draws = np.asarray(post[name].values).ravel()
        ax.hist(draws, bins=40, range=(-1, 1), density=True, color="C0", alpha=0.6,
                label="posterior")
        if eta is not None:
            ax.plot(grid, lkj_marginal_density(grid, eta, k), color="black", lw=1.2,
                    label=f"prior lkj({eta:g})")
        lo, hi = np.quantile(draws, [0.025, 0.975])
        ax.set_title(f"{name}\nmean {draws.mean():.2f}, 95% [{lo:.2f}, {hi:.2f}]", fontsize=9)
        ax.set_xlim(-1, 1)
        ax.set_xlabel("correlation")
    axes[0][0].legend(fontsize=8)
    png, w, h = embed_png(fig, dpi)
    return EmbeddedFigure(f"correlation-{blk.name}", f"Correlations of the {blk.name} effects",
                          png, w, h,
                          "Posterior draws of each correlation between the varying "
                          "coefficients (histogram) and the marginal density its LKJ prior "
                          "implies (line): where they differ, the data spoke.")


def correlated_figures(idata, ctx: dict[str, Any], dpi: int) -> list[EmbeddedFigure]:
    """Both figures for every correlated block of the fit's mean predictor (none without
    one)."""
    design = ctx.get("design")
    if design is None:
        return []
    family = design.family
    gaussian = family is not None and family.least_squares and family.link_name == "identity"
    figs = []
    for j in correlated_blocks(design):
        figs.append(intercept_slope_figure(idata, design, j, dpi, gaussian))
        figs.append(correlation_figure(idata, design, j, dpi))
    return figs
