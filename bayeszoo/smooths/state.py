"""Exact JSON encoding of the arrays that make up a smooth term's fitted state.

A fitted smooth term predicts on new data from its state alone (knots, reparameterization
matrices, shifts, factor levels), so the state must survive ``json.dumps``/``json.loads``
bit for bit. Floating-point arrays are stored as the base64 text of their little-endian float64
bytes together with their shape; everything else in a state is plain JSON (str, int, float,
bool, lists, dicts).
"""

from __future__ import annotations

import base64

import numpy as np

ARRAY_TAG = "float64_base64"


def encode_array(a) -> dict:
    """``{"float64_base64": ..., "shape": [...]}`` holding ``a`` exactly."""
    arr = np.ascontiguousarray(np.asarray(a, dtype="<f8"))
    return {ARRAY_TAG: base64.b64encode(arr.tobytes()).decode("ascii"),
            "shape": list(arr.shape)}


def decode_array(obj: dict) -> np.ndarray:
    """Inverse of :func:`encode_array` (a fresh, writable float64 array)."""
    if not isinstance(obj, dict) or ARRAY_TAG not in obj:
        raise ValueError(f"not an encoded array: expected a dict with key {ARRAY_TAG!r}, got "
                         f"{type(obj).__name__}; was the state written by "
                         "bayeszoo.smooths?")
    raw = base64.b64decode(obj[ARRAY_TAG])
    return np.frombuffer(raw, dtype="<f8").reshape(obj["shape"]).astype(float)


def encode_optional(a) -> dict | None:
    return None if a is None else encode_array(a)


def decode_optional(obj) -> np.ndarray | None:
    return None if obj is None else decode_array(obj)
