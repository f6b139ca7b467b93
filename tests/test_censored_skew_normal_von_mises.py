"""Censored and truncated ``skew_normal`` and ``von_mises`` responses (brms 2.18 allows
``cens()`` and ``trunc()`` for both): the log-likelihood of every kind of row, left, right and
interval censored, plain and within ``trunc()`` bounds, on NumPy, JAX and PyTensor, against
SciPy's ``skewnorm`` and ``vonmises`` (its density integrated by ``quad``) to 1e-8; formulas
with ``cens()`` build for both."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from array_backends import ops as _ops
from array_backends import value as _value
from scipy import integrate, stats

import bayeszoo as bz
from bayeszoo.families import censoring, skew_normal, von_mises

# PyTensor compiles each graph in C for a minute on two shared cores
BACKENDS = ["numpy", "jax", pytest.param("pytensor", marks=pytest.mark.slow)]
CODES = np.array([0.0, 1.0, -1.0, 2.0] * 6)
N = CODES.size


def _expected(logpdf, cdf, y, y2, lb=None, ub=None):
    """brms's censored (and truncated) log-likelihood from a distribution's ``logpdf`` and
    ``cdf`` (censored rows censored within the bounds, as :mod:`censoring` documents)."""
    lo = -np.inf if lb is None else lb
    hi = np.inf if ub is None else ub
    f_lo = np.where(np.isfinite(lo), cdf(np.where(np.isfinite(lo), lo, 0.0)), 0.0)
    f_hi = np.where(np.isfinite(hi), cdf(np.where(np.isfinite(hi), hi, 0.0)), 1.0)
    out = np.select([CODES == 0, CODES == 1, CODES == -1],
                    [logpdf(y), np.log(f_hi - cdf(y)), np.log(cdf(y) - f_lo)],
                    np.log(cdf(np.minimum(y2, hi)) - cdf(y)))
    return out - np.log(f_hi - f_lo)


def _von_mises_expected(y, y2, mu, kappa, lb, ub):
    """The same for the von Mises, each mass SciPy's ``vonmises.pdf`` integrated by
    ``quad`` (``vonmises.cdf`` is exact to about 1e-16 absolute only, which censored rows 30
    standard deviations from ``mu`` need relative)."""
    def mass(i, a, b):
        def pdf(t):
            return stats.vonmises.pdf(t, kappa[i], loc=mu[i])

        return integrate.quad(pdf, a, b, epsabs=0.0, epsrel=1e-13, limit=400,
                              points=[mu[i]] if a < mu[i] < b else None)[0]

    out = np.empty(N)
    for i in range(N):
        lo, hi = lb[i], ub[i]
        if CODES[i] == 0:
            out[i] = stats.vonmises.logpdf(y[i], kappa[i], loc=mu[i])
        else:
            a, b = {1.0: (y[i], hi), -1.0: (lo, y[i]), 2.0: (y[i], min(y2[i], hi))}[CODES[i]]
            out[i] = math.log(mass(i, a, b))
        out[i] -= math.log(mass(i, lo, hi))
    return out


def _skew_normal_case(seed=5):
    rng = np.random.default_rng(seed)
    mu, sigma = rng.normal(0.0, 1.0, N), np.exp(rng.normal(0.0, 0.4, N))
    alpha = rng.choice([-6.0, -1.5, 0.0, 0.8, 4.0], N)
    delta = alpha / np.sqrt(1 + alpha**2)
    omega = sigma / np.sqrt(1 - 2 * delta**2 / math.pi)
    xi = mu - omega * delta * math.sqrt(2 / math.pi)
    d = stats.skewnorm(alpha, xi, omega)
    y = mu + sigma * rng.normal(0.0, 1.5, N)
    return y, y + np.exp(rng.normal(-0.5, 0.5, N)), mu, {"sigma": sigma, "alpha": alpha}, d


def _von_mises_case(seed=6):
    rng = np.random.default_rng(seed)
    mu, kappa = rng.uniform(-2.5, 2.5, N), np.exp(rng.uniform(-2.0, 3.8, N))
    y = rng.uniform(-3.0, 2.0, N)
    y2 = np.minimum(y + rng.uniform(0.1, 1.5, N), math.pi)
    return y, y2, mu, {"kappa": kappa}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bounds", [None, "both", "lower"])
def test_censored_skew_normal_rows_match_scipy(backend, bounds):
    y, y2, eta, aux, d = _skew_normal_case()
    extras = {"cens": CODES, "y2": np.where(CODES == 2, y2, y)}
    lb = ub = None
    if bounds is not None:
        lb = np.minimum(y, y2) - 1.3
        extras["lb"] = lb
    if bounds == "both":
        ub = np.maximum(y, y2) + 0.7
        extras["ub"] = ub
    got = censoring.log_likelihood(skew_normal(), _ops(backend), y, eta, aux, extras)
    np.testing.assert_allclose(_value(got), _expected(d.logpdf, d.cdf, y, y2, lb, ub),
                               rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bounds", [None, "both"])
def test_censored_von_mises_rows_match_scipy(backend, bounds):
    y, y2, mu, aux = _von_mises_case()
    extras = {"cens": CODES, "y2": np.where(CODES == 2, y2, y)}
    lb, ub = np.full(N, -math.pi), np.full(N, math.pi)
    if bounds == "both":
        lb, ub = np.full(N, -math.pi + 0.05), np.full(N, 3.0)
        extras.update(lb=lb, ub=ub)
    got = censoring.log_likelihood(von_mises(), _ops(backend), y, np.tan(mu / 2), aux, extras)
    np.testing.assert_allclose(_value(got), _von_mises_expected(y, y2, mu, aux["kappa"], lb, ub),
                               rtol=1e-8, atol=1e-8)


def test_both_families_take_cens_and_trunc_in_a_formula():
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"x": rng.normal(size=30), "y": rng.uniform(-2.0, 2.0, 30),
                      "c": rng.choice(["none", "right", "left"], 30)})
    for family in ("skew_normal", "von_mises"):
        design = bz.design("y | cens(c) + trunc(lb = -3, ub = 3) ~ x", d, family=family)
        np.testing.assert_array_equal(design.additions["cens"],
                                      d.c.map({"none": 0, "right": 1, "left": -1}))
        np.testing.assert_array_equal(design.additions["ub"], np.full(30, 3.0))
