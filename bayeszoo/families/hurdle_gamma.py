"""``hurdle_gamma``: ``y = 0`` with probability ``hu``, else ``y ~ Gamma(shape, rate = shape /
mu)``; ``y >= 0``; links log (default), identity, inverse. brms 2.18's ``hurdle_gamma``
(``hurdle_gamma_logit_lpdf``): ``posterior_epred`` is ``mu (1 - hu)``."""

from __future__ import annotations

import numpy as np

from .base import Family
from .gamma import SHAPE
from .zero_parts import HU, hurdle_log_prob, positive_part, zero_draws

__all__ = ["HurdleGamma", "check_non_negative", "hurdle_gamma"]


def check_non_negative(y: np.ndarray, column: str, family: str) -> None:
    """A hurdle's continuous response: zeros or positive values."""
    bad = y < 0
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"response {column!r} of a {family} model must be zero or positive; "
                         f"row {i} has {y[i]:g}")


class HurdleGamma(Family):
    """brms's ``hurdle_gamma`` family, as :func:`hurdle_gamma` makes it.

    Also ``get("hurdle_gamma")``. Links: ``log``, ``identity``, ``inverse`` (the first is the
    default). Auxiliary parameters: ``shape`` (link ``log`` when it gets its own formula,
    default prior ``gamma(0.01, 0.01)``); ``hu`` (link ``logit`` when it gets its own formula,
    default prior ``beta(1, 1)``). The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "hurdle_gamma"
    links = ("log", "identity", "inverse")
    aux = (SHAPE, HU)
    positive_mean = True

    def check_values(self, y, column, trials):
        check_non_negative(y, column, self.name)

    def log_prob(self, ops, y, eta, aux, extras):
        shape = aux["shape"]
        yp = positive_part(ops, y)

        def log_density(e):
            log_mu = self.log_mu(ops, e)
            log_f = (shape * (ops.log(shape) - log_mu) + (shape - 1.0) * ops.log(yp)
                     - shape * yp * ops.exp(-log_mu) - ops.gammaln(shape))
            return hurdle_log_prob(ops, y, log_f, aux["hu"])

        return self.weighted(ops, self.with_positive_mean(ops, eta, log_density), extras)

    def mean(self, eta, aux=None, extras=None):
        return super().mean(eta) * (1.0 - np.asarray((aux or {})["hu"], dtype=float))

    def draw(self, rng, eta, aux=None, extras=None):
        aux = aux or {}
        mu = super().mean(eta)
        shape = np.asarray(aux["shape"], dtype=float)
        return zero_draws(rng, rng.gamma(shape, mu / shape), aux["hu"])


def hurdle_gamma(link: str = "log") -> HurdleGamma:
    """The hurdle gamma family (brms ``hurdle_gamma()``).

    Parameters
    ----------
    link
        One of ``log``, ``identity``, ``inverse``; default ``"log"``.

    Returns
    -------
    HurdleGamma
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> hurdle_gamma()
    hurdle_gamma(link='log')
    >>> hurdle_gamma("identity").link_name
    'identity'
    >>> hurdle_gamma("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'hurdle_gamma' has no link 'logit'; valid links: log, identity, inverse
    """
    return HurdleGamma(link)
