"""The numbers of the report's tables, as DataFrames: the brms-like posterior summary, the
per-chain sampler diagnostics, the Pareto k counts and LOO estimates, and the warnings they
raise. No markup here: :mod:`bayeszoo.reports.cells` formats them, the templates lay them out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bayeszoo.diagnostics import (
    BFMI_MIN,
    ESS_MIN,
    K_BAD,
    K_OK,
    K_VERY_BAD,
    RHAT_MAX,
    FitChecks,
    pareto_k_counts,
)

SAMPLE_DIMS = ("chain", "draw")
SUMMARY_COLUMNS = ["Estimate", "Est.Error", "l-95% CI", "u-95% CI", "Rhat", "Bulk_ESS",
                   "Tail_ESS"]
DIAGNOSTIC_COLUMNS = ["Rhat", "Bulk_ESS", "Tail_ESS"]
SUMMARY_MAX_ROWS = 30
VECTOR_MAX_ELEMENTS = 10
WARNING_MAX_NAMES = 8


def response_name(idata) -> str | None:
    """The response's name: the first variable of ``observed_data`` (else ``log_likelihood``)."""
    for group in ("observed_data", "log_likelihood"):
        if group in idata.groups():
            names = list(getattr(idata, group).data_vars)
            if names:
                return str(names[0])
    return None


def scalar_and_vector_vars(idata) -> tuple[list[str], list[str]]:
    """The posterior's scalar and vector variables, in posterior order, without brms's
    ``Intercept`` of the centered design (an internal beside ``b_Intercept``)."""
    post = idata.posterior
    scalars, vectors = [], []
    for name, da in post.data_vars.items():
        if name == "Intercept" and "b_Intercept" in post:
            continue
        extra = [d for d in da.dims if d not in SAMPLE_DIMS]
        (vectors if extra else scalars).append(str(name))
    return scalars, vectors


def brms_order(name: str) -> tuple[int, str]:
    """Sort key putting parameters in brms's summary order: ``b_``, ``bs_``, ``sds_``, ``sd_``,
    ``cor_``, ``sigma``, then the rest (alphabetical within each)."""
    for rank, prefix in enumerate(("b_", "bs_", "sds_", "sd_", "cor_", "sigma")):
        if name.startswith(prefix):
            return rank, name
    return 9, name


def summary_table(idata, var_names: Sequence[str] | None = None) -> pd.DataFrame:
    """brms-like posterior summary: Estimate, Est.Error, l-95% CI, u-95% CI, Rhat, Bulk_ESS,
    Tail_ESS, one row per scalar (vector variables flattened as ``name[label]``).

    R-hat is ArviZ's rank-normalized split R-hat; the ESS are ArviZ's bulk and tail ESS
    (:mod:`bayeszoo.inference.convergence`; one chain has the R-hat of its two halves, as brms
    prints it).
    """
    from bayeszoo.inference.convergence import ess_bulk, ess_tail, rhat

    post = idata.posterior
    if var_names is None:
        scalars, vectors = scalar_and_vector_vars(idata)
        var_names = sorted(scalars, key=brms_order) + vectors
    sub = post[list(var_names)]
    rows = []
    for name in var_names:
        da = sub[name]
        extra = [d for d in da.dims if d not in SAMPLE_DIMS]
        draws = da.stack(__s=SAMPLE_DIMS).transpose(*extra, "__s").values
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
        arr = da.transpose("chain", "draw", *extra).values
        r, eb, et = (np.atleast_1d(f(arr)).ravel() for f in (rhat, ess_bulk, ess_tail))
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


