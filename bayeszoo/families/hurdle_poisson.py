"""``hurdle_poisson``: ``y = 0`` with probability ``hu``, else ``y`` from a Poisson(``mu``)
truncated to ``y > 0``; links log (default), identity. brms 2.18's ``hurdle_poisson``
(``hurdle_poisson_log_logit_lpmf``): ``posterior_epred`` is ``mu / (1 - e^-mu) · (1 - hu)``."""

from __future__ import annotations

import numpy as np

from .base import Family
from .poisson import check_counts
from .zero_inflated_poisson import poisson_log_pmf
from .zero_parts import HU, hurdle_log_prob, zero_draws

__all__ = ["HurdlePoisson", "hurdle_poisson", "positive_count_sides"]


def positive_count_sides(y: np.ndarray, link_positive: bool) -> np.ndarray | None:
    """:meth:`Family.boundary_sides` of a count hurdle on ``mu``: a zero has no likelihood in
    ``mu`` (``nan``); under the log link a one's truncated likelihood grows to 1 as ``eta ->
    -inf`` (``-1``); larger counts peak at a finite ``eta``."""
    if not link_positive:
        return None
    return np.where(y == 0, np.nan, np.where(y == 1, -1.0, 0.0))


class HurdlePoisson(Family):
    """brms's ``hurdle_poisson`` family, as :func:`hurdle_poisson` makes it.

    Also ``get("hurdle_poisson")``. Links: ``log``, ``identity`` (the first is the default).
    Auxiliary parameters: ``hu`` (link ``logit`` when it gets its own formula, default prior
    ``beta(1, 1)``). The intercept's default prior is brms's ``student_t(3, location, scale)``
    from the response (:meth:`Family.default_priors`).
    """

    name = "hurdle_poisson"
    links = ("log", "identity")
    aux = (HU,)
    discrete = True
    positive_mean = True

    def check_values(self, y, column, trials):
        check_counts(y, column, self.name)

    def log_prob(self, ops, y, eta, aux, extras):
        def log_density(e):
            mu = self.link.inverse(ops, e)
            log_f = poisson_log_pmf(ops, y, self.log_mu(ops, e), mu) - ops.log1mexp(-mu)
            return hurdle_log_prob(ops, y, log_f, aux["hu"])

        return self.weighted(ops, self.with_positive_mean(ops, eta, log_density), extras)

    def boundary_sides(self, y, trials):
        return positive_count_sides(y, self.link.positive)

    def mean(self, eta, aux=None, extras=None):
        mu = super().mean(eta)
        return mu / -np.expm1(-mu) * (1.0 - np.asarray((aux or {})["hu"], dtype=float))

    def draw(self, rng, eta, aux=None, extras=None):
        """Zero-truncated Poisson draws exactly as brms's ``posterior_predict``: the first
        arrival ``t`` of the Poisson process given one in ``(0, 1)``, then ``1 +
        Poisson(mu - t)``."""
        mu = super().mean(eta)
        t = -np.log1p(rng.uniform(size=mu.shape) * np.expm1(-mu))
        return zero_draws(rng, 1.0 + rng.poisson(np.maximum(mu - t, 0.0)), (aux or {})["hu"])


def hurdle_poisson(link: str = "log") -> HurdlePoisson:
    """The hurdle Poisson family (brms ``hurdle_poisson()``).

    Parameters
    ----------
    link
        One of ``log``, ``identity``; default ``"log"``.

    Returns
    -------
    HurdlePoisson
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> hurdle_poisson()
    hurdle_poisson(link='log')
    >>> hurdle_poisson("identity").link_name
    'identity'
    >>> hurdle_poisson("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'hurdle_poisson' has no link 'logit'; valid links: log, identity
    """
    return HurdlePoisson(link)
