"""A fit's :class:`~bayeszoo.diagnostics.FitChecks` (divergences, transitions at the maximum tree
depth, max R-hat, min bulk ESS, ill-scaled fixed-effect columns), from the arrays of a
:class:`~bayeszoo.inference.sampling.PosteriorDraws` or from an InferenceData.

Both read the same numbers through :mod:`bayeszoo.inference.convergence` (ArviZ's rank-normalized
split R-hat and bulk ESS; with one chain, the split R-hat of its two halves as R's ``posterior``
and brms print it), so ``bayeszoo fit``, :func:`bayeszoo.sample`, the headline and the report
judge a fit alike. A fit with a network term is judged in function space
(:mod:`bayeszoo.inference.function_space`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bayeszoo.diagnostics import MAX_TREE_DEPTH, FitChecks, ill_scaled_columns

from .convergence import as_series, ess_bulk_series, rhat_series


def extreme(values: np.ndarray, reduce) -> float:
    """``reduce`` (``np.nanmax``/``np.nanmin``) of ``values`` ignoring NaN; NaN when all are."""
    values = np.asarray(values, dtype=float)
    return float(reduce(values)) if np.any(~np.isnan(values)) else float("nan")


def draws_checks(posterior: Mapping[str, np.ndarray], stats: Mapping[str, np.ndarray],
                 attrs: Mapping[str, Any], X=None, column_names=(),
                 function_space: bool = False) -> FitChecks:
    """:class:`FitChecks` of ``chain × draw × ...`` draws, the sample ``stats`` (``diverging``,
    ``tree_depth``), the fit's ``attrs`` (``parameterization``, ``target_accept``) and its
    fixed-effect matrix ``X`` with ``column_names``."""
    x = np.concatenate([as_series(v)[0] for v in posterior.values()], axis=0)
    diverging = stats.get("diverging")
    depth = stats.get("tree_depth")
    return FitChecks(
        chains=int(x.shape[1]), draws=int(x.shape[2]),
        divergences=None if diverging is None else int(np.sum(diverging)),
        tree_depth_hits=None if depth is None else int(np.sum(np.asarray(depth)
                                                              >= MAX_TREE_DEPTH)),
        max_rhat=extreme(rhat_series(x), np.nanmax),
        min_ess_bulk=extreme(ess_bulk_series(x), np.nanmin),
        parameterization=str(attrs.get("parameterization", "noncentered")),
        target_accept=float(attrs.get("target_accept", 0.8)),
        ill_scaled={} if X is None else ill_scaled_columns(X, column_names),
        function_space=function_space)


def idata_checks(idata) -> FitChecks:
    """:func:`draws_checks` of a fit made by :func:`bayeszoo.sample` (or loaded)."""
    from .function_space import diagnostic_posterior, network_blocks

    judged = diagnostic_posterior(idata)
    posterior = {str(k): np.asarray(v.transpose("chain", "draw", ...).values)
                 for k, v in judged.data_vars.items()}
    stats = {} if "sample_stats" not in idata.groups() else \
        {k: np.asarray(idata.sample_stats[k].values) for k in ("diverging", "tree_depth")
         if k in idata.sample_stats}
    X, names = None, ()
    if "constant_data" in idata.groups() and "design__X" in idata.constant_data:
        X = idata.constant_data["design__X"].values
        names = [str(c) for c in idata.constant_data["design__X"].coords["design__column"].values]
    return draws_checks(posterior, stats, idata.attrs, X, names,
                        function_space=bool(network_blocks(idata)))
