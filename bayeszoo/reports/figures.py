"""The report's figures, each a PNG embedded as base64 (no file beside the page).

ArviZ's diagnostics of any fit: trace and rank plots of the hardest scalars (Vehtari et al. 2021,
"Rank-normalization, folding, and localization"), the energy plot (Betancourt 2016,
arXiv:1604.00695), the posterior predictive check and the PSIS-LOO Pareto k plot (Vehtari,
Gelman & Gabry 2017). From a fit's data and design (:func:`bayeszoo.api.fit_context`): the
partial-pooling figures of a grouped model (observed vs estimated group means ordered by group
size, the shrinkage against group size; Gelman & Hill 2007, ch. 12) and, per smooth, the fitted
curve with its 95% band, the basis functions and the basis weighted by the posterior mean
coefficients (the "sum of weighted wiggles").
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.diagnostics import K_BAD
from bayeszoo.reports.cells import DisplayTable
from bayeszoo.reports.tables import SAMPLE_DIMS, brms_order, response_name, scalar_and_vector_vars


@dataclass
class EmbeddedFigure:
    """One figure of a fit's section: a base64 PNG, its pixel size, caption and tables."""

    key: str
    title: str
    png: str
    width: int
    height: int
    caption: str = ""
    tables: list[DisplayTable] = field(default_factory=list)


def embed_png(fig, dpi: int) -> tuple[str, int, int]:
    """Base64 PNG of ``fig`` (closed afterwards) and its pixel size."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    # one draw: layouts are "constrained" (no bbox_inches="tight", which renders twice);
    # light zlib compression: the PNGs are line art, encoding time matters more than bytes
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 3})
    plt.close(fig)
    data = buf.getvalue()
    # PNG IHDR: width and height are big-endian uint32 at bytes 16..24
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    return base64.b64encode(data).decode("ascii"), width, height


def _figure_of(obj):
    """The matplotlib Figure behind what an ArviZ plot returns (an Axes or an array of them)."""
    arr = np.asarray(obj, dtype=object).ravel()
    return arr[0].get_figure()


def _thin(idata, max_draws: int):
    """``idata`` with its posterior thinned to about ``max_draws`` draws in all (chains kept)."""
    post = idata.posterior
    per_chain = max(1, max_draws // post.sizes["chain"])
    if post.sizes["draw"] <= per_chain:
        return idata
    keep = np.linspace(0, post.sizes["draw"] - 1, per_chain).round().astype(int)
    return idata.isel(draw=keep, groups="posterior", inplace=False)


def _epred_draws(idata, newdata=None, max_draws: int = 400) -> np.ndarray | None:
    """draws × rows of the expected response (``bz.predict(kind="epred")``) on a thinned
    posterior (the partial-pooling and curve figures need means and quantiles only)."""
    try:
        from bayeszoo.api import predict_draws

        return predict_draws(_thin(idata, max_draws), newdata=newdata, kind="epred")
    except Exception:  # noqa: BLE001
        return None


def trace_vars(idata, limit: int) -> list[str]:
    """The ``limit`` scalars to trace, hardest first: group and smooth SDs (funnels), then
    ``b_Intercept`` and ``sigma``, then the other coefficients (the first vector when there is no
    scalar)."""
    scalars, _ = scalar_and_vector_vars(idata)
    scalars = sorted(scalars, key=brms_order)
    # the hard ones first: sds/sd (funnels), then intercept and sigma, then other b's
    pri = sorted(scalars, key=lambda n: (0 if n.startswith(("sd_", "sds_")) else
                                         1 if n in ("b_Intercept", "sigma") else 2,
                                         brms_order(n)))
    if not pri:
        _, vectors = scalar_and_vector_vars(idata)
        pri = vectors[:1]
    return pri[:limit]


def trace_figure(idata, var_names: list[str], dpi: int) -> EmbeddedFigure:
    """ArviZ's ``plot_trace`` (compact) of ``var_names``."""
    import arviz as az

    axes = az.plot_trace(idata, var_names=var_names, compact=True,
                         figsize=(11, 1.7 * len(var_names)),
                         backend_kwargs={"layout": "constrained"})
    png, w, h = embed_png(_figure_of(axes), dpi)
    return EmbeddedFigure("trace", "Trace plots", png, w, h,
                          f"Marginal densities (left) and draws per chain (right) for "
                          f"{', '.join(var_names)}.")


