"""P-splines, ``s(x, bs = "ps")`` (placeholder, filled in step 2)."""

from __future__ import annotations


def ps_knots(x, k: int, m: int = 2):
    raise NotImplementedError


class PSBasis:
    bs = "ps"

    def __init__(self, x, k: int = 10):
        raise NotImplementedError("bs='ps' is not implemented yet")
