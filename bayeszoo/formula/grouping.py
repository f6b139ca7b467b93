"""Grouping factors of random-effect terms: observed levels (R's order) and integer codes.

A grouping ``a:b`` has the level combinations that occur, ordered as R orders the levels of
``interaction(a, b)`` restricted to those present, labelled ``a_b`` as brms labels them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .columns import factor_levels
from .errors import FormulaError


@dataclass(frozen=True)
class Grouping:
    """A fitted grouping factor: brms's name (``county``, ``state:county``), the columns it
    combines, its observed levels (values; a list of values per level of an interaction) in
    R's order, and brms's labels of them (``a_b`` for an interaction)."""

    name: str
    variables: tuple[str, ...]
    levels: tuple[Any, ...]
    labels: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "variables": list(self.variables),
                "levels": [list(v) if isinstance(v, tuple) else v for v in self.levels],
                "labels": list(self.labels)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Grouping:
        return cls(name=d["name"], variables=tuple(d["variables"]),
                   levels=tuple(tuple(v) if isinstance(v, list | tuple) else v
                                for v in d["levels"]),
                   labels=tuple(d["labels"]))


def fit_grouping(name: str, variables: list[str], data: pd.DataFrame,
                 columns: dict[str, object]) -> Grouping:
    """The state of grouping ``name`` over ``variables``: levels and their labels."""
    if len(variables) == 1:
        levels = [_plain(v) for v in factor_levels(data[columns[variables[0]]])]
        labels = [str(v) for v in levels]
    else:
        per = [factor_levels(data[columns[v]]) for v in variables]
        rank = [{lev: i for i, lev in enumerate(p)} for p in per]
        seen = set(zip(*(data[columns[v]] for v in variables), strict=True))
        order = sorted(seen, key=lambda t: tuple(r[x] for r, x in zip(rank, t, strict=True)))
        levels = [tuple(_plain(x) for x in t) for t in order]
        labels = ["_".join(str(x) for x in t) for t in order]
    return Grouping(name=name, variables=tuple(variables), levels=tuple(levels),
                    labels=tuple(labels))


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def codes(grouping: Grouping, data: pd.DataFrame, columns: dict[str, object], term: str,
          allow_new_levels: bool) -> np.ndarray:
    """The level code of each row; ``-1`` for a level the fit never saw when
    ``allow_new_levels``, else an error naming the level."""
    variables = grouping.variables
    if len(variables) == 1:
        lookup = {lev: i for i, lev in enumerate(grouping.levels)}
        keys = list(data[columns[variables[0]]])
    else:
        lookup = {tuple(lev): i for i, lev in enumerate(grouping.levels)}
        keys = list(zip(*(data[columns[v]] for v in variables), strict=True))
    out = np.fromiter((lookup.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
    if not allow_new_levels and np.any(out < 0):
        bad = keys[int(np.argmax(out < 0))]
        lab = "_".join(map(str, bad)) if isinstance(bad, tuple) else str(bad)
        raise FormulaError(f"new level {lab!r} of grouping factor {grouping.name!r} in term "
                           f"{term}: not in the data the model was fitted to (pass "
                           "allow_new_levels=True to predict it at the population level)")
    return out
