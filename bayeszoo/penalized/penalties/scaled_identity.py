"""``S = exp(rho)·I_q``: one smoothing parameter on a block of iid coefficients.

mgcv's ``sp`` of an ``s(g, bs = "re")`` term or of ``smooth2random``'s penalized part
(``b ~ N(0, phi/sp · I)``); lme4's ``1/theta²`` for a scalar random-effect term, whose
variance component is ``phi/sp`` (``VarCorr``) and relative factor ``theta = 1/sqrt(sp)``.
"""

from __future__ import annotations

import math

import numpy as np


class ScaledIdentity:
    """Identity penalty of ``size`` coefficients, parameter ``rho = log sp``."""

    n_params = 1
    #: lme4's name of a scalar term's one coefficient per level
    coef_labels = ("(Intercept)",)

    def __init__(self, size: int) -> None:
        self.size = int(size)
        self.param_labels = ["log_sp"]

    def start(self, gram_diag: np.ndarray) -> np.ndarray:
        return np.array([math.log(max(float(np.mean(gram_diag)), 1e-8))])

    def bounds(self, psi0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return psi0 - 25.0, psi0 + 25.0

    def add_penalty(self, A: np.ndarray, sl: slice, psi: np.ndarray) -> None:
        step = A.shape[1] + 1
        A.reshape(-1)[sl.start * step:sl.stop * step:step] += math.exp(psi[0])

    def times(self, psi: np.ndarray, M: np.ndarray) -> np.ndarray:
        return math.exp(psi[0]) * M

    def d_times(self, psi: np.ndarray, M: np.ndarray) -> list[np.ndarray]:
        return [math.exp(psi[0]) * M]

    def d2_times(self, psi: np.ndarray, M: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        return {(0, 0): math.exp(psi[0]) * M}

    def trace_d(self, psi: np.ndarray, A: np.ndarray) -> np.ndarray:
        return np.array([math.exp(psi[0]) * float(A.trace())])

    def trace_d2(self, psi: np.ndarray, A: np.ndarray) -> dict[tuple[int, int], float]:
        return {(0, 0): math.exp(psi[0]) * float(A.trace())}

    def log_det(self, psi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        return self.size * float(psi[0]), np.array([float(self.size)]), np.zeros((1, 1))

    def smoothing_parameters(self, psi: np.ndarray) -> np.ndarray:
        return np.exp(np.asarray(psi, dtype=float))

    def lme4_covariance(self, psi: np.ndarray, scale: float) -> np.ndarray:
        """lme4's variance component ``scale / sp`` as a ``1 × 1`` covariance."""
        return np.array([[scale / math.exp(psi[0])]])

    def lme4_theta(self, psi: np.ndarray) -> np.ndarray:
        """lme4's ``theta = 1/sqrt(sp)``."""
        return np.array([math.exp(-0.5 * psi[0])])
