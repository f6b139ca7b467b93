"""A JAX that started before bayeszoo configured it: the device count it runs with is reported,
and a mismatch with bayeszoo's default warns instead of silently changing how chains run."""

import json
import os
import subprocess
import sys

CODE = ("import json, warnings; import jax; jax.devices(); from bayeszoo import runtime; "
        "w = warnings.catch_warnings(record=True); rec = w.__enter__(); "
        "warnings.simplefilter('always'); cfg = runtime.ensure_configured(); "
        "print(json.dumps({'host_devices': cfg.host_devices, 'n': jax.device_count(), "
        "'warnings': [str(r.message) for r in rec]}))")


def _run(xla_flags: str) -> dict:
    env = {**os.environ, "XLA_FLAGS": xla_flags, "BAYESZOO_HOST_DEVICES": "3",
           "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_jax_started_with_other_device_count_warns_and_reports_it():
    got = _run("")
    assert got["n"] == 1 and got["host_devices"] == 1
    assert len(got["warnings"]) == 1
    assert "1 CPU host device(s), not 3" in got["warnings"][0]


def test_jax_started_with_same_device_count_is_silent():
    got = _run("--xla_force_host_platform_device_count=3")
    assert got == {"host_devices": 3, "n": 3, "warnings": []}
