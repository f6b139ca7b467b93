"""The log distribution and survival functions of the von Mises on ``[-pi, pi]``, ``log P(Y <=
y)`` and ``log P(Y > y)`` with ``P(Y <= y) = int_-pi^y exp(kappa cos(t - mu)) / (2 pi
I_0(kappa)) dt`` (brms's ``pvon_mises``; ``scipy.stats.vonmises.cdf(y, kappa, mu) -
scipy.stats.vonmises.cdf(-pi, kappa, mu)``), for censored and truncated ``von_mises``
responses, written once on an array backend (:mod:`bayeszoo.families.ops`): NumPy, JAX and
PyTensor evaluate, and the last two differentiate in ``y``, ``mu`` and ``kappa``, the same
fixed formulas.

For ``kappa <`` :data:`NORMAL_ABOVE` it is brms's series,

``F(y) = (y + pi) / (2 pi) + 1/pi sum_j rho_j (sin(j (y - mu)) + sin(j (pi + mu))) / j``,

``rho_j = I_j(kappa) / I_0(kappa)``, over :data:`TERMS` terms (the first omitted below
``1e-12`` for ``kappa <= 100``), from SciPy's and PyTensor's exponentially scaled ``ive`` of
each order and, on JAX (which has ``ive`` of orders 0 and 1 only), the ratios ``I_j /
I_(j-1) = 1 / (2j / kappa + I_(j+1) / I_j)`` by the backward recurrence from
:data:`RECURRENCE_START`. ``mu`` needs no wrapping: the series is the integral for any real
``mu``. Where a tail falls below :data:`SERIES_FLOOR` (the series keeps an absolute error
near ``1e-15``) it is a :data:`TAIL_NODES`-point Gauss–Legendre rule on the density over the
tail's interval, in log space. From ``kappa = 100`` on the distribution is
brms's normal approximation ``Normal(mu, 1 / sqrt(kappa))`` (the density the family uses there),
its mass between ``-pi`` and ``y``.
"""

from __future__ import annotations

import math

import numpy as np

from .skew_normal_cdf import sum_last

__all__ = ["NORMAL_ABOVE", "RECURRENCE_START", "SERIES_FLOOR", "TAIL_NODES", "TERMS",
           "log_cdf", "log_sf"]

NORMAL_ABOVE = 100.0
TERMS = 80
RECURRENCE_START = 110
SERIES_FLOOR = 1e-7
TAIL_NODES = 48
LOG_2PI = math.log(2.0 * math.pi)

_J = np.arange(1, TERMS + 1, dtype=float)
_SIGN = np.where(_J % 2 == 0, 1.0, -1.0)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(TAIL_NODES)


def _bessel_ratios(ops, kappa):
    """``I_j(kappa) / I_0(kappa)`` for ``j = 1..TERMS``, stacked on a last axis: SciPy's and
    PyTensor's ``ive`` of every order where the backend has it, the recurrence on JAX."""
    if ops.name in ("numpy", "pytensor"):
        if ops.name == "pytensor":
            import pytensor.tensor as pt

            ive = pt.ive
        else:
            from scipy.special import ive
        k = kappa[..., None]
        return ive(ops.asarray(_J), k) / ive(0.0, k)
    ratio = 0.0 * kappa
    ratios = []
    for j in range(RECURRENCE_START, 0, -1):
        ratio = 1.0 / (2.0 * j / kappa + ratio)
        if j <= TERMS:
            ratios.append(ratio)
    products, acc = [], None
    for r in reversed(ratios):
        acc = r if acc is None else acc * r
        products.append(acc)
    return ops.stack(products, -1)


def _sin(ops, x):
    return ops.cos(x - 0.5 * math.pi)


def _series_cdf(ops, y, mu, kappa):
    rho = _bessel_ratios(ops, kappa)
    j = ops.asarray(_J)
    waves = (_sin(ops, j * (y - mu)[..., None])
             + ops.asarray(_SIGN) * _sin(ops, j * mu[..., None]))
    return (y + math.pi) / (2.0 * math.pi) + sum_last(ops, rho * waves / j) / math.pi


def _log_mass(ops, lo, hi, mu, kappa):
    """``log int_lo^hi`` of the density, by Gauss–Legendre in log space (``lo < hi``)."""
    half = 0.5 * (hi - lo)
    t = (lo + half)[..., None] + half[..., None] * ops.asarray(_GL_X)
    dens = ops.exp(kappa[..., None] * (ops.cos(t - mu[..., None]) - 1.0)) * ops.asarray(_GL_W)
    return ops.log(half) + ops.log(sum_last(ops, dens)) - LOG_2PI - ops.log_i0(kappa) + kappa


def _log_normal_side(ops, y, mu, kappa, upper):
    """``log P(-pi <= X <= y)`` (or ``log P(y < X <= pi)`` when ``upper``) of ``X ~ Normal(mu,
    1/sqrt(kappa))`` divided by its mass on ``[-pi, pi]``: brms's approximation for large
    ``kappa``."""
    s = ops.sqrt(kappa)
    a, b, c = s * (-math.pi - mu), s * (y - mu), s * (math.pi - mu)

    def log_between(lo, hi):
        # log(Phi(hi) - Phi(lo)) from the tail that keeps its precision
        right = lo > 0.0
        low_side = ops.log_ndtr(hi) + ops.log1mexp(ops.where(right, -1.0,
                                                             ops.log_ndtr(lo) - ops.log_ndtr(hi)))
        high_side = ops.log_ndtr(-lo) + ops.log1mexp(ops.where(
            right, ops.log_ndtr(-hi) - ops.log_ndtr(-lo), -1.0))
        return ops.where(right, high_side, low_side)

    return (log_between(b, c) if upper else log_between(a, b)) - log_between(a, c)


def _log_side(ops, y, mu, kappa, upper):
    """``log P(Y <= y)``, or ``log P(Y > y)`` when ``upper``."""
    y, mu, kappa = ops.asarray(y), ops.asarray(mu), ops.asarray(kappa)
    zero = 0.0 * (y + mu + kappa)
    y, mu, kappa = y + zero, mu + zero, kappa + zero
    normal = kappa >= NORMAL_ABOVE
    k_series = ops.where(normal, 1.0, kappa)
    f = _series_cdf(ops, y, mu, k_series)
    p = 1.0 - f if upper else f
    ok = p > SERIES_FLOOR
    end = math.pi if upper else -math.pi
    inside = (y < math.pi) if upper else (y > -math.pi)
    # the tail's interval, [-pi, y] or [y, pi] (a stand-in where the series serves)
    inner = ops.where(ok, 0.0, ops.where(inside, y, end - math.copysign(1.0, end)))
    lo, hi = (inner, end + zero) if upper else (end + zero, inner)
    log_tail = ops.where(inside, _log_mass(ops, lo, hi, mu, k_series), -np.inf)
    log_p = ops.where(ok, ops.log(ops.where(ok, p, 1.0)), log_tail)
    log_normal = _log_normal_side(ops, y, mu, ops.where(normal, kappa, NORMAL_ABOVE), upper)
    return ops.where(normal, log_normal, log_p)


def log_cdf(ops, y, mu, kappa):
    """``log P(Y <= y)`` of the von Mises with mean direction ``mu`` and concentration
    ``kappa`` on ``[-pi, pi]`` (``-inf`` at ``-pi``)."""
    return _log_side(ops, y, mu, kappa, upper=False)


def log_sf(ops, y, mu, kappa):
    """``log P(Y > y)`` of the same (``-inf`` at ``pi``)."""
    return _log_side(ops, y, mu, kappa, upper=True)
