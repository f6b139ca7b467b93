"""``cratio`` (continuation ratio): ``P(y > k | y >= k) = F(disc (eta - thres_k))``, ``F`` the
inverse link (logit (default), probit, cloglog); brms 2.18's ``cratio``: ``P(y = k) = (1 -
F(z_k)) prod_{j<k} F(z_j)`` and ``P(y = K) = prod_{j<K} F(z_j)``, ``z_k = disc (eta -
thres_k)``."""

from __future__ import annotations

from .ordinal import Ordinal

__all__ = ["CRatio", "cratio"]


class CRatio(Ordinal):
    """brms's ``cratio`` family, as :func:`cratio` makes it (also ``get("cratio")``).

    Links: ``logit`` (the default), ``probit``, ``cloglog``; ordered thresholds
    ``b_Intercept[k]`` replace the intercept, ``disc`` is fixed at 1 as brms's default.
    """

    name = "cratio"

    def category_log_probs(self, ops, x):
        out, passed = [], 0.0
        for xk in x:
            out.append(passed + self.link.log_q(ops, -xk))
            passed = passed + self.link.log_p(ops, -xk)
        return [*out, passed]


def cratio(link: str = "logit") -> CRatio:
    """The continuation-ratio ordinal family (brms ``cratio()``):
    ``P(y > k | y >= k) = F(disc (eta - thres_k))``.

    Parameters
    ----------
    link
        One of ``logit``, ``probit``, ``cloglog``; default ``"logit"``.

    Returns
    -------
    CRatio
        The family with that link, to pass as ``family=``; the response is an ordered pandas
        Categorical or the integers ``1..K``.

    Raises
    ------
    ValueError
        For a link the family lacks; the message lists its links.

    Examples
    --------
    >>> cratio().name
    'cratio'
    >>> cratio("probit").link_name
    'probit'
    """
    return CRatio(link)
