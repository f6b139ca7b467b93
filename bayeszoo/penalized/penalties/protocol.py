"""The protocol every block penalty implements (see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Penalty(Protocol):
    """Penalty ``S(psi)`` of one block of ``size`` coefficients with ``n_params`` parameters.

    * ``param_labels``: one label per parameter (``"log_sp"``, ``"log_sp_2"``, ``"L[2,1]"``);
    * ``start(gram_diag)``: starting parameters given the diagonal of the block's
      (weighted) cross-product ``Z'WZ``;
    * ``bounds(psi0)``: ``(lower, upper)`` arrays for the outer Newton iteration;
    * ``add_penalty(A, sl, psi)``: ``A[sl, sl] += S(psi)`` in place;
    * ``times(psi, M)``: ``S(psi) @ M``;
    * ``d_times(psi, M)``: ``[dS/dpsi_k @ M for each k]``;
    * ``d2_times(psi, M)``: ``{(k, l): d²S/dpsi_k dpsi_l @ M}`` for ``k <= l``, nonzero pairs;
    * ``trace_d(psi, A)``, ``trace_d2(psi, A)``: ``tr(A dS/dpsi_k)`` and
      ``{(k, l): tr(A d²S/dpsi_k dpsi_l)}`` for a symmetric ``size × size`` matrix ``A`` (a block
      of an inverse), without forming the products;
    * ``log_det(psi)``: ``(log|S|, gradient, Hessian)`` w.r.t. ``psi`` (``S`` is positive
      definite for every ``psi``: unpenalized directions belong in the fixed effects);
    * ``smoothing_parameters(psi)``: mgcv's ``sp`` for penalties that have them
      (:class:`ScaledIdentity`, :class:`PenaltySum`), else an empty array;
    * lme4's view of a random-effect term (:mod:`..lme4`), ``None`` for a penalty without
      variance components (a tensor product's): ``coef_labels`` (default names of each level's
      coefficients), ``lme4_covariance(psi, scale)`` (``VarCorr``'s covariance of one level's
      coefficients, ``scale`` the residual variance) and ``lme4_theta(psi)`` (lme4's relative
      Cholesky factor, column-major lower triangle).
    """

    size: int
    n_params: int
    param_labels: list[str]
    coef_labels: Sequence[str] | None

    def start(self, gram_diag: np.ndarray) -> np.ndarray: ...

    def bounds(self, psi0: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def add_penalty(self, A: np.ndarray, sl: slice, psi: np.ndarray) -> None: ...

    def times(self, psi: np.ndarray, M: np.ndarray) -> np.ndarray: ...

    def d_times(self, psi: np.ndarray, M: np.ndarray) -> list[np.ndarray]: ...

    def d2_times(self, psi: np.ndarray, M: np.ndarray) -> dict[tuple[int, int], np.ndarray]: ...

    def trace_d(self, psi: np.ndarray, A: np.ndarray) -> np.ndarray: ...

    def trace_d2(self, psi: np.ndarray, A: np.ndarray) -> dict[tuple[int, int], float]: ...

    def log_det(self, psi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]: ...

    def smoothing_parameters(self, psi: np.ndarray) -> np.ndarray: ...

    def lme4_covariance(self, psi: np.ndarray, scale: float) -> np.ndarray | None: ...

    def lme4_theta(self, psi: np.ndarray) -> np.ndarray | None: ...