def rank_figure(idata, var_names: list[str], dpi: int) -> EmbeddedFigure:
    """ArviZ's ``plot_rank`` (bars) of ``var_names``, three to a row."""
    import arviz as az

    n = len(var_names)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    axes = az.plot_rank(idata, var_names=var_names, kind="bars",
                        figsize=(3.8 * ncols, 2.4 * nrows),
                        backend_kwargs={"layout": "constrained"})
    png, w, h = embed_png(_figure_of(axes), dpi)
    return EmbeddedFigure("rank", "Rank plots", png, w, h,
                          "Histograms of each chain's ranks among all draws: uniform when the "
                          "chains mix (Vehtari et al. 2021).")


def energy_figure(idata, dpi: int) -> EmbeddedFigure:
    """ArviZ's ``plot_energy`` (needs the ``energy`` sample stat)."""
    import arviz as az

    ax = az.plot_energy(idata, figsize=(6, 3.2), backend_kwargs={"layout": "constrained"})
    png, w, h = embed_png(_figure_of(ax), dpi)
    return EmbeddedFigure("energy", "Energy plot", png, w, h,
                          "Marginal energy and energy transition distributions; a transition "
                          "distribution much narrower than the marginal one means a low E-BFMI.")


def _pp_idata(idata, n_pp: int, seed: int = 0):
    """An InferenceData with a posterior_predictive group for the PPC."""
    from bayeszoo.inference.pp_check import ppc_idata

    resp = response_name(idata)
    if "posterior_predictive" in idata.groups() and resp in idata.posterior_predictive:
        return idata
    from bayeszoo.api import predict_draws

    pp = predict_draws(_thin(idata, 4 * n_pp), kind="pp", seed=seed)  # draws × n
    rng = np.random.default_rng(seed)
    keep = rng.choice(pp.shape[0], size=min(n_pp, pp.shape[0]), replace=False)
    return ppc_idata(idata.observed_data[resp].values, pp[np.sort(keep)], resp)


def ppc_figure(idata, dpi: int, n_pp: int = 50) -> EmbeddedFigure:
    """ArviZ's ``plot_ppc`` of the response against ``n_pp`` replicated data sets (the fit's
    ``posterior_predictive`` group, else drawn with ``bz.predict(kind="pp")``)."""
    import arviz as az

    resp = response_name(idata)
    pid = _pp_idata(idata, n_pp)
    ax = az.plot_ppc(pid, var_names=[resp], num_pp_samples=n_pp, random_seed=0,
                     figsize=(7, 3.4), backend_kwargs={"layout": "constrained"})
    png, w, h = embed_png(_figure_of(ax), dpi)
    return EmbeddedFigure("ppc", "Posterior predictive check", png, w, h,
                          f"Density of the observed {resp} against densities of {n_pp} replicated "
                          "data sets drawn from the posterior predictive distribution.")


def khat_figure(elpd, dpi: int) -> EmbeddedFigure:
    """ArviZ's ``plot_khat`` of a PSIS-LOO result: one point per observation."""
    import arviz as az
    import matplotlib.pyplot as plt

    k = np.asarray(elpd.pareto_k).ravel()
    fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
    az.plot_khat(elpd, ax=ax, show_hlines=True, markersize=12)
    ax.set_title(f"PSIS-LOO Pareto k ({k.size} observations)")
    png, w, h = embed_png(fig, dpi)
    return EmbeddedFigure("khat", "Pareto k diagnostic (PSIS-LOO)", png, w, h,
                          f"One point per observation; k > {K_BAD} marks observations whose "
                          "leave-one-out predictive density PSIS cannot estimate reliably.")


def _group_codes(data: pd.DataFrame, group: str) -> pd.Series:
    parts = group.split(":")
    if len(parts) == 1:
        return data[group].astype(str)
    return data[parts].astype(str).agg(":".join, axis=1)


def _group_name(idata, ctx) -> str | None:
    entry = ctx.get("entry")
    if entry is not None and getattr(entry, "group", None):
        return entry.group
    design = ctx.get("design")
    if design is not None:
        for blk in design.blocks:
            if blk.is_group_effect:
                return blk.name
        return None
    for name in idata.posterior.data_vars:
        if str(name).startswith("r_") and "__" not in str(name):
            return str(name)[2:]
    return None


