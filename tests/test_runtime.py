import json
import os
import subprocess
import sys

import pytest
from conftest import run_cli


def _in_fresh_process(code: str, **env: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_host_devices_and_x64_from_environment(tmp_path):
    code = ("import json; from bayeszoo import runtime; i = runtime.info(); "
            "import jax.numpy as jnp; i['dtype'] = str(jnp.zeros(1).dtype); print(json.dumps(i))")
    info = _in_fresh_process(code, BAYESZOO_HOST_DEVICES="3", BAYESZOO_PLATFORM="cpu",
                             BAYESZOO_X64="0", BAYESZOO_JAX_CACHE=str(tmp_path / "cache"))
    assert info["backend"] == "cpu" and info["device_count"] == 3
    assert info["x64"] is False and info["dtype"] == "float32"
    assert info["cache_dir"] == str(tmp_path / "cache") and (tmp_path / "cache").is_dir()


def test_configure_after_initialization_keeps_devices():
    code = ("import json, warnings; from bayeszoo import runtime; "
            "runtime.configure(platform='cpu', host_devices=2); import jax; jax.devices(); "
            "w = warnings.catch_warnings(record=True); rec = w.__enter__(); "
            "warnings.simplefilter('always'); runtime.configure(host_devices=5); "
            "print(json.dumps({'n': jax.device_count(), 'warned': len(rec)}))")
    assert _in_fresh_process(code) == {"n": 2, "warned": 1}


def test_bad_settings_rejected():
    from bayeszoo import runtime

    with pytest.raises(ValueError, match="unknown platform 'metal'"):
        runtime.configure(platform="metal")
    with pytest.raises(ValueError, match="host_devices must be >= 1"):
        runtime.configure(host_devices=0)


def test_cli_info():
    out = run_cli("info")
    assert "backend" in out.stdout and "device_count" in out.stdout
