"""One self-contained HTML file diagnosing a set of fits (:func:`report`).

Per fit: a brms-like summary table (Estimate, Est.Error, l-95% CI, u-95% CI, Rhat, Bulk_ESS,
Tail_ESS) whose cells are flagged where R-hat > 1.01 or ESS < 400; divergences and E-BFMI per
chain; ArviZ's trace, rank and energy plots; a posterior predictive check; the Pareto k plot and
table of PSIS-LOO. Grouped models (a ``r_<group>`` block) add the two partial-pooling figures;
smooths add the fitted curve, the basis functions and the weighted basis functions;
correlated terms ``(1 + x | g)`` add intercepts against slopes with the population ellipse and
the correlations' posterior. The
comparison tables (:func:`bayeszoo.compare`) open the file.

PNG images are embedded as base64 ``data:`` URIs and the CSS is inline: the file opens offline,
from anywhere, with nothing else next to it. The markup lives in ``templates/``.
"""

from __future__ import annotations

import re
import reprlib
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from bayeszoo.diagnostics import ESS_MIN, K_BAD, K_OK, RHAT_MAX
from bayeszoo.inference.compare import unique_name
from bayeszoo.paths import check_writable, write_text_atomically
from bayeszoo.reports import (
    figures,
    figures_correlated,
    figures_distributional,
    figures_families,
    figures_nets,
    figures_sbc,
    figures_smooths2,
    tables,
)
from bayeszoo.reports.cells import (
    DisplayTable,
    comparison_display,
    frame_display,
    sampler_display,
    summary_display,
)
from bayeszoo.reports.figures import EmbeddedFigure


