"""``cumulative``: ``P(y <= k) = F(disc (thres_k - eta))``, ``F`` the inverse link (logit
(default), probit, cloglog); brms 2.18's ``cumulative`` (``cumulative_logit_lpmf``): ``P(y = k)
= F(disc (thres_k - eta)) - F(disc (thres_{k-1} - eta))`` with ``thres_0 = -inf``, ``thres_K =
inf``."""

from __future__ import annotations

from .ordinal import Ordinal, log_diff_cdf

__all__ = ["Cumulative", "cumulative"]


class Cumulative(Ordinal):
    name = "cumulative"

    def category_log_probs(self, ops, x):
        link = self.link
        middle = [log_diff_cdf(link, ops, hi, lo) for lo, hi in zip(x[:-1], x[1:], strict=True)]
        return [link.log_p(ops, x[0]), *middle, link.log_q(ops, x[-1])]


def cumulative(link: str = "logit") -> Cumulative:
    """The cumulative ordinal family (brms ``cumulative()``)."""
    return Cumulative(link)
