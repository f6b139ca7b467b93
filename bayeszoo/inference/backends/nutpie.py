"""nutpie (Rust NUTS) on the PyMC model; ``dense_mass`` selects its low-rank modified mass
matrix."""

from __future__ import annotations

import os
import time

from . import SamplerResult
from .pymc import from_trace

RENAMES = {"diverging": "diverging", "energy": "energy", "tree_depth": "depth",
           "step_size": "step_size", "n_steps": "n_steps", "lp": "logp",
           "acceptance_rate": "mean_tree_accept"}


def run(design, spec, *, chains, draws, tune, seed, target_accept, dense_mass,
        progress) -> SamplerResult:
    import nutpie

    from bayeszoo.models.pymc import build_pymc
    from bayeszoo.progress import shown

    t0 = time.perf_counter()
    built = build_pymc(design, spec=spec)
    compiled = nutpie.compile_pymc_model(built.model)
    t1 = time.perf_counter()
    trace = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains,
                          cores=min(chains, os.cpu_count() or 1), seed=seed,
                          progress_bar=shown(progress), target_accept=target_accept,
                          low_rank_modified_mass_matrix=dense_mass, store_mass_matrix=True,
                          save_warmup=False)
    t2 = time.perf_counter()
    samples, stats = from_trace(trace, spec, RENAMES)
    kind = "low_rank" if "mass_matrix_eigvals" in trace.sample_stats else "diagonal"
    return SamplerResult(draws=samples, stats=stats, compile_seconds=t1 - t0,
                         sampling_seconds=t2 - t1, mass_matrix=kind)
