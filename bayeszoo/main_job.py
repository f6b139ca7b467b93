"""The fits of ``bayeszoo run``: each zoo model, its REML twin and its headline, in this process
or in spawned worker processes, with one progress line per finished model.

A fit spends much of its time in work that uses one core (tracing and lowering the sampler,
loading it from the compilation cache, REML, PSIS-LOO), so two models fitted side by side keep
both cores of a small machine busy where one after the other leaves one idle
(``benchmarks/RESULTS_latency.md``: 90 s against 111 s for the default main job on two
cores). Workers are spawned, not forked: JAX is
not fork-safe. Each worker fits quietly; only the parent prints.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ModelRun:
    """One zoo model's part of the main job: its fit (an InferenceData), REML twin (a
    ``RemlFit`` or ``None``), headline (:func:`bayeszoo.api.headline`), wall seconds of the
    sampling, and the failures (``(step, message, traceback)``) that left a part missing."""

    name: str
    idata: Any = None
    reml: Any = None
    head: dict | None = None
    seconds: float | None = None
    failures: list[tuple[str, str, str]] = field(default_factory=list)


def default_workers(n_models: int) -> int:
    """One worker per core, no more than there are models."""
    return max(1, min(os.cpu_count() or 1, n_models))


def fit_model(name: str, backend: str, sampler_options: dict[str, Any]) -> ModelRun:
    """Sample zoo model ``name`` (:func:`bayeszoo.api.fit`) and compute its headline; a failure
    is recorded in ``failures``, not raised. Its sampler warnings are left to the parent,
    which prints them naming the model."""
    import warnings

    from bayeszoo.api import fit, headline
    from bayeszoo.diagnostics import SamplerWarning

    run = ModelRun(name)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplerWarning)
            run.idata = fit(name, backend=backend, **sampler_options)
    except Exception as exc:  # noqa: BLE001 - the main job reports every failure and goes on
        run.failures.append(("sampling", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        return run
    run.seconds = round(time.perf_counter() - t0, 2)
    run.head = headline(run.idata)
    return run


def add_reml_twin(run: ModelRun) -> None:
    """Fit the REML twin of a sampled model that has one (:func:`bayeszoo.api.fit_reml`). Done
    in the parent process: REML takes milliseconds to a second, and its fits hold the family's
    functions, which do not travel between processes."""
    from bayeszoo.api import fit_reml
    from bayeszoo.models import zoo

    if run.idata is None or not zoo.get(run.name).reml_formula:
        return
    try:
        run.reml = fit_reml(run.name)
    except Exception as exc:  # noqa: BLE001
        run.failures.append(("REML twin", f"{type(exc).__name__}: {exc}", traceback.format_exc()))


def fit_models(names: Sequence[str], backend: str, sampler_options: dict[str, Any],
               workers: int, on_done: Callable[[int, ModelRun], None]) -> dict[str, ModelRun]:
    """:func:`fit_model` for every name, in ``workers`` spawned processes (here, in order, when
    ``workers`` is 1), then :func:`add_reml_twin` here. ``on_done(i, run)`` is called in this
    process as the i-th model finishes. Returns the runs in the order of ``names``."""
    runs: dict[str, ModelRun] = {}

    def finished(i: int, run: ModelRun) -> None:
        add_reml_twin(run)
        runs[run.name] = run
        on_done(i, run)

    if workers <= 1:
        for i, name in enumerate(names, 1):
            finished(i, fit_model(name, backend, sampler_options))
    else:
        quiet = {**sampler_options, "progress": False}
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(fit_model, name, backend, quiet) for name in names]
            for i, future in enumerate(as_completed(futures), 1):
                finished(i, future.result())
    return {name: runs[name] for name in names}
