"""One self-contained HTML file diagnosing a set of fits.

:func:`report` writes, per fit: a brms-like summary table (Estimate, Est.Error, l-95% CI,
u-95% CI, Rhat, Bulk_ESS, Tail_ESS) whose cells are flagged where R-hat > 1.01 or ESS < 400;
divergences and E-BFMI per chain; ArviZ's trace, rank and energy plots; a posterior predictive
check; the Pareto k plot and table of PSIS-LOO. Grouped models (a ``r_<group>`` block) add the
two partial-pooling figures (observed vs estimated group means ordered by group size;
observed − estimated against group size); smooths add the fitted curve with its 95% band over
the data, the basis functions and the weighted basis functions (the "sum of weighted wiggles").
The comparison tables (:func:`bayeszoo.compare`) open the file.

PNG images are embedded as base64 ``data:`` URIs and the CSS is inline: the file opens
offline, from anywhere, with nothing else next to it.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RHAT_MAX = 1.01
ESS_MIN = 400
SUMMARY_MAX_ROWS = 30
VECTOR_MAX_ELEMENTS = 10
_SAMPLE_DIMS = ("chain", "draw")


# --------------------------------------------------------------------------- figures


def _png(fig, dpi: int) -> tuple[str, int, int]:
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


def _fig_of(obj):
    """The matplotlib Figure behind what an ArviZ plot returns (an Axes or an array of them)."""
    arr = np.asarray(obj, dtype=object).ravel()
    return arr[0].get_figure()


@dataclass
class _Figure:
    key: str
    title: str
    png: str
    width: int
    height: int
    caption: str = ""
    table: str = ""


@dataclass
class _FitView:
    name: str
    anchor: str
    formula: str
    description: str
    question: str
    meta: dict[str, str]
    warnings: list[str]
    summary_html: str
    summary_note: str
    sampler_html: str
    reml_text: str = ""
    figures: list[_Figure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- tables


def _scalar_and_vector_vars(idata) -> tuple[list[str], list[str]]:
    post = idata.posterior
    scalars, vectors = [], []
    for name, da in post.data_vars.items():
        if name == "Intercept" and "b_Intercept" in post:
            continue  # brms's intercept of the centered design: an internal, not summarized
        extra = [d for d in da.dims if d not in _SAMPLE_DIMS]
        (vectors if extra else scalars).append(str(name))
    return scalars, vectors


def _brms_order(name: str) -> tuple[int, str]:
    for rank, prefix in enumerate(("b_", "bs_", "sds_", "sd_", "cor_", "sigma")):
        if name.startswith(prefix):
            return rank, name
    return 9, name


def summary_table(idata, var_names: Sequence[str] | None = None) -> pd.DataFrame:
    """brms-like posterior summary: Estimate, Est.Error, l-95% CI, u-95% CI, Rhat, Bulk_ESS,
    Tail_ESS, one row per scalar (vector variables flattened as ``name[label]``).

    R-hat is ArviZ's rank-normalized split R-hat; the ESS are ArviZ's bulk and tail ESS.
    """
    import arviz as az

    post = idata.posterior
    if var_names is None:
        scalars, vectors = _scalar_and_vector_vars(idata)
        var_names = sorted(scalars, key=_brms_order) + vectors
    sub = post[list(var_names)]
    rhat = az.rhat(sub)
    bulk = az.ess(sub, method="bulk")
    tail = az.ess(sub, method="tail")
    rows = []
    for name in var_names:
        da = sub[name]
        extra = [d for d in da.dims if d not in _SAMPLE_DIMS]
        draws = da.stack(__s=_SAMPLE_DIMS).transpose(*extra, "__s").values
        draws = draws.reshape(-1, draws.shape[-1])
        if extra:
            labels = [
                ",".join(str(v) for v in idx)
                for idx in np.ndindex(*[da.sizes[d] for d in extra])
            ]
            if len(extra) == 1:
                labels = [str(v) for v in da[extra[0]].values]
            index = [f"{name}[{lab}]" for lab in labels]
        else:
            index = [name]
        r = np.atleast_1d(rhat[name].values).ravel()
        eb = np.atleast_1d(bulk[name].values).ravel()
        et = np.atleast_1d(tail[name].values).ravel()
        for k, label in enumerate(index):
            x = draws[k]
            rows.append({
                "parameter": label,
                "Estimate": float(np.mean(x)),
                "Est.Error": float(np.std(x, ddof=1)) if x.size > 1 else float("nan"),
                "l-95% CI": float(np.quantile(x, 0.025)),
                "u-95% CI": float(np.quantile(x, 0.975)),
                "Rhat": float(r[k]),
                "Bulk_ESS": float(eb[k]),
                "Tail_ESS": float(et[k]),
            })
    return pd.DataFrame(rows).set_index("parameter")


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            return "" if math.isnan(v) else str(v)
        return f"{v:.{digits}f}"
    return html.escape(str(v))


def _summary_html(idata) -> tuple[str, str, list[str]]:
    """HTML of the summary table, a note on what was condensed, and the warnings."""
    scalars, vectors = _scalar_and_vector_vars(idata)
    scalars = sorted(scalars, key=_brms_order)
    table = summary_table(idata, scalars + vectors)
    warns: list[str] = []
    bad_rhat = table.index[table["Rhat"] > RHAT_MAX].tolist()
    low_ess = table.index[(table["Bulk_ESS"] < ESS_MIN) | (table["Tail_ESS"] < ESS_MIN)].tolist()
    if bad_rhat:
        warns.append(
            f"R-hat > {RHAT_MAX} for {len(bad_rhat)} parameter(s): {', '.join(bad_rhat[:8])}"
            + (" …" if len(bad_rhat) > 8 else "")
            + f" (max {table['Rhat'].max():.3f}); the chains have not mixed."
        )
    if low_ess:
        warns.append(
            f"ESS < {ESS_MIN} for {len(low_ess)} parameter(s): {', '.join(low_ess[:8])}"
            + (" …" if len(low_ess) > 8 else "")
            + f" (min bulk {table['Bulk_ESS'].min():.0f}, min tail {table['Tail_ESS'].min():.0f})."
        )

    # Rows shown: scalars (up to SUMMARY_MAX_ROWS), short vectors element-wise, long vectors
    # as one row of their worst diagnostics.
    shown: list[tuple[str, dict[str, Any], str]] = []
    notes: list[str] = []
    for name in scalars[:SUMMARY_MAX_ROWS]:
        shown.append((name, table.loc[name].to_dict(), ""))
    if len(scalars) > SUMMARY_MAX_ROWS:
        rest = table.loc[scalars[SUMMARY_MAX_ROWS:]]
        shown.append((f"… {len(rest)} more scalars", {
            "Rhat": rest["Rhat"].max(), "Bulk_ESS": rest["Bulk_ESS"].min(),
            "Tail_ESS": rest["Tail_ESS"].min()}, "agg"))
        notes.append(f"{len(rest)} further scalars condensed to one row (worst R-hat, least ESS)")
    for name in vectors:
        rows = table.loc[[i for i in table.index if i.startswith(name + "[")]]
        if len(rows) <= VECTOR_MAX_ELEMENTS:
            for label, row in rows.iterrows():
                shown.append((label, row.to_dict(), ""))
        else:
            shown.append((f"{name}[{len(rows)}]", {
                "Rhat": rows["Rhat"].max(), "Bulk_ESS": rows["Bulk_ESS"].min(),
                "Tail_ESS": rows["Tail_ESS"].min()}, "agg"))
            notes.append(f"{name}: {len(rows)} values, shown as worst R-hat and least ESS")

    cols = ["Estimate", "Est.Error", "l-95% CI", "u-95% CI", "Rhat", "Bulk_ESS", "Tail_ESS"]
    out = ['<table class="summary"><thead><tr><th class="name"></th>']
    out += [f"<th>{c}</th>" for c in cols]
    out.append("</tr></thead><tbody>")
    for label, row, kind in shown:
        cells = [f'<td class="name">{html.escape(label)}</td>']
        for c in cols:
            v = row.get(c)
            flag = False
            if c == "Rhat" and v is not None and np.isfinite(v) and v > RHAT_MAX:
                flag = True
            if c in ("Bulk_ESS", "Tail_ESS") and v is not None and np.isfinite(v) and v < ESS_MIN:
                flag = True
            text = ""
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                if c == "Rhat":
                    text = f"{v:.3f}"
                elif c.endswith("ESS"):
                    text = f"{v:.0f}"
                else:
                    text = f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"
            cls = ' class="flag"' if flag else ""
            title = ""
            if kind == "agg" and c in ("Rhat", "Bulk_ESS", "Tail_ESS"):
                title = ' title="worst over the elements"'
            cells.append(f"<td{cls}{title}>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    note = "; ".join(notes)
    if note:
        note += ". "
    note += (f"Flagged (red): R-hat > {RHAT_MAX}, bulk or tail ESS < {ESS_MIN}. "
             "Intervals are equal-tailed 95% posterior intervals.")
    return "".join(out), note, warns


def _sampler_html(idata) -> tuple[str, list[str], dict[str, Any]]:
    """Per-chain divergences, E-BFMI, tree depth and step size; warnings; headline numbers."""
    import arviz as az

    warns: list[str] = []
    stats = getattr(idata, "sample_stats", None)
    if stats is None:
        return "<p>No sample_stats group.</p>", ["no sample_stats: divergences unknown"], {}
    n_chain = idata.posterior.sizes["chain"]
    n_draw = idata.posterior.sizes["draw"]
    div = (stats["diverging"].sum("draw").values.astype(int)
           if "diverging" in stats else np.full(n_chain, -1))
    try:
        bfmi = np.atleast_1d(az.bfmi(idata))
    except Exception:  # noqa: BLE001 - energy missing
        bfmi = np.full(n_chain, np.nan)
    depth = None
    for key in ("tree_depth", "depth"):
        if key in stats:
            depth = stats[key].max("draw").values
            break
    step = None
    for key in ("step_size", "step_size_bar"):
        if key in stats:
            step = stats[key].mean("draw").values
            break
    acc = None
    for key in ("acceptance_rate", "mean_tree_accept", "accept_prob"):
        if key in stats:
            acc = stats[key].mean("draw").values
            break
    head = ["chain", "draws", "divergences", "E-BFMI"]
    if depth is not None:
        head.append("max tree depth")
    if step is not None:
        head.append("step size")
    if acc is not None:
        head.append("mean accept")
    out = ['<table class="sampler"><thead><tr>'] + [f"<th>{h}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for c in range(n_chain):
        cells = [f"<td>{c}</td>", f"<td>{n_draw}</td>"]
        cls = ' class="flag"' if div[c] > 0 else ""
        cells.append(f"<td{cls}>{div[c] if div[c] >= 0 else '?'}</td>")
        b = bfmi[c] if c < len(bfmi) else np.nan
        cls = ' class="flag"' if np.isfinite(b) and b < 0.3 else ""
        cells.append(f"<td{cls}>{_fmt(b, 2)}</td>")
        if depth is not None:
            cells.append(f"<td>{int(depth[c])}</td>")
        if step is not None:
            cells.append(f"<td>{step[c]:.3g}</td>")
        if acc is not None:
            cells.append(f"<td>{acc[c]:.3f}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    n_div = int(div[div >= 0].sum())
    if n_div:
        warns.append(f"{n_div} divergent transition(s) after warm-up "
                     f"({n_div / (n_chain * n_draw):.1%} of draws): the posterior geometry "
                     "is hard for NUTS (try the non-centered form or a higher target_accept).")
    low = [c for c in range(len(bfmi)) if np.isfinite(bfmi[c]) and bfmi[c] < 0.3]
    if low:
        warns.append(f"E-BFMI < 0.3 in chain(s) {low}: energy transitions are inefficient.")
    return "".join(out), warns, {"divergences": n_div,
                                 "min_bfmi": float(np.nanmin(bfmi)) if len(bfmi) else None}


def _df_html(df: pd.DataFrame, digits: int = 2, flag: dict[str, Any] | None = None) -> str:
    """A DataFrame as a plain HTML table (index as the first column)."""
    flag = flag or {}
    out = ['<table class="df"><thead><tr><th class="name"></th>']
    out += [f"<th>{html.escape(str(c))}</th>" for c in df.columns]
    out.append("</tr></thead><tbody>")
    for idx, row in df.iterrows():
        cells = [f'<td class="name">{html.escape(str(idx))}</td>']
        for c in df.columns:
            v = row[c]
            cls = ""
            test = flag.get(c)
            if test is not None:
                try:
                    if test(v):
                        cls = ' class="flag"'
                except Exception:  # noqa: BLE001
                    pass
            cells.append(f"<td{cls}>{_fmt(v, digits)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def comparison_html(table: pd.DataFrame) -> str:
    """The comparison table with Pareto-k problems flagged."""
    def positive(v):
        return v is not None and not pd.isna(v) and v > 0

    return _df_html(table, 2, flag={"k_bad": positive, "warning": lambda v: bool(v)})


# --------------------------------------------------------------------------- fit context


def _response(idata) -> str | None:
    if "observed_data" in idata.groups():
        names = list(idata.observed_data.data_vars)
        if names:
            return str(names[0])
    if "log_likelihood" in idata.groups():
        names = list(idata.log_likelihood.data_vars)
        if names:
            return str(names[0])
    return None


def _fit_context(idata) -> dict[str, Any]:
    """Design, data, zoo entry of a fit, as far as they can be recovered."""
    from bayeszoo.api import fit_context

    try:
        return fit_context(idata)
    except Exception as exc:  # noqa: BLE001 - the report still shows the posterior
        return {"error": f"{type(exc).__name__}: {exc}"}


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


# --------------------------------------------------------------------------- figure makers


def _trace_vars(idata, limit: int) -> list[str]:
    scalars, _ = _scalar_and_vector_vars(idata)
    scalars = sorted(scalars, key=_brms_order)
    # the hard ones first: sds/sd (funnels), then intercept and sigma, then other b's
    pri = sorted(scalars, key=lambda n: (0 if n.startswith(("sd_", "sds_")) else
                                         1 if n in ("b_Intercept", "sigma") else 2,
                                         _brms_order(n)))
    if not pri:
        _, vectors = _scalar_and_vector_vars(idata)
        pri = vectors[:1]
    return pri[:limit]


def _fig_trace(idata, var_names, dpi) -> _Figure:
    import arviz as az

    axes = az.plot_trace(idata, var_names=var_names, compact=True,
                         figsize=(11, 1.7 * len(var_names)),
                         backend_kwargs={"layout": "constrained"})
    png, w, h = _png(_fig_of(axes), dpi)
    return _Figure("trace", "Trace plots", png, w, h,
                   f"Marginal densities (left) and draws per chain (right) for "
                   f"{', '.join(var_names)}.")


def _fig_rank(idata, var_names, dpi) -> _Figure:
    import arviz as az

    n = len(var_names)
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    axes = az.plot_rank(idata, var_names=var_names, kind="bars",
                        figsize=(3.8 * ncols, 2.4 * nrows),
                        backend_kwargs={"layout": "constrained"})
    png, w, h = _png(_fig_of(axes), dpi)
    return _Figure("rank", "Rank plots", png, w, h,
                   "Histograms of each chain's ranks among all draws: uniform when the chains "
                   "mix (Vehtari et al. 2021).")


def _fig_energy(idata, dpi) -> _Figure:
    import arviz as az

    ax = az.plot_energy(idata, figsize=(6, 3.2), backend_kwargs={"layout": "constrained"})
    png, w, h = _png(_fig_of(ax), dpi)
    return _Figure("energy", "Energy plot", png, w, h,
                   "Marginal energy and energy transition distributions; a transition "
                   "distribution much narrower than the marginal one means a low E-BFMI.")


def _pp_idata(idata, n_pp: int, seed: int = 0):
    """An InferenceData with a posterior_predictive group for the PPC."""
    import arviz as az

    resp = _response(idata)
    if "posterior_predictive" in idata.groups() and resp in idata.posterior_predictive:
        return idata
    from bayeszoo.api import predict_draws

    pp = predict_draws(_thin(idata, 4 * n_pp), kind="pp", seed=seed)  # draws × n
    rng = np.random.default_rng(seed)
    keep = rng.choice(pp.shape[0], size=min(n_pp, pp.shape[0]), replace=False)
    pp = pp[np.sort(keep)]
    obs = idata.observed_data[resp]
    dim = obs.dims[0]
    return az.from_dict(
        posterior_predictive={resp: pp[None, :, :]},
        observed_data={resp: obs.values},
        dims={resp: [dim]},
        coords={dim: obs[dim].values},
    )


def _fig_ppc(idata, dpi, n_pp: int = 50) -> _Figure:
    import arviz as az

    resp = _response(idata)
    pid = _pp_idata(idata, n_pp)
    ax = az.plot_ppc(pid, var_names=[resp], num_pp_samples=n_pp, random_seed=0,
                     figsize=(7, 3.4), backend_kwargs={"layout": "constrained"})
    png, w, h = _png(_fig_of(ax), dpi)
    return _Figure("ppc", "Posterior predictive check", png, w, h,
                   f"Density of the observed {resp} against densities of {n_pp} replicated "
                   "data sets drawn from the posterior predictive distribution.")


def _k_counts(k: np.ndarray) -> dict[str, int]:
    k = np.asarray(k, dtype=float)
    return {
        "good (k ≤ 0.5)": int(np.sum(k <= 0.5)),
        "ok (0.5 < k ≤ 0.7)": int(np.sum((k > 0.5) & (k <= 0.7))),
        "bad (0.7 < k ≤ 1)": int(np.sum((k > 0.7) & (k <= 1))),
        "very bad (k > 1)": int(np.sum(k > 1)),
    }


def _loo(idata):
    from bayeszoo.inference.compare import loo_cached

    return loo_cached(idata)


def _fig_khat(idata, dpi) -> tuple[_Figure, dict[str, Any], list[str]]:
    import arviz as az
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elpd = _loo(idata)
    k = np.asarray(elpd.pareto_k).ravel()
    fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
    az.plot_khat(elpd, ax=ax, show_hlines=True, markersize=12)
    ax.set_title(f"PSIS-LOO Pareto k ({k.size} observations)")
    png, w, h = _png(fig, dpi)
    counts = _k_counts(k)
    rows = pd.DataFrame({"count": counts, "percent": {key: 100 * v / max(k.size, 1)
                                                      for key, v in counts.items()}})
    rows["percent"] = rows["percent"].map(lambda v: f"{v:.1f}%")
    table = _df_html(rows, 1)
    extra = pd.DataFrame(
        {"estimate": [elpd.elpd_loo, elpd.p_loo, -2 * elpd.elpd_loo],
         "SE": [elpd.se, getattr(elpd, "p_loo_se", np.nan), 2 * elpd.se]},
        index=["elpd_loo", "p_loo", "looic"])
    table += _df_html(extra, 1)
    warns = []
    n_bad = int(np.sum(k > 0.7))
    if n_bad:
        warns.append(f"{n_bad} observation(s) with Pareto k > 0.7: PSIS-LOO is unreliable there.")
    head = {"elpd_loo": float(elpd.elpd_loo), "p_loo": float(elpd.p_loo),
            "se": float(elpd.se), "k_bad": n_bad}
    fig_ = _Figure("khat", "Pareto k diagnostic (PSIS-LOO)", png, w, h,
                   "One point per observation; k > 0.7 marks observations whose "
                   "leave-one-out predictive density PSIS cannot estimate reliably.", table)
    return fig_, head, warns


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
            if blk.kind == "re":
                return blk.name
        return None
    for name in idata.posterior.data_vars:
        if str(name).startswith("r_") and "__" not in str(name):
            return str(name)[2:]
    return None


def _figs_pooling(idata, ctx, dpi) -> list[_Figure]:
    import matplotlib.pyplot as plt

    data = ctx.get("data")
    group = _group_name(idata, ctx)
    resp = _response(idata)
    if data is None or group is None or resp is None:
        return []
    codes = _group_codes(data, group)
    y = np.asarray(data[resp], dtype=float)
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
    png, w, h = _png(fig, dpi)
    f1 = _Figure("pooling", "Partial pooling: observed vs estimated group means", png, w, h,
                 "Groups with few observations are pulled towards the overall mean; large "
                 "groups keep their own mean.")

    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    ax.axhline(0, color="grey", lw=1)
    ax.scatter(size, obs_mean - est, s=16, color="C0", alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(f"observations per {group} (log scale)")
    ax.set_ylabel("observed − estimated mean")
    png, w, h = _png(fig, dpi)
    f2 = _Figure("shrinkage", "Shrinkage against group size", png, w, h,
                 "Observed minus estimated group mean: the shrinkage, largest for small groups.")
    return [f1, f2]


def _coef_means(idata, design) -> dict[str, np.ndarray]:
    """Posterior means of the fixed columns (by column name) and of each block (by block name)."""
    from bayeszoo.models.priors import block_names, fixed_brms_names

    post = idata.posterior
    out: dict[str, np.ndarray] = {}
    for col, name in zip(design.column_names, fixed_brms_names(design), strict=True):
        if name in post:
            out[col] = np.asarray(post[name].mean(_SAMPLE_DIMS).values)
    for blk, (_, coef, _) in zip(design.blocks, block_names(design), strict=True):
        if coef in post:
            out["block:" + blk.name] = np.asarray(post[coef].mean(_SAMPLE_DIMS).values).ravel()
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


def _figs_smooth(idata, ctx, dpi) -> list[_Figure]:
    import matplotlib.pyplot as plt

    design = ctx.get("design")
    data = ctx.get("data")
    resp = _response(idata)
    if design is None or data is None or not getattr(design, "smooths", None):
        return []
    figs = []
    for sm in design.smooths:
        if sm.bs == "re":
            continue
        var = sm.variable
        grid = _grid_frame(data, var)
        gd = design.for_newdata(grid)
        xg = np.asarray(grid[var], dtype=float)
        x = np.asarray(data[var], dtype=float)
        y = np.asarray(data[resp], dtype=float)

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
        png, w, h = _png(fig, dpi)
        figs.append(_Figure(f"smooth-{var}", f"Fitted curve {sm.term}", png, w, h,
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
        if sm.block is not None:
            blk = gd.blocks[sm.block]
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
        png, w, h = _png(fig, dpi)
        figs.append(_Figure(f"basis-{var}", f"Basis functions of {sm.term}", png, w, h,
                            "Left: the basis after mgcv's reparameterization (natural "
                            "parameterization, smooth2random), evaluated over the data range. "
                            "Right: each multiplied by its posterior mean coefficient; their sum "
                            "(black) is the smooth's contribution, centred by the "
                            "identifiability constraint."))
    return figs


# --------------------------------------------------------------------------- the report


def _anchor(name: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "fit"
    base = "fit-" + base
    a, i = base, 2
    while a in used:
        a, i = f"{base}-{i}", i + 1
    used.add(a)
    return a


def _as_mapping(fits) -> dict[str, Any]:
    if isinstance(fits, Mapping):
        return dict(fits)
    out: dict[str, Any] = {}
    for i, idata in enumerate(fits):
        attrs = getattr(idata, "attrs", {}) or {}
        name = attrs.get("zoo_name") or attrs.get("name") or attrs.get("formula") or f"fit{i + 1}"
        while name in out:
            name = f"{name}'"
        out[str(name)] = idata
    return out


def _meta(idata) -> dict[str, str]:
    attrs = dict(getattr(idata, "attrs", {}) or {})
    post = idata.posterior
    meta = {}
    if attrs.get("backend"):
        meta["backend"] = str(attrs["backend"])
    meta["chains × draws"] = f"{post.sizes['chain']} × {post.sizes['draw']}"
    for key in ("tune", "seed", "parameterization", "target_accept"):
        if key in attrs:
            meta[key] = str(attrs[key])
    for key in ("sampling_seconds", "sampling_time", "compile_seconds"):
        if key in attrs:
            try:
                meta[key.replace("_", " ")] = f"{float(attrs[key]):.2f} s"
            except (TypeError, ValueError):
                pass
    timings = attrs.get("timings")
    if isinstance(timings, str):
        import json

        try:
            timings = json.loads(timings)
        except ValueError:
            timings = None
    if isinstance(timings, Mapping):
        for key, v in timings.items():
            try:
                meta[str(key)] = f"{float(v):.2f} s"
            except (TypeError, ValueError):
                pass
    resp = _response(idata)
    if resp is not None and "observed_data" in idata.groups():
        meta["n"] = str(int(idata.observed_data[resp].size))
    return meta


def _fit_view(name, idata, *, anchor, reml_fit, max_trace_vars, dpi) -> tuple[_FitView, dict]:
    ctx = _fit_context(idata)
    entry = ctx.get("entry")
    attrs = dict(getattr(idata, "attrs", {}) or {})
    summary, note, warns = _summary_html(idata)
    sampler, swarns, shead = _sampler_html(idata)
    warns = swarns + warns
    view = _FitView(
        name=name,
        anchor=anchor,
        formula=str(attrs.get("formula", "") or (entry.formula if entry else "")),
        description=entry.description if entry else "",
        question=entry.question if entry else "",
        meta=_meta(idata),
        warnings=warns,
        summary_html=summary,
        summary_note=note,
        sampler_html=sampler,
    )
    if "error" in ctx:
        view.errors.append(f"data-dependent figures (the fit's data could not be recovered: "
                           f"{ctx['error']})")
    if reml_fit is not None:
        try:
            view.reml_text = str(reml_fit.summary())
        except Exception as exc:  # noqa: BLE001
            view.errors.append(f"the REML summary: {exc}")
    headline: dict[str, Any] = dict(shead)

    var_names = _trace_vars(idata, max_trace_vars)
    makers = [
        ("trace plots", lambda: [_fig_trace(idata, var_names, dpi)]),
        ("rank plots", lambda: [_fig_rank(idata, var_names, dpi)]),
        ("energy plot", lambda: [_fig_energy(idata, dpi)]),
        ("posterior predictive check", lambda: [_fig_ppc(idata, dpi)]),
    ]
    if "log_likelihood" in idata.groups():
        def khat():
            fig, head, kwarns = _fig_khat(idata, dpi)
            headline.update(head)
            view.warnings.extend(kwarns)
            return [fig]
        makers.append(("Pareto k plot", khat))
    if "error" not in ctx:
        makers.append(("partial-pooling figures", lambda: _figs_pooling(idata, ctx, dpi)))
        makers.append(("smooth figures", lambda: _figs_smooth(idata, ctx, dpi)))
    for label, make in makers:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                view.figures.extend(make())
        except Exception as exc:  # noqa: BLE001 - one failing figure must not lose the report
            view.errors.append(f"the {label}: {type(exc).__name__}: {exc}")
    import matplotlib.pyplot as plt

    plt.close("all")
    headline["warnings"] = list(view.warnings)
    return view, headline


def _auto_comparison(fits: dict[str, Any], reml: Mapping | None) -> dict[str, pd.DataFrame]:
    """Compare the fits that share a response and a number of observations."""
    from bayeszoo.inference.compare import compare

    groups: dict[tuple, dict[str, Any]] = {}
    for name, idata in fits.items():
        if "log_likelihood" not in idata.groups():
            continue
        resp = _response(idata)
        n = int(idata.observed_data[resp].size) if resp and "observed_data" in idata.groups() else 0
        groups.setdefault((resp, n), {})[name] = idata
    out = {}
    for (resp, n), members in groups.items():
        if len(members) < 2:
            continue
        sub_reml = {k: v for k, v in (reml or {}).items() if k in members} if reml else None
        out[f"{resp} (n = {n}): {', '.join(members)}"] = compare(members, reml=sub_reml)
    return out


def report(
    fits: Mapping[str, Any] | Sequence[Any],
    path: str | Path = "report/index.html",
    *,
    comparison: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    reml: Mapping[str, Any] | None = None,
    title: str = "bayeszoo diagnostics report",
    max_trace_vars: int = 4,
    dpi: int = 72,
) -> Path:
    """Write the self-contained HTML diagnostics report of ``fits`` to ``path``.

    ``fits``: ``{name: InferenceData}`` (or a list, named by each fit's ``attrs``).
    ``comparison``: a table from :func:`bayeszoo.compare`, or ``{title: table}``; by default
    the fits that share a response and data size are compared (when two or more do).
    ``reml``: ``{name: RemlFit}``, shown as each fit's REML twin and used for the comparison's
    edf columns. ``max_trace_vars`` limits trace/rank plots to the hardest few scalars.
    Returns the path written. The report's headline numbers per fit are on
    ``report.last_headline`` (divergences, E-BFMI, elpd_loo, p_loo, warnings).
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    import bayeszoo

    t0 = time.perf_counter()
    fits = _as_mapping(fits)
    if not fits:
        raise ValueError("report() needs at least one fit")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        try:
            matplotlib.use("Agg", force=True)
        except Exception:  # noqa: BLE001
            pass

    used: set[str] = {"comparison", "toc"}
    views, headline = [], {}
    for name, idata in fits.items():
        view, head = _fit_view(name, idata, anchor=_anchor(name, used),
                               reml_fit=(reml or {}).get(name),
                               max_trace_vars=max_trace_vars, dpi=dpi)
        views.append(view)
        headline[name] = head

    if comparison is None:
        try:
            comparison = _auto_comparison(fits, reml)
        except Exception as exc:  # noqa: BLE001
            comparison = {}
            views[0].errors.append(f"the comparison table: {type(exc).__name__}: {exc}")
    elif isinstance(comparison, pd.DataFrame):
        comparison = {"PSIS-LOO comparison": comparison}
    tables = [{"title": t, "html": comparison_html(df)} for t, df in comparison.items()]

    env = Environment(loader=PackageLoader("bayeszoo.reports", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.globals["Markup"] = None
    template = env.get_template("report.html.j2")
    from markupsafe import Markup

    for v in views:
        v.summary_html = Markup(v.summary_html)
        v.sampler_html = Markup(v.sampler_html)
        for f in v.figures:
            f.table = Markup(f.table)
    for t in tables:
        t["html"] = Markup(t["html"])
    text = template.render(
        title=title,
        fits=views,
        comparison=tables,
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=bayeszoo.__version__,
        total_seconds=time.perf_counter() - t0,
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    report.last_headline = headline  # type: ignore[attr-defined]
    return path