@dataclass
class FitView:
    """Everything the template shows of one fit."""

    name: str
    anchor: str
    formula: str
    description: str
    question: str
    meta: dict[str, str]
    warnings: list[str]
    summary: DisplayTable
    summary_note: str
    sampler: DisplayTable | None
    reml_text: str = ""
    figures: list[EmbeddedFigure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _describe(value: Any) -> str:
    if isinstance(value, str | bytes | int | float | Path):
        return f"the {type(value).__name__} {reprlib.repr(value)}"
    return f"a value of type {type(value).__name__}"


def _checked_fit(where: str, idata: Any) -> Any:
    from arviz import InferenceData

    if not isinstance(idata, InferenceData):
        raise TypeError(f"report(): {where} is {_describe(idata)}; expected an "
                        "arviz.InferenceData (from bz.sample, bz.fit or bz.load)")
    if "posterior" not in idata.groups():
        raise ValueError(f"report(): {where} has no posterior group; the report diagnoses "
                         "posterior draws")
    return idata


def fits_by_name(fits: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any]:
    """``fits`` as ``{name: InferenceData}``, each checked; a list is named by each fit's
    ``attrs["zoo_name"]`` (:func:`bayeszoo.fit`), else its ``attrs["formula"]``
    (:func:`bayeszoo.sample`), else ``fit<i>``, with a ``'`` appended to repeated names."""
    from arviz import InferenceData

    if isinstance(fits, Mapping) and not isinstance(fits, InferenceData):
        return {name: _checked_fit(f"fits[{name!r}]", idata) for name, idata in fits.items()}
    if isinstance(fits, InferenceData | str | bytes) or not isinstance(fits, Sequence):
        raise TypeError(f"report(): fits is {_describe(fits)}; expected {{name: InferenceData}} "
                        "or a list of InferenceData (one fit: [idata])")
    out: dict[str, Any] = {}
    for i, idata in enumerate(fits):
        _checked_fit(f"fits[{i}]", idata)
        name = str(idata.attrs.get("zoo_name") or idata.attrs.get("formula") or f"fit{i + 1}")
        out[unique_name(name, out)] = idata
    return out


def _anchor(name: str, used: set[str]) -> str:
    base = "fit-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "fit")
    anchor, i = base, 2
    while anchor in used:
        anchor, i = f"{base}-{i}", i + 1
    used.add(anchor)
    return anchor


def _meta(idata) -> dict[str, str]:
    """The sampler settings and timings :func:`bayeszoo.sample` writes to ``attrs``, and n."""
    attrs = idata.attrs
    post = idata.posterior
    meta = {}
    if attrs.get("backend"):
        meta["backend"] = str(attrs["backend"])
    meta["chains × draws"] = f"{post.sizes['chain']} × {post.sizes['draw']}"
    for key in ("tune", "seed", "parameterization", "target_accept"):
        if key in attrs:
            meta[key] = str(attrs[key])
    for key in ("sampling_seconds", "compile_seconds"):
        if key in attrs:
            meta[key.replace("_", " ")] = f"{float(attrs[key]):.2f} s"
    resp = tables.response_name(idata)
    if resp is not None and "observed_data" in idata.groups():
        meta["n"] = str(int(idata.observed_data[resp].size))
    return meta


def _fit_context(idata) -> dict[str, Any]:
    """Design, data and zoo entry of a fit, or ``{"error": ...}`` when they cannot be rebuilt
    (the report still shows the posterior)."""
    from bayeszoo.api import fit_context

    try:
        return fit_context(idata)
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{type(exc).__name__}: {exc}"}


def _fit_view(name: str, idata, *, anchor: str, reml_fit, max_trace_vars: int,
              dpi: int, sbc_result=None) -> FitView:
    from bayeszoo.inference.compare import loo_cached
    from bayeszoo.inference.fit_checks import idata_checks

    ctx = _fit_context(idata)
    entry = ctx.get("entry")
    shown, notes, summary_warns = tables.condensed_summary(idata)
    sampler = tables.sampler_table(idata)
    note = "; ".join(notes) + ". " if notes else ""
    note += (f"Flagged (red): R-hat > {RHAT_MAX}, bulk or tail ESS < {ESS_MIN}. "
             "Intervals are equal-tailed 95% posterior intervals.")
    view = FitView(
        name=name,
        anchor=anchor,
        formula=str(idata.attrs.get("formula", "") or (entry.formula if entry else "")),
        description=entry.description if entry else "",
        question=entry.question if entry else "",
        meta=_meta(idata),
        warnings=tables.sampler_warnings(sampler, idata_checks(idata)) + summary_warns,
        summary=summary_display(shown),
        summary_note=note,
        sampler=sampler_display(sampler) if sampler is not None else None,
    )
    if "error" in ctx:
        view.errors.append(f"data-dependent figures (the fit's data could not be recovered: "
                           f"{ctx['error']})")
    if reml_fit is not None:
        try:
            view.reml_text = str(reml_fit.summary())
        except Exception as exc:  # noqa: BLE001
            view.errors.append(f"the REML summary: {exc}")

    def khat() -> list[EmbeddedFigure]:
        elpd = loo_cached(idata)
        fig = figures.khat_figure(elpd, dpi)
        fig.tables = [
            frame_display(tables.pareto_k_table(elpd.pareto_k), digits=1,
                                formats={"percent": lambda v: f"{v:.1f}%"}),
            frame_display(tables.loo_table(elpd), digits=1),
        ]
        view.warnings.extend(tables.pareto_k_warnings(elpd.pareto_k))
        refits = tables.refit_table(idata)
        if refits is not None:
            fig.caption += (" Refitted exactly (reloo), their Pareto k shown as 0: "
                            f"{', '.join(refits.index)}.")
            fig.tables.append(frame_display(refits, digits=2))
        return [fig]

    var_names = figures.trace_vars(idata, max_trace_vars)
    makers: list[tuple[str, Callable[[], list[EmbeddedFigure]]]] = [
        ("trace plots", lambda: [figures.trace_figure(idata, var_names, dpi)]),
        ("rank plots", lambda: [figures.rank_figure(idata, var_names, dpi)]),
        ("energy plot", lambda: [figures.energy_figure(idata, dpi)]),
        ("posterior predictive check", lambda: figures_families.predictive_figures(idata, dpi)),
    ]
    if "log_likelihood" in idata.groups():
        makers.append(("Pareto k plot", khat))
    if sbc_result is not None:
        makers.append(("SBC figure", lambda: [figures_sbc.sbc_figure(sbc_result, dpi)]))
    if "error" not in ctx:
        makers.append(("partial-pooling figures", lambda: figures.pooling_figures(idata, ctx,
                                                                                   dpi)))
        makers.append(("smooth figures", lambda: figures.smooth_figures(idata, ctx, dpi)))
        makers.append(("surface, by-level and cyclic smooth figures",
                       lambda: figures_smooths2.smooth2_figures(idata, ctx, dpi)))
        makers.append(("correlated-effect figures",
                       lambda: figures_correlated.correlated_figures(idata, ctx, dpi)))
        makers.append(("distributional figures",
                       lambda: figures_distributional.distributional_figures(idata, ctx, dpi)))
        makers.append(("network figures", lambda: figures_nets.network_figures(idata, ctx, dpi)))
    for label, make in makers:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                view.figures.extend(make())
        except Exception as exc:  # noqa: BLE001 - one failing figure must not lose the report
            view.errors.append(f"the {label}: {type(exc).__name__}: {exc}")
    import matplotlib.pyplot as plt

    plt.close("all")
    return view


def _auto_comparison(fits: dict[str, Any], reml: Mapping | None) -> dict[str, pd.DataFrame]:
    """Compare the fits that share a response and a number of observations."""
    from bayeszoo.inference.compare import compare

    groups: dict[tuple, dict[str, Any]] = {}
    for name, idata in fits.items():
        if "log_likelihood" not in idata.groups():
            continue
        resp = tables.response_name(idata)
        n = int(idata.observed_data[resp].size) if resp and "observed_data" in idata.groups() else 0
        groups.setdefault((resp, n), {})[name] = idata
    out = {}
    for (resp, n), members in groups.items():
        if len(members) < 2:
            continue
        sub_reml = {k: v for k, v in (reml or {}).items() if k in members} if reml else None
        out[f"{resp} (n = {n}): {', '.join(members)}"] = compare(members, reml=sub_reml)
    return out


def render_page(**context: Any) -> str:
    """``templates/report.html.j2`` rendered with ``context`` (autoescaped; an undefined name is
    an error, not an empty string)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("bayeszoo.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined)
    return env.get_template("report.html.j2").render(**context)


def _use_file_backend() -> None:
    """Draw off-screen: switch an interactive matplotlib backend to Agg."""
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        try:
            matplotlib.use("Agg", force=True)
        except Exception:  # noqa: BLE001 - keep the current backend if Agg cannot load
            pass


def report(
    fits: Mapping[str, Any] | Sequence[Any],
    path: str | Path = "report/index.html",
    *,
    comparison: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    reml: Mapping[str, Any] | None = None,
    sbc: Mapping[str, Any] | None = None,
    title: str = "bayeszoo diagnostics report",
    max_trace_vars: int = 4,
    dpi: int = 72,
) -> Path:
    """Write the self-contained HTML diagnostics report of ``fits`` to ``path``.

    ``fits``: ``{name: InferenceData}`` (or a list, named by each fit's ``attrs``).
    ``comparison``: a table from :func:`bayeszoo.compare`, or ``{title: table}``; by default
    the fits that share a response and data size are compared (when two or more do).
    ``reml``: ``{name: RemlFit}``, shown as each fit's REML twin and used for the comparison's
    edf columns. ``sbc``: ``{name: SbcResult}`` (:func:`bayeszoo.sbc`), drawn in that fit's
    section. ``max_trace_vars`` limits trace/rank plots to the hardest few scalars.

    The fits and ``path`` are checked before any work: ``TypeError``/``ValueError`` naming the
    offending fit or path. The file is written under a temporary name in the same folder and
    renamed when complete; a failure leaves nothing behind.

    Parameters
    ----------
    fits : dict or list
        ``{name: InferenceData}`` or a list of fits.
    path : str or pathlib.Path
        The HTML file to write.
    comparison : pandas.DataFrame or dict, optional
        A table of :func:`bayeszoo.compare`, or ``{title: table}``.
    reml : dict, optional
        ``{name: RemlFit}``.
    sbc : dict, optional
        ``{name: SbcResult}``.
    title : str
        The page's title.
    max_trace_vars : int
        Scalars shown in trace and rank plots per fit.
    dpi : int
        Resolution of the figures.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError, ValueError
        Naming the offending fit or path, before any work.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fit = bz.fit("radon_intercept")  # doctest: +SKIP
    >>> bz.report({"radon": fit}, "report/index.html")  # doctest: +SKIP
    PosixPath('report/index.html')
    >>> bz.report([])
    Traceback (most recent call last):
    ...
    ValueError: report() needs at least one fit
    """
    import bayeszoo

    t0 = time.perf_counter()
    fits = fits_by_name(fits)
    if not fits:
        raise ValueError("report() needs at least one fit")
    path = check_writable(path)
    _use_file_backend()

    used: set[str] = {"comparison", "toc"}
    views = [_fit_view(name, idata, anchor=_anchor(name, used), reml_fit=(reml or {}).get(name),
                       max_trace_vars=max_trace_vars, dpi=dpi,
                       sbc_result=(sbc or {}).get(name))
             for name, idata in fits.items()]

    if comparison is None:
        try:
            comparison = _auto_comparison(fits, reml)
        except Exception as exc:  # noqa: BLE001
            comparison = {}
            views[0].errors.append(f"the comparison table: {type(exc).__name__}: {exc}")
    elif isinstance(comparison, pd.DataFrame):
        comparison = {"PSIS-LOO comparison": comparison}
    text = render_page(
        title=title,
        fits=views,
        comparison=[{"title": t, "table": comparison_display(df)}
                    for t, df in comparison.items()],
        created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=bayeszoo.__version__,
        total_seconds=time.perf_counter() - t0,
        rhat_max=RHAT_MAX, ess_min=ESS_MIN, k_ok=K_OK, k_bad=K_BAD,
    )
    return write_text_atomically(path, text)
