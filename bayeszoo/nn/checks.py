"""Checks that run before anything compiles: counts (epochs, batch size), output folders, the
data ``(x, y)`` against the model and the loss, and the validation split. Each error names the
setting or the data and says what would fit."""

from __future__ import annotations

import math
import os
from numbers import Real
from pathlib import Path

import numpy as np

from bayeszoo.paths import refusal_to_create
from bayeszoo.runtime import ensure_configured

ensure_configured()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from flax import nnx  # noqa: E402

from bayeszoo.nn.losses import Loss  # noqa: E402


def check_count(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int: a whole number (``3`` or ``3.0``, not ``1.7``) of at least
    ``minimum``; else a ``ValueError`` naming ``name`` and the value."""
    if isinstance(value, bool) or not isinstance(value, Real) or not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(value)


def check_writable_dir(path: str | os.PathLike, name: str) -> Path:
    """``path`` as a ``Path`` if it is a folder this process may write in, or one it may create
    (its nearest existing ancestor is such a folder); else a ``ValueError`` naming ``name``.
    Nothing is left behind (a file is created there and removed again, as
    :func:`bayeszoo.paths.check_writable` does)."""
    path = Path(path)
    existing = path
    while not os.path.exists(existing):
        existing = existing.parent
    if not os.path.isdir(existing):
        where = "is a file" if existing == path else f"lies under the file {existing}"
        raise ValueError(f"{name} {path} {where}, not a folder; pass another {name}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{name} {path}: no permission to write in {existing}; pass another "
                         f"{name} or make {existing} writable")
    refused = refusal_to_create(existing)
    if refused:
        raise ValueError(f"{name} {path}: {existing} does not take new files ({refused}); "
                         f"pass another {name}")
    return path


def as_arrays(data) -> tuple[np.ndarray, np.ndarray]:
    """``data = (x, y)`` as two arrays of the same, non-zero number of rows."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError("data must be a pair (x, y) of arrays")
    x, y = np.asarray(data[0]), np.asarray(data[1])
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError("the dataset is empty: x has no rows")
    if y.ndim == 0 or y.shape[0] != x.shape[0]:
        raise ValueError(f"x has {x.shape[0]} rows but y has "
                         f"{0 if y.ndim == 0 else y.shape[0]}")
    return x, y


def _output_shape(graphdef, params, rest, x_shape) -> tuple[int, ...]:
    def f(p, r, xx):
        return nnx.merge(graphdef, p, r)(xx)

    out = jax.eval_shape(f, params, rest, jax.ShapeDtypeStruct((1, *x_shape), jnp.float32))
    return tuple(out.shape[1:])


def check_shape(model: nnx.Module, x: np.ndarray) -> None:
    """Rows of ``x`` must have the model's ``input_shape`` (any shape of that size for models
    that flatten their input)."""
    expected = getattr(model, "input_shape", None)
    if expected is None:
        return
    got = tuple(x.shape[1:])
    ok = (int(np.prod(got)) == int(np.prod(expected)) if getattr(model, "flattens", False)
          else got == tuple(expected))
    if not ok:
        raise ValueError(f"input shape {got} does not fit {type(model).__name__}, which expects "
                         f"rows of shape {tuple(expected)}")


def check_inputs(model: nnx.Module, graphdef, params, rest, x: np.ndarray, y: np.ndarray,
                 loss: Loss) -> tuple[np.ndarray, np.ndarray]:
    """Clear errors for data that cannot train the model; returns float32 x and typed y."""
    check_shape(model, x)
    try:
        out_shape = _output_shape(graphdef, params, rest, x.shape[1:])
    except Exception as err:  # shapes that the layers reject
        raise ValueError(f"inputs of shape {x.shape[1:]} do not fit {type(model).__name__}: "
                         f"{err}") from err
    if not np.issubdtype(x.dtype, np.number) and x.dtype != bool:
        raise ValueError(f"x must be numeric, got dtype {x.dtype}")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinite values")
    if loss.task == "multiclass":
        n_classes = out_shape[-1]
        if y.ndim != 1:
            raise ValueError(f"labels must be a 1-D array of class indices, got shape {y.shape}")
        if not np.issubdtype(y.dtype, np.number):
            raise ValueError(f"labels must be integer class indices, got dtype {y.dtype}: map "
                             "class names to 0..k-1 first (e.g. pandas.Categorical(...).codes)")
        if not np.all(np.isfinite(y.astype(float))) or np.any(y != np.round(y)):
            raise ValueError("labels must be integers (class indices)")
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= n_classes:
            raise ValueError(f"labels range over [{lo}, {hi}] but the model has {n_classes} "
                             f"outputs: labels must lie in [0, {n_classes - 1}]")
        return x, y.astype(np.int32)
    y = y.astype(np.float32)
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite values")
    if loss.task == "binary":
        if not np.all((y == 0) | (y == 1)):
            raise ValueError("labels of a binary cross-entropy must be 0 or 1")
        if int(np.prod(out_shape)) != 1:
            raise ValueError(f"binary cross-entropy needs one output unit, the model has "
                             f"{out_shape}")
    if loss.task == "regression" and int(np.prod(y.shape[1:])) != int(np.prod(out_shape)):
        raise ValueError(f"targets of shape {y.shape[1:]} do not match the model output "
                         f"{out_shape}")
    return x, y


def split_validation(x: np.ndarray, y: np.ndarray, validation_split: float | None,
                     validation_data) -> tuple:
    """``(x, y, x_val, y_val)``: ``validation_data`` as given, or the last ``validation_split``
    fraction of the rows taken before shuffling, as Keras's ``fit``; ``None`` for no
    validation."""
    if validation_data is not None:
        if validation_split is not None:
            raise ValueError("give validation_split or validation_data, not both")
        xv, yv = as_arrays(validation_data)
        return x, y, xv, yv
    if validation_split is None:
        return x, y, None, None
    vs = float(validation_split)
    if not 0.0 < vs < 1.0:
        raise ValueError(f"validation_split must lie in (0, 1), got {validation_split}")
    n_val = int(math.floor(len(x) * vs))
    if n_val == 0 or n_val == len(x):
        raise ValueError(f"validation_split={vs} of {len(x)} rows leaves an empty training or "
                         "validation set")
    return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]
