"""Censored and truncated log-likelihoods (brms's ``cens()`` and ``trunc()``) against SciPy for
every family with a distribution function, on NumPy, JAX and PyTensor: each family's ``lcdf``
and ``lccdf``, then rows censored left, right and in intervals, truncated on one side or both,
and weighted; a discrete family's lower bound is a possible value (``lb - 1`` enters, as in
brms); gradients stay finite on every row; truncated predictive draws stay within the bounds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from array_backends import ops as _ops
from array_backends import value as _value
from scipy import stats

import bayeszoo.families as fam
from bayeszoo.families import censoring
from bayeszoo.families.ops import NUMPY

N = 24
FAMILIES = ["gaussian", "gamma", "poisson", "lognormal", "exponential", "weibull"]
BACKENDS = ["numpy", "jax", "pytensor"]


def _case(name: str, seed: int = 0):
    """``(family, y, eta, aux, frozen SciPy distribution per row)``."""
    rng = np.random.default_rng(seed)
    family = fam.get(name)
    eta = rng.uniform(-0.5, 1.5, N)
    if name == "gaussian":
        aux = {"sigma": 1.4}
        d = stats.norm(eta, 1.4)
    elif name == "gamma":
        family = fam.gamma("log")
        aux = {"shape": 2.3}
        d = stats.gamma(2.3, scale=np.exp(eta) / 2.3)
    elif name == "poisson":
        eta = rng.uniform(0.5, 2.0, N)
        aux = {}
        d = stats.poisson(np.exp(eta))
    elif name == "lognormal":
        aux = {"sigma": 0.8}
        d = stats.lognorm(0.8, scale=np.exp(eta))
    elif name == "exponential":
        aux = {}
        d = stats.expon(scale=np.exp(eta))
    else:
        aux = {"shape": 1.6}
        d = stats.weibull_min(1.6, scale=np.exp(eta) / math.gamma(1 + 1 / 1.6))
    y = np.asarray(d.rvs(random_state=rng), dtype=float)
    if name != "gaussian" and name != "poisson":
        y = np.maximum(y, 1e-3)
    return family, y, eta, aux, d


def _reference(family, d, y, extras):
    """The log-likelihood of each row written with SciPy: censored within the truncation
    bounds."""
    log_pdf = d.logpmf(y) if family.discrete else d.logpdf(y)
    cens = extras.get("cens", np.zeros_like(y))
    lb, ub = extras.get("lb"), extras.get("ub")
    if lb is not None and family.discrete:
        lb = lb - 1.0
    y2 = extras.get("y2", y) if ub is None else np.minimum(extras.get("y2", y), ub)
    with np.errstate(divide="ignore"):
        interval = np.log(d.cdf(y2) - d.cdf(y))
        right = d.logsf(y) if ub is None else np.log(d.cdf(ub) - d.cdf(y))
        left = d.logcdf(y) if lb is None else np.log(d.cdf(y) - d.cdf(lb))
    lp = np.select([cens == 0, cens == 1, cens == -1, cens == 2],
                   [log_pdf, right, left, interval])
    if lb is not None and ub is not None:
        lp = lp - np.log(d.cdf(ub) - d.cdf(lb))
    elif lb is not None:
        lp = lp - d.logsf(lb)
    elif ub is not None:
        lp = lp - d.logcdf(ub)
    return lp * extras.get("weights", 1.0)


def _extras(name, y, which):
    step = 2.0 if name == "poisson" else 0.5 * np.abs(y) + 0.3
    out = {}
    if "cens" in which:
        out["cens"] = np.resize([0.0, 1.0, -1.0, 2.0], y.shape)
        out["y2"] = y + step
    if "lb" in which:
        out["lb"] = np.maximum(y - 2.0, 0.0) if name == "poisson" else (
            y - 1.5 if name == "gaussian" else 0.5 * y)
    if "ub" in which:
        out["ub"] = y + (3.0 if name == "poisson" else step + 0.7)
    if "weights" in which:
        out["weights"] = np.resize([1.0, 2.0, 0.5], y.shape)
    return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", FAMILIES)
def test_distribution_functions_match_scipy(name, backend):
    family, y, eta, aux, d = _case(name)
    ops = _ops(backend)
    np.testing.assert_allclose(_value(family.lcdf(ops, y, eta, aux)), d.logcdf(y), rtol=1e-7,
                               atol=1e-10)
    np.testing.assert_allclose(_value(family.lccdf(ops, y, eta, aux)), d.logsf(y), rtol=1e-7,
                               atol=1e-10)


@pytest.mark.parametrize("which", [("cens",), ("lb",), ("ub",), ("lb", "ub"),
                                   ("cens", "lb", "ub", "weights"), ("cens", "ub", "weights")])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", FAMILIES)
def test_censored_truncated_log_likelihood_matches_scipy(name, backend, which):
    family, y, eta, aux, d = _case(name)
    extras = _extras(name, y, which)
    got = _value(censoring.log_likelihood(family, _ops(backend), y, eta, aux, extras))
    np.testing.assert_allclose(got, _reference(family, d, y, extras), rtol=1e-7, atol=1e-9)


def test_censored_rows_of_a_truncated_response_are_probabilities():
    """A right-censored row below an upper bound scores ``P(y < Y <= ub) / P(Y <= ub) <= 1``
    wherever the mean goes (brms's ``lccdf(y) - lcdf(ub)`` grows without limit as the mean
    moves above ``ub``); an interval past ``ub`` ends at ``ub``."""
    family = fam.gaussian()
    y, ub = np.array([1.0, 1.0]), np.array([2.0, 2.0])
    extras = {"cens": np.array([1.0, 2.0]), "y2": np.array([5.0, 5.0]), "ub": ub}
    for mu in (-3.0, 0.0, 3.0, 10.0):
        lp = censoring.log_likelihood(family, NUMPY, y, np.full(2, mu), {"sigma": 1.0}, extras)
        d = stats.norm(mu, 1.0)
        np.testing.assert_allclose(lp, np.log((d.cdf(2.0) - d.cdf(1.0)) / d.cdf(2.0)),
                                   rtol=1e-9)
        assert np.all(lp <= 0.0)


def test_gaussian_se_enters_the_distribution_functions():
    family, y, eta, _, _ = _case("gaussian")
    se = np.full(N, 0.9)
    extras = {"se": se, "cens": np.resize([0.0, 1.0, -1.0], N), "lb": y - 1.0}
    d = stats.norm(eta, math.sqrt(0.9**2 + 1.4**2))
    got = censoring.log_likelihood(family, NUMPY, y, eta, {"sigma": 1.4}, extras)
    np.testing.assert_allclose(got, _reference(family, d, y, extras), rtol=1e-9)


def test_without_cens_or_trunc_the_family_density_is_used():
    family, y, eta, aux, d = _case("gamma")
    w = np.linspace(0.5, 2.0, N)
    got = censoring.log_likelihood(family, NUMPY, y, eta, aux, {"weights": w})
    np.testing.assert_allclose(got, w * d.logpdf(y), rtol=1e-10)


def test_discrete_lower_bound_is_a_possible_value():
    """Poisson truncated at ``lb = 0``: no truncation at all; at ``lb = 1``: ``P(Y >= 1)``."""
    family = fam.poisson()
    y, eta = np.array([0.0, 3.0]), np.log(np.array([2.0, 2.0]))
    plain = family.log_prob(NUMPY, y, eta, {}, {})
    zero = censoring.log_likelihood(family, NUMPY, y, eta, {}, {"lb": np.zeros(2)})
    np.testing.assert_allclose(zero, plain, rtol=1e-12)
    one = censoring.log_likelihood(family, NUMPY, y[1:], eta[1:], {}, {"lb": np.ones(1)})
    np.testing.assert_allclose(one, plain[1:] - np.log1p(-math.exp(-2.0)), rtol=1e-12)


def test_far_tail_intervals_keep_their_precision():
    """An interval far in the upper tail of a normal: ``log(Φ(b) - Φ(a))`` from the survival
    functions (a difference of CDFs rounds to 0)."""
    family = fam.gaussian()
    y, y2 = np.array([9.0, -9.5]), np.array([9.5, -9.0])
    got = censoring.log_likelihood(family, NUMPY, y, np.zeros(2), {"sigma": 1.0},
                                   {"cens": np.array([2.0, 2.0]), "y2": y2})
    ref = [np.log(stats.norm.sf(9.0) - stats.norm.sf(9.5)),
           np.log(stats.norm.cdf(-9.0) - stats.norm.cdf(-9.5))]
    np.testing.assert_allclose(got, ref, rtol=1e-8)


@pytest.mark.parametrize("name", FAMILIES)
def test_gradients_are_finite_on_every_row(name):
    """JAX gradients of the summed log-likelihood in ``eta`` and the auxiliary parameter, with
    ``y2`` on the uncensored rows set as the design sets it
    (:func:`~bayeszoo.families.censoring.check_censoring`)."""
    import jax
    import jax.numpy as jnp

    family, y, eta, aux, _ = _case(name)
    extras = censoring.check_censoring(family, y, "y", _extras(name, y, ("cens", "lb", "ub")))
    ops = _ops("jax")

    def total(e, a):
        return jnp.sum(censoring.log_likelihood(family, ops, y, e, a, extras))

    g_eta, g_aux = jax.grad(total, argnums=(0, 1))(jnp.asarray(eta),
                                                   {k: jnp.asarray(v) for k, v in aux.items()})
    assert np.all(np.isfinite(np.asarray(g_eta)))
    assert all(np.isfinite(float(v)) for v in g_aux.values())


@pytest.mark.parametrize("name", ["gaussian", "poisson", "weibull"])
def test_truncated_draws_stay_within_the_bounds(name):
    family, y, eta, aux, d = _case(name)
    lb = np.full(N, 1.0)
    ub = np.full(N, 3.0)
    rng = np.random.default_rng(3)
    etas = np.broadcast_to(eta, (400, N))
    auxs = {k: np.full((400, 1), v) for k, v in aux.items()}
    draws = censoring.draw(family, rng, etas, auxs, {"lb": lb, "ub": ub})
    assert draws.shape == (400, N)
    assert draws.min() >= 1.0 and draws.max() <= 3.0
    # the truncated distribution's mean, row 0
    grid = np.arange(1, 4) if family.discrete else np.linspace(1.0, 3.0, 4001)
    dens = (d.pmf if family.discrete else d.pdf)(grid[:, None])[:, 0]
    mean = np.sum(grid * dens) / np.sum(dens)
    assert abs(draws[:, 0].mean() - mean) < 4 * draws[:, 0].std() / math.sqrt(400)


def test_censored_draws_are_the_uncensored_models():
    family, y, eta, aux, _ = _case("lognormal")
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    cens = {"cens": np.ones(N)}
    np.testing.assert_array_equal(censoring.draw(family, rng_a, eta, aux, cens),
                                  family.draw(rng_b, eta, aux, cens))
