"""``gaussian``: ``y ~ Normal(mu, sigma)``; links identity (default), log, inverse.

With ``y | se(s)`` the standard deviation of row ``i`` is ``s_i`` and ``sigma`` is not
estimated (brms's ``se()`` default ``sigma = FALSE``). With ``sigma ~ formula`` (brms's
distributional ``bf(y ~ ..., sigma ~ ...)``) REML fits mgcv's ``gaulss`` location-scale family
(``R/gamlss.r``): ``mu`` on the identity link and ``tau = 1/sigma`` on the "logb" link
``eta = log(1/tau - b)``, ``b = 0.01``, i.e. ``sigma = exp(eta) + b``.
"""

from __future__ import annotations

import math

import numpy as np

from .base import AuxParameter, Family, Response
from .gaussian_stats import gaussian_stats, normal_loglik
from .glm import DevianceFunctions, GlmLikelihood

__all__ = ["Gaussian", "LocationScaleLikelihood", "gaussian"]

SIGMA = AuxParameter("sigma", 0.0, "log", None, None)
LOG_2PI = math.log(2.0 * math.pi)


def _dev(y, mu, w, theta):
    r = y - mu
    zero = np.zeros_like(mu)
    return w * r**2, -2.0 * w * r, 2.0 * w + zero, zero


def _saturated(y, w, phi, theta):
    keep = w > 0
    nobs = int(np.sum(keep))
    return (-0.5 * nobs * math.log(2.0 * math.pi * phi) + 0.5 * float(np.sum(np.log(w[keep]))),
            -0.5 * nobs, 0.0)


def _variance(mu, theta):
    return np.ones_like(mu), np.zeros_like(mu)


GAUSSIAN_DEVIANCE = DevianceFunctions(dev=_dev, dev_theta=None, saturated=_saturated,
                                      variance=_variance)


