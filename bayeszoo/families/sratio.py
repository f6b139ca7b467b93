"""``sratio`` (stopping ratio): ``P(y = k | y >= k) = F(disc (thres_k - eta))``, ``F`` the
inverse link (logit (default), probit, cloglog); brms 2.18's ``sratio``: ``P(y = k) = F(x_k)
prod_{j<k} (1 - F(x_j))`` and ``P(y = K) = prod_{j<K} (1 - F(x_j))``, ``x_k = disc (thres_k -
eta)``."""

from __future__ import annotations

from .ordinal import Ordinal

__all__ = ["SRatio", "sratio"]


class SRatio(Ordinal):
    """brms's ``sratio`` family, as :func:`sratio` makes it (also ``get("sratio")``).

    Links: ``logit`` (the default), ``probit``, ``cloglog``; ordered thresholds
    ``b_Intercept[k]`` replace the intercept, ``disc`` is fixed at 1 as brms's default.
    """

    name = "sratio"

    def category_log_probs(self, ops, x):
        out, passed = [], 0.0
        for xk in x:
            out.append(passed + self.link.log_p(ops, xk))
            passed = passed + self.link.log_q(ops, xk)
        return [*out, passed]


def sratio(link: str = "logit") -> SRatio:
    """The stopping-ratio ordinal family (brms ``sratio()``):
    ``P(y = k | y >= k) = F(disc (thres_k - eta))``.

    Parameters
    ----------
    link
        One of ``logit``, ``probit``, ``cloglog``; default ``"logit"``.

    Returns
    -------
    SRatio
        The family with that link, to pass as ``family=``; the response is an ordered pandas
        Categorical or the integers ``1..K``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> sratio().name
    'sratio'
    >>> sratio("probit").link_name
    'probit'
    """
    return SRatio(link)
