"""brms's ``fixef``, ``ranef``, ``coef``, ``VarCorr``, ``hypothesis`` and ``pp_check`` of a
multivariate fit (``mvbrmsfit``), through the univariate implementations
(:mod:`bayeszoo.inference.effects`, :mod:`bayeszoo.inference.hypothesis`,
:mod:`bayeszoo.inference.pp_check`) on brms's multivariate names.

A grouping factor's coefficients are those of every response with the response inserted
(``tarsus_Intercept``, ``back_Intercept``, ``sigma_back_Intercept``), in response order, so
``ranef(fit)$fosternest[, , "tarsus_Intercept"]`` is ``fit.ranef()["fosternest"]
["tarsus_Intercept"]``; ``VarCorr`` correlates them across responses
(``cor_fosternest__tarsus_Intercept__back_Intercept``) and its ``"residual__"`` entry holds each
response's residual sd (``sigma_tarsus``, rows the responses) with the residual correlations
(``rescor__tarsus__back``) as ``"cor"`` and ``"cov"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.models.multivariate import insert_response, mv_name

from .effects import GroupTerms, flat, group_terms, sd_cor_entry


def multivariate_group_terms(mspec) -> dict[str, GroupTerms]:
    """Every response's grouping factors joined by factor, coefficients and their posterior
    variables under brms's multivariate names."""
    out: dict[str, GroupTerms] = {}
    for resp, d in zip(mspec.responses, mspec.designs, strict=True):
        dpars = tuple(d.dpars)
        for g, t in group_terms(d).items():
            joined = out.setdefault(g, GroupTerms(t.levels, [], []))
            if joined.levels != t.levels:
                raise ValueError(f"grouping factor {g!r} has other levels in response {resp!r}")
            joined.coefs.extend(insert_response(c, resp, dpars) for c in t.coefs)
            joined.sources.extend((mv_name(name, resp, dpars), j) for name, j in t.sources)
    return out


def residual_entry(posterior: Mapping[str, Any], mspec) -> dict[str, pd.DataFrame] | None:
    """``VarCorr``'s ``"residual__"``: the residual sds of the responses whose family has one
    without a formula of its own, with the residual correlations; ``None`` without any."""
    names = [r for r, d in zip(mspec.responses, mspec.designs, strict=True)
             if f"sigma_{r}" in posterior and "sigma" not in d.dpars]
    if not names:
        return None
    sd = np.stack([flat(posterior, f"sigma_{r}") for r in names], axis=-1)
    return sd_cor_entry(posterior, sd, names, "rescor")


def response_name(fit, resp: str | None) -> str:
    """``resp``, checked; brms's ``pp_check`` of a multivariate model needs one."""
    if resp is None:
        raise ValueError(f"a multivariate fit needs resp= (one of {list(fit.responses)})")
    fit.resp_index(resp)
    return resp


def replicates(fit, resp: str, ndraws: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(y, yrep)`` of response ``resp``: its observed values and ``ndraws`` draws of
    replicated data (all without ``ndraws``), as brms's ``pp_check(fit, resp = )``."""
    from .pp_check import choose_draws

    y = np.asarray(fit.observed_data[resp].values, dtype=float)
    return y, choose_draws(fit.posterior_predict(resp=resp, seed=seed), ndraws, seed)
