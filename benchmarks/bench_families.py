"""NUTS on non-Gaussian families: cbpp (binomial) and epilepsy (Poisson) per backend, and
Poisson and bernoulli random-intercept models with 10⁶ rows.

Plain script (no asserts): ``python benchmarks/bench_families.py [--repeats 3] [--only zoo|big]``.
Every run is a fresh Python process (``--worker``) with an empty JAX compilation cache that
imports bayeszoo, builds the design, compiles, samples 4 chains × (1000 + 1000) and (zoo models)
computes PSIS-LOO.

``zoo``: ``cbpp_binomial`` and ``epilepsy_poisson`` with NumPyro, PyMC's default sampler and
nutpie (backends alternate; medians over repeats), beside brms's posterior (the largest
``|mean − brms mean| / brms sd`` over the reference parameters, elpd_loo and p_loo).
``big``: ``y ~ x1 + x2 + (1 | g)`` with 10⁶ rows, 10³ groups and discrete covariates (``x1`` 0/1,
``x2`` three levels; simulated with ``eta = −0.5 + 0.3 x1 + (0, 0.2, −0.4)[x2] + u_g``,
``u_g ~ N(0, 0.5²)``), Poisson (log link) and bernoulli (logit), NumPyro, both
parameterizations, ``bz.sample(..., log_likelihood=False)``: the 6,000 distinct design rows carry
the likelihood (:mod:`bayeszoo.families.patterns`), and the pointwise log-likelihood (10⁶ × 4000
doubles = 32 GB) is left out.

Columns: ``wall`` from the first line of the process to the end (imports, data, design, compile,
sampling, LOO), ``CPU`` the process's and its children's CPU time (barely changed by other load),
``design`` the formula-to-design time, ``compile`` and ``sampling`` as :func:`bayeszoo.sample`
records them, the smallest bulk ESS over every posterior quantity, ESS per second of sampling,
the largest R-hat, divergences, leapfrog steps per draw and µs per gradient (sampling time over
the kept draws' leapfrog steps scaled to warm-up + draws). Writes
``benchmarks/results/families.json``; the load average before and after each run is recorded.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ZOO_MODELS = {"cbpp_binomial": "cbpp_binomial_re", "epilepsy_poisson": "epilepsy_poisson_re"}
BACKENDS = ("numpyro", "pymc", "nutpie")
BIG_FAMILIES = ("poisson", "bernoulli")
RESULTS = Path(__file__).resolve().parent / "results"
FIXTURE = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "brms_wave2.json"


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    import resource

    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def simulate_big(family: str, n: int = 10**6, groups: int = 10**3, seed: int = 0):
    """The 10⁶-row data set of the module doc as a DataFrame."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, n, groups])
    g = rng.integers(0, groups, n)
    x1 = rng.integers(0, 2, n).astype(float)
    x2 = rng.integers(0, 3, n)
    eta = -0.5 + 0.3 * x1 + np.array([0.0, 0.2, -0.4])[x2] + rng.normal(0, 0.5, groups)[g]
    y = rng.poisson(np.exp(eta)) if family == "poisson" else \
        rng.binomial(1, 1.0 / (1.0 + np.exp(-eta)))
    return pd.DataFrame({"y": y.astype(float), "x1": x1,
                         "x2": pd.Categorical(np.array(["a", "b", "c"])[x2]),
                         "g": pd.Categorical(g)})


def fit_figures(idata, chains: int, draws: int, tune: int) -> dict:
    import arviz as az
    import numpy as np

    post = idata.posterior
    ess = min(float(np.nanmin(v.values)) for v in az.ess(post, method="bulk").data_vars.values())
    rhat = max(float(np.nanmax(v.values)) for v in az.rhat(post).data_vars.values())
    n_steps = int(np.asarray(idata.sample_stats["n_steps"].values).sum())
    attrs = idata.attrs
    sampling = float(attrs["sampling_seconds"])
    return {"chain_method": attrs.get("chain_method"),
            "compile_s": float(attrs["compile_seconds"]), "sampling_s": sampling,
            "min_bulk_ess": ess, "ess_per_s_sampling": ess / sampling, "max_rhat": rhat,
            "divergences": int(np.asarray(idata.sample_stats["diverging"].values).sum()),
            "mean_steps_per_draw": n_steps / (chains * draws),
            "us_per_gradient": 1e6 * sampling / (n_steps * (draws + tune) / draws),
            "versions": json.loads(attrs["versions"])}


