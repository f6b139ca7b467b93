"""The zero-inflated, hurdle, positive and circular families (brms 2.18's): log densities
against SciPy for every family and link, the same formula on NumPy, JAX and PyTensor, means
(``posterior_epred``) and predictive draws against each other and against the density, bad
responses named, the boundaries the separation check reads, and the log survival functions a
censored response will need."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

import bayeszoo.families as fam
from bayeszoo.families.ops import NUMPY, by_name

N = 40
NEW = ["zero_inflated_poisson", "zero_inflated_negbinomial", "zero_inflated_binomial",
       "zero_inflated_beta", "hurdle_poisson", "hurdle_negbinomial", "hurdle_gamma",
       "hurdle_lognormal", "lognormal", "exponential", "weibull", "skew_normal", "von_mises"]
ALL = [(name, link) for name in NEW for link in fam.get(name).links]


def _skew_normal_xi_omega(mu, sigma, alpha):
    """brms's moment parameterization, written out: location and scale of the skew normal
    whose mean is ``mu`` and sd ``sigma``."""
    delta = alpha / np.sqrt(1 + alpha**2)
    omega = sigma / np.sqrt(1 - 2 * delta**2 / np.pi)
    return mu - omega * delta * np.sqrt(2 / np.pi), omega


def _with_zeros(y, rng, frac=0.3):
    return np.where(rng.uniform(size=y.shape) < frac, 0.0, y)


def _case(family: fam.Family, seed: int = 0):
    """``(y, eta, aux, extras, SciPy log density)`` at ``N`` points, zeros included where the
    family has a point mass there."""
    rng = np.random.default_rng(seed)
    link = family.link_name
    if link == "inverse":
        eta = rng.uniform(0.3, 2.0, N)
    elif link == "identity" and family.positive_mean:
        eta = rng.uniform(0.2, 4.0, N)
    else:
        eta = rng.uniform(-2.0, 2.0, N)
    mu = family.link.inverse_np(eta)
    name = family.name
    if name == "zero_inflated_poisson":
        zi = 0.3
        y = _with_zeros(rng.poisson(mu).astype(float), rng)
        ref = np.where(y == 0, np.log(zi + (1 - zi) * np.exp(-mu)),
                       np.log1p(-zi) + stats.poisson.logpmf(y, mu))
        return y, eta, {"zi": zi}, {}, ref
    if name == "zero_inflated_negbinomial":
        zi, shape = 0.25, 1.7
        nb = stats.nbinom(shape, shape / (shape + mu))
        y = _with_zeros(nb.rvs(random_state=rng).astype(float), rng)
        ref = np.where(y == 0, np.log(zi + (1 - zi) * nb.pmf(0)), np.log1p(-zi) + nb.logpmf(y))
        return y, eta, {"shape": shape, "zi": zi}, {}, ref
    if name == "zero_inflated_binomial":
        zi = 0.2
        trials = rng.integers(0, 9, N).astype(float)
        y = _with_zeros(rng.binomial(trials.astype(int), mu).astype(float), rng)
        b = stats.binom(trials, mu)
        ref = np.where(y == 0, np.log(zi + (1 - zi) * b.pmf(0)), np.log1p(-zi) + b.logpmf(y))
        return y, eta, {"zi": zi}, {"trials": trials}, ref
    if name == "zero_inflated_beta":
        zi, phi = 0.35, 5.0
        y = _with_zeros(np.clip(rng.beta(mu * phi, (1 - mu) * phi), 1e-6, 1 - 1e-6), rng)
        ref = np.where(y == 0, np.log(zi),
                       np.log1p(-zi) + stats.beta.logpdf(np.where(y == 0, 0.5, y), mu * phi,
                                                         (1 - mu) * phi))
        return y, eta, {"phi": phi, "zi": zi}, {}, ref
    if name == "hurdle_poisson":
        hu = 0.4
        y = _with_zeros(1.0 + rng.poisson(mu), rng)
        ref = np.where(y == 0, np.log(hu), np.log1p(-hu) + stats.poisson.logpmf(y, mu)
                       - stats.poisson.logsf(0, mu))
        return y, eta, {"hu": hu}, {}, ref
    if name == "hurdle_negbinomial":
        hu, shape = 0.3, 2.2
        nb = stats.nbinom(shape, shape / (shape + mu))
        y = _with_zeros(1.0 + nb.rvs(random_state=rng), rng)
        ref = np.where(y == 0, np.log(hu), np.log1p(-hu) + nb.logpmf(y) - nb.logsf(0))
        return y, eta, {"shape": shape, "hu": hu}, {}, ref
    if name == "hurdle_gamma":
        hu, shape = 0.2, 3.0
        y = _with_zeros(rng.gamma(shape, mu / shape), rng)
        ref = np.where(y == 0, np.log(hu), np.log1p(-hu) + stats.gamma.logpdf(
            np.where(y == 0, 1.0, y), shape, scale=mu / shape))
        return y, eta, {"shape": shape, "hu": hu}, {}, ref
    if name == "hurdle_lognormal":
        hu, sigma = 0.45, 0.7
        y = _with_zeros(rng.lognormal(mu, sigma), rng)
        ref = np.where(y == 0, np.log(hu), np.log1p(-hu) + stats.lognorm.logpdf(
            np.where(y == 0, 1.0, y), sigma, scale=np.exp(mu)))
        return y, eta, {"sigma": sigma, "hu": hu}, {}, ref
    if name == "lognormal":
        sigma = 0.6
        y = rng.lognormal(mu, sigma)
        return y, eta, {"sigma": sigma}, {}, stats.lognorm.logpdf(y, sigma, scale=np.exp(mu))
    if name == "exponential":
        y = rng.exponential(mu)
        return y, eta, {}, {}, stats.expon.logpdf(y, scale=mu)
    if name == "weibull":
        shape = 1.6
        scale = mu / math.gamma(1 + 1 / shape)
        y = scale * rng.weibull(shape, N)
        return y, eta, {"shape": shape}, {}, stats.weibull_min.logpdf(y, shape, scale=scale)
    if name == "skew_normal":
        sigma, alpha = 1.3, -2.5
        xi, omega = _skew_normal_xi_omega(mu, sigma, alpha)
        y = stats.skewnorm.rvs(alpha, xi, omega, random_state=rng)
        return (y, eta, {"sigma": sigma, "alpha": alpha}, {},
                stats.skewnorm.logpdf(y, alpha, xi, omega))
    if name == "von_mises":
        kappa = 2.5
        y = np.angle(np.exp(1j * stats.vonmises.rvs(kappa, loc=mu, random_state=rng)))
        return y, eta, {"kappa": kappa}, {}, stats.vonmises.logpdf(y, kappa, loc=mu)
    raise AssertionError(name)


def test_the_new_families_are_registered_under_brms_names():
    assert fam.names()[8:8 + len(NEW)] == NEW
    assert fam.get("hurdle_negbinomial").link_name == "log"
    assert fam.get("lognormal").link_name == "identity"
    assert fam.get("von_mises").link_name == "tan_half"
    assert [a.name for a in fam.hurdle_negbinomial().aux] == ["shape", "hu"]
    assert [a.name for a in fam.zero_inflated_beta().aux] == ["phi", "zi"]
    assert [(a.name, a.support, a.link) for a in fam.skew_normal().aux] == [
        ("sigma", "positive", "log"), ("alpha", "real", "identity")]
    zi = fam.zero_inflated_poisson().aux_parameter("zi")
    assert (zi.support, zi.link, zi.prior, zi.formula_intercept_prior) == (
        "unit", "logit", "beta(1, 1)", "logistic(0, 1)")
    with pytest.raises(ValueError, match=r"'lognormal' has no link 'log'.*identity, inverse"):
        fam.get("lognormal", "log")


@pytest.mark.parametrize(("name", "link"), ALL)
def test_log_prob_equals_scipy(name, link):
    family = fam.get(name, link)
    y, eta, aux, extras, expected = _case(family)
    assert np.all(np.isfinite(expected))
    got = family.log_prob(NUMPY, y, eta, aux, extras)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(1).uniform(0.5, 2.0, N)
    got_w = family.log_prob(NUMPY, y, eta, aux, {**extras, "weights": w})
    np.testing.assert_allclose(got_w, w * expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in NEW if n.startswith(("zero", "hurdle"))])
def test_zi_and_hu_per_row_as_from_a_formula(name):
    """A ``zi``/``hu`` formula gives one probability per row: the density of each row is the
    one with that row's constant."""
    family = fam.get(name)
    y, eta, aux, extras, _ = _case(family)
    key = "zi" if name.startswith("zero") else "hu"
    p = np.random.default_rng(2).uniform(0.05, 0.9, N)
    got = family.log_prob(NUMPY, y, eta, {**aux, key: p}, extras)
    rows = [family.log_prob(NUMPY, y[i:i + 1], eta[i:i + 1], {**aux, key: p[i]},
                            {k: v[i:i + 1] for k, v in extras.items()})[0] for i in range(N)]
    np.testing.assert_allclose(got, rows, rtol=1e-13)


