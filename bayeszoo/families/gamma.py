"""``gamma``: ``y ~ Gamma(shape, rate = shape / mu)``, ``y > 0``; links inverse (default, R's
``Gamma()``), log (``Gamma(link = "log")``), identity.

brms's ``shape`` is ``1/phi`` of mgcv's scale. REML follows mgcv's ``Gamma`` in ``gam.fit3``
(``R/gam.fit3.r``): the scale ``phi`` is estimated on the log scale with the smoothing
parameters, the saturated likelihood is ``fix.family.ls``'s
``Σ [-lgamma(1/s) - log(s)/s - 1/s - log y]``, ``s = phi / w``, and the reported scale is
mgcv's Fletcher-corrected Pearson estimate.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .base import AuxParameter, Family, Response
from .glm import DevianceFunctions, GlmLikelihood

__all__ = ["Gamma", "gamma"]

SHAPE = AuxParameter("shape", 0.0, "log", "gamma(0.01, 0.01)", "student_t(3, 0, 2.5)")


def _dev(y, mu, w, theta):
    d = 2.0 * w * (-np.log(y / mu) + (y - mu) / mu)
    return (d, 2.0 * w * (1.0 / mu - y / mu**2), 2.0 * w * (-1.0 / mu**2 + 2.0 * y / mu**3),
            2.0 * w * (2.0 / mu**3 - 6.0 * y / mu**4))


def _saturated(y, w, phi, theta):
    """mgcv's Gamma ``ls`` and its derivatives w.r.t. ``log phi``."""
    keep = w > 0
    y, w = y[keep], w[keep]
    s = phi / w
    k = -special.gammaln(1.0 / s) - np.log(s) / s - 1.0 / s
    u = special.digamma(1.0 / s) + np.log(s)
    d1 = u / s
    d2 = -special.polygamma(1, 1.0 / s) / s**2 + 1.0 / s - u / s
    return float(np.sum(k - np.log(y))), float(np.sum(d1)), float(np.sum(d2))


def _variance(mu, theta):
    return mu**2, 2.0 * mu


GAMMA_DEVIANCE = DevianceFunctions(dev=_dev, dev_theta=None, saturated=_saturated,
                                   variance=_variance, mu_bounds=(0.0, np.inf))


class Gamma(Family):
    """brms's ``gamma`` family, as :func:`gamma` makes it.

    Also ``get("gamma")``. Links: ``inverse``, ``log``, ``identity`` (the first is the default).
    Auxiliary parameters: ``shape`` (link ``log`` when it gets its own formula, default prior
    ``gamma(0.01, 0.01)``). The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "gamma"
    links = ("inverse", "log", "identity")
    aux = (SHAPE,)
    positive_mean = True

    def check_values(self, y, column, trials):
        bad = y <= 0
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"response {column!r} of a gamma model must be positive; row {i} "
                             f"has {y[i]:g}. Drop those rows or choose another family")

    def log_prob(self, ops, y, eta, aux, extras):
        shape = aux["shape"]

        def log_density(e):
            log_mu = self.log_mu(ops, e)
            return (shape * (ops.log(shape) - log_mu) + (shape - 1.0) * ops.log(y)
                    - shape * y * ops.exp(-log_mu) - ops.gammaln(shape))

        return self.weighted(ops, self.with_positive_mean(ops, eta, log_density), extras)

    def _log_incomplete(self, ops, regularized, y, eta, aux):
        shape = aux["shape"]
        return self.with_positive_mean(ops, eta, lambda e: ops.log(regularized(
            shape, shape * y * ops.exp(-self.log_mu(ops, e)))))

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(shape, shape y / mu)`` (Stan's ``gamma_lcdf``, the regularized lower
        incomplete gamma function)."""
        return self._log_incomplete(ops, ops.gammainc, y, eta, aux)

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log Q(shape, shape y / mu)`` (Stan's ``gamma_lccdf``)."""
        return self._log_incomplete(ops, ops.gammaincc, y, eta, aux)

    def draw(self, rng, eta, aux=None, extras=None):
        mu = self.mean(eta)
        shape = np.asarray((aux or {})["shape"], dtype=float)
        return rng.gamma(shape, mu / shape)

    def reml_likelihood(self, response: Response, dpars=(), theta=None):
        if dpars:
            raise ValueError(f"gamma: REML takes no formula for {dpars}")
        return GlmLikelihood("Gamma", response.y, response.prior_weights(), self.link,
                             GAMMA_DEVIANCE, response.y.copy(), scale="estimated")


def gamma(link: str = "inverse") -> Gamma:
    """The gamma family (brms ``Gamma()``; R's default inverse link).

    Parameters
    ----------
    link
        One of ``inverse``, ``log``, ``identity``; default ``"inverse"``.

    Returns
    -------
    Gamma
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> gamma()
    gamma(link='inverse')
    >>> gamma("log").link_name
    'log'
    >>> gamma("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'gamma' has no link 'logit'; valid links: inverse, log, identity
    """
    return Gamma(link)
