"""The same work on the GPU and on the CPU: an MNIST CNN epoch, a Bayesian net's NUTS sampling
and a 10⁶-row Poisson GLMM, side by side in one run.

Plain script (no asserts). On a machine with an NVIDIA GPU and JAX's CUDA plugin
(``pip install -U "jax[cuda12]"`` beside the package)::

    BAYESZOO_DATA=../shared/data python benchmarks/gpu.py

Every workload runs in a fresh process once per platform (``BAYESZOO_PLATFORM=gpu``, then
``=cpu``: :mod:`bayeszoo.runtime` picks JAX's platform before JAX starts), each process under
its own time limit, all of them on one new, empty JAX compilation cache (so "compile" is a cold
compilation on both platforms). The workloads:

* ``mnist_cnn``: :mod:`bayeszoo.nn`'s ``mnist-cnn`` recipe (conv 32 3×3, conv 16 2×2, max-pool,
  dense 1000, 3.1 M parameters; Adam, batch 128) on the 60,000 training images (48,000 trained,
  12,000 validated each epoch), 2 epochs: ``compile`` is the first epoch less the second,
  ``run`` the second epoch (MNIST is read from ``$BAYESZOO_DATA/mnist``);
* ``bnn``: the zoo's ``penguins_bnn`` (333 penguins, a 3-input network of 10 tanh units beside
  species and sex) sampled by NUTS, 4 chains × (500 + 500): ``compile`` and ``run`` (sampling)
  as :func:`bayeszoo.sample` records them, ESS in function space
  (:mod:`bayeszoo.inference.function_space`);
* ``glmm``: ``y ~ x + (1 | g)``, Poisson, 10⁶ rows in 10³ groups simulated with a fixed seed
  (``x`` continuous, so no two rows share a linear predictor and every gradient visits all 10⁶
  rows: :mod:`bayeszoo.families.patterns` cannot collapse them), centered group effects (each
  group has 1,000 rows), 4 chains × (250 + 250), no pointwise log-likelihood.

Samplers report the smallest bulk ESS over what they are diagnosed on, ESS per second of
sampling, the largest R-hat, divergences and leapfrog steps per draw. Each platform runs at its
runtime defaults: on the CPU one host device per core, so the 4 chains run in parallel; on one
GPU the chains are vectorized. ``gpu_vs_cpu`` gives, per workload, how many times faster the
GPU was (CPU seconds over GPU seconds for ``compile``, ``run`` and the whole process; GPU ESS/s
over CPU ESS/s for samplers): above 1 the GPU won.

Estimated default run on an H100 machine with 16 CPU cores: GPU side about 2 minutes (MNIST
20 s, BNN 60 s, GLMM 30 s, process start-ups included), CPU side about 3½ minutes (MNIST 30 s,
BNN 60 s with a core per chain, GLMM 100 s: 4 chains of 500 iterations at about 12 leapfrog
steps each and about 10 ms per 10⁶-row gradient: a jitted value and gradient of the row-wise
Poisson log-likelihood took 9.4 ms of CPU time on the 2-core development machine), about 6
minutes in all. The per-process limits (``LIMITS``) and an
overall budget of 470 s keep it under 8 minutes whatever happens: a process past its limit is
stopped and recorded as ``timeout``, one the budget leaves no time for as ``skipped``.

Options: ``--platforms gpu cpu`` (default both; ``gpu`` is recorded as skipped, with the
reason, when JAX sees no GPU), ``--quick`` (tiny sizes, seconds per workload: a smoke test,
not a benchmark), ``--out`` (default ``benchmarks/results/gpu_<date>.json``). Prints a Markdown
table.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
WORKLOADS = ("mnist_cnn", "bnn", "glmm")
PLATFORMS = ("gpu", "cpu")

#: The work each workload does: the default run and ``--quick``.
SIZES: dict[str, dict[str, dict]] = {
    "full": {
        "mnist_cnn": {"images": None, "epochs": 2},
        "bnn": {"model": "penguins_bnn", "chains": 4, "tune": 500, "draws": 500},
        "glmm": {"rows": 10**6, "groups": 10**3, "chains": 4, "tune": 250, "draws": 250},
    },
    "quick": {
        "mnist_cnn": {"images": 320, "epochs": 2},
        "bnn": {"model": "penguins_bnn", "chains": 2, "tune": 40, "draws": 40},
        "glmm": {"rows": 2000, "groups": 20, "chains": 2, "tune": 40, "draws": 40},
    },
}

#: Seconds one worker process may run in the default run (``--quick``: ``QUICK_LIMIT`` each).
LIMITS = {"mnist_cnn": 120.0, "bnn": 150.0, "glmm": 240.0}
#: Seconds the whole default run may take.
BUDGET = 470.0
#: ``--quick`` only checks that everything runs: generous limits for a crowded machine, where
#: compilation alone can take a minute.
QUICK_LIMIT, QUICK_BUDGET = 300.0, 1200.0
SEED = 1


# --------------------------------------------------------------------------- workers


def _info() -> dict:
    """Platform, devices and versions as this process's JAX sees them."""
    import importlib.metadata as md

    import jax

    import bayeszoo as bz

    info = bz.runtime.info()
    info["device_kind"] = jax.devices()[0].device_kind
    info["versions"] = {p: md.version(p) for p in ("numpy", "numpyro", "flax", "optax")}
    return info


