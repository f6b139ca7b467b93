"""The distribution functions of the skew normal (Owen's T) and the von Mises (Bessel series)
behind ``cens()`` and ``trunc()`` of the ``skew_normal`` and ``von_mises`` families: values
against SciPy (``skewnorm.cdf``/``sf``, ``vonmises.cdf``) and, in the far tails where SciPy's
own values lose their precision or underflow, against adaptive quadrature of the density;
NumPy, JAX and PyTensor agree; JAX and PyTensor gradients match finite differences (slow:
PyTensor compiles the gradient graphs for minutes on two shared cores)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from array_backends import ops as _ops
from array_backends import value as _value
from scipy import integrate, special, stats

from bayeszoo.families import skew_normal_cdf, von_mises_cdf
from bayeszoo.families.ops import NUMPY, by_name
from bayeszoo.runtime import ensure_configured

Z = np.concatenate([np.linspace(-8.0, 8.0, 33), [-30.0, -20.0, -12.0, 12.0, 20.0, 30.0]])
ALPHAS = [-50.0, -10.0, -3.0, -1.0, -0.3, -1e-3, 0.0, 1e-3, 0.3, 1.0, 3.0, 10.0, 50.0]
ANGLES = np.linspace(-math.pi, math.pi, 41)
MUS = [-3.1, -2.0, -0.5, 0.0, 0.3, 1.7, 3.14]


def _quad(f, lo, hi, breaks=()):
    pts = [lo, *sorted(b for b in breaks if lo < b < hi), hi]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sum(integrate.quad(f, a, b, epsabs=0.0, epsrel=1e-13, limit=400)[0]
                   for a, b in zip(pts[:-1], pts[1:], strict=True))


def _skewnorm_logcdf_by_quadrature(z: float, alpha: float) -> float:
    """``log F(z)`` by quadrature of the density scaled by its value at ``z``: relative
    accuracy however far the tail."""
    def logpdf(t):
        return math.log(2.0) + stats.norm.logpdf(t) + special.log_ndtr(alpha * t)

    at = logpdf(z)
    slope = abs(-z + alpha * math.exp(stats.norm.logpdf(alpha * z) - special.log_ndtr(alpha * z)))
    s = 1.0 / max(slope, 1.0)
    tail = _quad(lambda u: math.exp(logpdf(z - u) - at), 0.0, 60.0 * s, (s, 5 * s, 20 * s))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tail += integrate.quad(lambda u: math.exp(logpdf(z - u) - at), 60.0 * s, np.inf,
                               epsabs=0.0, epsrel=1e-13)[0]
    return at + math.log(tail)


@pytest.mark.parametrize("alpha", ALPHAS)
def test_skew_normal_cdf_and_sf_match_scipy_to_1e_10(alpha):
    cdf, sf = stats.skewnorm.cdf(Z, alpha), stats.skewnorm.sf(Z, alpha)
    np.testing.assert_allclose(np.exp(skew_normal_cdf.log_cdf(NUMPY, Z, alpha)), cdf,
                               rtol=0, atol=1e-10)
    np.testing.assert_allclose(np.exp(skew_normal_cdf.log_sf(NUMPY, Z, alpha)), sf,
                               rtol=0, atol=1e-10)
    # in the body, SciPy's logcdf and logsf (log of its cdf and sf) are exact to 1e-10 too
    body = (cdf > 1e-6) & (sf > 1e-6)
    np.testing.assert_allclose(skew_normal_cdf.log_cdf(NUMPY, Z, alpha)[body],
                               stats.skewnorm.logcdf(Z, alpha)[body], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(skew_normal_cdf.log_sf(NUMPY, Z, alpha)[body],
                               stats.skewnorm.logsf(Z, alpha)[body], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("alpha", [-10.0, -1.0, 0.0, 0.5, 3.0, 50.0])
def test_skew_normal_far_tails_are_finite_and_exact(alpha):
    z = np.array([-38.0, -30.0, -12.0, -5.0, 5.0, 12.0, 30.0, 38.0])
    log_cdf, log_sf = (skew_normal_cdf.log_cdf(NUMPY, z, alpha),
                       skew_normal_cdf.log_sf(NUMPY, z, alpha))
    assert np.all(np.isfinite(log_cdf)) and np.all(np.isfinite(log_sf))
    lower = z < 0
    ref_cdf = [_skewnorm_logcdf_by_quadrature(v, alpha) for v in z[lower]]
    ref_sf = [_skewnorm_logcdf_by_quadrature(-v, -alpha) for v in z[~lower]]
    np.testing.assert_allclose(log_cdf[lower], ref_cdf, rtol=1e-10)
    np.testing.assert_allclose(log_sf[~lower], ref_sf, rtol=1e-10)
    # 30 standard deviations out, alpha = 50: log F is about -(1 + 50²) 30² / 2
    if alpha == 50.0:
        assert log_cdf[1] < -1.1e6


def _vonmises_reference(y, mu, kappa):
    """``P(-pi <= Y <= y)``: SciPy below ``kappa = 50``, where it sums the series; above, SciPy
    switches to a normal approximation good to 1e-6 only, so quadrature."""
    if kappa < 50:
        return stats.vonmises.cdf(y, kappa, loc=mu) - stats.vonmises.cdf(-math.pi, kappa, loc=mu)
    norm = 2.0 * math.pi * special.i0e(kappa)
    return np.array([_quad(lambda t: math.exp(kappa * (math.cos(t - mu) - 1.0)) / norm,
                           -math.pi, v, (mu,)) for v in y])


@pytest.mark.parametrize("kappa", [0.01, 0.1, 0.5, 1.0, 3.0, 10.0, 30.0, 49.0, 60.0, 99.9])
def test_von_mises_cdf_matches_scipy_to_1e_8(kappa):
    for mu in MUS:
        ref = _vonmises_reference(ANGLES, mu, kappa)
        np.testing.assert_allclose(np.exp(von_mises_cdf.log_cdf(NUMPY, ANGLES, mu, kappa)), ref,
                                   rtol=0, atol=1e-8)
        np.testing.assert_allclose(np.exp(von_mises_cdf.log_sf(NUMPY, ANGLES, mu, kappa)),
                                   1.0 - ref, rtol=0, atol=1e-8)


@pytest.mark.parametrize("kappa", [10.0, 40.0, 99.0])
def test_von_mises_far_tails_are_relative_exact(kappa):
    mu, norm = 0.0, 2.0 * math.pi * special.i0e(kappa)
    y = np.array([-3.1, -2.9, -2.5, 2.5, 2.9, 3.1])
    log_cdf, log_sf = von_mises_cdf.log_cdf(NUMPY, y, mu, kappa), von_mises_cdf.log_sf(
        NUMPY, y, mu, kappa)
    dens = lambda t: math.exp(kappa * (math.cos(t - mu) - 1.0)) / norm  # noqa: E731
    for i, v in enumerate(y):
        if v < 0:
            assert log_cdf[i] == pytest.approx(math.log(_quad(dens, -math.pi, v)), rel=1e-8)
        else:
            assert log_sf[i] == pytest.approx(math.log(_quad(dens, v, math.pi)), rel=1e-8)
    assert von_mises_cdf.log_cdf(NUMPY, -math.pi, mu, kappa) == -np.inf
    assert von_mises_cdf.log_sf(NUMPY, math.pi, mu, kappa) == -np.inf


def test_von_mises_above_100_is_brms_normal_approximation():
    y, mu, kappa = np.array([-0.3, -0.05, 0.0, 0.1]), 0.02, 400.0
    s = math.sqrt(kappa)
    expected = np.log(stats.norm.cdf(s * (y - mu)) - stats.norm.cdf(s * (-math.pi - mu)))
    np.testing.assert_allclose(von_mises_cdf.log_cdf(NUMPY, y, mu, kappa), expected, rtol=1e-10)


@pytest.mark.parametrize("backend", ["jax", "pytensor"])
def test_backends_agree_with_numpy(backend):
    ops = _ops(backend)
    z, alpha = np.meshgrid(np.array([-30.0, -3.0, -0.2, 0.0, 0.4, 2.0, 9.0]),
                           np.array([-20.0, -1.0, 0.0, 0.7, 15.0]))
    z, alpha = z.ravel(), alpha.ravel()
    # jax.scipy.special.log_ndtr is exact to about 2e-10 relative below -20 (an asymptotic
    # series), which the tails 30 standard deviations out inherit
    for f in (skew_normal_cdf.log_cdf, skew_normal_cdf.log_sf):
        np.testing.assert_allclose(_value(f(ops, z, alpha)), f(NUMPY, z, alpha), rtol=1e-9,
                                   atol=1e-14)
    y = np.array([-3.0, -1.0, 0.2, 2.9, -2.0, 1.0])
    mu = np.array([0.5, -2.0, 0.0, 0.0, 3.0, 0.9])
    kappa = np.array([0.05, 2.0, 30.0, 80.0, 5.0, 150.0])
    for f in (von_mises_cdf.log_cdf, von_mises_cdf.log_sf):
        np.testing.assert_allclose(_value(f(ops, y, mu, kappa)), f(NUMPY, y, mu, kappa),
                                   rtol=1e-12)


def _gradients(backend, f, args):
    """Gradients of ``sum(f(ops, *args))`` in every argument."""
    if backend == "jax":
        import jax

        ensure_configured()
        ops = by_name("jax")
        grads = jax.grad(lambda *a: f(ops, *a).sum(), argnums=tuple(range(len(args))))(*args)
        return [np.asarray(g) for g in grads]
    import pytensor
    import pytensor.tensor as pt

    ops = by_name("pytensor")
    xs = [pt.dvector() for _ in args]
    out = f(ops, *xs).sum()
    return pytensor.function(xs, pytensor.grad(out, xs))(*args)


def _finite_differences(f, args, eps=1e-6):
    out = []
    for i in range(len(args)):
        up = [a + (eps if j == i else 0.0) for j, a in enumerate(args)]
        down = [a - (eps if j == i else 0.0) for j, a in enumerate(args)]
        out.append((f(NUMPY, *up) - f(NUMPY, *down)) / (2 * eps))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "pytensor"])
def test_gradients_match_finite_differences(backend):
    z = np.array([-30.0, -6.0, -2.0, -0.7, -0.1, 0.05, 0.3, 1.0, 3.0, 9.0, -1.3, 0.8])
    alpha = np.array([2.0, -2.0, 0.5, 4.0, 30.0, -20.0, 0.0, -0.5, 1.0, 0.2, 1e-3, -8.0])
    y = np.array([-3.0, -2.0, -0.4, 0.2, 1.5, 2.8, -1.0, 0.7])
    mu = np.array([0.5, -2.5, 0.0, 0.3, 1.0, -3.0, 2.0, 0.6])
    kappa = np.array([0.05, 1.0, 3.0, 20.0, 60.0, 95.0, 8.0, 150.0])
    cases = ((skew_normal_cdf.log_cdf, (z, alpha)), (skew_normal_cdf.log_sf, (z, alpha)),
             (von_mises_cdf.log_cdf, (y, mu, kappa)), (von_mises_cdf.log_sf, (y, mu, kappa)))
    for f, args in cases:
        for got, fd in zip(_gradients(backend, f, args), _finite_differences(f, args),
                           strict=True):
            assert np.all(np.isfinite(got))
            np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-6)
