"""The samplers: one module each, declaring a :class:`Backend`, and the registry that names them.

A backend module defines ``BACKEND``, an object with the :class:`Backend` protocol: its
``name``, the ``packages`` whose versions a fit records, what it can fit
(``samples_networks``), and ``compile(design, spec, settings)``, which returns a
:class:`Program`. A program runs for a seed (and, given a design of the same structure, on new
data) and returns a :class:`SamplerResult`: the draws of every site of the
:class:`~bayeszoo.models.spec.ModelSpec` (``chain × draw × ...``), the sample statistics under
one set of names (:data:`STAT_NAMES`) and timings. Everything downstream (naming,
InferenceData, report, CLI) reads only that.

:data:`BACKENDS` maps each name to its module; :func:`bayeszoo.sample`'s checks and recorded
versions, the command line's ``--backend`` choices and the zoo's default backends all read it,
so adding a backend is one module and one line here. Nothing here imports a third-party
library: the registry is read by the command line before any sampler is needed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from bayeszoo.design import Design
    from bayeszoo.models.spec import ModelSpec

#: backend name -> module defining ``BACKEND``
BACKENDS: dict[str, str] = {
    "numpyro": "bayeszoo.inference.backends.numpyro",
    "pymc": "bayeszoo.inference.backends.pymc",
    "nutpie": "bayeszoo.inference.backends.nutpie",
    "blackjax": "bayeszoo.inference.backends.blackjax",
}

#: Packages every fit records the versions of, whatever its backend.
COMMON_PACKAGES = ("bayeszoo", "numpy", "arviz")

#: Sample statistics every backend reports: divergent transitions, Hamiltonian energy, tree
#: depth, step size, leapfrog steps, log density, mean acceptance probability.
STAT_NAMES = ("diverging", "energy", "tree_depth", "step_size", "n_steps", "lp",
              "acceptance_rate")


@dataclass
class SamplerResult:
    """What a program returns. ``mass_matrix`` is the kind of mass matrix the sampler actually
    adapted (``"diagonal"``, ``"dense"`` or ``"low_rank"``); ``info`` holds backend details
    (NumPyro's ``chain_method``)."""

    draws: dict[str, np.ndarray]
    stats: dict[str, np.ndarray]
    compile_seconds: float
    sampling_seconds: float
    mass_matrix: str
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS settings a program is compiled for: ``chains``, ``draws`` kept per chain after
    ``tune`` warm-up iterations, the step size adaptation's ``target_accept`` and whether a
    dense mass matrix is adapted."""

    chains: int
    draws: int
    tune: int
    target_accept: float
    dense_mass: bool


class Program(Protocol):
    """A model compiled by a backend for one :class:`SamplerSettings`."""

    def run(self, seed: int, design: Design | None = None, spec: ModelSpec | None = None,
            progress: bool = False) -> SamplerResult:
        """Sample with ``seed``: the compiled design, or ``design`` (with its ``spec``), new data
        of the same structure; ``progress``: show a bar (:mod:`bayeszoo.progress`)."""
        ...


class Backend(Protocol):
    """A sampler: ``name`` (its key in :data:`BACKENDS`), ``packages`` (whose versions a fit
    records), ``samples_networks`` (whether it can sample an ``nn()`` term)."""

    name: str
    packages: tuple[str, ...]
    samples_networks: bool

    def compile(self, design: Design, spec: ModelSpec, settings: SamplerSettings) -> Program:
        """The program sampling the model ``spec`` of ``design`` with ``settings``."""
        ...

    def program_key(self, design: Design, spec: ModelSpec,
                    settings: SamplerSettings) -> str | None:
        """A name for the program of ``spec`` on ``design``: equal keys mean one compiled
        program serves both; ``None`` where each run rebuilds its model (nothing to reuse)."""
        ...


def names() -> tuple[str, ...]:
    """The registered backends' names."""
    return tuple(BACKENDS)


def check_name(name: str) -> None:
    """``ValueError`` listing the registered backends unless ``name`` is one."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}")


def get(name: str) -> Backend:
    """The backend called ``name``."""
    check_name(name)
    return importlib.import_module(BACKENDS[name]).BACKEND


def able(networks: bool = False) -> tuple[str, ...]:
    """The registered backends that can fit a model with (``networks``) or without a network
    term."""
    return tuple(n for n in BACKENDS if not networks or get(n).samples_networks)


def packages(name: str) -> tuple[str, ...]:
    """The packages whose versions a fit by backend ``name`` records."""
    return (*COMMON_PACKAGES, *get(name).packages)


def check_fits(name: str, design: Design) -> Backend:
    """The backend ``name``; ``ValueError`` naming the term and the backends that can fit it
    when it cannot sample ``design`` (a network term)."""
    backend = get(name)
    if not backend.samples_networks:
        for blk in (b for d in design.predictors for b in d.blocks):
            if blk.computes_contribution:
                can = " or ".join(f"backend={n!r}" for n in able(networks=True))
                raise ValueError(f"{blk.term}: backend {name!r} cannot sample a neural-network "
                                 f"term; sample it with {can}")
    return backend


def site_names(spec: ModelSpec) -> list[str]:
    return [s.name for s in spec.sites]
