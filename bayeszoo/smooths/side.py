"""mgcv's side constraints on one smooth: the columns of its constrained basis that
``gam.side`` deletes (mgcv 1.8-41, ``R/mgcv.r``), and mgcv's ``sm$X`` that ``gam.side`` compares.

Deleting columns ``ind`` of ``X_c = X_raw Z`` keeps the others of ``Z``; each penalty loses the
same rows and columns, and the penalty null-space dimension is recounted as ``gam.side`` does:
the eigenvalues of ``sum_j S_j / ||S_j||_F`` below ``max · eps^0.75``. For ``t2``, mgcv also
deletes columns of its prediction matrix (``sm$Xp``), which only changes how ``coef()`` reports
the term; a side-constrained ``t2`` here reports its coefficients in the fitting basis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from .columns import level_indicator, numeric_column
from .construct import SmoothCon

NULL_SPACE_TOL = np.finfo(float).eps ** 0.75


def delete_side_columns(sc: SmoothCon, ind: Sequence[int]) -> SmoothCon:
    """``sc`` without columns ``ind`` (0-based) of its constrained basis, as ``gam.side``
    leaves ``sm[[i]]`` after ``fixDependence`` named them. A penalty left all zero would be
    dropped by mgcv with its smoothing parameter; that case raises ``ValueError`` naming the
    term."""
    if not len(ind):
        return sc
    if sc.kind in ("fs", "re"):
        raise ValueError(f"{sc.spec.label}: its columns are nested in earlier smooths of the "
                         f"formula, and side constraints on a {sc.kind} term are not supported; "
                         "write the term as te() or drop the lower-order smooths it contains")
    p = sc.Xc.shape[1]
    keep = [j for j in range(p) if j not in set(int(i) for i in ind)]
    Z = (np.eye(p) if sc.Z is None else sc.Z)[:, keep]
    S = [P[np.ix_(keep, keep)] for P in sc.S]
    if any(not np.any(P) for P in S):
        raise ValueError(f"{sc.spec.label}: the side constraints that delete its columns "
                         "spanned by earlier smooths leave one of its penalties zero (it "
                         "repeats what they fit); drop it or the earlier smooths")
    if S:
        St = sum(P / np.linalg.norm(P) for P in S)
        ev = np.linalg.eigvalsh(St)
        null_dim = int(np.sum(ev < ev.max() * NULL_SPACE_TOL))
    else:
        null_dim = len(keep)
    return replace(sc, Z=Z, S=S, Xc=sc.Xc[:, keep], null_space_dim=null_dim)


def by_pieces(sc: SmoothCon, Xc: np.ndarray, data: Mapping) -> list[np.ndarray]:
    """mgcv's ``sm$X`` of each smooth a term makes from its constrained basis ``Xc`` on
    ``data``: ``Xc`` times a numeric ``by`` variable, or one copy per factor ``by`` level with
    the other levels' rows zero."""
    term = sc.spec.label
    if sc.by is None:
        return [Xc]
    if sc.by.kind == "numeric":
        return [Xc * numeric_column(data, sc.by.column, term, "by")[:, None]]
    return [Xc * level_indicator(data, sc.by.column, level, term)[:, None]
            for level in sc.by.levels]
