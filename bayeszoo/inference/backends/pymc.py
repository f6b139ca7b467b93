"""NUTS in PyMC (``pm.sample``, one process per core)."""

from __future__ import annotations

import os
import time

import numpy as np

from . import SamplerResult, site_names

RENAMES = {"diverging": "diverging", "energy": "energy", "tree_depth": "tree_depth",
           "step_size": "step_size", "n_steps": "n_steps", "lp": "lp",
           "acceptance_rate": "acceptance_rate"}


def from_trace(trace, spec, renames: dict[str, str]) -> tuple[dict, dict]:
    """Site draws and renamed sample statistics of a PyMC/nutpie InferenceData."""
    post = trace.posterior
    draws = {k: np.asarray(post[k].values) for k in site_names(spec)}
    ss = trace.sample_stats
    stats = {ours: np.asarray(ss[theirs].values) for ours, theirs in renames.items()
             if theirs in ss}
    stats["diverging"] = stats["diverging"].astype(bool)
    return draws, stats


def run(design, spec, *, chains, draws, tune, seed, target_accept, dense_mass,
        progress) -> SamplerResult:
    import pymc as pm

    from bayeszoo.models.pymc import build_pymc
    from bayeszoo.progress import shown

    t0 = time.perf_counter()
    built = build_pymc(design, spec=spec)
    built.model.logp_dlogp_function(ravel_inputs=True)  # compile (pytensor caches the C code)
    t1 = time.perf_counter()
    cores = min(chains, os.cpu_count() or 1)
    with built.model:
        initvals, step = pm.init_nuts(
            init="jitter+adapt_full" if dense_mass else "jitter+adapt_diag", chains=chains,
            random_seed=seed, target_accept=target_accept, progressbar=False)
        trace = pm.sample(draws=draws, tune=tune, chains=chains, cores=cores, random_seed=seed,
                          step=step, initvals=initvals, progressbar=shown(progress),
                          compute_convergence_checks=False, return_inferencedata=True,
                          idata_kwargs={"log_likelihood": False})
    t2 = time.perf_counter()
    samples, stats = from_trace(trace, spec, RENAMES)
    kind = "dense" if type(step.potential).__name__.startswith("QuadPotentialFull") \
        else "diagonal"
    return SamplerResult(draws=samples, stats=stats, compile_seconds=t1 - t0,
                         sampling_seconds=t2 - t1, mass_matrix=kind)
