"""The array backends of ``bayeszoo.families.ops`` by name, and their results as NumPy floats,
for tests that evaluate one density on NumPy, JAX and PyTensor alike."""

from __future__ import annotations

import numpy as np

from bayeszoo.families.ops import by_name


def ops(name: str):
    """The ops of backend ``name`` (JAX is configured by ``conftest``)."""
    return by_name(name)


def value(x) -> np.ndarray:
    """``x`` as a NumPy float array, a PyTensor graph evaluated."""
    return np.asarray(x.eval() if hasattr(x, "eval") else x, dtype=float)
