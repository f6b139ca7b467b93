"""The notebooks use bayeszoo's public API only: no code cell imports ``bayeszoo.reports`` (the
HTML report's internals) or an underscore name of bayeszoo. Read from the stored notebooks,
nothing executed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def cell_code(source: str) -> str:
    """A code cell's Python: IPython's magics and shell lines (``%``, ``!``) blanked."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def private_imports(source: str) -> list[str]:
    """The imports of ``source`` that reach into bayeszoo's internals: any module path under
    ``bayeszoo.reports``, or a module or name of bayeszoo starting with an underscore."""
    found = []
    for node in ast.walk(ast.parse(cell_code(source))):
        if isinstance(node, ast.Import):
            pairs = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            pairs = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in pairs:
            parts = module.split(".")
            if parts[0] != "bayeszoo":
                continue
            full = parts + ([name] if name else [])
            if full[:2] == ["bayeszoo", "reports"] or any(p.startswith("_") for p in full[1:]):
                found.append(module if name is None else f"{module}.{name}")
    return found


def test_private_imports_are_found():
    source = ("import numpy as np\nimport bayeszoo as bz\n%matplotlib inline\n"
              "from bayeszoo.reports.figures_families import plot_rootogram\n"
              "from bayeszoo.reports import figures_smooths2 as figs2\n"
              "import bayeszoo.reports\n"
              "from bayeszoo.inference.fit import _private\n"
              "from bayeszoo._internal import x\n"
              "from bayeszoo.inference.varcorr import varcorr_frame\n"
              "from ._local import y\n")
    assert private_imports(source) == [
        "bayeszoo.reports.figures_families.plot_rootogram",
        "bayeszoo.reports.figures_smooths2",
        "bayeszoo.reports",
        "bayeszoo.inference.fit._private",
        "bayeszoo._internal.x",
    ]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_uses_the_public_api(path):
    nb = nbformat.read(path, as_version=4)
    found = [f"cell {i}: {imp}" for i, c in enumerate(nb.cells) if c.cell_type == "code"
             for imp in private_imports(c.source)]
    assert not found, f"{path.name} imports bayeszoo's internals:\n" + "\n".join(found)
