"""``student``: ``y ~ Student-t(nu, mu, sigma)``; links identity (default), log, inverse.

``nu`` lives on ``(1, inf)`` and brms models it on the ``logm1`` link (``nu = 1 + exp(eta)``);
its default prior is ``gamma(2, 0.1)``. With ``y | se(s)`` the scale of row ``i`` is ``s_i``
and ``sigma`` is not estimated (brms's ``se()`` default ``sigma = FALSE``); a ``sigma`` given
as well adds in quadrature.
"""

from __future__ import annotations

import math

import numpy as np

from .base import AuxParameter, Family
from .gaussian import SIGMA

__all__ = ["Student", "student"]

NU = AuxParameter("nu", 1.0, "logm1", "gamma(2, 0.1)", "normal(2.7, 0.8)")
LOG_PI = math.log(math.pi)


class Student(Family):
    """brms's ``student`` family, as :func:`student` makes it.

    Also ``get("student")``. Links: ``identity``, ``log``, ``inverse`` (the first is the
    default). Auxiliary parameters: ``sigma`` (link ``log`` when it gets its own formula,
    default prior a half Student-t with brms's ``def_scale_prior`` scale computed from the
    response); ``nu`` (link ``logm1`` when it gets its own formula, default prior
    ``gamma(2, 0.1)``). The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "student"
    links = ("identity", "log", "inverse")
    aux = (SIGMA, NU)
    accepts = ("weights", "se")

    def aux_parameters(self, additions=()):
        return (NU,) if "se" in additions else self.aux

    def _scale(self, ops, aux, extras):
        se, sigma = (extras or {}).get("se"), aux.get("sigma")
        if se is None:
            return sigma
        return se if sigma is None else ops.sqrt(ops.square(se) + ops.square(sigma))

    def log_prob(self, ops, y, eta, aux, extras):
        nu = aux["nu"]
        scale = self._scale(ops, aux, extras)
        z = (y - self.link.inverse(ops, eta)) / scale
        lp = (ops.gammaln(0.5 * (nu + 1.0)) - ops.gammaln(0.5 * nu) - 0.5 * (ops.log(nu) + LOG_PI)
              - ops.log(scale) - 0.5 * (nu + 1.0) * ops.log1p(ops.square(z) / nu))
        return self.weighted(ops, lp, extras)

    def _log_tails(self, ops, y, eta, aux, extras):
        """``z = (y - mu) / scale`` and ``log P(T > |z|)``, ``log P(T <= |z|)`` of a standard
        Student-t ``T``: ``P(T > |z|) = I_x(nu/2, 1/2) / 2`` with ``x = nu / (nu + z²)``."""
        nu = aux["nu"]
        z = (y - self.link.inverse(ops, eta)) / self._scale(ops, aux, extras)
        tail = 0.5 * ops.betainc(0.5 * nu, 0.5, nu / (nu + ops.square(z)))
        return z, ops.log(tail), ops.log1p(-tail)

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y <= y)`` (Stan's ``student_t_lcdf``), for left censoring and truncation."""
        z, log_far, log_near = self._log_tails(ops, y, eta, aux, extras)
        return ops.where(z < 0.0, log_far, log_near)

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y > y)`` (Stan's ``student_t_lccdf``), for right censoring and truncation."""
        z, log_far, log_near = self._log_tails(ops, y, eta, aux, extras)
        return ops.where(z > 0.0, log_far, log_near)

    def draw(self, rng, eta, aux=None, extras=None):
        aux, extras = aux or {}, extras or {}
        mu = self.mean(eta)
        se, sigma = extras.get("se"), aux.get("sigma")
        scale = sigma if se is None else (se if sigma is None else np.sqrt(se**2 + sigma**2))
        return mu + np.asarray(scale, dtype=float) * rng.standard_t(aux["nu"], size=mu.shape)


def student(link: str = "identity") -> Student:
    """The Student-t family (brms ``student()``).

    Parameters
    ----------
    link
        One of ``identity``, ``log``, ``inverse``; default ``"identity"``.

    Returns
    -------
    Student
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> student()
    student(link='identity')
    >>> student("log").link_name
    'log'
    >>> student("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'student' has no link 'logit'; valid links: identity, log, inverse
    """
    return Student(link)
