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
    """The zero-inflated Poisson family (brms ``zero_inflated_poisson()``)."""
    return ZeroInflatedPoisson(link)