class Gaussian(Family):
    """brms's ``gaussian`` family, as :func:`gaussian` makes it.

    Also ``get("gaussian")``. Links: ``identity``, ``log``, ``inverse`` (the first is the
    default). Auxiliary parameters: ``sigma`` (link ``log`` when it gets its own formula,
    default prior a half Student-t with brms's ``def_scale_prior`` scale computed from the
    response). The intercept's default prior is brms's ``student_t(3, location, scale)`` from
    the response (:meth:`Family.default_priors`).
    """

    name = "gaussian"
    links = ("identity", "log", "inverse")
    aux = (SIGMA,)
    accepts = ("weights", "se")
    least_squares = True

    def aux_parameters(self, additions=()):
        return () if "se" in additions else self.aux

    def summarize(self, y, arrays, extras: dict, sizes):
        """The sufficient statistics of ``y`` and the design arrays
        (:mod:`bayeszoo.families.gaussian_stats`; ``sizes`` the blocks' column counts), with
        which a gradient costs the same for 10³ and 10⁶ rows; ``None`` when the identity link
        or equal rows (no ``se``/``weights``) do not hold. An indicator block with ``k``
        weights per row (a correlated term's) has ``size / k`` levels."""
        if extras or self.link_name != "identity":
            return None
        dense = [arrays.X] + [b.matrix for b in arrays.blocks if b.matrix.shape[0]]
        indicators = [(b.index, b.weights, size // (1 if b.weights.ndim == 1 else
                                                    b.weights.shape[1]))
                      for b, size in zip(arrays.blocks, sizes, strict=True)
                      if not b.matrix.shape[0]]
        return gaussian_stats(y, np.hstack(dense), indicators)

    def summary_log_likelihood(self, stats, beta, coefs, aux, indicator, linear_predictor):
        """``Σ log N(y_i | eta_i, sigma)`` from :meth:`summarize`'s statistics (JAX);
        ``indicator[j]`` tells whether block ``j`` is an indicator block (the others join the
        dense columns, in the order :meth:`summarize` put them)."""
        import jax.numpy as jnp

        dense = [beta] + [c for c, ind in zip(coefs, indicator, strict=True) if not ind]
        blocks = [c for c, ind in zip(coefs, indicator, strict=True) if ind]
        return normal_loglik(stats, jnp.concatenate(dense), blocks, aux["sigma"])

    def log_prob(self, ops, y, eta, aux, extras):
        mu = self.link.inverse(ops, eta)
        sd = _sd(ops, aux, extras)
        lp = -0.5 * LOG_2PI - ops.log(sd) - 0.5 * ops.square((y - mu) / sd)
        return self.weighted(ops, lp, extras)

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log Φ((y - mu) / sd)`` (Stan's ``normal_lcdf``), ``sd`` with ``se()`` added."""
        return ops.log_ndtr((y - self.link.inverse(ops, eta)) / _sd(ops, aux, extras or {}))

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log Φ((mu - y) / sd)`` (Stan's ``normal_lccdf``)."""
        return ops.log_ndtr((self.link.inverse(ops, eta) - y) / _sd(ops, aux, extras or {}))

    def draw(self, rng, eta, aux=None, extras=None):
        from .ops import NUMPY

        mu = self.mean(eta)
        sd = np.broadcast_to(_sd(NUMPY, aux or {}, extras or {}), mu.shape)
        return rng.normal(mu, sd)

    def reml_likelihood(self, response: Response, dpars=(), theta=None):
        if dpars == ("sigma",):
            if self.link_name != "identity" or response.se is not None:
                raise ValueError("REML's location-scale gaussian (mgcv's gaulss) takes the "
                                 "identity link for mu and no se()")
            return LocationScaleLikelihood(response.y)
        if dpars:
            raise ValueError(f"gaussian: REML takes a formula for sigma only, not {dpars}")
        y = response.y
        if response.se is not None:  # known standard deviations: weights 1/se², scale 1
            w = response.prior_weights() / response.se**2
            scale = "known"
        else:
            w = response.prior_weights()
            scale = "estimated"
        mustart = y.copy()
        if self.link_name != "identity" and np.any(y <= 0):
            raise ValueError(f"response {response.column!r} has values <= 0: REML's gaussian "
                             f"with the {self.link_name} link starts from mu = y and needs "
                             "y > 0")
        return GlmLikelihood("gaussian", y, w, self.link, GAUSSIAN_DEVIANCE, mustart,
                             scale=scale,
                             quadratic=self.link_name == "identity" and scale == "estimated")


def _sd(ops, aux, extras):
    se = extras.get("se")
    sigma = aux.get("sigma")
    if se is None:
        if sigma is None:
            raise ValueError("gaussian needs aux['sigma'] (or extras['se'])")
        return sigma
    return se if sigma is None else ops.sqrt(ops.square(se) + ops.square(sigma))


def gaussian(link: str = "identity") -> Gaussian:
    """The gaussian family (brms ``gaussian()``).

    Parameters
    ----------
    link
        One of ``identity``, ``log``, ``inverse``; default ``"identity"``.

    Returns
    -------
    Gaussian
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> gaussian()
    gaussian(link='identity')
    >>> gaussian("log").link_name
    'log'
    >>> gaussian("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'gaussian' has no link 'logit'; valid links: identity, log, inverse
    """
    return Gaussian(link)


class LocationScaleLikelihood:
    """mgcv's ``gaulss``: two linear predictors, ``mu = eta1`` and
    ``tau = 1/sigma = 1/(exp(eta2) + b)``, ``b = 0.01``.

    ``l_i = -(y - mu)² tau² / 2 - log(2π)/2 + log tau``; the deviance contribution the engine
    reads is ``d_i = -2 l_i`` (no scale, no saturated term: ``ls = 0``), so the Laplace REML
    criterion is ``gam.fit5``'s ``-l + β'Sβ/2 + log|H + S|/2 - log|S|+/2 - Mp log(2π)/2``
    with ``H`` the observed Hessian, as mgcv's ``gaulss`` supplies it (``R/gamlss.r``).
    """

    n_predictors = 2
    param_names: tuple[str, ...] = ()
    scale_param = None
    quadratic = False
    family_label = "gaulss"
    b = 0.01

    def __init__(self, y: np.ndarray) -> None:
        self.y = np.asarray(y, dtype=float)
        self.weights = np.ones_like(self.y)

    def initial_params(self) -> np.ndarray:
        return np.zeros(0)

    def start(self) -> tuple[np.ndarray, np.ndarray]:
        y = self.y
        sd = max(float(np.std(y)), 1e-8)
        z = np.column_stack([y, np.full_like(y, math.log(max(sd - self.b, 1e-8)))])
        return z, np.ones_like(z)

    def valid_eta(self, eta: np.ndarray) -> bool:
        return bool(np.all(np.isfinite(eta)) and np.all(eta[:, 1] < 700))

    def _pieces(self, eta):
        r = self.y - eta[:, 0]
        e = np.exp(eta[:, 1])
        s = e + self.b
        return r, e, s

    def deviance(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        r, _, s = self._pieces(eta)
        return (r / s) ** 2 + LOG_2PI + 2.0 * np.log(s)

    def eta_derivatives(self, eta: np.ndarray, params: np.ndarray, order: int = 2):
        """Derivatives of ``-l_i`` w.r.t. ``(eta1, eta2)``."""
        r, e, s = self._pieces(eta)
        n = r.shape[0]
        f1 = np.empty((n, 2))
        f1[:, 0] = -r / s**2
        f1[:, 1] = -(r**2 / s**3 - 1.0 / s) * e
        f2 = np.empty((n, 2, 2))
        f2[:, 0, 0] = 1.0 / s**2
        f2[:, 0, 1] = f2[:, 1, 0] = 2.0 * r * e / s**3
        f2[:, 1, 1] = -((-3.0 * r**2 / s**4 + 1.0 / s**2) * e**2 + (r**2 / s**3 - 1.0 / s) * e)
        if order < 3:
            return f1, f2, None
        f3 = np.zeros((n, 2, 2, 2))
        a112 = -2.0 * e / s**3
        a122 = -(6.0 * r * e**2 / s**4 - 2.0 * r * e / s**3)
        a222 = -((12.0 * r**2 / s**5 - 2.0 / s**3) * e**3
                 + 3.0 * (-3.0 * r**2 / s**4 + 1.0 / s**2) * e**2
                 + (r**2 / s**3 - 1.0 / s) * e)
        for i, j, k in ((0, 0, 1), (0, 1, 0), (1, 0, 0)):
            f3[:, i, j, k] = a112
        for i, j, k in ((0, 1, 1), (1, 0, 1), (1, 1, 0)):
            f3[:, i, j, k] = a122
        f3[:, 1, 1, 1] = a222
        return f1, f2, f3

    def param_derivatives(self, eta, params):
        n = self.y.shape[0]
        return np.zeros((n, 0)), np.zeros((n, 2, 0)), np.zeros((n, 2, 2, 0))

    def saturated(self, params):
        return 0.0, np.zeros(0), np.zeros((0, 0))

    def covariance_weights(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        """The observed information, as ``gam.fit5.post.proc`` uses it for ``Vp``."""
        return self.eta_derivatives(eta, params, order=2)[1]

    def null_deviance(self, offset: np.ndarray, intercept: bool, params: np.ndarray) -> float:
        """The deviance ``-2 l`` at a constant mean and standard deviation (their maximum
        likelihood values), the reference of ``summary.gam``'s deviance explained."""
        sd = max(float(np.std(self.y)), self.b + 1e-12)
        eta = np.column_stack([np.full_like(self.y, np.mean(self.y)),
                               np.full_like(self.y, np.log(sd - self.b))])
        return float(np.sum(self.deviance(eta, params)))

    def fitted(self, eta: np.ndarray) -> np.ndarray:
        """Columns: the mean and the standard deviation ``exp(eta2) + b``."""
        return np.column_stack([eta[:, 0], np.exp(eta[:, 1]) + self.b])

    def scale_estimate(self, eta, edf_total):
        return 1.0
