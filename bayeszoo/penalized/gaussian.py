"""Exact REML/ML for Gaussian identity-link models with an estimated scale.

``y = X·beta + Σ_j Z_j b_j + e``, ``e_i ~ N(0, phi / w_i)``, ``b_j`` penalized by
``b_j' S_j(psi_j) b_j / phi``. Everything after one pass over the data happens in coefficient
space: ``G = C'WC`` and ``C'W(y - offset)`` (``C`` all model matrices in the
:class:`~.problem.Layout` order) are formed once, sparse indicator blocks through their
sparsity; each evaluation factors ``A = G + S(psi)`` by a Jacobi-scaled Cholesky, and the
inverse from the factor gives the traces of the exact gradient and Hessian.

Criterion (Wood 2011, JRSSB 73:3-36; mgcv's ``gam.fit3`` with ``fix.family.ls``'s Gaussian
saturated likelihood), with ``Dp = Σ w r² + beta'S beta``::

    V = Dp/(2 phi) + (n - Mp)/2·log(2π phi) + ½ log|A| - ½ log|S| - ½ Σ log w     (REML)
    V = Dp/(2 phi) +       n/2·log(2π phi) + ½ log|Z'WZ + S| - ½ log|S| - ½ Σ log w   (ML)

``Mp`` the unpenalized coefficients, ``n`` the rows with ``w > 0``. Newton runs on the profile
``V(psi, phî(psi))``, ``phî = Dp/(n - Mp)`` (REML) or ``Dp/n`` (ML): lme4's profiled
criterion (Bates et al. 2015, JSS 67(1), eqs. 34 and 41) is ``2V`` for the same model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

from .newton import NewtonInfo, minimize
from .problem import Layout, cross
from .total_penalty import TotalPenalty

__all__ = ["GaussianEngine", "GaussianState", "NotPositiveDefinite", "factor", "inverse"]

LOG_2PI = math.log(2.0 * math.pi)


class NotPositiveDefinite(np.linalg.LinAlgError):
    """The penalized normal matrix cannot be factored."""


def factor(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Jacobi-scaled upper Cholesky factor: ``(R, d)`` with ``D A D = R'R``, ``D = diag(d)``."""
    dA = A.diagonal()
    if not (dA > 0).all():  # NaN fails here; an infinite entry fails in dpotrf
        raise NotPositiveDefinite("a coefficient has no information (zero column)")
    d = 1.0 / np.sqrt(dA)
    R, info = lapack.dpotrf(A * np.outer(d, d), lower=0, clean=1, overwrite_a=1)
    if info != 0:
        raise NotPositiveDefinite("the penalized normal matrix is not positive definite")
    return R, d


def inverse(R: np.ndarray, d: np.ndarray, m: int | None = None) -> np.ndarray:
    """``A⁻¹`` from ``factor(A)``; with ``m``, the inverse of the leading ``m × m`` block of
    ``A`` (its factor is the leading block of ``R``); an empty block gives an empty inverse
    (LAPACK's ``dpotri`` rejects a ``0 × 0`` matrix)."""
    if m is not None:
        R, d = R[:m, :m], d[:m]
    if not R.shape[0]:  # no penalized coefficients (ML without smoothing parameters)
        return np.zeros((0, 0))
    inv, info = lapack.dpotri(R, lower=0)  # upper triangle; R's (zero) lower one is kept
    if info != 0:
        raise NotPositiveDefinite("singular Cholesky factor")
    diag = inv.diagonal().copy()
    inv += inv.T
    inv.flat[::inv.shape[0] + 1] = diag
    inv *= d[:, None]
    inv *= d[None, :]
    return inv


@dataclass
class GaussianState:
    """Everything known at one value of the penalty parameters."""

    psi: np.ndarray
    penalty: TotalPenalty
    R: np.ndarray
    d: np.ndarray
    beta: np.ndarray
    resid: np.ndarray | None  # None for an engine from cross-products
    Dp: float
    logdet: float  # log|A| (REML) or log|Z'WZ + S| (ML)
    log_det_S: float
    score: float  # profiled criterion, without the blocks' REML offsets
    Ainv: np.ndarray | None = None
    derivs: tuple | None = None  # derivatives() for all parameters, once computed

    def inverse(self) -> np.ndarray:
        """``A⁻¹``."""
        if self.Ainv is None:
            self.Ainv = inverse(self.R, self.d)
        return self.Ainv


