"""``zero_inflated_beta``: ``y = 0`` with probability ``zi``, else ``y ~ Beta(mu·phi, (1 -
mu)·phi)``; ``0 <= y < 1``; links logit (default), probit, cloglog. brms 2.18's
``zero_inflated_beta`` (``zero_inflated_beta_logit_lpdf``): a zero has probability ``zi``
(the beta density puts none there), ``posterior_epred`` is ``mu (1 - zi)``."""

from __future__ import annotations

import numpy as np

from .base import Family
from .beta import PHI, open_unit_beta
from .binomial import PROBABILITY_LINKS
from .zero_parts import ZI, hurdle_log_prob, positive_part, zero_draws

__all__ = ["ZeroInflatedBeta", "zero_inflated_beta"]


class ZeroInflatedBeta(Family):
    """brms's ``zero_inflated_beta`` family, as :func:`zero_inflated_beta` makes it.

    Also ``get("zero_inflated_beta")``. Links: ``logit``, ``probit``, ``cloglog`` (the first is
    the default). Auxiliary parameters: ``phi`` (link ``log`` when it gets its own formula,
    default prior ``gamma(0.01, 0.01)``); ``zi`` (link ``logit`` when it gets its own formula,
    default prior ``beta(1, 1)``). The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "zero_inflated_beta"
    links = PROBABILITY_LINKS
    aux = (PHI, ZI)

    def check_values(self, y, column, trials):
        bad = (y < 0) | (y >= 1)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"response {column!r} of a zero_inflated_beta model must lie in "
                             f"[0, 1) (zeros allowed, ones not); row {i} has {y[i]:g}")

    def log_prob(self, ops, y, eta, aux, extras):
        phi = aux["phi"]
        a = ops.exp(self.link.log_p(ops, eta)) * phi
        b = ops.exp(self.link.log_q(ops, eta)) * phi
        yp = positive_part(ops, y, 0.5)
        log_f = (ops.gammaln(phi) - ops.gammaln(a) - ops.gammaln(b) + (a - 1.0) * ops.log(yp)
                 + (b - 1.0) * ops.log1p(-yp))
        return self.weighted(ops, hurdle_log_prob(ops, y, log_f, aux["zi"]), extras)

    def mean(self, eta, aux=None, extras=None):
        return super().mean(eta) * (1.0 - np.asarray((aux or {})["zi"], dtype=float))

    def draw(self, rng, eta, aux=None, extras=None):
        aux = aux or {}
        mu = super().mean(eta)
        phi = np.asarray(aux["phi"], dtype=float)
        return zero_draws(rng, open_unit_beta(rng, mu * phi, (1.0 - mu) * phi), aux["zi"])


def zero_inflated_beta(link: str = "logit") -> ZeroInflatedBeta:
    """The zero-inflated beta family (brms ``zero_inflated_beta()``).

    Parameters
    ----------
    link
        One of ``logit``, ``probit``, ``cloglog``; default ``"logit"``.

    Returns
    -------
    ZeroInflatedBeta
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> zero_inflated_beta()
    zero_inflated_beta(link='logit')
    >>> zero_inflated_beta("probit").link_name
    'probit'
    >>> zero_inflated_beta("log")
    Traceback (most recent call last):
    ...
    ValueError: family 'zero_inflated_beta' has no link 'log'; valid links: logit, probit, cloglog
    """
    return ZeroInflatedBeta(link)
