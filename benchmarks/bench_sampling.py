"""NUTS time-to-answer per backend: radon_intercept, mcycle_cr20 and radon_states.

Plain script (no asserts): ``python benchmarks/bench_sampling.py [--repeats 3]``. Every run is a
fresh Python process (``--worker``) that imports bayeszoo, builds, compiles, samples 4 chains ×
(1000 + 1000) and computes PSIS-LOO; backends alternate within each repeat (their order rotates
from repeat to repeat) and the table shows medians over repeats.

Columns: ``wall`` from the first line of the process to LOO done (imports included), ``CPU`` the
process's CPU time (its children's included: a load-independent measure of the work done),
``compile``
and ``sampling`` as :func:`bayeszoo.sample` records them in ``idata.attrs`` (sampling includes
warm-up), the smallest bulk ESS over every posterior quantity (vector elements included), that
ESS per second of sampling and of wall, the largest R-hat, divergences, and gradient
evaluations per second (the sum of ``n_steps`` over the kept draws, divided by sampling time; the
warm-up's leapfrog steps are not recorded by every backend, so this understates the rate).

Compilation caches: a NumPyro ``cold`` run gets a new, empty JAX compilation cache; its ``warm``
twin runs right after in a new process on the cache the cold run filled (the issue's "second run
with a warm compilation cache"). PyMC and nutpie use PyTensor's own compile directory as a user's
machine has it (PyTensor caches compiled C ops across processes by default; nutpie's numba
compilation is not cached). Writes ``benchmarks/results/sampling.json``.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

MODELS = ("radon_intercept", "mcycle_cr20", "radon_states")
BACKENDS = ("numpyro", "pymc", "nutpie")
RESULTS = Path(__file__).resolve().parent / "results"


# --------------------------------------------------------------------------- worker (one run)


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (PyMC's chain workers):
    unlike wall time, barely changed by other processes sharing the CPUs."""
    import resource

    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def worker(model: str, backend: str, chains: int, draws: int, tune: int, seed: int) -> dict:
    """One cold run in this (fresh) process; returns the measured figures."""
    import bayeszoo as bz

    entry = bz.zoo.get(model)
    data = entry.load_data()
    opts = entry.sampler_options
    idata = bz.sample(entry.formula, data, backend=backend, chains=chains, draws=draws,
                      tune=tune, seed=seed, progress=False,
                      target_accept=opts.get("target_accept", 0.8),
                      parameterization=entry.parameterization)
    t_sampled = time.perf_counter()
    loo = bz.loo(idata)
    wall = time.perf_counter() - _T0
    cpu = _cpu_seconds()

    import arviz as az
    import numpy as np

    def extreme(ds, fn):
        return float(fn([float(fn(np.asarray(v.values))) for v in ds.data_vars.values()]))

    ess = extreme(az.ess(idata, method="bulk"), np.min)
    rhat = extreme(az.rhat(idata), np.max)
    n_steps = int(np.asarray(idata.sample_stats["n_steps"].values).sum())
    attrs = idata.attrs
    sampling = float(attrs["sampling_seconds"])
    pareto_k = np.asarray(loo.pareto_k.values)
    return {
        "model": model, "backend": backend, "formula": entry.formula, "n": int(len(data)),
        "chains": chains, "draws": draws, "tune": tune, "seed": seed,
        "target_accept": float(attrs["target_accept"]),
        "chain_method": attrs.get("chain_method"),
        "wall_s": wall,
        "cpu_s": cpu,
        "loo_s": wall - (t_sampled - _T0),
        "compile_s": float(attrs["compile_seconds"]),
        "sampling_s": sampling,
        "sample_total_s": float(attrs["total_seconds"]),
        "min_bulk_ess": ess,
        "ess_per_s_sampling": ess / sampling,
        "ess_per_s_wall": ess / wall,
        "max_rhat": rhat,
        "divergences": int(np.asarray(idata.sample_stats["diverging"].values).sum()),
        "n_steps_draws": n_steps,
        "grad_per_s": n_steps / sampling,
        "mean_steps_per_draw": n_steps / (chains * draws),
        "elpd_loo": float(loo.elpd_loo),
        "pareto_k_over_0.7": int(np.sum(pareto_k > 0.7)),
        "versions": json.loads(attrs["versions"]),
    }


# --------------------------------------------------------------------------- driver


