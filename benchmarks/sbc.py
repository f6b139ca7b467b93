"""Calibration as a benchmark: simulation-based calibration of every zoo model in NumPyro and PyMC.

``python benchmarks/sbc.py`` runs :func:`bayeszoo.sbc` for each model of ``zoo.names()`` (the
zoo grows on other branches: whatever it holds is run) and each backend, with the proper priors
stated below per model (:data:`PRIORS`; a model not listed keeps brms's defaults with every flat
prior replaced by ``normal(0, 2.5)``), saves each result (``results/sbc/<model>__<backend>.json``)
and its ECDF-difference plot (``.png``), and writes ``RESULTS_sbc.md``, which also replaces the
calibration section of ``RESULTS.md``. Results already on disk are kept unless ``--force``; so an
interrupted run resumes, and ``--report-only`` rewrites the tables and plots.

Simulations per model: ``--n-sims`` (NumPyro, default 100; radon_intercept always 200, the
acceptance figure) and ``--n-sims-pymc`` (default 40), at most :data:`SIMS_CAP`: what two
shared cores allow.

``--seed S`` (other than :data:`SEED`) repeats the chosen models with fresh simulations, to tell
a chance result from a fault: those results go to ``results/sbc/repeats/`` and their own table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "sbc"
NOTES = HERE / "RESULTS_sbc.md"
RESULTS = HERE / "RESULTS.md"
SECTION = "## Simulation-based calibration"

_RADON = {"Intercept": "normal(1.3, 1)", "b": "normal(0, 1)", "sd": "normal(0, 1)",
          "sigma": "normal(0, 1)"}
_MCYCLE = {"Intercept": "normal(-25, 25)", "b": "normal(0, 25)", "sds": "normal(0, 25)",
           "sigma": "normal(0, 25)"}
_EPILEPSY = {"Intercept": "normal(1.5, 1)", "b": "normal(0, 0.5)", "sd": "normal(0, 0.5)"}
#: Proper priors per zoo model: the data's scale (log radon: mean 1.3, sd 0.8; mcycle's
#: acceleration: mean -25, sd 48), half-normal for scales.
PRIORS: dict[str, dict[str, str]] = {
    "radon_pooled": {"Intercept": "normal(1.3, 1)", "sigma": "normal(0, 1)"},
    "radon_unpooled": {"b": "normal(1.3, 1)", "sigma": "normal(0, 1)"},
    "radon_intercept": {k: v for k, v in _RADON.items() if k != "b"},
    "radon_intercept_centered": {k: v for k, v in _RADON.items() if k != "b"},
    "radon_re_smooth": {k: v for k, v in _RADON.items() if k != "b"},
    "radon_floor": _RADON,
    "radon_uranium": _RADON,
    "radon_states": _RADON,
    "mcycle_cr20": _MCYCLE,
    "mcycle_cr50": _MCYCLE,
    "mcycle_cr20_fx": {k: v for k, v in _MCYCLE.items() if k != "sds"},
    "mcycle_tp": _MCYCLE,
    # log counts: brms's Student-t intercept and the flat slopes made proper would simulate
    # rates beyond what a Poisson draw can hold (exp of a t(3) draw of 50)
    "epilepsy_poisson": _EPILEPSY,
    "epilepsy_negbinomial": {**_EPILEPSY, "shape": "gamma(2, 0.5)"},
    "quine_negbinomial": {"Intercept": "normal(2.5, 1)", "b": "normal(0, 0.5)",
                          "shape": "gamma(2, 0.5)"},
    # sigma ~ s(times) on the log scale, whose basis columns reach 19 (mu's: 75): brms's
    # half-t(3, 35.6) smooth sd would give sigmas of e^100, and even normal(0, 1) swings log sigma
    # by ±20 (29 of 40 refits diverged, R-hat 2.6); these keep log sigma within a few units
    "mcycle_distributional": {"Intercept": "normal(-25, 25)", "bs_stimes_1": "normal(0, 5)",
                              "sds_stimes_1": "normal(0, 5)", "Intercept_sigma": "normal(3, 0.5)",
                              "bs_sigma_stimes_1": "normal(0, 0.2)",
                              "sds_sigma_stimes_1": "normal(0, 0.2)"},
    # logit scale: Pima.tr has 68 cases in 200 (log-odds -0.7); brms's half-t(3, 2.5) smooth sds
    # draw log-odds swings of tens, data all 0 or all 1 along glucose, whose posteriors
    # the refits did not explore (13 of 40 sds_sbmi_1 ranks in the lowest tenth)
    "pima_bernoulli": {"Intercept": "normal(-0.7, 1)", "b": "normal(0, 1)", "sds": "normal(0, 1)"},
    # as mcycle_distributional: brms's student_t(3, 0, 2.5) Intercept_sigma and the sigma
    # network's output weights swing log sigma by tens (R-hat 2.2 over 10 refits)
    "mcycle_bnn_distributional": {"Intercept": "normal(-25, 25)",
                                  "Intercept_sigma": "normal(3, 0.5)",
                                  "nn_sigma_nntimes_w2": "normal(0, 0.2)"},
}
#: Refits: 2 chains of 500 draws after 500 warm-up iterations (the zoo entry's target_accept);
#: radon_states (12,777 rows) 2 × (300 + 300).
SAMPLER = {"chains": 2, "draws": 500, "tune": 500}
SAMPLER_BY_MODEL = {"radon_states": {"chains": 2, "draws": 300, "tune": 300}}
#: Fewer simulations where one refit takes long (radon_states: 12,777 rows, ~400 parameters;
#: the Bayesian networks: hundreds of weights, deep trees).
SIMS_CAP = {"radon_states": 40, "mcycle_bnn": 20, "mcycle_bnn_distributional": 20,
            "penguins_bnn": 20}
ACCEPTANCE = ("radon_intercept", "numpyro", 200)
#: The seed of the main table; any other goes to :data:`REPEATS`.
SEED = 1
REPEATS = OUT / "repeats"


def proper_priors(name: str) -> dict[str, str]:
    """:data:`PRIORS` of ``name``, or the entry's defaults with flat priors made proper."""
    if name in PRIORS:
        return dict(PRIORS[name])
    import bayeszoo as bz
    from bayeszoo.models import zoo
    from bayeszoo.models.spec import model_spec

    entry = zoo.get(name)
    d = bz.design(entry.formula, entry.load_data(), family=entry.family_object())
    spec = model_spec(d, None, entry.parameterization)
    return {k: "normal(0, 2.5)" for k, p in spec.priors.items() if p == "flat()"}


