"""Simulation-based calibration of the autoregressive, monotonic, multivariate, mgcv
``ad``/``gp``/``mrf`` and non-linear term types in NumPyro.

``python benchmarks/sbc_terms.py [--n-sims N]`` runs :func:`bayeszoo.sbc` on the zoo entries
``lakehuron_ar1`` (``level ~ 1 + ar(time = year, p = 1)``: each simulated series drawn row
after row through brms's recursion) and ``cbpp_monotonic`` (``mo(period)`` with its simplex),
on ``arma_panel``, ``y ~ x + arma(time = t, gr = g, p = 1, q = 1)`` over three series of
40 times (:func:`arma_panel`), on one smooth of each of mgcv's ``ad``, ``gp`` and ``mrf``
classes (:func:`smooth_line`, :func:`region_grid`), on ``mo_group``, a monotonic effect varying
by group (:func:`mo_panel`), and on ``mv_rescor``, two Gaussian responses with residual
correlations and a group intercept shared through an ID (:func:`mv_panel`, refitted by
``benchmarks/sbc_multivariate.py``), and on ``nonlinear``, the loss model's growth curve
``y ~ ult * (1 - exp(-(x / theta)^omega))`` with ``ult ~ 1 + (1 | g)`` (``bf(..., nl = TRUE)``,
:func:`growth_panel`), ranking ``ar[1]``, ``ma[1]`` and every element of
a monotonic simplex beside the scalar parameters, saves
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
#: proper priors for the smooths (see :data:`PRIOR_NOTE`)
SMOOTH_PRIORS = {"Intercept": "normal(0, 1)", "b": "normal(0, 1)", "sds": "normal(0, 1)",
                 "sigma": "normal(0, 1)"}
#: proper priors on the data's scale (LakeHuron's level: mean 579, sd 1.3; cbpp's incidence:
#: log-odds about -2); ``ar`` keeps its flat prior on (-1, 1), ``simo_moperiod1`` its
#: Dirichlet(1)
PRIORS = {
    "lakehuron_ar1": {"Intercept": "normal(579, 2)", "sigma": "normal(0, 1)"},
    "cbpp_monotonic": {"Intercept": "normal(-2, 1)", "bsp_moperiod": "normal(0, 0.5)",
                       "sd": "normal(0, 1)"},
    "arma_panel": {"Intercept": "normal(0, 1)", "b": "normal(0, 1)", "sigma": "normal(0, 1)"},
    "ad_smooth": SMOOTH_PRIORS,
    "gp_smooth": SMOOTH_PRIORS,
    "mrf_smooth": {"Intercept": "normal(0, 1)", "sds": "normal(0, 1)", "sigma": "normal(0, 1)"},
    "mo_group": {"Intercept": "normal(0, 1)", "bsp_mox": "normal(0, 0.5)", "sd": "normal(0, 0.5)",
                 "sigma": "normal(0, 1)"},
    "mv_rescor": {"Intercept": "normal(0, 1)", "b": "normal(0, 1)", "sd": "normal(0, 1)",
                  "sigma": "normal(0, 1)"},
    "nonlinear": {"b_ult": "normal(5, 1)", "b_omega": "normal(1.5, 0.3) lb=0",
                  "b_theta": "normal(3, 0.5) lb=0", "sd_ult": "normal(0, 0.5)",
                  "sigma": "normal(0, 0.3)"},
}
#: models given by formula (the others are zoo entries), and the function making their data
FORMULAS = {"arma_panel": ("y ~ x + arma(time = t, gr = g, p = 1, q = 1)", "arma_panel"),
            "ad_smooth": ("y ~ s(x, bs = 'ad', k = 12, m = 3)", "smooth_line"),
            "gp_smooth": ("y ~ s(x, bs = 'gp', k = 10)", "smooth_line"),
            "mrf_smooth": ("y ~ s(region, bs = 'mrf')", "region_grid"),
            "mo_group": ("y ~ mo(x) + (1 + mo(x) | g)", "mo_panel"),
            "mv_rescor": ("mvbind(y1, y2) ~ x + (1 | p | g)", "mv_panel"),
            "nonlinear": ("y ~ ult * (1 - exp(-(x / theta)^omega))", "growth_panel")}
#: the non-linear parameters' formulas of the models given by a non-linear formula
NL_PARS = {"nonlinear": {"ult": "~ 1 + (1 | g)", "omega": "~ 1", "theta": "~ 1"}}
#: the rows and columns of :func:`region_grid`'s regions
GRID = (3, 4)


def arma_panel():
    """Three series ``g`` of 40 times ``t`` with a standard normal covariate ``x`` (the
    response is simulated)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame({"g": np.repeat(["a", "b", "c"], 40), "t": np.tile(np.arange(40), 3),
                         "x": rng.normal(size=120), "y": 0.0})


def smooth_line():
    """80 evenly spaced ``x`` on [0, 1] (the response is simulated)."""
    import numpy as np
    import pandas as pd

    return pd.DataFrame({"x": np.linspace(0.0, 1.0, 80), "y": 0.0})


def region_names() -> list[str]:
    return [f"r{i}{j}" for i in range(GRID[0]) for j in range(GRID[1])]


def neighbours() -> dict[str, list[str]]:
    """The rook neighbours of each region of a 3 × 4 grid (mgcv's ``xt = list(nb = nb)``)."""
    rows, cols = GRID
    return {f"r{i}{j}": [f"r{a}{b}" for a, b in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1))
                         if 0 <= a < rows and 0 <= b < cols]
            for i in range(rows) for j in range(cols)}


def region_grid():
    """Five rows in each of the 12 regions of a 3 × 4 grid."""
    import numpy as np
    import pandas as pd

    names = region_names()
    return pd.DataFrame({"region": pd.Categorical(np.repeat(names, 5), categories=names),
                         "y": 0.0})


