"""The notebooks use bayeszoo's public API only: a code cell imports from bayeszoo nothing but
the names a package exports (``bayeszoo``'s own namespace, or the ``__all__`` of a subpackage's
``__init__`` such as ``bayeszoo.smooths`` or ``bayeszoo.nn``) and those packages themselves;
never a module inside a package (``bayeszoo.api``, ``bayeszoo.inference.varcorr``), an
underscore name, or ``bayeszoo.reports`` (the HTML report's internals). Read from the stored
notebooks, nothing executed."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def cell_code(source: str) -> str:
    """A code cell's Python: IPython's magics and shell lines (``%``, ``!``) blanked."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def is_package(module: str) -> bool:
    """Whether ``module`` is a package (a folder with ``__init__``), not a plain module."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return False
    return spec is not None and spec.submodule_search_locations is not None


def is_public(module: str, name: str | None) -> bool:
    """``import module`` (``name`` None) or ``from module import name`` uses the public API:
    every step of ``module`` is a package, none is private or under ``bayeszoo.reports``, and
    ``name`` is in the package's ``__all__``."""
    parts = module.split(".")
    if parts[:2] == ["bayeszoo", "reports"] or any(p.startswith("_") for p in parts[1:]):
        return False
    if not all(is_package(".".join(parts[:i])) for i in range(1, len(parts) + 1)):
        return False
    if name is None or name == "*":
        return True
    return name in getattr(importlib.import_module(module), "__all__", ())


def non_public_imports(source: str) -> list[str]:
    """The imports of ``source`` that reach past bayeszoo's public API (:func:`is_public`)."""
    found = []
    for node in ast.walk(ast.parse(cell_code(source))):
        if isinstance(node, ast.Import):
            pairs = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            pairs = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in pairs:
            if module.split(".")[0] == "bayeszoo" and not is_public(module, name):
                found.append(module if name is None else f"{module}.{name}")
    return found


def test_non_public_imports_are_found():
    source = ("import numpy as np\nimport bayeszoo as bz\n%matplotlib inline\n"
              "from bayeszoo import design, headline, NUMPY\n"
              "from bayeszoo.structures import cholesky_coefficients\n"
              "from bayeszoo.smooths import SmoothSpec, smooth_con\n"
              "from bayeszoo.nn import MLP, ChainRuleNet\n"
              "import bayeszoo.smooths as sm\n"
              "from bayeszoo.reports.figures_families import plot_rootogram\n"
              "from bayeszoo.reports import figures_smooths2 as figs2\n"
              "import bayeszoo.reports\n"
              "from bayeszoo.inference.fit import _private\n"
              "from bayeszoo._internal import x\n"
              "from bayeszoo.inference.varcorr import varcorr_frame\n"
              "from bayeszoo.smooths.construct import smooth_con\n"
              "from bayeszoo.api import headline\n"
              "from bayeszoo.nn.backprop import ChainRuleNet\n"
              "from bayeszoo import no_such_name\n"
              "from bayeszoo.smooths import construct\n"
              "import bayeszoo.api\n"
              "from ._local import y\n")
    assert non_public_imports(source) == [
        "bayeszoo.reports.figures_families.plot_rootogram",
        "bayeszoo.reports.figures_smooths2",
        "bayeszoo.reports",
        "bayeszoo.inference.fit._private",
        "bayeszoo._internal.x",
        "bayeszoo.inference.varcorr.varcorr_frame",
        "bayeszoo.smooths.construct.smooth_con",
        "bayeszoo.api.headline",
        "bayeszoo.nn.backprop.ChainRuleNet",
        "bayeszoo.no_such_name",
        "bayeszoo.smooths.construct",
        "bayeszoo.api",
    ]


def test_every_exported_name_of_bayeszoo_resolves():
    import bayeszoo as bz

    for name in bz.__all__:
        assert getattr(bz, name) is not None, name


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_uses_the_public_api(path):
    nb = nbformat.read(path, as_version=4)
    found = [f"cell {i}: {imp}" for i, c in enumerate(nb.cells) if c.cell_type == "code"
             for imp in non_public_imports(c.source)]
    assert not found, f"{path.name} imports bayeszoo's internals:\n" + "\n".join(found)
