"""``negbinomial``: ``y ~ NegBinomial(mu, shape)``, ``var = mu + mu²/shape`` (NB2); links log
(default), identity.

brms's ``shape`` is mgcv's ``theta``. REML follows mgcv's ``nb()`` extended family
(``R/efam.r``): deviance ``2 w [y log(y/mu) - (y + theta) log((y + theta)/(mu + theta))]``, its
derivatives w.r.t. ``mu`` and ``log theta`` (``nb()$Dd``) and the saturated likelihood
``nb()$ls``; ``theta`` is estimated on the log scale jointly with the smoothing parameters, or
held at a given value.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .base import AuxParameter, Family, Response
from .glm import EPS, DevianceFunctions, GlmLikelihood
from .poisson import check_counts

__all__ = ["NegBinomial", "negbinomial", "negbinomial_log_pmf", "negbinomial_log_zero"]

SHAPE = AuxParameter("shape", 0.0, "log", "gamma(0.01, 0.01)", "student_t(3, 0, 2.5)")


def _dev(y, mu, w, theta):
    yth, muth = y + theta, mu + theta
    ylog = y * np.log(np.maximum(1.0, y) / mu)
    d = 2.0 * w * (ylog - yth * np.log(yth / muth))
    d1 = 2.0 * w * (yth / muth - y / mu)
    d2 = -2.0 * w * (yth / muth**2 - y / mu**2)
    d3 = 4.0 * w * (yth / muth**3 - y / mu**3)
    return d, d1, d2, d3


def _dev_theta(y, mu, w, theta):
    yth, muth = y + theta, mu + theta
    dth = -2.0 * w * theta * (np.log(yth / muth) + 1.0 - yth / muth)
    dmuth = 2.0 * w * theta * (1.0 - yth / muth) / muth
    dmu2th = 2.0 * w * theta * (2.0 * yth / muth - 1.0) / muth**2
    return dth, dmuth, dmu2th


def _saturated(y, w, phi, theta):
    """``nb()$ls`` and its first two derivatives w.r.t. ``log theta``."""
    lt = np.log(theta)
    yth = y + theta
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    term = (yth * np.log(yth) - ylogy + special.gammaln(y + 1) - theta * lt
            + special.gammaln(theta) - special.gammaln(yth))
    ls = -float(np.sum(term * w))
    lyth = np.log(yth)
    d1 = theta * (lyth - special.digamma(yth) + special.digamma(theta) - lt)
    d2 = theta * (lyth - theta * special.polygamma(1, yth) - special.digamma(yth) + theta / yth
                  + theta * special.polygamma(1, theta) + special.digamma(theta) - lt - 1.0)
    return ls, -float(np.sum(d1 * w)), -float(np.sum(d2 * w))


def negbinomial_log_pmf(ops, y, log_mu, shape):
    """``log NegBinomial(y | mu, shape)`` (Stan's ``neg_binomial_2_log_lpmf``) from ``log mu``,
    stable for any ``mu / shape``."""
    a = log_mu - ops.log(shape)
    return (ops.gammaln(y + shape) - ops.gammaln(y + 1.0) - ops.gammaln(shape)
            - shape * ops.softplus(a) - y * ops.softplus(-a))


def negbinomial_log_zero(ops, log_mu, shape):
    """``log P(y = 0) = -shape log(1 + mu / shape)``."""
    return -shape * ops.softplus(log_mu - ops.log(shape))


def _variance(mu, theta):
    return mu + mu**2 / theta, 1.0 + 2.0 * mu / theta


class NegBinomial(Family):
    """brms's ``negbinomial`` family, as :func:`negbinomial` makes it.

    Also ``get("negbinomial")``. Links: ``log``, ``identity`` (the first is the default).
    Auxiliary parameters: ``shape`` (link ``log`` when it gets its own formula, default prior
    ``gamma(0.01, 0.01)``). The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "negbinomial"
    links = ("log", "identity")
    aux = (SHAPE,)
    discrete = True
    positive_mean = True

    def check_values(self, y, column, trials):
        check_counts(y, column, self.name)

    def log_prob(self, ops, y, eta, aux, extras):
        shape = aux["shape"]
        lp = self.with_positive_mean(
            ops, eta, lambda e: negbinomial_log_pmf(ops, y, self.log_mu(ops, e), shape))
        return self.weighted(ops, lp, extras)

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y <= y) = log I_p(shape, y + 1)``, ``p = shape / (shape + mu)`` (Stan's
        ``neg_binomial_2_lcdf``); ``-inf`` below 0."""
        shape = aux["shape"]
        k = ops.where(y < 0, 0.0, y) + 1.0

        def log_cdf(e):
            mu = self.link.inverse(ops, e)
            return ops.log(ops.betainc(shape, k, shape / (shape + mu)))

        return ops.where(y < 0, -np.inf, self.with_positive_mean(ops, eta, log_cdf))

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y > y) = log I_(1-p)(y + 1, shape)`` (Stan's ``neg_binomial_2_lccdf``); 0
        below 0 (brms's lower truncation bound ``lb`` enters as ``lccdf(lb - 1)``)."""
        shape = aux["shape"]
        k = ops.where(y < 0, 0.0, y) + 1.0

        def log_sf(e):
            mu = self.link.inverse(ops, e)
            return ops.log(ops.betainc(k, shape, mu / (shape + mu)))

        return ops.where(y < 0, 0.0, self.with_positive_mean(ops, eta, log_sf))

    def boundary_sides(self, y, trials):
        """Under the log link a zero count's likelihood grows as ``eta -> -inf``."""
        return np.where(y == 0, -1.0, 0.0) if self.link.positive else None

    def draw(self, rng, eta, aux=None, extras=None):
        mu = self.mean(eta)
        shape = np.asarray((aux or {})["shape"], dtype=float)
        return rng.poisson(rng.gamma(shape, mu / shape))

    def reml_likelihood(self, response: Response, dpars=(), theta=None):
        """mgcv's ``nb()``: ``theta=None`` estimates theta (start 1, mgcv's ``log theta = 0``),
        a positive number holds it fixed (``nb(theta = ...)``)."""
        if dpars:
            raise ValueError(f"negbinomial: REML takes no formula for {dpars}")
        if theta is not None and not (np.isfinite(theta) and theta > 0):
            raise ValueError(f"negbinomial theta (brms's shape) must be positive, got {theta!r}")
        y, w = response.y, response.prior_weights()
        fns = DevianceFunctions(dev=_dev, dev_theta=_dev_theta, saturated=_saturated,
                                variance=_variance, mu_bounds=(EPS, np.inf))
        mustart = y + (y == 0) / 6.0
        return GlmLikelihood("negbinomial", y, w, self.link, fns, mustart,
                             theta="estimated" if theta is None else float(theta),
                             theta_start=1.0)


def negbinomial(link: str = "log") -> NegBinomial:
    """The negative binomial family (brms ``negbinomial()``).

    Parameters
    ----------
    link
        One of ``log``, ``identity``; default ``"log"``.

    Returns
    -------
    NegBinomial
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> negbinomial()
    negbinomial(link='log')
    >>> negbinomial("identity").link_name
    'identity'
    >>> negbinomial("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'negbinomial' has no link 'logit'; valid links: log, identity
    """
    return NegBinomial(link)
