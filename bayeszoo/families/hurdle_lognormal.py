"""``hurdle_lognormal``: ``y = 0`` with probability ``hu``, else ``log y ~ Normal(mu,
sigma)``; ``y >= 0``; links identity (default), inverse. brms 2.18's ``hurdle_lognormal``
(``hurdle_lognormal_logit_lpdf``): ``posterior_epred`` is ``exp(mu + sigma²/2) (1 - hu)``;
the default priors read ``log y`` with zeros as 0.1 (brms's ``logscale`` family)."""

from __future__ import annotations

import numpy as np

from .base import Family
from .gaussian import SIGMA
from .hurdle_gamma import check_non_negative
from .lognormal import lognormal_log_pdf
from .zero_parts import HU, hurdle_log_prob, positive_part, zero_draws

__all__ = ["HurdleLognormal", "hurdle_lognormal"]


class HurdleLognormal(Family):
    """brms's ``hurdle_lognormal`` family, as :func:`hurdle_lognormal` makes it.

    Also ``get("hurdle_lognormal")``. Links: ``identity``, ``inverse`` (the first is the
    default). Auxiliary parameters: ``sigma`` (link ``log`` when it gets its own formula,
    default prior a half Student-t with brms's ``def_scale_prior`` scale computed from the
    response); ``hu`` (link ``logit`` when it gets its own formula, default prior
    ``beta(1, 1)``). The intercept's default prior is brms's ``student_t(3, location, scale)``
    from the response (:meth:`Family.default_priors`).
    """

    name = "hurdle_lognormal"
    links = ("identity", "inverse")
    aux = (SIGMA, HU)

    def check_values(self, y, column, trials):
        check_non_negative(y, column, self.name)

    def scale_link(self, link):
        return "log"

    def log_prob(self, ops, y, eta, aux, extras):
        log_f = lognormal_log_pdf(ops, positive_part(ops, y), self.link.inverse(ops, eta),
                                  aux["sigma"])
        return self.weighted(ops, hurdle_log_prob(ops, y, log_f, aux["hu"]), extras)

    def mean(self, eta, aux=None, extras=None):
        aux = aux or {}
        sigma = np.asarray(aux["sigma"], dtype=float)
        return np.exp(super().mean(eta) + 0.5 * sigma**2) * (
            1.0 - np.asarray(aux["hu"], dtype=float))

    def draw(self, rng, eta, aux=None, extras=None):
        aux = aux or {}
        mu = super().mean(eta)
        sigma = np.broadcast_to(np.asarray(aux["sigma"], dtype=float), mu.shape)
        return zero_draws(rng, rng.lognormal(mu, sigma), aux["hu"])


def hurdle_lognormal(link: str = "identity") -> HurdleLognormal:
    """The hurdle lognormal family (brms ``hurdle_lognormal()``).

    Parameters
    ----------
    link
        One of ``identity``, ``inverse``; default ``"identity"``.

    Returns
    -------
    HurdleLognormal
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> hurdle_lognormal()
    hurdle_lognormal(link='identity')
    >>> hurdle_lognormal("inverse").link_name
    'inverse'
    >>> hurdle_lognormal("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'hurdle_lognormal' has no link 'logit'; valid links: identity, inverse
    """
    return HurdleLognormal(link)
