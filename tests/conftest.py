import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"

# the tests read MNIST from the shared data folder and never download it
os.environ["BAYESZOO_DATA"] = str(SHARED / "data")
os.environ.setdefault("MPLBACKEND", "Agg")

# JAX's host devices and precision are fixed when its backend starts. Test modules that import
# a JAX library at collection (blackjax starts the backend on import) would otherwise start it
# with one device per core, and every later fit in that process would run its chains another
# way than a fresh process does: same seed, other draws.
from bayeszoo.runtime import ensure_configured  # noqa: E402

ensure_configured()


@pytest.fixture
def no_compile(monkeypatch):
    """Fail if any sampling backend would run."""
    from bayeszoo.inference import backends

    def boom(name):
        raise AssertionError("a sampler was started before the input was validated")

    monkeypatch.setattr(backends, "get", boom)


@pytest.fixture(scope="session")
def mgcv_ref() -> dict:
    import json

    return json.loads((FIXTURES / "mgcv_reference.json").read_text())


@pytest.fixture(scope="session")
def brms_ref() -> dict:
    import json

    return json.loads((FIXTURES / "brms_reference.json").read_text())


def run_cli(*args: str, check: bool = True, timeout: float = 600):
    """Run the installed ``bayeszoo`` entry point in a subprocess."""
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("bayeszoo")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, check=check,
                          timeout=timeout)


@pytest.fixture(scope="session")
def small_fit():
    """``small_fit(name)``: a zoo model sampled once per session with NumPyro, 2 chains × 200
    draws (tests of compare, save/load and the report share them)."""
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            import bayeszoo as bz

            cache[name] = bz.fit(name, chains=2, draws=200, tune=200, seed=1, progress=False)
        return cache[name]

    return get


def well_mixed_refit(task):
    """A stand-in for ``sbc.fit_simulation``: every rank 5 of 99 kept draws, a refit that mixed."""
    problem, sim = task
    return {"index": sim.index, "ranks": dict.fromkeys(sim.truth, 5),
            "kept": dict.fromkeys(sim.truth, 99), "ess": dict.fromkeys(sim.truth, 400.0),
            "divergences": 0, "tree_depth_hits": 0, "max_rhat": 1.0, "min_ess": 400.0,
            "seconds": 0.5}
