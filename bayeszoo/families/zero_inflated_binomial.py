"""``zero_inflated_binomial``: ``y = 0`` with probability ``zi``, else ``y ~ Binomial(trials,
mu)``; links logit (default), probit, cloglog; needs ``trials`` (brms's ``y | trials(n)``).
brms 2.18's ``zero_inflated_binomial`` (``zero_inflated_binomial_blogit_logit_lpmf``):
``posterior_epred`` is ``mu · trials · (1 - zi)``."""

from __future__ import annotations

import numpy as np

from .base import Family
from .binomial import PROBABILITY_LINKS, binomial_log_prob, binomial_sides, check_successes
from .zero_parts import ZI, zero_draws, zero_inflated_log_prob

__all__ = ["ZeroInflatedBinomial", "zero_inflated_binomial"]


class ZeroInflatedBinomial(Family):
    """brms's ``zero_inflated_binomial`` family, as :func:`zero_inflated_binomial` makes it.

    Also ``get("zero_inflated_binomial")``. Links: ``logit``, ``probit``, ``cloglog`` (the first
    is the default). Auxiliary parameters: ``zi`` (link ``logit`` when it gets its own formula,
    default prior ``beta(1, 1)``). Needs ``trials`` (brms's ``y | trials(n)``). The intercept's
    default prior is brms's ``student_t(3, location, scale)`` from the response
    (:meth:`Family.default_priors`).
    """

    name = "zero_inflated_binomial"
    links = PROBABILITY_LINKS
    aux = (ZI,)
    accepts = ("trials", "weights")
    requires = ("trials",)
    discrete = True

    def check_values(self, y, column, trials):
        check_successes(y, column, trials, self.name)

    def log_prob(self, ops, y, eta, aux, extras):
        trials = extras["trials"]
        log_f0 = ops.where(trials > 0, trials * self.link.log_q(ops, eta), 0.0)
        lp = zero_inflated_log_prob(ops, y, binomial_log_prob(ops, self.link, y, eta, trials),
                                    log_f0, aux["zi"])
        return self.weighted(ops, lp, extras)

    def boundary_sides(self, y, trials):
        """As the binomial's: a zero's likelihood grows to 1 as ``eta -> -inf``, a success in
        every trial's to ``1 - zi`` as ``eta -> +inf``."""
        return binomial_sides(y, trials)

    def mean(self, eta, aux=None, extras=None):
        p = self.link.inverse_np(np.asarray(eta, dtype=float))
        return p * (extras or {})["trials"] * (1.0 - np.asarray((aux or {})["zi"], dtype=float))

    def draw(self, rng, eta, aux=None, extras=None):
        trials = (extras or {})["trials"].astype(np.int64)
        y = rng.binomial(trials, self.link.inverse_np(np.asarray(eta, dtype=float)))
        return zero_draws(rng, y, (aux or {})["zi"])


def zero_inflated_binomial(link: str = "logit") -> ZeroInflatedBinomial:
    """The zero-inflated binomial family (brms ``zero_inflated_binomial()``); needs
    ``trials``.

    Parameters
    ----------
    link
        One of ``logit``, ``probit``, ``cloglog``; default ``"logit"``.

    Returns
    -------
    ZeroInflatedBinomial
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> zero_inflated_binomial()
    zero_inflated_binomial(link='logit')
    >>> zero_inflated_binomial("probit").link_name
    'probit'
    >>> zero_inflated_binomial("log")
    Traceback (most recent call last):
    ...
    ValueError: family 'zero_inflated_binomial' has no link 'log'; ...
    """
    return ZeroInflatedBinomial(link)
