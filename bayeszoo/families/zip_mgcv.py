"""``ziP``: mgcv's zero-inflated Poisson family (``ziP()``, ``R/efam.r``; Wood, Pya & Säfken
2016, JASA 111:1548-1563), for :func:`bayeszoo.reml` only.

The linear predictor ``gamma`` (identity link) is the log of the Poisson mean ``lambda =
exp(gamma)``; the probability that the Poisson process is present, ``p = 1 - exp(-exp(e))``,
follows it through ``e = theta_1 + exp(theta_2) gamma`` (mgcv's ``b = 0``). A zero has
``log P = -exp(e)``; a count ``y > 0`` has ``log P = log p + y gamma - log(exp(lambda) - 1) -
log y!`` (a zero-truncated Poisson). The deviance is ``d_i = -2 w_i log P`` (prior weights
multiply it, as they do mgcv's derivatives ``Dd``; mgcv's ``dev.resids`` leaves them out, so
the two agree for unit weights) and the saturated
likelihood ``ls`` is 0 (``ziP()$ls``); mgcv reports the deviance less ``saturated.ll``, each
count's ``-2 log P`` at its best ``gamma``. With ``l = A(e) + B(gamma)``:

* ``A1 = q(u)``, ``A2 = A1 (1 - A1 - u)``, ``A3 = A1 (u² + m (1 + 3u + 2m))`` for a count,
  ``u = exp(e)``, ``q(x) = x / (exp(x) - 1)``, ``m = q(u) - 1`` (mgcv's ``lde``); all ``-u``
  for a zero;
* ``B1 = y - a``, ``B2 = a (d - 1)``, ``B3 = a (-lambda d - 2 d² + 3 d - 1)`` with
  ``d = q(lambda)``, ``a = lambda + d`` (mgcv's ``ldg``);

and the chain rule through ``e`` gives :class:`ZipLikelihood`'s derivatives in ``gamma`` and
``theta`` (mgcv's ``ziP()$Dd``). The samplers fit brms's ``zero_inflated_poisson`` (a separate
``zi``, not tied to the mean): :class:`ZiP` refuses them with that advice.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .base import Response
from .poisson import check_counts
from .reml_only import RemlOnlyFamily

__all__ = ["SAMPLER_ADVICE", "ZiP", "ZipLikelihood", "zip_mean", "zip_theta"]

SAMPLER_ADVICE = ("'ziP' is mgcv's zero-inflated Poisson family for bz.reml (its zero "
                  "probability tied to the Poisson mean through theta); sample a zero-inflated "
                  "Poisson with family='zero_inflated_poisson' (brms's, with its own zi)")

SMALL = 1e-3


def zip_theta(params: np.ndarray) -> np.ndarray:
    """mgcv's ``ziP()$getTheta(TRUE)``: ``(theta_1, exp(theta_2))``."""
    th = np.asarray(params, dtype=float)
    return np.array([th[0], np.exp(th[1])])


