"""``bernoulli``: ``y ~ Bernoulli(mu)``, ``y`` in {0, 1}; links logit (default), probit, cloglog.

A two-level string, boolean or categorical response is coded as R's ``factor`` would be: the
first level (the categorical's order, else sorted) is 0 and the other 1 (``Pima.tr$type``:
``No`` = 0, ``Yes`` = 1). REML is mgcv's ``binomial`` with one trial per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import Family, Response
from .binomial import (
    PROBABILITY_LINKS,
    binomial_likelihood,
    binomial_pattern_log_likelihood,
    binomial_patterns,
)

__all__ = ["Bernoulli", "bernoulli"]


class Bernoulli(Family):
    """brms's ``bernoulli`` family, as :func:`bernoulli` makes it.

    Also ``get("bernoulli")``. Links: ``logit``, ``probit``, ``cloglog`` (the first is the
    default). No auxiliary parameter. The intercept's default prior is brms's
    ``student_t(3, location, scale)`` from the response (:meth:`Family.default_priors`).
    """

    name = "bernoulli"
    links = PROBABILITY_LINKS
    discrete = True
    binary = True

    def response_values(self, y, column):
        s = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
        if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype.kind in "OSUb":
            values = s.dropna()
            if isinstance(s.dtype, pd.CategoricalDtype):
                levels = [lv for lv in s.cat.categories if lv in set(values)]
            else:
                levels = sorted(set(values.tolist()))
            if len(levels) != 2:
                raise ValueError(f"response {column!r} of a bernoulli model must have exactly "
                                 f"two levels; it has {len(levels)}: {levels[:5]}")
            if s.isna().any():
                i = int(np.flatnonzero(s.isna().to_numpy())[0])
                raise ValueError(f"response {column!r} has a missing value at row {i}; drop or "
                                 "impute those rows")
            coded = (s == levels[1]).to_numpy(dtype=float)
            return coded, (levels[0], levels[1])
        return super().response_values(y, column)

    def check_values(self, y, column, trials):
        bad = (y != 0) & (y != 1)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"response {column!r} of a bernoulli model must be 0 or 1 (or a "
                             f"two-level factor); row {i} has {y[i]:g}. For counts out of n "
                             "trials use binomial with trials()")

    def log_prob(self, ops, y, eta, aux, extras):
        lp = ops.where(y > 0.5, self.link.log_p(ops, eta), self.link.log_q(ops, eta))
        return self.weighted(ops, lp, extras)

    def boundary_sides(self, y, trials):
        """A one's likelihood grows as ``eta -> +inf``, a zero's as ``eta -> -inf``."""
        return np.where(y > 0.5, 1.0, -1.0)

    def draw(self, rng, eta, aux=None, extras=None):
        return rng.binomial(1, self.link.inverse_np(np.asarray(eta, dtype=float)))

    def summarize(self, y, arrays, extras, sizes):
        """Distinct design rows with their summed ones and zeros (one trial per row:
        :func:`bayeszoo.families.binomial.binomial_patterns`)."""
        return binomial_patterns(y, np.ones_like(y), arrays, extras.get("weights"))

    def summary_log_likelihood(self, stats, beta, coefs, aux, indicator, linear_predictor):
        return binomial_pattern_log_likelihood(self.link, stats, beta, coefs, linear_predictor)

    def reml_likelihood(self, response: Response, dpars=(), theta=None):
        if dpars:
            raise ValueError(f"bernoulli has no auxiliary parameter to model: {dpars}")
        return binomial_likelihood("binomial", self.link, response, np.ones(response.n))


def bernoulli(link: str = "logit") -> Bernoulli:
    """The bernoulli family (brms ``bernoulli()``).

    Parameters
    ----------
    link
        One of ``logit``, ``probit``, ``cloglog``; default ``"logit"``.

    Returns
    -------
    Bernoulli
        The family with that link, to pass as ``family=``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> bernoulli()
    bernoulli(link='logit')
    >>> bernoulli("probit").link_name
    'probit'
    >>> bernoulli("log")
    Traceback (most recent call last):
    ...
    ValueError: family 'bernoulli' has no link 'log'; valid links: logit, probit, cloglog
    """
    return Bernoulli(link)
