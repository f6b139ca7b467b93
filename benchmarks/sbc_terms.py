"""Simulation-based calibration of the autoregressive and monotonic term types in NumPyro.

``python benchmarks/sbc_terms.py [--n-sims N]`` runs :func:`bayeszoo.sbc` on the zoo entries
``lakehuron_ar1`` (``level ~ 1 + ar(time = year, p = 1)``: each simulated series drawn row
after row through brms's recursion) and ``cbpp_monotonic`` (``mo(period)`` with its simplex),
and on ``arma_panel``, ``y ~ x + arma(time = t, gr = g, p = 1, q = 1)`` over three series of
40 times (:func:`arma_panel`), ranking ``ar[1]``, ``ma[1]`` and every element of
``simo_moperiod1`` beside the scalar parameters, saves
each result (``results/sbc_terms/<model>__numpyro.json`` and ``.png``) and writes
``RESULTS_sbc_terms.md`` with the table of :mod:`benchmarks.sbc`. Results on disk are kept
unless ``--force``. ``--seed S`` (other than 1) repeats the chosen models with fresh
simulations (``<model>__numpyro__seed<S>.json``, their own table), to tell a chance result from
a fault.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "sbc_terms"
NOTES = HERE / "RESULTS_sbc_terms.md"
#: proper priors on the data's scale (LakeHuron's level: mean 579, sd 1.3; cbpp's incidence:
#: log-odds about -2); ``ar`` keeps its flat prior on (-1, 1), ``simo_moperiod1`` its
#: Dirichlet(1)
PRIORS = {
    "lakehuron_ar1": {"Intercept": "normal(579, 2)", "sigma": "normal(0, 1)"},
    "cbpp_monotonic": {"Intercept": "normal(-2, 1)", "bsp_moperiod": "normal(0, 0.5)",
                       "sd": "normal(0, 1)"},
    "arma_panel": {"Intercept": "normal(0, 1)", "b": "normal(0, 1)", "sigma": "normal(0, 1)"},
}
#: models given by formula (the others are zoo entries)
FORMULAS = {"arma_panel": "y ~ x + arma(time = t, gr = g, p = 1, q = 1)"}


def arma_panel():
    """Three series ``g`` of 40 times ``t`` with a standard normal covariate ``x`` (the
    response is simulated)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame({"g": np.repeat(["a", "b", "c"], 40), "t": np.tile(np.arange(40), 3),
                         "x": rng.normal(size=120), "y": 0.0})
SAMPLER = {"chains": 2, "draws": 500, "tune": 500}


def sbc_module():
    """``benchmarks/sbc.py``, for its results table."""
    spec = importlib.util.spec_from_file_location("sbc_bench", HERE / "sbc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def result_path(name: str, seed: int) -> Path:
    return OUT / (f"{name}__numpyro.json" if seed == 1 else f"{name}__numpyro__seed{seed}.json")


def run_one(name: str, n_sims: int, seed: int) -> Path:
    import bayeszoo as bz
    from bayeszoo.reports.figures_sbc import save_png

    t0 = time.perf_counter()
    model, data = (FORMULAS[name], arma_panel()) if name in FORMULAS else (name, None)
    result = bz.sbc(model, data, n_sims=n_sims, backend="numpyro", priors=PRIORS[name], seed=seed,
                    progress=True, **SAMPLER)
    result.settings["minutes"] = round((time.perf_counter() - t0) / 60, 2)
    result.settings["load_after"] = round(os.getloadavg()[0], 1)
    path = result_path(name, seed)
    result.save(path)
    save_png(result.plot(), path.with_suffix(".png"))
    return path


def write_notes(paths: dict[tuple[str, str], Path], repeats: dict[tuple[str, str], Path]
                ) -> None:
    from bayeszoo import SbcResult

    lines = ["## Simulation-based calibration of ar() and mo() (NumPyro)", "",
             "Written by `python benchmarks/sbc_terms.py`: ranks of every scalar parameter, of "
             "each element of `ar` and of the monotonic simplex `simo_moperiod1`, and of the "
             "log-likelihood, over simulations from the priors below; refits "
             f"{SAMPLER['chains']} chains × ({SAMPLER['tune']} + {SAMPLER['draws']}).", "",
             *sbc_module().table(paths), "", "Priors (others: brms's defaults):", ""]
    lines += [f"- `{name}`: `{PRIORS[name]}`" for name in PRIORS]
    if repeats:
        lines += ["", "Repeats with fresh simulations (`--seed`):", "",
                  *sbc_module().table(repeats)]
    lines += ["", "Per-quantity p-values of the ECDF test:", ""]
    for (name, seed), path in {**paths, **repeats}.items():
        r = SbcResult.load(path)
        lines.append(f"- `{name}` ({seed}): " + ", ".join(f"`{q}` {p:.2f}"
                                                  for q, p in r.pvalues.items()))
    NOTES.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-sims", type=int, default=25)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--models", nargs="*", default=list(PRIORS))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        path = result_path(name, args.seed)
        if args.force or not path.exists():
            run_one(name, args.n_sims, args.seed)
    found = {(path.name.split("__")[0], path.stem.split("__")[-1]): path
             for path in sorted(OUT.glob("*.json"))}
    write_notes({(m, "numpyro"): found[(m, "numpyro")] for m in PRIORS if (m, "numpyro") in found},
                {(m, f"numpyro, seed {tag.removeprefix('seed')}"): p
                 for (m, tag), p in found.items() if tag != "numpyro"})


if __name__ == "__main__":
    main()
