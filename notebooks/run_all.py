"""Execute the notebooks top to bottom and save them with their outputs (``make notebooks``).

    python notebooks/run_all.py                 # all of them, full size
    python notebooks/run_all.py 02 05           # those whose names start with 02 or 05
    BAYESZOO_FAST=1 python notebooks/run_all.py # fast mode of the tests (fewer draws, epochs, rows)

Each notebook runs in a fresh kernel of this interpreter, in the ``notebooks/`` directory.
MNIST is read from ``$BAYESZOO_DATA/mnist`` (default: ``../shared/data`` beside the checkout,
where the test suite looks too) or the download cache.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
TIMEOUT = 3600  # seconds per cell
SHARED_DATA = HERE.parent.parent / "shared" / "data"


def notebook_paths(prefixes: list[str] | None = None) -> list[Path]:
    """The notebooks in run order, optionally only those whose names start with a prefix."""
    paths = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.name.startswith(x) for x in prefixes)]
    return paths


def execute(path: Path, timeout: int = TIMEOUT) -> nbformat.NotebookNode:
    """Run ``path`` in a fresh python3 kernel; raises ``CellExecutionError`` on any error."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def main(argv: list[str]) -> int:
    if SHARED_DATA.is_dir():
        os.environ.setdefault("BAYESZOO_DATA", str(SHARED_DATA))
    paths = notebook_paths(argv)
    if not paths:
        print(f"no notebook matches {argv}", file=sys.stderr)
        return 1
    for path in paths:
        t0 = time.perf_counter()
        print(f"{path.name} ...", flush=True)
        nb = execute(path)
        nbformat.write(nb, path)
        print(f"{path.name}: {time.perf_counter() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
