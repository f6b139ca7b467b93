"""``hurdle_negbinomial``: ``y = 0`` with probability ``hu``, else ``y`` from a
NegBinomial(``mu``, ``shape``) truncated to ``y > 0``; links log (default), identity. brms
2.18's ``hurdle_negbinomial`` (``hurdle_neg_binomial_log_logit_lpmf``): ``posterior_epred``
is ``mu / (1 - (shape / (mu + shape))^shape) · (1 - hu)``."""

from __future__ import annotations

import numpy as np

from .base import Family
from .hurdle_poisson import positive_count_sides
from .negbinomial import SHAPE, negbinomial_log_pmf, negbinomial_log_zero
from .poisson import check_counts
from .zero_parts import HU, hurdle_log_prob, zero_draws

__all__ = ["HurdleNegBinomial", "hurdle_negbinomial", "positive_negbinomial_draws"]

REDRAWS = 20


def positive_negbinomial_draws(rng: np.random.Generator, mu: np.ndarray,
                               shape: np.ndarray) -> np.ndarray:
    """Draws of NegBinomial(``mu``, ``shape``) given ``y > 0``, exactly: zeros are drawn again
    (up to ``REDRAWS`` times) and the few left are inverted from a uniform above ``P(0)``
    (brms's ``posterior_predict`` shifts the mean instead, an approximation)."""
    from scipy import stats

    mu, shape = np.broadcast_arrays(np.asarray(mu, dtype=float), np.asarray(shape, dtype=float))
    y = np.zeros(mu.shape)
    todo = np.ones(mu.shape, dtype=bool)
    for _ in range(REDRAWS):
        if not todo.any():
            return y
        m, s = mu[todo], shape[todo]
        y[todo] = rng.poisson(rng.gamma(s, m / s))
        todo = y == 0
    m, s = mu[todo], shape[todo]
    p = s / (s + m)
    p0 = p**s
    y[todo] = stats.nbinom.ppf(p0 + rng.uniform(size=m.shape) * (1.0 - p0), s, p)
    return np.maximum(y, 1.0)


class HurdleNegBinomial(Family):
    """brms's ``hurdle_negbinomial`` family, as :func:`hurdle_negbinomial` makes it.

    Also ``get("hurdle_negbinomial")``. Links: ``log``, ``identity`` (the first is the default).
    Auxiliary parameters: ``shape`` (link ``log`` when it gets its own formula, default prior
    ``gamma(0.01, 0.01)``); ``hu`` (link ``logit`` when it gets its own formula, default prior
    ``beta(1, 1)``). The intercept's default prior is brms's ``student_t(3, location, scale)``
    from the response (:meth:`Family.default_priors`).
    """

    name = "hurdle_negbinomial"
    links = ("log", "identity")
    aux = (SHAPE, HU)
    discrete = True
    positive_mean = True

    def check_values(self, y, column, trials):
        check_counts(y, column, self.name)

    def log_prob(self, ops, y, eta, aux, extras):
        shape = aux["shape"]

        def log_density(e):
            log_mu = self.log_mu(ops, e)
            log_f = (negbinomial_log_pmf(ops, y, log_mu, shape)
                     - ops.log1mexp(negbinomial_log_zero(ops, log_mu, shape)))
            return hurdle_log_prob(ops, y, log_f, aux["hu"])

        return self.weighted(ops, self.with_positive_mean(ops, eta, log_density), extras)

    def boundary_sides(self, y, trials):
        return positive_count_sides(y, self.link.positive)

    def mean(self, eta, aux=None, extras=None):
        aux = aux or {}
        mu = super().mean(eta)
        shape = np.asarray(aux["shape"], dtype=float)
        p0 = (shape / (mu + shape)) ** shape
        return mu / (1.0 - p0) * (1.0 - np.asarray(aux["hu"], dtype=float))

    def draw(self, rng, eta, aux=None, extras=None):
        aux = aux or {}
        positive = positive_negbinomial_draws(rng, super().mean(eta), aux["shape"])
        return zero_draws(rng, positive, aux["hu"])


def hurdle_negbinomial(link: str = "log") -> HurdleNegBinomial:
    """The hurdle negative binomial family (brms ``hurdle_negbinomial()``).

    Parameters
    ----------
    link
        One of ``log``, ``identity``; default ``"log"``.

    Returns
    -------
    HurdleNegBinomial
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> hurdle_negbinomial()
    hurdle_negbinomial(link='log')
    >>> hurdle_negbinomial("identity").link_name
    'identity'
    >>> hurdle_negbinomial("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'hurdle_negbinomial' has no link 'logit'; valid links: log, identity
    """
    return HurdleNegBinomial(link)
