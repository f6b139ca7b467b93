"""What ``bayeszoo fit`` imports on its way to the sampler: scipy.optimize (and, through it,
scipy.spatial and scipy.constants) only where a REML family optimizes, not on every fit's path.
Importing it took 0.3-0.6 s of a fresh process, beside the 0.6 s radon_intercept samples for."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

FIT_PATH = ("bayeszoo.cli", "bayeszoo.inference.sampling", "bayeszoo.inference.backends.numpyro",
            "bayeszoo.models.numpyro", "bayeszoo.inference.draws_summary",
            "bayeszoo.inference.psis", "bayeszoo.families")


def loaded_modules(code: str) -> set[str]:
    """The full dotted names ``python -X importtime -c code`` reports importing."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return {line.rsplit("|", 1)[1].strip() for line in out.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


def test_fit_path_modules_load_no_scipy_optimize():
    loaded = loaded_modules("; ".join(f"import {m}" for m in FIT_PATH))
    assert set(FIT_PATH) <= loaded
    heavy = sorted(m for m in loaded if m.startswith(("scipy.optimize", "scipy.spatial")))
    assert not heavy, heavy


def test_zip_null_deviance_still_optimizes():
    """The deferred import: mgcv's ziP null deviance is still the bounded 1-d minimum."""
    import numpy as np

    from bayeszoo.families.zip_mgcv import ZipLikelihood

    y = np.array([0.0, 0.0, 1.0, 3.0, 0.0, 2.0, 5.0, 0.0])
    fam = ZipLikelihood(y, np.ones_like(y))
    params = np.array([-0.5, 0.3])
    grid = np.linspace(np.mean(y) / 5.0, 3.0 * np.mean(y), 20001)
    ones = np.ones((y.shape[0], 1))
    brute = min(float(np.sum(fam.deviance(c * ones, params))) for c in grid)
    expected = brute - float(np.sum(fam.saturated_deviance(params)))
    got = fam.null_deviance(np.zeros(y.shape[0]), True, params)
    assert got == pytest.approx(expected, abs=1e-5)
    assert got <= expected + 1e-12  # the bounded search finds the minimum the grid brackets


@pytest.mark.slow
def test_fit_command_loads_no_scipy_optimize():
    loaded = loaded_modules("import sys; from bayeszoo.cli import main; sys.exit(main(["
                            "'fit', 'radon_intercept', '-q', '--chains', '2', '--draws', '100',"
                            " '--tune', '100']))")
    assert {"bayeszoo.inference.sampling", "numpyro"} <= loaded
    assert not [m for m in loaded if m.startswith("scipy.optimize")]
