"""``ocat``: mgcv's ordered categorical family (``ocat(R = K)``, ``R/efam.r``), the REML twin
of brms's ``cumulative`` with the logit link (Wood, Pya & Säfken 2016, JASA 111:1548-1563).

A latent logistic variable with location ``mu = eta`` (mgcv's link is the identity, and the
linear predictor keeps its intercept) falls into category ``y`` when it lies between the cut
points ``alpha_{y-1} < alpha_y``; ``alpha_0 = -inf``, ``alpha_K = inf``, ``alpha_1 = -1`` fixed
and ``alpha_k = -1 + Σ_{j<k} exp(theta_j)`` for the ``K - 2`` free ``theta`` (mgcv's
``getTheta()``; ``getTheta(TRUE)`` the finite cut points). The deviance is
``d_i = -2 w_i log(F(alpha_y - mu) - F(alpha_{y-1} - mu))``, ``F`` the logistic distribution
function, and the saturated likelihood ``ls`` is 0 (``ocat()$ls``). :class:`OcatLikelihood`
gives the REML engine (:mod:`bayeszoo.penalized.laplace`) the deviance and its derivatives in
``eta`` and ``theta`` (mgcv's ``ocat()$Dd``), from ``l = log f``:

* ``dl/dmu = F(u0) + F(u1) - 1``, ``d²l/dmu² = -F'(u0) - F'(u1)``,
  ``d³l/dmu³ = F''(u0) + F''(u1)`` (``u1 = alpha_y - mu``, ``u0 = alpha_{y-1} - mu``);
* ``dl/dalpha_y = r - F(u1)``, ``dl/dalpha_{y-1} = 1 - r - F(u0)`` with
  ``r = 1 / (1 - exp(-(alpha_y - alpha_{y-1})))`` (1 in the first and last category), their
  ``mu`` derivatives ``F'(u1)``, ``F'(u0)`` and ``-F''(u1)``, ``-F''(u0)``.

Sampling takes the same model as ``family="cumulative"`` (thresholds for the intercept):
:class:`Ocat` refuses the samplers with that advice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from .ordinal import Ordinal

__all__ = ["Ocat", "OcatLikelihood", "cut_points", "ocat", "ocat_probabilities"]

SAMPLER_ADVICE = ("'ocat' is mgcv's ordered categorical family for bz.reml; sample the same "
                  "model with family='cumulative' (brms's, logit link)")


def cut_points(theta: np.ndarray) -> np.ndarray:
    """mgcv's ``ocat()$getTheta(TRUE)``: the ``K - 1`` finite cut points, the first -1."""
    return -1.0 + np.concatenate([[0.0], np.cumsum(np.exp(np.asarray(theta, dtype=float)))])