def _q_and_m(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``q = x / (exp(x) - 1)`` and ``m = q - 1`` for ``x >= 0``, without cancellation."""
    x = np.asarray(x, dtype=float)
    small = x < SMALL
    xs = np.where(small, 1.0, x)
    with np.errstate(over="ignore", invalid="ignore"):
        q = np.where(np.isinf(xs), 0.0, xs * np.exp(-xs) / -np.expm1(-xs))
    series = -x / 2.0 + x**2 / 12.0 - x**4 / 720.0
    m = np.where(small, series, q - 1.0)
    return np.where(small, 1.0 + series, q), m


def _log1m_exp_neg(u: np.ndarray) -> np.ndarray:
    """``log(1 - exp(-u))`` for ``u > 0`` (mgcv's ``l1ee`` of ``log u``)."""
    return np.log(-np.expm1(-u))


def _log_expm1(g: np.ndarray) -> np.ndarray:
    """``log(exp(exp(g)) - 1)`` (mgcv's ``lee1``)."""
    lam = np.exp(g)
    return np.where(lam < SMALL, g + np.log1p(lam / 2.0 + lam**2 / 6.0),
                    lam + np.log(-np.expm1(-np.maximum(lam, SMALL))))


def _present_derivatives(u: np.ndarray) -> list[np.ndarray]:
    """``A1..A3``: derivatives of ``log(1 - exp(-u))`` in ``e = log u`` (mgcv's ``lde``)."""
    q, m = _q_and_m(u)
    return [q, q * (-m - u), q * (u**2 + m * (1.0 + 3.0 * u + 2.0 * m))]


def _truncated_derivatives(g: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """``B1..B3``: derivatives of ``y g - log(exp(exp(g)) - 1)`` in ``g`` (mgcv's ``ldg``)."""
    lam = np.exp(g)
    d, dm = _q_and_m(lam)
    a = lam + d
    return [y - a, a * dm, a * (-lam * d - 2.0 * d**2 + 3.0 * d - 1.0)]


def zip_mean(gamma: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``E[y] = p lambda / (1 - exp(-lambda))`` and ``dE[y]/dgamma`` (``ziP()$predict``),
    ``theta`` as :func:`zip_theta` reports it."""
    g = np.asarray(gamma, dtype=float)
    u = np.exp(theta[0] + theta[1] * g)
    p = -np.expm1(-u)
    lam = np.exp(g)
    d, _ = _q_and_m(lam)
    a = lam + d
    dp = np.exp(-u) * u * theta[1]
    da = (lam + 1.0) * a - a**2
    return p * a, dp * a + da * p


class ZipLikelihood:
    """mgcv's ``ziP()`` for the REML engine (the protocol of
    :mod:`bayeszoo.penalized.laplace`); ``params`` are mgcv's ``theta`` (``getTheta()``),
    estimated, or none when ``fixed`` holds them (``ziP(theta = fixed)``); no scale."""

    n_predictors = 1
    scale_param = None
    quadratic = False
    no_r_sq = True
    family_label = "Zero inflated Poisson"

    def __init__(self, y: np.ndarray, weights: np.ndarray,
                 fixed: np.ndarray | None = None) -> None:
        self.fixed = None if fixed is None else np.asarray(fixed, dtype=float)
        self.param_names: tuple[str, ...] = (("theta[1]", "theta[2]") if fixed is None
                                             else ())
        self.y = np.asarray(y, dtype=float)
        self.weights = np.asarray(weights, dtype=float)
        self.pos = self.y > 0
        self.log_y_fact = special.gammaln(self.y + 1.0)

    def initial_params(self) -> np.ndarray:
        """mgcv's ``ziP()$ini.theta``: ``(0, 0)`` (none when fixed)."""
        return np.zeros(len(self.param_names))

    def theta(self, params: np.ndarray) -> np.ndarray:
        """mgcv's ``getTheta()``: the estimated ``params`` or the fixed values."""
        return self.fixed if self.fixed is not None else np.asarray(params, dtype=float)

    def reported_theta(self, params: np.ndarray) -> np.ndarray:
        return zip_theta(self.theta(params))

    def label(self, params: np.ndarray) -> str:
        """mgcv's printed family, ``Zero inflated Poisson(-0.613,1.244)``."""
        th = ",".join(f"{t:.3f}".rstrip("0").rstrip(".") for t in self.reported_theta(params))
        return f"{self.family_label}({th})"

    # -- pieces ---------------------------------------------------------------------------------
    def _parts(self, eta: np.ndarray, params: np.ndarray):
        """``gamma``, ``s = exp(theta_2)``, ``u`` and ``A1..A3``, ``B1..B3`` per row."""
        params = self.theta(params)
        g = np.asarray(eta, dtype=float)[:, 0]
        s = float(np.exp(params[1]))
        u = np.exp(params[0] + s * g)
        A = [np.where(self.pos, a, -u) for a in _present_derivatives(u)]
        B = [np.where(self.pos, b, 0.0) for b in _truncated_derivatives(g, self.y)]
        return g, s, u, A, B

    def log_f(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``log P(y_i)`` (mgcv's ``zipll``)."""
        params = self.theta(params)
        g = np.asarray(eta, dtype=float)[:, 0]
        u = np.exp(params[0] + np.exp(params[1]) * g)
        yg = np.where(self.pos, self.y * g, 0.0)
        with np.errstate(divide="ignore"):
            present = _log1m_exp_neg(u) + yg - _log_expm1(g) - self.log_y_fact
        return np.where(self.pos, present, -u)

    # -- the engine's protocol -----------------------------------------------------------------
    def valid_eta(self, eta: np.ndarray) -> bool:
        return bool(np.all(np.isfinite(eta)))

    def start(self) -> tuple[np.ndarray, np.ndarray]:
        """mgcv's ``initialize``: ``gamma = log(y + (y == 0) / 5)``."""
        z = np.log(self.y + (self.y == 0) / 5.0)
        return z[:, None], self.weights[:, None]

    def deviance(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        return -2.0 * self.weights * self.log_f(eta, params)

    def eta_derivatives(self, eta: np.ndarray, params: np.ndarray, order: int = 2):
        """``(f1, f2, f3)`` of ``d/2`` w.r.t. ``gamma``: shapes (n,1), (n,1,1), (n,1,1,1)."""
        _, s, _, A, B = self._parts(eta, params)
        w = self.weights
        f1 = -w * (s * A[0] + B[0])
        f2 = -w * (s**2 * A[1] + B[1])
        f3 = -w * (s**3 * A[2] + B[2]) if order >= 3 else None
        return (f1[:, None], f2[:, None, None],
                None if f3 is None else f3[:, None, None, None])

    def param_derivatives(self, eta: np.ndarray, params: np.ndarray):
        """Derivatives of ``d/2`` w.r.t. ``theta_1``, ``theta_2``: ``(g (n,2), g_eta (n,1,2),
        g_eta2 (n,1,1,2))``."""
        g, s, _, A, _ = self._parts(eta, params)
        w = self.weights[:, None]
        sg = s * g
        gt = -w * np.column_stack([A[0], A[0] * sg])
        ge = -w * np.column_stack([s * A[1], s * A[0] + s * sg * A[1]])
        gee = -w * np.column_stack([s**2 * A[2], 2.0 * s**2 * A[1] + s**2 * sg * A[2]])
        return gt, ge[:, None, :], gee[:, None, None, :]

    def saturated(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """``ziP()$ls``: 0."""
        T = len(self.param_names)
        return 0.0, np.zeros(T), np.zeros((T, T))

    def covariance_weights(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        """The expected weights ``EDmu2 / 2`` (``-w E[d²l/dgamma²]``, a zero with probability
        ``1 - p``), from which mgcv forms ``Vp`` and the edf of a ``ziP`` fit."""
        params = self.theta(params)
        g = np.asarray(eta, dtype=float)[:, 0]
        s = float(np.exp(params[1]))
        u = np.exp(params[0] + s * g)
        p = -np.expm1(-u)
        a2 = _present_derivatives(u)[1]
        b2 = _truncated_derivatives(g, np.zeros_like(g))[1]
        return (-self.weights * (p * b2 + s**2 * (p * a2 - (1.0 - p) * u)))[:, None, None]

    def fitted(self, eta: np.ndarray) -> np.ndarray:
        """The linear predictor ``gamma`` (mgcv's ``fitted.values`` of a ``ziP`` fit)."""
        return np.asarray(eta, dtype=float)[:, :1]

    def predict_response(self, eta: np.ndarray, params: np.ndarray):
        """``predict.gam(type = "response")``: ``E[y]`` and ``|dE[y]/dgamma|``."""
        mean, dmean = zip_mean(eta, self.reported_theta(params))
        return mean, np.abs(dmean)

    def scale_estimate(self, eta: np.ndarray, edf_total: float) -> float:
        return 1.0

    def saturated_deviance(self, params: np.ndarray) -> np.ndarray:
        """mgcv's ``saturated.ll``: each count's ``d_i`` at its best ``gamma`` (0 for a zero),
        by mgcv's Newton iteration from ``log y`` (step halving; a row stops once
        ``|dd_i/dgamma| <= 1e-7 max|d|`` at the start, at most 100 steps)."""
        out = np.zeros_like(self.y)
        idx = np.flatnonzero(self.pos)
        if idx.size == 0:
            return out
        sub = ZipLikelihood(self.y[idx], self.weights[idx], fixed=self.theta(params))
        g = np.log(sub.y)[:, None]
        dev = sub.deviance(g, params)
        tol = 1e-7 * float(np.max(np.abs(dev)))
        f1, f2, _ = sub.eta_derivatives(g, params)
        for _ in range(100):
            moving = np.abs(2.0 * f1[:, 0]) > tol
            if not np.any(moving):
                break
            step = np.where(moving, -f1[:, 0] / f2[:, 0, 0], 0.0)
            new = sub.deviance(g + step[:, None], params)
            for _ in range(50):
                worse = (new > dev) & moving
                if not np.any(worse):
                    break
                step[worse] /= 2.0
                new = sub.deviance(g + step[:, None], params)
            g = g + step[:, None]
            dev = new
            f1, f2, _ = sub.eta_derivatives(g, params)
        out[idx] = dev
        return out

    def reported_deviance(self, eta: np.ndarray, params: np.ndarray) -> float:
        """mgcv's ``deviance`` of a ``ziP`` fit (``postproc``): ``Σ d_i`` less
        :meth:`saturated_deviance`."""
        return float(np.sum(self.deviance(eta, params) - self.saturated_deviance(params)))

    def null_deviance(self, offset: np.ndarray, intercept: bool, params: np.ndarray) -> float:
        """mgcv's ``postproc``: the least deviance of a constant ``gamma`` searched between
        ``mean(y) / 5`` and ``3 mean(y)`` (as mgcv, offset and intercept aside), less
        :meth:`saturated_deviance`."""
        from scipy import optimize  # here: 0.2-0.4 s to import, on every fit's path otherwise

        mean_y = float(np.mean(self.y))
        ones = np.ones((self.y.shape[0], 1))

        def dev(c: float) -> float:
            return float(np.sum(self.deviance(c * ones, params)))

        best = optimize.minimize_scalar(dev, bounds=(mean_y / 5.0, 3.0 * mean_y),
                                        method="bounded", options={"xatol": 1e-10})
        return float(best.fun - np.sum(self.saturated_deviance(params)))


class ZiP(RemlOnlyFamily):
    """mgcv's ``ziP`` family, for :func:`bayeszoo.reml` only (``family="ziP"``); link
    ``identity``: the linear predictor is the log Poisson mean. The response holds
    non-negative whole counts, not only zeros and ones."""

    name = "ziP"
    sampler_advice = SAMPLER_ADVICE
    links = ("identity",)
    discrete = True

    def check_values(self, y, column, trials):
        check_counts(y, column, self.name)
        if y.size and y.min() == 0 and y.max() == 1:
            raise ValueError(f"response {column!r} of a ziP model holds only zeros and ones: "
                             "a zero-inflated Poisson makes no sense for binary data (mgcv "
                             "refuses it); use family='bernoulli'")

    def reml_likelihood(self, response: Response, dpars=(), theta=None):
        """mgcv's ``ziP()`` with both ``theta`` estimated, or ``ziP(theta = theta)`` with the
        two (``getTheta()``'s scale: ``theta_2`` on the log scale) held fixed."""
        if dpars:
            raise ValueError(f"ziP: REML takes no formula for {dpars}")
        if theta is not None:
            fixed = np.asarray(theta, dtype=float).ravel()
            if fixed.size != 2 or not np.all(np.isfinite(fixed)):
                raise ValueError(f"ziP holds theta fixed as two finite numbers (mgcv's "
                                 f"ziP(theta = c(theta_1, log(theta_2)))), not {theta!r}")
            return ZipLikelihood(response.y, response.prior_weights(), fixed=fixed)
        return ZipLikelihood(response.y, response.prior_weights())
