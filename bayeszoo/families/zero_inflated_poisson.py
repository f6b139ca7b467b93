"""``zero_inflated_poisson``: ``y = 0`` with probability ``zi``, else ``y ~ Poisson(mu)``;
links log (default), identity. brms 2.18's ``zero_inflated_poisson`` (Stan function
``zero_inflated_poisson_log_lpmf``): ``posterior_epred`` is ``mu (1 - zi)``."""

from __future__ import annotations

import numpy as np

from .base import Family
from .poisson import check_counts
from .zero_parts import ZI, zero_draws, zero_inflated_log_prob

__all__ = ["ZeroInflatedPoisson", "poisson_log_pmf", "zero_inflated_poisson"]


def poisson_log_pmf(ops, y, log_mu, mu):
    """``log Poisson(y | mu)`` from ``log mu`` and ``mu`` (``0 log 0 = 0``)."""
    return ops.where(y > 0, y * log_mu, 0.0) - mu - ops.gammaln(y + 1.0)


class ZeroInflatedPoisson(Family):
    """brms's ``zero_inflated_poisson`` family, as :func:`zero_inflated_poisson` makes it.

    Also ``get("zero_inflated_poisson")``. Links: ``log``, ``identity`` (the first is the
    default). Auxiliary parameters: ``zi`` (link ``logit`` when it gets its own formula, default
    prior ``beta(1, 1)``). The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "zero_inflated_poisson"
    links = ("log", "identity")
    aux = (ZI,)
    discrete = True
    positive_mean = True

    def check_values(self, y, column, trials):
        check_counts(y, column, self.name)

    def log_prob(self, ops, y, eta, aux, extras):
        def log_density(e):
            mu = self.link.inverse(ops, e)
            return zero_inflated_log_prob(ops, y, poisson_log_pmf(ops, y, self.log_mu(ops, e), mu),
                                          -mu, aux["zi"])

        return self.weighted(ops, self.with_positive_mean(ops, eta, log_density), extras)

    def boundary_sides(self, y, trials):
        """Under the log link a zero's likelihood grows to 1 as ``eta -> -inf``."""
        return np.where(y == 0, -1.0, 0.0) if self.link.positive else None

    def mean(self, eta, aux=None, extras=None):
        return super().mean(eta) * (1.0 - np.asarray((aux or {})["zi"], dtype=float))

    def draw(self, rng, eta, aux=None, extras=None):
        return zero_draws(rng, rng.poisson(super().mean(eta)), (aux or {})["zi"])


def zero_inflated_poisson(link: str = "log") -> ZeroInflatedPoisson:
    """The zero-inflated Poisson family (brms ``zero_inflated_poisson()``).

    Parameters
    ----------
    link
        One of ``log``, ``identity``; default ``"log"``.

    Returns
    -------
    ZeroInflatedPoisson
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> zero_inflated_poisson()
    zero_inflated_poisson(link='log')
    >>> zero_inflated_poisson("identity").link_name
    'identity'
    >>> zero_inflated_poisson("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'zero_inflated_poisson' has no link 'logit'; valid links: log, identity
    """
    return ZeroInflatedPoisson(link)
