"""``exponential``: ``y ~ Exponential(rate = 1 / mu)``, ``y > 0``; links log (default),
identity, inverse. brms 2.18's ``exponential``: ``mu`` is the mean (``posterior_epred``)."""

from __future__ import annotations

from .base import Family
from .lognormal import check_positive

__all__ = ["Exponential", "exponential"]


class Exponential(Family):
    """brms's ``exponential`` family, as :func:`exponential` makes it.

    Also ``get("exponential")``. Links: ``log``, ``identity``, ``inverse`` (the first is the
    default). No auxiliary parameter. The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "exponential"
    links = ("log", "identity", "inverse")
    positive_mean = True

    def check_values(self, y, column, trials):
        check_positive(y, column, self.name)

    def log_prob(self, ops, y, eta, aux, extras):
        def log_density(e):
            log_mu = self.log_mu(ops, e)
            return -log_mu - y * ops.exp(-log_mu)

        return self.weighted(ops, self.with_positive_mean(ops, eta, log_density), extras)

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y > y) = -y / mu``, for right censoring."""
        return -y * ops.exp(-self.log_mu(ops, eta))

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y <= y) = log(1 - e^(-y / mu))``, for left censoring."""
        return ops.log1mexp(self.lccdf(ops, y, eta, aux))

    def draw(self, rng, eta, aux=None, extras=None):
        return rng.exponential(self.mean(eta))


def exponential(link: str = "log") -> Exponential:
    """The exponential family (brms ``exponential()``).

    Parameters
    ----------
    link
        One of ``log``, ``identity``, ``inverse``; default ``"log"``.

    Returns
    -------
    Exponential
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> exponential()
    exponential(link='log')
    >>> exponential("identity").link_name
    'identity'
    >>> exponential("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'exponential' has no link 'logit'; valid links: log, identity, inverse
    """
    return Exponential(link)
