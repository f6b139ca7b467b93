"""``fit.update`` on new data of the same shape against the first fit, in one process.

Plain script (no asserts): ``python benchmarks/bench_update.py``. Fits ``radon_intercept``
(``bayeszoo.fit``, its sampler defaults), then updates it three times with new data of the same
shape (every county kept): a new response drawn around the old one, another one, and half the
rows of each county (all three run the NumPyro program the first fit compiled: the Gaussian's
sufficient statistics keep its shapes). Each
update's wall time is set against its own sampling time and against the first fit's sampling
time (the sampling floor); the target of the speed issue is an
update of the same shape within 1.3× its sampling time.

Writes ``benchmarks/results/update.json`` (``--out``) and ``benchmarks/RESULTS_update.md``
(included in RESULTS.md by ``run_all.py``), and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MODEL = "radon_intercept"
TARGET = 1.3


def cpu_model() -> str:
    """The CPU's model name (Linux), else the platform's processor."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def timed_update(fit, label: str, newdata, seed: int) -> dict:
    from bayeszoo.inference.repeated import program_counts

    built = program_counts()["built"]
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fit.update(newdata=newdata, seed=seed)
    wall = time.perf_counter() - t0
    return {"step": label, "rows": int(out.design.n), "wall_s": round(wall, 3),
            "sampling_s": float(out.attrs["sampling_seconds"]),
            "compiled": program_counts()["built"] > built,
            "names_same": list(out.posterior.data_vars) == list(fit.posterior.data_vars)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "results" / "update.json"))
    args = parser.parse_args()
    import bayeszoo as bz

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bz.fit(MODEL, progress=False)
    first = {"step": "first fit (bz.fit)", "rows": int(fit.design.n),
             "wall_s": round(time.perf_counter() - t0, 3),
             "sampling_s": float(fit.attrs["sampling_seconds"]),
             "compile_s": float(fit.attrs["compile_seconds"])}
    data = fit.design.data
    response = fit.design.response
    rng = np.random.default_rng(1)

    def new_response():
        out = data.copy()
        out[response] = out[response] + rng.normal(0, 0.2, len(out))
        return out

    group = fit.design.blocks[0].name
    half = data[data.groupby(group).cumcount() % 2 == 0]
    steps = [timed_update(fit, "update, new response (first of its shape)", new_response(), 1),
             timed_update(fit, "update, another new response", new_response(), 2),
             timed_update(fit, "update, half the rows of each county", half, 3)]
    for s in steps:
        s["ratio_own_sampling"] = (None if s["compiled"]
                                   else round(s["wall_s"] / s["sampling_s"], 2))
        s["ratio_first_sampling"] = round(s["wall_s"] / first["sampling_s"], 2)
    res = {"model": MODEL, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "cpus": os.cpu_count(), "machine": cpu_model(),
           "load_average": os.getloadavg()[0], "first": first, "updates": steps}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=2) + "\n")
    text = markdown(res)
    (HERE / "RESULTS_update.md").write_text(text + "\n")
    print(text)


def markdown(res: dict) -> str:
    f = res["first"]
    rows = [f"| {f['step']} | {f['rows']} | {f['wall_s']:.2f} | {f['sampling_s']:.2f} | "
            f"compiled ({f['compile_s']:.2f} s) | | |"]
    for s in res["updates"]:
        rows.append(f"| {s['step']} | {s['rows']} | {s['wall_s']:.2f} | {s['sampling_s']:.2f} | "
                    f"{'compiled' if s['compiled'] else 'reused'} | "
                    f"{s['ratio_own_sampling'] or ''} | "
                    f"{s['ratio_first_sampling']} |")
    warm = [s for s in res["updates"] if not s["compiled"]]
    met = bool(warm) and all(s["ratio_own_sampling"] <= TARGET for s in warm)
    return "\n".join([
        "## Updating a fit (`fit.update`)", "",
        f"`benchmarks/bench_update.py`, {res['date']}, {res['cpus']} CPUs ({res['machine']}), "
        f"load average {res['load_average']:.1f} at the end; {res['model']} with its sampler "
        "defaults, one process. Wall: the whole call; sampling: the sampler's own time (for an "
        "update, the compiled program's call, data transfer included, and its compilation where it "
        "compiled one).", "",
        "| step | rows | wall s | sampling s | program | wall / own sampling | "
        "wall / first fit's sampling |",
        "|---|---:|---:|---:|---|---:|---:|", *rows, "",
        f"Target: an update of the same shape within {TARGET}× its sampling time: "
        f"**{'met' if met else 'not met'}** for the updates that reuse the program "
        f"(largest ratio {max((s['ratio_own_sampling'] for s in warm), default=0):.2f}). An "
        "update runs the program its fit compiled (one per process and model structure, "
        "`inference.repeated.program`); only a new structure compiles one"
        + "".join(f": {s['wall_s']:.1f} s here against the first fit's {f['wall_s']:.1f} s "
                  f"({f['compile_s']:.1f} s of compilation on a warm cache)"
                  for s in res["updates"][:1] if s["compiled"]) + "."])


if __name__ == "__main__":
    main()
