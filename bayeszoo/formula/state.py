"""JSON encoding of term states: exact for floats and arrays.

A term's state (factor levels, knots, constraint matrices, formulaic's transform state) is a
frozen dataclass of its term type (:mod:`bayeszoo.formula.term_types`) whose ``to_dict()`` is a
plain tree of dicts, lists, strings, numbers and arrays, read back by its ``from_dict()``.
:func:`encode` makes that tree JSON-safe: NumPy scalars become Python numbers, arrays become
``{"__array__": base64 of the raw bytes, "dtype", "shape"}`` (bit-exact), dicts with
non-string keys become ``{"__items__": [[key, value], ...]}``; :func:`decode` reverses it.
``json.loads(json.dumps(encode(s)))`` decodes to ``s``.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np


def encode(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        if arr.dtype == object:
            return {"__list__": [encode(v) for v in arr.tolist()]}
        return {"__array__": base64.b64encode(arr.tobytes()).decode("ascii"),
                "dtype": arr.dtype.str, "shape": list(arr.shape)}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and not ({"__array__", "__items__", "__list__",
                                                          "__tuple__"} & set(obj)):
            return {k: encode(v) for k, v in obj.items()}
        return {"__items__": [[encode(k), encode(v)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v) for v in obj]}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in a term state: {obj!r}")


def decode(obj: Any) -> Any:
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__array__" in obj:
        raw = base64.b64decode(obj["__array__"])
        return np.frombuffer(raw, dtype=np.dtype(obj["dtype"])).reshape(obj["shape"]).copy()
    if "__items__" in obj:
        return {_key(decode(k)): decode(v) for k, v in obj["__items__"]}
    if "__tuple__" in obj:
        return tuple(decode(v) for v in obj["__tuple__"])
    if "__list__" in obj:
        return np.array([decode(v) for v in obj["__list__"]], dtype=object)
    return {k: decode(v) for k, v in obj.items()}


def _key(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k
