"""nutpie (Rust NUTS) on the PyMC model; ``dense_mass`` selects its low-rank modified mass
matrix. Its program rebuilds and compiles the model on every run."""

from __future__ import annotations

import os
import time

from bayeszoo.design import Design
from bayeszoo.models.spec import ModelSpec

from . import SamplerResult, SamplerSettings
from .pymc import RebuildingProgram, from_trace

RENAMES = {"diverging": "diverging", "energy": "energy", "tree_depth": "depth",
           "step_size": "step_size", "n_steps": "n_steps", "lp": "logp",
           "acceptance_rate": "mean_tree_accept"}


def sample(design: Design, spec: ModelSpec, settings: SamplerSettings, seed: int,
           progress: bool) -> SamplerResult:
    """``nutpie.sample`` on the compiled PyMC model of ``spec``."""
    import nutpie

    from bayeszoo.models.pymc import build_pymc
    from bayeszoo.progress import shown

    s = settings
    t0 = time.perf_counter()
    built = build_pymc(design, spec=spec)
    compiled = nutpie.compile_pymc_model(built.model)
    t1 = time.perf_counter()
    trace = nutpie.sample(compiled, draws=s.draws, tune=s.tune, chains=s.chains,
                          cores=min(s.chains, os.cpu_count() or 1), seed=seed,
                          progress_bar=shown(progress), target_accept=s.target_accept,
                          low_rank_modified_mass_matrix=s.dense_mass, store_mass_matrix=True,
                          save_warmup=False)
    t2 = time.perf_counter()
    samples, stats = from_trace(trace, spec, RENAMES)
    kind = "low_rank" if "mass_matrix_eigvals" in trace.sample_stats else "diagonal"
    return SamplerResult(draws=samples, stats=stats, compile_seconds=t1 - t0,
                         sampling_seconds=t2 - t1, mass_matrix=kind)


class NutpieBackend:
    """nutpie on the PyMC model (no network terms)."""

    name = "nutpie"
    packages = ("nutpie", "pymc", "pytensor", "numba")
    samples_networks = False

    def compile(self, design: Design, spec: ModelSpec,
                settings: SamplerSettings) -> RebuildingProgram:
        return RebuildingProgram(design, spec, settings, sample)

    def program_key(self, design: Design, spec: ModelSpec,
                    settings: SamplerSettings) -> None:
        return None


BACKEND = NutpieBackend()
