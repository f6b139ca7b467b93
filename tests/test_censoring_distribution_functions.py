"""Distribution functions for ``cens()`` and ``trunc()`` of every family brms censors: the
Student-t and negative binomial's (new, from the regularized incomplete beta function) and the
Poisson, exponential, gamma, lognormal and Weibull ones, against SciPy's ``logcdf``/``logsf``
to 1e-10 on NumPy, JAX and PyTensor; censored rows of the new families score as SciPy's
probabilities; the JAX and PyTensor gradients in every parameter (``nu`` and ``shape``
included, which ``jax.scipy.special.betainc`` cannot differentiate) match finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from array_backends import ops as _ops
from array_backends import value as _value
from scipy import stats

import bayeszoo.families as fam
from bayeszoo.families import censoring
from bayeszoo.families.ops import NUMPY, by_name
from bayeszoo.runtime import ensure_configured

N = 40
BACKENDS = ["numpy", "jax", "pytensor"]
FAMILIES = ["student", "negbinomial", "binomial", "beta", "poisson", "exponential", "gamma",
            "lognormal", "weibull"]


def _case(name: str, seed: int = 3):
    """``(family, y, eta, aux, frozen SciPy distribution per row)``, with parameters varying
    by row and responses reaching both tails (parameters as float64 arrays: PyTensor turns a
    Python float such as 1.625 into a float32 constant)."""
    rng = np.random.default_rng(seed)
    family = fam.get(name)
    eta = rng.uniform(-0.5, 1.5, N)
    if name == "student":
        nu, sigma = np.exp(rng.uniform(0.0, 4.0, N)), np.exp(rng.normal(0.0, 0.5, N))
        aux, d = {"nu": nu, "sigma": sigma}, stats.t(nu, eta, sigma)
        return family, eta + sigma * rng.normal(0.0, 4.0, N), eta, aux, d
    if name == "negbinomial":
        shape = np.exp(rng.normal(0.5, 1.0, N))
        mu = np.exp(eta)
        aux, d = {"shape": shape}, stats.nbinom(shape, shape / (shape + mu))
        return family, rng.poisson(3.0 * mu).astype(float), eta, aux, d
    if name == "binomial":
        n, p = rng.integers(1, 25, N).astype(float), 1.0 / (1.0 + np.exp(-eta))
        y = rng.binomial(n.astype(int), p).astype(float)
        y[:4] = [0.0, n[1], n[2] - 1.0, 1.0]
        return family, y, eta, {}, stats.binom(n, p), {"trials": n}
    if name == "beta":
        phi, mu = np.exp(rng.normal(2.0, 0.7, N)), 1.0 / (1.0 + np.exp(-eta))
        d = stats.beta(mu * phi, (1.0 - mu) * phi)
        return family, np.clip(d.rvs(random_state=rng), 1e-6, 1 - 1e-6), eta, {"phi": phi}, d
    if name == "poisson":
        aux, d = {}, stats.poisson(np.exp(eta))
        return family, rng.poisson(2.0 * np.exp(eta)).astype(float), eta, aux, d
    if name == "exponential":
        aux, d = {}, stats.expon(scale=np.exp(eta))
    elif name == "gamma":
        family = fam.gamma("log")
        aux, d = {"shape": np.full(N, 2.3)}, stats.gamma(2.3, scale=np.exp(eta) / 2.3)
    elif name == "lognormal":
        aux, d = {"sigma": np.full(N, 0.8)}, stats.lognorm(0.8, scale=np.exp(eta))
    else:
        aux = {"shape": np.full(N, 1.6)}
        d = stats.weibull_min(1.6, scale=np.exp(eta) / math.gamma(1 + 1 / 1.6))
    return family, np.exp(eta + rng.normal(0.0, 1.5, N)), eta, aux, d


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", FAMILIES)
def test_distribution_functions_match_scipy_to_1e_10(name, backend):
    family, y, eta, aux, d, *extras = _case(name)
    extras = extras[0] if extras else {}
    ops = _ops(backend)
    np.testing.assert_allclose(_value(family.lcdf(ops, y, eta, aux, extras)), d.logcdf(y),
                               rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(_value(family.lccdf(ops, y, eta, aux, extras)), d.logsf(y),
                               rtol=1e-10, atol=1e-10)


def test_student_negbinomial_binomial_and_beta_take_cens_and_trunc():
    names = censoring.censorable_families()
    assert {"student", "negbinomial", "binomial", "beta"} <= set(names)


def test_binomial_outside_zero_to_trials_is_certain_or_impossible():
    family, n = fam.get("binomial"), {"trials": np.array([5.0, 5.0, 5.0])}
    y, eta = np.array([-1.0, 5.0, 7.0]), np.zeros(3)
    np.testing.assert_array_equal(family.lcdf(NUMPY, y, eta, {}, n), [-np.inf, 0.0, 0.0])
    np.testing.assert_array_equal(family.lccdf(NUMPY, y, eta, {}, n), [0.0, -np.inf, -np.inf])


def test_a_censored_binomial_is_scored_row_by_row():
    family = fam.get("binomial")
    extras = {"trials": np.array([4.0, 4.0]), "cens": np.array([1.0, 0.0])}
    assert family.summarize(np.array([1.0, 1.0]), None, extras, []) is None


def test_counts_below_zero_have_no_mass_below_and_all_above():
    """brms's lower truncation bound 0 of a count enters as ``lccdf(-1)``."""
    family = fam.get("negbinomial")
    y, eta, aux = np.array([-1.0, -1.0]), np.array([0.3, 2.0]), {"shape": np.array([0.7, 5.0])}
    np.testing.assert_array_equal(family.lccdf(NUMPY, y, eta, aux), [0.0, 0.0])
    np.testing.assert_array_equal(family.lcdf(NUMPY, y, eta, aux), [-np.inf, -np.inf])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["student", "negbinomial"])