def condensed_summary(idata) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The summary as the report shows it, with notes on what was condensed, and the R-hat and
    ESS warnings of the full table.

    Rows: the scalars in brms order (the first :data:`SUMMARY_MAX_ROWS`, the rest as one row of
    their worst diagnostics), then each vector element-wise when it has at most
    :data:`VECTOR_MAX_ELEMENTS` elements, else as one row of its worst diagnostics. The boolean
    column ``aggregated`` marks those worst-of rows (their other columns are NaN).
    """
    from bayeszoo.inference.function_space import function_space_note, network_weights

    scalars, vectors = scalar_and_vector_vars(idata)
    scalars = sorted(scalars, key=brms_order)
    weights = network_weights(idata)
    vectors = [v for v in vectors if v not in weights]
    table = summary_table(idata, scalars + vectors)
    function_space = function_space_table(idata) if weights else None
    warnings = convergence_warnings(table if function_space is None else function_space)

    rows: dict[str, dict] = {}
    notes: list[str] = []

    def element_wise(part: pd.DataFrame) -> None:
        for label, row in part.iterrows():
            rows[label] = {**row.to_dict(), "aggregated": False}

    def worst_of(label: str, part: pd.DataFrame) -> None:
        rows[label] = {"Rhat": part["Rhat"].max(), "Bulk_ESS": part["Bulk_ESS"].min(),
                       "Tail_ESS": part["Tail_ESS"].min(), "aggregated": True}

    element_wise(table.loc[scalars[:SUMMARY_MAX_ROWS]])
    if len(scalars) > SUMMARY_MAX_ROWS:
        rest = table.loc[scalars[SUMMARY_MAX_ROWS:]]
        worst_of(f"… {len(rest)} more scalars", rest)
        notes.append(f"{len(rest)} further scalars condensed to one row (worst R-hat, least ESS)")
    for name in vectors:
        part = table.loc[[i for i in table.index if i.startswith(name + "[")]]
        if len(part) <= VECTOR_MAX_ELEMENTS:
            element_wise(part)
        else:
            worst_of(f"{name}[{len(part)}]", part)
            notes.append(f"{name}: {len(part)} values, shown as worst R-hat and least ESS")
    if function_space is not None:
        for name in dict.fromkeys(i.split("[")[0] for i in function_space.index
                                  if i.startswith("linpred")):
            part = function_space.loc[[i for i in function_space.index
                                       if i.startswith(name + "[")]]
            worst_of(f"{name}[{len(part)}] (function space)", part)
        notes.append(function_space_note(idata))
    shown = pd.DataFrame.from_dict(rows, orient="index", columns=[*SUMMARY_COLUMNS, "aggregated"])
    return shown, notes, warnings


def function_space_table(idata) -> pd.DataFrame:
    """:func:`summary_table` of the draws a network fit is diagnosed on
    (:func:`bayeszoo.inference.function_space.function_space_posterior`)."""
    import arviz as az

    from bayeszoo.inference.function_space import function_space_posterior

    fs = az.InferenceData(posterior=function_space_posterior(idata))
    return summary_table(fs, list(fs.posterior.data_vars))


def _names(names: list[str]) -> str:
    return ", ".join(names[:WARNING_MAX_NAMES]) + (" …" if len(names) > WARNING_MAX_NAMES else "")


def convergence_warnings(table: pd.DataFrame) -> list[str]:
    """Warning lines for the rows of a :func:`summary_table` with R-hat above
    :data:`~bayeszoo.diagnostics.RHAT_MAX` or a bulk or tail ESS below
    :data:`~bayeszoo.diagnostics.ESS_MIN`."""
    out = []
    bad_rhat = table.index[table["Rhat"] > RHAT_MAX].tolist()
    low_ess = table.index[(table["Bulk_ESS"] < ESS_MIN) | (table["Tail_ESS"] < ESS_MIN)].tolist()
    if bad_rhat:
        out.append(f"R-hat > {RHAT_MAX} for {len(bad_rhat)} parameter(s): {_names(bad_rhat)}"
                   f" (max {table['Rhat'].max():.3f}); the chains have not mixed.")
    if low_ess:
        out.append(f"ESS < {ESS_MIN} for {len(low_ess)} parameter(s): {_names(low_ess)}"
                   f" (min bulk {table['Bulk_ESS'].min():.0f}, "
                   f"min tail {table['Tail_ESS'].min():.0f}).")
    return out


def sampler_table(idata) -> pd.DataFrame | None:
    """Per chain: draws, divergences after warm-up, E-BFMI (ArviZ's ``bfmi``), and where the
    sample stats hold them, max tree depth, mean step size and mean acceptance rate.

    Reads the names :func:`bayeszoo.sample` writes for every backend (``diverging``, ``energy``,
    ``tree_depth``, ``step_size``, ``acceptance_rate``); a statistic that is missing gives NaN
    (divergences, E-BFMI) or no column. ``None`` when there is no ``sample_stats`` group.
    """
    import arviz as az

    if "sample_stats" not in idata.groups():
        return None
    stats = idata.sample_stats
    n_chain = idata.posterior.sizes["chain"]
    table = pd.DataFrame({"chain": np.arange(n_chain),
                          "draws": idata.posterior.sizes["draw"]})
    table["divergences"] = (stats["diverging"].sum("draw").values.astype(int)
                            if "diverging" in stats else np.nan)
    table["E-BFMI"] = np.atleast_1d(az.bfmi(idata)) if "energy" in stats else np.nan
    if "tree_depth" in stats:
        table["max tree depth"] = stats["tree_depth"].max("draw").values.astype(int)
    if "step_size" in stats:
        table["step size"] = stats["step_size"].mean("draw").values
    if "acceptance_rate" in stats:
        table["mean accept"] = stats["acceptance_rate"].mean("draw").values
    return table


def sampler_warnings(table: pd.DataFrame | None, checks: FitChecks) -> list[str]:
    """Warning lines for divergences and transitions at the maximum tree depth
    (:meth:`bayeszoo.diagnostics.FitChecks.sampler_lines`: the advice follows the fit's
    parameterization and target_accept) and for chains with E-BFMI below
    :data:`~bayeszoo.diagnostics.BFMI_MIN` in a :func:`sampler_table`."""
    if table is None:
        return ["no sample_stats: divergences unknown"]
    out = checks.sampler_lines()
    low = table["chain"][table["E-BFMI"] < BFMI_MIN].tolist()
    if low:
        out.append(f"E-BFMI < {BFMI_MIN} in chain(s) {low}: energy transitions are inefficient.")
    return out


def pareto_k_table(k) -> pd.DataFrame:
    """Observations per Pareto k category (:func:`bayeszoo.diagnostics.pareto_k_counts`):
    ``count`` and ``percent``, indexed by the category and its bounds."""
    counts = pareto_k_counts(k)
    labels = {"good": f"good (k ≤ {K_OK:g})", "ok": f"ok ({K_OK:g} < k ≤ {K_BAD:g})",
              "bad": f"bad ({K_BAD:g} < k ≤ {K_VERY_BAD:g})",
              "very_bad": f"very bad (k > {K_VERY_BAD:g})"}
    n = max(np.asarray(k).size, 1)
    return pd.DataFrame({"count": [counts[c] for c in labels],
                         "percent": [100 * counts[c] / n for c in labels]},
                        index=list(labels.values()))


def loo_table(elpd) -> pd.DataFrame:
    """``elpd_loo``, ``p_loo`` and ``looic = -2 elpd_loo`` with their standard errors, as R loo's
    print method shows them (ArviZ gives no standard error of ``p_loo``: NaN)."""
    return pd.DataFrame(
        {"estimate": [elpd.elpd_loo, elpd.p_loo, -2 * elpd.elpd_loo],
         "SE": [elpd.se, np.nan, 2 * elpd.se]},
        index=["elpd_loo", "p_loo", "looic"])


def refit_table(idata) -> pd.DataFrame | None:
    """The observations ``bz.loo(idata, reloo=True)`` refitted exactly: their Pareto k, the PSIS
    estimate of their elpd and the exact one (``None`` when the fit carries no refits)."""
    from bayeszoo.inference.refit import stored_refits

    refits = stored_refits(idata)
    if not refits or not refits["observations"]:
        return None
    return pd.DataFrame({"Pareto k": refits["pareto_k"], "elpd (PSIS)": refits["elpd_psis"],
                         "elpd (exact refit)": refits["elpd_exact"]},
                        index=[f"observation {i}" for i in refits["observations"]])


def pareto_k_warnings(k) -> list[str]:
    """A warning line when observations have Pareto k above :data:`~bayeszoo.diagnostics.K_BAD`."""
    counts = pareto_k_counts(k)
    n_bad = counts["bad"] + counts["very_bad"]
    if not n_bad:
        return []
    return [f"{n_bad} observation(s) with Pareto k > {K_BAD}: PSIS-LOO is unreliable there."]
