"""Latency of ``bayeszoo fit radon_intercept``: where a fresh process spends its time.

Plain script (no asserts): ``python benchmarks/profile_latency.py``. Two parts:

1. **stages** of ``bayeszoo fit radon_intercept`` run in fresh processes on a warm JAX
   compilation cache (the command is run once first to fill it): interpreter start and
   ``import bayeszoo``, the imports every fit needs (pandas, JAX, NumPyro), data and design,
   model building and checks, compilation (a cache hit), sampling, the brms-named posterior, the
   InferenceData (ArviZ is imported there when a version builds it), the pointwise
   log-likelihood, LOO, and the CLI's own work (summary table, headline, JSON line). Each stage
   is timed by wrapping the function that does it (this version's and the earlier one's); the
   median of ``--repeats`` processes is reported per stage.
2. **whole commands**: ``bayeszoo fit radon_intercept`` with the default backend (NumPyro),
   ``--backend pymc`` (PyMC's own NUTS) and ``--backend nutpie``, alternating, wall time of each
   process, median of ``--repeats``.

``--model`` profiles another zoo entry the same way and ``--backends`` picks the commands; each
stage run also gives its process's wall time over its own sampling time (the overhead ratio).

Writes ``benchmarks/results/latency.json`` (``--out``) and prints a table.
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import functools  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_MODEL = "radon_intercept"
BACKENDS = ("numpyro", "pymc", "nutpie")

#: (stage, module, function whose calls it times); a function missing from the tree profiled (an
#: older or newer version) is skipped. Nested stages are subtracted from their enclosing one in
#: :func:`stage_table`.
TIMED = [
    ("design", "bayeszoo.inference.sampling", "as_design"),
    ("model spec and checks", "bayeszoo.inference.sampling", "model_spec"),
    ("backend run", "bayeszoo.inference.sampling", "run_again"),
    ("brms posterior", "bayeszoo.inference.sampling", "brms_posterior"),
    ("InferenceData", "bayeszoo.inference.sampling", "assemble"),
    ("pointwise log-likelihood", "bayeszoo.inference.idata", "pointwise_log_likelihood"),
    ("pointwise log-likelihood", "bayeszoo.inference.sampling", "pointwise_log_likelihood"),
    ("LOO", "bayeszoo.inference.compare", "loo"),
    ("LOO", "bayeszoo.inference.draws_summary", "loo_of_draws"),
    ("headline", "bayeszoo.api", "headline"),
    ("headline", "bayeszoo.inference.draws_summary", "draws_headline"),
    ("summary table", "bayeszoo.reports", "summary_table"),
    ("summary table", "bayeszoo.inference.draws_summary", "draws_summary"),
    ("fit", "bayeszoo.api", "fit"),
    ("fit", "bayeszoo.api", "fit_draws"),
]
IMPORTS = ("numpy", "pandas", "jax", "numpyro")


#: seconds spent in timed calls nested inside the timed call now running, one entry per level
NESTED: list[float] = []


def _timed(seconds: dict[str, float], stage: str, func):
    """``func`` adding its exclusive time (without the timed calls it makes) to ``stage``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        NESTED.append(0.0)
        try:
            return func(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - t0
            inner = NESTED.pop()
            seconds[stage] = seconds.get(stage, 0.0) + elapsed - inner
            if NESTED:
                NESTED[-1] += elapsed

    return wrapper


def worker_stages(model: str) -> dict:
    """Run ``bayeszoo fit MODEL`` in this process with its stages timed."""
    import bayeszoo  # noqa: F401

    seconds: dict[str, float] = {"start and import bayeszoo": time.perf_counter() - T_START}
    t0 = time.perf_counter()
    from bayeszoo.runtime import ensure_configured

    ensure_configured()  # before JAX loads, as the command does: host devices, x64, cache
    for name in IMPORTS:
        importlib.import_module(name)
    for stage, module_name, attr in TIMED:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        original = getattr(module, attr, None)
        if original is None:
            continue
        setattr(module, attr, _timed(seconds, stage, original))
    from bayeszoo.cli import main

    seconds["imports"] = time.perf_counter() - t0

    out = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["fit", model])
    seconds["fit command"] = time.perf_counter() - t0
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    seconds["compile (cache hit)"] = line["compile_seconds"]
    seconds["sampling"] = line["sampling_seconds"]
    return {"returncode": code, "seconds": seconds, "elpd_loo": line.get("elpd_loo"),
            "devices": importlib.import_module("jax").local_device_count(),
            "means": line.get("means")}


