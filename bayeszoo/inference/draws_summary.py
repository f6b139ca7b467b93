"""The command line's figures of a fit, from the arrays in memory: the headline (means, worst
R-hat and bulk ESS, divergences, PSIS-LOO) and brms's posterior summary table.

The same numbers as :func:`bayeszoo.api.headline` and
:func:`bayeszoo.reports.tables.summary_table` compute from an InferenceData through ArviZ, here
from a :class:`~bayeszoo.inference.sampling.PosteriorDraws` with
:mod:`bayeszoo.inference.convergence` and :mod:`bayeszoo.inference.psis`, so that
``bayeszoo fit`` neither imports ArviZ nor builds an InferenceData unless it saves the fit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from .convergence import as_series, ess_bulk_series, ess_mean_series, ess_tail_series, rhat_series
from .psis import Loo, psis_loo

SUMMARY_COLUMNS = ["Estimate", "Est.Error", "l-95% CI", "u-95% CI", "Rhat", "Bulk_ESS",
                   "Tail_ESS"]


def all_series(posterior: dict[str, np.ndarray]) -> np.ndarray:
    """Every element of every posterior variable as ``(parameters, chain, draw)``."""
    return np.concatenate([as_series(v)[0] for v in posterior.values()], axis=0)


def relative_ess(posterior: dict[str, np.ndarray]) -> float:
    """``r_eff`` of PSIS-LOO as ArviZ's ``loo`` sets it: the mean ESS of the mean over every
    posterior element, divided by the number of draws (1 for a single chain)."""
    x = all_series(posterior)
    if x.shape[1] == 1:
        return 1.0
    return float(np.mean(ess_mean_series(x)) / (x.shape[1] * x.shape[2]))


def loo_of_draws(draws) -> Loo:
    """PSIS-LOO of a :class:`~bayeszoo.inference.sampling.PosteriorDraws` (``az.loo`` of its
    InferenceData)."""
    return psis_loo(draws.pointwise_log_likelihood(), relative_ess(draws.posterior))


def draws_headline(draws) -> dict[str, Any]:
    """:func:`bayeszoo.api.headline` of the fit these draws become: posterior means of the
    scalar parameters, max R-hat, min bulk ESS, divergences, elpd_loo and p_loo, timings."""
    post = draws.posterior
    x = all_series(post)
    out: dict[str, Any] = {
        "means": {k: round(float(np.mean(v)), 4) for k, v in post.items()
                  if np.ndim(v) == 2 and k != "Intercept"},
        "max_rhat": round(float(np.nanmax(rhat_series(x))), 4),
        "min_ess_bulk": round(float(np.nanmin(ess_bulk_series(x))), 1),
        "divergences": int(np.sum(draws.stats["diverging"]))
        if "diverging" in draws.stats else None,
    }
    if draws.log_likelihood:
        elpd = loo_of_draws(draws)
        out["elpd_loo"] = round(elpd.elpd_loo, 2)
        out["p_loo"] = round(elpd.p_loo, 2)
    for key in ("sampling_seconds", "compile_seconds", "total_seconds"):
        if key in draws.attrs:
            out[key] = float(draws.attrs[key])
    return json.loads(json.dumps(out, default=float))


def draws_summary(posterior: dict[str, np.ndarray], names: Sequence[str]):
    """brms's summary rows (``Estimate``, ``Est.Error``, 95% CI, ``Rhat``, ``Bulk_ESS``,
    ``Tail_ESS``) of the scalar variables ``names``, as
    :func:`bayeszoo.reports.tables.summary_table` gives them."""
    import pandas as pd

    for name in names:
        if name not in posterior:
            raise KeyError(f"no posterior variable {name!r}; have {', '.join(posterior)}")
        if np.ndim(posterior[name]) != 2:
            raise ValueError(f"{name!r} is not a scalar parameter (shape "
                             f"{np.shape(posterior[name])}); summarize scalars only")
    if not names:
        return pd.DataFrame(columns=SUMMARY_COLUMNS, index=pd.Index([], name="parameter"))
    x = np.stack([np.asarray(posterior[n], dtype=float) for n in names])
    flat = x.reshape(len(names), -1)
    ddof_sd = np.std(flat, axis=1, ddof=1) if flat.shape[1] > 1 else np.full(len(names), np.nan)
    table = pd.DataFrame({
        "Estimate": flat.mean(axis=1),
        "Est.Error": ddof_sd,
        "l-95% CI": np.quantile(flat, 0.025, axis=1),
        "u-95% CI": np.quantile(flat, 0.975, axis=1),
        "Rhat": rhat_series(x),
        "Bulk_ESS": ess_bulk_series(x),
        "Tail_ESS": ess_tail_series(x),
    }, index=pd.Index(list(names), name="parameter"))
    return table[SUMMARY_COLUMNS]
