"""``binomial``: ``y ~ Binomial(trials, mu)``; links logit (default), probit, cloglog.

``trials`` is required (brms's ``y | trials(n)``); ``posterior_epred`` is ``mu · trials``.
For REML the response is mgcv's: the proportion ``y / trials`` with prior weights
``trials`` (``glm``'s ``cbind(y, n - y)`` form), and the saturated likelihood keeps the
binomial coefficient (``binomial()$aic`` in R's ``family.R``, read by mgcv's
``fix.family.ls``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .base import Family, Response
from .censoring import has_censoring
from .glm import EPS, DevianceFunctions, GlmLikelihood
from .patterns import PatternStats, distinct_rows, pattern_sums

__all__ = ["Binomial", "binomial", "binomial_likelihood", "binomial_log_prob",
           "binomial_pattern_log_likelihood", "binomial_patterns", "binomial_saturated",
           "binomial_sides", "check_successes"]

PROBABILITY_LINKS = ("logit", "probit", "cloglog")


def _ylogy_ratio(y, mu):
    """``y log(y / mu)`` with ``0 log 0 = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)


def _dev(y, mu, w, theta):
    q = 1.0 - mu
    d = 2.0 * w * (_ylogy_ratio(y, mu) + _ylogy_ratio(1.0 - y, q))
    d1 = 2.0 * w * (-y / mu + (1.0 - y) / q)
    d2 = 2.0 * w * (y / mu**2 + (1.0 - y) / q**2)
    d3 = 2.0 * w * (-2.0 * y / mu**3 + 2.0 * (1.0 - y) / q**3)
    return d, d1, d2, d3


def _variance(mu, theta):
    return mu * (1.0 - mu), 1.0 - 2.0 * mu


def binomial_saturated(counts: np.ndarray, trials: np.ndarray,
                       prior_weights: np.ndarray) -> float:
    """mgcv's ``ls``: ``Σ prior_w · log dbinom(counts, trials, counts / trials)``."""
    m = np.round(trials)
    k = np.round(counts)
    p = np.where(m > 0, k / np.where(m > 0, m, 1.0), 0.0)
    lchoose = special.gammaln(m + 1) - special.gammaln(k + 1) - special.gammaln(m - k + 1)
    logpmf = lchoose + special.xlogy(k, p) + special.xlog1py(m - k, -p)
    return float(np.sum(prior_weights * np.where(m > 0, logpmf, 0.0)))


def binomial_likelihood(label: str, link, response: Response, trials: np.ndarray):
    """mgcv's binomial REML pieces for counts ``response.y`` out of ``trials``."""
    prior = response.prior_weights()
    with np.errstate(divide="ignore", invalid="ignore"):
        prop = np.where(trials > 0, response.y / np.where(trials > 0, trials, 1.0), 0.0)
    w = prior * trials
    ls = binomial_saturated(response.y, trials, prior)
    fns = DevianceFunctions(dev=_dev, dev_theta=None,
                            saturated=lambda y, w, phi, theta: (ls, 0.0, 0.0),
                            variance=_variance, mu_bounds=(EPS, 1.0 - EPS))
    mustart = (w * prop + 0.5) / (w + 1.0)
    return GlmLikelihood(label, prop, w, link, fns, mustart)


def check_successes(y: np.ndarray, column: str, trials: np.ndarray, family: str) -> None:
    """Successes are non-negative whole numbers, at most the trials of their row."""
    bad = (y < 0) | (y != np.round(y))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"response {column!r} of a {family} model must hold non-negative "
                         f"whole counts; row {i} has {y[i]}")
    over = y > trials
    if np.any(over):
        i = int(np.flatnonzero(over)[0])
        raise ValueError(f"response {column!r} has {y[i]:g} successes at row {i} but only "
                         f"{trials[i]:g} trials; check the trials() column")


