"""benchmarks/gpu.py --quick on the CPU: every workload runs in its own process and lands in the
JSON with positive times; without a GPU the gpu platform is recorded as skipped, with why."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench_scripts import bench_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu.py"


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("gpu") / "gpu.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    env.pop("BAYESZOO_PLATFORM", None)
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--platforms", "gpu", "cpu",
                           "--out", str(out)], env=env, capture_output=True, text=True,
                          timeout=1500, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"json": json.loads(out.read_text()), "stdout": proc.stdout}


def test_every_workload_ran_on_the_cpu_with_positive_times(quick):
    result = quick["json"]
    assert result["quick"] is True
    cpu = {r["workload"]: r for r in result["runs"] if r["platform"] == "cpu"}
    assert sorted(cpu) == ["bnn", "glmm", "mnist_cnn"]
    for name, row in cpu.items():
        assert row["status"] == "ok", (name, row.get("reason"))
        assert row["info"]["backend"] == "cpu"
        assert row["info"]["devices"][0].startswith(("cpu", "TFRT_CPU"))
        assert row["compile_s"] >= 0 and row["run_s"] > 0 and row["process_s"] > row["run_s"]
    assert cpu["mnist_cnn"]["train_images"] == 256 and cpu["mnist_cnn"]["images_per_s"] > 0
    for name in ("bnn", "glmm"):
        assert cpu[name]["min_bulk_ess"] > 0 and cpu[name]["ess_per_s"] > 0
        assert cpu[name]["steps_per_draw"] >= 1
    assert cpu["glmm"]["rows"] == 2000
    assert 0.1 < cpu["glmm"]["b_x"] < 0.5  # simulated 0.3 on 2,000 rows
    assert result["platforms"]["cpu"]["info"]["backend"] == "cpu"


def test_gpu_skipped_with_its_reason_where_jax_sees_none(quick):
    result = quick["json"]
    gpu = result["platforms"]["gpu"]
    if gpu["status"] == "ok":  # a machine with a GPU: its side ran
        assert gpu["info"]["backend"] == "gpu"
        assert sorted(r["workload"] for r in result["runs"] if r["platform"] == "gpu") \
            == ["bnn", "glmm", "mnist_cnn"]
        return
    assert gpu["status"] == "skipped"
    assert gpu["reason"].startswith("JAX sees no GPU: ") and len(gpu["reason"]) > 20
    assert not [r for r in result["runs"] if r["platform"] == "gpu"]
    assert result["gpu_vs_cpu"] == {}
    assert "smoke test, not a benchmark" in quick["stdout"]
    assert "| glmm | cpu | cpu | ok |" in quick["stdout"]


def test_ratios_say_how_many_times_faster_the_gpu_was():
    bench = bench_script("gpu")
    runs = [{"workload": "glmm", "platform": "gpu", "status": "ok", "compile_s": 4.0,
             "run_s": 2.0, "process_s": 10.0, "ess_per_s": 500.0},
            {"workload": "glmm", "platform": "cpu", "status": "ok", "compile_s": 2.0,
             "run_s": 20.0, "process_s": 30.0, "ess_per_s": 50.0},
            {"workload": "bnn", "platform": "cpu", "status": "ok", "compile_s": 1.0,
             "run_s": 1.0, "process_s": 3.0},
            {"workload": "bnn", "platform": "gpu", "status": "timeout", "reason": "limit"}]
    assert bench.compare(runs) == {"glmm": {"compile": 0.5, "run": 10.0, "process": 3.0,
                                            "ess_per_s": 10.0}}