def result_path(name: str, backend: str, suffix: str, seed: int = SEED) -> Path:
    if seed == SEED:
        return OUT / f"{name}__{backend}.{suffix}"
    return REPEATS / f"{name}__{backend}__seed{seed}.{suffix}"


def run_one(name: str, backend: str, n_sims: int, workers: int | None, seed: int = SEED) -> dict:
    import bayeszoo as bz
    from bayeszoo.reports.figures_sbc import save_png

    t0 = time.perf_counter()
    opts = {**SAMPLER, **SAMPLER_BY_MODEL.get(name, {})}
    result = bz.sbc(name, n_sims=n_sims, backend=backend, priors=proper_priors(name), seed=seed,
                    executor="dask" if workers else None, workers=workers, **opts)
    result.settings["minutes"] = round((time.perf_counter() - t0) / 60, 2)
    result.settings["load_after"] = round(os.getloadavg()[0], 1)
    result.save(result_path(name, backend, "json", seed))
    save_png(result.plot(), result_path(name, backend, "png", seed))
    return result.settings


def table(results: dict) -> list[str]:
    from bayeszoo import SbcResult

    rows = ["| model | backend | simulations | chains × (warm-up + draws) | min p-value (quantity) "
            "| family-wise p | all inside the 95% band | outside | refits with divergences "
            "| refits with R-hat > 1.05 | minutes |",
            "|---|---|---:|---|---|---:|---|---|---:|---:|---:|"]
    for (name, backend), path in results.items():
        r = SbcResult.load(path)
        p = r.pvalues
        inside = r.inside_band()
        s = r.settings
        outside = ", ".join(q for q, ok in inside.items() if not ok) or "–"
        diverged = int((r.diagnostics["divergences"] > 0).sum())
        unmixed = int((r.diagnostics["max_rhat"] > 1.05).sum())
        fw = r.familywise_pvalue()
        rows.append(f"| {name} | {backend} | {r.n_sims} | {s['chains']} × ({s['tune']} + "
                    f"{s['draws']}) | {p.min():.3f} ({p.idxmin()}) | "
                    f"{f'**{fw:.3f}**' if fw < 0.05 else f'{fw:.3f}'} | "
                    f"{'yes' if inside.all() else '**no**'} | {outside} | {diverged} | "
                    f"{unmixed} | {s.get('minutes', float('nan')):.1f} |")
    return rows


