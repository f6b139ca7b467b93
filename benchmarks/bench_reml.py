"""REML fit times beside mgcv's and lme4's.

Plain script (no asserts): ``python benchmarks/bench_reml.py [--repeats 20]``. Prints a Markdown
table of median wall times (formula to fit, and the fit alone on a prebuilt Design or engine
input) beside the reference implementation's time on the 2-core reference machine, and writes
``benchmarks/results/reml.json``. Cases: mgcv's ``gam(..., method = "REML")`` for mcycle
``s(times, bs="cr", k=20)`` and radon ``s(county, bs="re")``; lme4's ``lmer`` for sleepstudy
``Reaction ~ Days + (Days | Subject)`` and radon ``log_radon ~ floor + (1 + floor | county)``
from the formula; mgcv's
binomial, Poisson and negative binomial fits of the second wave.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import bayeszoo as bz
from bayeszoo.formula import design
from bayeszoo.penalized import reml

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _cases() -> list[dict]:
    mcycle, radon = bz.datasets.load_mcycle(), bz.datasets.load_radon()
    sleep = pd.read_csv(SHARED / "sleepstudy.csv", dtype={"Subject": str})
    cbpp = pd.read_csv(SHARED / "cbpp.csv", dtype={"herd": str, "period": str})
    epilepsy = pd.read_csv(SHARED / "epilepsy.csv", dtype={"patient": str, "Trt": str})
    quine = pd.read_csv(SHARED / "quine.csv")
    out = []
    for name, formula, data, ref, family in [
        ("mcycle cr k=20", "accel ~ 1 + s(times, bs='cr', k=20)", mcycle, ("mgcv", 16.0), None),
        ("radon re", "log_radon ~ 1 + s(county, bs='re')", radon, ("mgcv", 370.0), None),
        ("cbpp binomial re", "incidence | trials(size) ~ period + s(herd, bs='re')", cbpp,
         ("mgcv", None), "binomial"),
        ("epilepsy poisson re", "count ~ zAge + zBase * Trt + s(patient, bs='re')", epilepsy,
         ("mgcv", None), "poisson"),
        ("quine negbinomial", "Days ~ Eth + Sex + Age + Lrn", quine, ("mgcv", None),
         "negbinomial"),
        ("sleepstudy (Days | Subject)", "Reaction ~ Days + (Days | Subject)", sleep,
         ("lme4", 10.0), None),
        ("radon (1 + floor | county)", "log_radon ~ floor + (1 + floor | county)", radon,
         ("lme4", 15.0), None),
    ]:
        d = design(formula, data, family=family)
        out.append({"case": name, "formula": formula, "n": d.n, "reference": ref,
                    "formula_to_fit": lambda f=formula, x=data, fm=family: reml(f, x, family=fm),
                    "fit_only": lambda dd=d: reml(dd)})
    return out


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm-up: imports and first-call caches
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


#: The Gaussian cases of every version: formula and bundled dataset.
COMMON_CASES = {"mcycle cr k=20": ("accel ~ 1 + s(times, bs='cr', k=20)", "load_mcycle"),
                "radon re": ("log_radon ~ 1 + s(county, bs='re')", "load_radon")}


def common_worker(repeats: int) -> dict:
    """Median ms of ``bz.reml`` from the formula and on a prebuilt design, for
    :data:`COMMON_CASES`, with only the API every version has."""
    out = {}
    for case, (formula, loader) in COMMON_CASES.items():
        df = getattr(bz.datasets, loader)()
        d = bz.design(formula, df)
        out[case] = {"formula_to_fit_ms": _median_ms(lambda f=formula, x=df: bz.reml(f, x),
                                                     repeats),
                     "fit_only_ms": _median_ms(lambda dd=d: bz.reml(dd), repeats)}
    return out


def compare_versions(baseline: Path, rounds: int, repeats: int) -> dict:
    """:func:`common_worker` in fresh processes of this tree and of ``baseline``, alternating;
    the median over ``rounds`` per tree, case and measure."""
    trees = {"this": Path(__file__).resolve().parents[1], "baseline": baseline.resolve()}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(rounds):
        for name, tree in trees.items():
            proc = subprocess.run([sys.executable, __file__, "--common-worker", "--repeats",
                                   str(repeats)], capture_output=True, text=True, check=True,
                                  cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)})
            runs[name].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {name: {case: {m: statistics.median(r[case][m] for r in rs)
                          for m in ("formula_to_fit_ms", "fit_only_ms")}
                   for case in COMMON_CASES} for name, rs in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "results" / "reml.json")
    parser.add_argument("--baseline", type=Path, help="an earlier version's source tree")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--common-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.common_worker:
        print(json.dumps(common_worker(args.repeats)))
        return

    rows = []
    for case in _cases():
        res = case["fit_only"]()
        score = float(getattr(res, "reml_score", getattr(res, "score", np.nan)))
        rows.append({
            "case": case["case"], "formula": case["formula"], "n": case["n"],
            "formula_to_fit_ms": (_median_ms(case["formula_to_fit"], args.repeats)
                                  if case["formula_to_fit"] else None),
            "fit_only_ms": _median_ms(case["fit_only"], args.repeats),
            "reference": case["reference"][0], "reference_ms": case["reference"][1],
            "reml_score": score, "iterations": int(res.iterations)})

    print(f"REML fit time, median of {args.repeats} ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs)\n")
    print("| model | n | bayeszoo formula→fit (ms) | bayeszoo fit (ms) | reference (ms) |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        f2f = "–" if r["formula_to_fit_ms"] is None else f"{r['formula_to_fit_ms']:.2f}"
        ref = "–" if r["reference_ms"] is None else f"{r['reference_ms']:.0f} ({r['reference']})"
        name = r['case'].replace('|', '\\|')
        print(f"| {name} | {r['n']} | {f2f} | {r['fit_only_ms']:.2f} | {ref} |")

    versions = None
    if args.baseline:
        versions = compare_versions(args.baseline, args.rounds, args.repeats)
        print(f"\nSame load, fresh processes alternating, median of {args.rounds} rounds:\n")
        print("| model | formula→fit: baseline / this (ms) | fit: baseline / this (ms) |")
        print("|---|---:|---:|")
        for case in COMMON_CASES:
            b, t = versions["baseline"][case], versions["this"][case]
            print(f"| {case} | {b['formula_to_fit_ms']:.2f} / {t['formula_to_fit_ms']:.2f} "
                  f"| {b['fit_only_ms']:.2f} / {t['fit_only_ms']:.2f} |")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "reml", "repeats": args.repeats, "python": platform.python_version(),
              "machine": platform.machine(), "cpus": os.cpu_count(),
              "reference": "mgcv 1.8-41 and lme4 1.1 on the 2-core reference machine",
              "cases": rows, "versions": versions,
              "load_average": os.getloadavg()[0]}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