@pytest.mark.parametrize(("name", "link"), ALL)
def test_same_formula_on_numpy_jax_pytensor(name, link):
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    import pytensor
    import pytensor.tensor as pt

    family = fam.get(name, link)
    y, eta, aux, extras, _ = _case(family)
    ref = family.log_prob(NUMPY, y, eta, aux, extras)
    jx = np.asarray(family.log_prob(by_name("jax"), y, eta, aux, extras))
    np.testing.assert_allclose(jx, ref, rtol=1e-12, atol=1e-12)
    y_v, eta_v = pt.dvector("y"), pt.dvector("eta")
    aux_v = {k: pt.dscalar(k) for k in aux}
    ex_v = {k: pt.dvector(k) for k in extras}
    out = family.log_prob(by_name("pytensor"), y_v, eta_v, aux_v, ex_v)
    f = pytensor.function([y_v, eta_v, *aux_v.values(), *ex_v.values()], out)
    np.testing.assert_allclose(f(y, eta, *aux.values(), *extras.values()), ref, rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("name", ["zero_inflated_beta", "hurdle_gamma", "hurdle_lognormal",
                                  "hurdle_poisson", "zero_inflated_poisson"])
def test_gradient_is_finite_at_zeros(name):
    """The zeros' branch never reaches the gradient of the non-zero density (``log 0``)."""
    import jax

    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    family = fam.get(name)
    y, eta, aux, extras, _ = _case(family)
    assert np.any(y == 0)
    key = "zi" if name.startswith("zero") else "hu"
    ops = by_name("jax")

    def total(e, p):
        return family.log_prob(ops, y, e, {**aux, key: p}, extras).sum()

    g_eta, g_p = jax.grad(total, argnums=(0, 1))(eta, 0.3)
    assert np.all(np.isfinite(np.asarray(g_eta))) and np.isfinite(float(g_p))


def test_von_mises_switches_to_the_normal_above_kappa_100_as_brms():
    f = fam.von_mises()
    y, eta = np.array([0.1, -0.05]), np.array([0.0, 0.02])
    mu = 2 * np.arctan(eta)
    np.testing.assert_allclose(f.log_prob(NUMPY, y, eta, {"kappa": 99.0}, {}),
                               stats.vonmises.logpdf(y, 99.0, loc=mu), rtol=1e-12)
    np.testing.assert_allclose(f.log_prob(NUMPY, y, eta, {"kappa": 150.0}, {}),
                               stats.norm.logpdf(y, mu, 1 / np.sqrt(150.0)), rtol=1e-12)
    assert np.isfinite(f.log_prob(NUMPY, y, eta, {"kappa": 1e5}, {})).all()


def test_skew_normal_mu_and_sigma_are_its_mean_and_sd():
    """brms's moment parameterization: SciPy's skew normal at the implied location and scale
    has mean ``mu`` and standard deviation ``sigma``."""
    for alpha in (-4.0, 0.0, 1.5, 20.0):
        xi, omega = _skew_normal_xi_omega(2.0, 0.8, alpha)
        d = stats.skewnorm(alpha, xi, omega)
        assert d.mean() == pytest.approx(2.0, abs=1e-12)
        assert d.std() == pytest.approx(0.8, rel=1e-12)


# -- means and draws ---------------------------------------------------------------------------
DRAWS = 40000


@pytest.mark.parametrize("name", NEW)
def test_draws_average_to_the_mean(name):
    """``draw``'s average at three rows within 4.5 Monte Carlo sd of ``mean`` (brms's
    ``posterior_epred``), the draws on the family's support."""
    family = fam.get(name)
    y, eta, aux, extras, _ = _case(family, seed=5)
    eta3 = np.broadcast_to(eta[:3], (DRAWS, 3))
    ex3 = {k: np.broadcast_to(v[:3], (DRAWS, 3)) for k, v in extras.items()}
    draws = family.draw(np.random.default_rng(6), eta3, aux, ex3)
    assert draws.shape == (DRAWS, 3)
    mean = family.mean(eta[:3], aux, {k: v[:3] for k, v in extras.items()})
    if name == "von_mises":  # a direction: compare the mean resultant's angle
        got = np.angle(np.exp(1j * draws).mean(axis=0))
        np.testing.assert_allclose(got, mean, atol=0.03)
        assert np.all(np.abs(draws) <= np.pi)
        return
    se = draws.std(axis=0) / np.sqrt(DRAWS)
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 4.5 * se + 1e-12), (draws.mean(0), mean)
    family.check_values(draws.ravel(), "y", None if not ex3 else ex3["trials"].ravel())


