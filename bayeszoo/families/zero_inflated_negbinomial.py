"""``zero_inflated_negbinomial``: ``y = 0`` with probability ``zi``, else ``y ~
NegBinomial(mu, shape)`` (``var = mu + mu²/shape``); links log (default), identity. brms
2.18's ``zero_inflated_negbinomial`` (``zero_inflated_neg_binomial_log_lpmf``):
``posterior_epred`` is ``mu (1 - zi)``."""

from __future__ import annotations

import numpy as np

from .base import Family
from .negbinomial import SHAPE, negbinomial_log_pmf, negbinomial_log_zero
from .poisson import check_counts
from .zero_parts import ZI, zero_draws, zero_inflated_log_prob

__all__ = ["ZeroInflatedNegBinomial", "zero_inflated_negbinomial"]


class ZeroInflatedNegBinomial(Family):
    """brms's ``zero_inflated_negbinomial`` family, as :func:`zero_inflated_negbinomial` makes it.

    Also ``get("zero_inflated_negbinomial")``. Links: ``log``, ``identity`` (the first is the
    default). Auxiliary parameters: ``shape`` (link ``log`` when it gets its own formula,
    default prior ``gamma(0.01, 0.01)``); ``zi`` (link ``logit`` when it gets its own formula,
    default prior ``beta(1, 1)``). The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "zero_inflated_negbinomial"
    links = ("log", "identity")
    aux = (SHAPE, ZI)
    discrete = True
    positive_mean = True

    def check_values(self, y, column, trials):
        check_counts(y, column, self.name)

    def log_prob(self, ops, y, eta, aux, extras):
        shape = aux["shape"]

        def log_density(e):
            log_mu = self.log_mu(ops, e)
            return zero_inflated_log_prob(ops, y, negbinomial_log_pmf(ops, y, log_mu, shape),
                                          negbinomial_log_zero(ops, log_mu, shape), aux["zi"])

        return self.weighted(ops, self.with_positive_mean(ops, eta, log_density), extras)

    def boundary_sides(self, y, trials):
        """Under the log link a zero's likelihood grows to 1 as ``eta -> -inf``."""
        return np.where(y == 0, -1.0, 0.0) if self.link.positive else None

    def mean(self, eta, aux=None, extras=None):
        return super().mean(eta) * (1.0 - np.asarray((aux or {})["zi"], dtype=float))

    def draw(self, rng, eta, aux=None, extras=None):
        aux = aux or {}
        mu = super().mean(eta)
        shape = np.asarray(aux["shape"], dtype=float)
        return zero_draws(rng, rng.poisson(rng.gamma(shape, mu / shape)), aux["zi"])


def zero_inflated_negbinomial(link: str = "log") -> ZeroInflatedNegBinomial:
    """The zero-inflated negative binomial family (brms ``zero_inflated_negbinomial()``).

    Parameters
    ----------
    link
        One of ``log``, ``identity``; default ``"log"``.

    Returns
    -------
    ZeroInflatedNegBinomial
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> zero_inflated_negbinomial()
    zero_inflated_negbinomial(link='log')
    >>> zero_inflated_negbinomial("identity").link_name
    'identity'
    >>> zero_inflated_negbinomial("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'zero_inflated_negbinomial' has no link 'logit'; valid links: log, identity
    """
    return ZeroInflatedNegBinomial(link)
