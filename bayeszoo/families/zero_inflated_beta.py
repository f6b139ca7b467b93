"""``zero_inflated_beta``: ``y = 0`` with probability ``zi``, else ``y ~ Beta(mu·phi, (1 -
mu)·phi)``; ``0 <= y < 1``; links logit (default), probit, cloglog. brms 2.18's
``zero_inflated_beta`` (``zero_inflated_beta_logit_lpdf``): a zero has probability ``zi``
(the beta density puts none there), ``posterior_epred`` is ``mu (1 - zi)``."""

from __future__ import annotations

import numpy as np

from .base import Family
from .beta import PHI
from .binomial import PROBABILITY_LINKS
from .zero_parts import ZI, hurdle_log_prob, positive_part, zero_draws

__all__ = ["ZeroInflatedBeta", "zero_inflated_beta"]


class ZeroInflatedBeta(Family):
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
        return zero_draws(rng, rng.beta(mu * phi, (1.0 - mu) * phi), aux["zi"])


def zero_inflated_beta(link: str = "logit") -> ZeroInflatedBeta:
    """The zero-inflated beta family (brms ``zero_inflated_beta()``)."""
    return ZeroInflatedBeta(link)