def mnist_cnn(size: dict) -> dict:
    """Two epochs of the ``mnist-cnn`` recipe; compile = first epoch - second epoch."""
    from bayeszoo.nn import recipe_optimizer, recipes, train

    recipe = recipes.get("mnist-cnn")
    t = time.perf_counter()
    prep = recipe.prepare(size["images"], 0)
    model = recipe.build(prep, 0)
    optimizer, lr = recipe_optimizer(recipe, len(prep.x_train), size["epochs"])
    prepare_s = time.perf_counter() - t
    history = train(model, (prep.x_train, prep.y_train), loss=recipe.loss, optimizer=optimizer,
                    lr=lr, epochs=size["epochs"], batch_size=recipe.batch_size,
                    validation_split=recipe.validation_split, seed=0, progress=False)
    times = [float(s) for s in history.history["time"]]
    run = times[-1]
    n = int(history.params["samples"])
    return {"prepare_s": prepare_s, "epoch_s": times, "compile_s": max(times[0] - run, 0.0),
            "run_s": run, "train_images": n, "images_per_s": n / run,
            "val_accuracy": float(history.history["val_accuracy"][-1])}


def _sampler_figures(fit, chains: int, draws: int) -> dict:
    """Timings and diagnostics of a NumPyro fit (ESS and R-hat in function space for nets)."""
    import arviz as az
    import numpy as np

    from bayeszoo.inference.function_space import diagnostic_posterior

    post = diagnostic_posterior(fit)
    ess = min(float(np.nanmin(v.values)) for v in az.ess(post, method="bulk").data_vars.values())
    rhat = max(float(np.nanmax(v.values)) for v in az.rhat(post).data_vars.values())
    stats = fit.sample_stats
    run = float(fit.attrs["sampling_seconds"])
    rhat = rhat if np.isfinite(rhat) else None
    return {"chain_method": fit.attrs.get("chain_method"),
            "compile_s": float(fit.attrs["compile_seconds"]), "run_s": run,
            "min_bulk_ess": ess, "ess_per_s": ess / run, "max_rhat": rhat,
            "divergences": int(np.asarray(stats["diverging"].values).sum()),
            "steps_per_draw": float(np.asarray(stats["n_steps"].values).sum()) / (chains * draws)}


def bnn(size: dict) -> dict:
    """NUTS on a zoo network model."""
    import bayeszoo as bz

    entry = bz.zoo.get(size["model"])
    t = time.perf_counter()
    data = entry.load_data()
    design = bz.design(entry.formula, data, family=entry.family_object())
    prepare_s = time.perf_counter() - t
    fit = bz.sample(design, chains=size["chains"], tune=size["tune"], draws=size["draws"],
                    seed=SEED, progress=False, parameterization=entry.parameterization,
                    target_accept=entry.sampler_options["target_accept"])
    return {"formula": str(entry.formula), "rows": int(len(data)), "prepare_s": prepare_s,
            **_sampler_figures(fit, size["chains"], size["draws"])}