@pytest.mark.parametrize("name", [n for n in NEW if fam.get(n).discrete])
def test_count_draws_follow_the_mass_function(name):
    """The frequencies of 0..5 in the draws of one row against ``exp(log_prob)``."""
    family = fam.get(name)
    _, eta, aux, extras, _ = _case(family, seed=8)
    e = np.full(DRAWS, eta[0])
    ex = {k: np.full(DRAWS, v[0]) for k, v in extras.items()}
    draws = family.draw(np.random.default_rng(9), e, aux, ex)
    ks = np.arange(6.0)
    pmf = np.exp(family.log_prob(NUMPY, ks, np.full(6, eta[0]), aux,
                                 {k: np.full(6, v[0]) for k, v in extras.items()}))
    if "trials" in extras:
        pmf = np.where(ks <= extras["trials"][0], pmf, 0.0)
    freq = np.array([(draws == k).mean() for k in ks])
    tol = 4.5 * np.sqrt(pmf * (1 - pmf) / DRAWS) + 1e-9
    assert np.all(np.abs(freq - pmf) <= tol), (freq, pmf)
    assert pmf.sum() > 0.5


def test_means_are_brms_posterior_epred():
    mu, p = np.array([0.5, 2.0]), np.array([0.2, 0.6])
    np.testing.assert_allclose(fam.zero_inflated_poisson().mean(np.log(mu), {"zi": p}),
                               mu * (1 - p))
    np.testing.assert_allclose(fam.hurdle_poisson().mean(np.log(mu), {"hu": p}),
                               mu / (1 - np.exp(-mu)) * (1 - p))
    np.testing.assert_allclose(
        fam.hurdle_negbinomial().mean(np.log(mu), {"hu": p, "shape": 1.5}),
        mu / (1 - (1.5 / (mu + 1.5)) ** 1.5) * (1 - p))
    np.testing.assert_allclose(
        fam.zero_inflated_binomial().mean(special.logit(p), {"zi": 0.1}, {"trials": mu * 4}),
        p * mu * 4 * 0.9)
    np.testing.assert_allclose(fam.lognormal().mean(mu, {"sigma": 0.5}), np.exp(mu + 0.125))
    np.testing.assert_allclose(fam.hurdle_lognormal().mean(mu, {"sigma": 0.5, "hu": p}),
                               np.exp(mu + 0.125) * (1 - p))
    np.testing.assert_allclose(fam.weibull().mean(np.log(mu), {"shape": 2.0}), mu)
    np.testing.assert_allclose(fam.von_mises().mean(np.array([1.0])), [np.pi / 2])


