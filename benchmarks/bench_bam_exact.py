"""Discretized fits (``bz.bam`` and mgcv's ``bam(discrete = TRUE)``) against the exact fit of
the same model, on the first rows of the generated data.

Plain script (no asserts, not run by the tests; needs R with mgcv, data.table, jsonlite)::

    python benchmarks/make_big_data.py --out big/ --rows 10000000 --partitions 20 --csv
    python benchmarks/bench_bam_exact.py --data big/ --family poisson --rows 1000000 \\
        [--m 4000] [--mgcv-exact]

"Exact" is ``bz.bam(..., m = 10**9, state_m = 1000)``: the same fREML / performance-iteration
fit with every covariate value kept (no rounding) and the term states (tp knots and bases)
built on the 1000 points the default discretization rounds onto, i.e. the bases of the
discretized fits (mgcv's ``bam(discrete = TRUE)`` builds them on those points; bz.bam does the
same and agrees with it to 1e-8), so that the differences are the rounding's alone. It is
mgcv's ``bam(discrete = 2n, knots = grid)`` (``--mgcv-exact`` fits that too, with mgcv's exact
fit on its own tp bases: small data only, mgcv's cross-products of two covariates with 10⁶
distinct values each took more than 22 GB). Compared, each against it: ``bz.bam`` (default
discretization), mgcv's ``bam(discrete = TRUE)`` and mgcv rounding onto ``--m`` points with the
same bases; each bz fit in a fresh process, the mgcv fits in one R process (``bam_exact.R``).
Differences: the largest absolute edf difference over the smooths; the linear predictor of
``fitted()`` (at the covariates each fit used: rounded for a discretized fit) and of the fit
evaluated at the exact covariates (``predict``), on the link scale and the response scale.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

FORMULAS = {"gaussian": 'y ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")',
            "poisson": 'count ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")'}
R_SCRIPT = Path(__file__).with_name("bam_exact.R")


def first_rows(data: Path, rows: int) -> pd.DataFrame:
    """The first ``rows`` rows of the Parquet partitions (read file by file)."""
    parts, have = [], 0
    for path in sorted(data.glob("*.parquet")):
        parts.append(pd.read_parquet(path))
        have += len(parts[-1])
        if have >= rows:
            break
    return pd.concat(parts, ignore_index=True).iloc[:rows].reset_index(drop=True)


#: ``m`` above any number of distinct values: the discretization keeps every value
ALL_VALUES = 10**9
#: bz fits: name -> ``bz.bam`` keywords
BZ_FITS = {"bz": {}, "bz_exact": {"m": ALL_VALUES, "state_m": 1000}}


def child(args, out: Path) -> None:
    """One ``bz.bam`` fit on the first rows, in a fresh process."""
    import bayeszoo as bz

    data = first_rows(args.data, args.rows)
    name = args.child
    t = time.perf_counter()
    fit = bz.bam(FORMULAS[args.family], data, family=args.family, **BZ_FITS[name])
    seconds = time.perf_counter() - t
    pred = np.ravel(fit.predict(data))
    np.save(out / f"{name}_eta.npy", np.ravel(fit.linear_predictors))
    np.save(out / f"{name}_pred.npy", pred)
    (out / f"{name}.json").write_text(json.dumps({
        "seconds": seconds, "edf": fit.edf, "score": fit.reml_score,
        "iterations": fit.iterations}))


def timed(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``cmd`` under ``/usr/bin/time -v``; its result and peak resident memory in GB."""
    res = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if res.returncode:
        sys.stderr.write(res.stderr)
        res.check_returncode()
    kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
    return res, int(kb.group(1)) / 1e6 if kb else float("nan")


def inverse_link(family: str, eta: np.ndarray) -> np.ndarray:
    return np.exp(eta) if family == "poisson" else eta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--family", choices=list(FORMULAS), default="poisson")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--m", type=int, nargs="*", default=[])
    ap.add_argument("--mgcv-exact", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args, args.out)
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, NumPy {np.__version__}")
    print(f"data: first {args.rows} rows of {args.data}, family {args.family}, model "
          f"{FORMULAS[args.family]}\n")
    csv = args.data.parent / f"{args.data.name}.csv"
    gb = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for name in BZ_FITS:
            print(f"load average before {name} {os.getloadavg()[0]:.1f}", flush=True)
            gb[name] = timed([sys.executable, __file__, "--child", name, "--out", str(out),
                              "--data", str(args.data), "--family", args.family, "--rows",
                              str(args.rows)])[1]
        print(f"load average before mgcv {os.getloadavg()[0]:.1f}", flush=True)
        res, gb["mgcv (R process)"] = timed([
            "Rscript", str(R_SCRIPT), str(csv), args.family, FORMULAS[args.family],
            str(args.rows), str(out), ",".join(map(str, args.m)),
            "exact,default" if args.mgcv_exact else ""])
        print(f"load average after {os.getloadavg()[0]:.1f}\n", flush=True)
        fits = json.loads(res.stdout.strip().splitlines()[-1])
        arrays = {k: (np.fromfile(out / f"{k}_eta.bin", dtype="<f8"),
                      np.fromfile(out / f"{k}_pred.bin", dtype="<f8")) for k in fits}
        for name in BZ_FITS:
            fits[name] = json.loads((out / f"{name}.json").read_text())
            arrays[name] = (np.load(out / f"{name}_eta.npy"), np.load(out / f"{name}_pred.npy"))
    report(args.family, fits, arrays, gb)


def report(family: str, fits: dict, arrays: dict, gb: dict) -> None:
    eta0, _ = arrays["bz_exact"]
    mu0 = inverse_link(family, eta0)
    print("peak RSS GB: " + ", ".join(f"{k} {v:.2f}" for k, v in gb.items()) + "\n")
    print("| fit | seconds | edf | fitted: link | fitted: response | fitted: rel. response "
          "| at exact x: link | at exact x: response | score |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    order = ["bz", "discrete", *[k for k in fits if k.startswith("discrete_")],
             *[k for k in ("exact_default", "exact") if k in fits], "bz_exact"]
    for k in order:
        r = fits[k]
        eta, pred = arrays[k]
        mu, mup = inverse_link(family, eta), inverse_link(family, pred)
        dedf = max(abs(r["edf"][s] - v) for s, v in fits["bz_exact"]["edf"].items())
        rel = (f"{np.max(np.abs(mu - mu0) / np.abs(mu0)):.2e}" if family != "gaussian"
               else "n/a")
        print(f"| {k} | {r['seconds']:.1f} | {dedf:.2e} | {np.max(np.abs(eta - eta0)):.2e} "
              f"| {np.max(np.abs(mu - mu0)):.2e} | {rel} "
              f"| {np.max(np.abs(pred - eta0)):.2e} "
              f"| {np.max(np.abs(mup - mu0)):.2e} | {r['score']:.4f} |")
    print()
    for k in order:
        print(f"{k}: edf " + ", ".join(f"{s} {v:.5f}" for s, v in fits[k]["edf"].items()))
    e_bz, p_bz = arrays["bz"]
    e_m, p_m = arrays["discrete"]
    print(f"\nbz.bam against mgcv bam(discrete = TRUE): edf "
          f"{max(abs(fits['bz']['edf'][s] - v) for s, v in fits['discrete']['edf'].items()):.2e}"
          f", fitted link {np.max(np.abs(e_bz - e_m)):.2e}, at exact x link "
          f"{np.max(np.abs(p_bz - p_m)):.2e}")


if __name__ == "__main__":
    main()
