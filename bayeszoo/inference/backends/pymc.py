"""NUTS in PyMC (``pm.sample``, one process per core). Its program rebuilds the PyMC model on
every run (PyTensor caches the compiled C code on disk)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bayeszoo.design import Design
from bayeszoo.models.spec import ModelSpec

from . import SamplerResult, SamplerSettings, site_names

RENAMES = {"diverging": "diverging", "energy": "energy", "tree_depth": "tree_depth",
           "step_size": "step_size", "n_steps": "n_steps", "lp": "lp",
           "acceptance_rate": "acceptance_rate"}


def from_trace(trace, spec: ModelSpec, renames: dict[str, str]) -> tuple[dict, dict]:
    """Site draws and renamed sample statistics of a PyMC/nutpie InferenceData."""
    post = trace.posterior
    draws = {k: np.asarray(post[k].values) for k in site_names(spec)}
    ss = trace.sample_stats
    stats = {ours: np.asarray(ss[theirs].values) for ours, theirs in renames.items()
             if theirs in ss}
    stats["diverging"] = stats["diverging"].astype(bool)
    return draws, stats


@dataclass
class RebuildingProgram:
    """A program that builds its model again on each run: ``sample(design, spec, settings,
    seed, progress)`` does everything."""

    design: Design
    spec: ModelSpec
    settings: SamplerSettings
    sample: Callable[..., SamplerResult]

    def run(self, seed: int, design: Design | None = None, spec: ModelSpec | None = None,
            progress: bool = False) -> SamplerResult:
        """Sample ``design`` (default: the compiled one) with ``seed``."""
        if design is None:
            design, spec = self.design, self.spec
        return self.sample(design, spec or self.spec, self.settings, seed, progress)


def sample(design: Design, spec: ModelSpec, settings: SamplerSettings, seed: int,
           progress: bool) -> SamplerResult:
    """``pm.sample`` on the PyMC model of ``spec``, started by ``pm.init_nuts``."""
    import pymc as pm

    from bayeszoo.models.pymc import build_pymc
    from bayeszoo.progress import shown

    s = settings
    t0 = time.perf_counter()
    built = build_pymc(design, spec=spec)
    built.model.logp_dlogp_function(ravel_inputs=True)  # compile (pytensor caches the C code)
    t1 = time.perf_counter()
    cores = min(s.chains, os.cpu_count() or 1)
    with built.model:
        initvals, step = pm.init_nuts(
            init="jitter+adapt_full" if s.dense_mass else "jitter+adapt_diag", chains=s.chains,
            random_seed=seed, target_accept=s.target_accept, progressbar=False)
        trace = pm.sample(draws=s.draws, tune=s.tune, chains=s.chains, cores=cores,
                          random_seed=seed, step=step, initvals=initvals,
                          progressbar=shown(progress), compute_convergence_checks=False,
                          return_inferencedata=True, idata_kwargs={"log_likelihood": False})
    t2 = time.perf_counter()
    samples, stats = from_trace(trace, spec, RENAMES)
    kind = "dense" if type(step.potential).__name__.startswith("QuadPotentialFull") \
        else "diagonal"
    return SamplerResult(draws=samples, stats=stats, compile_seconds=t1 - t0,
                         sampling_seconds=t2 - t1, mass_matrix=kind)


class PymcBackend:
    """PyMC's NUTS on :func:`bayeszoo.models.pymc.build_pymc`'s model (no network terms:
    PyTensor has no forward pass for them)."""

    name = "pymc"
    packages = ("pymc", "pytensor")
    samples_networks = False

    def compile(self, design: Design, spec: ModelSpec,
                settings: SamplerSettings) -> RebuildingProgram:
        return RebuildingProgram(design, spec, settings, sample)

    def program_key(self, design: Design, spec: ModelSpec,
                    settings: SamplerSettings) -> None:
        return None


BACKEND = PymcBackend()
