"""Varying slopes: radon's ``log_radon ~ floor + (1 + floor | county)`` in fresh processes.

Plain script (no asserts): ``python benchmarks/bench_correlated.py [--repeats 3]``. Each run is
a fresh Python process doing what ``bench_sampling.py``'s worker does (import bayeszoo, build,
compile, sample 4 chains × (1000 + 1000), PSIS-LOO) on the zoo entry ``radon_varying_slope``;
the backends alternate and the table shows medians over the repeats, with the same columns as
``bench_sampling.py`` (``wall``: first line of the process to LOO done; ESS: the smallest bulk
ESS over every posterior quantity, the 170 county effects and the correlation included).

Targets (issue "Correlated random effects"): NumPyro on an empty JAX compilation cache at most
10 s wall; its ESS per second of sampling at least 3 × that of PyMC's default sampler in the
same run. Writes ``benchmarks/results/correlated.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_sampling  # noqa: E402

MODEL = "radon_varying_slope"
BACKENDS = ("numpyro", "pymc", "nutpie")
WALL_TARGET_S = 10.0
ESS_RATIO_TARGET = 3.0


def load_average() -> float:
    return os.getloadavg()[0]


def targets(summary: list[dict]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) of the issue's speed targets."""
    cell = {(s["backend"], s["cache"]): s for s in summary if s["repeats"]}
    out = []
    cold = cell.get(("numpyro", "cold"))
    if cold:
        out.append((f"radon varying slopes, NumPyro, cold process ≤ {WALL_TARGET_S:g} s",
                    f"{cold['wall_s']:.1f} s", cold["wall_s"] <= WALL_TARGET_S))
    pymc = cell.get(("pymc", "cold"))
    if cold and pymc:
        ratio = cold["ess_per_s_sampling"] / pymc["ess_per_s_sampling"]
        out.append((f"min bulk ESS/s of sampling ≥ {ESS_RATIO_TARGET:g} × PyMC default",
                    f"{cold['ess_per_s_sampling']:.0f} vs {pymc['ess_per_s_sampling']:.0f} "
                    f"({ratio:.1f}×)", ratio >= ESS_RATIO_TARGET))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "correlated.json")
    args = parser.parse_args()

    runs: list[dict] = []
    load_before = load_average()
    for rep in range(args.repeats):
        k = rep % len(args.backends)
        for backend in args.backends[k:] + args.backends[:k]:
            with tempfile.TemporaryDirectory(prefix="bz-jax-cache-") as cache:
                caches = ("cold", "warm") if backend == "numpyro" else ("cold",)
                for kind in caches:
                    row = bench_sampling.run_one(MODEL, backend, args,
                                                 cache if backend == "numpyro" else None)
                    row.update(cache=kind, repeat=rep, load_average=load_average())
                    runs.append(row)
                    print(f"  repeat {rep + 1}: {backend} {kind} "
                          f"{row.get('wall_s', float('nan')):.1f} s", file=sys.stderr)
    summary = bench_sampling.summarize(runs)
    met = targets(summary)
    print(f"NUTS on {MODEL}, {args.chains} chains × ({args.tune} + {args.draws}), medians of "
          f"{args.repeats} fresh processes per cell ({platform.machine()}, {os.cpu_count()} "
          f"CPUs; load average {load_before:.1f} before, {load_average():.1f} after)\n")
    print(bench_sampling.markdown(summary))
    print("\n| target | measured | |\n|---|---|---|")
    for name, measured, ok in met:
        print(f"| {name} | {measured} | {'**met**' if ok else 'not met'} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "correlated", "model": MODEL, "repeats": args.repeats,
        "chains": args.chains, "draws": args.draws, "tune": args.tune, "cpus": os.cpu_count(),
        "python": platform.python_version(), "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "load_average_before": load_before, "load_average_after": load_average(),
        "summary": summary, "targets": [{"target": t, "measured": m, "met": ok}
                                        for t, m, ok in met],
        "runs": runs}, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