def stage_table(seconds: dict[str, float]) -> dict[str, float]:
    """Exclusive seconds per stage, in the order a fit runs them."""
    s = {stage: 0.0 for stage, _, _ in TIMED} | seconds
    timed = sum(s[stage] for stage in {stage for stage, _, _ in TIMED})
    return {
        "start and import bayeszoo": s["start and import bayeszoo"],
        "imports (pandas, JAX, NumPyro, bayeszoo modules)": s["imports"],
        "data and zoo entry": s["fit"],
        "design": s["design"],
        "model spec and checks": s["model spec and checks"],
        "backend set-up (model, JAX init)": s["backend run"] - s["compile (cache hit)"]
        - s["sampling"],
        "compile (cache hit)": s["compile (cache hit)"],
        "sampling": s["sampling"],
        "brms posterior": s["brms posterior"],
        "InferenceData (ArviZ import and build)": s["InferenceData"],
        "pointwise log-likelihood": s["pointwise log-likelihood"],
        "LOO": s["LOO"],
        "CLI: headline (R-hat, ESS)": s["headline"],
        "CLI: summary table": s["summary table"],
        "CLI: rest (parsing, JSON, print)": s["fit command"] - timed,
    }


def command(backend: str, model: str) -> list[str]:
    """``bayeszoo fit`` as ``python -m bayeszoo`` (run in the tree it times, see
    :func:`time_command`): the installed ``bayeszoo`` script would import this tree's entry
    point even where ``PYTHONPATH`` names another tree."""
    return [sys.executable, "-m", "bayeszoo", "fit", model, "--backend", backend]


def source_env(source: Path | None) -> dict[str, str]:
    """The environment of a child process importing bayeszoo from ``source`` (a source tree, or
    ``None``: this process's)."""
    return {**os.environ, **({"PYTHONPATH": str(source)} if source else {})}


def time_command(backend: str, model: str, source: Path | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(command(backend, model), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, env=source_env(source),
                          cwd=source or Path(__file__).resolve().parents[1])
    if proc.returncode != 0:
        raise RuntimeError(f"bayeszoo fit {model} --backend {backend} failed:\n"
                           f"{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def available(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def markdown(result: dict) -> str:
    base = result.get("baseline_stages")
    stages = [k for k in result["stages"] if k != "process wall"]
    if base:
        lines = ["| stage | before (s) | after (s) |", "|---|---:|---:|"]
        lines += [f"| {k} | {base.get(k, 0.0):.2f} | {result['stages'][k]:.2f} |" for k in stages]
        lines.append(f"| **sum of stages** | **{sum(base.get(k, 0.0) for k in stages):.2f}** | "
                     f"**{sum(result['stages'][k] for k in stages):.2f}** |")
        lines.append(f"| whole process (interpreter exit included) | {base['process wall']:.2f} "
                     f"| {result['stages']['process wall']:.2f} |")
    else:
        lines = ["| stage | seconds |", "|---|---:|"]
        lines += [f"| {k} | {result['stages'][k]:.2f} |" for k in stages]
        lines.append(f"| **sum of stages** | **{sum(result['stages'][k] for k in stages):.2f}** |")
        lines.append("| whole process (interpreter exit included) | "
                     f"{result['stages']['process wall']:.2f} |")
    lines += ["", "| command | median wall (s) | runs (s) |", "|---|---:|---|"]
    for label, runs in result["commands"].items():
        backend = label.split()[0]
        lines.append(f"| `bayeszoo fit {result['model']} --backend {backend}`"
                     f"{' (before)' if 'baseline' in label else ''} | "
                     f"{statistics.median(runs):.2f} | {', '.join(f'{r:.2f}' for r in runs)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "latency.json")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-commands", dest="commands", action="store_false",
                        help="only the stage profile")
    parser.add_argument("--baseline", type=Path,
                        help="a source tree of an earlier version (e.g. a `git archive` of main): "
                             "its stages and default command alternate with this tree's")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="the zoo entry to fit")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS,
                        help="the backends of the whole-command runs")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker_stages(args.model)))
        return

    load_before = os.getloadavg()
    trees = {"this": None, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    for source in trees.values():
        time_command("numpyro", args.model, source)  # fill the compilation cache
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.repeats):
        for name, source in trees.items():
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--worker", "--model", args.model],
                                  capture_output=True, text=True, check=True,
                                  env=source_env(source))
            wall = time.perf_counter() - t0
            seconds = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
            runs[name].append({**stage_table(seconds), "process wall": wall})
    rows = runs["this"]
    stages = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    baseline_stages = ({k: statistics.median(r[k] for r in runs["baseline"])
                        for k in runs["baseline"][0]} if args.baseline else None)
    commands: dict[str, list[float]] = {}
    if args.commands:
        backends = [b for b in args.backends if available(b)]
        for _ in range(args.repeats):
            if args.baseline:
                commands.setdefault("numpyro (baseline)", []).append(
                    time_command("numpyro", args.model, trees["baseline"]))
            for backend in backends:
                commands.setdefault(backend, []).append(time_command(backend, args.model))
    overhead = statistics.median(r["process wall"] / r["sampling"] for r in rows)
    result = {"model": args.model, "repeats": args.repeats, "stages": stages, "stage_runs": rows,
              "wall_over_sampling": overhead,
              "baseline_stages": baseline_stages,
              "commands": commands, "load_before": load_before, "load_after": os.getloadavg(),
              "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    print(f"fresh-process wall / its own sampling time: {overhead:.2f} (median of the stage runs)")
    print(f"load average before {load_before[0]:.2f}, after {result['load_after'][0]:.2f}; "
          f"wrote {args.out}")


if __name__ == "__main__":
    main()
