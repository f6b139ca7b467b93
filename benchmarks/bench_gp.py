"""The approximate Gaussian process on mcycle (``accel ~ gp(times, k=30, c=5/4)``, zoo entry
``mcycle_gp``): time to a fit in a fresh process, and sampling efficiency beside PyMC's own
HSGP (``pm.gp.HSGP``) on the same model.

Plain script (no asserts): ``python benchmarks/bench_gp.py [--repeats 3]``. Every run is a
fresh Python process (``--worker``); runs alternate between the three samplers and the table
shows medians over repeats:

* ``bayeszoo numpyro``: ``bz.fit("mcycle_gp")`` (4 chains × (1000 + 1000), NumPyro);
* ``bayeszoo pymc``: the same model built by bayeszoo, sampled by ``pm.sample``;
* ``pm.gp.HSGP``: the model written by hand in PyMC with ``pm.gp.HSGP(m=[30], L=[5/4])`` on
  brms's scaled covariate, an exponentiated-quadratic kernel ``sdgp² · ExpQuad(lscale)``, and
  brms's priors (the intercept's ``student_t(3, -13.3, 35.6)``, ``sdgp`` and ``sigma``
  ``half_student_t(3, 35.6)``, ``lscale ~ inv_gamma(1.494197, 0.056607)``), sampled by
  ``pm.sample`` with the same settings. PyMC centers the covariate at its midpoint where brms
  centers it at the mean of the distinct points (a shift of 0.01 of the scaled range), so the
  two bases differ by that shift; the models are otherwise the same.

Columns: ``wall`` from the first line of the process to the fit done (imports, design,
compilation, sampling, InferenceData; the issue's "fresh process" time), ``CPU`` the process's
CPU time (children included), ``compile`` and ``sampling`` as recorded, the smallest bulk ESS of
the four scalars (intercept, ``sdgp``, ``lscale``, ``sigma``) and that ESS per second of sampling.
Writes ``benchmarks/results/gp.json``.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SAMPLERS = ("bayeszoo-numpyro", "bayeszoo-pymc", "pm.gp.HSGP")
SCALARS = {"bayeszoo": ("b_Intercept", "sdgp_gptimes", "lscale_gptimes", "sigma"),
           "pm.gp.HSGP": ("Intercept", "sdgp", "lscale", "sigma")}


def _cpu_seconds() -> float:
    import resource

    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def pymc_hsgp(chains: int, draws: int, tune: int, seed: int):
    """``pm.gp.HSGP`` on brms's scaled covariate with brms's priors; returns the
    InferenceData and the sampling seconds (``pm.sample`` alone)."""
    import numpy as np
    import pymc as pm

    import bayeszoo as bz

    data = bz.datasets.load_mcycle()
    times = data["times"].to_numpy(dtype=float)
    distinct = np.unique(times)
    x = (times / (distinct.max() - distinct.min()))[:, None]
    with pm.Model():
        intercept = pm.StudentT("Intercept", nu=3, mu=-13.3, sigma=35.6)
        sdgp = pm.HalfStudentT("sdgp", nu=3, sigma=35.6)
        lscale = pm.InverseGamma("lscale", alpha=1.494197, beta=0.056607)
        sigma = pm.HalfStudentT("sigma", nu=3, sigma=35.6)
        gp = pm.gp.HSGP(m=[30], L=[1.25], cov_func=sdgp**2 * pm.gp.cov.ExpQuad(1, ls=lscale))
        f = gp.prior("f", X=x)
        pm.Normal("accel", mu=intercept + f, sigma=sigma, observed=data["accel"].to_numpy())
        t0 = time.perf_counter()
        idata = pm.sample(draws=draws, tune=tune, chains=chains, random_seed=seed,
                          progressbar=False, compute_convergence_checks=False)
    return idata, time.perf_counter() - t0


def worker(sampler: str, chains: int, draws: int, tune: int, seed: int) -> dict:
    """One run in this (fresh) process."""
    if sampler == "pm.gp.HSGP":
        idata, sampling = pymc_hsgp(chains, draws, tune, seed)
        compile_s = float("nan")
        names = SCALARS["pm.gp.HSGP"]
    else:
        import bayeszoo as bz

        idata = bz.fit("mcycle_gp", backend=sampler.split("-")[1], chains=chains, draws=draws,
                       tune=tune, seed=seed, progress=False)
        sampling = float(idata.attrs["sampling_seconds"])
        compile_s = float(idata.attrs["compile_seconds"])
        names = SCALARS["bayeszoo"]
    wall = time.perf_counter() - _T0
    cpu = _cpu_seconds()
    import arviz as az
    import numpy as np

    ess = az.ess(idata, var_names=list(names), method="bulk")
    min_ess = float(min(float(ess[n]) for n in names))
    post = idata.posterior
    return {"sampler": sampler, "chains": chains, "draws": draws, "tune": tune, "seed": seed,
            "wall_s": wall, "cpu_s": cpu, "compile_s": compile_s, "sampling_s": sampling,
            "min_bulk_ess": min_ess, "ess_per_s_sampling": min_ess / sampling,
            "divergences": int(np.asarray(idata.sample_stats["diverging"].values).sum()),
            "means": {n: float(post[n].mean()) for n in names}}


def run_one(sampler: str, args) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", sampler,
           "--chains", str(args.chains), "--draws", str(args.draws), "--tune", str(args.tune),
           "--seed", str(args.seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-2000:]
        print(f"  {sampler} failed (exit {proc.returncode}):\n{tail}", file=sys.stderr)
        return {"sampler": sampler, "error": tail}
    return json.loads(proc.stdout.strip().splitlines()[-1])


KEYS = ("wall_s", "cpu_s", "compile_s", "sampling_s", "min_bulk_ess", "ess_per_s_sampling",
        "divergences")


def markdown(runs: list[dict]) -> str:
    lines = ["| sampler | wall (s) | CPU (s) | compile (s) | sampling (s) | min bulk ESS "
             "| ESS/s sampling | div. | runs |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for sampler in SAMPLERS:
        rows = [r for r in runs if r["sampler"] == sampler and "error" not in r]
        if not rows:
            continue
        med = {k: statistics.median(r[k] for r in rows) for k in KEYS}
        lines.append(f"| {sampler} | {med['wall_s']:.1f} | {med['cpu_s']:.1f} "
                     f"| {med['compile_s']:.1f} | {med['sampling_s']:.2f} "
                     f"| {med['min_bulk_ess']:.0f} | {med['ess_per_s_sampling']:.0f} "
                     f"| {med['divergences']:.0f} | {len(rows)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=SAMPLERS)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "gp.json")
    parser.add_argument("--worker", metavar="SAMPLER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.chains, args.draws, args.tune, args.seed)))
        return
    import os

    runs = []
    load_before = os.getloadavg()[0]
    for r in range(args.repeats):
        order = args.samplers[r % len(args.samplers):] + args.samplers[:r % len(args.samplers)]
        for sampler in order:
            row = run_one(sampler, args)
            row["repeat"] = r
            runs.append(row)
            if "error" not in row:
                print(f"  {sampler}: wall {row['wall_s']:.1f} s, sampling "
                      f"{row['sampling_s']:.2f} s, ESS/s {row['ess_per_s_sampling']:.0f}",
                      flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"runs": runs, "nproc": os.cpu_count(),
                                    "load_before": load_before,
                                    "load_after": os.getloadavg()[0]}, indent=1))
    print(markdown(runs))


if __name__ == "__main__":
    main()
