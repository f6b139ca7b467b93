"""brms's ``update(fit, ...)``: the same model on new data, with other priors, or another formula.

:func:`update` follows ``update.brmsfit``: what is not given is the fit's (formula, family,
priors, chains, draws, warm-up, seed, sampler settings); ``newdata`` replaces the data, and as
in brms the data-dependent default priors are not recomputed from it (the fit's priors are kept,
``priors=`` overrides them one key at a time). A new ``formula`` rebuilds the model; the fit's
priors carry over to the parameters it still has.

The model is sampled by :func:`bayeszoo.inference.repeated.run_again` on the program of its
structure (for NumPyro, :meth:`~bayeszoo.inference.backends.numpyro.NumpyroBackend.program_key`:
the family, every site with its shape and prior, the block structures with their constants (a
smooth's penalties, a GP's points), the shapes of the data arrays and the sampler settings). A
model of the same shape (same formula and priors; new data whose arrays have the same shapes:
the same rows, or for the Gaussian, Poisson and binomial families summarized by sufficient
statistics any rows with the same columns and group levels) runs the NumPyro program compiled
once in this process (by :func:`bayeszoo.sample` for the fit, or an earlier update) without
tracing or compiling it again; anything else compiles its own (smooths and GPs set their bases
up from the data, as brms does, so new covariate values give them new penalties and a new
program).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pandas as pd

from bayeszoo.design import Design
from bayeszoo.formula import as_design
from bayeszoo.models.spec import model_spec

from .sampling import (
    check_args,
    checked_spec,
    model_formula,
    named_draws,
)


def fit_settings(attrs: dict[str, Any]) -> dict[str, Any]:
    """The sampler settings stored in a fit's ``attrs``."""
    missing = [k for k in ("backend", "chains", "draws", "tune", "seed", "priors")
               if k not in attrs]
    if missing:
        raise ValueError(f"this fit lacks attrs {missing}: update needs a fit made by "
                         "bayeszoo.sample, bayeszoo.fit or bayeszoo.load")
    return {"backend": str(attrs["backend"]), "chains": int(attrs["chains"]),
            "draws": int(attrs["draws"]), "tune": int(attrs["tune"]), "seed": int(attrs["seed"]),
            "target_accept": float(attrs.get("target_accept", 0.8)),
            "dense_mass": bool(int(attrs.get("dense_mass", 0)))}


def carried_priors(old: dict[str, str], new: dict[str, Any] | None, design: Design,
                   parameterization: str) -> dict[str, Any]:
    """brms's prior rule of ``update``: ``new`` over the fit's ``old`` priors, the old ones kept
    only for parameters the (possibly new) model still has."""
    names = set(model_spec(design, None, parameterization).priors)
    return {**{k: v for k, v in old.items() if k in names}, **(new or {})}


def update(fit, newdata: pd.DataFrame | None = None, formula: Any = None,
           priors: dict[str, Any] | None = None, chains: int | None = None,
           draws: int | None = None, tune: int | None = None, seed: int | None = None,
           **options: Any):
    """brms's ``update(fit, formula., newdata, prior, chains, iter, warmup, seed, ...)`` (see
    the module doc): a new :class:`~bayeszoo.inference.fit.Fit`. ``options``:
    ``target_accept``, ``dense_mass``, ``backend``, ``family``, ``parameterization``,
    ``na_action``, ``knots`` and ``log_likelihood`` as in :func:`bayeszoo.sample`."""
    from bayeszoo.diagnostics import warn_fit

    from .fit_checks import idata_checks
    from .repeated import run_again

    allowed = {"target_accept", "dense_mass", "backend", "family", "parameterization",
               "na_action", "knots", "log_likelihood"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"update() got unknown argument(s) {unknown}; it takes newdata, "
                        f"formula, priors, chains, draws, tune, seed and {sorted(allowed)}")
    t0 = time.perf_counter()
    attrs = fit.attrs
    settings = fit_settings(attrs)
    given = {"chains": chains, "draws": draws, "tune": tune, "seed": seed,
             **{k: options[k] for k in ("backend", "target_accept", "dense_mass")
                if k in options}}
    settings.update({k: v for k, v in given.items() if v is not None})
    parameterization = options.get("parameterization",
                                   str(attrs.get("parameterization", "noncentered")))
    check_args(settings["backend"], settings["chains"], settings["draws"], settings["tune"],
               settings["target_accept"], settings["seed"], parameterization,
               settings["dense_mass"])
    log_likelihood = options.get("log_likelihood", "log_likelihood" in fit.groups())
    family = options.get("family", fit.family)
    if formula is None and newdata is None and "family" not in options:
        design = fit.design
    else:
        data = fit.design.data if newdata is None else newdata
        design = as_design(model_formula(fit.design) if formula is None else formula, data,
                           family, options.get("na_action", "raise"), options.get("knots"))
    merged = carried_priors(json.loads(attrs["priors"]), priors, design, parameterization)
    spec = checked_spec(design, merged, parameterization, settings["chains"],
                        settings["draws"], log_likelihood)
    result = run_again(design, spec, **settings)
    given = {**json.loads(attrs.get("priors_given", "{}")), **(priors or {})}
    draws_ = named_draws(design, spec, result, settings, log_likelihood, t0,
                         priors={k: v for k, v in given.items() if k in merged})
    out = draws_.inference_data()
    out.attrs["total_seconds"] = round(time.perf_counter() - t0, 3)
    warn_fit(idata_checks(out))
    return out
