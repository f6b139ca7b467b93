"""Link functions: ``identity``, ``log``, ``logit``, ``probit``, ``cloglog``, ``inverse``,
``tan_half`` (brms's link of the von Mises mean, ``mu = 2 atan(eta)`` in ``(-pi, pi)``) for
``mu``, and ``logm1`` (brms's link of ``nu``, ``nu = 1 + exp(eta)``).

Each :class:`Link` has the link ``g(mu)`` and its inverse on NumPy arrays, the inverse on any
backend through an :mod:`~bayeszoo.families.ops` namespace, and the first three derivatives of
``mu(eta)`` that penalized IRLS and the Laplace REML criterion need (R's ``make.link`` and
mgcv's ``fix.family.link`` give the same quantities as derivatives of ``g``; these are the
derivatives of its inverse). Probability links also give ``log mu`` and ``log(1 - mu)`` in a
numerically stable form, so that Bernoulli and binomial log densities never evaluate
``log(0)`` for a finite ``eta``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

__all__ = ["LINKS", "Link", "get_link"]


@dataclass(frozen=True)
class Link:
    """One link. ``derivatives(eta)`` returns ``(mu, dmu, d2mu, d3mu)`` w.r.t. ``eta`` (NumPy).

    Parameters
    ----------
    name
        R's name of the link (``"logit"``, ...).
    link
        ``g(mu)`` on NumPy arrays.
    inverse_np
        ``g⁻¹(eta)`` on NumPy arrays.
    inverse_ops
        ``g⁻¹`` on any backend: called as ``inverse_ops(ops, eta)``.
    derivatives
        ``eta -> (mu, dmu/deta, d²mu/deta², d³mu/deta³)``, what penalized IRLS and the Laplace
        REML criterion read (mgcv's ``fix.family.link`` quantities, here of the inverse link).
    log_p, log_q
        Probability links: stable ``log mu`` and ``log(1 - mu)`` as ``(ops, eta) -> array``;
        ``None`` for other links.
    eta_domain
        ``"real"``, or ``"positive"`` where ``g⁻¹`` needs ``eta > 0`` (``inverse``).
    positive
        Whether ``g⁻¹`` maps every ``eta`` to a positive mean (``log``, ``logit``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> logit = LINKS["logit"]
    >>> logit(np.array([0.5])), logit.inverse_np(np.array([0.0]))
    (array([0.]), array([0.5]))
    """

    name: str
    link: Callable[[np.ndarray], np.ndarray]
    inverse_np: Callable[[np.ndarray], np.ndarray]
    inverse_ops: Callable[[Any, Any], Any]
    derivatives: Callable[[np.ndarray], tuple[np.ndarray, ...]]
    log_p: Callable[[Any, Any], Any] | None = None
    log_q: Callable[[Any, Any], Any] | None = None
    eta_domain: str = "real"  # "real" or "positive" (inverse: mu = 1/eta needs eta > 0)
    positive: bool = False  # g⁻¹ maps every eta to a positive mean (log, logit, ...)

    def inverse(self, ops, eta):
        """``mu = g⁻¹(eta)`` on the backend of ``ops``."""
        return self.inverse_ops(ops, eta)

    def __call__(self, mu: np.ndarray) -> np.ndarray:
        return self.link(np.asarray(mu, dtype=float))


def _identity_derivs(eta):
    eta = np.asarray(eta, dtype=float)
    one = np.ones_like(eta)
    return eta, one, 0 * one, 0 * one


def _log_derivs(eta):
    mu = np.exp(np.asarray(eta, dtype=float))
    return mu, mu, mu, mu


def _logit_derivs(eta):
    mu = special.expit(np.asarray(eta, dtype=float))
    q = special.expit(-np.asarray(eta, dtype=float))
    d1 = mu * q
    return mu, d1, d1 * (q - mu), d1 * (1.0 - 6.0 * d1)


def _probit_derivs(eta):
    eta = np.asarray(eta, dtype=float)
    dens = np.exp(-0.5 * eta**2) / np.sqrt(2.0 * np.pi)
    return special.ndtr(eta), dens, -eta * dens, (eta**2 - 1.0) * dens


def _cloglog_derivs(eta):
    eta = np.asarray(eta, dtype=float)
    e = np.exp(eta)
    d1 = np.exp(eta - e)
    return -np.expm1(-e), d1, d1 * (1.0 - e), d1 * ((1.0 - e) ** 2 - e)


def _inverse_derivs(eta):
    eta = np.asarray(eta, dtype=float)
    return 1.0 / eta, -1.0 / eta**2, 2.0 / eta**3, -6.0 / eta**4


def _logm1_derivs(eta):
    e = np.exp(np.asarray(eta, dtype=float))
    return 1.0 + e, e, e, e


def _tan_half_derivs(eta):
    eta = np.asarray(eta, dtype=float)
    u = 1.0 + eta**2
    return 2.0 * np.arctan(eta), 2.0 / u, -4.0 * eta / u**2, (12.0 * eta**2 - 4.0) / u**3


LINKS: dict[str, Link] = {
    "identity": Link("identity", lambda mu: mu, lambda eta: np.asarray(eta, dtype=float),
                     lambda ops, eta: eta, _identity_derivs),
    "log": Link("log", np.log, np.exp, lambda ops, eta: ops.exp(eta), _log_derivs,
                positive=True),
    "logit": Link("logit", special.logit, special.expit,
                  lambda ops, eta: ops.exp(ops.log_sigmoid(eta)), _logit_derivs,
                  log_p=lambda ops, eta: ops.log_sigmoid(eta),
                  log_q=lambda ops, eta: ops.log_sigmoid(-eta), positive=True),
    "probit": Link("probit", special.ndtri, special.ndtr,
                   lambda ops, eta: ops.exp(ops.log_ndtr(eta)), _probit_derivs,
                   log_p=lambda ops, eta: ops.log_ndtr(eta),
                   log_q=lambda ops, eta: ops.log_ndtr(-eta), positive=True),
    "cloglog": Link("cloglog", lambda mu: np.log(-np.log1p(-mu)),
                    lambda eta: -np.expm1(-np.exp(eta)),
                    lambda ops, eta: -ops.expm1(-ops.exp(eta)), _cloglog_derivs,
                    log_p=lambda ops, eta: ops.log1mexp(-ops.exp(eta)),
                    log_q=lambda ops, eta: -ops.exp(eta), positive=True),
    "inverse": Link("inverse", lambda mu: 1.0 / mu, lambda eta: 1.0 / np.asarray(eta, float),
                    lambda ops, eta: 1.0 / eta, _inverse_derivs, eta_domain="positive"),
    "logm1": Link("logm1", lambda mu: np.log(mu - 1.0), lambda eta: 1.0 + np.exp(eta),
                  lambda ops, eta: 1.0 + ops.exp(eta), _logm1_derivs, positive=True),
    "tan_half": Link("tan_half", lambda mu: np.tan(mu / 2.0), lambda eta: 2.0 * np.arctan(eta),
                     lambda ops, eta: 2.0 * ops.arctan(eta), _tan_half_derivs),
}


def get_link(name: str, allowed: tuple[str, ...], family: str) -> Link:
    """The link ``name`` if ``family`` allows it, else ``ValueError`` listing the allowed."""
    if not isinstance(name, str) or name not in allowed:
        raise ValueError(f"family {family!r} has no link {name!r}; "
                         f"valid links: {', '.join(allowed)}")
    return LINKS[name]