def ocat_probabilities(eta: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """``P(y = k)``, ``k = 1..K``, per row (``n × K``), as ``predict.gam(type="response")`` of
    an ``ocat`` fit: differences of ``F(alpha_k - eta)``."""
    eta = np.asarray(eta, dtype=float)[:, None]
    upper = special.expit(np.asarray(cuts, dtype=float)[None, :] - eta)
    cdf = np.concatenate([np.zeros_like(eta), upper, np.ones_like(eta)], axis=1)
    return np.diff(cdf, axis=1)


def _log_expm1(x: np.ndarray) -> np.ndarray:
    return x + np.log(-np.expm1(-x))


class OcatLikelihood:
    """mgcv's ``ocat(R = K)`` for the REML engine (the protocol of
    :mod:`bayeszoo.penalized.laplace`); ``params`` are mgcv's ``theta`` (log increments of the
    cut points), estimated, no scale."""

    n_predictors = 1
    scale_param = None
    quadratic = False
    no_r_sq = True

    def __init__(self, y: np.ndarray, weights: np.ndarray, K: int) -> None:
        self.y = np.asarray(y, dtype=float)
        self.weights = np.asarray(weights, dtype=float)
        self.K = int(K)
        self.cat = self.y.astype(int)
        self.param_names: tuple[str, ...] = tuple(f"theta[{k}]" for k in range(1, self.K - 1))
        self.family_label = "Ordered Categorical"

    # -- parameters ---------------------------------------------------------------------------
    def initial_params(self) -> np.ndarray:
        """mgcv's ``ocat.ini``: cut points from the category frequencies (one extra count in
        each), increments at least 0.01."""
        K = self.K
        if K < 3:
            return np.zeros(0)
        counts = np.bincount(self.cat, minlength=K + 1)[1:] + 1.0
        p = np.cumsum(counts) / counts.sum()
        center = -1.0 - np.log(p[0] / (1.0 - p[0]))
        cuts = np.array([-1.0] + [np.log(p[i] / (1.0 - p[i])) + center for i in range(1, K - 1)])
        return np.log(np.maximum(np.diff(cuts), 0.01))

    def reported_theta(self, params: np.ndarray) -> np.ndarray:
        """``getTheta(TRUE)``: the cut points."""
        return cut_points(params)

    def label(self, params: np.ndarray) -> str:
        """mgcv's printed family, ``Ordered Categorical(-1,0.19)``."""
        cuts = ",".join(f"{c:.2f}".rstrip("0").rstrip(".") for c in cut_points(params))
        return f"{self.family_label}({cuts})"

    # -- pieces -------------------------------------------------------------------------------
    def _alphas(self, params: np.ndarray) -> np.ndarray:
        return np.concatenate([[-np.inf], cut_points(params), [np.inf]])

    def _u(self, eta: np.ndarray, params: np.ndarray):
        mu = np.asarray(eta, dtype=float)[:, 0]
        a = self._alphas(params)
        return a[self.cat] - mu, a[self.cat - 1] - mu, a[self.cat] - a[self.cat - 1]

    @staticmethod
    def _dens(u: np.ndarray):
        """``F``, ``F'`` and ``F''`` of the logistic at ``u`` (0 at ``±inf`` for the last two)."""
        F = special.expit(u)
        d1 = F * special.expit(-u)
        d2 = d1 * -np.tanh(np.where(np.isfinite(u), u, 0.0) / 2.0)
        return F, d1, d2

    def log_f(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``log P(y_i)``, without cancellation in any category."""
        u1, u0, gap = self._u(eta, params)
        first, last = self.cat == 1, self.cat == self.K
        mid = ~(first | last)
        out = np.empty_like(u1)
        out[first] = -np.logaddexp(0.0, -u1[first])
        out[last] = -np.logaddexp(0.0, u0[last])
        out[mid] = (_log_expm1(gap[mid]) - np.logaddexp(0.0, -u0[mid])
                    - np.logaddexp(0.0, u1[mid]))
        return out

    # -- the engine's protocol -----------------------------------------------------------------
    def valid_eta(self, eta: np.ndarray) -> bool:
        return bool(np.all(np.isfinite(eta)))

    def start(self) -> tuple[np.ndarray, np.ndarray]:
        """mgcv's ``initialize``: ``mu`` the middle of each category's interval at the starting
        cut points (the outer ones one unit beyond the last finite cut)."""
        cuts = cut_points(self.initial_params())
        a = np.concatenate([[cuts[0] - 1.0], cuts, [cuts[-1] + 1.0]])
        z = 0.5 * (a[self.cat] + a[self.cat - 1])
        return z[:, None], self.weights[:, None]

    def deviance(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        return -2.0 * self.weights * self.log_f(eta, params)

    def eta_derivatives(self, eta: np.ndarray, params: np.ndarray, order: int = 2):
        """``(f1, f2, f3)`` of ``d/2`` w.r.t. ``eta``: shapes (n,1), (n,1,1), (n,1,1,1)."""
        u1, u0, _ = self._u(eta, params)
        F1, p1, q1 = self._dens(u1)
        F0, p0, q0 = self._dens(u0)
        w = self.weights
        f1 = -w * (F0 + F1 - 1.0)
        f2 = w * (p0 + p1)
        f3 = -w * (q0 + q1) if order >= 3 else None
        return (f1[:, None], f2[:, None, None],
                None if f3 is None else f3[:, None, None, None])

    def param_derivatives(self, eta: np.ndarray, params: np.ndarray):
        """Derivatives of ``d/2`` w.r.t. each ``theta_j``: ``(g (n,T), g_eta (n,1,T),
        g_eta2 (n,1,1,T))``, ``T = K - 2``."""
        u1, u0, gap = self._u(eta, params)
        F1, p1, q1 = self._dens(u1)
        F0, p0, q0 = self._dens(u0)
        r = np.ones_like(gap)
        inner = np.isfinite(gap)
        r[inner] = -1.0 / np.expm1(-gap[inner])
        w = self.weights
        T = self.K - 2
        up = np.arange(T)[None, :] < (self.cat - 1)[:, None]   # cut y is -1 + Σ_{j<y-1} e^θ_j
        up &= (self.cat < self.K)[:, None]
        lo = np.arange(T)[None, :] < (self.cat - 2)[:, None]
        da = np.exp(np.asarray(params, dtype=float))[None, :]
        jac_up, jac_lo = up * da, lo * da
        g = -w[:, None] * ((r - F1)[:, None] * jac_up + (1.0 - r - F0)[:, None] * jac_lo)
        ge = -w[:, None] * (p1[:, None] * jac_up + p0[:, None] * jac_lo)
        gee = w[:, None] * (q1[:, None] * jac_up + q0[:, None] * jac_lo)
        return g, ge[:, None, :], gee[:, None, None, :]

    def saturated(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``ocat()$ls``: 0."""
        T = len(self.param_names)
        return 0.0, np.zeros(T), np.zeros((T, T))

    def covariance_weights(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        """The Newton weights (mgcv's ``EDmu2`` equals ``Dmu2`` for ``ocat``)."""
        return self.eta_derivatives(eta, params, order=2)[1]

    def fitted(self, eta: np.ndarray) -> np.ndarray:
        """The latent mean, the linear predictor (mgcv's ``fitted.values``)."""
        return np.asarray(eta, dtype=float)[:, :1]

    def predict_response(self, eta: np.ndarray, params: np.ndarray):
        """``predict.gam(type = "response")`` of an ``ocat`` fit: the category probabilities
        (``n × K``) and the absolute derivatives ``|dP/deta|`` for their standard errors."""
        cuts = cut_points(params)
        eta = np.asarray(eta, dtype=float)
        dens = special.expit(cuts[None, :] - eta[:, None]) * special.expit(eta[:, None]
                                                                           - cuts[None, :])
        zero = np.zeros_like(eta)[:, None]
        dp = -np.diff(np.concatenate([zero, dens, zero], axis=1), axis=1)
        return ocat_probabilities(eta, cuts), np.abs(dp)

    def scale_estimate(self, eta: np.ndarray, edf_total: float) -> float:
        return 1.0

    def null_deviance(self, offset: np.ndarray, intercept: bool, params: np.ndarray) -> float:
        """mgcv's ``find.null.dev``: the least deviance of a constant linear predictor (plus
        the offset), the cut points held at the fit's."""
        from scipy import optimize

        off = np.asarray(offset, dtype=float)

        def dev(c: float) -> float:
            return float(np.sum(self.deviance((off + c)[:, None], params)))

        return float(optimize.minimize_scalar(dev, bracket=(-1.0, 1.0),
                                              options={"xtol": 1e-10}).fun)


class Ocat(Ordinal):
    """mgcv's ``ocat`` family, for :func:`bayeszoo.reml` only (``family="ocat"``); link
    ``identity`` (mgcv's: the latent mean is the linear predictor), which keeps its intercept.
    The response is an ordered pandas Categorical or whole numbers ``1..K``; ``K`` is the
    number of categories (the largest rating)."""

    name = "ocat"
    links = ("identity",)
    aux = ()
    thresholds = False

    def response_values(self, y, column):
        s = y if isinstance(y, pd.Series) else pd.Series(y)
        if isinstance(s.dtype, pd.CategoricalDtype) and not s.cat.ordered:
            raise ValueError(f"response {column!r} of an ocat model must be an ordered pandas "
                             f"Categorical (or whole numbers 1..K); its categories "
                             f"{list(s.cat.categories)} have no order")
        return super().response_values(y, column)

    def default_priors(self, y, dpars=(), offset=None):
        raise ValueError(SAMPLER_ADVICE)

    def log_prob(self, ops, y, eta, aux, extras):
        raise ValueError(SAMPLER_ADVICE)

    def reml_likelihood(self, response, dpars=(), theta=None):
        """mgcv's ``ocat(R = K)`` with the cut points estimated."""
        if dpars:
            raise ValueError(f"ocat: REML takes no formula for {dpars}")
        if theta is not None:
            raise ValueError("ocat estimates its cut points; theta= holds a negative "
                             "binomial's theta only")
        K = len(response.levels) if response.levels else int(response.y.max())
        if K < 2:
            raise ValueError(f"response {response.column!r} of an ocat model has one category; "
                             "it needs at least two")
        return OcatLikelihood(response.y, response.prior_weights(), K)


def ocat() -> Ocat:
    """mgcv's ordered categorical family (``ocat(R = K)``, ``K`` from the response), for
    ``bz.reml(..., family="ocat")``."""
    return Ocat()