# -- responses ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "values", "message"), [
    ("zero_inflated_poisson", [0, -2], r"'y'.*non-negative whole counts; row 1 has -2"),
    ("hurdle_negbinomial", [0, 1.5], r"'y'.*whole counts; row 1 has 1.5"),
    ("zero_inflated_beta", [0.0, 1.0], r"'y'.*\[0, 1\).*row 1 has 1"),
    ("zero_inflated_beta", [-0.1, 0.5], r"row 0 has -0.1"),
    ("hurdle_gamma", [0.0, -3.0], r"'y'.*zero or positive; row 1 has -3"),
    ("hurdle_lognormal", [2.0, -1e-3], r"row 1 has -0.001"),
    ("lognormal", [1.0, 0.0], r"'y' of a lognormal model must be positive; row 1 has 0"),
    ("exponential", [-1.0], r"exponential model must be positive; row 0 has -1"),
    ("weibull", [2.0, 0.0], r"weibull model must be positive; row 1 has 0"),
    ("von_mises", [0.0, 4.0], r"angle in \[-pi, pi\].*row 1 has 4"),
])
def test_bad_responses_are_named(name, values, message):
    with pytest.raises(ValueError, match=message):
        fam.get(name).prepare(values, "y")


def test_zero_inflated_binomial_checks_trials():
    with pytest.raises(ValueError, match=r"needs trials\(\)"):
        fam.zero_inflated_binomial().prepare([0, 1], "y")
    with pytest.raises(ValueError, match=r"'y' has 4 successes at row 1 but only 3 trials"):
        fam.zero_inflated_binomial().prepare([0, 4], "y", trials=[2, 3])
    ok = fam.zero_inflated_beta().prepare([0.0, 0.3], "y")
    np.testing.assert_array_equal(ok.y, [0.0, 0.3])