def mo_panel():
    """Eight groups ``g`` of 12 rows with an ordinal ``x`` in 0..3, three rows per category."""
    import numpy as np
    import pandas as pd

    return pd.DataFrame({"g": np.repeat([f"g{i}" for i in range(8)], 12),
                         "x": np.tile(np.repeat(np.arange(4), 3), 8), "y": 0.0})


def mv_panel():
    """Ten groups ``g`` of six rows with a standard normal covariate ``x`` (the responses
    ``y1``, ``y2`` are simulated)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    return pd.DataFrame({"g": np.repeat([f"g{i}" for i in range(10)], 6),
                         "x": rng.normal(size=60), "y1": 0.0, "y2": 0.0})


def growth_panel():
    """Six groups ``g`` (accident years of a loss triangle) observed at the ten development
    times ``x = 1..10`` (the response is simulated)."""
    import numpy as np
    import pandas as pd

    return pd.DataFrame({"g": np.repeat([f"g{i}" for i in range(6)], 10),
                         "x": np.tile(np.arange(1.0, 11.0), 6), "y": 0.0})


def model_formula(name: str):
    """The formula of a model given by formula: a string, or :func:`bayeszoo.bf` with
    ``nl=True`` and its parameters' formulas (:data:`NL_PARS`)."""
    import bayeszoo as bz

    formula = FORMULAS[name][0]
    return bz.bf(formula, **NL_PARS[name], nl=True) if name in NL_PARS else formula


#: mgcv's ``xt`` of the models that need one
XT = {"mrf_smooth": {"region": {"nb": neighbours()}}}
SAMPLER = {"chains": 2, "draws": 500, "tune": 500}
HEADER = ("## Simulation-based calibration of ar(), mo(), mvbind(), the ad, gp, mrf smooths "
          "and a non-linear formula (NumPyro)")
#: why the priors differ from brms's defaults
PRIOR_NOTE = (
    "brms's defaults are set from the response, which SBC simulates, and leave the population "
    "coefficients (`b`, `bsp`) flat, which SBC cannot draw from: each model has proper priors "
    "on the scale of its data. The smooths' `sds` and `sigma` get `normal(0, 1)` rather than "
    "brms's `student_t(3, 0, 2.5)`, which puts one draw in ten above 6, far from the unit "
    "scale of the intercept's and coefficients' priors; `mo_group`'s group-level sds get "
    "`normal(0, 0.5)`, as its `bsp_mox`, so that the group's monotonic coefficient "
    "`bsp_mox + r_g[g, mox]` keeps the scale of the population one. `nonlinear` is the loss "
    "model's curve scaled down (ultimate 5 rather than 5000, development times 1..10): brms "
    "sets no default for a non-linear parameter's coefficients (`b_ult`, `b_omega`, "
    "`b_theta`), so each gets a proper normal prior, with `lb=0` on the shape `omega` and scale "
    "`theta` that the curve needs positive (their priors put under 1e-6 of their mass below 0, "
    "so the bound truncates almost nothing); `sd_ult` and `sigma` get half-normals small "
    "beside the ultimate's scale, so that the groups' ultimates stay positive and the curve "
    "is seen through the noise.")


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
    model, data = (model_formula(name), globals()[FORMULAS[name][1]]()) if name in FORMULAS \
        else (name, None)
    if isinstance(model, str) and model.startswith("mvbind("):
        from sbc_multivariate import sbc_multivariate

        result = sbc_multivariate(model, data, PRIORS[name], n_sims, seed, label=name,
                                  **SAMPLER)
    else:
        result = bz.sbc(model, data, n_sims=n_sims, backend="numpyro", priors=PRIORS[name],
                        seed=seed, progress=True, xt=XT.get(name), **SAMPLER)
    result.settings["minutes"] = round((time.perf_counter() - t0) / 60, 2)
    result.settings["load_after"] = round(os.getloadavg()[0], 1)
    path = result_path(name, seed)
    result.save(path)
    save_png(result.plot(), path.with_suffix(".png"))
    return path


def write_notes(paths: dict[tuple[str, str], Path], repeats: dict[tuple[str, str], Path]
                ) -> None:
    from bayeszoo import SbcResult

    lines = [HEADER, "",
             "Written by `python benchmarks/sbc_terms.py`: ranks of every scalar parameter, of "
             "each element of `ar` and of the monotonic simplexes (`simo_moperiod1`, "
             "`simo_mox1`), and of the log-likelihood (the responses' joint one for "
             "`mv_rescor`), over simulations from the priors below; refits "
             f"{SAMPLER['chains']} chains × ({SAMPLER['tune']} + {SAMPLER['draws']}). Models "
             "given by formula:", ""]
    lines += [f"- `{name}`: `{model_formula(name)}` on `{data}()` of the script" + (
        ", the neighbours of a 3 × 4 grid of regions as `xt`" if name in XT else "")
        for name, (_, data) in FORMULAS.items()]
    lines += ["", *sbc_module().table(paths), "", "Priors (others: brms's defaults):", ""]
    lines += [f"- `{name}`: `{PRIORS[name]}`" for name in PRIORS]
    lines += ["", PRIOR_NOTE]
    loads = {name: SbcResult.load(path).settings.get("load_after") for (name, _), path in
             paths.items()}
    loads = {name: v for name, v in loads.items() if v is not None}
    if loads:
        lines += ["", "Load average (1 minute) at the end of each run, on a machine whose cores "
                  "other jobs shared: " + ", ".join(f"`{k}` {v}" for k, v in loads.items())
                  + "; the minutes of runs under a load above the machine's cores are upper "
                  "bounds."]
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
