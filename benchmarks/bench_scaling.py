"""How NumPyro NUTS cost grows with rows and groups: a simulated random-intercept model.

Plain script (no asserts): ``python benchmarks/bench_scaling.py [--rows 1e3 1e4 1e5 1e6]
[--groups 10 100 1000 10000]``. The model is ``y ~ 1 + x1 + x2 + (1 | g)`` on simulated data
(``y = 1 + 0.5·x1 − 0.3·x2 + u_g + e``, ``u_g ~ N(0, 0.5²)``, ``e ~ N(0, 1)``, groups drawn
uniformly). Two sweeps: rows at ``--sweep-groups`` groups, and groups at ``--sweep-rows`` rows,
each in the non-centered and the centered parameterization (``--parameterization``) with a
diagonal mass matrix, or a dense one with ``--dense-mass``; every run is a fresh process with an
empty JAX compilation cache, 4 chains × (1000 + 1000).

Each run builds the :class:`~bayeszoo.design.Design` directly (the random-intercept block as a
sparse indicator matrix plus its ``index``/``weights``, which is all the samplers read) and calls
the NumPyro runner of :mod:`bayeszoo.inference.sampling` (the builder, chain method and timing that
:func:`bayeszoo.sample` uses) but not the assembly of the InferenceData: the pointwise
log-likelihood of 10⁶ rows × 4,000 draws alone would be 32 GB, and the formula path stores the
indicator matrix densely (10⁶ × 10³ doubles: 8 GB). ``wall`` runs from ``import bayeszoo`` to the
draws in hand (data simulation excluded). Writes ``benchmarks/results/scaling.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def simulate(n: int, groups: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng([seed, n, groups])
    g = rng.integers(0, groups, size=n)
    x1, x2 = rng.standard_normal(n), rng.standard_normal(n)
    u = 0.5 * rng.standard_normal(groups)
    y = 1.0 + 0.5 * x1 - 0.3 * x2 + u[g] + rng.standard_normal(n)
    return y, np.column_stack([np.ones(n), x1, x2]), g


def worker(n: int, groups: int, chains: int, draws: int, tune: int,
           parameterization: str, dense_mass: bool) -> dict:
    import numpy as np
    import pandas as pd

    y, X, g = simulate(n, groups)
    df = pd.DataFrame({"y": y, "x1": X[:, 1], "x2": X[:, 2],
                       "g": pd.Categorical.from_codes(g, [str(i) for i in range(groups)])})
    t0, cpu0 = time.perf_counter(), time.process_time()
    from bayeszoo.inference.convergence import ess_bulk, rhat
    from bayeszoo.inference.sampling import draw_posterior

    fit = draw_posterior("y ~ 1 + x1 + x2 + (1 | g)", df, chains=chains, draws=draws, tune=tune,
                         seed=1, parameterization=parameterization, dense_mass=dense_mass,
                         progress=False, log_likelihood=False)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    ess = min(float(np.min(ess_bulk(a))) for a in fit.posterior.values())
    max_rhat = max(float(np.max(rhat(a))) for a in fit.posterior.values())
    n_steps = int(np.asarray(fit.stats["n_steps"]).sum())
    sampling = float(fit.attrs["sampling_seconds"])
    # leapfrog steps of the warm-up are not recorded: estimate them at the draws' mean
    gradients = n_steps * (draws + tune) / draws
    return {"rows": n, "groups": groups, "parameterization": parameterization,
            "dense_mass": dense_mass, "chains": chains, "draws": draws, "tune": tune,
            "chain_method": fit.attrs.get("chain_method"), "wall_s": wall, "cpu_s": cpu,
            "compile_s": float(fit.attrs["compile_seconds"]), "sampling_s": sampling,
            "min_bulk_ess": ess, "ess_per_s_sampling": ess / sampling, "ess_per_s_wall": ess / wall,
            "max_rhat": max_rhat, "divergences": int(np.asarray(fit.stats["diverging"]).sum()),
            "mean_steps_per_draw": n_steps / (chains * draws),
            "us_per_gradient": 1e6 * sampling / gradients}


def run_one(n: int, groups: int, parameterization: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="bz-jax-cache-") as cache:
        env = {**os.environ, "BAYESZOO_JAX_CACHE": cache}
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(n), str(groups),
               "--chains", str(args.chains), "--draws", str(args.draws), "--tune",
               str(args.tune), "--parameterization", parameterization]
        if args.dense_mass:
            cmd.append("--dense-mass")
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-1500:]
        print(f"  rows={n} groups={groups} failed (exit {proc.returncode}):\n{tail}",
              file=sys.stderr)
        return {"rows": n, "groups": groups, "parameterization": parameterization,
                "error": tail}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def markdown(rows: list[dict]) -> str:
    lines = ["| rows | groups | parameterization | wall (s) | compile (s) | sampling (s) "
             "| min bulk ESS | ESS/s sampling | ESS/s wall | max R-hat | div. | steps/draw "
             "| µs/gradient |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        mass = ", dense mass" if r.get("dense_mass") else ""
        head = f"| {r['rows']:,} | {r['groups']:,} | {r['parameterization']}{mass} "
        if "error" in r:
            lines.append(head + "| failed |" + " |" * 9)
            continue
        lines.append(head + f"| {r['wall_s']:.1f} "
                     f"| {r['compile_s']:.1f} | {r['sampling_s']:.1f} | {r['min_bulk_ess']:.0f} "
                     f"| {r['ess_per_s_sampling']:.0f} | {r['ess_per_s_wall']:.0f} "
                     f"| {r['max_rhat']:.3f} | {r['divergences']} "
                     f"| {r['mean_steps_per_draw']:.1f} | {r['us_per_gradient']:.1f} |")
    return "\n".join(lines)


def growth(rows: list[dict]) -> str:
    """The log-log slope of µs/gradient against rows over the rows sweep."""
    import numpy as np

    ok = [r for r in rows if "error" not in r and r["parameterization"] == "noncentered"]
    if len({r["rows"] for r in ok}) < 2:
        return ""
    x = np.log10([r["rows"] for r in ok])
    yv = np.log10([r["us_per_gradient"] for r in ok])
    slope = float(np.polyfit(x, yv, 1)[0])
    return (f"cost per gradient grows as rows^{slope:.2f} over {min(r['rows'] for r in ok):,}–"
            f"{max(r['rows'] for r in ok):,} rows (0 = flat, 1 = linear)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", type=float, default=[1e3, 1e4, 1e5, 1e6])
    parser.add_argument("--sweep-groups", type=int, default=100)
    parser.add_argument("--groups", nargs="+", type=float, default=[10, 1e3, 1e4])
    parser.add_argument("--sweep-rows", type=float, default=1e6)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--parameterization", nargs="+", default=["noncentered", "centered"],
                        choices=["noncentered", "centered"])
    parser.add_argument("--dense-mass", action="store_true",
                        help="adapt a dense mass matrix (cost grows with groups squared)")
    parser.add_argument("--out", type=Path, default=RESULTS / "scaling.json")
    parser.add_argument("--worker", nargs=2, type=int, metavar=("ROWS", "GROUPS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(worker(*args.worker, args.chains, args.draws, args.tune,
                                args.parameterization[0], args.dense_mass)))
        return

    by_rows, by_groups = [], []
    for par in args.parameterization:
        for n in args.rows:
            by_rows.append(run_one(int(n), args.sweep_groups, par, args))
            print(f"  rows={int(n):,} groups={args.sweep_groups} {par}: "
                  f"{by_rows[-1].get('wall_s', float('nan')):.1f} s", file=sys.stderr)
        for groups in args.groups:
            by_groups.append(run_one(int(args.sweep_rows), int(groups), par, args))
            print(f"  rows={int(args.sweep_rows):,} groups={int(groups):,} {par}: "
                  f"{by_groups[-1].get('wall_s', float('nan')):.1f} s", file=sys.stderr)

    print(f"Random intercept, 2 fixed effects, NumPyro, {args.chains} chains × ({args.tune} + "
          f"{args.draws}), fresh process and compilation cache per run ({platform.machine()}, "
          f"{os.cpu_count()} CPUs)\n")
    print(f"Rows at {args.sweep_groups} groups:\n")
    print(markdown(by_rows))
    note = growth(by_rows)
    if note:
        print(f"\n{note}")
    if by_groups:
        print(f"\nGroups at {int(args.sweep_rows):,} rows:\n")
        print(markdown(by_groups))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "scaling", "chains": args.chains, "draws": args.draws,
              "tune": args.tune, "python": platform.python_version(),
              "machine": platform.machine(), "cpus": os.cpu_count(),
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "by_rows": by_rows, "by_groups": by_groups, "growth": note}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
