"""What the REML engine needs from a single-predictor family, in mgcv's form.

mgcv writes the log likelihood of an exponential-dispersion or extended family as
``l = -Σ d_i(mu_i, theta) / (2 phi) + ls(phi, theta)`` (``gam.fit3``/``gam.fit4`` in
``R/gam.fit3.r``, ``R/gam.fit4.r``): ``d_i`` the deviance contributions, ``ls`` the saturated
log likelihood (``fix.family.ls``; ``nb()$ls`` in ``R/efam.r``), ``phi`` the scale and ``theta``
extra family parameters (negative binomial ``theta``, brms's ``shape``). Penalized IRLS
minimizes ``Σ d_i / 2 + β'Sβ / 2`` and does not depend on ``phi``; the Laplace-approximate REML
criterion adds ``Dp/(2 phi) - ls`` to the log-determinant terms (Wood 2011, JRSSB 73:3-36;
Wood, Pya & Säfken 2016, JASA 111:1548-1563).

:class:`GlmLikelihood` turns a family's deviance, its derivatives w.r.t. ``mu`` and its
saturated likelihood into the quantities the engine reads (the REML likelihood protocol, see
:mod:`bayeszoo.penalized.laplace`):

* ``deviance(eta, params)``: ``d_i`` per observation;
* ``eta_derivatives(eta, params, order)``: first, second (full Newton weights, mgcv's
  ``w = alpha·w_fisher`` times 2) and third derivatives of ``d_i / 2`` w.r.t. ``eta``;
* ``param_derivatives(eta, params)``: derivatives of ``d_i / 2`` w.r.t. each estimated
  ``log theta`` and their ``eta`` derivatives (for implicit differentiation);
* ``saturated(params)``: ``ls`` with gradient and Hessian w.r.t. ``params``;
* ``scale_estimate(eta, edf)``: mgcv's reported scale (``sig2``): Pearson's statistic over
  ``n - edf`` with Fletcher's (2012) correction (``gam.control(scale.est = "fletcher")``).

``params`` are on the log scale: ``log phi`` when the scale is estimated (Gaussian, Gamma),
``log theta`` when theta is estimated (negative binomial); ``param_names`` says which.
Arrays are ``(n, 1)`` / ``(n, 1, 1)`` / ``(n, 1, 1, 1)``: one linear predictor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .links import Link

__all__ = ["DevianceFunctions", "GlmLikelihood"]

EPS = np.finfo(float).eps


@dataclass(frozen=True)
class DevianceFunctions:
    """A family's deviance in mgcv's form, for one response.

    * ``dev(y, mu, w, theta)`` -> ``(d, d_mu, d_mu2, d_mu3)``: deviance contributions and their
      derivatives w.r.t. ``mu``;
    * ``dev_theta(y, mu, w, theta)`` -> ``(d_th, d_mu_th, d_mu2_th)``: derivatives w.r.t.
      ``log theta`` (``None`` for families without theta);
    * ``saturated(y, w, phi, theta)`` -> ``(ls, ls_1, ls_2)``: saturated log likelihood and its
      first two derivatives w.r.t. ``log phi`` (scale families) or ``log theta``;
    * ``variance(mu, theta)`` -> ``(V, dV/dmu)``: the variance function (Pearson residuals);
    * ``mu_bounds``: ``mu`` is clipped into them before evaluation, as R's ``linkinv`` for
      ``binomial`` and ``poisson`` keeps it off 0 and 1.
    """

    dev: Callable[..., tuple[np.ndarray, ...]]
    dev_theta: Callable[..., tuple[np.ndarray, ...]] | None
    saturated: Callable[..., tuple[float, float, float]]
    variance: Callable[..., tuple[np.ndarray, np.ndarray]]
    mu_bounds: tuple[float, float] = (-np.inf, np.inf)


class GlmLikelihood:
    """One-predictor likelihood for the REML engine (see the module docstring).

    ``scale``: ``"known"`` (``phi = 1``) or ``"estimated"``; ``theta``: ``None`` (no theta),
    ``"estimated"`` with start ``theta_start``, or a fixed positive number.
    """

    n_predictors = 1

    def __init__(self, family_label: str, y: np.ndarray, weights: np.ndarray, link: Link,
                 fns: DevianceFunctions, mustart: np.ndarray, *, scale: str = "known",
                 theta: float | str | None = None, theta_start: float = 1.0,
                 quadratic: bool = False) -> None:
        self.family_label = family_label
        self.y = np.asarray(y, dtype=float)
        self.weights = np.asarray(weights, dtype=float)
        self.link = link
        self.fns = fns
        self.mustart = np.asarray(mustart, dtype=float)
        self.scale_estimated = scale == "estimated"
        self.theta_estimated = theta == "estimated"
        self.fixed_theta = None if theta is None or self.theta_estimated else float(theta)
        self.theta_start = float(theta_start)
        #: the exact Gaussian engine may be used (identity link, Gaussian deviance)
        self.quadratic = quadratic
        names = []
        if self.theta_estimated:
            names.append("log_theta")
        if self.scale_estimated:
            names.append("log_scale")
        self.param_names: tuple[str, ...] = tuple(names)
        self.scale_param: int | None = (names.index("log_scale") if self.scale_estimated
                                        else None)

    # -- parameters ---------------------------------------------------------------------------
    def theta(self, params: np.ndarray) -> float | None:
        if self.theta_estimated:
            return float(np.exp(params[0]))
        return self.fixed_theta

    def scale(self, params: np.ndarray) -> float:
        return float(np.exp(params[self.scale_param])) if self.scale_estimated else 1.0

    def initial_params(self) -> np.ndarray:
        """Starting ``log theta`` (mgcv's 0) and ``log phi`` (0; the engine replaces it by the
        deviance per residual degree of freedom of its first fit)."""
        out = []
        if self.theta_estimated:
            out.append(np.log(self.theta_start))
        if self.scale_estimated:
            out.append(0.0)
        return np.array(out, dtype=float)

    # -- evaluation ---------------------------------------------------------------------------
    def mu(self, eta: np.ndarray) -> np.ndarray:
        mu = self.link.inverse_np(np.asarray(eta, dtype=float)[:, 0])
        lo, hi = self.fns.mu_bounds
        return np.clip(mu, lo, hi)

    def valid_eta(self, eta: np.ndarray) -> bool:
        e = np.asarray(eta, dtype=float)[:, 0]
        if not np.all(np.isfinite(e)):
            return False
        if self.link.eta_domain == "positive" and np.any(e <= 0):
            return False
        mu = self.link.inverse_np(e)
        if not self.link.positive and self.fns.mu_bounds[0] >= 0 and np.any(mu <= 0):
            return False  # R's validmu: a positive-mean family on an identity or inverse link
        return bool(np.all(np.isfinite(mu)))

    def start(self) -> tuple[np.ndarray, np.ndarray]:
        """Working response and Fisher weights at ``mustart`` (mgcv's ``initialize``)."""
        mu = self.mustart
        eta = self.link(mu)
        _, d1, _, _ = self.link.derivatives(eta)
        theta = self.theta_start if self.theta_estimated else self.fixed_theta
        v, _ = self.fns.variance(mu, theta)
        z = eta + (self.y - mu) / d1
        w = self.weights * d1**2 / v
        return z[:, None], w[:, None]

    def deviance(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        d, *_ = self.fns.dev(self.y, self.mu(eta), self.weights, self.theta(params))
        return d

    def eta_derivatives(self, eta: np.ndarray, params: np.ndarray, order: int = 2):
        """``(f1, f2, f3)`` of ``f = d/2`` w.r.t. ``eta``: shapes (n,1), (n,1,1), (n,1,1,1)."""
        e = np.asarray(eta, dtype=float)[:, 0]
        _, m1, m2, m3 = self.link.derivatives(e)
        _, D1, D2, D3 = self.fns.dev(self.y, self.mu(eta), self.weights, self.theta(params))
        f1 = 0.5 * D1 * m1
        f2 = 0.5 * (D2 * m1**2 + D1 * m2)
        f3 = 0.5 * (D3 * m1**3 + 3.0 * D2 * m1 * m2 + D1 * m3) if order >= 3 else None
        return (f1[:, None], f2[:, None, None],
                None if f3 is None else f3[:, None, None, None])

    def param_derivatives(self, eta: np.ndarray, params: np.ndarray):
        """Derivatives of ``d/2`` w.r.t. the estimated ``log theta`` (not ``log phi``, on which
        ``d`` does not depend): ``(g (n,T), g_eta (n,1,T), g_eta2 (n,1,1,T))``, ``T`` = 1 or 0."""
        n = self.y.shape[0]
        if not self.theta_estimated:
            return np.zeros((n, 0)), np.zeros((n, 1, 0)), np.zeros((n, 1, 1, 0))
        e = np.asarray(eta, dtype=float)[:, 0]
        _, m1, m2, _ = self.link.derivatives(e)
        dth, dmuth, dmu2th = self.fns.dev_theta(self.y, self.mu(eta), self.weights,
                                                self.theta(params))
        g = 0.5 * dth
        ge = 0.5 * dmuth * m1
        gee = 0.5 * (dmu2th * m1**2 + dmuth * m2)
        out = [g[:, None], ge[:, None, None], gee[:, None, None, None]]
        if self.scale_estimated:  # d/2 does not depend on log phi
            out = [np.concatenate([a, np.zeros_like(a)], axis=-1) for a in out]
        return tuple(out)

    def saturated(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """mgcv's ``ls`` and its gradient/Hessian w.r.t. ``params``."""
        phi = self.scale(params)
        ls, l1, l2 = self.fns.saturated(self.y, self.weights, phi, self.theta(params))
        T = len(self.param_names)
        g, h = np.zeros(T), np.zeros((T, T))
        if T:
            g[:] = l1
            h[:, :] = l2
        return float(ls), g, h

    def null_deviance(self, offset: np.ndarray, intercept: bool, params: np.ndarray) -> float:
        """mgcv's null deviance: the deviance at the weighted mean response (a model with an
        intercept) or at ``mu = linkinv(offset)`` (``gam.fit3``)."""
        if intercept:
            mean = float(np.sum(self.weights * self.y) / np.sum(self.weights))
            eta = np.full((self.y.shape[0], 1), float(self.link(np.array([mean]))[0]))
        else:
            eta = np.asarray(offset, dtype=float).reshape(-1, 1)
        return float(np.sum(self.deviance(eta, params)))

    def covariance_weights(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Fisher weights ``w mu'² / V(mu)`` (``n × 1 × 1``): mgcv forms ``Vp`` and the edf
        from them (``gdi1``/``gdi2`` in ``src/gdi.c``); for canonical links they equal the
        Newton weights."""
        e = np.asarray(eta, dtype=float)[:, 0]
        _, m1, _, _ = self.link.derivatives(e)
        v, _ = self.fns.variance(self.mu(eta), self.theta(params))
        return (self.weights * m1**2 / v)[:, None, None]

    def fitted(self, eta: np.ndarray) -> np.ndarray:
        return self.link.inverse_np(np.asarray(eta, dtype=float)[:, 0])[:, None]

    def scale_estimate(self, eta: np.ndarray, edf_total: float) -> float:
        """mgcv's ``sig2``: ``Σ w (y - mu)² / V(mu) / (n - edf)`` divided by ``1 + s̄``,
        ``s̄ = max(-0.9, mean(V'(mu) (y - mu) / V(mu)))`` (Fletcher 2012); 1 for a known scale."""
        if not self.scale_estimated:
            return 1.0
        mu = self.mu(eta)
        v, dv = self.fns.variance(mu, self.fixed_theta)
        n = int(np.sum(self.weights > 0))
        pearson = float(np.sum(self.weights * (self.y - mu) ** 2 / v))
        est = pearson / (n - edf_total)
        s_bar = max(-0.9, float(np.mean(dv * (self.y - mu) / v)))
        return est / (1.0 + s_bar) if np.isfinite(s_bar) else est
