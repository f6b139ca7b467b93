"""``bz.bam`` on the generated large data set (``make_big_data.py``), beside mgcv's
``bam(discrete = TRUE)`` and, on a subset, the exact fit.

Plain script (no asserts, not run by the tests)::

    python benchmarks/make_big_data.py --out big/ --rows 1000000 --partitions 8 --csv
    python benchmarks/bench_bam_big.py --data big/ [--family poisson] [--subset 20000] [--mgcv]

Each fit runs in a fresh process (its peak resident memory is reported): ``bz.bam`` from the
Parquet partitions read with Dask (out of core, threaded scheduler) and read into one pandas
frame; with ``--mgcv``, ``mgcv::bam(discrete = TRUE, nthreads = 2)`` in R from ``big.csv``
(its time excludes reading the CSV); on the first ``--subset`` rows, the exact fit
(``bz.reml``: Laplace REML for Poisson, as ``gam(method = "REML")``), ``bz.bam`` keeping every
covariate value (the same performance iteration without discretization) and ``bz.bam`` of the
same rows (``--modes`` picks among them, ``mgcv`` one of them; ``--rounds`` repeats them in
turn, e.g. ``--modes dask mgcv --rounds 2`` runs A B A B). Peak memory is each process's
maximum resident set size from ``/usr/bin/time -v``. Prints the machine and load average, then
Markdown tables: time, memory, score and the largest edf and fitted-value differences (full
data: from mgcv's bam; subset: from the exact fit, else from the fit keeping every value).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

FORMULAS = {"gaussian": 'y ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")',
            "poisson": 'count ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")'}

R_SCRIPT = r"""
suppressMessages({library(mgcv); library(data.table)})
a <- commandArgs(TRUE)
d <- fread(a[1]); d$g <- factor(d$g)
fam <- if (a[2] == "poisson") poisson() else gaussian()
t0 <- proc.time()[["elapsed"]]
b <- bam(as.formula(a[3]), data = d, family = fam, discrete = TRUE, nthreads = 2)
secs <- proc.time()[["elapsed"]] - t0
edf <- sapply(b$smooth, function(s) sum(b$edf[s$first.para:s$last.para]))
names(edf) <- sapply(b$smooth, function(s) s$label)
writeBin(as.numeric(fitted(b)), a[4])
mem <- as.numeric(system(paste("ps -o rss= -p", Sys.getpid()), intern = TRUE)) / 1e6
cat(jsonlite::toJSON(list(seconds = secs, edf = as.list(edf), score = b$gcv.ubre[[1]],
                          peak_gb = max(mem, sum(gc()[, 6]) / 1024)), auto_unbox = TRUE,
                     digits = NA))
"""


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def child(mode: str, args, out: Path) -> None:
    """One fit in a fresh process."""
    import bayeszoo as bz

    formula = FORMULAS[args.family]
    if mode == "dask":
        import dask
        import dask.dataframe as dd

        data = dd.read_parquet(str(args.data))
        ctx = dask.config.set(scheduler="threads")
    else:
        data = pd.read_parquet(args.data)
        if mode.startswith("subset"):
            data = data.iloc[:args.subset].reset_index(drop=True)
        ctx = None
    t = time.perf_counter()
    if ctx is not None:
        with ctx:
            fit = bz.bam(formula, data, family=args.family)
    elif mode == "subset-exact":
        fit = bz.reml(formula, data, family=args.family)
    elif mode == "subset-all":
        fit = bz.bam(formula, data, family=args.family, m=ALL_VALUES)
    else:
        fit = bz.bam(formula, data, family=args.family)
    seconds = time.perf_counter() - t
    np.save(out / f"{mode}.npy", fit.fitted)
    (out / f"{mode}.json").write_text(json.dumps({
        "seconds": seconds, "edf": fit.edf, "score": fit.reml_score, "peak_gb": rss_gb(),
        "iterations": fit.iterations}))


def timed(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``cmd`` under ``/usr/bin/time -v``: its result and peak resident memory in GB."""
    res = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if res.returncode:
        sys.stderr.write(res.stdout + res.stderr)
        res.check_returncode()
    kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
    return res, int(kb.group(1)) / 1e6 if kb else float("nan")


