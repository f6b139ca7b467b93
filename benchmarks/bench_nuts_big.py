"""``bz.sample_big``: NUTS on the generated large data set (``make_big_data.py``) from the
statistics of its discretized rows.

Plain script (no asserts, not run by the tests)::

    python benchmarks/make_big_data.py --out big/ --rows 1000000 --partitions 8
    python benchmarks/bench_nuts_big.py --data big/ [--family gaussian poisson]
        [--rows N | --files K] [--chains 4] [--draws 1000] [--tune 1000] [--m M]
        [--parameterization centered] [--dense-mass] [--laplace]
        [--sampler auto|collapsed|joint]

Reads the Parquet partitions with Dask (out of core, threaded scheduler; ``--rows`` keeps the
first N rows, read into pandas; ``--files`` the first K partitions, with Dask), fits
``y ~ s(x1) + s(x2) + s(x3) + s(g, bs = "re")`` (Gaussian) or ``count ~ ...`` (Poisson) with
``bz.sample_big`` and prints the machine, its load average and one Markdown row per family:
rows, rows of the statistics (distinct rows; the Gaussian's ``p``), seconds for the statistics
(``--laplace``: the Poisson likelihood's second-order expansion at its maximum,
``approximation="laplace"``, Newton passes included), the compilation and the sampling, the
smallest bulk and tail ESS over all parameters, the largest R-hat, divergences, the mean
leapfrog steps per kept draw (gradient evaluations) and peak resident memory.
``--sampler``: ``bz.sample_big``'s ``sampler`` (``auto``: NUTS on the variance parameters
with the coefficients integrated out and drawn exactly where the model allows it, ``joint``:
NUTS on every parameter).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import numpy as np

FORMULAS = {"gaussian": 'y ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")',
            "poisson": 'count ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")'}


def load(path: str, rows: int | None, files: int | None = None):
    from pathlib import Path

    import dask.dataframe as dd

    if files:
        return dd.read_parquet(sorted(str(p) for p in Path(path).glob("part-*.parquet"))[:files])
    data = dd.read_parquet(path)
    if rows is None:
        return data
    import pandas as pd

    parts, have = [], 0
    for part in data.to_delayed():
        df = part.compute()
        parts.append(df.iloc[:rows - have])
        have += len(parts[-1])
        if have >= rows:
            break
    return pd.concat(parts, ignore_index=True)


def run(family: str, data, args) -> dict:
    import arviz as az

    import bayeszoo as bz

    t0 = time.perf_counter()
    laplace = args.laplace and family == "poisson"
    fit = bz.sample_big(FORMULAS[family], data, family, m=args.m, chains=args.chains,
                        draws=args.draws, tune=args.tune, seed=args.seed, progress=False,
                        parameterization=args.parameterization, dense_mass=args.dense_mass,
                        approximation="laplace" if laplace else None, sampler=args.sampler)
    total = time.perf_counter() - t0
    ess_bulk = az.ess(fit.posterior, method="bulk")
    ess_tail = az.ess(fit.posterior, method="tail")
    rhat = az.rhat(fit.posterior)
    return {
        "family": family + (" (Laplace)" if laplace else ""), "rows": fit.attrs["n_rows"],
        "sampler": fit.attrs["sampler"],
        "stat_rows": fit.attrs["statistics_rows"],
        "stats_s": fit.attrs["statistics_seconds"], "compile_s": fit.attrs["compile_seconds"],
        "sampling_s": fit.attrs["sampling_seconds"], "total_s": total,
        "ess_bulk": min(float(np.nanmin(v.values)) for v in ess_bulk.data_vars.values()),
        "ess_tail": min(float(np.nanmin(v.values)) for v in ess_tail.data_vars.values()),
        "rhat": max(float(np.nanmax(v.values)) for v in rhat.data_vars.values()),
        "divergent": int(fit.sample_stats["diverging"].values.sum()),
        "steps": float(fit.sample_stats["n_steps"].values.mean()),
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="directory of the Parquet partitions")
    ap.add_argument("--family", nargs="+", default=["gaussian", "poisson"],
                    choices=sorted(FORMULAS))
    ap.add_argument("--rows", type=int, default=None, help="first N rows only (in memory)")
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--files", type=int, default=None, help="first K partitions (Dask)")
    ap.add_argument("--m", type=int, default=None, help="values kept per covariate")
    ap.add_argument("--parameterization", default="noncentered",
                    choices=["noncentered", "centered"])
    ap.add_argument("--dense-mass", action="store_true")
    ap.add_argument("--sampler", default="auto", choices=["auto", "collapsed", "joint"])
    ap.add_argument("--laplace", action="store_true",
                    help="Poisson: the likelihood's second-order expansion at its maximum")
    args = ap.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average at start {os.getloadavg()[0]:.1f}; {args.chains} x {args.draws} + "
          f"{args.tune} draws, m = {args.m or 'mgcv default'}, {args.parameterization}, "
          f"dense mass {args.dense_mass}")
    print("| family | sampler | rows | statistics rows | statistics s | compile s | sampling s |"
          " total s | min bulk ESS | min tail ESS | max R-hat | divergent | steps per draw |"
          " peak GB | load after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for family in args.family:
        r = run(family, load(args.data, args.rows, args.files), args)
        print(f"| {r['family']} | {r['sampler']} | {r['rows']:,} | {r['stat_rows']:,} | "
              f"{r['stats_s']:.1f} | "
              f"{r['compile_s']:.1f} | {r['sampling_s']:.1f} | {r['total_s']:.1f} | "
              f"{r['ess_bulk']:.0f} | {r['ess_tail']:.0f} | {r['rhat']:.3f} | "
              f"{r['divergent']} | {r['steps']:.1f} | {r['peak_gb']:.2f} | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
