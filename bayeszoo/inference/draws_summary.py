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

from bayeszoo.diagnostics import FitChecks

from .convergence import as_series, ess_bulk_series, ess_mean_series, ess_tail_series, rhat_series
from .fit_checks import draws_checks
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


def draws_checks_of(draws) -> FitChecks:
    """The :class:`~bayeszoo.diagnostics.FitChecks` of a
    :class:`~bayeszoo.inference.sampling.PosteriorDraws` (its design's fixed-effect columns
    judged for scale); a fit with a network term, or of several responses, is judged on its
    InferenceData (a network's in function space)."""
    design = getattr(draws, "design", None)  # a multivariate model's draws have none
    if design is None or any(b.computes_contribution for d in design.predictors
                             for b in d.blocks):
        from .fit_checks import idata_checks

        return idata_checks(draws.inference_data())
    return draws_checks(draws.posterior, draws.stats, draws.attrs, draws.design.X,
                        draws.design.column_names)


def checks_fields(checks: FitChecks) -> dict[str, Any]:
    """The headline's convergence figures: ``max_rhat``, ``min_ess_bulk``, ``divergences``,
    ``tree_depth_hits`` and ``converged`` (:attr:`~bayeszoo.diagnostics.FitChecks.converged`)."""
    return {"max_rhat": round(checks.max_rhat, 4), "min_ess_bulk": round(checks.min_ess_bulk, 1),
            "divergences": checks.divergences, "tree_depth_hits": checks.tree_depth_hits,
            "converged": checks.converged}


def draws_headline(draws, checks: FitChecks | None = None) -> dict[str, Any]:
    """:func:`bayeszoo.api.headline` of the fit these draws become: posterior means of the
    scalar parameters, :func:`checks_fields` (of ``checks`` when already computed),
    elpd_loo and p_loo, timings."""
    post = draws.posterior
    checks = checks if checks is not None else draws_checks_of(draws)
    out: dict[str, Any] = {
        "means": {k: round(float(np.mean(v)), 4) for k, v in post.items()
                  if np.ndim(v) == 2 and k != "Intercept"},
        **checks_fields(checks),
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
