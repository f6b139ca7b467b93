"""What brms 2.18's ordinal families share (``cumulative``, ``sratio``, ``cratio``, ``acat``):
an ordered response in ``K`` categories, ``K - 1`` ordered thresholds ``Intercept[1..K-1]``
in place of the intercept of ``mu``, the discrimination ``disc`` (1 unless it has a formula,
on the log link) and the category probabilities, from which the log density, the expected
response (``posterior_epred``: draws × rows × categories) and predictive draws follow.

A family writes only :meth:`Ordinal.category_log_probs`, the ``K`` log probabilities from the
``K - 1`` values ``x_k = disc (thres_k - eta)``, as brms's Stan functions
(``cumulative_logit_lpmf`` and the generated ``sratio``/``cratio``/``acat`` functions of
``R/stan-likelihood.R``) compute them. The thresholds reach the family as ``aux["thresholds"]``
with a last axis of length ``K - 1`` and leading axes those of ``eta`` without its rows.

The response is an ordered pandas Categorical (its categories in order, category ``k`` coded
``k``) or whole numbers ``1..K`` (``K`` the largest), as brms codes ordinal responses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .base import AuxParameter, Family
from .censoring import has_censoring
from .patterns import PatternStats, category_counts, distinct_rows

__all__ = ["DISC", "ORDINAL_LINKS", "Ordinal", "log_diff_cdf"]

ORDINAL_LINKS = ("logit", "probit", "cloglog")
DISC = AuxParameter("disc", 0.0, "log", None, "student_t(3, 0, 2.5)")


def log_diff_cdf(link, ops, a, b):
    """``log(F(a) - F(b))`` for ``a > b`` (``F`` the inverse link), from the lower tail where
    ``a + b < 0`` and from the upper tail (``log(Q(b) - Q(a))``, ``Q = 1 - F``) elsewhere; the
    branch not taken sees harmless inputs, so that its gradient stays finite."""
    upper = (a + b) > 0
    ap, bp = ops.where(upper, 0.0, a), ops.where(upper, -1.0, b)
    aq, bq = ops.where(upper, a, 1.0), ops.where(upper, b, 0.0)
    lp = link.log_p(ops, ap)
    lower_form = lp + ops.log1mexp(link.log_p(ops, bp) - lp)
    lq = link.log_q(ops, bq)
    upper_form = lq + ops.log1mexp(link.log_q(ops, aq) - lq)
    return ops.where(upper, upper_form, lower_form)


def last_length(a) -> int:
    """The static length of ``a``'s last axis (a PyTensor variable's from its type)."""
    n = a.shape[-1]
    return n if isinstance(n, int) else int(a.type.shape[-1])


def log_normalize(ops, log_terms: list) -> list:
    """``log_terms`` minus their log-sum-exp (probabilities that sum to one)."""
    total = log_terms[0]
    for t in log_terms[1:]:
        total = ops.logaddexp(total, t)
    return [t - total for t in log_terms]


class Ordinal(Family):
    """Base of the ordinal families (see the module doc)."""

    links = ORDINAL_LINKS
    aux = (DISC,)
    discrete = True
    thresholds = True

    def aux_parameters(self, additions=()):
        """None estimated as a constant: ``disc`` is 1 unless it has a formula (brms)."""
        return ()

    def response_values(self, y, column):
        s = y if isinstance(y, pd.Series) else pd.Series(y)
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = s.cat.codes.to_numpy()
            if np.any(codes < 0):
                i = int(np.flatnonzero(codes < 0)[0])
                raise ValueError(f"response {column!r} has a missing value or a rating outside "
                                 f"its levels {list(s.cat.categories)} at row {i}; drop those "
                                 "rows or declare the level")
            return codes.astype(float) + 1.0, tuple(s.cat.categories)
        if s.dtype.kind not in "biuf":
            bad = s.iloc[0]
            raise ValueError(f"response {column!r} of a {self.name} model must be an ordered "
                             f"pandas Categorical or whole numbers 1..K; it holds {bad!r} "
                             f"(dtype {s.dtype})")
        return super().response_values(s, column)

    def check_values(self, y, column, trials):
        bad = (y < 1) | (y != np.round(y))
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"response {column!r} of a {self.name} model must hold the ratings "
                             f"1..K (or be an ordered Categorical); row {i} has {y[i]:g}")

    def categories(self, y: Any) -> tuple:
        """The response's categories in order: a Categorical's, else ``1..max(y)``."""
        s = y if isinstance(y, pd.Series) else pd.Series(y)
        if isinstance(s.dtype, pd.CategoricalDtype):
            return tuple(s.cat.categories)
        values = self.response_values(s, "y")[0]
        return tuple(range(1, int(values.max()) + 1))

    def response_labels(self, y: Any) -> tuple | None:
        """An ordered Categorical's categories (its codes ``1..K``); ``None`` for ratings
        given as numbers, which are their own labels."""
        s = y if isinstance(y, pd.Series) else pd.Series(y)
        return tuple(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype) else None

    def default_priors(self, y, dpars=(), offset=None):
        """brms 2.18's: ``student_t(3, 0, 2.5)`` on every threshold (class ``Intercept``) and
        on ``sd``; ``disc`` has a prior only through its formula's intercept."""
        out = super().default_priors(y, dpars, offset)
        out.pop("disc", None)
        return out

    def reml_likelihood(self, response, dpars=(), theta=None):
        twin = (" or, for the cumulative logit model, bz.reml(..., family='ocat') (mgcv's ocat: "
                "the intercept kept, the first cut point at -1)"
                if self.name == "cumulative" and self.link_name == "logit" else "")
        raise ValueError(f"REML is not available for the ordinal family {self.name!r}; fit it "
                         f"with bz.sample, whose NumPyro, PyMC and nutpie samplers take it{twin}")

    # -- collapsed rows -------------------------------------------------------------------------
    def summarize(self, y, arrays, extras, sizes):
        """The distinct design rows with, per row and rating, the summed weights of its rows
        (:func:`bayeszoo.families.patterns.category_counts`); ``None`` when every row is
        distinct or the response is censored or truncated."""
        if has_censoring(extras):
            return None
        patterns, inverse = distinct_rows(arrays)
        n_patterns = patterns.X.shape[0]
        if n_patterns == len(y):
            return None
        counts = category_counts(inverse, n_patterns, y, extras.get("weights"))
        return PatternStats(patterns, (counts,), 0.0, len(y))

    def summary_log_likelihood(self, stats, beta, coefs, aux, indicator, linear_predictor):
        """``Σ_p Σ_k n_pk log P(y = k | eta_p)``, ``n_pk`` the summed weights of pattern
        ``p``'s rows rated ``k``: the row-wise sum, each distinct row's ``K`` log probabilities
        computed once."""
        import jax.numpy as jnp

        from .ops import jax_ops

        ops = jax_ops()
        (counts,) = stats.sums
        eta = linear_predictor(stats.arrays, beta, coefs)
        logp = jnp.stack(self.log_probs(ops, eta, aux)[:counts.shape[1]], axis=-1)
        return jnp.sum(counts * jnp.where(counts > 0, logp, 0.0))

    # -- probabilities ------------------------------------------------------------------------
    def category_log_probs(self, ops, x: list) -> list:
        """The ``K`` log probabilities from ``x_k = disc (thres_k - eta)``, ``k = 1..K-1``."""
        raise NotImplementedError

    def log_probs(self, ops, eta, aux: dict) -> list:
        """``log P(y = k)``, ``k = 1..K``, each shaped as ``eta``. With category-specific
        effects ``aux["mucs"]`` (``eta``'s shape plus a last axis of the ``K - 1``
        thresholds), ``x_k = disc (thres_k - (eta + mucs_k))`` (brms's ``Intercept -
        transpose(mucs[n])``)."""
        thres = aux["thresholds"]
        disc = aux.get("disc", 1.0)
        mucs = aux.get("mucs")
        return self.category_log_probs(ops, [
            disc * (thres[..., k][..., None] - (eta if mucs is None else eta + mucs[..., k]))
            for k in range(last_length(thres))])

    def log_prob(self, ops, y, eta, aux, extras):
        """``log P(y)``; a rating beyond the ``K`` categories of the thresholds has none
        (``-inf``)."""
        out = -np.inf
        for k, lp in enumerate(self.log_probs(ops, eta, aux), start=1):
            out = ops.where(ops.abs(y - k) < 0.5, lp, out)
        return self.weighted(ops, out, extras)

    def mean(self, eta, aux=None, extras=None):
        """Category probabilities (brms's ``posterior_epred``): ``eta``'s shape plus a last
        axis of the ``K`` categories."""
        from .ops import NUMPY

        logp = self.log_probs(NUMPY, np.asarray(eta, dtype=float), aux or {})
        return np.exp(np.stack(logp, axis=-1))

    def draw(self, rng, eta, aux=None, extras=None):
        """Categories ``1..K`` drawn from :meth:`mean`'s probabilities."""
        p = self.mean(eta, aux, extras)
        u = rng.uniform(size=p.shape[:-1])[..., None]
        return 1.0 + np.sum(np.cumsum(p, axis=-1)[..., :-1] < u, axis=-1)
