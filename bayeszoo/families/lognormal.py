"""``lognormal``: ``log y ~ Normal(mu, sigma)``, ``y > 0``; links identity (default), inverse.
brms 2.18's ``lognormal``: ``mu`` and ``sigma`` are the mean and sd of ``log y``,
``posterior_epred`` is ``exp(mu + sigma²/2)``, and the default priors read ``log y`` (brms's
``logscale`` family: the intercept's location is ``round(median(log y), 1)``)."""

from __future__ import annotations

import math

import numpy as np

from .base import Family
from .gaussian import SIGMA

__all__ = ["Lognormal", "check_positive", "lognormal", "lognormal_log_pdf"]

HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def check_positive(y: np.ndarray, column: str, family: str) -> None:
    """Times and other positive responses."""
    bad = y <= 0
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"response {column!r} of a {family} model must be positive; row {i} "
                         f"has {y[i]:g}. Drop those rows or choose another family")


def lognormal_log_pdf(ops, y, mu, sigma):
    """``log LogNormal(y | mu, sigma)`` (Stan's ``lognormal_lpdf``)."""
    log_y = ops.log(y)
    return -log_y - ops.log(sigma) - HALF_LOG_2PI - 0.5 * ops.square((log_y - mu) / sigma)


class Lognormal(Family):
    """brms's ``lognormal`` family, as :func:`lognormal` makes it.

    Also ``get("lognormal")``. Links: ``identity``, ``inverse`` (the first is the default).
    Auxiliary parameters: ``sigma`` (link ``log`` when it gets its own formula, default prior a
    half Student-t with brms's ``def_scale_prior`` scale computed from the response). The
    intercept's default prior is brms's ``student_t(3, location, scale)`` from the response
    (:meth:`Family.default_priors`).
    """

    name = "lognormal"
    links = ("identity", "inverse")
    aux = (SIGMA,)

    def check_values(self, y, column, trials):
        check_positive(y, column, self.name)

    def scale_link(self, link):
        return "log"

    def log_prob(self, ops, y, eta, aux, extras):
        lp = lognormal_log_pdf(ops, y, self.link.inverse(ops, eta), aux["sigma"])
        return self.weighted(ops, lp, extras)

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y > y)`` (Stan's ``lognormal_lccdf``), for right censoring."""
        return ops.log_ndtr(-(ops.log(y) - self.link.inverse(ops, eta)) / aux["sigma"])

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y <= y)`` (Stan's ``lognormal_lcdf``), for left censoring."""
        return ops.log_ndtr((ops.log(y) - self.link.inverse(ops, eta)) / aux["sigma"])

    def mean(self, eta, aux=None, extras=None):
        sigma = np.asarray((aux or {})["sigma"], dtype=float)
        return np.exp(super().mean(eta) + 0.5 * sigma**2)

    def draw(self, rng, eta, aux=None, extras=None):
        mu = super().mean(eta)
        sigma = np.broadcast_to(np.asarray((aux or {})["sigma"], dtype=float), mu.shape)
        return rng.lognormal(mu, sigma)


def lognormal(link: str = "identity") -> Lognormal:
    """The lognormal family (brms ``lognormal()``).

    Parameters
    ----------
    link
        One of ``identity``, ``inverse``; default ``"identity"``.

    Returns
    -------
    Lognormal
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> lognormal()
    lognormal(link='identity')
    >>> lognormal("inverse").link_name
    'inverse'
    >>> lognormal("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'lognormal' has no link 'logit'; valid links: identity, inverse
    """
    return Lognormal(link)
