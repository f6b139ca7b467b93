"""One model, many fits: the programs a process compiles once and runs again on new data.

:func:`bayeszoo.sample` and ``update`` fit a model; simulation-based calibration refits it to
hundreds of simulated responses; exact LOO and K-fold refit it without a row or a fold. The data
change, the model's structure (sites, priors, blocks, sampler settings) does not. :func:`program`
asks the backend for the key of that structure
(:meth:`~bayeszoo.inference.backends.Backend.program_key`) and keeps, per process, the
:data:`MAX_KEPT` programs used last under their keys: NumPyro's program
(:mod:`bayeszoo.inference.backends.numpyro`) is traced and compiled once and runs again on new
data without either; PyMC and nutpie have no key (their programs rebuild the model each run,
PyTensor caching the compiled C code on disk). The JAX persistent compilation cache of
:mod:`bayeszoo.runtime` serves every process.
"""

from __future__ import annotations

from collections import OrderedDict

from bayeszoo.design import Design
from bayeszoo.models.spec import ModelSpec

from . import backends
from .backends import Program, SamplerResult, SamplerSettings

#: Compiled programs kept per process (the most recently used).
MAX_KEPT = 4
_PROGRAMS: OrderedDict[str, Program] = OrderedDict()
_COUNTS = {"built": 0, "reused": 0}


def program(backend: str, design: Design, spec: ModelSpec,
            settings: SamplerSettings) -> Program:
    """The program of ``backend`` for the model ``spec`` of ``design``: the one this process
    compiled for the same key if any, else a new one (kept when it has a key)."""
    b = backends.get(backend)
    key = b.program_key(design, spec, settings)
    if key is None:
        return b.compile(design, spec, settings)
    if key in _PROGRAMS:
        _COUNTS["reused"] += 1
    else:
        _PROGRAMS[key] = b.compile(design, spec, settings)
        _COUNTS["built"] += 1
        while len(_PROGRAMS) > MAX_KEPT:
            _PROGRAMS.popitem(last=False)
    _PROGRAMS.move_to_end(key)
    return _PROGRAMS[key]


def program_counts() -> dict[str, int]:
    """How many programs :func:`program` has compiled in this process and how many times it has
    served one already compiled."""
    return dict(_COUNTS)


def run_again(design: Design, spec: ModelSpec, *, backend: str, chains: int, draws: int,
              tune: int, seed: int, target_accept: float, dense_mass: bool,
              progress: bool = False) -> SamplerResult:
    """Sample ``design`` (the model of ``spec``) with ``backend`` and ``seed`` on the
    :func:`program` of its structure."""
    settings = SamplerSettings(chains=int(chains), draws=int(draws), tune=int(tune),
                               target_accept=float(target_accept),
                               dense_mass=bool(dense_mass))
    return program(backend, design, spec, settings).run(int(seed), design, spec,
                                                        progress=progress)
