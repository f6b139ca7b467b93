"""mgcv's Markov random field smooth ``s(region, bs = "mrf", xt = list(nb = nb))``.

Re-implemented from mgcv's ``smooth.construct.mrf.smooth.spec`` and
``Predict.matrix.mrf.smooth`` (``R/smooth.r``):

* one coefficient per region: the regions are the levels of the factor, or all regions named in
  ``knots`` (mgcv's ``knots = list(region = ...)``: regions without data allowed), sorted as
  text (mgcv's ``as.factor(levels(x))``; here by code point, R sorts by locale); the model
  matrix is the region indicator (``model.matrix(~ region - 1)``);
* the penalty comes from the neighbourhood structure ``xt = {"nb": {region: [neighbours]}}``
  (names, matched to the levels as text): ``S[i, i]`` is the number of neighbours listed for
  region ``i`` and ``S[i, j] = -1`` for each neighbour ``j != i``; the neighbour relation must be
  symmetric. ``xt = {"penalty": S}`` gives the penalty directly (rows and columns in the
  order of the regions below);
* ``k`` below the number of regions keeps a low-rank basis (Wood 2017, section 5.4.2): the
  natural parameterization ``nat.param(X, S, type = 0)`` of the indicator matrix (regions
  without data get one dummy row each) and its ``k`` least penalized columns; ``X = X_ind P``
  and the penalty is ``diag(D)`` on them;
* the rank of a full-rank basis's penalty is counted numerically (eigenvalues above
  ``eps^0.8`` of the largest): ``regions - connected components``.

Checked against mgcv 1.8-41 on ``columb`` with the neighbours of ``columb.polys``
(``tests/fixtures/mgcv_bases.json``): model matrix, penalty and REML fits (full rank; ``k = 20``
up to the sign of each eigenvector column; ``k = 20`` with a region without data).
"""

from __future__ import annotations

import numpy as np

from .basis_input import BasisInput
from .columns import factor_levels, get_column, is_factor, plain
from .natparam import nat_param
from .state import decode_array, decode_optional, encode_array, encode_optional

RANK_TOL = np.finfo(float).eps ** 0.8


def neighbourhood_penalty(levels: list, nb, term: str) -> np.ndarray:
    """mgcv's penalty of a neighbour dict ``{region: [neighbour regions]}`` over ``levels``."""
    if not isinstance(nb, dict):
        raise ValueError(f"{term}: xt['nb'] must be a dict mapping each region to the list of "
                         f"its neighbours, got {type(nb).__name__}")
    names = [str(v) for v in levels]
    index = {name: i for i, name in enumerate(names)}
    keys = [str(key) for key in nb]
    if sorted(keys) != sorted(names):
        missing = sorted(set(names) - set(keys))[:5]
        extra = sorted(set(keys) - set(names))[:5]
        raise ValueError(f"{term}: mismatch between the regions of the neighbour list and the "
                         f"data's regions (without neighbours entry: {missing}; not a region: "
                         f"{extra})")
    p = len(names)
    S = np.zeros((p, p))
    for key, neighbours in nb.items():
        i = index[str(key)]
        neighbours = [neighbours] if isinstance(neighbours, str | int) else list(neighbours)
        S[i, i] = len(neighbours)
        for other in neighbours:
            j = index.get(str(other))
            if j is None:
                raise ValueError(f"{term}: region {key!r} lists {other!r} as a neighbour, which "
                                 "is not a region")
            if j != i:
                S[i, j] = -1.0
    asym = np.argwhere(S != S.T)
    if asym.size:
        i, j = asym[0]
        raise ValueError(f"{term}: the neighbour list is not symmetric: region {names[i]!r} "
                         f"and region {names[j]!r} do not both list each other")
    return S


def given_penalty(levels: list, penalty, term: str) -> np.ndarray:
    S = np.asarray(penalty, dtype=float)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise ValueError(f"{term}: xt['penalty'] must be a square matrix, got shape {S.shape}")
    if S.shape[0] != len(levels):
        raise ValueError(f"{term}: xt['penalty'] is {S.shape[0]} × {S.shape[0]} but there are "
                         f"{len(levels)} regions")
    return S