def binomial_sides(y: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Where a binomial row's likelihood peaks (:meth:`Family.boundary_sides`): all successes
    ``+1``, none ``-1``, some of each ``0``; a row without trials has no likelihood (``nan``)."""
    sides = np.where(y >= trials, 1.0, np.where(y == 0, -1.0, 0.0))
    return np.where(trials > 0, sides, np.nan)


def binomial_log_prob(ops, link, y, eta, trials):
    """``log C(trials, y) + y log mu + (trials - y) log(1 - mu)``, stable on the link scale."""
    log_p = link.log_p(ops, eta)
    log_q = link.log_q(ops, eta)
    lp = ops.where(y > 0, y * log_p, 0.0) + ops.where(trials - y > 0, (trials - y) * log_q, 0.0)
    return (lp + ops.gammaln(trials + 1.0) - ops.gammaln(y + 1.0)
            - ops.gammaln(trials - y + 1.0))


def binomial_patterns(y: np.ndarray, trials: np.ndarray, arrays,
                      weights: np.ndarray | None) -> PatternStats | None:
    """The distinct design rows with ``Σ w y`` (successes) and ``Σ w (trials − y)``
    (failures) over each, and ``Σ w log C(trials, y)`` (:mod:`bayeszoo.families.patterns`);
    ``None`` when every row is distinct."""
    patterns, inverse = distinct_rows(arrays)
    n_patterns = patterns.X.shape[0]
    if n_patterns == len(y):
        return None
    w = np.ones_like(y) if weights is None else weights
    lchoose = (special.gammaln(trials + 1.0) - special.gammaln(y + 1.0)
               - special.gammaln(trials - y + 1.0))
    return PatternStats(patterns, pattern_sums(inverse, n_patterns, w * y, w * (trials - y)),
                        float(np.sum(w * lchoose)), len(y))


def binomial_pattern_log_likelihood(link, stats: PatternStats, beta, coefs, linear_predictor):
    """``Σ_p [S_p log mu_p + F_p log(1 − mu_p)] + Σ_i w_i log C(n_i, y_i)`` (JAX); under the
    logit link ``S log mu + F log(1 − mu) = S eta − (S + F) log(1 + e^eta)``, one softplus per
    pattern."""
    from .ops import jax_ops

    ops = jax_ops()
    eta = linear_predictor(stats.arrays, beta, coefs)
    successes, failures = stats.sums
    if link.name == "logit":
        lp = successes * eta - (successes + failures) * ops.softplus(eta)
    else:
        lp = (ops.where(successes > 0, successes * link.log_p(ops, eta), 0.0)
              + ops.where(failures > 0, failures * link.log_q(ops, eta), 0.0))
    return lp.sum() + stats.constant


class Binomial(Family):
    """brms's ``binomial`` family, as :func:`binomial` makes it.

    Also ``get("binomial")``. Links: ``logit``, ``probit``, ``cloglog`` (the first is the
    default). No auxiliary parameter. Needs ``trials`` (brms's ``y | trials(n)``). The
    intercept's default prior is brms's ``student_t(3, location, scale)`` from the response
    (:meth:`Family.default_priors`).
    """

    name = "binomial"
    links = PROBABILITY_LINKS
    accepts = ("trials", "weights")
    requires = ("trials",)
    discrete = True

    def check_values(self, y, column, trials):
        check_successes(y, column, trials, self.name)

    def log_prob(self, ops, y, eta, aux, extras):
        return self.weighted(ops, binomial_log_prob(ops, self.link, y, eta, extras["trials"]),
                             extras)

    def boundary_sides(self, y, trials):
        return binomial_sides(y, trials)

    def mean(self, eta, aux=None, extras=None):
        return self.link.inverse_np(np.asarray(eta, dtype=float)) * (extras or {})["trials"]

    def draw(self, rng, eta, aux=None, extras=None):
        trials = (extras or {})["trials"].astype(np.int64)
        return rng.binomial(trials, self.link.inverse_np(np.asarray(eta, dtype=float)))

    def _log_tail(self, ops, y, eta, extras, lower):
        """``log P(Y <= y)`` (``lower``) or ``log P(Y > y)``: ``I_(1-p)(n - y, y + 1)`` and
        ``I_p(y + 1, n - y)`` for ``0 <= y < n``, the certain and impossible events outside."""
        n = extras["trials"]
        k = ops.where(y < 0, 0.0, ops.where(y >= n, n - 1.0, y))
        p, q = ops.exp(self.link.log_p(ops, eta)), ops.exp(self.link.log_q(ops, eta))
        inside = (ops.log(ops.betainc(n - k, k + 1.0, q)) if lower
                  else ops.log(ops.betainc(k + 1.0, n - k, p)))
        below, above = (-np.inf, 0.0) if lower else (0.0, -np.inf)
        return ops.where(y < 0, below, ops.where(y >= n, above, inside))

    def lcdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y <= y)`` (Stan's ``binomial_lcdf``), for left censoring and truncation."""
        return self._log_tail(ops, y, eta, extras, lower=True)

    def lccdf(self, ops, y, eta, aux, extras=None):
        """``log P(Y > y)`` (Stan's ``binomial_lccdf``), for right censoring and truncation
        (brms's lower bound ``lb`` enters as ``lccdf(lb - 1)``)."""
        return self._log_tail(ops, y, eta, extras, lower=False)

    def summarize(self, y, arrays, extras, sizes):
        """Distinct design rows with their summed successes and failures
        (:func:`binomial_patterns`); ``None`` when the response is censored or truncated."""
        if has_censoring(extras):
            return None
        return binomial_patterns(y, extras["trials"], arrays, extras.get("weights"))

    def summary_log_likelihood(self, stats, beta, coefs, aux, indicator, linear_predictor):
        return binomial_pattern_log_likelihood(self.link, stats, beta, coefs, linear_predictor)

    def reml_likelihood(self, response: Response, dpars=(), theta=None):
        if dpars:
            raise ValueError(f"binomial has no auxiliary parameter to model: {dpars}")
        return binomial_likelihood("binomial", self.link, response, response.trials)


def binomial(link: str = "logit") -> Binomial:
    """The binomial family (brms ``binomial()``); needs ``trials``.

    Parameters
    ----------
    link
        One of ``logit``, ``probit``, ``cloglog``; default ``"logit"``.

    Returns
    -------
    Binomial
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> binomial()
    binomial(link='logit')
    >>> binomial("probit").link_name
    'probit'
    >>> binomial("log")
    Traceback (most recent call last):
    ...
    ValueError: family 'binomial' has no link 'log'; valid links: logit, probit, cloglog
    """
    return Binomial(link)