def test_boundary_sides_for_the_separation_check():
    y = np.array([0.0, 1.0, 3.0])
    np.testing.assert_array_equal(fam.zero_inflated_poisson().boundary_sides(y, None),
                                  [-1, 0, 0])
    np.testing.assert_array_equal(fam.hurdle_negbinomial().boundary_sides(y, None),
                                  [np.nan, -1, 0])
    assert fam.hurdle_poisson("identity").boundary_sides(y, None) is None
    np.testing.assert_array_equal(
        fam.zero_inflated_binomial().boundary_sides(y, np.array([2.0, 1.0, 0.0])),
        [-1, 1, np.nan])
    assert fam.lognormal().boundary_sides(y + 1, None) is None


def test_truncated_count_likelihood_of_a_one_grows_as_mu_falls():
    """Why a hurdle's ones are ``-1``: ``P(y = 1 | y > 0)`` rises to 1 as ``eta -> -inf``."""
    one = np.array([1.0])
    for family, aux in ((fam.hurdle_poisson(), {"hu": 0.5}),
                        (fam.hurdle_negbinomial(), {"hu": 0.5, "shape": 2.0})):
        lp = [family.log_prob(NUMPY, one, np.array([e]), aux, {})[0] for e in (1.0, -3.0, -20.0)]
        assert lp[0] < lp[1] < lp[2] < np.log(0.5) + 1e-8


# -- survival functions ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lognormal", "exponential", "weibull"])
def test_log_survival_and_distribution_functions(name):
    family = fam.get(name)
    y, eta, aux, _, _ = _case(family)
    mu = family.link.inverse_np(eta)
    if name == "lognormal":
        d = stats.lognorm(aux["sigma"], scale=np.exp(mu))
    elif name == "exponential":
        d = stats.expon(scale=mu)
    else:
        d = stats.weibull_min(aux["shape"], scale=mu / math.gamma(1 + 1 / aux["shape"]))
    for ops in (NUMPY, by_name("jax")):
        np.testing.assert_allclose(np.asarray(family.lccdf(ops, y, eta, aux)), d.logsf(y),
                                   rtol=1e-10)
        np.testing.assert_allclose(np.asarray(family.lcdf(ops, y, eta, aux)), d.logcdf(y),
                                   rtol=1e-10)
    with pytest.raises(ValueError, match="'hurdle_gamma' has no log survival function"):
        fam.hurdle_gamma().lccdf(NUMPY, y, eta, {})


def test_positive_negbinomial_draws_when_zeros_dominate():
    """With ``P(0)`` near 1 the redraws leave rows at zero and the inversion finishes them:
    every draw positive, their mean that of the truncated distribution."""
    from bayeszoo.families.hurdle_negbinomial import positive_negbinomial_draws

    mu = np.full(20000, 0.05)
    draws = positive_negbinomial_draws(np.random.default_rng(3), mu, np.array(2.0))
    assert draws.min() >= 1
    p0 = (2.0 / 2.05) ** 2.0
    truncated_mean = 0.05 / (1 - p0)
    assert abs(draws.mean() - truncated_mean) < 4 * draws.std() / np.sqrt(draws.size)
