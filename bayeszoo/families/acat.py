"""``acat`` (adjacent category): with ``q_k = F(disc (eta - thres_k))``, ``F`` the inverse link
(logit (default), probit, cloglog), brms 2.18's ``acat``: ``P(y = k) ∝ prod_{j<k} q_j
prod_{j>=k} (1 - q_j)``; under the logit link ``log P(y = k) = sum_{j<k} disc (eta - thres_j)``
minus the normalizing constant (``acat_logit_lpmf``)."""

from __future__ import annotations

from .ordinal import Ordinal, log_normalize

__all__ = ["ACat", "acat"]


class ACat(Ordinal):
    """brms's ``acat`` family, as :func:`acat` makes it (also ``get("acat")``).

    Links: ``logit`` (the default), ``probit``, ``cloglog``; ordered thresholds
    ``b_Intercept[k]`` replace the intercept, ``disc`` is fixed at 1 as brms's default.
    """

    name = "acat"

    def category_log_probs(self, ops, x):
        log_q = [self.link.log_p(ops, -xk) for xk in x]
        log_1mq = [self.link.log_q(ops, -xk) for xk in x]
        terms = []
        for k in range(len(x) + 1):
            t = 0.0
            for j in range(len(x)):
                t = t + (log_q[j] if j < k else log_1mq[j])
            terms.append(t)
        return log_normalize(ops, terms)


def acat(link: str = "logit") -> ACat:
    """The adjacent-category ordinal family (brms ``acat()``).

    Parameters
    ----------
    link
        One of ``logit``, ``probit``, ``cloglog``; default ``"logit"``.

    Returns
    -------
    ACat
        The family with that link, to pass as ``family=``; the response is an ordered pandas
        Categorical or the integers ``1..K``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> acat().name
    'acat'
    >>> acat("probit").link_name
    'probit'
    """
    return ACat(link)
