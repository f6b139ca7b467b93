"""One raw basis of named columns: a plain smooth ``s(x, bs=...)`` or a margin of a tensor product.

A :class:`Margin` binds a raw basis (``cr``, ``ps``, ``cc``, ``tp``, ``re``) to the columns
it reads, builds it from data as mgcv's ``smooth.construct`` does (no constraint, no
``S.scale``), evaluates it on new data (mgcv's ``Predict.matrix``) and round-trips through a
JSON state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .cc import CCBasis
from .columns import factor_levels, get_column, is_factor, numeric_column
from .cr import CRBasis
from .ps import PSBasis
from .re import REBasis
from .tp import TPBasis

BASIS_CLASSES = {"cr": CRBasis, "ps": PSBasis, "cc": CCBasis, "tp": TPBasis, "re": REBasis}
KNOTS_BASES = ("cr", "cc")


@dataclass
class Margin:
    """A raw basis over ``variables``; for ``re`` the first factor among them is ``factor``."""

    variables: tuple[str, ...]
    basis: object
    factor: str | None = None

    @property
    def bs(self) -> str:
        return self.basis.bs

    def matrix(self, data: Mapping, term: str) -> np.ndarray:
        """The raw basis at the rows of ``data`` (mgcv's ``Predict.matrix``)."""
        if self.bs == "re":
            g = get_column(data, self.factor, term, "factor")
            slopes = [numeric_column(data, v, term) for v in self.variables if v != self.factor]
            return self.basis.predict(list(np.asarray(g, dtype=object)), *slopes)
        cols = [numeric_column(data, v, term) for v in self.variables]
        x = cols[0] if len(cols) == 1 else np.column_stack(cols)
        return self.basis.predict(x)

    def fit_matrix(self, data: Mapping, term: str) -> np.ndarray:
        """The model matrix mgcv's constructor returns for the fitting data (for ``tp`` it is
        built from the eigen-decomposition, equal to :meth:`matrix` to the Lanczos tolerance)."""
        if self.bs in ("re",):
            return self.matrix(data, term)
        return self.basis.X

    def state(self) -> dict:
        return {"variables": list(self.variables), "factor": self.factor,
                "basis": self.basis.state()}

    @classmethod
    def from_state(cls, st: dict) -> Margin:
        basis_state = st["basis"]
        basis = BASIS_CLASSES[basis_state["basis"]].from_state(basis_state)
        return cls(variables=tuple(st["variables"]), basis=basis, factor=st["factor"])


def build_margin(bs: str, variables: tuple[str, ...], k: int, data: Mapping, term: str, *,
                 m: int | None = None, knots: dict | None = None, seed: int = 1,
                 max_knots: int = 2000) -> Margin:
    """Construct the raw basis ``bs`` of ``variables`` on ``data`` (mgcv's ``smooth.construct``).

    ``k = -1`` is the basis's default dimension. ``knots`` (column -> values) is honoured by
    ``cr`` and ``cc``; for other bases it is an error.
    """
    knots = knots or {}
    given = {v: knots[v] for v in variables if v in knots}
    if given and bs not in KNOTS_BASES:
        raise ValueError(f"{term}: knots= is supported for bs=\"cr\" and bs=\"cc\" only, not "
                         f"bs={bs!r}; remove knots for {sorted(given)}")
    if bs == "re":
        factors = [v for v in variables if is_factor(get_column(data, v, term))]
        if len(factors) != 1:
            raise ValueError(f"{term}: bs=\"re\" needs exactly one factor among {list(variables)}"
                             f" (found {factors}); convert the grouping column with "
                             ".astype('category')")
        levels, _ = factor_levels(get_column(data, factors[0], term))
        basis = REBasis(levels, variable=factors[0], n_slopes=len(variables) - 1)
        return Margin(variables=tuple(variables), basis=basis, factor=factors[0])
    for v in variables:
        if is_factor(get_column(data, v, term)):
            raise ValueError(f"{term}: {v!r} is a factor; a {bs!r} basis needs numeric "
                             "covariates (use by= for one smooth per level, bs=\"fs\" for "
                             "factor-smooth interactions or bs=\"re\" for random effects)")
    cols = [numeric_column(data, v, term) for v in variables]
    if bs == "tp":
        basis = TPBasis(np.column_stack(cols), k=k, m=m, seed=seed, max_knots=max_knots,
                        term=term)
        return Margin(variables=tuple(variables), basis=basis)
    if len(variables) != 1:
        raise ValueError(f"{term}: bs={bs!r} handles one covariate, got {list(variables)}; use "
                         "bs=\"tp\" or a tensor product te()/t2()")
    x = cols[0]
    if bs == "cr":
        basis = CRBasis(x, k=k, term=f"{term}: {variables[0]}", knots=given.get(variables[0]))
    elif bs == "cc":
        basis = CCBasis(x, k=k, knots=given.get(variables[0]), term=term)
    elif bs == "ps":
        basis = PSBasis(x, k=k, m=m or 2, term=term)
    else:
        raise ValueError(f"{term}: unknown basis bs={bs!r}; supported: "
                         + ", ".join(repr(b) for b in BASIS_CLASSES))
    return Margin(variables=tuple(variables), basis=basis)
