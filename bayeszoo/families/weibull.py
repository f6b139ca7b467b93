"""``weibull``: ``y ~ Weibull(shape, scale = mu / Γ(1 + 1/shape))``, ``y > 0``; links log
(default), identity, inverse. brms 2.18's ``weibull`` (``stan_log_lik_weibull``): ``mu`` is
the mean (``posterior_epred``), ``shape`` has the default prior ``gamma(0.01, 0.01)``."""

from __future__ import annotations

import numpy as np
from scipy import special

from .base import AuxParameter, Family
from .lognormal import check_positive

__all__ = ["Weibull", "weibull"]

SHAPE = AuxParameter("shape", 0.0, "log", "gamma(0.01, 0.01)", "student_t(3, 0, 2.5)")


class Weibull(Family):
    """brms's ``weibull`` family, as :func:`weibull` makes it.

    Also ``get("weibull")``. Links: ``log``, ``identity``, ``inverse`` (the first is the
    default). Auxiliary parameters: ``shape`` (link ``log`` when it gets its own formula,
    default prior ``gamma(0.01, 0.01)``). The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "weibull"
    links = ("log", "identity", "inverse")
    aux = (SHAPE,)
    positive_mean = True

    def check_values(self, y, column, trials):
        check_positive(y, column, self.name)

    def _log_scale(self, ops, eta, shape):
        return self.log_mu(ops, eta) - ops.gammaln(1.0 + 1.0 / shape)

    def log_prob(self, ops, y, eta, aux, extras):
        shape = aux["shape"]

        def log_density(e):
            log_z = ops.log(y) - self._log_scale(ops, e, shape)
            return ops.log(shape) - ops.log(y) + shape * log_z - ops.exp(shape * log_z)

        return self.weighted(ops, self.with_positive_mean(ops, eta, log_density), extras)

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y > y) = -(y / scale)^shape``, for right censoring."""
        shape = aux["shape"]
        return -ops.exp(shape * (ops.log(y) - self._log_scale(ops, eta, shape)))

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y <= y)``, for left censoring."""
        return ops.log1mexp(self.lccdf(ops, y, eta, aux))

    def draw(self, rng, eta, aux=None, extras=None):
        mu = self.mean(eta)
        shape = np.asarray((aux or {})["shape"], dtype=float)
        scale = mu / special.gamma(1.0 + 1.0 / shape)
        return scale * rng.weibull(np.broadcast_to(shape, mu.shape))


def weibull(link: str = "log") -> Weibull:
    """The Weibull family (brms ``weibull()``).

    Parameters
    ----------
    link
        One of ``log``, ``identity``, ``inverse``; default ``"log"``.

    Returns
    -------
    Weibull
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> weibull()
    weibull(link='log')
    >>> weibull("identity").link_name
    'identity'
    >>> weibull("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'weibull' has no link 'logit'; valid links: log, identity, inverse
    """
    return Weibull(link)