def zoo_worker(model: str, backend: str, chains: int, draws: int, tune: int, seed: int) -> dict:
    import numpy as np

    import bayeszoo as bz

    entry = bz.zoo.get(model)
    data = entry.load_data()
    t = time.perf_counter()
    design = bz.design(entry.formula, data, family=entry.family_object())
    design_s = time.perf_counter() - t
    idata = bz.sample(design, backend=backend, chains=chains, draws=draws, tune=tune, seed=seed,
                      progress=False)
    loo = bz.loo(idata)
    wall = time.perf_counter() - _T0
    ref = json.loads(FIXTURE.read_text())[ZOO_MODELS[model]]
    z = {p: abs(float(idata.posterior[p].mean()) - r["mean"]) / r["sd"]
         for p, r in ref["posterior"].items()}
    sd_ratio = {p: float(np.asarray(idata.posterior[p].values).std(ddof=1)) / r["sd"]
                for p, r in ref["posterior"].items()}
    return {"model": model, "backend": backend, "rows": int(len(data)), "wall_s": wall,
            "cpu_s": cpu_seconds(), "design_s": design_s,
            **fit_figures(idata, chains, draws, tune),
            "elpd_loo": float(loo.elpd_loo), "p_loo": float(loo.p_loo),
            "brms_elpd_loo": ref["loo"]["elpd_loo"], "brms_p_loo": ref["loo"]["p_loo"],
            "max_mean_diff_in_brms_sd": max(z.values()),
            "sd_ratio_range": [min(sd_ratio.values()), max(sd_ratio.values())],
            "brms_seconds": ref["seconds"]}


def big_worker(family: str, parameterization: str, chains: int, draws: int, tune: int,
               seed: int) -> dict:
    import bayeszoo as bz
    from bayeszoo.models.numpyro import build_numpyro

    data = simulate_big(family)
    t = time.perf_counter()
    design = bz.design("y ~ x1 + x2 + (1 | g)", data, family=family)
    design_s = time.perf_counter() - t
    idata = bz.sample(design, chains=chains, draws=draws, tune=tune, seed=seed, progress=False,
                      parameterization=parameterization, log_likelihood=False)
    wall = time.perf_counter() - _T0
    post = idata.posterior
    patterns = build_numpyro(design, parameterization=parameterization).data.arrays.X.shape[0]
    return {"family": family, "parameterization": parameterization, "rows": design.n,
            "groups": 1000, "patterns": int(patterns), "wall_s": wall, "cpu_s": cpu_seconds(),
            "design_s": design_s, **fit_figures(idata, chains, draws, tune),
            "sample_total_s": float(idata.attrs["total_seconds"]),
            "b_x1": float(post["b_x1"].mean()), "sd_g": float(post["sd_g__Intercept"].mean())}


def run_one(args, *worker_args: str) -> dict:
    """One worker process on an empty JAX compilation cache, with the load average around it."""
    with tempfile.TemporaryDirectory(prefix="bz-jax-cache-") as cache:
        env = {**os.environ, "BAYESZOO_JAX_CACHE": cache}
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *worker_args,
               "--chains", str(args.chains), "--draws", str(args.draws), "--tune",
               str(args.tune), "--seed", str(args.seed)]
        load_before = os.getloadavg()[0]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        load_after = os.getloadavg()[0]
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-2000:]
        print(f"  {worker_args} failed (exit {proc.returncode}):\n{tail}", file=sys.stderr)
        return {"worker": list(worker_args), "error": tail}
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    row.update(load_before=load_before, load_after=load_after)
    return row


ZOO_KEYS = ("wall_s", "cpu_s", "compile_s", "sampling_s", "min_bulk_ess", "ess_per_s_sampling",
            "max_rhat", "divergences", "mean_steps_per_draw", "us_per_gradient",
            "max_mean_diff_in_brms_sd", "elpd_loo", "p_loo", "load_before", "load_after")


