"""One raw basis of named columns: a plain smooth ``s(x, bs=...)`` or a margin of a tensor product.

A :class:`Margin` binds a raw basis to the columns it reads, builds it from data as mgcv's
``smooth.construct`` does (no constraint, no ``S.scale``), evaluates it on new data (mgcv's
``Predict.matrix``) and round-trips through a JSON state. :data:`BASIS_CLASSES` is the registry
of bases (``bs`` -> class, one line each; the protocol of a class is in
:mod:`bayeszoo.smooths.basis_input`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .ad import ADBasis
from .basis_input import BasisInput
from .cc import CCBasis
from .cr import CRBasis
from .gp import GPBasis
from .mrf import MRFBasis
from .ps import PSBasis
from .re import REBasis
from .tp import TPBasis

BASIS_CLASSES = {
    "cr": CRBasis,
    "ps": PSBasis,
    "cc": CCBasis,
    "tp": TPBasis,
    "re": REBasis,
    "gp": GPBasis,
    "mrf": MRFBasis,
    "ad": ADBasis,
}
KNOTS_BASES = ("cr", "cc", "mrf")
XT_BASES = ("mrf",)


@dataclass
class Margin:
    """A raw basis over ``variables``; for ``re`` the factor among them is ``factor``."""

    variables: tuple[str, ...]
    basis: object
    factor: str | None = None

    @property
    def bs(self) -> str:
        return self.basis.bs

    def matrix(self, data: Mapping, term: str) -> np.ndarray:
        """The raw basis at the rows of ``data`` (mgcv's ``Predict.matrix``)."""
        return self.basis.evaluate(data, self.variables, term)

    def fit_matrix(self, data: Mapping, term: str) -> np.ndarray:
        """The model matrix mgcv's constructor returns for the fitting data (for ``tp`` it is
        built from the eigen-decomposition, equal to :meth:`matrix` to the Lanczos tolerance)."""
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
                 m=None, knots: dict | None = None, xt: dict | None = None, seed: int = 1,
                 max_knots: int = 2000) -> Margin:
    """Construct the raw basis ``bs`` of ``variables`` on ``data`` (mgcv's ``smooth.construct``).

    ``k = -1`` is the basis's default dimension; ``m`` a number or a tuple (R's ``m = c(...)``).
    ``knots`` (column -> values) is honoured by ``cr``, ``cc`` and ``mrf`` (the regions);
    ``xt`` (mgcv's ``xt``, a dict) by ``mrf`` (``{"nb": ...}``); for other bases they are errors.
    """
    if bs not in BASIS_CLASSES:
        raise ValueError(f"{term}: unknown basis bs={bs!r}; supported: "
                         + ", ".join(repr(b) for b in BASIS_CLASSES))
    knots = knots or {}
    given = {v: knots[v] for v in variables if v in knots}
    if given and bs not in KNOTS_BASES:
        raise ValueError(f"{term}: knots= is supported for bs=" + ", ".join(
            f'"{b}"' for b in KNOTS_BASES) + f" only, not bs={bs!r}; remove knots for "
            f"{sorted(given)}")
    if xt and bs not in XT_BASES:
        raise ValueError(f"{term}: xt= is used by bs=\"mrf\" only (its neighbours), not by "
                         f"bs={bs!r}; remove xt for this term")
    inp = BasisInput(bs=bs, variables=tuple(variables), data=data, term=term, k=k, m=m,
                     knots=given or None, xt=xt, seed=seed, max_knots=max_knots)
    basis = BASIS_CLASSES[bs].from_data(inp)
    return Margin(variables=tuple(variables), basis=basis,
                  factor=basis.variable if bs == "re" else None)
