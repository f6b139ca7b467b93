"""``bayeszoo run``, the main job: each zoo model, its REML twin and its headline, fitted in this
process or in spawned worker processes with one progress line per finished model, then one
PSIS-LOO comparison per dataset, the HTML report and the JSON result line (:func:`run_main_job`).

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
from pathlib import Path
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


def progress_reporter(backend: str, n: int, quiet: bool, meter) -> Callable[[int, ModelRun], None]:
    """The ``on_done`` of :func:`fit_models` for the main job: advance ``meter``, print the
    model's line (formula, seconds, elpd_loo, REML edf) unless ``quiet``, and warn of its
    failures, sampler problems and a REML twin that did not converge."""
    import sys

    from bayeszoo.cli_args import diagnostic_warnings, warn
    from bayeszoo.inference.fit_checks import idata_checks
    from bayeszoo.models import zoo

    def done(i: int, run: ModelRun) -> None:
        meter.update(1)
        for step, message, trace in run.failures:
            warn(f"{run.name}: {step} failed: {message}")
            if not quiet and step == "sampling":
                print(trace, file=sys.stderr)
        if run.idata is None:
            return
        h = run.head
        if not quiet:
            print(f"[{i}/{n}] {run.name}: {zoo.get(run.name).formula}\n"
                  f"      {backend}: {run.seconds:.1f} s (compile "
                  f"{h.get('compile_seconds', float('nan')):.1f} s), elpd_loo "
                  f"{h.get('elpd_loo')}, p_loo {h.get('p_loo')}"
                  + (f"; REML edf_total {run.reml.edf_total:.2f}" if run.reml is not None
                     else ""), flush=True)
        for w in diagnostic_warnings(run.name, idata_checks(run.idata)):
            warn(w)
        if run.reml is not None and not run.reml.converged:
            warn(f"{run.name} (REML): {run.reml.convergence_message}")

    return done


def compare_by_dataset(runs: dict[str, ModelRun], failed: list[str]) -> dict[str, Any]:
    """One PSIS-LOO comparison table (:func:`bayeszoo.inference.compare.compare`, with the REML
    twins) per dataset that two or more sampled models share; a comparison that fails is
    warned of and appended to ``failed``."""
    from bayeszoo.cli_args import warn
    from bayeszoo.inference.compare import compare
    from bayeszoo.models import zoo

    by_data: dict[str, list[str]] = {}
    for name, run in runs.items():
        if run.idata is not None:
            by_data.setdefault(zoo.get(name).dataset, []).append(name)
    tables = {}
    for dataset, members in by_data.items():
        if len(members) < 2:
            continue
        try:
            tables[dataset] = compare({m: runs[m].idata for m in members},
                                      reml={m: runs[m].reml for m in members
                                            if runs[m].reml is not None})
        except Exception as exc:  # noqa: BLE001 - the main job reports every failure and goes on
            failed.append(f"compare {dataset}")
            warn(f"comparison of {members} failed: {type(exc).__name__}: {exc}")
    return tables


def model_row(run: ModelRun) -> dict[str, Any]:
    """A sampled model's entry of the JSON line: elpd_loo, p_loo, max R-hat, divergences,
    ``converged``, sampling seconds, and the REML twin's edf total and score when it has one."""
    h = run.head
    row = {"elpd_loo": h.get("elpd_loo"), "p_loo": h.get("p_loo"), "max_rhat": h["max_rhat"],
           "divergences": h["divergences"], "converged": h["converged"], "seconds": run.seconds}
    if run.reml is not None:
        row["reml_edf_total"] = round(float(run.reml.edf_total), 3)
        row["reml_score"] = round(float(run.reml.reml_score), 3)
    return row


def run_main_job(models: Sequence[str], backend: str, sampler_options: dict[str, Any],
                 workers: int | None, output: str | os.PathLike, quiet: bool) -> int:
    """Fit ``models`` (zoo names) with ``backend`` in ``workers`` processes (default
    :func:`default_workers`), compare them per dataset, write the HTML report to ``output`` and
    print the JSON line (``models``, ``failed``, ``report``, ``seconds``). Every failed step
    (a model's sampling or REML twin, a comparison, the report) is warned of and the job goes
    on. Returns the exit status: 0, or 1 when a step failed."""
    from bayeszoo.cli_args import print_result, print_table, warn
    from bayeszoo.progress import bar
    from bayeszoo.reports import report

    t0 = time.perf_counter()
    n = len(models)
    workers = workers or default_workers(n)
    if not quiet:
        print(f"fitting {n} model(s) with {backend}"
              + (f" in {workers} worker processes" if workers > 1 else ""), flush=True)
    with bar(n, "bayeszoo run", "model", not quiet) as meter:
        runs = fit_models(models, backend, sampler_options, workers,
                          progress_reporter(backend, n, quiet, meter))
    failed = [name if step == "sampling" else f"{name} (REML)"
              for name, r in runs.items() for step, _, _ in r.failures]
    tables = compare_by_dataset(runs, failed)
    for dataset, table in tables.items():
        print(f"\nPSIS-LOO comparison, {dataset}:")
        print_table(table)

    sampled = {name: r for name, r in runs.items() if r.idata is not None}
    result: dict[str, Any] = {"models": {}, "failed": failed}
    if sampled:
        out = Path(output)
        try:
            titled = {f"{d}: {', '.join(t.index)}": t for d, t in tables.items()}
            report({name: r.idata for name, r in sampled.items()}, out, comparison=titled,
                   reml={name: r.reml for name, r in sampled.items() if r.reml is not None})
            result["report"] = str(out)
            print(f"\nreport written to {out}")
        except Exception as exc:  # noqa: BLE001
            failed.append("report")
            warn(f"report failed: {type(exc).__name__}: {exc}")
            traceback.print_exc()
    result["models"] = {name: model_row(r) for name, r in sampled.items()}
    result["seconds"] = round(time.perf_counter() - t0, 1)
    if failed:
        warn(f"{len(failed)} step(s) failed: {', '.join(failed)}")
    print_result(result)
    return 0 if not failed else 1
