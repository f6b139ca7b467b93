"""REML fit times beside mgcv's: mcycle ``s(times, bs="cr", k=20)``, radon ``s(county, bs="re")``.

Plain script (no asserts): ``python benchmarks/bench_reml.py [--repeats 20]``. Prints a Markdown
table of median wall times (formula to fit, and the fit alone on a prebuilt Design) beside mgcv
1.8-41's ``gam(..., method = "REML")`` times on the 2-core reference machine, and writes
``benchmarks/results/reml.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import bayeszoo as bz
from bayeszoo.formula import design
from bayeszoo.inference.reml import reml

CASES = [
    # name, formula, dataset loader, mgcv milliseconds on the reference machine
    ("mcycle cr k=20", "accel ~ 1 + s(times, bs='cr', k=20)", bz.datasets.load_mcycle, 16.0),
    ("radon re", "log_radon ~ 1 + s(county, bs='re')", bz.datasets.load_radon, 370.0),
]


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm-up: imports and first-call caches
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "results" / "reml.json")
    args = parser.parse_args()

    rows = []
    for name, formula, load, mgcv_ms in CASES:
        data = load()
        d = design(formula, data)
        fit = reml(d)
        rows.append({
            "case": name, "formula": formula, "n": d.n, "coefficients": len(fit.coef),
            "formula_to_fit_ms": _median_ms(lambda f=formula, x=data: reml(f, x), args.repeats),
            "fit_only_ms": _median_ms(lambda dd=d: reml(dd), args.repeats),
            "mgcv_ms": mgcv_ms, "reml_score": fit.reml_score, "iterations": fit.iterations,
        })

    print(f"REML fit time, median of {args.repeats} ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs)\n")
    print("| model | n | coefs | bayeszoo formula→fit (ms) | bayeszoo fit on Design (ms) "
          "| mgcv (ms) | speed-up |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['n']} | {r['coefficients']} | {r['formula_to_fit_ms']:.2f} "
              f"| {r['fit_only_ms']:.2f} | {r['mgcv_ms']:.0f} "
              f"| {r['mgcv_ms'] / r['formula_to_fit_ms']:.0f}× |")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "reml", "repeats": args.repeats, "python": platform.python_version(),
              "machine": platform.machine(), "cpus": os.cpu_count(),
              "mgcv_reference": "mgcv 1.8-41, 2-core reference machine", "cases": rows}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
