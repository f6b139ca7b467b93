"""Approximate significance of smooth terms, as mgcv 1.8-41's ``summary.gam`` computes it.

* :func:`test_stat`: mgcv's ``testStat`` (Wood 2013, "On p-values for smooth components of an
  extended generalized additive model", Biometrika 100:221-228): a Wald statistic on the
  term's fitted values with a rank-``edf1`` pseudo-inverse of its covariance, the fractional
  part of the rank handled by a weighted sum of chi-squares;
* :func:`re_test`: mgcv's ``reTest`` for a penalized term without an unpenalized part (a
  random effect ``s(g, bs="re")``): ``b' Vp⁻¹ b`` against the sum of chi-squares weighted by
  the eigenvalues of ``Ve Vp⁻¹`` (other random effects integrated out, as mgcv's ``recov``);
* :func:`psum_chisq`: ``P(Σ λ_j χ²_{h_j} > q)`` (mgcv's ``psum.chisq``, which uses Davies's
  algorithm) by Imhof's (1961) integral; a probability below the integral's error estimate
  (about 1e-11) is 0, as mgcv reports p-values far in the tail.

Every function takes ``H = X'WX`` (the weighted cross-product of the model matrix at the
fitted working weights, mgcv's ``R'R``) rather than ``X``: the statistics depend on ``X``
only through it.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np
from scipy import integrate, stats

__all__ = ["SmoothTest", "psum_chisq", "re_test", "test_stat"]

EPS = np.finfo(float).eps


class SmoothTest(NamedTuple):
    """mgcv's ``list(stat, pval, rank)``."""

    stat: float
    pval: float
    rank: float


def psum_chisq(q: float, lb: np.ndarray, df: np.ndarray | None = None) -> float:
    """``P(Σ lb_j χ²_{df_j} > q)`` for central chi-squares (mgcv's ``psum.chisq`` with
    ``lower.tail = FALSE``), by Imhof's integral, weights scaled to a largest ``|lb|`` of 1."""
    lb = np.asarray(lb, dtype=float)
    df = np.ones_like(lb) if df is None else np.asarray(df, dtype=float)
    keep = lb != 0
    lb, df = lb[keep], df[keep]
    if lb.size == 0:
        return 1.0 if q < 0 else 0.0
    top = float(np.max(np.abs(lb)))
    lb, q = lb / top, q / top

    def integrand(u: float) -> float:
        if u == 0.0:
            return 0.5 * (float(lb @ df) - q)
        theta = 0.5 * float(df @ np.arctan(lb * u)) - 0.5 * q * u
        log_rho = 0.25 * float(df @ np.log1p((lb * u) ** 2))
        return math.sin(theta) * math.exp(-log_rho) / u

    with warnings.catch_warnings():  # a slowly decaying tail: the limit is reached at ~1e-7
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        value, err = integrate.quad(integrand, 0.0, np.inf, limit=2000, epsabs=1e-10,
                                    epsrel=1e-10)
    p = 0.5 + value / math.pi
    if p < err / math.pi:  # below the integral's accuracy: 0, as mgcv's Davies algorithm gives
        return 0.0
    return float(min(1.0, p))


def _upper_root(H: np.ndarray) -> np.ndarray:
    """An upper-triangular ``R`` with ``R'R = H`` (the R factor of ``qr(X)``, up to row signs)."""
    try:
        return np.linalg.cholesky(H).T
    except np.linalg.LinAlgError:
        ev, vec = np.linalg.eigh((H + H.T) / 2)
        root = np.sqrt(np.maximum(ev, 0))[:, None] * vec.T
        return np.linalg.qr(root, mode="r")