def repeated_results() -> dict[tuple[str, str], Path]:
    """The results of ``--seed`` runs, keyed by model and "backend, seed S"."""
    out = {}
    for path in sorted(REPEATS.glob("*.json")):
        name, backend, seed = path.stem.split("__")
        out[(name, f"{backend}, {seed.replace('seed', 'seed ')}")] = path
    return out


def write_notes(results: dict, failures: dict, missing: list[tuple[str, str]],
                repeats: dict) -> str:
    from bayeszoo import SbcResult

    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [SECTION, "",
             f"Written by `benchmarks/sbc.py` on {now}"
             f" ({os.cpu_count()} cores, shared: the load average after each model is in its "
             "JSON). For each zoo model and backend: parameters drawn from the proper priors "
             "below, a response simulated through the family on the model's own design, the "
             "model refitted, and the rank of every scalar parameter and of the log-likelihood "
             "of the simulated data among the posterior draws (thinned by ESS) taken on 0..99 "
             "(Talts et al. 2018; Modrák et al. 2023). p-value: the ECDF test of uniformity "
             "(Säilynoja, Bürkner & Vehtari 2022); the band is its simultaneous 95% band. With "
             "several quantities per model, one p-value below 0.05 in twenty is expected by "
             "chance: the family-wise p is the smallest p-value times the number of "
             "quantities (Bonferroni, `SbcResult.familywise_pvalue`), the test that every "
             "quantity of the model is uniform; below 0.05 (bold) in at most one calibrated "
             "model and backend in twenty. Simulations: 200 for radon_intercept in NumPyro "
             "(the acceptance figure), fewer elsewhere as stated (what two shared cores "
             "allow).", ""]
    key = (ACCEPTANCE[0], ACCEPTANCE[1])
    if key in results:
        r = SbcResult.load(results[key])
        ok = r.n_sims >= ACCEPTANCE[2] and r.pvalues.min() >= 0.01 and r.inside_band().all()
        lines += [f"**Acceptance** (radon_intercept, NumPyro, {r.n_sims} simulations): smallest "
                  f"p-value {r.pvalues.min():.3f}, every ECDF inside its band: "
                  f"{'yes' if r.inside_band().all() else 'no'} — "
                  f"{'**met**' if ok else '**not met**'}.", ""]
    lines += table(results) + [""]
    if failures:
        lines += ["Not run to the end:", ""]
        lines += [f"- {n} ({b}): {msg}" for (n, b), msg in failures.items()] + [""]
    if missing:
        lines += ["Not run yet (`python benchmarks/sbc.py` resumes with them): "
                  + ", ".join(f"{n} ({b})" for n, b in missing) + ".", ""]
    if repeats:
        lines += ["Repeated with another seed (`--seed S`: fresh parameters, responses and "
                  "refits, the same priors and settings), to tell a chance result from a "
                  "fault:", ""] + table(repeats) + [""]
    lines += ["Priors (brms names; `normal(0, s)` on a scale is its half-normal):", ""]
    for name in dict.fromkeys(n for n, _ in results):
        r = SbcResult.load(next(p for (n, _), p in results.items() if n == name))
        pri = ", ".join(f"`{k}`: {v}" for k, v in sorted(r.settings["priors"].items())
                        if not k.startswith(("b_county", "r_")))
        lines.append(f"- {name}: {pri}")
    lines += ["", "ECDF-difference plots (grey: the simultaneous 95% band):", ""]
    for (name, backend), path in {**results, **repeats}.items():
        png = path.with_suffix(".png").relative_to(HERE)
        lines.append(f"- [{name}, {backend}]({png.as_posix()})")
    if key in results:
        png = result_path(*key, "png").relative_to(HERE)
        lines += ["", f"![SBC of radon_intercept, NumPyro]({png.as_posix()})"]
    return "\n".join(lines) + "\n"


