"""Laplace-approximate REML and ML for any family, one or several linear predictors.

The family supplies a REML likelihood (:mod:`bayeszoo.families.glm` for mgcv's exponential and
extended families, the gaussian family's location-scale form for ``gaulss``), read through
these members only: ``n_predictors``, ``family_label``, ``y`` and ``weights`` (mgcv's response
and prior weights), ``param_names`` and ``scale_param`` (its outer parameters: ``log theta``,
``log phi``), ``quadratic`` (the exact Gaussian path applies), ``initial_params()``,
``start()`` (working response and weights to begin from), ``valid_eta(eta)``,
``deviance(eta, params)`` (``d_i``), ``eta_derivatives(eta, params, order)`` (of ``d_i/2``:
``n × K``, ``n × K × K``, ``n × K × K × K``), ``param_derivatives(eta, params)``,
``saturated(params)`` (mgcv's ``ls``), ``covariance_weights(eta, params)``, ``fitted(eta)``,
``scale_estimate(eta, edf)`` and, for :class:`~.result.RemlFit`,
``null_deviance(offset, intercept, params)``. A likelihood whose rows are coupled (Cox's
partial likelihood, :mod:`bayeszoo.families.cox_ph`) gives the Hessian in the coefficients
itself, ``coupled_hessian(C, eta, params)``, and the trace of its derivative along a change
of ``eta``, ``coupled_hessian_trace(C, eta, params, Ainv, deta)``.

Inner problem (penalized IRLS as full Newton, mgcv's ``gam.fit3``/``gam.fit4``/``gam.fit5``):
``betâ = argmin Σ d_i/2 + beta'S beta/2`` with step halving. Outer criterion, with
``Dp = Σ d_i + betâ'S betâ``, ``H = C'WC`` the Hessian of ``Σ d_i/2`` (full Newton weights)
and ``phi`` the scale (1 when known)::

    V = Dp/(2 phi) - ls + ½ log|H + S| - ½ log|S| - Mp/2·log(2π phi)     (REML)
    V = Dp/(2 phi) - ls + ½ log|(H + S)_pen| - ½ log|S|                    (ML)

(``gam.fit3``: ``REML <- (Dp/(2*scale) - ls[1]) + ldet/2 - det/2 - Mp/2*log(2*pi*scale)``;
``(H + S)_pen`` the penalized blocks, mgcv's ``MLpenalty1``.) The gradient is exact by implicit
differentiation (Wood 2011, JRSSB 73:3-36, section 3.2; Wood, Pya & Säfken 2016, JASA,
section 3): ``dbeta/dpsi_k = -(H + S)⁻¹ S_k beta`` and ``dH/dpsi_k = C' diag(f''' · C dbeta)
C``; the outer Hessian is a central difference of the exact gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

from .gaussian import NotPositiveDefinite, factor, inverse
from .newton import NewtonInfo, minimize
from .problem import Layout
from .total_penalty import TotalPenalty

__all__ = ["LaplaceEngine", "LaplaceState"]

LOG_2PI = math.log(2.0 * math.pi)
FD_STEP = 1e-4


@dataclass
class LaplaceState:
    psi: np.ndarray
    params: np.ndarray
    penalty: TotalPenalty
    beta: np.ndarray
    eta: np.ndarray
    R: np.ndarray
    d: np.ndarray
    Dp: float
    deviance: float
    score: float
    Ainv: np.ndarray | None = None

    def inverse(self) -> np.ndarray:
        """``(H + S)⁻¹``."""
        if self.Ainv is None:
            self.Ainv = inverse(self.R, self.d)
        return self.Ainv


class LaplaceEngine:
    """Laplace REML/ML of ``likelihood`` on ``layout`` (see the module docstring)."""

    def __init__(self, layout: Layout, likelihood, method: str = "REML") -> None:
        if likelihood.n_predictors != len(layout.predictors):
            raise ValueError(f"the family has {likelihood.n_predictors} linear predictor(s), "
                             f"the model {len(layout.predictors)}")
        self.layout = layout
        self.lik = likelihood
        self.ml = method == "ML"
        self.n_psi = layout.n_params
        self.n_tau = len(likelihood.param_names)
        self.anchor: np.ndarray | None = None
        self.C = [layout.dense(k) for k in range(len(layout.predictors))]
        #: each predictor's own columns (internal indices) and its dense model matrix on them
        self.cols = [np.flatnonzero(np.any(c != 0, axis=0)) for c in self.C]
        self.C_own = [c[:, idx] for c, idx in zip(self.C, self.cols, strict=True)]
        self.offsets = layout.offsets()

    # -- dense linear algebra on the model matrices ---------------------------------------------
    def rmatvec(self, v: np.ndarray) -> np.ndarray:
        out = np.zeros(self.layout.P)
        for k, (c, idx) in enumerate(zip(self.C_own, self.cols, strict=True)):
            out[idx] += c.T @ v[:, k]
        return out

    def gram(self, W: np.ndarray) -> np.ndarray:
        """``Σ_ab C_a' diag(W[:, a, b]) C_b``."""
        H = np.zeros((self.layout.P, self.layout.P))
        K = len(self.C_own)
        for a in range(K):
            for b in range(a, K):
                block = self.C_own[a].T @ (W[:, a, b, None] * self.C_own[b])
                H[np.ix_(self.cols[a], self.cols[b])] += block
                if a != b:
                    H[np.ix_(self.cols[b], self.cols[a])] += block.T
        return H

    # -- inner problem ------------------------------------------------------------------------
    def initial_beta(self, pen: TotalPenalty) -> np.ndarray:
        z, w = self.lik.start()
        z = z - self.offsets
        K = z.shape[1]
        W = np.zeros((z.shape[0], K, K))
        for k in range(K):
            W[:, k, k] = w[:, k]
        A = self.gram(W)
        pen.add_to(A)
        A[np.diag_indices_from(A)] += 1e-10 * np.max(np.abs(np.diag(A)))
        return np.linalg.solve(A, self.rmatvec(w * z))

    def objective(self, beta: np.ndarray, pen: TotalPenalty, params: np.ndarray) -> float:
        eta = self.layout.eta(beta)
        if not self.lik.valid_eta(eta):
            return math.inf
        value = 0.5 * float(np.sum(self.lik.deviance(eta, params))) + 0.5 * pen.quadratic(beta)
        return value if np.isfinite(value) else math.inf

    def data_hessian(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``C'WC``, the Hessian of ``Σ d_i/2`` in the coefficients; a likelihood whose rows
        are coupled (Cox's partial likelihood) gives it itself (``coupled_hessian``)."""
        coupled = getattr(self.lik, "coupled_hessian", None)
        if coupled is not None:
            return coupled(self.C[0], eta, params)
        return self.gram(self.lik.eta_derivatives(eta, params, order=2)[1])

    def newton_step(self, beta, pen, params):
        eta = self.layout.eta(beta)
        f1 = self.lik.eta_derivatives(eta, params, order=2)[0]
        g = self.rmatvec(f1) + pen.times(beta)
        H = self.data_hessian(eta, params)
        pen.add_to(H)
        try:
            R, d = factor(H)
            step = -d * lapack.dpotrs(R, d * g, lower=0)[0]
        except NotPositiveDefinite:  # indefinite away from the optimum: absolute eigenvalues
            ev, vec = np.linalg.eigh(H)
            ev = np.maximum(np.abs(ev), max(np.abs(ev).max(), 1e-300) * 1e-10)
            step = -vec @ ((vec.T @ g) / ev)
        return g, step

    def pirls(self, pen: TotalPenalty, params: np.ndarray, beta: np.ndarray) -> np.ndarray | None:
        """Penalized Newton iteration until the Newton step is negligible (relative to the
        coefficients), so that the implicit derivatives of the outer criterion are exact to
        rounding; ``None`` when it cannot proceed."""
        F = self.objective(beta, pen, params)
        if not np.isfinite(F):
            return None
        for _ in range(100):
            g, step = self.newton_step(beta, pen, params)
            size = float(np.max(np.abs(step))) if step.size else 0.0
            if size <= 1e-11 * (1.0 + float(np.max(np.abs(beta)))):
                return beta + step
            decrement = -float(g @ step)
            if F is None:
                F = self.objective(beta, pen, params)
            if decrement < 1e-8 * (1.0 + abs(F)):  # quadratic region: the full step
                beta = beta + step
                if not self.lik.valid_eta(self.layout.eta(beta)):
                    return None
                F = None  # evaluated again only if a line search is needed
                continue
            t = 1.0
            for _ in range(60):
                F_new = self.objective(beta + t * step, pen, params)
                if F_new <= F - 1e-4 * t * decrement:
                    break
                t *= 0.5
            else:
                return None
            beta = beta + t * step
            F = F_new
        return None

    # -- one evaluation -------------------------------------------------------------------------
    def split(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return z[:self.n_psi], z[self.n_psi:]

    def scale(self, params: np.ndarray) -> float:
        return (float(np.exp(params[self.lik.scale_param]))
                if self.lik.scale_param is not None else 1.0)

    def state(self, z: np.ndarray, beta_start: np.ndarray | None = None) -> LaplaceState | None:
        psi, params = self.split(np.asarray(z, dtype=float))
        pen = TotalPenalty(self.layout, psi)
        starts = [b for b in (beta_start, self.anchor) if b is not None]
        beta = None
        for b0 in [*starts, None]:
            b_init = self.initial_beta(pen) if b0 is None else b0
            beta = self.pirls(pen, params, b_init)
            if beta is not None:
                break
        if beta is None:
            return None
        eta = self.layout.eta(beta)
        H = self.data_hessian(eta, params)
        pen.add_to(H)
        try:
            R, d = factor(H)
        except NotPositiveDefinite:
            return None
        deviance = float(np.sum(self.lik.deviance(eta, params)))
        Dp = deviance + pen.quadratic(beta)
        m = self.layout.Q if self.ml else self.layout.P
        logdet = 2.0 * float(np.log(R.diagonal()[:m]).sum() - np.log(d[:m]).sum())
        ls, _, _ = self.lik.saturated(params)
        phi = self.scale(params)
        score = Dp / (2.0 * phi) - ls + 0.5 * logdet - 0.5 * pen.log_det()[0]
        if not self.ml:
            score -= 0.5 * self.layout.Mp * math.log(2.0 * math.pi * phi)
        if not np.isfinite(score):
            return None
        return LaplaceState(psi=psi, params=params, penalty=pen, beta=beta, eta=eta, R=R, d=d,
                            Dp=Dp, deviance=deviance, score=score)

    # -- exact gradient ----------------------------------------------------------------------------
    def leverages(self, Ainv: np.ndarray) -> np.ndarray:
        """``h[i, a, b] = (C_a A⁻¹ C_b')_ii`` (``n × K × K``)."""
        n_lp = len(self.layout.predictors)
        C = self.C
        M = [c @ Ainv for c in C]
        h = np.empty((self.layout.n, n_lp, n_lp))
        for a in range(n_lp):
            for b in range(a, n_lp):
                h[:, a, b] = h[:, b, a] = np.einsum("ij,ij->i", M[a], C[b])
        return h

    def gradient(self, st: LaplaceState) -> np.ndarray:
        """Exact gradient of the criterion w.r.t. ``(psi, params)``."""
        layout, lik, pen = self.layout, self.lik, st.penalty
        Ainv = st.inverse()
        Q = layout.Q
        if self.ml:
            Ad = np.zeros_like(Ainv)
            Ad[:Q, :Q] = inverse(st.R, st.d, Q)
        else:
            Ad = Ainv
        phi = self.scale(st.params)
        coupled = getattr(lik, "coupled_hessian_trace", None)
        if coupled is not None:  # no family parameters: no extra term
            def trace_dH(direction_beta, extra=None):
                deta = self.layout.eta(direction_beta) - self.offsets
                return coupled(self.C[0], st.eta, st.params, Ad, deta)
        else:
            h = self.leverages(Ad)
            _, _, f3 = lik.eta_derivatives(st.eta, st.params, order=3)

            def trace_dH(direction_beta, extra=None):
                deta = self.layout.eta(direction_beta) - self.offsets
                v = np.einsum("iabc,ic->iab", f3, deta)
                if extra is not None:
                    v = v + extra
                return float(np.sum(v * h))

        Sb = pen.gradient_vectors(st.beta)
        dD = Sb @ st.beta
        trS = pen.traces(Ad)
        _, dS, _ = pen.log_det()
        grad = np.empty(self.n_psi + self.n_tau)
        Ainv_Sb = Sb @ Ainv
        for k in range(self.n_psi):
            grad[k] = (dD[k] / (2.0 * phi) + 0.5 * (trS[k] + trace_dH(-Ainv_Sb[k]))
                       - 0.5 * dS[k])
        if self.n_tau:
            _, ls_g, _ = lik.saturated(st.params)
            g, ge, gee = lik.param_derivatives(st.eta, st.params)
            for t in range(self.n_tau):
                if t == lik.scale_param:
                    grad[self.n_psi + t] = -st.Dp / (2.0 * phi) - ls_g[t]
                    if not self.ml:
                        grad[self.n_psi + t] -= 0.5 * layout.Mp
                    continue
                rhs = self.rmatvec(ge[:, :, t])
                dbeta = -Ainv @ rhs
                grad[self.n_psi + t] = (float(np.sum(g[:, t])) / phi - ls_g[t]
                                        + 0.5 * trace_dH(dbeta, gee[..., t]))
        return grad

    def derivatives(self, st: LaplaceState, free: np.ndarray):
        """Exact gradient and central-difference Hessian over the free coordinates."""
        self.anchor = st.beta
        z0 = np.concatenate([st.psi, st.params])
        g0 = self.gradient(st)[free]
        m = free.size
        H = np.empty((m, m))
        for a, i in enumerate(free):
            cols = []
            for sign in (1.0, -1.0):
                z = z0.copy()
                z[i] += sign * FD_STEP
                s = self.state(z, beta_start=st.beta)
                if s is None:
                    raise FloatingPointError("the criterion cannot be evaluated next to the "
                                             "current smoothing parameters")
                cols.append(self.gradient(s)[free])
            H[:, a] = (cols[0] - cols[1]) / (2.0 * FD_STEP)
        return g0, 0.5 * (H + H.T)

    # -- optimization ------------------------------------------------------------------------------
    def fit(self, z0: np.ndarray, free: np.ndarray, lower: np.ndarray,
            upper: np.ndarray) -> tuple[LaplaceState, NewtonInfo]:
        z0 = np.asarray(z0, dtype=float)

        def evaluate(x):
            z = z0.copy()
            z[free] = x
            return self.state(z)

        what = "ML" if self.ml else "REML"
        return minimize(evaluate, lambda st: self.derivatives(st, free), z0[free], lower[free],
                        upper[free], what=what)

    def hessian(self, st: LaplaceState, free: np.ndarray) -> np.ndarray:
        return self.derivatives(st, free)[1]

    def covariance(self, st: LaplaceState) -> np.ndarray:
        """``(C'W_f C + S)⁻¹``, ``W_f`` the family's covariance weights (mgcv's ``Vp/scale``)."""
        if hasattr(self.lik, "coupled_hessian"):
            A = self.data_hessian(st.eta, st.params)
        else:
            A = self.gram(self.lik.covariance_weights(st.eta, st.params))
        st.penalty.add_to(A)
        return inverse(*factor(A))