def test_stat(p: np.ndarray, H: np.ndarray, V: np.ndarray, rank: float,
              res_df: float = -1.0) -> SmoothTest:
    """mgcv's ``testStat(p, X, V, rank, type = 0, res.df)`` with ``H = X'WX`` of the term's
    columns: coefficients ``p``, their Bayesian covariance ``V`` (the term's block of ``Vp``),
    ``rank`` = ``min(ncol, edf1)``. ``res_df > 0`` (an estimated scale): F-type p-value on
    ``res_df`` denominator degrees of freedom; otherwise chi-square type."""
    R = _upper_root(H)
    Vr = R @ V @ R.T
    Vr = (Vr + Vr.T) / 2
    values, vectors = np.linalg.eigh(Vr)
    values, vectors = values[::-1], vectors[:, ::-1]
    signs = np.sign(vectors[0])
    signs[signs == 0] = 1
    vectors = vectors * signs
    k = max(0, math.floor(rank))
    nu = abs(rank - k)
    k1 = k + 1 if nu > 0 else k
    r_est = int(np.sum(values > values[0] * EPS ** 0.9))
    if r_est < k1:
        k1 = k = r_est
        nu = 0.0
        rank = r_est
    vec = vectors[:, :k1].copy()
    if nu > 0 and k > 0:
        if k > 1:
            vec[:, :k - 1] /= np.sqrt(values[:k - 1])
        b12 = math.sqrt(max(0.5 * nu * (1 - nu), 0.0))
        ev = np.diag(values[k - 1:k1] ** -0.5)
        B = ev @ np.array([[1.0, b12], [b12, nu]]) @ ev
        bv, bvec = np.linalg.eigh(B)
        rB = bvec @ np.diag(np.sqrt(bv)) @ bvec.T
        vec1 = vec.copy()
        vec1[:, k - 1:k1] = (rB @ np.diag([-1.0, 1.0]) @ vec[:, k - 1:k1].T).T
        vec[:, k - 1:k1] = (rB @ vec[:, k - 1:k1].T).T
    else:
        vec = vec / math.sqrt(values[0]) if k == 0 else vec / np.sqrt(values[:k])
        vec1 = vec
        if k == 1:
            rank = 1
    Rp = R @ p
    d = float(np.sum((vec.T @ Rp) ** 2))
    d1 = float(np.sum((vec1.T @ Rp) ** 2))
    rank1 = rank
    pval = 2.0
    if nu > 0:
        if k1 == 1:
            rank1 = 1
            val = np.ones(1)
        else:
            val = np.ones(k1)
            rp = nu + 1
            val[k - 1] = (rp + math.sqrt(rp * (2 - rp))) / 2
            val[k1 - 1] = rp - val[k - 1]
        if res_df <= 0:
            pval = (psum_chisq(d, val) + psum_chisq(d1, val)) / 2
        else:
            k0 = max(1, round(res_df))
            dfs = np.r_[np.ones(val.size), k0]
            pval = (psum_chisq(0.0, np.r_[val, -d / k0], dfs)
                    + psum_chisq(0.0, np.r_[val, -d1 / k0], dfs)) / 2
    if pval > 1:
        if res_df <= 0:
            pval = (stats.chi2.sf(d, rank1) + stats.chi2.sf(d1, rank1)) / 2
        else:
            pval = (stats.f.sf(d / rank1, rank1, res_df)
                    + stats.f.sf(d1 / rank1, rank1, res_df)) / 2
    return SmoothTest(d, float(min(1.0, pval)), float(rank))


def _pinv_root(S: np.ndarray) -> np.ndarray:
    """``recov``'s inverse penalty ``S⁻`` (eigenvalues below ``max·eps^0.8`` dropped)."""
    ev, vec = np.linalg.eigh((S + S.T) / 2)
    inv = np.where(ev > np.max(ev) * EPS ** 0.8, 1.0 / np.where(ev > 0, ev, 1.0), 0.0)
    return (vec * inv) @ vec.T


def re_test(b: np.ndarray, term: np.ndarray, others: np.ndarray, H: np.ndarray, S: np.ndarray,
            Vp: np.ndarray, scale: float, res_df: float | None) -> SmoothTest:
    """mgcv's ``reTest(fit, m)`` for the term whose coefficients are at positions ``term`` of
    the full coefficient vector ``b``; ``others`` the positions of the other random-effect
    terms, integrated out as ``recov`` does; ``H = X'WX`` and ``S`` (the total penalty, sp
    included) over all coefficients; ``Vp`` mgcv's Bayesian covariance and ``scale`` its
    ``sig2``. ``res_df`` the residual df for an estimated scale (``None``: known scale)."""
    P = b.size
    rest = np.setdiff1d(np.arange(P), others)
    Hx = H.copy()
    if others.size:
        S2inv = _pinv_root(S[np.ix_(others, others)])
        Hx = H + H[:, others] @ S2inv @ H[others, :]
    M = Hx[np.ix_(rest, rest)] + S[np.ix_(rest, rest)]
    m = np.searchsorted(rest, term)
    o = np.setdiff1d(np.arange(rest.size), m)
    K = M[np.ix_(m, m)]
    if o.size:
        K = K - M[np.ix_(m, o)] @ np.linalg.lstsq(M[np.ix_(o, o)], M[np.ix_(o, m)], rcond=None)[0]
    Ve = Vp @ Hx @ Vp / scale
    Ve_m = Ve[np.ix_(term, term)]
    ev_v, vec_v = np.linalg.eigh((Ve_m + Ve_m.T) / 2)
    Bm = vec_v * np.sqrt(np.maximum(ev_v, 0))
    bt = b[term]
    stat = float(bt @ K @ bt) / scale
    ev = np.linalg.eigvalsh(Bm.T @ K @ Bm) / scale
    ev[ev < 0] = 0
    rank = int(np.sum(ev > np.max(ev) * EPS ** 0.8))
    if res_df is not None:
        k = max(1, round(res_df))
        pval = psum_chisq(0.0, np.r_[ev, -stat / k], np.r_[np.ones(ev.size), k])
    else:
        pval = psum_chisq(stat, ev)
    return SmoothTest(stat, float(pval), float(rank))
