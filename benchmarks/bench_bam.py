"""Discretized REML (``bz.bam``) beside the exact fit (``bz.reml``) on simulated rows.

Plain script (no asserts, not run by the tests)::

    python benchmarks/bench_bam.py [--rows 1000000] [--groups 1000] [--partitions 8] [--no-exact]

Simulates ``y = f1(x1) + f2(x2) + f3(x3) + b_g + e`` (``x`` uniform on (0, 1), ``g`` with
``--groups`` levels, ``e ~ N(0, 1)``) and fits ``y ~ s(x1) + s(x2) + s(x3) + s(g, bs = "re")``
(mgcv's issue-35 model) three ways: exactly from the full model matrix, discretized from a pandas
frame (mgcv's ``bam(discrete = TRUE)`` defaults: 1000 values per covariate), and discretized from
a ``dask.dataframe`` of ``--partitions`` partitions on Dask's threaded scheduler. Prints a Markdown
table of wall times (each fit in a fresh process), their ratio to the exact fit, the process's
peak resident memory (and that of the simulated data alone), and the largest edf and
fitted-value differences from the exact fit; the machine is printed above it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import bayeszoo as bz

FORMULA = 'y ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")'


def simulate(rows: int, groups: int, seed: int = 35) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.uniform(size=(3, rows))
    g = rng.integers(0, groups, rows)
    b = rng.normal(0.0, 0.5, groups)
    y = (np.sin(2 * np.pi * x1) + np.exp(2 * x2) / 4 + 0.2 * x3**11 * (10 * (1 - x3))**6
         + b[g] + rng.normal(size=rows))
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "x3": x3,
                         "g": pd.Categorical([f"g{i}" for i in g])})


def rss_gb() -> float:
    """Peak resident memory of this process so far (GB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def child(mode: str, args, out: Path) -> None:
    """One fit in a fresh process: its time, peak memory, edf, score and fitted values."""
    df = simulate(args.rows, args.groups)
    before = rss_gb()
    t = time.perf_counter()
    if mode == "exact":
        fit = bz.reml(FORMULA, df)
    elif mode == "pandas":
        fit = bz.bam(FORMULA, df)
    else:
        import dask
        import dask.dataframe as dd

        ddf = dd.from_pandas(df, npartitions=args.partitions)
        del df
        with dask.config.set(scheduler="threads"):
            fit = bz.bam(FORMULA, ddf)
    seconds = time.perf_counter() - t
    np.save(out / f"{mode}.npy", fit.fitted)
    (out / f"{mode}.json").write_text(json.dumps({
        "seconds": seconds, "edf": fit.edf, "score": fit.reml_score, "data_gb": before,
        "peak_gb": rss_gb()}))


MODES = {"exact": "exact (bz.reml)", "pandas": "discretized, pandas (bz.bam)",
         "dask": "discretized, Dask partitions (bz.bam)"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--no-exact", action="store_true", help="skip the exact fit")
    ap.add_argument("--child", choices=list(MODES), help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args, args.out)
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, NumPy {np.__version__}")
    print(f"rows: {args.rows}, groups: {args.groups}, partitions: {args.partitions}, "
          f"model: {FORMULA}\n")
    modes = [m for m in MODES if not (args.no_exact and m == "exact")]
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for mode in modes:
            subprocess.run([sys.executable, __file__, "--child", mode, "--out", str(out),
                            "--rows", str(args.rows), "--groups", str(args.groups),
                            "--partitions", str(args.partitions)], check=True)
            res[mode] = (json.loads((out / f"{mode}.json").read_text()),
                         np.load(out / f"{mode}.npy"))
    base = res.get("exact")
    print("| fit | seconds | ratio to exact | peak RSS GB (data alone) | max abs edf diff "
          "| max abs fitted diff | REML score |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for mode, (r, fitted) in res.items():
        ratio = dedf = dfit = "n/a"
        if base is not None:
            ratio = f"{r['seconds'] / base[0]['seconds']:.3f}"
            dedf = f"{max(abs(r['edf'][k] - v) for k, v in base[0]['edf'].items()):.2e}"
            dfit = f"{np.max(np.abs(fitted - base[1])):.2e}"
        print(f"| {MODES[mode]} | {r['seconds']:.2f} | {ratio} | {r['peak_gb']:.2f} "
              f"({r['data_gb']:.2f}) | {dedf} | {dfit} | {r['score']:.4f} |")
    print()
    for mode, (r, _) in res.items():
        print(f"{MODES[mode]}: edf " + ", ".join(f"{k} {v:.3f}" for k, v in r["edf"].items()))


if __name__ == "__main__":
    main()