def test_censored_rows_score_scipy_probabilities(name, backend):
    family, y, eta, aux, d, *_ = _case(name)
    step = 2.0 if family.discrete else 0.5 * np.abs(y - eta) + 0.3
    extras = {"cens": np.resize([0.0, 1.0, -1.0, 2.0], N), "y2": y + step}
    got = _value(censoring.log_likelihood(family, _ops(backend), y, eta, aux, extras))
    log_pdf = d.logpmf(y) if family.discrete else d.logpdf(y)
    want = np.select([extras["cens"] == c for c in (0.0, 1.0, -1.0, 2.0)],
                     [log_pdf, d.logsf(y), d.logcdf(y), np.log(d.cdf(y + step) - d.cdf(y))])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def _total(ops, theta, name):
    """Sum of ``lcdf`` and ``lccdf`` over a few rows as a function of (eta, parameter[, sigma])."""
    family = fam.get(name)
    if name == "student":
        y, aux = np.array([-2.5, 0.3, 1.0, 6.0]), {"nu": theta[1], "sigma": theta[2]}
    else:
        y, aux = np.array([0.0, 2.0, 5.0, 12.0]), {"shape": theta[1]}
    return family.lcdf(ops, y, theta[0], aux).sum() + family.lccdf(ops, y, theta[0], aux).sum()


@pytest.mark.parametrize("name", ["student", "negbinomial"])
def test_gradients_in_every_parameter_match_finite_differences(name):
    ensure_configured()
    import jax
    import jax.numpy as jnp
    import pytensor
    import pytensor.tensor as pt

    theta = np.array([0.7, 2.5, 1.3])
    h = 1e-6
    fd = np.array([(_total(NUMPY, theta + h * e, name) - _total(NUMPY, theta - h * e, name))
                   / (2 * h) for e in np.eye(3)])
    g_jax = np.asarray(jax.grad(lambda t: _total(by_name("jax"), t, name))(jnp.asarray(theta)))
    t = pt.dvector("theta")
    g_pt = pytensor.function([t], pt.grad(_total(by_name("pytensor"), t, name), t))(theta)
    used = slice(None) if name == "student" else slice(0, 2)
    assert np.all(np.abs(fd[used]) > 1e-3)
    np.testing.assert_allclose(g_jax[used], fd[used], rtol=1e-6)
    np.testing.assert_allclose(g_pt[used], fd[used], rtol=1e-6)
