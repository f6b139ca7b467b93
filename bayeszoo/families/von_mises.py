"""``von_mises``: angles ``y`` in ``[-pi, pi]`` with mean direction ``mu`` and concentration
``kappa``; links tan_half (default, ``mu = 2 atan(eta)``), identity.

brms 2.18's ``von_mises`` (``inst/chunks/fun_von_mises.stan``): the density ``exp(kappa
cos(y - mu)) / (2 pi I_0(kappa))`` for ``kappa < 100`` and, for numerical stability, the
normal ``Normal(mu, 1 / sqrt(kappa))`` above; ``kappa`` has the default prior ``gamma(2,
0.01)`` (``normal(5.0, 0.8)`` for the intercept of its formula, log link);
``posterior_epred`` is ``mu``. Its distribution functions (:mod:`.von_mises_cdf`, brms's
``pvon_mises``: the mass from ``-pi`` to ``y``) let ``cens()`` and ``trunc()`` censor and
truncate the response, as brms 2.18's family allows (its ``log_lik`` scores them with
``pvon_mises``; its Stan code would call ``von_mises_real_lccdf``, which its function library
lacks).
"""

from __future__ import annotations

import math

import numpy as np

from .base import AuxParameter, Family
from .von_mises_cdf import log_cdf, log_sf

__all__ = ["VonMises", "von_mises"]

KAPPA = AuxParameter("kappa", 0.0, "log", "gamma(2, 0.01)", "normal(5.0, 0.8)")
LOG_2PI = math.log(2.0 * math.pi)
NORMAL_ABOVE = 100.0


class VonMises(Family):
    """brms's ``von_mises`` family, as :func:`von_mises` makes it.

    Also ``get("von_mises")``. Links: ``tan_half``, ``identity`` (the first is the default).
    Auxiliary parameters: ``kappa`` (link ``log`` when it gets its own formula, default prior
    ``gamma(2, 0.01)``). The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "von_mises"
    links = ("tan_half", "identity")
    aux = (KAPPA,)

    def check_values(self, y, column, trials):
        bad = (y < -math.pi) | (y > math.pi)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"response {column!r} of a von_mises model must be an angle in "
                             f"[-pi, pi] (radians); row {i} has {y[i]:g}")

    def log_prob(self, ops, y, eta, aux, extras):
        kappa = aux["kappa"]
        mu = self.link.inverse(ops, eta)
        exact = kappa * ops.cos(y - mu) - LOG_2PI - ops.log_i0(kappa)
        normal = 0.5 * (ops.log(kappa) - LOG_2PI) - 0.5 * kappa * ops.square(y - mu)
        return self.weighted(ops, ops.where(kappa < NORMAL_ABOVE, exact, normal), extras)

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y <= y)``, the mass from ``-pi`` to ``y``, for left censoring and upper
        truncation."""
        return log_cdf(ops, y, self.link.inverse(ops, eta), aux["kappa"])

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y > y)``, the mass from ``y`` to ``pi``, for right censoring and lower
        truncation."""
        return log_sf(ops, y, self.link.inverse(ops, eta), aux["kappa"])

    def draw(self, rng, eta, aux=None, extras=None):
        mu = self.mean(eta)
        kappa = np.broadcast_to(np.asarray((aux or {})["kappa"], dtype=float), mu.shape)
        return rng.vonmises(mu, kappa)


def von_mises(link: str = "tan_half") -> VonMises:
    """The von Mises family (brms ``von_mises()``).

    Parameters
    ----------
    link
        One of ``tan_half``, ``identity``; default ``"tan_half"``.

    Returns
    -------
    VonMises
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> von_mises()
    von_mises(link='tan_half')
    >>> von_mises("identity").link_name
    'identity'
    >>> von_mises("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'von_mises' has no link 'logit'; valid links: tan_half, identity
    """
    return VonMises(link)
