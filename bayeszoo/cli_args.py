"""Argument types and the JSON result line shared by the ``bayeszoo`` commands."""

from __future__ import annotations

import argparse
import json
import math


def plain_json(value):
    """``value`` with NumPy numbers as Python numbers, NaN as ``None`` (undefined) and an
    infinite float as the string ``"inf"`` or ``"-inf"`` (an R-hat of chains stuck apart is
    infinite, not missing): the JSON line stays valid JSON (no ``NaN``, no ``Infinity``)."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def print_result(result: dict) -> None:
    """Commands that compute a result end with one line holding a JSON object of its figures."""
    print(json.dumps(plain_json(result), allow_nan=False))


def count(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def learning_rate(text: str) -> float:
    """A positive finite learning rate (``--lr``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value
