"""What a raw basis is built from: :class:`BasisInput` (mgcv's ``smooth.spec`` object and data).

Every basis class of :data:`bayeszoo.smooths.margins.BASIS_CLASSES` has a classmethod
``from_data(inp: BasisInput)`` (mgcv's ``smooth.construct`` method), a method
``evaluate(data, variables, term)`` (mgcv's ``Predict.matrix``), the list ``penalties`` of its
unscaled penalty matrices, ``null_space_dim``, the model matrix ``X`` of the fitting data and a
JSON ``state()`` / ``from_state()`` pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .columns import get_column, is_factor, numeric_column


@dataclass(frozen=True)
class BasisInput:
    """One basis to construct: its covariates ``variables`` read from ``data``, ``k`` (``-1``:
    the basis's default), ``m`` as written (a number or a tuple: R's ``m = c(...)``), ``knots``
    (column -> values, only this basis's columns), ``xt`` (mgcv's extra argument; a dict),
    the knot subsample ``seed`` and ``max_knots``, and the term's label for messages."""

    bs: str
    variables: tuple[str, ...]
    data: Mapping
    term: str
    k: int = -1
    m: int | float | tuple | None = None
    knots: dict | None = None
    xt: dict | None = None
    seed: int = 1
    max_knots: int = 2000

    def order(self) -> int | None:
        """The first element of ``m`` (the penalty or basis order of cr/ps/tp), or ``None``."""
        m = self.m[0] if isinstance(self.m, tuple) else self.m
        return None if m is None else int(m)

    def numeric(self) -> list[np.ndarray]:
        """The covariates as float arrays; a factor among them is an error."""
        for v in self.variables:
            if is_factor(get_column(self.data, v, self.term)):
                raise ValueError(f"{self.term}: {v!r} is a factor; a {self.bs!r} basis needs "
                                 "numeric covariates (use by= for one smooth per level, "
                                 "bs=\"fs\" for factor-smooth interactions, bs=\"re\" for random "
                                 "effects or bs=\"mrf\" for a Markov random field)")
        return [numeric_column(self.data, v, self.term) for v in self.variables]

    def one_numeric(self) -> np.ndarray:
        """The single covariate of a one-dimensional basis."""
        if len(self.variables) != 1:
            raise ValueError(f"{self.term}: bs={self.bs!r} handles one covariate, got "
                             f"{list(self.variables)}; use bs=\"tp\" or a tensor product "
                             "te()/t2()")
        return self.numeric()[0]

    def knots_of(self, variable: str):
        """The knots given for ``variable``, or ``None``."""
        return None if not self.knots else self.knots.get(variable)


def numeric_input(data: Mapping, variables, term: str) -> np.ndarray:
    """The covariates of a numeric basis at the rows of ``data``: a vector for one covariate,
    else an ``n × d`` matrix."""
    cols = [numeric_column(data, v, term) for v in variables]
    return cols[0] if len(cols) == 1 else np.column_stack(cols)