def run_mgcv(args, out: Path) -> float:
    """mgcv's ``bam(discrete = TRUE, nthreads = 2)`` on ``big.csv``; the R process's peak
    resident memory in GB."""
    csv = args.data.parent / f"{args.data.name}.csv"
    script = out / "bam.R"
    script.write_text(R_SCRIPT)
    res, gb = timed(["Rscript", str(script), str(csv), args.family, FORMULAS[args.family],
                     str(out / "mgcv.bin")])
    (out / "mgcv.json").write_text(res.stdout.strip().splitlines()[-1])
    np.save(out / "mgcv.npy", np.fromfile(out / "mgcv.bin", dtype="<f8"))
    return gb


def run(mode: str, args, out: Path) -> float:
    """One fit in a fresh process; its peak resident memory (``/usr/bin/time -v``) in GB."""
    if mode == "mgcv":
        return run_mgcv(args, out)
    return timed([sys.executable, __file__, "--child", mode, "--out", str(out), "--data",
                  str(args.data), "--family", args.family, "--subset", str(args.subset)])[1]


LABELS = {"dask": "bz.bam, Dask partitions", "pandas": "bz.bam, pandas frame",
          "mgcv": "mgcv bam(discrete = TRUE, nthreads = 2)",
          "subset-exact": "exact (bz.reml)", "subset-all": "bz.bam, every value kept",
          "subset-bam": "bz.bam"}
#: ``m`` above any number of distinct values: the discretization keeps every value
ALL_VALUES = 10**9


def table(res: dict, base: str | None) -> None:
    print("| fit | seconds | peak RSS GB | max abs edf diff | max rel fitted diff | score |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, (r, fitted) in res.items():
        dedf = dfit = "n/a"
        if base in res and mode != base:
            b, bf = res[base]
            dedf = f"{max(abs(r['edf'][k] - v) for k, v in b['edf'].items()):.2e}"
            dfit = f"{np.max(np.abs(fitted - bf) / np.abs(bf)):.2e}"
        print(f"| {LABELS[mode]} | {r['seconds']:.1f} | {r['peak_gb']:.2f} | {dedf} | {dfit} "
              f"| {r['score']:.4f} |")
    print()
    for mode, (r, _) in res.items():
        print(f"{LABELS[mode]}: edf " + ", ".join(f"{k} {v:.4f}" for k, v in r["edf"].items()))
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--family", choices=list(FORMULAS), default="poisson")
    ap.add_argument("--subset", type=int, default=20_000)
    ap.add_argument("--mgcv", action="store_true")
    ap.add_argument("--modes", nargs="+", default=["dask", "pandas", "subset-exact",
                                                   "subset-bam"])
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the modes (mgcv among them) this many times, alternating")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args, args.out)
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}, NumPy "
          f"{np.__version__}")
    print(f"data: {args.data}, family: {args.family}, model: {FORMULAS[args.family]}\n")
    res, runs = {}, []
    modes = [*args.modes, *(["mgcv"] if args.mgcv and "mgcv" not in args.modes else [])]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for rnd in range(args.rounds):
            for mode in modes:
                before = os.getloadavg()[0]
                gb = run(mode, args, out)
                r = (json.loads((out / f"{mode}.json").read_text()),
                     np.load(out / f"{mode}.npy"))
                res.setdefault(mode, r)
                runs.append((mode, rnd + 1, r[0]["seconds"], gb, before, os.getloadavg()[0]))
                print(f"{mode} (round {rnd + 1}): {r[0]['seconds']:.1f} s, peak RSS {gb:.2f} "
                      f"GB, load average {before:.1f} before, {runs[-1][-1]:.1f} after",
                      flush=True)
    print("\n| fit | round | seconds | peak RSS GB (time -v) | load before | load after |")
    print("|---|---:|---:|---:|---:|---:|")
    for mode, rnd, secs, gb, before, after in runs:
        print(f"| {LABELS[mode]} | {rnd} | {secs:.1f} | {gb:.2f} | {before:.1f} | {after:.1f} |")
    print()
    table({m: r for m, r in res.items() if not m.startswith("subset")}, "mgcv")
    subset = {m: r for m, r in res.items() if m.startswith("subset")}
    if subset:
        table(subset, "subset-exact" if "subset-exact" in subset else "subset-all")


if __name__ == "__main__":
    main()