class GaussianEngine:
    """Exact Gaussian REML/ML on one linear predictor (see the module docstring)."""

    def __init__(self, layout: Layout, y: np.ndarray, weights: np.ndarray | None = None,
                 method: str = "REML") -> None:
        if len(layout.predictors) != 1:
            raise ValueError("the exact Gaussian engine takes one linear predictor")
        self.layout = layout
        self.ml = method == "ML"
        self.known_scale = None
        n = layout.n
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        self.w = w
        self.y = np.asarray(y, dtype=float)
        self.y_work = self.y - layout.offsets()[:, 0]
        mats = layout.matrices(0)
        P = layout.P
        unit = bool(np.all(w == 1.0))
        self.G = np.empty((P, P))
        self.c = np.empty(P)
        for a, (sa, Ma) in enumerate(mats):
            self.c[sa] = np.asarray(Ma.T @ (w * self.y_work)).ravel()
            for sb, Mb in mats[a:]:
                block = cross(Ma, Mb, None if unit else w)
                self.G[sa, sb] = block
                self.G[sb, sa] = block.T
        keep = w > 0
        self.yy = None
        self._counts(int(np.sum(keep)), float(np.sum(np.log(w[keep]))))

    def _counts(self, n_obs: int, sum_log_w: float) -> None:
        self.n_obs = n_obs
        self.half_log_w = 0.5 * sum_log_w
        self.nr = self.n_obs if self.ml else self.n_obs - self.layout.Mp

    @classmethod
    def from_statistics(cls, layout: Layout, G: np.ndarray, c: np.ndarray, yy: float,
                        n_obs: int, sum_log_w: float, method: str = "REML",
                        scale: float | None = None) -> GaussianEngine:
        """The engine from the model's cross-products alone: ``G = C'WC``, ``c = C'Wy``,
        ``yy = y'Wy``, the rows with ``w > 0`` and their ``Σ log w`` (mgcv's fREML from
        ``X'WX``, ``X'Wy``; :mod:`.bam`). ``layout`` gives the coefficients and penalties only;
        its matrices are not read. ``Dp = y'Wy - beta'c`` (``(G + S) beta = c``) and states
        carry no residuals. ``scale``: a known ``phi`` (the working model of a known-scale
        family in ``bam``'s PIRLS, ``Sl.fitChol(phi.fixed = TRUE)``): the criterion is then
        ``Dp/(2 phi) + ½ log|A| - ½ log|S|`` plus constants, not profiled over ``phi``."""
        self = cls.__new__(cls)
        self.known_scale = scale
        self.layout = layout
        self.ml = method == "ML"
        self.G = np.asarray(G, dtype=float)
        self.c = np.asarray(c, dtype=float)
        self.yy = float(yy)
        self.w = self.y = self.y_work = None
        self._counts(int(n_obs), float(sum_log_w))
        return self

    # -- one evaluation ---------------------------------------------------------------------
    def state(self, psi: np.ndarray) -> GaussianState:
        layout = self.layout
        pen = TotalPenalty(layout, psi)
        A = self.G.copy()
        pen.add_to(A)
        R, d = factor(A)
        beta, info = lapack.dpotrs(R, d * self.c, lower=0)
        beta = d * beta
        if self.yy is None:
            resid = self.y - layout.eta(beta)[:, 0]
            Dp = float((self.w * resid) @ resid) + pen.quadratic(beta)
        else:
            resid = None
            Dp = self.yy - float(beta @ self.c)
        m = layout.Q if self.ml else layout.P
        logdet = 2.0 * float(np.log(R.diagonal()[:m]).sum() - np.log(d[:m]).sum())
        log_det_S = pen.log_det()[0]
        if self.known_scale is None:
            phi = Dp / self.nr
            score = (0.5 * self.nr * (math.log(phi) + LOG_2PI + 1.0) + 0.5 * logdet
                     - 0.5 * log_det_S - self.half_log_w)
        else:
            score = Dp / (2.0 * self.known_scale) + 0.5 * logdet - 0.5 * log_det_S
        return GaussianState(psi=np.asarray(psi, dtype=float), penalty=pen, R=R, d=d, beta=beta,
                             resid=resid, Dp=Dp, logdet=logdet, log_det_S=log_det_S,
                             score=score)

    def try_state(self, psi: np.ndarray) -> GaussianState | None:
        try:
            st = self.state(psi)
        except NotPositiveDefinite:
            return None
        return st if np.isfinite(st.score) else None

    def derivatives(self, st: GaussianState, free: np.ndarray):
        """Exact first and second derivatives w.r.t. the free parameters: of ``Dp``
        (``dD, d2D``), of the log-determinant term (``dL, d2L``) and of ``log|S|``
        (``dS, d2S``)."""
        if st.derivs is None:
            pen = st.penalty
            Ainv = st.inverse()
            Ad = inverse(st.R, st.d, self.layout.Q) if self.ml else Ainv
            Sb = pen.gradient_vectors(st.beta)
            dD, d2D = pen.quadratic_derivs(st.beta, Sb)
            d2D = d2D - 2.0 * (Sb @ Ainv @ Sb.T)
            _, dS, d2S = pen.log_det()
            st.derivs = (dD, d2D, pen.traces(Ad), pen.trace_pairs(Ad), dS, d2S)
        dD, d2D, dL, d2L, dS, d2S = st.derivs
        if free.size == dD.size:
            return dD, d2D, dL, d2L, dS, d2S
        ix = np.ix_(free, free)
        return dD[free], d2D[ix], dL[free], d2L[ix], dS[free], d2S[ix]

    def profile_grad_hess(self, st: GaussianState, free: np.ndarray):
        """Gradient and Hessian of the profiled criterion ``V(psi, phî(psi))``."""
        dD, d2D, dL, d2L, dS, d2S = self.derivatives(st, free)
        if self.known_scale is not None:
            phi = self.known_scale
            return (dD / (2.0 * phi) + 0.5 * dL - 0.5 * dS,
                    d2D / (2.0 * phi) + 0.5 * d2L - 0.5 * d2S)
        nr, Dp = self.nr, st.Dp
        g = nr / (2.0 * Dp) * dD + 0.5 * dL - 0.5 * dS
        H = 0.5 * nr * (d2D / Dp - np.outer(dD, dD) / Dp**2) + 0.5 * d2L - 0.5 * d2S
        return g, H

    def full_hessian(self, st: GaussianState, free: np.ndarray) -> np.ndarray:
        """Hessian of ``V(psi, log phi)`` (not profiled) at ``phî``: mgcv's
        ``outer.info$hess``, the last row and column for ``log phi``."""
        dD, d2D, dL, d2L, dS, d2S = self.derivatives(st, free)
        phi = st.Dp / self.nr
        m = len(free)
        H = np.empty((m + 1, m + 1))
        H[:m, :m] = d2D / (2.0 * phi) + 0.5 * d2L - 0.5 * d2S
        H[:m, m] = H[m, :m] = -dD / (2.0 * phi)
        H[m, m] = st.Dp / (2.0 * phi)
        return H

    def reml_scale(self, st: GaussianState) -> float:
        """The scale at which the criterion is minimized: ``Dp/(n - Mp)`` or ``Dp/n`` (ML);
        the known scale when one was given."""
        return st.Dp / self.nr if self.known_scale is None else self.known_scale

    # -- optimization -----------------------------------------------------------------------
    def fit(self, psi0: np.ndarray, free: np.ndarray, lower: np.ndarray,
            upper: np.ndarray, max_iter: int = 200) -> tuple[GaussianState, NewtonInfo]:
        """Newton on the free parameters (the others stay at ``psi0``), at most ``max_iter``
        steps."""
        psi0 = np.asarray(psi0, dtype=float)

        def evaluate(x):
            psi = psi0.copy()
            psi[free] = x
            return self.try_state(psi)

        if not free.size:
            return self.state(psi0), NewtonInfo(0, True, np.zeros(0))
        return minimize(evaluate, lambda st: self.profile_grad_hess(st, free), psi0[free],
                        lower[free], upper[free], max_iter=max_iter,
                        what="REML" if not self.ml else "ML")
