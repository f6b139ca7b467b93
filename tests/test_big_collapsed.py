"""sample_big's collapsed sampler: the coefficients integrated out of the Gaussian statistics'
posterior exactly (marginal density = joint density / conditional density, and = numerical
integration), the coefficients drawn from their exact conditional, and the same posterior as
NUTS on every parameter."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from big_frames import discretized_frame
from scipy import integrate, stats

import bayeszoo as bz
from bayeszoo.families.gaussian_stats import residual_sum_of_squares
from bayeszoo.inference.big_collapsed import (
    conditional_coefficients,
    marginal_log_likelihood,
)
from bayeszoo.inference.big_collapsed_nuts import collapse_plan
from bayeszoo.inference.big_stats import LaplacePoisson, laplace_statistics, statistics
from bayeszoo.inference.sampling import checked_spec
from bayeszoo.models.likelihood import model_data
from bayeszoo.models.numpyro import build_numpyro
from bayeszoo.penalized.bam import discretized_state
from bayeszoo.runtime import ensure_configured

GAUSS = 'y ~ s(x1, k=6) + s(x2, k=5) + s(g, bs="re")'
GROUPED = "y ~ x2 + s(x1, k=6) + (1 | g) + (1 | h)"
POIS = 'count ~ s(x1, k=6) + s(x2, k=5) + s(g, bs="re")'


@pytest.fixture(scope="module")
def frame():
    return discretized_frame(11, 800, effect_sd=0.5, effects_in_y=True, count_effect=0.6)


def _model(formula, frame, family="gaussian", priors=None, laplace=False,
           parameterization="noncentered"):
    ensure_configured()
    ds = discretized_state(formula, frame, family)
    spec = checked_spec(ds.design, priors, parameterization, 4, 500, False)
    if laplace:
        st, _ = laplace_statistics(ds, spec)
        spec = dataclasses.replace(spec, family=LaplacePoisson(spec.family))
    else:
        st = statistics(ds, spec)
    design = dataclasses.replace(ds.design, statistics=st)
    plan = collapse_plan(design, spec, st)
    assert not isinstance(plan, str), plan
    return design, spec, st, plan


def _rows(formula, frame, spec, family="gaussian"):
    """``W = [X, dense blocks, indicator blocks]`` of every row, from the exact design."""
    arrays = model_data(bz.design(formula, frame, family=family), spec).predictors[0]
    dense = [arrays.X] + [b.matrix for b in arrays.blocks if b.matrix.shape[0]]
    ind = [np.eye(int(np.max(b.index)) + 1)[b.index] * b.weights[:, None]
           for b in arrays.blocks if not b.matrix.shape[0]]
    return np.hstack(dense + ind)


def _prior_precision(spec, plan, taus, P):
    """Per coefficient of θ: its prior precision and mean (0 and 0 for flat ones)."""
    lam, mean = np.zeros(P), np.zeros(P)
    for site, pos in plan.fixed:
        prior = spec.site(site).prior
        if prior.family == "normal":
            lam[pos] = prior.named["sigma"] ** -2
            mean[pos] = prior.named["mu"]
    for (j, sl) in plan.blocks:
        lam[sl] = taus[j] ** -2
    return lam, mean


def _identity(loglik, Q_lik, h_lik, lam, mean, theta):
    """``log p(y, β | φ) − log p(β | y, φ)`` at ``β = theta[1:]`` by dense algebra, for a
    log-likelihood quadratic in ``β`` with Hessian ``−Q_lik`` and ``h_lik`` its linear term."""
    gauss = lam > 0
    log_prior = float(np.sum(stats.norm.logpdf(theta[gauss], mean[gauss],
                                               lam[gauss] ** -0.5)))
    Q = Q_lik + np.diag(lam[1:])
    m = np.linalg.solve(Q, h_lik + lam[1:] * mean[1:])
    d = theta[1:] - m
    log_cond = -0.5 * d @ Q @ d + 0.5 * np.linalg.slogdet(Q)[1] - 0.5 * len(m) * np.log(
        2 * np.pi)
    return loglik(theta) + log_prior - log_cond


@pytest.mark.parametrize("formula,priors", [
    (GAUSS, None), (GROUPED, None), (GROUPED, {"b": "normal(0.5, 2)"})])
def test_marginal_is_joint_over_conditional(frame, formula, priors):
    _, spec, _, plan = _model(formula, frame, priors=priors)
    W = _rows(formula, frame, spec)
    y = frame["y"].to_numpy(float)
    rng = np.random.default_rng(3)
    for alpha, sigma, taus in ((3.4, 1.1, [0.7, 1.5, 0.4, 0.9]),
                               (2.9, 0.8, [2.0, 0.3, 1.2, 0.2])):
        taus = np.asarray(taus[:len(plan.scales)] + [1.0])
        got = float(marginal_log_likelihood(plan.stats, alpha, sigma, taus))
        lam, mean = _prior_precision(spec, plan, taus, W.shape[1])
        Wb = W[:, 1:]
        for _ in range(2):  # the identity holds at any β
            theta = np.concatenate([[alpha], rng.normal(0, 1, W.shape[1] - 1)])
            want = _identity(lambda t, s=sigma: float(np.sum(stats.norm.logpdf(y, W @ t, s))),
                             Wb.T @ Wb / sigma**2, Wb.T @ (y - alpha * W[:, 0]) / sigma**2,
                             lam, mean, theta)
            assert got == pytest.approx(want, rel=1e-11, abs=1e-8)


def test_laplace_marginal_is_joint_over_conditional(frame):
    import jax
    import jax.numpy as jnp

    _, spec, st, plan = _model(POIS, frame, "poisson", laplace=True)
    g = st.gaussian
    p, q = g.dense_gram.shape[0], len(g.block_sq[0])
    P = p + q

    def loglik(theta):  # the expansion, from the statistics (LaplacePoisson's own formula)
        theta = jnp.asarray(theta)
        return st.constant - 0.5 * residual_sum_of_squares(g, theta[:p], [theta[p:]])

    H = np.zeros((P, P))
    H[:p, :p] = g.dense_gram
    H[:p, p:] = g.dense_block[0]
    H[p:, :p] = g.dense_block[0].T
    H[p:, p:] = np.diag(g.block_sq[0])
    alpha, taus = 1.1, np.array([0.8, 1.6, 0.5, 1.0])
    got = float(marginal_log_likelihood(plan.stats, alpha, 1.0, taus))
    lam, mean = _prior_precision(spec, plan, taus, P)
    rng = np.random.default_rng(5)
    for _ in range(2):
        theta = np.concatenate([[alpha], rng.normal(0, 0.3, P - 1)])
        # exactly quadratic: its gradient in β is h − H_ββ β
        h = np.asarray(jax.grad(loglik)(theta))[1:] + H[1:, 1:] @ theta[1:]
        want = _identity(lambda t: float(loglik(t)), H[1:, 1:], h, lam, mean, theta)
        assert got == pytest.approx(want, rel=1e-11, abs=1e-8)


def _exact_model(formula, frame):
    """The collapsed plan of ``formula`` on the in-memory design (no discretization)."""
    ensure_configured()
    design = bz.design(formula, frame)
    spec = checked_spec(design, None, "noncentered", 4, 500, False)
    st = build_numpyro(design, spec=spec).data
    plan = collapse_plan(design, spec, st)
    assert not isinstance(plan, str), plan
    return design, spec, plan


def test_marginal_matches_quadrature_flat_coefficient():
    # y ~ x: the slope's flat prior integrated over the real line numerically
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(size=40)})
    df["y"] = 1.0 + 0.5 * df.x + rng.normal(0, 0.7, 40)
    _, spec, plan = _exact_model("y ~ x", df)
    alpha, sigma = 0.9, 0.8
    x = df.x.to_numpy() - spec.mu.x_means[0]
    y = df.y.to_numpy()
    got = float(marginal_log_likelihood(plan.stats, alpha, sigma, np.ones(1)))

    def integrand(b):
        return np.exp(np.sum(stats.norm.logpdf(y, alpha + b * x, sigma)) - got)

    value, err = integrate.quad(integrand, -5, 5, epsabs=1e-13, epsrel=1e-12, points=[0.5])
    assert value == pytest.approx(1.0, abs=1e-8)


def test_marginal_matches_quadrature_group_effects():
    # y ~ 1 + (1 | g), two groups: both group effects integrated numerically
    rng = np.random.default_rng(4)
    g = np.repeat([0, 1], [7, 5])
    df = pd.DataFrame({"g": pd.Categorical(np.array(["a", "b"])[g])})
    df["y"] = 2.0 + np.array([0.4, -0.3])[g] + rng.normal(0, 0.5, 12)
    _, _, plan = _exact_model("y ~ 1 + (1 | g)", df)
    alpha, sigma, tau = 2.1, 0.6, 0.7
    y = df.y.to_numpy()
    got = float(marginal_log_likelihood(plan.stats, alpha, sigma, np.array([tau, 1.0])))

    def integrand(r1, r0):
        mu = alpha + np.array([r0, r1])[g]
        return np.exp(np.sum(stats.norm.logpdf(y, mu, sigma))
                      + stats.norm.logpdf(r0, 0, tau) + stats.norm.logpdf(r1, 0, tau) - got)

    value, _ = integrate.dblquad(integrand, -3, 3, -3, 3, epsabs=1e-12, epsrel=1e-11)
    assert value == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("formula", [GAUSS, GROUPED])
def test_conditional_draws_have_the_exact_moments(frame, formula):
    _, spec, _, plan = _model(formula, frame)
    W = _rows(formula, frame, spec)
    y = frame["y"].to_numpy(float)
    alpha, sigma = 3.2, 0.9
    taus = np.asarray([0.6, 1.3, 0.45, 0.8][:len(plan.scales)] + [1.0])
    lam, mean = _prior_precision(spec, plan, taus, W.shape[1])
    Wb = W[:, 1:]
    Q = Wb.T @ Wb / sigma**2 + np.diag(lam[1:])
    m = np.linalg.solve(Q, Wb.T @ (y - alpha * W[:, 0]) / sigma**2 + lam[1:] * mean[1:])
    k = len(plan.order)
    at = plan.order - 1  # the draws' order, as positions of β (θ without the intercept)
    center = np.asarray(conditional_coefficients(plan.stats, alpha, sigma, taus, np.zeros(k)))
    np.testing.assert_allclose(center, m[at], rtol=1e-9, atol=1e-10)
    # β = mean + L'⁻¹ε: its columns for unit ε give the covariance Q⁻¹ exactly
    M = np.stack([np.asarray(conditional_coefficients(plan.stats, alpha, sigma, taus, e))
                  - center for e in np.eye(k)], axis=1)
    np.testing.assert_allclose(M @ M.T, np.linalg.inv(Q)[np.ix_(at, at)], rtol=1e-8,
                               atol=1e-12)


def test_models_that_do_not_collapse_say_why(frame):
    ensure_configured()
    for formula, family, priors, reason in (
            (GAUSS, "gaussian", {"b": "student_t(3, 0, 2)"}, "only flat and normal"),
            ("y ~ s(x1, k=6) + (1 + x2 | g)", "gaussian", None, "not an iid block"),
            (POIS, "poisson", None, "not Gaussian")):
        ds = discretized_state(formula, frame, family)
        spec = checked_spec(ds.design, priors, "noncentered", 4, 500, False)
        st = statistics(ds, spec)
        plan = collapse_plan(dataclasses.replace(ds.design, statistics=st), spec, st)
        assert isinstance(plan, str) and reason in plan
    with pytest.raises(ValueError, match="cannot integrate"):
        bz.sample_big(POIS, frame, "poisson", sampler="collapsed")
    with pytest.raises(ValueError, match="sampler must be"):
        bz.sample_big(GAUSS, frame, sampler="gibbs")


def _compare(a, b, names):
    """Every parameter's posterior mean within 4.5 Monte Carlo standard errors (both fits'
    combined) and its sd within 15%."""
    import arviz as az

    sa, sb = az.mcse(a.posterior), az.mcse(b.posterior)
    for name in names:
        x, y = a.posterior[name].values, b.posterior[name].values
        x, y = x.reshape(-1, *x.shape[2:]), y.reshape(-1, *y.shape[2:])
        se = np.hypot(sa[name].values, sb[name].values)
        assert np.all(np.abs(x.mean(0) - y.mean(0)) < 4.5 * se), name
        np.testing.assert_allclose(x.std(0), y.std(0), rtol=0.15, err_msg=name)


@pytest.mark.slow
@pytest.mark.parametrize("parameterization", ["noncentered", "centered"])
def test_collapsed_posterior_equals_joint(frame, parameterization):
    kw = {"chains": 4, "draws": 1000, "tune": 500, "seed": 8, "progress": False,
          "parameterization": parameterization}
    collapsed = bz.sample_big(GROUPED, frame, **kw)
    joint = bz.sample_big(GROUPED, frame, sampler="joint", **kw)
    assert collapsed.attrs["sampler"] == "collapsed" and joint.attrs["sampler"] == "joint"
    assert set(collapsed.posterior.data_vars) == set(joint.posterior.data_vars)
    for name, v in joint.posterior.data_vars.items():
        assert collapsed.posterior[name].shape == v.shape
    _compare(collapsed, joint, list(joint.posterior.data_vars))


@pytest.mark.slow
def test_collapsed_laplace_posterior_equals_joint(frame):
    kw = {"chains": 4, "draws": 1000, "tune": 500, "seed": 9, "progress": False,
          "parameterization": "centered", "approximation": "laplace"}
    collapsed = bz.sample_big(POIS, frame, "poisson", **kw)
    joint = bz.sample_big(POIS, frame, "poisson", sampler="joint", **kw)
    _compare(collapsed, joint, list(joint.posterior.data_vars))
