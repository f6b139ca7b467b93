"""mgcv's random-effect smooth ``s(g, bs = "re")`` and random slopes ``s(g, x, bs = "re")``.

As ``smooth.construct.re.smooth.spec`` (``R/smooth.r``): the model matrix is
``model.matrix(~ g:x - 1)``, one column per level of the factor ``g`` holding the level's
indicator times the product of the numeric covariates (just the indicator for ``s(g)``); the
penalty is the identity with full rank and there is no identifiability constraint. mgcv 1.8-41
applies ``S.scale`` to ``re`` terms like any other: it is exactly 1 for ``s(g, bs = "re")``
(indicator rows have absolute sum 1) and ``1 / max|x|²`` for a random slope. Checked against
mgcv through ``gam(log_radon ~ s(county, bs = "re"), method = "REML")`` (fixture
``gam_radon_re``): ``sp = 6.6233 = 0.58686 / 0.29767²``, the unscaled indicator matrix being
the same ``Z`` as lme4's ``(1 | county)``.
"""

from __future__ import annotations

import numpy as np

from .basis_input import BasisInput
from .columns import factor_levels, get_column, is_factor, numeric_column, plain


class REBasis:
    """Indicator basis of a factor with fixed ``levels`` (in column order), optionally times
    ``n_slopes`` numeric covariates (mgcv's ``bs = "re"``, identity penalty).

    Parameters
    ----------
    levels
        The factor's levels, in column order.
    variable
        The factor's column name.
    n_slopes
        How many numeric covariates multiply the indicators.

    Examples
    --------
    >>> basis = REBasis(["a", "b", "c"])
    >>> basis.k, basis.predict(["b", "a"])
    (3, array([[0., 1., 0.],
           [1., 0., 0.]]))
    """

    bs = "re"
    noterp = True

    def __init__(self, levels, variable: str = "g", n_slopes: int = 0):
        self.levels = list(levels)
        self.variable = variable
        self.n_slopes = int(n_slopes)
        self.k = len(self.levels)
        self.S = np.eye(self.k)
        self.rank = self.k
        self.null_space_dim = 0
        self._code = {lev: i for i, lev in enumerate(self.levels)}

    @classmethod
    def from_data(cls, inp: BasisInput) -> REBasis:
        """The indicator basis of the one factor among ``inp.variables`` (the others are
        slopes), with ``X`` at the fitting data."""
        factors = [v for v in inp.variables if is_factor(get_column(inp.data, v, inp.term))]
        if len(factors) != 1:
            raise ValueError(f"{inp.term}: bs=\"re\" needs exactly one factor among "
                             f"{list(inp.variables)} (found {factors}); convert the grouping "
                             "column with .astype('category')")
        levels, _ = factor_levels(get_column(inp.data, factors[0], inp.term))
        obj = cls(levels, variable=factors[0], n_slopes=len(inp.variables) - 1)
        obj.X = obj.evaluate(inp.data, inp.variables, inp.term)
        return obj

    @property
    def penalties(self) -> list[np.ndarray]:
        return [self.S]

    def evaluate(self, data, variables, term: str) -> np.ndarray:
        g = get_column(data, self.variable, term, "factor")
        slopes = [numeric_column(data, v, term) for v in variables if v != self.variable]
        return self.predict(list(np.asarray(g, dtype=object)), *slopes)

    def codes(self, g, allow_new_levels: bool = False) -> np.ndarray:
        """Integer code of each value; -1 for an unseen level when ``allow_new_levels``."""
        out = np.empty(len(g), dtype=np.int64)
        for i, v in enumerate(g):
            c = self._code.get(v, -1)
            if c < 0 and not allow_new_levels:
                raise ValueError(f"level {v!r} of {self.variable!r} was not in the data the "
                                 f"design was built on (s({self.variable}, bs=\"re\"))")
            out[i] = c
        return out

    def predict(self, g, *slopes, allow_new_levels: bool = False) -> np.ndarray:
        codes = self.codes(list(g), allow_new_levels)
        X = np.zeros((codes.size, self.k))
        ok = codes >= 0
        value = np.ones(codes.size)
        for z in slopes:
            value = value * np.asarray(z, dtype=float)
        X[np.nonzero(ok)[0], codes[ok]] = value[ok]
        return X

    def state(self) -> dict:
        return {"basis": "re", "levels": [plain(v) for v in self.levels],
                "variable": self.variable, "n_slopes": self.n_slopes}

    @classmethod
    def from_state(cls, st: dict) -> REBasis:
        return cls(st["levels"], variable=st["variable"], n_slopes=st["n_slopes"])