def run_one(model: str, backend: str, args, cache_dir: str | None) -> dict:
    """Run one worker process; ``cache_dir`` is the JAX compilation cache it uses."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["BAYESZOO_JAX_CACHE"] = cache_dir
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", model, backend,
           "--chains", str(args.chains), "--draws", str(args.draws), "--tune", str(args.tune),
           "--seed", str(args.seed)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    process_wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-2000:]
        print(f"  {model}/{backend} failed (exit {proc.returncode}):\n{tail}", file=sys.stderr)
        return {"model": model, "backend": backend, "error": tail}
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    row["process_wall_s"] = process_wall
    return row


def _median(rows: list[dict], key: str) -> float:
    vals = [r[key] for r in rows if key in r and r[key] is not None]
    return statistics.median(vals) if vals else float("nan")


SUMMARY_KEYS = ("wall_s", "cpu_s", "process_wall_s", "compile_s", "sampling_s", "loo_s",
                "min_bulk_ess", "ess_per_s_sampling", "ess_per_s_wall", "max_rhat", "divergences",
                "grad_per_s", "mean_steps_per_draw")


def summarize(runs: list[dict]) -> list[dict]:
    """Medians per (model, backend, cache) over the repeats that succeeded."""
    out = []
    keys = []
    for r in runs:
        k = (r["model"], r["backend"], r.get("cache", "cold"))
        if k not in keys:
            keys.append(k)
    for model, backend, cache in keys:
        rows = [r for r in runs if (r["model"], r["backend"], r.get("cache", "cold"))
                == (model, backend, cache) and "error" not in r]
        s = {"model": model, "backend": backend, "cache": cache, "repeats": len(rows)}
        s.update({k: _median(rows, k) for k in SUMMARY_KEYS})
        if rows:
            s["max_rhat"] = max(r["max_rhat"] for r in rows)
            s["chain_method"] = rows[0].get("chain_method")
        out.append(s)
    return out


def markdown(summary: list[dict]) -> str:
    lines = ["| model | backend | cache | wall (s) | CPU (s) | compile (s) | sampling (s) "
             "| LOO (s) | min bulk ESS | ESS/s sampling | ESS/s wall | max R-hat | div. | grad/s "
             "| steps/draw | runs |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in summary:
        if not s["repeats"]:
            lines.append(f"| {s['model']} | {s['backend']} | {s['cache']} | failed "
                         + "| " * 12 + "0 |")
            continue
        lines.append(
            f"| {s['model']} | {s['backend']} | {s['cache']} | {s['wall_s']:.1f} "
            f"| {s['cpu_s']:.1f} | {s['compile_s']:.1f} | {s['sampling_s']:.2f} | {s['loo_s']:.2f} "
            f"| {s['min_bulk_ess']:.0f} | {s['ess_per_s_sampling']:.0f} "
            f"| {s['ess_per_s_wall']:.0f} | {s['max_rhat']:.3f} | {s['divergences']:.0f} "
            f"| {s['grad_per_s']:,.0f} | {s['mean_steps_per_draw']:.1f} | {s['repeats']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-warm", action="store_true",
                        help="skip the NumPyro second-process runs on a warm compilation cache")
    parser.add_argument("--out", type=Path, default=RESULTS / "sampling.json")
    parser.add_argument("--worker", nargs=2, metavar=("MODEL", "BACKEND"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        row = worker(*args.worker, args.chains, args.draws, args.tune, args.seed)
        print(json.dumps(row))
        return

    runs: list[dict] = []
    for rep in range(args.repeats):
        for model in args.models:
            k = rep % len(args.backends)
            for backend in args.backends[k:] + args.backends[:k]:
                with tempfile.TemporaryDirectory(prefix="bz-jax-cache-") as cache:
                    row = run_one(model, backend, args, cache if backend == "numpyro" else None)
                    row.update(cache="cold", repeat=rep)
                    runs.append(row)
                    print(f"  repeat {rep + 1}: {model}/{backend} cold "
                          f"{row.get('wall_s', float('nan')):.1f} s", file=sys.stderr)
                    if backend == "numpyro" and not args.no_warm:
                        row = run_one(model, backend, args, cache)
                        row.update(cache="warm", repeat=rep)
                        runs.append(row)
                        print(f"  repeat {rep + 1}: {model}/{backend} warm "
                              f"{row.get('wall_s', float('nan')):.1f} s", file=sys.stderr)
    summary = summarize(runs)

    print(f"NUTS, {args.chains} chains × ({args.tune} + {args.draws}), medians of "
          f"{args.repeats} fresh processes per cell ({platform.machine()}, {os.cpu_count()} CPUs)"
          "\n")
    print(markdown(summary))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "sampling", "repeats": args.repeats, "chains": args.chains,
              "draws": args.draws, "tune": args.tune, "python": platform.python_version(),
              "machine": platform.machine(), "cpus": os.cpu_count(),
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "summary": summary, "runs": runs}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