def splice(section: str, header: str = SECTION) -> None:
    """Replace (or append) the section of RESULTS.md that starts with ``header`` (the
    calibration section by default)."""
    from bayeszoo.paths import write_text_atomically

    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = text.find(header + "\n")
    if start >= 0:
        nxt = text.find("\n## ", start + len(header))
        text = text[:start] + section.rstrip() + "\n" + ("" if nxt < 0 else text[nxt:])
    else:
        text = text.rstrip() + "\n\n" + section
    write_text_atomically(RESULTS, text)


def main() -> None:
    from bayeszoo.models import zoo
    from bayeszoo.paths import write_text_atomically

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=None)
    parser.add_argument("--backends", nargs="+", default=["numpyro", "pymc"],
                        choices=["numpyro", "pymc", "nutpie"])
    parser.add_argument("--n-sims", type=int, default=100)
    parser.add_argument("--n-sims-pymc", type=int, default=40)
    parser.add_argument("--workers", type=int, default=None,
                        help="refit on a local Dask cluster of this many processes")
    parser.add_argument("--force", action="store_true", help="rerun results already on disk")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--seed", type=int, default=SEED,
                        help=f"another seed than {SEED} repeats the models into results/sbc/"
                        "repeats/")
    args = parser.parse_args()
    names = args.models or zoo.names()
    failures: dict = {}
    for backend in args.backends:
        for name in names:
            if args.report_only or backend not in zoo.get(name).backends:
                continue
            done = result_path(name, backend, "json", args.seed)
            if done.exists() and not args.force:
                continue
            n = ACCEPTANCE[2] if (name, backend) == ACCEPTANCE[:2] else min(
                args.n_sims if backend == "numpyro" else args.n_sims_pymc,
                SIMS_CAP.get(name, args.n_sims))
            print(f"[sbc] {name} ({backend}, {n} simulations)", flush=True)
            try:
                s = run_one(name, backend, n, args.workers, args.seed)
                print(f"[sbc] {name} ({backend}): {s['minutes']} min", flush=True)
            except Exception as exc:  # noqa: BLE001 - record it, go on with the other models
                failures[(name, backend)] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
    results = {(n, b): result_path(n, b, "json") for b in args.backends for n in zoo.names()
               if result_path(n, b, "json").exists()}
    if args.report_only:  # draw the plots again from the saved results
        from bayeszoo import SbcResult
        from bayeszoo.reports.figures_sbc import save_png

        for path in [*results.values(), *repeated_results().values()]:
            save_png(SbcResult.load(path).plot(), path.with_suffix(".png"))
    missing = [(n, b) for b in args.backends for n in zoo.names()
               if (n, b) not in results and (n, b) not in failures and b in zoo.get(n).backends]
    section = write_notes(results, failures, missing, repeated_results())
    write_text_atomically(NOTES, section)
    splice(section)
    print(json.dumps({"results": len(results), "failed": [f"{n} ({b})" for n, b in failures]}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
