"""Discretized REML (``bz.bam``) beside the exact fit (``bz.reml``) on simulated rows.

Plain script (no asserts, not run by the tests)::

    python benchmarks/bench_bam.py [--rows 1000000] [--groups 1000] [--partitions 8] [--no-exact]

Simulates ``y = f1(x1) + f2(x2) + f3(x3) + b_g + e`` (``x`` uniform on (0, 1), ``g`` with
``--groups`` levels, ``e ~ N(0, 1)``) and fits ``y ~ s(x1) + s(x2) + s(x3) + s(g, bs = "re")``
(mgcv's issue-35 model) three ways: exactly from the full model matrix, discretized from a pandas
frame (mgcv's ``bam(discrete = TRUE)`` defaults: 1000 values per covariate), and discretized from
a ``dask.dataframe`` of ``--partitions`` partitions on Dask's threaded scheduler. Prints a Markdown
table of wall times, their ratio to the exact fit, and the largest edf and fitted-value
differences from the exact fit; the machine is printed above it.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

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


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--no-exact", action="store_true", help="skip the exact fit")
    args = ap.parse_args()
    df = simulate(args.rows, args.groups)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or ''} "
          f"Python {platform.python_version()}, NumPy {np.__version__}")
    print(f"rows: {args.rows}, groups: {args.groups}, model: {FORMULA}\n")
    fits = {}
    if not args.no_exact:
        fits["exact (bz.reml)"] = timed(lambda: bz.reml(FORMULA, df))
    fits["discretized, pandas (bz.bam)"] = timed(lambda: bz.bam(FORMULA, df))
    import dask
    import dask.dataframe as dd

    ddf = dd.from_pandas(df, npartitions=args.partitions)
    with dask.config.set(scheduler="threads"):
        fits[f"discretized, Dask {args.partitions} partitions"] = timed(
            lambda: bz.bam(FORMULA, ddf))
    base = fits.get("exact (bz.reml)")
    print("| fit | seconds | ratio to exact | max abs edf diff | max abs fitted diff | REML score |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (fit, sec) in fits.items():
        if base is None:
            ratio = dedf = dfit = "n/a"
        else:
            ratio = f"{sec / base[1]:.3f}"
            dedf = f"{max(abs(fit.edf[k] - v) for k, v in base[0].edf.items()):.2e}"
            dfit = f"{np.max(np.abs(fit.fitted - base[0].fitted)):.2e}"
        print(f"| {name} | {sec:.2f} | {ratio} | {dedf} | {dfit} | {fit.reml_score:.4f} |")
    print()
    for name, (fit, _) in fits.items():
        print(f"{name}: edf " + ", ".join(f"{k} {v:.3f}" for k, v in fit.edf.items()))


if __name__ == "__main__":
    main()
