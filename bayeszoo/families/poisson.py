"""``poisson``: ``y ~ Poisson(mu)``; links log (default), identity. REML as mgcv's ``poisson``
(known scale; saturated likelihood ``Σ w · dpois(y, y, log = TRUE)``)."""

from __future__ import annotations

import numpy as np
from scipy import special

from .base import Family, Response
from .censoring import has_censoring
from .glm import EPS, DevianceFunctions, GlmLikelihood
from .patterns import PatternStats, distinct_rows, pattern_sums

__all__ = ["Poisson", "check_counts", "poisson"]


def check_counts(y: np.ndarray, column: str, family: str) -> None:
    """Counts are non-negative whole numbers."""
    bad = (y < 0) | (y != np.round(y))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"response {column!r} of a {family} model must hold non-negative whole "
                         f"counts; row {i} has {y[i]:g}")


def _dev(y, mu, w, theta):
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return (2.0 * w * (ylog - (y - mu)), 2.0 * w * (1.0 - y / mu), 2.0 * w * y / mu**2,
            -4.0 * w * y / mu**3)


def _variance(mu, theta):
    return mu, np.ones_like(mu)


class Poisson(Family):
    """brms's ``poisson`` family, as :func:`poisson` makes it.

    Also ``get("poisson")``. Links: ``log``, ``identity`` (the first is the default). No
    auxiliary parameter. The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "poisson"
    links = ("log", "identity")
    discrete = True
    positive_mean = True

    def check_values(self, y, column, trials):
        check_counts(y, column, self.name)

    def log_prob(self, ops, y, eta, aux, extras):
        lp = self.with_positive_mean(ops, eta, lambda e: ops.where(
            y > 0, y * self.log_mu(ops, e), 0.0) - self.link.inverse(ops, e))
        return self.weighted(ops, lp - ops.gammaln(y + 1.0), extras)

    def boundary_sides(self, y, trials):
        """Under the log link a zero count's likelihood grows as ``eta -> -inf``."""
        return np.where(y == 0, -1.0, 0.0) if self.link.positive else None

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y <= y) = log Q(y + 1, mu)`` (Stan's ``poisson_lcdf``); ``-inf`` below 0."""
        return self._log_incomplete(ops, ops.gammaincc, y, eta, below=-np.inf)

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y > y) = log P(y + 1, mu)`` (Stan's ``poisson_lccdf``); 0 below 0 (brms's
        lower truncation bound ``lb`` enters as ``lccdf(lb - 1)``)."""
        return self._log_incomplete(ops, ops.gammainc, y, eta, below=0.0)

    def _log_incomplete(self, ops, regularized, y, eta, below):
        k = ops.where(y < 0, 0.0, y) + 1.0
        lp = self.with_positive_mean(
            ops, eta, lambda e: ops.log(regularized(k, self.link.inverse(ops, e))))
        return ops.where(y < 0, below, lp)

    def draw(self, rng, eta, aux=None, extras=None):
        return rng.poisson(self.mean(eta))

    def summarize(self, y, arrays, extras, sizes):
        """The distinct design rows with ``Σ w y`` and ``Σ w`` over each
        (:mod:`bayeszoo.families.patterns`); ``None`` when every row is distinct or the response
        is censored or truncated (:mod:`bayeszoo.families.censoring`)."""
        if has_censoring(extras):
            return None
        patterns, inverse = distinct_rows(arrays)
        n_patterns = patterns.X.shape[0]
        if n_patterns == len(y):
            return None
        w = extras.get("weights", np.ones_like(y))
        return PatternStats(patterns, pattern_sums(inverse, n_patterns, w * y, w),
                            -float(np.sum(w * special.gammaln(y + 1.0))), len(y))

    def summary_log_likelihood(self, stats, beta, coefs, aux, indicator, linear_predictor):
        """``Σ_p [(Σ w y)_p log mu_p − (Σ w)_p mu_p] − Σ_i w_i log y_i!`` over the patterns."""
        from .ops import jax_ops

        ops = jax_ops()
        eta = linear_predictor(stats.arrays, beta, coefs)
        wy, w = stats.sums
        lp = self.with_positive_mean(ops, eta, lambda e: ops.where(
            wy > 0, wy * self.log_mu(ops, e), 0.0) - w * self.link.inverse(ops, e))
        return lp.sum() + stats.constant

    def reml_likelihood(self, response: Response, dpars=(), theta=None):
        if dpars:
            raise ValueError(f"poisson has no auxiliary parameter to model: {dpars}")
        from scipy.stats import poisson

        y, w = response.y, response.prior_weights()
        ls = float(np.sum(poisson.logpmf(y, y) * w))
        fns = DevianceFunctions(dev=_dev, dev_theta=None,
                                saturated=lambda y_, w_, phi, th: (ls, 0.0, 0.0),
                                variance=_variance, mu_bounds=(EPS, np.inf))
        return GlmLikelihood("poisson", y, w, self.link, fns, y + 0.1)


def poisson(link: str = "log") -> Poisson:
    """The poisson family (brms ``poisson()``).

    Parameters
    ----------
    link
        One of ``log``, ``identity``; default ``"log"``.

    Returns
    -------
    Poisson
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> poisson()
    poisson(link='log')
    >>> poisson("identity").link_name
    'identity'
    >>> poisson("logit")
    Traceback (most recent call last):
    ...
    ValueError: family 'poisson' has no link 'logit'; valid links: log, identity
    """
    return Poisson(link)