class MRFBasis:
    """Raw (unconstrained) mrf basis: the regions ``levels``, the low-rank map ``P`` (``None``
    at full rank) and penalty ``S`` (unscaled)."""

    bs = "mrf"

    @classmethod
    def from_data(cls, inp: BasisInput) -> MRFBasis:
        term = inp.term
        if len(inp.variables) != 1:
            raise ValueError(f"{term}: bs=\"mrf\" takes one factor (the regions), got "
                             f"{list(inp.variables)}")
        variable = inp.variables[0]
        col = get_column(inp.data, variable, term)
        given = inp.knots_of(variable)
        if given is not None:
            levels = list(dict.fromkeys(plain(v) for v in given))
        elif is_factor(col):
            levels, _ = factor_levels(col)
        else:
            levels = list({plain(v) for v in np.asarray(col)})
        levels = sorted(levels, key=str)
        xt = inp.xt or {}
        if "penalty" in xt:
            S = given_penalty(levels, xt["penalty"], term)
        elif "nb" in xt:
            S = neighbourhood_penalty(levels, xt["nb"], term)
        else:
            raise ValueError(f"{term}: bs=\"mrf\" needs the neighbourhood structure: pass "
                             f"xt={{{variable!r}: {{'nb': {{region: [neighbours], ...}}}}}}")
        nlev = len(levels)
        k = nlev if inp.k < 0 else int(inp.k)
        if k > nlev:
            raise ValueError(f"{term}: MRF basis dimension k = {k} set too high: there are "
                             f"{nlev} regions")
        obj = cls.__new__(cls)
        obj.variable, obj.levels, obj.k = variable, levels, k
        obj.P = None
        Xind = obj.indicators(col, term)
        if k < nlev:
            missing = np.flatnonzero(Xind.sum(axis=0) == 0)
            dummy = np.zeros((missing.size, nlev))
            dummy[np.arange(missing.size), missing] = 1.0
            rp = nat_param(np.vstack([dummy, Xind]), S, type=0)
            ind = np.arange(nlev - k, nlev)
            obj.P = rp.P[:, ind]
            penalized = ind[ind < rp.rank]
            obj.S = np.diag(np.r_[rp.D[penalized], np.zeros(k - penalized.size)])
            obj.rank = int(penalized.size)
            obj.X = rp.X[missing.size:, ind]
        else:
            vals = np.linalg.eigvalsh(S)
            obj.S = S
            obj.rank = int(np.sum(vals > RANK_TOL * vals.max()))
            obj.X = Xind
        obj.null_space_dim = k - obj.rank
        return obj

    @property
    def penalties(self) -> list[np.ndarray]:
        return [self.S]

    def indicators(self, col, term: str) -> np.ndarray:
        """The region indicator matrix of the values ``col``; an unknown region is an error."""
        index = {str(v): i for i, v in enumerate(self.levels)}
        values = [str(plain(v)) for v in np.asarray(col, dtype=object)]
        codes = np.array([index.get(v, -1) for v in values], dtype=int)
        if np.any(codes < 0):
            bad = sorted({v for v, c in zip(values, codes, strict=True) if c < 0})[:5]
            raise ValueError(f"{term}: region(s) {bad} of {self.variable!r} are not among the "
                             "regions of the smooth (give every region in knots= and in the "
                             "neighbour list)")
        X = np.zeros((codes.size, len(self.levels)))
        X[np.arange(codes.size), codes] = 1.0
        return X

    def evaluate(self, data, variables, term: str) -> np.ndarray:
        X = self.indicators(get_column(data, self.variable, term, "factor"), term)
        return X if self.P is None else X @ self.P

    def state(self) -> dict:
        return {"basis": "mrf", "variable": self.variable, "k": self.k,
                "levels": [plain(v) for v in self.levels], "P": encode_optional(self.P),
                "rank": self.rank, "S": encode_array(self.S)}

    @classmethod
    def from_state(cls, st: dict) -> MRFBasis:
        obj = cls.__new__(cls)
        obj.variable, obj.k, obj.levels = st["variable"], int(st["k"]), list(st["levels"])
        obj.P = decode_optional(st["P"])
        obj.S = decode_array(st["S"])
        obj.rank = int(st["rank"])
        obj.null_space_dim = obj.k - obj.rank
        return obj
