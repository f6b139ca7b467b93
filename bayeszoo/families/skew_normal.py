"""``skew_normal``: the skew normal with mean ``mu``, standard deviation ``sigma`` and skewness
``alpha``; links identity (default), log, inverse.

brms 2.18 parameterizes it by its moments (``stan-predictor.R``): with ``delta = alpha /
sqrt(1 + alpha²)`` the scale is ``omega = sigma / sqrt(1 - 2 delta² / pi)`` and the location
``xi = mu - omega delta sqrt(2 / pi)``, and ``y ~ skew_normal(xi, omega, alpha)`` (density
``2/omega · phi(z) · Phi(alpha z)``, ``z = (y - xi) / omega``). ``alpha`` is real, default
prior ``normal(0, 4)``; ``posterior_epred`` is ``mu``. Its distribution functions
(:mod:`.skew_normal_cdf`) let ``cens()`` and ``trunc()`` censor and truncate the response, as
brms 2.18 allows (``pskew_normal`` in its ``log_lik``).
"""

from __future__ import annotations

import math

import numpy as np

from .base import AuxParameter, Family
from .gaussian import SIGMA
from .skew_normal_cdf import log_cdf, log_sf

__all__ = ["SkewNormal", "skew_normal"]

ALPHA = AuxParameter("alpha", -math.inf, "identity", "normal(0, 4)", "normal(0, 4)")
LOG_2 = math.log(2.0)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _location_scale(ops, mu, sigma, alpha):
    """``(xi, omega, delta)`` of brms's moment parameterization."""
    delta = alpha / ops.sqrt(1.0 + ops.square(alpha))
    omega = sigma / ops.sqrt(1.0 - ops.square(SQRT_2_OVER_PI * delta))
    return mu - omega * delta * SQRT_2_OVER_PI, omega, delta


class SkewNormal(Family):
    """brms's ``skew_normal`` family, as :func:`skew_normal` makes it.

    Also ``get("skew_normal")``. Links: ``identity``, ``log``, ``inverse`` (the first is the
    default). Auxiliary parameters: ``sigma`` (link ``log`` when it gets its own formula,
    default prior a half Student-t with brms's ``def_scale_prior`` scale computed from the
    response); ``alpha`` (link ``identity`` when it gets its own formula, default prior
    ``normal(0, 4)``). The intercept's default prior is brms's ``student_t(3, location, scale)``
    from the response (:meth:`Family.default_priors`).
    """

    name = "skew_normal"
    links = ("identity", "log", "inverse")
    aux = (SIGMA, ALPHA)

    def log_prob(self, ops, y, eta, aux, extras):
        alpha = aux["alpha"]
        xi, omega, _ = _location_scale(ops, self.link.inverse(ops, eta), aux["sigma"], alpha)
        z = (y - xi) / omega
        lp = LOG_2 - ops.log(omega) - HALF_LOG_2PI - 0.5 * ops.square(z) + ops.log_ndtr(alpha * z)
        return self.weighted(ops, lp, extras)

    def _standardized(self, ops, y, eta, aux):
        xi, omega, _ = _location_scale(ops, self.link.inverse(ops, eta), aux["sigma"],
                                       aux["alpha"])
        return (y - xi) / omega

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y <= y)`` (Stan's ``skew_normal_lcdf``, brms's ``pskew_normal``), for left
        censoring and upper truncation."""
        return log_cdf(ops, self._standardized(ops, y, eta, aux), aux["alpha"])

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y > y)`` (Stan's ``skew_normal_lccdf``), for right censoring and lower
        truncation."""
        return log_sf(ops, self._standardized(ops, y, eta, aux), aux["alpha"])

    def draw(self, rng, eta, aux=None, extras=None):
        from .ops import NUMPY

        aux = aux or {}
        mu = self.mean(eta)
        xi, omega, delta = _location_scale(NUMPY, mu, np.asarray(aux["sigma"], dtype=float),
                                           np.asarray(aux["alpha"], dtype=float))
        u0, u1 = rng.standard_normal(mu.shape), rng.standard_normal(mu.shape)
        return xi + omega * (delta * np.abs(u0) + np.sqrt(1.0 - delta**2) * u1)


def skew_normal(link: str = "identity") -> SkewNormal:
    """The skew normal family (brms ``skew_normal()``).

    Parameters
    ----------
    link
        One of ``identity``, ``log``, ``inverse``; default ``"identity"``.

    Returns
    -------
    SkewNormal
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> skew_normal()
    skew_normal(link='identity')
    >>> skew_normal("log").link_name
    'log'
    >>> skew_normal("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'skew_normal' has no link 'logit'; valid links: identity, log, inverse
    """
    return SkewNormal(link)
