"""Bulk ESS per second of sampling: NumPyro (Stan's warm-up), BlackJAX with nutpie's
gradient-based warm-up, and nutpie, side by side in one process.

Plain script (no asserts): ``python benchmarks/bench_adaptation.py [--repeats 3] [--models ...]``.
For each model every backend first runs once untimed (tracing and compiling; nutpie compiles
again in every run and its compilation is not part of its sampling time), then the backends
alternate, ``--repeats`` rounds, their order rotating, each round with a new seed shared by
the three. Each run: 4 chains × (1000 + 1000) with the zoo entry's ``target_accept`` and
parameterization, :func:`bayeszoo.inference.sampling.draw_posterior` (no InferenceData).

Per run: sampling seconds (warm-up included, as ``attrs["sampling_seconds"]``), the smallest
bulk ESS over every posterior quantity (vector elements included), that ESS per second of
sampling, leapfrog steps per kept draw, the largest R-hat and the divergences; the table shows
medians over the rounds and each backend's ESS/s over nutpie's (the median of the per-round
ratios; with ``--backends ... pymc``, also over PyMC's default sampler's, the in-process ratio
of the speed issue's second target). Agreement: the largest |difference of posterior means|
between each backend and nutpie over all quantities, in units of its Monte Carlo standard error
(``sqrt(sd²/ESS_a + sd²/ESS_b)``). A backend named ``NAME+dense`` (``numpyro+dense``,
``nutpie+dense``) samples with ``dense_mass=True``. Writes ``benchmarks/results/adaptation.json``
and the section ``benchmarks/RESULTS_adaptation.md``, keeping its hand-written notes (from the
heading :data:`NOTES` on); ``--no-write`` prints only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

MODELS = ("radon_intercept", "mcycle_cr20", "radon_varying_slope", "epilepsy_poisson")
BACKENDS = ("numpyro", "blackjax", "nutpie")
HERE = Path(__file__).resolve().parent
#: The written section keeps what follows this heading (hand-written notes) when it is rerun.
NOTES = "### Notes"


def one_run(model: str, backend: str, seed: int, chains: int, draws: int, tune: int) -> dict:
    """Sample ``model`` once with ``backend``; the figures of one run and the posterior means,
    sds and bulk ESS of every quantity."""
    import bayeszoo as bz
    from bayeszoo.inference.convergence import ess_bulk, rhat
    from bayeszoo.inference.sampling import draw_posterior

    entry = bz.zoo.get(model)
    data = entry.load_data()
    opts = entry.sampler_options
    name, _, variant = backend.partition("+")
    d = draw_posterior(entry.formula, data, backend=name, chains=chains, draws=draws,
                       tune=tune, seed=seed, progress=False, dense_mass=variant == "dense",
                       target_accept=opts.get("target_accept", 0.8),
                       parameterization=entry.parameterization, family=entry.family_object(),
                       knots=entry.knots, log_likelihood=False)
    flat = {}
    for k, v in d.posterior.items():
        a = np.asarray(v, dtype=float).reshape(chains, draws, -1)
        for j in range(a.shape[-1]):
            flat[f"{k}[{j}]"] = a[..., j]
    ess = {k: float(ess_bulk(v)) for k, v in flat.items()}
    n_steps = np.asarray(d.stats["n_steps"])
    sampling = float(d.attrs["sampling_seconds"])
    worst = min(ess.values())
    return {
        "model": model, "backend": backend, "seed": seed,
        "sampling_s": sampling, "compile_s": float(d.attrs["compile_seconds"]),
        "min_bulk_ess": worst, "ess_per_s": worst / sampling,
        "steps_per_draw": float(n_steps.mean()),
        "max_rhat": float(max(float(rhat(v)) for v in flat.values())),
        "divergences": int(np.asarray(d.stats["diverging"]).sum()),
        "step_size": float(np.median(np.asarray(d.stats["step_size"]))),
        "means": {k: float(v.mean()) for k, v in flat.items()},
        "sds": {k: float(v.std()) for k, v in flat.items()},
        "ess": ess,
    }


def agreement(a: dict, b: dict) -> float:
    """The largest |mean_a − mean_b| over the quantities of two runs, in Monte Carlo standard
    errors of the difference."""
    z = []
    for k, m in a["means"].items():
        se = np.sqrt(a["sds"][k] ** 2 / a["ess"][k] + b["sds"][k] ** 2 / b["ess"][k])
        if se > 0:
            z.append(abs(m - b["means"][k]) / se)
    return float(max(z))


def summarize(runs: list[dict], models, backends) -> list[dict]:
    """Medians per (model, backend), ratios to nutpie per round, agreement with nutpie."""
    rows = []
    for m in models:
        per = {b: [r for r in runs if r["model"] == m and r["backend"] == b] for b in backends}
        for b in backends:
            rs = per[b]
            if not rs:
                continue
            row = {"model": m, "backend": b, "runs": len(rs)}
            for key in ("sampling_s", "min_bulk_ess", "ess_per_s", "steps_per_draw",
                        "max_rhat", "divergences", "step_size"):
                row[key] = statistics.median(r[key] for r in rs)
            for other in ("nutpie", "pymc"):
                if not per.get(other) or b == other:
                    continue
                ref = {r["seed"]: r for r in per[other]}
                pairs = [(r, ref[r["seed"]]) for r in rs if r["seed"] in ref]
                row[f"ess_per_s_vs_{other}"] = statistics.median(
                    r["ess_per_s"] / q["ess_per_s"] for r, q in pairs)
                if other == "nutpie":
                    row["max_z_vs_nutpie"] = max(agreement(r, q) for r, q in pairs)
            rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    head = ("| model | backend | sampling (s) | min bulk ESS | ESS/s | ESS/s ÷ nutpie | "
            "ESS/s ÷ PyMC | steps/draw | step size | max R-hat | div. | "
            "max \\|Δmean\\|/MCSE vs nutpie | runs |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = []
    for r in rows:
        ratio = (f"{r['ess_per_s_vs_nutpie']:.2f}" if "ess_per_s_vs_nutpie" in r
                 else "1" if r["backend"] == "nutpie" else "")
        vs_pymc = f"{r['ess_per_s_vs_pymc']:.1f}" if "ess_per_s_vs_pymc" in r else ""
        z = f"{r['max_z_vs_nutpie']:.1f}" if "max_z_vs_nutpie" in r else ""
        lines.append(f"| {r['model']} | {r['backend']} | {r['sampling_s']:.2f} | "
                     f"{r['min_bulk_ess']:.0f} | {r['ess_per_s']:.0f} | {ratio} | {vs_pymc} | "
                     f"{r['steps_per_draw']:.1f} | {r['step_size']:.3f} | "
                     f"{r['max_rhat']:.3f} | {r['divergences']:.0f} | {z} | {r['runs']} |")
    return head + "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--backends", nargs="+", default=list(BACKENDS))
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--first-seed", type=int, default=1, help="the seed of the first round")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args()
    load0 = os.getloadavg()
    runs = []
    for model in args.models:
        for b in args.backends:
            one_run(model, b, 10_000, args.chains, args.draws, args.tune)
        for rep in range(args.repeats):
            k = rep % len(args.backends)
            for b in args.backends[k:] + args.backends[:k]:
                t0 = time.perf_counter()
                seed = args.first_seed + rep
                r = one_run(model, b, seed, args.chains, args.draws, args.tune)
                print(f"{model:20s} {b:9s} seed {seed}: sampling {r['sampling_s']:.2f} s, "
                      f"ESS {r['min_bulk_ess']:.0f}, ESS/s {r['ess_per_s']:.0f}, "
                      f"steps/draw {r['steps_per_draw']:.1f}, R-hat {r['max_rhat']:.3f}, "
                      f"div {r['divergences']} ({time.perf_counter() - t0:.1f} s)", flush=True)
                runs.append(r)
    load1 = os.getloadavg()
    rows = summarize(runs, args.models, args.backends)
    print(table(rows))
    print(f"load average {load0[0]:.2f} -> {load1[0]:.2f}")
    if args.no_write:
        return
    (HERE / "results").mkdir(exist_ok=True)
    meta = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "load_before": load0, "load_after": load1, "chains": args.chains,
            "draws": args.draws, "tune": args.tune, "repeats": args.repeats}
    md = HERE / "RESULTS_adaptation.md"
    notes = md.read_text().partition(NOTES)[1:] if md.exists() else ("", "")
    md.write_text(
        "## Warm-up: bulk ESS per second against nutpie (`bench_adaptation.py`)\n\n"
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {meta['cpus']} CPUs "
        f"({meta['machine']}), load average {load0[0]:.1f} before, {load1[0]:.1f} after; "
        f"{args.chains} chains × ({args.tune} + {args.draws}), medians of {args.repeats} "
        "alternating rounds in one process.\n\n" + table(rows) + "\n" + "".join(notes))
    (HERE / "results" / "adaptation.json").write_text(
        json.dumps({"meta": meta, "rows": rows,
                    "runs": [{k: v for k, v in r.items() if k not in ("means", "sds", "ess")}
                             for r in runs]}, indent=1))
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
