"""``cumulative``: ``P(y <= k) = F(disc (thres_k - eta))``, ``F`` the inverse link (logit
(default), probit, cloglog); brms 2.18's ``cumulative`` (``cumulative_logit_lpmf``): ``P(y = k)
= F(disc (thres_k - eta)) - F(disc (thres_{k-1} - eta))`` with ``thres_0 = -inf``, ``thres_K =
inf``.

Under the logit link the middle categories use the identity ``σ(b) − σ(a) = σ(b) σ(−a)
(1 − exp(a − b))`` (``a < b``), so that ``log P(y = k) = log σ(x_k) + log σ(−x_{k−1}) +
log1mexp(x_{k−1} − x_k)`` with ``log σ(−x) = log σ(x) − x`` and ``x_{k−1} − x_k = disc
(thres_{k−1} − thres_k)`` taken from the thresholds: exact, accurate in both tails without
choosing one, one log-sigmoid per threshold and row (a fifth of the general path's
transcendental functions, which is what a gradient over 10⁴ rows spends its time on)."""

from __future__ import annotations

from .ordinal import Ordinal, last_length, log_diff_cdf

__all__ = ["Cumulative", "cumulative"]


class Cumulative(Ordinal):
    """brms's ``cumulative`` family, as :func:`cumulative` makes it (also ``get("cumulative")``).

    Links: ``logit`` (the default), ``probit``, ``cloglog``; ordered thresholds
    ``b_Intercept[k]`` replace the intercept, ``disc`` is fixed at 1 as brms's default.
    """

    name = "cumulative"

    def log_probs(self, ops, eta, aux):
        if self.link_name != "logit":
            return super().log_probs(ops, eta, aux)
        thres = aux["thresholds"]
        disc = aux.get("disc", 1.0)
        n = last_length(thres)
        x = [disc * (thres[..., k][..., None] - eta) for k in range(n)]
        below = [ops.log_sigmoid(v) for v in x]
        middle = [below[k] + (below[k - 1] - x[k - 1])
                  + ops.log1mexp(disc * (thres[..., k - 1] - thres[..., k])[..., None])
                  for k in range(1, n)]
        return [below[0], *middle, below[-1] - x[-1]]

    def summarize(self, y, arrays, extras, sizes):
        """The collapsed rows of the base class; under the logit link with the counts'
        weights in the regrouped sum (:class:`bayeszoo.families.ordinal_logit.LogitPatternStats`),
        computed once here rather than in every gradient."""
        stats = super().summarize(y, arrays, extras, sizes)
        if stats is None or self.link_name != "logit":
            return stats
        from .ordinal_logit import LogitPatternStats, logit_weights

        return LogitPatternStats(*stats, logit_weights(stats.sums[0]))

    def summary_log_likelihood(self, stats, beta, coefs, aux, indicator, linear_predictor):
        """The collapsed sum of the base class; under the logit link regrouped so that each
        distinct design row and threshold costs one log-sigmoid
        (:func:`bayeszoo.families.ordinal_logit.cumulative_logit_sum`)."""
        if self.link_name != "logit":
            return super().summary_log_likelihood(stats, beta, coefs, aux, indicator,
                                                  linear_predictor)
        from .ordinal_logit import cumulative_logit_sum

        return cumulative_logit_sum(stats.weights, linear_predictor(stats.arrays, beta, coefs),
                                    aux["thresholds"], aux.get("disc", 1.0))

    def category_log_probs(self, ops, x):
        link = self.link
        middle = [log_diff_cdf(link, ops, hi, lo) for lo, hi in zip(x[:-1], x[1:], strict=True)]
        return [link.log_p(ops, x[0]), *middle, link.log_q(ops, x[-1])]


def cumulative(link: str = "logit") -> Cumulative:
    """The cumulative ordinal family (brms ``cumulative()``):
    ``P(y <= k) = F(disc (thres_k - eta))``.

    Parameters
    ----------
    link
        One of ``logit``, ``probit``, ``cloglog``; default ``"logit"``.

    Returns
    -------
    Cumulative
        The family with that link, to pass as ``family=``; the response is an ordered pandas
        Categorical or the integers ``1..K``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> cumulative().name
    'cumulative'
    >>> cumulative("probit").link_name
    'probit'
    """
    return Cumulative(link)
