"""What a fresh process pays before it computes anything: ``import bayeszoo`` loads no heavy
library, and the names it exports still resolve (``bz.design`` stays the function when the
submodule ``bayeszoo.design`` is imported)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = ("numpy", "pandas", "scipy", "jax", "numpyro", "pymc", "pytensor", "arviz", "xarray",
         "matplotlib", "flax")


def imported_modules(code: str) -> set[str]:
    """Top-level modules ``python -X importtime -c code`` reports importing."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    names = set()
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_import_bayeszoo_loads_no_heavy_library():
    loaded = imported_modules("import bayeszoo")
    assert "bayeszoo" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_design_module_loads_neither_pandas_nor_scipy():
    loaded = imported_modules("import bayeszoo.design")
    assert "numpy" in loaded
    assert not loaded & {"pandas", "scipy", "jax", "arviz"}, sorted(loaded)


def test_design_function_survives_importing_the_design_module():
    import bayeszoo as bz
    import bayeszoo.design
    from bayeszoo.design import Design

    assert callable(bz.design) and bz.design.__module__ == "bayeszoo"
    assert bz.Design is Design and bz.Block is sys.modules["bayeszoo.design"].Block
    d = bz.design("log_radon ~ 1 + (1 | county)", bz.datasets.load_radon())
    assert isinstance(d, Design) and d.n == 919


def test_unknown_attribute_is_named():
    import bayeszoo as bz

    with pytest.raises(AttributeError, match="no_such_thing"):
        bz.no_such_thing  # noqa: B018
