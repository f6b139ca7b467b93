"""What a tensor-product smooth costs per gradient of the log density, NumPyro and PyMC.

Plain script (no asserts): ``python benchmarks/bench_smooths2.py [--calls 2000]``. On airquality
(complete ``Ozone`` rows, n = 116) it times one gradient of the model's log density, compiled
(``jax.jit(jax.grad(potential))`` for NumPyro, ``model.compile_dlogp()`` for PyMC), at the
initial point, median wall-clock and CPU time over ``--calls`` calls after a warm-up, for:

* ``t2(Temp, Wind, k=5)``: brms's form, three iid blocks (9 + 6 + 6 coefficients);
* ``te(Temp, Wind, k=5)``: one MultiPenalty block of 21 coefficients with two penalties, in the
  joint basis (non-centered and centered) and, for comparison, through the Cholesky factor of
  the precision (the path of three or more penalties, forced here);
* the same at ``k=10`` (96 coefficients), where the ``O(q³)`` factor starts to show;
* ``te(Temp, Wind, Solar.R, k=4)``: three penalties, 60 coefficients, Cholesky (n = 111).

Writes ``benchmarks/results/smooths2.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

CASES = [
    ("t2 k=5", "Ozone ~ t2(Temp, Wind, k=5)", "noncentered", False),
    ("te k=5 (joint basis)", "Ozone ~ te(Temp, Wind, k=5)", "noncentered", False),
    ("te k=5 (joint basis, centered)", "Ozone ~ te(Temp, Wind, k=5)", "centered", False),
    ("te k=5 (Cholesky)", "Ozone ~ te(Temp, Wind, k=5)", "noncentered", True),
    ("t2 k=10", "Ozone ~ t2(Temp, Wind, k=10)", "noncentered", False),
    ("te k=10 (joint basis)", "Ozone ~ te(Temp, Wind, k=10)", "noncentered", False),
    ("te k=10 (Cholesky)", "Ozone ~ te(Temp, Wind, k=10)", "noncentered", True),
    ("te 3 margins k=4 (Cholesky)", "Ozone ~ te(Temp, Wind, Solar.R, k=4)", "noncentered",
     False),
]


def design_of(formula: str, force_cholesky: bool):
    import bayeszoo as bz

    air = bz.datasets.load_airquality(dropna=True).dropna().reset_index(drop=True) \
        if "Solar.R" in formula else bz.datasets.load_airquality(dropna=True)
    d = bz.design(formula, air)
    if force_cholesky:
        for b in d.blocks:
            object.__setattr__(b.structure, "joint", None)  # the general path, for comparison
    return d


def median_seconds(f, calls: int) -> tuple[float, float]:
    """Median wall-clock and CPU (all threads of the process) seconds of one call: on a shared
    machine the CPU time is the steadier measure of the work."""
    for _ in range(10):
        f()
    wall, cpu = [], []
    for _ in range(calls):
        t0, c0 = time.perf_counter(), time.process_time()
        f()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    return statistics.median(wall), statistics.median(cpu)


def numpyro_gradient(design, parameterization: str, calls: int) -> tuple[float, float]:
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro

    m = build_numpyro(design, parameterization=parameterization)
    info = initialize_model(jax.random.PRNGKey(0), m.model, dynamic_args=False)
    grad = jax.jit(jax.grad(info.potential_fn))
    params = info.param_info.z

    def call():
        jax.block_until_ready(grad(params))

    return median_seconds(call, calls)


def pymc_gradient(design, parameterization: str, calls: int) -> tuple[float, float]:
    from bayeszoo.models.pymc import build_pymc

    model = build_pymc(design, parameterization=parameterization).model
    dlogp = model.compile_dlogp()
    point = model.initial_point()
    return median_seconds(lambda: dlogp(point), calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    rows = []
    for label, formula, parameterization, force in CASES:
        d = design_of(formula, force)
        q = sum(b.size for b in d.blocks)
        nw, nc = numpyro_gradient(d, parameterization, args.calls)
        pw, pc = pymc_gradient(d, parameterization, max(args.calls // 4, 50))
        row = {"case": label, "formula": formula, "parameterization": parameterization,
               "block_coefficients": q, "n": d.n, "numpyro_us": 1e6 * nw,
               "numpyro_cpu_us": 1e6 * nc, "pymc_us": 1e6 * pw, "pymc_cpu_us": 1e6 * pc}
        rows.append(row)
        print(f"{label}: {row['numpyro_cpu_us']:.1f} µs CPU (NumPyro), "
              f"{row['pymc_cpu_us']:.1f} µs CPU (PyMC)", flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
           "load_average": os.getloadavg(), "calls": args.calls, "rows": rows}
    (RESULTS / "smooths2.json").write_text(json.dumps(out, indent=1))
    print("\n| case | block coefficients | NumPyro µs/gradient (CPU, wall) | PyMC µs/gradient "
          "(CPU, wall) |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['block_coefficients']} | {r['numpyro_cpu_us']:.0f}, "
              f"{r['numpyro_us']:.0f} | {r['pymc_cpu_us']:.0f}, {r['pymc_us']:.0f} |")


if __name__ == "__main__":
    main()
