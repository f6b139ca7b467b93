"""``bz.bam`` from Parquet partitions on a 2-worker Dask ``LocalCluster``, with each worker's
peak memory, beside the in-memory fit of a slice of the same partitions.

Plain script (no asserts, not run by the tests)::

    python benchmarks/make_big_data.py --out big/ --rows 100000000 --partitions 100
    python benchmarks/bench_bam_cluster.py --data big/ --mode cluster [--files 10] --out r.json
    python benchmarks/bench_bam_cluster.py --data big/ --mode memory --files 10 --out m.json
    python benchmarks/bench_bam_cluster.py --compare r.json m.json

``--mode cluster`` fits ``y ~ s(x1) + s(x2) + s(x3) + s(g, bs = "re")`` (or the Poisson model,
``--family poisson``) from the first ``--files`` partitions (all without it) read with
``dask.dataframe.read_parquet`` on a ``LocalCluster`` of 2 worker processes, one thread each,
``--memory-limit`` each (the nanny restarts a worker that exceeds it, which fails the fit),
with ``keep_rows=False`` (nothing gathered per row: the calling process's memory does not grow
with the rows); a thread samples every worker's resident memory every second and records each
one's peak.
``--mode memory`` fits the same partitions read into one pandas frame. Both write the fit's
seconds, edf, coefficients, smoothing parameters, score, deviance, scale, null deviance and peak
memory. ``--compare`` prints the largest
differences between two such results: the cluster fit of a slice equals the in-memory fit of
the same rows when every one of them is below ``1e-8`` relative (score, edf, smoothing
parameters, coefficients, deviance, scale, null deviance: tests/test_bam_rows.py checks this
notion on small data).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

FORMULAS = {"gaussian": 'y ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")',
            "poisson": 'count ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")'}


def worker_rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


class Monitor(threading.Thread):
    """Samples each worker's resident memory every ``every`` seconds; ``peak`` by address."""

    def __init__(self, client, every: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.client, self.every = client, every
        self.peak: dict[str, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                for addr, rss in self.client.run(worker_rss).items():
                    self.peak[addr] = max(self.peak.get(addr, 0), rss)
            except Exception:  # noqa: BLE001 - a worker restarting mid-sample is reported below
                pass
            self.stop.wait(self.every)


def files(data: Path, count: int | None) -> list[str]:
    paths = sorted(str(p) for p in data.glob("part-*.parquet"))
    return paths[:count] if count else paths


def result(fit, seconds: float, extra: dict) -> dict:
    return {"seconds": seconds, "rows": int(fit.n_rows), "edf": fit.edf,
            "score": float(fit.reml_score), "deviance": float(fit.deviance),
            "scale": float(fit.scale), "null_deviance": float(fit.null_deviance),
            "coef": fit.coef.to_numpy().tolist(),
            "sp": np.concatenate([np.atleast_1d(np.asarray(v, dtype=float))
                                  for v in fit.sp.values()]).tolist(),
            "driver_peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
            "load_after": os.getloadavg()[0], **extra}


def fit_cluster(args) -> dict:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import bayeszoo as bz

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      memory_limit=args.memory_limit, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        monitor = Monitor(client)
        monitor.start()
        data = dd.read_parquet(files(args.data, args.files))
        t = time.perf_counter()
        fit = bz.bam(FORMULAS[args.family], data, family=args.family, client=client,
                     keep_rows=False)
        seconds = time.perf_counter() - t
        monitor.stop.set()
        monitor.join()
        peaks = {a: r / 1e9 for a, r in monitor.peak.items()}
        restarts = len(client.scheduler_info()["workers"])
    return fit, result(fit, seconds, {"worker_peak_gb": peaks, "workers_at_end": restarts})


def fit_memory(args) -> dict:
    import bayeszoo as bz

    data = pd.concat([pd.read_parquet(f) for f in files(args.data, args.files)],
                     ignore_index=True)
    t = time.perf_counter()
    fit = bz.bam(FORMULAS[args.family], data, family=args.family)
    seconds = time.perf_counter() - t
    return fit, result(fit, seconds, {})


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def compare(a_path: Path, b_path: Path) -> None:
    a, b = (json.loads(Path(p).read_text()) for p in (a_path, b_path))
    out = {"rows": (a["rows"], b["rows"]),
           "max coef diff / max abs coef": float(np.max(np.abs(np.subtract(a["coef"], b["coef"])))
                                                 / np.max(np.abs(b["coef"]))),
           "max rel edf diff": rel(list(a["edf"].values()), list(b["edf"].values())),
           "max rel sp diff": rel(a["sp"], b["sp"]),
           **{f"rel {k} diff": rel(a[k], b[k])
              for k in ("score", "deviance", "scale", "null_deviance")}}
    print(json.dumps(out, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path)
    ap.add_argument("--mode", choices=["cluster", "memory"])
    ap.add_argument("--family", choices=list(FORMULAS), default="gaussian")
    ap.add_argument("--files", type=int, help="the first FILES partitions (default: all)")
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path)
    args = ap.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}, NumPy "
          f"{np.__version__}; {args.mode}, {args.family}, files {args.files or 'all'}",
          flush=True)
    load = os.getloadavg()[0]
    _, res = (fit_cluster if args.mode == "cluster" else fit_memory)(args)
    res["load_before"] = load
    args.out.write_text(json.dumps(res, indent=1))
    print(json.dumps({k: v for k, v in res.items() if k not in ("coef", "sp")}, indent=1))


if __name__ == "__main__":
    main()