def pooling_figures(idata, ctx: dict[str, Any], dpi: int) -> list[EmbeddedFigure]:
    """Observed and estimated group means ordered by group size, and their difference against
    the group size (none without data or a grouping factor)."""
    import matplotlib.pyplot as plt

    data = ctx.get("data")
    group = _group_name(idata, ctx)
    resp = response_name(idata)
    if data is None or group is None or resp is None:
        return []
    codes = _group_codes(data, group)
    y = np.asarray(idata.observed_data[resp].values, dtype=float)  # factors coded 0/1
    epred = _epred_draws(idata)
    if epred is None:
        raise RuntimeError("bz.predict is not available for this fit")
    levels, inv = np.unique(codes.to_numpy(), return_inverse=True)
    g = len(levels)
    size = np.bincount(inv, minlength=g)
    obs_mean = np.bincount(inv, weights=y, minlength=g) / size
    # per draw: mean expected response of the group's rows
    sums = np.zeros((epred.shape[0], g))
    for j in range(g):
        sums[:, j] = epred[:, inv == j].mean(axis=1)
    est = sums.mean(axis=0)
    lo, hi = np.quantile(sums, [0.025, 0.975], axis=0)
    order = np.lexsort((levels, size))
    grand = float(np.mean(y))

    fig, ax = plt.subplots(figsize=(11, 3.8), layout="constrained")
    xs = np.arange(g)
    ax.vlines(xs, lo[order], hi[order], color="C0", alpha=0.5, lw=1.2)
    ax.plot(xs, est[order], "o", color="C0", ms=4, label="estimated (posterior mean, 95% CI)")
    ax.plot(xs, obs_mean[order], "o", mfc="none", color="C3", ms=5, label="observed mean")
    ax.axhline(grand, color="grey", ls="--", lw=1, label="overall mean")
    ax.set_xlabel(f"{group}, ordered by number of observations (left: fewest)")
    ax.set_ylabel(f"mean {resp}")
    if g <= 100:
        step = max(1, g // 40)
        ax.set_xticks(xs[::step])
        ax.set_xticklabels([f"{size[order][i]}" for i in range(0, g, step)], fontsize=7)
        ax.set_xlabel(f"{group} ordered by size (tick labels: n per group)")
    ax.legend(fontsize=8, loc="best")
    png, w, h = embed_png(fig, dpi)
    f1 = EmbeddedFigure("pooling", "Partial pooling: observed vs estimated group means", png, w, h,
                        "Groups with few observations are pulled towards the overall mean; large "
                        "groups keep their own mean.")

    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    ax.axhline(0, color="grey", lw=1)
    ax.scatter(size, obs_mean - est, s=16, color="C0", alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(f"observations per {group} (log scale)")
    ax.set_ylabel("observed − estimated mean")
    png, w, h = embed_png(fig, dpi)
    f2 = EmbeddedFigure("shrinkage", "Shrinkage against group size", png, w, h,
                        "Observed minus estimated group mean: the shrinkage, largest for small "
                        "groups.")
    return [f1, f2]


def _coef_means(idata, design) -> dict[str, np.ndarray]:
    """Posterior means of the fixed columns (by column name) and of each block (by block name)."""
    post = idata.posterior
    out: dict[str, np.ndarray] = {}
    for col, name in zip(design.column_names, design.fixed_params, strict=True):
        if name in post:
            out[col] = np.asarray(post[name].mean(SAMPLE_DIMS).values)
    for blk in design.blocks:
        coef = blk.names.coef
        if coef in post:
            out["block:" + blk.name] = np.asarray(post[coef].mean(SAMPLE_DIMS).values).ravel()
    return out


def _grid_frame(data: pd.DataFrame, variable: str, n: int = 200) -> pd.DataFrame:
    x = np.asarray(data[variable], dtype=float)
    grid = np.linspace(x.min(), x.max(), n)
    base = data.iloc[[0] * n].reset_index(drop=True).copy()
    for c in base.columns:
        if c != variable and pd.api.types.is_numeric_dtype(base[c]) and c in data:
            base[c] = float(np.mean(data[c]))
    base[variable] = grid
    return base


def smooth_figures(idata, ctx: dict[str, Any], dpi: int) -> list[EmbeddedFigure]:
    """Per smooth (not ``bs="re"``): the fitted curve with its 95% band over the data, the basis
    functions, and the basis weighted by the posterior mean coefficients with their sum."""
    import matplotlib.pyplot as plt

    design = ctx.get("design")
    data = ctx.get("data")
    resp = response_name(idata)
    if design is None or data is None or not getattr(design, "smooths", None):
        return []
    figs = []
    for sm in design.smooths:
        if sm.is_random_effect or len(sm.variables) != 1:
            continue
        var = sm.variables[0]
        # no response (any family); a transformed response's name is no column of the data
        grid = _grid_frame(data.drop(columns=[resp], errors="ignore"), var)
        gd = design.for_newdata(grid)
        xg = np.asarray(grid[var], dtype=float)
        x = np.asarray(data[var], dtype=float)
        y = np.asarray(idata.observed_data[resp].values, dtype=float)  # factors coded 0/1

        epred = _epred_draws(idata, newdata=grid)
        fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
        ax.scatter(x, y, s=10, color="black", alpha=0.6, label="data")
        if epred is not None:
            lo, hi = np.quantile(epred, [0.025, 0.975], axis=0)
            ax.fill_between(xg, lo, hi, color="C0", alpha=0.3, label="95% interval")
            ax.plot(xg, epred.mean(axis=0), color="C0", lw=2, label="posterior mean")
        ax.set_xlabel(var)
        ax.set_ylabel(resp)
        ax.legend(fontsize=8)
        ax.set_title(f"{sm.term}: fitted curve")
        png, w, h = embed_png(fig, dpi)
        figs.append(EmbeddedFigure(f"smooth-{var}", f"Fitted curve {sm.term}", png, w, h,
                                   "Posterior mean of the expected response with its 95% interval "
                                   "over the data."))

        # basis functions: unpenalized columns Xf and penalized block columns Zr
        means = _coef_means(idata, design)
        cols, weights, labels = [], [], []
        for j in sm.fixed_columns:
            name = design.column_names[j]
            cols.append(gd.X[:, j])
            weights.append(float(np.ravel(means.get(name, np.array([np.nan])))[0]))
            labels.append(name)
        for b in sm.blocks:
            blk = gd.blocks[b]
            w = means.get("block:" + blk.name)
            for k in range(blk.Z.shape[1]):
                cols.append(np.asarray(blk.Z[:, k]))
                weights.append(float(w[k]) if w is not None and k < len(w) else np.nan)
                labels.append(f"{blk.name}[{k + 1}]")
        B = np.column_stack(cols) if cols else np.zeros((len(xg), 0))
        wv = np.asarray(weights)
        fig, axes = plt.subplots(1, 2, figsize=(14, 4.2), layout="constrained")
        cmap = plt.get_cmap("viridis")
        for k in range(B.shape[1]):
            color = cmap(k / max(B.shape[1] - 1, 1))
            axes[0].plot(xg, B[:, k], color=color, lw=1)
            if np.isfinite(wv[k]):
                axes[1].plot(xg, B[:, k] * wv[k], color=color, lw=1)
        if np.all(np.isfinite(wv)) and B.shape[1]:
            axes[1].plot(xg, B @ wv, color="black", lw=2.2, label="sum (the smooth)")
            axes[1].legend(fontsize=8)
        n_fixed = len(sm.fixed_columns)
        axes[0].set_title(f"{B.shape[1]} basis functions ({n_fixed} unpenalized + "
                          f"{B.shape[1] - n_fixed} penalized)")
        axes[1].set_title("weighted by posterior mean coefficients")
        for a in axes:
            a.set_xlabel(var)
        png, w, h = embed_png(fig, dpi)
        figs.append(EmbeddedFigure(f"basis-{var}", f"Basis functions of {sm.term}", png, w, h,
                                   "Left: the basis after mgcv's reparameterization "
                                   "(natural parameterization, smooth2random), evaluated over "
                                   "the data range. Right: each multiplied by its posterior mean "
                                   "coefficient; their sum (black) is the smooth's contribution, "
                                   "centred by the identifiability constraint."))
    return figs
