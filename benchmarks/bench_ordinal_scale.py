"""A cumulative logit model with 10⁵ rows and 10³ groups in NumPyro: wall time, collapsed rows
and ESS.

Plain script (no asserts): ``python benchmarks/bench_ordinal_scale.py [--rows 100000]
[--groups 1000] [--chains 4 --draws 1000 --tune 1000]
[--parameterization noncentered] [--phases]``. Simulated ratings in four
categories, ``rating ~ a + b + c + (1 | g)``: ``a`` and ``c`` binary, ``b`` with three levels,
groups drawn uniformly, ``u_g ~ N(0, 0.6²)``, latent ``0.7 a − 0.4 b₂ + 0.3 b₃ − 0.5 c + u_g +
logistic noise`` cut at ``(−1, 0.3, 1.6)``. The model is fitted with ``bz.sample``'s NumPyro
sampler (:func:`bayeszoo.inference.sampling.draw_posterior`, the same checks, builder, chain
method and timing, without the InferenceData and without the pointwise log-likelihood), whose
likelihood collapses rows that share a design row and a rating
(:meth:`bayeszoo.families.ordinal.Ordinal.summarize`), by default centered: the group effects
are drawn around minus the first threshold (:class:`bayeszoo.models.spec.BlockSpec`,
``on_threshold``). ``wall`` runs from the formula to the
draws in hand (data simulation excluded; the JAX compilation cache is a fresh empty folder).
Writes ``benchmarks/results/ordinal_scale.json``. With ``--phases`` it times the compiled
program's warm-up and sampling apart instead (:func:`phases`: CPU time per gradient of the
sampler as it runs) and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CUTS = (-1.0, 0.3, 1.6)


def simulate(n: int, groups: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, n, groups])
    g = rng.integers(0, groups, n)
    a, b, c = rng.integers(0, 2, n), rng.integers(0, 3, n), rng.integers(0, 2, n)
    u = 0.6 * rng.standard_normal(groups)
    latent = 0.7 * a + np.array([0.0, -0.4, 0.3])[b] - 0.5 * c + u[g] + rng.logistic(size=n)
    rating = 1 + np.searchsorted(CUTS, latent)
    return pd.DataFrame({
        "rating": pd.Categorical(rating, categories=[1, 2, 3, 4], ordered=True),
        "a": a.astype(float), "b": pd.Categorical.from_codes(b, ["lo", "mid", "hi"]),
        "c": c.astype(float),
        "g": pd.Categorical.from_codes(g, [f"g{i}" for i in range(groups)])})


def run(n: int, groups: int, chains: int, draws: int, tune: int,
        parameterization: str = "centered") -> dict:
    import numpy as np

    df = simulate(n, groups)
    t0, cpu0 = time.perf_counter(), time.process_time()
    import bayeszoo as bz
    from bayeszoo.inference.convergence import ess_bulk, rhat
    from bayeszoo.inference.sampling import draw_posterior

    design = bz.design("rating ~ a + b + c + (1 | g)", df, family="cumulative")
    t_design = time.perf_counter() - t0
    fit = draw_posterior(design, chains=chains, draws=draws, tune=tune, seed=1,
                         progress=False, log_likelihood=False,
                         parameterization=parameterization)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    from bayeszoo.models.numpyro import build_numpyro

    stats = build_numpyro(design).data
    collapsed = int(np.count_nonzero(stats.sums[0])) if hasattr(stats, "sums") else n
    patterns = int(stats.arrays.X.shape[0]) if hasattr(stats, "arrays") else n
    ess = {k: float(np.min(ess_bulk(v))) for k, v in fit.posterior.items()}
    n_steps = int(np.asarray(fit.stats["n_steps"]).sum())
    sampling = float(fit.attrs["sampling_seconds"])
    return {"rows": n, "groups": groups, "parameterization": parameterization,
            "chains": chains, "draws": draws, "tune": tune,
            "chain_method": fit.attrs.get("chain_method"), "wall_s": wall, "cpu_s": cpu,
            "design_s": t_design, "compile_s": float(fit.attrs["compile_seconds"]),
            "sampling_s": sampling, "design_patterns": patterns,
            "collapsed_rows": collapsed, "min_bulk_ess": min(ess.values()),
            "bulk_ess": {k: ess[k] for k in sorted(ess) if not k.startswith("z_")},
            "max_rhat": max(float(np.max(rhat(v))) for v in fit.posterior.values()),
            "divergences": int(np.asarray(fit.stats["diverging"]).sum()),
            "mean_steps_per_draw": n_steps / (chains * draws),
            "sampling_phase_gradients": n_steps}


def phases(n: int, groups: int, chains: int, draws: int, tune: int,
           parameterization: str = "centered") -> dict:
    """The compiled NumPyro program's warm-up and sampling timed apart, after compiling: the
    sampling phase's gradients are counted exactly (``n_steps`` of each kept iteration), so its
    CPU time per gradient is the sampler's cost of one leapfrog step as it runs."""
    import jax
    import numpy as np

    import bayeszoo as bz
    from bayeszoo.inference.backends import SamplerSettings
    from bayeszoo.inference.backends.numpyro import nuts_program
    from bayeszoo.models.spec import model_spec

    design = bz.design("rating ~ a + b + c + (1 | g)", simulate(n, groups), family="cumulative")
    program = nuts_program(design, model_spec(design, None, parameterization),
                           SamplerSettings(chains, draws, tune, 0.8, False))
    t0 = time.perf_counter()
    state, records = program.start(jax.random.split(jax.random.PRNGKey(1), chains), program.data)
    state, records = jax.block_until_ready(program.advance(state, records, program.data, 0, 0))
    out = {"chain_method": program.chain_method, "compile_s": time.perf_counter() - t0}
    for phase, lo, hi in (("warmup", 0, tune), ("sampling", tune, tune + draws)):
        t, c = time.perf_counter(), time.process_time()
        state, records = jax.block_until_ready(program.advance(state, records, program.data,
                                                               lo, hi))
        out[f"{phase}_s"], out[f"{phase}_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    out["sampling_gradients"] = int(np.asarray(records[3]).sum())
    out["sampling_cpu_us_per_gradient"] = 1e6 * out["sampling_cpu_s"] / out["sampling_gradients"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e5)
    parser.add_argument("--groups", type=float, default=1e3)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--parameterization", default="centered",
                        choices=["noncentered", "centered"])
    parser.add_argument("--phases", action="store_true",
                        help="time warm-up and sampling apart (no InferenceData, no ESS)")
    parser.add_argument("--out", type=Path, default=RESULTS / "ordinal_scale.json")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bz-jax-cache-") as cache:
        os.environ["BAYESZOO_JAX_CACHE"] = cache
        if args.phases:
            r = phases(int(args.rows), int(args.groups), args.chains, args.draws, args.tune,
                       args.parameterization)
            print(f"{r['chain_method']}, load {load_before[0]:.2f} -> {os.getloadavg()[0]:.2f}: "
                  f"compile {r['compile_s']:.1f} s; warm-up {r['warmup_s']:.1f} s wall "
                  f"{r['warmup_cpu_s']:.1f} s CPU; sampling {r['sampling_s']:.1f} s wall "
                  f"{r['sampling_cpu_s']:.1f} s CPU, {r['sampling_gradients']:,} gradients, "
                  f"{r['sampling_cpu_us_per_gradient']:.0f} µs CPU each")
            return
        r = run(int(args.rows), int(args.groups), args.chains, args.draws, args.tune,
                args.parameterization)
    load = os.getloadavg()
    print(f"cumulative logit, rating ~ a + b + c + (1 | g): {r['rows']:,} rows, "
          f"{r['groups']:,} groups, {r['parameterization']}, NumPyro {r['chains']} chains × "
          f"({r['tune']} + "
          f"{r['draws']}), chain method {r['chain_method']} ({platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} after)")
    print(f"wall {r['wall_s']:.1f} s (design {r['design_s']:.1f}, compile {r['compile_s']:.1f}, "
          f"sampling {r['sampling_s']:.1f}); cpu {r['cpu_s']:.1f} s")
    print(f"collapsed: {r['rows']:,} rows -> {r['design_patterns']:,} design rows, "
          f"{r['collapsed_rows']:,} (design row, rating) pairs")
    print(f"min bulk ESS {r['min_bulk_ess']:.0f}; max R-hat {r['max_rhat']:.3f}; divergences "
          f"{r['divergences']}; {r['mean_steps_per_draw']:.1f} steps/draw, "
          f"{r['sampling_phase_gradients']:,} gradients after warm-up (warm-up's are not "
          "recorded: its early trees are deeper)")
    print("bulk ESS: " + ", ".join(f"{k} {v:.0f}" for k, v in r["bulk_ess"].items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    r.update(python=platform.python_version(), machine=platform.machine(),
             cpus=os.cpu_count(), load_average_before=load_before, load_average=load,
             date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    args.out.write_text(json.dumps(r, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
