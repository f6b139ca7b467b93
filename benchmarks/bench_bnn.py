"""Sampling time of the zoo's Bayesian neural networks, before and after a change, side by side.

Plain script (no asserts): ``python benchmarks/bench_bnn.py [--models penguins_bnn ...]
[--trees TREE ...] [--repeats 2]``. Each fit runs in a fresh process (``bz.fit(name, seed=0)``
with the entry's own sampler settings: 4 chains of 1000 warm-up and 1000 draws) from the source
tree named by ``--trees`` (default: this checkout; name a second tree, e.g. an archive of
``main``, to compare), alternating the trees (A B A B ...); ``--backends numpyro blackjax``
alternates samplers the same way. Each row: wall time in the worker,
compile and sampling seconds as the fit recorded them, leapfrog steps per draw, divergences,
the function-space max R-hat and min bulk/tail ESS (what :func:`bayeszoo.api.headline` reports
for a network fit) and elpd_loo. Writes ``benchmarks/results/bnn.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ("penguins_bnn", "mcycle_bnn_distributional")

WORKER = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import bayeszoo as bz
from bayeszoo.api import headline
name, kwargs = sys.argv[1], json.loads(sys.argv[2])
depth = kwargs.pop("max_tree_depth", None)
if depth is not None:  # an experiment: NumPyro's NUTS kernel with another maximum tree depth
    import numpyro.infer.hmc as nhmc
    plain = nhmc.hmc
    def hmc(*a, **k):
        init_kernel, sample_kernel = plain(*a, **k)
        return (lambda *a, **k: init_kernel(*a, **{**k, "max_tree_depth": depth})), sample_kernel
    nhmc.hmc = hmc
if kwargs.pop("blackjax_networks", False):  # an experiment: BlackJAX's warm-up on a network
    import bayeszoo.inference.backends.blackjax as bjx
    bjx.BACKEND.samples_networks = True
fit = bz.fit(name, progress=False, **kwargs)
wall = time.perf_counter() - t0
h = headline(fit)
import arviz as az
from bayeszoo.inference.function_space import diagnostic_posterior
tail = float(az.ess(diagnostic_posterior(fit), method="tail").to_array().min())
stats = fit.sample_stats
steps = next((stats[k].values for k in ("n_steps", "num_steps") if k in stats), None)
print(json.dumps({"wall_s": wall, "sampling_s": h.get("sampling_seconds"),
                  "compile_s": h.get("compile_seconds"), "max_rhat": h.get("max_rhat"),
                  "min_ess_bulk": h.get("min_ess_bulk"), "min_ess_tail": round(tail, 1),
                  "divergences": h.get("divergences"), "elpd_loo": h.get("elpd_loo"),
                  "steps_per_draw": None if steps is None else float(np.mean(steps)),
                  "tree_depth_hits": h.get("tree_depth_hits")}))
"""


def run_fit(tree: Path, model: str, kwargs: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    proc = subprocess.run([sys.executable, "-c", WORKER, model, json.dumps(kwargs)], env=env,
                          capture_output=True, text=True, cwd=tree)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout)[-1500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--trees", nargs="+", type=Path, default=[ROOT],
                        help="source trees to compare (each put first on PYTHONPATH)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=None, help="draws and warm-up per chain")
    parser.add_argument("--target-accept", nargs="+", type=float, default=[None],
                        help="target acceptance rates to alternate (default: the entry's)")
    parser.add_argument("--max-tree-depth", nargs="+", type=int, default=[None],
                        help="NUTS maximum tree depths to alternate (an experiment: the worker "
                             "wraps NumPyro's kernel; default: NumPyro's 10)")
    parser.add_argument("--backends", nargs="+", default=[None],
                        help="sampler backends to alternate (default: bz.fit's, NumPyro)")
    parser.add_argument("--blackjax-networks", action="store_true",
                        help="an experiment: let backend='blackjax' sample the network terms it "
                             "refuses (its warm-up is not checked on them)")
    parser.add_argument("--dense-mass", action="store_true",
                        help="adapt a dense mass matrix (bayeszoo.sample's dense_mass)")
    parser.add_argument("--out", type=Path, default=RESULTS / "bnn.json")
    args = parser.parse_args()
    kwargs: dict = {"seed": args.seed}
    if args.draws:
        kwargs.update(draws=args.draws, tune=args.draws)
    if args.dense_mass:
        kwargs["dense_mass"] = True
    if args.blackjax_networks:
        kwargs["blackjax_networks"] = True
    load_before = os.getloadavg()
    rows = []
    for model in args.models:
        for rep in range(args.repeats):
            for tree in args.trees:
                for accept, depth, backend in ((a, d, b) for a in args.target_accept
                                               for d in args.max_tree_depth
                                               for b in args.backends):
                    extra = {} if accept is None else {"target_accept": accept}
                    if backend is not None:
                        extra["backend"] = backend
                    if depth is not None:
                        extra["max_tree_depth"] = depth
                    row = {"model": model, "tree": str(tree), "repeat": rep, **extra,
                           **run_fit(tree, model, {**kwargs, **extra})}
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    print(f"BNN fits ({platform.machine()}, {os.cpu_count()} CPUs; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after)\n")
    print("| model | tree | backend | target_accept | wall (s) | sampling (s) | steps/draw "
          "| max R-hat | min ESS bulk | min ESS tail | divergences | elpd_loo | max depth |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if "error" in r:
            print(f"| {r['model']} | {r['tree']} | | | failed | | | | | | | | |")
            continue
        print(f"| {r['model']} | {r['tree']} | {r.get('backend', 'numpyro')} "
              f"| {r.get('target_accept', 'entry')} "
              f"| {r['wall_s']:.1f} | {r['sampling_s'] or 0:.1f} "
              f"| {r['steps_per_draw'] or 0:.0f} | {r['max_rhat']} | {r['min_ess_bulk']} "
              f"| {r['min_ess_tail']} | {r['divergences']} | {r['elpd_loo']} "
              f"| {r.get('max_tree_depth', 10)} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "bnn", "machine": platform.machine(),
                                    "cpus": os.cpu_count(), "kwargs": kwargs,
                                    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                    "load_before": load_before, "load_after": load_after,
                                    "runs": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