def zoo_markdown(runs: list[dict]) -> str:
    lines = ["| model | backend | wall (s) | CPU (s) | compile (s) | sampling (s) | min bulk ESS "
             "| ESS/s sampling | max R-hat | div. | steps/draw | max \\|Δmean\\|/sd vs brms "
             "| elpd_loo (brms) | p_loo (brms) | load | runs |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    keys = []
    for r in runs:
        if "error" not in r and (r["model"], r["backend"]) not in keys:
            keys.append((r["model"], r["backend"]))
    for model, backend in keys:
        rows = [r for r in runs if r.get("model") == model and r.get("backend") == backend]
        m = {k: statistics.median(r[k] for r in rows) for k in ZOO_KEYS}
        m["max_rhat"] = max(r["max_rhat"] for r in rows)
        lines.append(
            f"| {model} | {backend} | {m['wall_s']:.1f} | {m['cpu_s']:.1f} "
            f"| {m['compile_s']:.1f} | {m['sampling_s']:.2f} | {m['min_bulk_ess']:.0f} "
            f"| {m['ess_per_s_sampling']:.0f} | {m['max_rhat']:.3f} | {m['divergences']:.0f} "
            f"| {m['mean_steps_per_draw']:.1f} | {m['max_mean_diff_in_brms_sd']:.3f} "
            f"| {m['elpd_loo']:.1f} ({rows[0]['brms_elpd_loo']:.1f}) "
            f"| {m['p_loo']:.1f} ({rows[0]['brms_p_loo']:.1f}) "
            f"| {m['load_before']:.1f} → {m['load_after']:.1f} | {len(rows)} |")
    return "\n".join(lines)


def big_markdown(runs: list[dict]) -> str:
    lines = ["| family | parameterization | rows | patterns | wall (s) | CPU (s) | design (s) "
             "| compile (s) | sampling (s) | min bulk ESS | max R-hat | div. | steps/draw "
             "| µs/gradient | load |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        if "error" in r:
            lines.append(f"| {' '.join(r['worker'])} | failed |" + " |" * 13)
            continue
        lines.append(
            f"| {r['family']} | {r['parameterization']} | {r['rows']:,} | {r['patterns']:,} "
            f"| {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['design_s']:.1f} "
            f"| {r['compile_s']:.1f} | {r['sampling_s']:.1f} | {r['min_bulk_ess']:.0f} "
            f"| {r['max_rhat']:.3f} | {r['divergences']} | {r['mean_steps_per_draw']:.1f} "
            f"| {r['us_per_gradient']:.1f} | {r['load_before']:.1f} → {r['load_after']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the zoo runs")
    parser.add_argument("--only", choices=("zoo", "big"))
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--parameterization", nargs="+", default=["noncentered", "centered"],
                        choices=["noncentered", "centered"])
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "families.json")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        kind, *rest = args.worker
        fn = zoo_worker if kind == "zoo" else big_worker
        print(json.dumps(fn(*rest, args.chains, args.draws, args.tune, args.seed)))
        return

    zoo_runs, big_runs = [], []
    if args.only in (None, "zoo"):
        for rep in range(args.repeats):
            for model in ZOO_MODELS:
                k = rep % len(args.backends)
                for backend in args.backends[k:] + args.backends[:k]:
                    zoo_runs.append(run_one(args, "zoo", model, backend))
                    print(f"  repeat {rep + 1}: {model}/{backend} "
                          f"{zoo_runs[-1].get('wall_s', float('nan')):.1f} s", file=sys.stderr)
    if args.only in (None, "big"):
        for family in BIG_FAMILIES:
            for par in args.parameterization:
                big_runs.append(run_one(args, "big", family, par))
                print(f"  10^6 rows {family}/{par}: {big_runs[-1].get('wall_s', float('nan')):.1f}"
                      " s", file=sys.stderr)
    print(f"NUTS, {args.chains} chains × ({args.tune} + {args.draws}), fresh process and JAX "
          f"cache per run ({platform.machine()}, {os.cpu_count()} CPUs)\n")
    if zoo_runs:
        print(zoo_markdown(zoo_runs) + "\n")
    if big_runs:
        print(big_markdown(big_runs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "families", "chains": args.chains, "draws": args.draws,
              "tune": args.tune, "python": platform.python_version(),
              "machine": platform.machine(), "cpus": os.cpu_count(),
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "zoo": zoo_runs, "big": big_runs}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
