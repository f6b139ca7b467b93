"""Progress bars for long work: simulation-based calibration, K-fold and exact-LOO refits,
``bayeszoo run``, and the PyMC and nutpie samplers' own bars.

A bar (tqdm's, the notebook widget under Jupyter) shows the units done, the rate and an estimate
of the time left. It is shown only where someone watches: in a notebook or when the stream is a
terminal, never when ``progress=False``, when the stream is redirected to a file or pipe, or when
the ``CI`` environment variable is set (CI logs).
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (IPython's ``ZMQInteractiveShell``)."""
    shell = sys.modules.get("IPython")
    ip = shell.get_ipython() if shell is not None and hasattr(shell, "get_ipython") else None
    return type(ip).__name__ == "ZMQInteractiveShell"


def shown(progress: bool = True, stream: IO | None = None) -> bool:
    """Whether a bar is shown on ``stream`` (default ``sys.stderr``): ``progress``, no ``CI``
    variable, and a notebook or a terminal."""
    if not progress or os.environ.get("CI"):
        return False
    stream = sys.stderr if stream is None else stream
    return in_notebook() or bool(getattr(stream, "isatty", lambda: False)())


def bar(total: int, desc: str, unit: str, progress: bool = True, stream: IO | None = None) -> Any:
    """A tqdm bar over ``total`` units (disabled, and silent, where :func:`shown` says no);
    ``bar.update(1)`` as each unit finishes, ``bar.close()`` at the end (or use it in a
    ``with`` block)."""
    from tqdm.auto import tqdm

    stream = sys.stderr if stream is None else stream
    return tqdm(total=total, desc=desc, unit=unit, file=stream,
                disable=not shown(progress, stream), dynamic_ncols=True)
