"""``beta``: ``y ~ Beta(mu·phi, (1 - mu)·phi)``, ``0 < y < 1``; links logit (default), probit,
cloglog. ``phi`` is brms's precision."""

from __future__ import annotations

import numpy as np

from .base import AuxParameter, Family
from .binomial import PROBABILITY_LINKS

__all__ = ["Beta", "beta", "open_unit_beta"]

PHI = AuxParameter("phi", 0.0, "log", "gamma(0.01, 0.01)", "student_t(3, 0, 2.5)")


class Beta(Family):
    """brms's ``beta`` family, as :func:`beta` makes it.

    Also ``get("beta")``. Links: ``logit``, ``probit``, ``cloglog`` (the first is the default).
    Auxiliary parameters: ``phi`` (link ``log`` when it gets its own formula, default prior
    ``gamma(0.01, 0.01)``). The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "beta"
    links = PROBABILITY_LINKS
    aux = (PHI,)

    def check_values(self, y, column, trials):
        bad = (y <= 0) | (y >= 1)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"response {column!r} of a beta model must lie strictly between 0 "
                             f"and 1; row {i} has {y[i]:g}. Rescale it, e.g. "
                             "(y·(n - 1) + 0.5)/n")

    def log_prob(self, ops, y, eta, aux, extras):
        phi = aux["phi"]
        log_p = self.link.log_p(ops, eta)
        log_q = self.link.log_q(ops, eta)
        a = ops.exp(log_p) * phi
        b = ops.exp(log_q) * phi
        lp = (ops.gammaln(phi) - ops.gammaln(a) - ops.gammaln(b) + (a - 1.0) * ops.log(y)
              + (b - 1.0) * ops.log1p(-y))
        return self.weighted(ops, lp, extras)

    def _shapes(self, ops, eta, aux):
        phi = aux["phi"]
        return ops.exp(self.link.log_p(ops, eta)) * phi, ops.exp(self.link.log_q(ops, eta)) * phi

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y <= y) = log I_y(mu phi, (1 - mu) phi)`` (Stan's ``beta_lcdf``), for left
        censoring and truncation."""
        a, b = self._shapes(ops, eta, aux)
        return ops.log(ops.betainc(a, b, y))

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y > y) = log I_(1-y)((1 - mu) phi, mu phi)`` (Stan's ``beta_lccdf``), for
        right censoring and truncation."""
        a, b = self._shapes(ops, eta, aux)
        return ops.log(ops.betainc(b, a, 1.0 - y))

    def draw(self, rng, eta, aux=None, extras=None):
        mu = self.mean(eta)
        phi = np.asarray((aux or {})["phi"], dtype=float)
        return open_unit_beta(rng, mu * phi, (1.0 - mu) * phi)


def open_unit_beta(rng: np.random.Generator, a, b) -> np.ndarray:
    """Beta(a, b) draws kept inside the family's support ``0 < y < 1``: with small shapes a
    double-precision draw can round to exactly 0 or 1, which the family's own response check
    refuses; those draws move to the nearest representable value inside."""
    y = rng.beta(a, b)
    return np.clip(y, np.nextafter(0.0, 1.0), np.nextafter(1.0, 0.0))


def beta(link: str = "logit") -> Beta:
    """The beta family (brms ``Beta()``).

    Parameters
    ----------
    link
        One of ``logit``, ``probit``, ``cloglog``; default ``"logit"``.

    Returns
    -------
    Beta
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> beta()
    beta(link='logit')
    >>> beta("probit").link_name
    'probit'
    >>> beta("log")
    Traceback (most recent call last):
    ...
    ValueError: family 'beta' has no link 'log'; valid links: logit, probit, cloglog
    """
    return Beta(link)
