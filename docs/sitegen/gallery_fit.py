"""Make the zoo gallery's missing figures: the first step of ``make docs``.

Every zoo model whose figures are not in the gallery cache under its current key
(:mod:`gallery_cache`) is fitted with NumPyro at the gallery's settings
(:data:`gallery_cache.SETTINGS`: 2 chains x 500 warm-up + 500 draws) and drawn
(:mod:`gallery_figures`: the fitted function with its band, or the partial pooling, and the
posterior predictive check). The fits run in spawned
worker processes (JAX is not fork-safe), one per core by default, with one progress line per
model; a cached model is not refitted. A model whose fit or figures fail fails the step, named,
after the others are done and cached.

Run ``python docs/sitegen/gallery_fit.py [MODEL ...] [--workers N]`` (every model when none
is named); ``make docs`` runs it for every model, ``make docs-gallery MODELS="a b"`` for some.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gallery_cache as gc
import gallery_figures
from public import ROOT


@dataclass
class Job:
    """One model to draw: its name, cache key and the inputs of the key."""

    name: str
    key: str
    inputs: dict[str, str]


@dataclass
class Outcome:
    """What drawing a model gave: the manifest written, or the error and its traceback."""

    name: str
    manifest: dict[str, Any] | None = None
    error: str | None = None
    trace: str | None = None


def draw_figures(name: str, settings: dict[str, Any], out: Path) -> dict[str, Any]:
    """Fit zoo model ``name`` with ``settings`` and write its figures into ``out``; returns
    the figure files and the sampler warnings of the fit."""
    import warnings

    import bayeszoo as bz
    from bayeszoo import zoo

    options = {k: v for k, v in settings.items() if k != "backend"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", bz.SamplerWarning)
        fit = bz.fit(name, backend=settings["backend"], progress=False, **options)
    return {"figures": gallery_figures.draw(fit, zoo.get(name), out),
            "sampler_warnings": sorted({str(w.message) for w in caught
                                        if issubclass(w.category, bz.SamplerWarning)})}


def make_model(job: Job, draw: Callable[[str, dict, Path], dict] | None = None) -> Outcome:
    """Draw ``job``'s figures into a staging directory and publish them with their manifest
    (:func:`gallery_cache.publish`); a failure is returned, not raised."""
    if ROOT.as_posix() not in sys.path:
        sys.path.insert(0, ROOT.as_posix())
    staging = gc.cache_root() / job.name / f".staging-{job.key}-{os.getpid()}"
    t0 = time.perf_counter()
    try:
        staging.mkdir(parents=True, exist_ok=True)
        made = (draw or draw_figures)(job.name, gc.SETTINGS, staging)
        manifest = {**made, "seconds": round(time.perf_counter() - t0, 1), "key": job.key,
                    "inputs": job.inputs}
        (staging / gc.MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
        gc.publish(staging, job.name, job.key)
        return Outcome(job.name, manifest=manifest)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, named, at the end
        shutil.rmtree(staging, ignore_errors=True)
        return Outcome(job.name, error=f"{type(exc).__name__}: {exc}",
                       trace=traceback.format_exc())


def jobs(names: Sequence[str]) -> tuple[list[Job], list[str]]:
    """The models of ``names`` whose figures are missing from the cache, and those cached."""
    from bayeszoo import zoo

    todo, have = [], []
    for name in names:
        inputs = gc.key_inputs(zoo.get(name))
        key = gc.cache_key(inputs)
        if gc.cached(name, key) is None:
            todo.append(Job(name, key, inputs))
        else:
            have.append(name)
    return todo, have


def run_jobs(todo: Sequence[Job], workers: int,
             draw: Callable[[str, dict, Path], dict] | None = None) -> list[Outcome]:
    """:func:`make_model` for every job, in ``workers`` spawned processes (here, in order,
    when ``workers`` is 1), printing a line per finished model."""
    outcomes: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        head = f"[{len(outcomes)}/{len(todo)}] {outcome.name}:"
        if outcome.manifest is None:
            print(f"{head} FAILED: {outcome.error}", flush=True)
            return
        m = outcome.manifest
        warned = f"; {len(m['sampler_warnings'])} sampler warning(s)" \
            if m.get("sampler_warnings") else ""
        print(f"{head} {m['seconds']:.1f} s, {', '.join(m['figures'])}{warned}", flush=True)

    if workers <= 1:
        for job in todo:
            report(make_model(job, draw))
        return outcomes
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(make_model, job, draw) for job in todo]
        for future in as_completed(futures):
            report(future.result())
    return outcomes


def ensure(names: Sequence[str], workers: int | None = None,
           draw: Callable[[str, dict, Path], dict] | None = None) -> list[Outcome]:
    """Make the missing figures of the zoo models ``names``; raises ``SystemExit`` naming the
    models that failed. Returns the outcomes of the models fitted (none when all are cached)."""
    todo, have = jobs(names)
    s = gc.SETTINGS
    n = workers if workers is not None else max(1, min(os.cpu_count() or 1, len(todo)))
    print(f"zoo gallery: {len(have)} of {len(names)} models cached in {gc.cache_root()}"
          + (f"; fitting {len(todo)} ({s['backend']}, {s['chains']} chains x {s['tune']} + "
             f"{s['draws']} draws) on {n} worker(s)" if todo else ""), flush=True)
    t0 = time.perf_counter()
    outcomes = run_jobs(todo, n, draw)
    failed = [o for o in outcomes if o.manifest is None]
    if todo:
        print(f"zoo gallery: {len(todo) - len(failed)} fitted in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    if failed:
        for o in failed:
            print(f"--- {o.name}\n{o.trace}", file=sys.stderr)
        raise SystemExit("zoo gallery: the figures of "
                         + ", ".join(o.name for o in failed) + " failed")
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fit the zoo models whose gallery figures "
                                     "are not cached, and cache them.")
    parser.add_argument("models", nargs="*", help="zoo model names (default: every model)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per core)")
    args = parser.parse_args(argv)
    sys.path.insert(0, ROOT.as_posix())
    from bayeszoo import zoo

    unknown = [m for m in args.models if m not in zoo.names()]
    if unknown:
        parser.error(f"not zoo models: {', '.join(unknown)}")
    ensure(args.models or zoo.names(), args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
