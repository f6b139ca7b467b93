"""The samplers, one module each behind one protocol, registered here.

A backend module has ``run(design, spec, *, chains, draws, tune, seed, target_accept,
dense_mass, progress) -> SamplerResult``: the draws of every site of the
:class:`~bayeszoo.models.spec.ModelSpec` (``chain × draw × ...``), the sample statistics under one
set of names (:data:`STAT_NAMES`), and timings. Everything downstream (naming, InferenceData,
report, CLI) reads only that.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: backend name -> module
BACKENDS: dict[str, str] = {
    "numpyro": "bayeszoo.inference.backends.numpyro",
    "pymc": "bayeszoo.inference.backends.pymc",
    "nutpie": "bayeszoo.inference.backends.nutpie",
}

#: Sample statistics every backend reports: divergent transitions, Hamiltonian energy, tree
#: depth, step size, leapfrog steps, log density, mean acceptance probability.
STAT_NAMES = ("diverging", "energy", "tree_depth", "step_size", "n_steps", "lp",
              "acceptance_rate")


@dataclass
class SamplerResult:
    """What a backend returns. ``mass_matrix`` is the kind of mass matrix the sampler actually
    adapted (``"diagonal"``, ``"dense"`` or ``"low_rank"``); ``info`` holds backend details
    (NumPyro's ``chain_method``)."""

    draws: dict[str, np.ndarray]
    stats: dict[str, np.ndarray]
    compile_seconds: float
    sampling_seconds: float
    mass_matrix: str
    info: dict[str, Any] = field(default_factory=dict)


def get(name: str):
    """The backend module called ``name``."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}")
    return importlib.import_module(BACKENDS[name])


def site_names(spec) -> list[str]:
    return [s.name for s in spec.sites]
