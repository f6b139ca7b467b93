"""mgcv's random-effect smooth ``s(g, bs = "re")`` of one factor.

As ``smooth.construct.re.smooth.spec`` (``R/smooth.r``): the model matrix is
``model.matrix(~ g - 1)`` (one indicator column per level), the penalty is the identity with
full rank, there is no identifiability constraint and the penalty is not rescaled
(``S.scale = 1``), so mgcv's ``sp = scale / sd²`` directly. Checked against mgcv 1.8-41 through
``gam(log_radon ~ s(county, bs = "re"), method = "REML")`` in the fixture (``gam_radon_re``):
``sp = 6.6233 = 0.58686 / 0.29767²``, i.e. the block is the unscaled indicator matrix, the same
``Z`` as lme4's ``(1 | county)``.
"""

from __future__ import annotations

import numpy as np


class REBasis:
    """Indicator basis of a factor with fixed ``levels`` (in column order)."""

    bs = "re"

    def __init__(self, levels, variable: str = "g"):
        self.levels = list(levels)
        self.variable = variable
        self.k = len(self.levels)
        self.S = np.eye(self.k)
        self.rank = self.k
        self.null_space_dim = 0
        self._code = {lev: i for i, lev in enumerate(self.levels)}

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

    def predict(self, g, allow_new_levels: bool = False) -> np.ndarray:
        codes = self.codes(list(g), allow_new_levels)
        X = np.zeros((codes.size, self.k))
        ok = codes >= 0
        X[np.nonzero(ok)[0], codes[ok]] = 1.0
        return X