def simulate_glmm(rows: int, groups: int, seed: int = 0):
    """``y ~ Poisson(exp(-0.5 + 0.3 x + u_g))``, ``x ~ N(0, 1)``, ``u_g ~ N(0, 0.5²)``, every
    group equally likely: the GLMM workload's data as a DataFrame."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng([seed, rows, groups])
    g = rng.integers(0, groups, rows)
    x = rng.normal(size=rows)
    y = rng.poisson(np.exp(-0.5 + 0.3 * x + rng.normal(0, 0.5, groups)[g]))
    return pd.DataFrame({"y": y.astype(float), "x": x, "g": pd.Categorical(g)})


def glmm(size: dict) -> dict:
    """NUTS on the simulated Poisson GLMM, row by row, centered group effects."""
    import bayeszoo as bz

    t = time.perf_counter()
    data = simulate_glmm(size["rows"], size["groups"])
    design = bz.design("y ~ x + (1 | g)", data, family="poisson")
    prepare_s = time.perf_counter() - t
    fit = bz.sample(design, chains=size["chains"], tune=size["tune"], draws=size["draws"],
                    seed=SEED, progress=False, parameterization="centered",
                    log_likelihood=False)
    post = fit.posterior
    return {"rows": size["rows"], "groups": size["groups"], "prepare_s": prepare_s,
            **_sampler_figures(fit, size["chains"], size["draws"]),
            "b_x": float(post["b_x"].mean()), "sd_g": float(post["sd_g__Intercept"].mean())}


def worker(workload: str, quick: bool) -> dict:
    """One workload in this (fresh) process, on the platform ``BAYESZOO_PLATFORM`` names."""
    import warnings

    import bayeszoo as bz

    warnings.filterwarnings("ignore", module="bayeszoo")
    bz.runtime.ensure_configured()
    info = _info()
    size = SIZES["quick" if quick else "full"][workload]
    row = {"mnist_cnn": mnist_cnn, "bnn": bnn, "glmm": glmm}[workload](size)
    return {**row, "size": size, "info": info, "wall_s": time.perf_counter() - _T0}


def probe() -> dict:
    """The devices JAX finds on the platform ``BAYESZOO_PLATFORM`` names, or ``reason``: why
    JAX could not start it (and which CUDA plugins of JAX are installed)."""
    import importlib.metadata as md

    import bayeszoo as bz

    try:
        bz.runtime.ensure_configured()
        return _info()
    except Exception as exc:  # JAX raises RuntimeError or AssertionError without a GPU
        plugins = sorted(d.metadata["Name"] for d in md.distributions()
                         if d.metadata["Name"].lower().replace("_", "-").startswith("jax-cuda"))
        wanted = os.environ.get("BAYESZOO_PLATFORM", "auto")
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return {"reason": f"JAX could not start the {wanted} platform ({error}); CUDA plugins "
                f"of JAX installed: {', '.join(plugins) or 'none'}"}


# --------------------------------------------------------------------------- driver


def _child(args: list[str], platform_name: str, cache: str, limit: float) -> dict:
    """Run this script with ``args`` in a fresh process on ``platform_name``; its JSON line,
    or ``status`` ``"failed"``/``"timeout"`` with the reason."""
    env = {**os.environ, "BAYESZOO_PLATFORM": platform_name, "BAYESZOO_JAX_CACHE": cache}
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "reason": f"stopped after its limit of {limit:.0f} s",
                "limit_s": limit, "process_s": time.perf_counter() - t}
    process_s = time.perf_counter() - t
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip()
        last = tail.splitlines()[-1] if tail else f"exit {proc.returncode}"
        return {"status": "failed", "reason": last[:300], "stderr_tail": tail[-2000:],
                "limit_s": limit, "process_s": process_s}
    return {"status": "ok", **json.loads(lines[-1]), "limit_s": limit, "process_s": process_s}


def _ratio(num: float | None, den: float | None) -> float | None:
    return num / den if num and den else None


def compare(runs: list[dict]) -> dict:
    """Per workload, how many times faster the GPU was (see the module doc)."""
    out = {}
    for w in WORKLOADS:
        by = {r["platform"]: r for r in runs if r["workload"] == w and r["status"] == "ok"}
        if "gpu" not in by or "cpu" not in by:
            continue
        gpu, cpu = by["gpu"], by["cpu"]
        out[w] = {"compile": _ratio(cpu["compile_s"], gpu["compile_s"]),
                  "run": _ratio(cpu["run_s"], gpu["run_s"]),
                  "process": _ratio(cpu["process_s"], gpu["process_s"])}
        if "ess_per_s" in gpu:
            out[w]["ess_per_s"] = _ratio(gpu["ess_per_s"], cpu["ess_per_s"])
    return out


def _fmt(value, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def markdown(result: dict) -> str:
    """The runs as a Markdown table, one line per workload and platform, then the ratios."""
    lines = ["| workload | platform | device | status | process (s) | compile (s) | run (s) "
             "| images/s | min bulk ESS | ESS/s | max R-hat | steps/draw |",
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["runs"]:
        if r["status"] != "ok":
            lines.append(f"| {r['workload']} | {r['platform']} | — | {r['status']}: "
                         f"{r['reason'][:70]} | " + "| ".join(["—"] * 8) + " |")
            continue
        lines.append(
            f"| {r['workload']} | {r['platform']} | {r['info']['device_kind']} | ok "
            f"| {r['process_s']:.1f} | {r['compile_s']:.1f} | {r['run_s']:.2f} "
            f"| {_fmt(r.get('images_per_s'), ',.0f')} | {_fmt(r.get('min_bulk_ess'), '.0f')} "
            f"| {_fmt(r.get('ess_per_s'), ',.1f')} | {_fmt(r.get('max_rhat'), '.3f')} "
            f"| {_fmt(r.get('steps_per_draw'), '.1f')} |")
    if result["gpu_vs_cpu"]:
        lines += ["", "| workload | GPU speed-up: compile | run | process | ESS/s |",
                  "|---|---:|---:|---:|---:|"]
        for w, q in result["gpu_vs_cpu"].items():
            lines.append(f"| {w} | {_fmt(q['compile'], '.2f')} | {_fmt(q['run'], '.2f')} "
                         f"| {_fmt(q['process'], '.2f')} | {_fmt(q.get('ess_per_s'), '.2f')} |")
    return "\n".join(lines)


def run(platforms: list[str], quick: bool, budget: float) -> dict:
    """Probe the GPU, then every workload on every platform (GPU first), in fresh processes."""
    start = time.perf_counter()
    status: dict[str, dict] = {}
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bayeszoo_gpu_cache_") as cache:
        for p in platforms:
            if p == "gpu":
                found = _child(["--probe"], "gpu", cache, 120.0)
                backend = found.get("info", {}).get("backend")
                if backend != "gpu":
                    reason = found.get("reason") or f"JAX's backend is {backend}"
                    status[p] = {"status": "skipped", "reason": f"JAX sees no GPU: {reason}"}
                    continue
                status[p] = {"status": "ok", "info": found["info"]}
            else:
                status[p] = {"status": "ok"}
        for w in WORKLOADS:
            for p in platforms:
                if status[p]["status"] != "ok":
                    continue
                left = budget - (time.perf_counter() - start)
                limit = min(QUICK_LIMIT if quick else LIMITS[w], left)
                if limit < 5:
                    runs.append({"workload": w, "platform": p, "status": "skipped",
                                 "reason": "the time budget was spent"})
                    continue
                row = _child(["--worker", w] + (["--quick"] if quick else []), p, cache, limit)
                runs.append({"workload": w, "platform": p, **row})
                print(f"  {w} on {p}: {row['status']} after {row['process_s']:.1f} s",
                      file=sys.stderr)
    for p in platforms:
        if status[p]["status"] == "ok" and "info" not in status[p]:
            info = next((r["info"] for r in runs if r["platform"] == p and "info" in r), None)
            status[p]["info"] = info
    return {"benchmark": "gpu", "quick": quick,
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "cpu_model": _cpu_model(), "python": platform.python_version(),
            "seconds": time.perf_counter() - start, "budget_s": budget,
            "sizes": SIZES["quick" if quick else "full"], "platforms": status,
            "runs": runs, "gpu_vs_cpu": compare(runs)}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platforms", nargs="+", default=list(PLATFORMS), choices=PLATFORMS)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--out", type=Path, default=None,
                        help="the JSON (default benchmarks/results/gpu_<date>.json)")
    parser.add_argument("--worker", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.probe or args.worker:
        print(json.dumps(probe() if args.probe else worker(args.worker, args.quick)))
        return
    result = run(list(dict.fromkeys(args.platforms)), args.quick,
                 QUICK_BUDGET if args.quick else BUDGET)
    out = args.out or RESULTS / f"gpu_{time.strftime('%Y-%m-%d', time.gmtime())}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"The same work on each platform ({result['cpus']} CPUs: {result['cpu_model']})"
          + (", --quick: a smoke test, not a benchmark" if result["quick"] else "") + "\n")
    print(markdown(result))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
