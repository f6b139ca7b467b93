"""Run every benchmark and rewrite ``benchmarks/RESULTS.md``.

``python benchmarks/run_all.py`` (``make bench``) runs ``bench_reml.py``, ``bench_sampling.py``,
``bench_nets.py``, ``bench_scaling.py`` and ``profile_latency.py``, each writing its JSON under
``benchmarks/results/``, then writes RESULTS.md: machine, versions, date, the load average around
each benchmark (other work on the machine slows every figure), the tables, and which targets of
the speed issue are met.
``--quick`` runs fewer repeats and smaller problems; ``--only NAME...`` runs some of them;
``--report-only`` rewrites RESULTS.md from the JSON already there. Hand-written notes are kept:
``benchmarks/analysis.md`` (profiling and the reasons behind the figures),
``benchmarks/RESULTS_latency.md`` (latency before and after issue 20),
``benchmarks/RESULTS_nets.md`` (full-length training results),
``benchmarks/RESULTS_smooths2.md`` (tensor-product smooths, ``bench_smooths2.py``),
``benchmarks/RESULTS_families.md`` (``bench_families.py``: non-Gaussian families),
``benchmarks/RESULTS_sbc.md`` (calibration, written by ``benchmarks/sbc.py``),
``benchmarks/RESULTS_sbc_families.md`` (calibration of the third wave's families,
``benchmarks/sbc_families.py``), ``benchmarks/RESULTS_sbc_terms.md`` (of ``ar()``/``mo()``
models, ``benchmarks/sbc_terms.py``),
``benchmarks/RESULTS_update.md`` (``fit.update``, written by ``bench_update.py``),
``benchmarks/RESULTS_bam.md`` (``bz.bam``, ``bench_bam.py``), ``benchmarks/RESULTS_gpu.md``
(GPU against CPU, ``gpu.py``) and ``benchmarks/RESULTS_ordinal.md`` (ordinal responses at
scale, ``bench_ordinal_scale.py``) and ``benchmarks/RESULTS_adaptation.md`` (warm-ups against
nutpie's ESS per second, ``bench_adaptation.py``) are included when present.

MNIST is read from ``$BAYESZOO_DATA/mnist`` or the download cache (see ``load_mnist``).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

import bench_nets  # noqa: E402
import bench_sampling  # noqa: E402
import bench_scaling  # noqa: E402
import profile_latency  # noqa: E402

BENCHES = {
    # name: (script, full arguments, --quick arguments)
    "reml": ("bench_reml.py", [], ["--repeats", "5"]),
    "sampling": ("bench_sampling.py", [], ["--repeats", "1"]),
    "nets": ("bench_nets.py", [], ["--epochs", "2", "--cnn-limit", "6000"]),
    "scaling": ("bench_scaling.py", [], ["--groups", "1000"]),
    "latency": ("profile_latency.py", [], ["--repeats", "2"]),
}
VERSIONS = ("numpy", "scipy", "jax", "jaxlib", "numpyro", "pymc", "pytensor", "nutpie", "numba",
            "arviz", "flax", "optax", "torch")

# the reference figures (2-core CPU); the floor: 3 µs per gradient, 15 leapfrog steps
# per iteration (0.36 s for 4 chains × 2000 iterations)
FLOOR_S_PER_ITERATION = 3e-6 * 15
COLD_S, WARM_S, SCALING_S = 12.0, 8.0, 60.0


def machine() -> dict:
    info = {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            key, _, val = line.partition(":")
            if key.strip() in ("Model name", "Thread(s) per core", "L3 cache"):
                info[key.strip()] = val.strip()
    except OSError:
        pass
    try:
        kb = int(next(line.split()[1] for line in open("/proc/meminfo")
                      if line.startswith("MemTotal")))
        info["memory_gib"] = round(kb / 2**20, 1)
    except (OSError, StopIteration):
        pass
    return info


def versions() -> dict:
    out = {}
    for name in VERSIONS:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run(name: str, quick: bool) -> dict:
    script, full, short = BENCHES[name]
    cmd = [sys.executable, str(HERE / script), *(short if quick else full)]
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
    proc = subprocess.run(cmd)
    return {"name": name, "returncode": proc.returncode, "seconds": time.perf_counter() - t0,
            "load_before": load0, "load_after": os.getloadavg()[0],
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "quick": quick}


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


# --------------------------------------------------------------------------- sections


def reml_section(res: dict) -> str:
    lines = [f"Median of {res['repeats']} fits, every model from its formula and on a prebuilt "
             f"design ({res['reference']} beside).\n",
             "| model | n | formula → fit (ms) | fit on Design (ms) | reference (ms) "
             "| speed-up |", "|---|---:|---:|---:|---:|---:|"]
    for r in res["cases"]:
        name = r["case"].replace("|", "\\|")
        ref = r["reference_ms"]
        lines.append(f"| {name} | {r['n']} | {r['formula_to_fit_ms']:.2f} "
                     f"| {r['fit_only_ms']:.2f} | "
                     + (f"{ref:.0f} ({r['reference']}) | {ref / r['formula_to_fit_ms']:.1f}× |"
                        if ref else "– | – |"))
    versions = res.get("versions")
    if versions:
        lines += ["", "Against an earlier version (`--baseline`), same load: fresh processes "
                  "of each tree alternating, median over the rounds:", "",
                  "| model | formula → fit, earlier / this (ms) | fit, earlier / this (ms) |",
                  "|---|---:|---:|"]
        for case, t in versions["this"].items():
            b = versions["baseline"][case]
            lines.append(f"| {case} | {b['formula_to_fit_ms']:.2f} / "
                         f"{t['formula_to_fit_ms']:.2f} | {b['fit_only_ms']:.2f} / "
                         f"{t['fit_only_ms']:.2f} |")
    return "\n".join(lines)


def sampling_section(res: dict) -> str:
    head = (f"{res['chains']} chains × ({res['tune']} + {res['draws']}), median of "
            f"{res['repeats']} fresh processes per row; backends alternate. `cold`: a new, empty "
            "JAX compilation cache; `warm`: the next process on the cache the cold run filled. "
            "PyMC/nutpie use PyTensor's compile directory as it is on this machine. `grad/s` "
            "counts the leapfrog steps of the kept draws only.\n")
    return head + "\n" + bench_sampling.markdown(res["summary"])


def nets_section(res: dict) -> str:
    return (f"{res['epochs']} epochs per run; `epoch` is the median of the epochs after the "
            "first (which includes compilation). `bayeszoo` trains on one CPU device (the "
            "default: XLA spreads its work over the cores), `bayeszoo-dp` data-parallel across "
            "the runtime's host devices (one per core, at least 4); `torch` PyTorch "
            "with its default threads, `torch-1thread` with one.\n\n"
            + bench_nets.markdown(res["runs"]))


def scaling_section(res: dict) -> str:
    parts = [f"NumPyro, {res['chains']} chains × ({res['tune']} + {res['draws']}), fresh "
             "process and compilation cache per run; wall from `import bayeszoo` to draws "
             "(no log-likelihood/LOO).\n"]
    if res["by_rows"]:
        parts += [f"Rows (groups {res['by_rows'][0]['groups']:,}):\n",
                  bench_scaling.markdown(res["by_rows"])]
        if res.get("growth"):
            parts.append(f"\n{res['growth']}.")
    if res["by_groups"]:
        parts += [f"\nGroups ({res['by_groups'][0]['rows']:,} rows):\n",
                  bench_scaling.markdown(res["by_groups"])]
    dense = _load("scaling_dense")
    if dense:
        parts += ["\nWith a dense mass matrix (`bench_scaling.py --rows 1e6 --groups 10 "
                  "--dense-mass --out benchmarks/results/scaling_dense.json`):\n",
                  bench_scaling.markdown(dense["by_rows"] + dense["by_groups"])]
    return "\n".join(parts)


def latency_section(res: dict) -> str:
    load = f"{res['load_before'][0]:.1f} → {res['load_after'][0]:.1f}"
    return (f"`bayeszoo fit {res['model']}` in fresh processes on a warm compilation cache, "
            f"median of {res['repeats']} per stage and per command (commands alternate); load "
            f"average {load} on {res['cpus']} CPUs ({res['date']}). Stages are exclusive: a "
            "stage's time leaves out the stages it calls.\n\n" + profile_latency.markdown(res))


def _cell(summary: list[dict], model: str, backend: str, cache: str = "cold") -> dict | None:
    for s in summary:
        if (s["model"], s["backend"], s["cache"]) == (model, backend, cache) and s["repeats"]:
            return s
    return None


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


def targets(reml: dict | None, sampling: dict | None, nets: dict | None,
            scaling: dict | None) -> str:
    rows = []
    s = sampling["summary"] if sampling else []
    cold = _cell(s, "radon_intercept", "numpyro")
    warm = _cell(s, "radon_intercept", "numpyro", "warm")
    pymc = _cell(s, "radon_intercept", "pymc")
    if cold:
        rows.append(("radon_intercept, default backend, cold process ≤ 12 s",
                     f"{cold['wall_s']:.1f} s", _verdict(cold["wall_s"] <= COLD_S)))
    if warm:
        rows.append(("second process, warm compilation cache ≤ 8 s",
                     f"{warm['wall_s']:.1f} s", _verdict(warm["wall_s"] <= WARM_S)))
    if cold and pymc:
        ratio = cold["ess_per_s_sampling"] / pymc["ess_per_s_sampling"]
        rows.append(("min bulk ESS/s of sampling ≥ 2 × PyMC default (radon_intercept)",
                     f"{cold['ess_per_s_sampling']:.0f} vs {pymc['ess_per_s_sampling']:.0f} "
                     f"({ratio:.1f}×)", _verdict(ratio >= 2)))
        for model in ("mcycle_cr20", "radon_states"):
            a, b = _cell(s, model, "numpyro"), _cell(s, model, "pymc")
            if a and b:
                r = a["ess_per_s_sampling"] / b["ess_per_s_sampling"]
                rows.append((f"  same, {model}", f"{r:.1f}×", _verdict(r >= 2)))
    if reml:
        for c in reml["cases"]:  # the speed issue's targets are mgcv's times
            if c["reference_ms"] and c["reference"] == "mgcv":
                rows.append((f"REML {c['case']} faster than {c['reference']} "
                             f"({c['reference_ms']:.0f} ms)".replace("|", "\\|"),
                             f"{c['formula_to_fit_ms']:.1f} ms",
                             _verdict(c["formula_to_fit_ms"] < c["reference_ms"])))
    if nets:
        by = {(r["net"], r["runner"]): r for r in nets["runs"] if "error" not in r}
        ours = by.get(("mnist-mlp", "bayeszoo"))
        peers = [by[k] for k in (("mnist-mlp", "torch"), ("mnist-mlp", "torch-1thread"))
                 if k in by]
        if ours and peers:
            peer = min(peers, key=lambda r: r["epoch_s"])
            rows.append(("MNIST MLP epoch no slower than PyTorch CPU (its faster setting)",
                         f"{ours['epoch_s']:.1f} s vs {peer['epoch_s']:.1f} s ({peer['runner']})",
                         _verdict(ours["epoch_s"] <= peer["epoch_s"])))
    if scaling:
        runs = [r for r in scaling["by_rows"] + scaling["by_groups"] if "error" not in r]
        for r in runs:
            if r["rows"] == 10**6 and r["groups"] == 1000:
                par = r.get("parameterization", "noncentered")
                rows.append((f"10⁶ rows, 10³ groups, 4 × (1000 + 1000) ≤ 60 s ({par})",
                             f"{r['wall_s']:.1f} s (min bulk ESS {r['min_bulk_ess']:.0f}, "
                             f"max R-hat {r['max_rhat']:.2f})",
                             _verdict(r["wall_s"] <= SCALING_S)))
        by_rows = [r for r in scaling["by_rows"] if "error" not in r
                   and r.get("parameterization", "noncentered") == "noncentered"]
        if len(by_rows) >= 2:
            lo, hi = by_rows[0], by_rows[-1]
            ratio = hi["us_per_gradient"] / lo["us_per_gradient"]
            rows.append((f"cost per gradient flat in rows ({lo['rows']:,} → {hi['rows']:,})",
                         f"{lo['us_per_gradient']:.1f} → {hi['us_per_gradient']:.1f} µs "
                         f"({ratio:.1f}×)", _verdict(ratio <= 2)))
    if cold:
        floor = FLOOR_S_PER_ITERATION * sampling["chains"] * (sampling["draws"] + sampling["tune"])
        rows.append((f"radon_intercept sampling time vs the arithmetic floor ({floor:.2f} s)",
                     f"{cold['sampling_s']:.2f} s ({cold['sampling_s'] / floor:.0f}× the floor)",
                     "reported"))
    lines = ["| target | measured | |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def write_results(log: list[dict]) -> Path:
    reml, sampling, nets, scaling, latency = (
        _load(n) for n in ("reml", "sampling", "nets", "scaling", "latency"))
    previous = RESULTS / "run_log.json"
    runs = {r["name"]: r for r in (json.loads(previous.read_text()) if previous.exists()
                                   else [])}
    runs.update({r["name"]: r for r in log})
    previous.parent.mkdir(parents=True, exist_ok=True)
    previous.write_text(json.dumps(list(runs.values()), indent=2) + "\n")

    m, v = machine(), versions()
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out = ["# Benchmark results", "",
           f"Written by `benchmarks/run_all.py` on {now}. Raw figures: "
           "`benchmarks/results/*.json`.", "",
           "## Machine and versions", "",
           f"- CPU: {m.get('Model name', platform.processor() or platform.machine())}, "
           f"{m['cpus']} logical CPUs (threads per core: {m.get('Thread(s) per core', '?')}), "
           f"{m.get('memory_gib', '?')} GiB memory, no GPU in use",
           f"- {m['platform']}, Python {m['python']}",
           "- " + ", ".join(f"{k} {val}" for k, val in v.items()), "",
           "| benchmark | run at | quick | minutes | load average before → after |",
           "|---|---|---|---:|---|"]
    for name in BENCHES:
        r = runs.get(name)
        if r:
            out.append(f"| {name} | {r['date']} | {'yes' if r['quick'] else 'no'} "
                       f"| {r['seconds'] / 60:.1f} | {r['load_before']:.1f} → "
                       f"{r['load_after']:.1f} |")
    out += ["", f"A load average above {m['cpus']} means other processes shared the CPUs while "
            "the benchmark ran: its times are then upper bounds.", "",
            "## Targets", "", targets(reml, sampling, nets, scaling), ""]
    analysis = HERE / "analysis.md"
    if analysis.exists():
        out += [analysis.read_text().rstrip(), ""]
    for title, res, fn in (("REML", reml, reml_section), ("Sampling", sampling, sampling_section),
                           ("Neural networks", nets, nets_section),
                           ("Scaling", scaling, scaling_section),
                           ("Latency", latency, latency_section)):
        out += [f"## {title}", ""]
        out += [fn(res) if res else "Not run yet.", ""]
    for notes in ("RESULTS_latency.md", "RESULTS_nets.md", "RESULTS_smooths2.md",
                  "RESULTS_families.md", "RESULTS_sbc.md", "RESULTS_sbc_families.md",
                  "RESULTS_sbc_terms.md", "RESULTS_update.md", "RESULTS_bam.md",
                  "RESULTS_gpu.md", "RESULTS_ordinal.md", "RESULTS_adaptation.md"):
        if (HERE / notes).exists():
            out += [(HERE / notes).read_text().rstrip(), ""]
    path = HERE / "RESULTS.md"
    path.write_text("\n".join(out))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="+", choices=list(BENCHES), default=list(BENCHES))
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    log = [] if args.report_only else [run(name, args.quick) for name in args.only]
    path = write_results(log)
    failed = [r["name"] for r in log if r["returncode"] != 0]
    print(f"wrote {path}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    if failed or any(math.isnan(r["seconds"]) for r in log):
        sys.exit(1)


if __name__ == "__main__":
    main()
