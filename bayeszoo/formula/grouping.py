"""Grouping factors of random-effect terms: observed levels (R's order) and integer codes.

A grouping ``a:b`` has the level combinations that occur, ordered as R orders the levels of
``interaction(a, b)`` restricted to those present, labelled ``a_b`` as brms labels them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .columns import factor_levels
from .errors import FormulaError


def fit_grouping(name: str, variables: list[str], data: pd.DataFrame,
                 columns: dict[str, object]) -> dict[str, Any]:
    """The state of grouping ``name`` over ``variables``: levels and their labels."""
    if len(variables) == 1:
        levels = [_plain(v) for v in factor_levels(data[columns[variables[0]]])]
        labels = [str(v) for v in levels]
    else:
        per = [factor_levels(data[columns[v]]) for v in variables]
        rank = [{lev: i for i, lev in enumerate(p)} for p in per]
        seen = set(zip(*(data[columns[v]] for v in variables), strict=True))
        order = sorted(seen, key=lambda t: tuple(r[x] for r, x in zip(rank, t, strict=True)))
        levels = [[_plain(x) for x in t] for t in order]
        labels = ["_".join(str(x) for x in t) for t in order]
    return {"name": name, "variables": list(variables), "levels": levels, "labels": labels}


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def codes(grouping: dict[str, Any], data: pd.DataFrame, columns: dict[str, object], term: str,
          allow_new_levels: bool) -> np.ndarray:
    """The level code of each row; ``-1`` for a level the fit never saw when
    ``allow_new_levels``, else an error naming the level."""
    variables = grouping["variables"]
    if len(variables) == 1:
        lookup = {lev: i for i, lev in enumerate(grouping["levels"])}
        keys = list(data[columns[variables[0]]])
    else:
        lookup = {tuple(lev): i for i, lev in enumerate(grouping["levels"])}
        keys = list(zip(*(data[columns[v]] for v in variables), strict=True))
    out = np.fromiter((lookup.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
    if not allow_new_levels and np.any(out < 0):
        bad = keys[int(np.argmax(out < 0))]
        lab = "_".join(map(str, bad)) if isinstance(bad, tuple) else str(bad)
        raise FormulaError(f"new level {lab!r} of grouping factor {grouping['name']!r} in term "
                           f"{term}: not in the data the model was fitted to (pass "
                           "allow_new_levels=True to predict it at the population level)")
    return out
