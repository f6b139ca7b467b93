"""Families: log densities against SciPy for every family and link, the same formula on NumPy,
JAX and PyTensor, response validation, brms 2.18's default priors against ``get_prior`` output
(``brms_wave2.json``), means and draws, and the REML pieces (mgcv's deviance form) against the
log density and against finite differences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference_data import fixture, load
from scipy import special, stats

import bayeszoo.families as fam
from bayeszoo.families.ops import NUMPY, by_name

RNG = np.random.default_rng(20260101)
N = 40


def _eta(link: str) -> np.ndarray:
    if link == "inverse":
        return RNG.uniform(0.2, 2.0, N)
    return RNG.uniform(-2.5, 2.5, N)


def _case(family: fam.Family):
    """``(y, eta, aux, extras, scipy log density)`` for a family with its link."""
    eta = _eta(family.link_name)
    mu = family.link.inverse_np(eta)
    name = family.name
    if name == "gaussian":
        y = mu + RNG.normal(0, 1.3, N)
        return y, eta, {"sigma": 1.3}, {}, stats.norm.logpdf(y, mu, 1.3)
    if name == "student":
        y = mu + RNG.standard_t(4, N)
        return y, eta, {"sigma": 0.8, "nu": 4.5}, {}, stats.t.logpdf(y, 4.5, mu, 0.8)
    if name == "bernoulli":
        y = RNG.binomial(1, mu).astype(float)
        return y, eta, {}, {}, stats.bernoulli.logpmf(y, mu)
    if name == "binomial":
        trials = RNG.integers(0, 12, N).astype(float)
        y = RNG.binomial(trials.astype(int), mu).astype(float)
        return y, eta, {}, {"trials": trials}, stats.binom.logpmf(y, trials, mu)
    if name == "poisson":
        mu = np.abs(mu) + 0.1 if family.link_name == "identity" else mu
        eta = mu if family.link_name == "identity" else eta
        y = RNG.poisson(mu).astype(float)
        return y, eta, {}, {}, stats.poisson.logpmf(y, mu)
    if name == "negbinomial":
        mu = np.abs(mu) + 0.1 if family.link_name == "identity" else mu
        eta = mu if family.link_name == "identity" else eta
        y = RNG.poisson(RNG.gamma(2.5, mu / 2.5)).astype(float)
        return (y, eta, {"shape": 2.5}, {},
                stats.nbinom.logpmf(y, 2.5, 2.5 / (2.5 + mu)))
    if name == "gamma":
        mu = np.abs(mu) + 0.1 if family.link_name == "identity" else mu
        eta = mu if family.link_name == "identity" else eta
        y = RNG.gamma(3.0, mu / 3.0)
        return y, eta, {"shape": 3.0}, {}, stats.gamma.logpdf(y, 3.0, scale=mu / 3.0)
    if name == "beta":
        y = RNG.beta(mu * 6.0, (1 - mu) * 6.0)
        y = np.clip(y, 1e-6, 1 - 1e-6)
        return y, eta, {"phi": 6.0}, {}, stats.beta.logpdf(y, mu * 6.0, (1 - mu) * 6.0)
    raise AssertionError(name)


#: the second wave's families (the later ones have their own test modules)
WAVE2 = ["gaussian", "student", "bernoulli", "binomial", "poisson", "negbinomial", "gamma",
         "beta"]
ALL = [(name, link) for name in WAVE2 for link in fam.get(name).links]


@pytest.mark.parametrize(("name", "link"), ALL)
def test_log_prob_equals_scipy(name, link):
    family = fam.get(name, link)
    y, eta, aux, extras, expected = _case(family)
    got = family.log_prob(NUMPY, y, eta, aux, extras)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    w = RNG.uniform(0.5, 2.0, N)
    got_w = family.log_prob(NUMPY, y, eta, aux, {**extras, "weights": w})
    np.testing.assert_allclose(got_w, w * expected, rtol=1e-12, atol=1e-12)


def test_gaussian_and_student_with_se():
    g = fam.gaussian()
    y, mu = RNG.normal(size=N), RNG.normal(size=N)
    se = RNG.uniform(0.5, 2, N)
    np.testing.assert_allclose(g.log_prob(NUMPY, y, mu, {}, {"se": se}),
                               stats.norm.logpdf(y, mu, se), rtol=1e-12)
    np.testing.assert_allclose(g.log_prob(NUMPY, y, mu, {"sigma": 0.7}, {"se": se}),
                               stats.norm.logpdf(y, mu, np.sqrt(se**2 + 0.49)), rtol=1e-12)
    t = fam.student()
    np.testing.assert_allclose(t.log_prob(NUMPY, y, mu, {"nu": 5.0}, {"se": se}),
                               stats.t.logpdf(y, 5.0, mu, se), rtol=1e-12)
    assert [a.name for a in g.aux_parameters(("se",))] == []
    assert [a.name for a in t.aux_parameters(("se",))] == ["nu"]
    assert [a.name for a in t.aux_parameters()] == ["sigma", "nu"]


def test_extreme_linear_predictors_stay_finite():
    eta = np.array([-40.0, -12.0, 12.0, 40.0])
    for link in ("logit", "probit", "cloglog"):
        b = fam.bernoulli(link)
        lp = b.log_prob(NUMPY, np.array([1.0, 0.0, 1.0, 0.0]), eta, {}, {})
        assert np.all(np.isfinite(lp)), link
        lp_other = b.log_prob(NUMPY, np.array([0.0, 1.0, 0.0, 1.0]), eta, {}, {})
        assert np.all(np.isfinite(lp_other)), link
    # exact values far in the tails: logit log(1 - expit(40)) = -40 - log1p(e^-40)
    lo = fam.bernoulli().log_prob(NUMPY, np.array([0.0]), np.array([40.0]), {}, {})
    assert lo[0] == pytest.approx(-40.0 - np.log1p(np.exp(-40.0)), rel=1e-15)
    cl = fam.bernoulli("cloglog").log_prob(NUMPY, np.array([0.0]), np.array([12.0]), {}, {})
    assert cl[0] == pytest.approx(-np.exp(12.0), rel=1e-15)
    nb = fam.negbinomial()
    assert np.isfinite(nb.log_prob(NUMPY, np.array([3.0]), np.array([30.0]), {"shape": 2.0},
                                   {})).all()


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
    np.testing.assert_allclose(jx, ref, rtol=1e-12, atol=1e-13)
    y_v, eta_v = pt.dvector("y"), pt.dvector("eta")
    aux_v = {k: pt.dscalar(k) for k in aux}
    ex_v = {k: pt.dvector(k) for k in extras}
    out = family.log_prob(by_name("pytensor"), y_v, eta_v, aux_v, ex_v)
    f = pytensor.function([y_v, eta_v, *aux_v.values(), *ex_v.values()], out)
    pv = f(y, eta, *aux.values(), *extras.values())
    np.testing.assert_allclose(pv, ref, rtol=1e-12, atol=1e-13)


# -- registry and validation ------------------------------------------------------------------
def test_registry():
    assert fam.names()[:len(WAVE2)] == WAVE2
    assert fam.get("negbinomial").link_name == "log"
    assert fam.get("gamma").link_name == "inverse" and fam.get("Gamma", "log").link_name == "log"
    probit = fam.bernoulli(link="probit")
    assert fam.get(probit) is probit and probit == fam.get("bernoulli", "probit")
    with pytest.raises(ValueError, match=r"unknown family 'nb'.*negbinomial"):
        fam.get("nb")
    with pytest.raises(ValueError, match=r"'poisson' has no link 'logit'.*log, identity"):
        fam.poisson("logit")
    with pytest.raises(ValueError, match=r"'beta' has no link 'log'.*logit, probit, cloglog"):
        fam.get("beta", "log")
    assert [a.name for a in fam.negbinomial().aux] == ["shape"]
    assert [(a.name, a.lower, a.link) for a in fam.student().aux] == [
        ("sigma", 0.0, "log"), ("nu", 1.0, "logm1")]
    assert fam.beta().aux[0].name == "phi" and fam.gamma().aux[0].link == "log"


def test_bad_responses_name_column_and_value():
    with pytest.raises(ValueError, match=r"'type'.*0 or 1.*row 2 has 0.5"):
        fam.bernoulli().prepare([0, 1, 0.5], "type")
    with pytest.raises(ValueError, match=r"'type'.*row 1 has 2"):
        fam.bernoulli().prepare([0, 2, 1], "type")
    with pytest.raises(ValueError, match=r"'Days'.*whole counts; row 1 has -1"):
        fam.poisson().prepare([3, -1], "Days")
    with pytest.raises(ValueError, match=r"'Days'.*whole counts; row 0 has 2.5"):
        fam.negbinomial().prepare([2.5, 1], "Days")
    with pytest.raises(ValueError, match=r"'incidence' has 6 successes at row 1 but only 5"):
        fam.binomial().prepare([1, 6], "incidence", trials=[4, 5])
    with pytest.raises(ValueError, match=r"needs trials\(\).*'incidence \| trials"):
        fam.binomial().prepare([1, 2], "incidence")
    with pytest.raises(ValueError, match=r"'Ozone'.*positive; row 1 has 0"):
        fam.gamma("log").prepare([1.0, 0.0], "Ozone")
    with pytest.raises(ValueError, match=r"'p'.*strictly between 0 and 1; row 0 has 1"):
        fam.beta().prepare([1.0, 0.5], "p")
    with pytest.raises(ValueError, match=r"se must be positive.*row 1 has 0"):
        fam.gaussian().prepare([1.0, 2.0], "y", se=[1.0, 0.0])
    with pytest.raises(ValueError, match=r"weights.*non-negative; row 0 has -1"):
        fam.poisson().prepare([1, 2], "y", weights=[-1.0, 1.0])
    with pytest.raises(ValueError, match=r"offset has a missing.*row 1"):
        fam.poisson().prepare([1, 2], "y", offset=[0.0, np.nan])
    with pytest.raises(ValueError, match=r"'poisson' does not take trials\(\)"):
        fam.poisson().prepare([1, 2], "y", trials=[3, 3])
    with pytest.raises(ValueError, match=r"'bernoulli' does not take se\(\)"):
        fam.bernoulli().prepare([1, 0], "y", se=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"'y' has a missing.*row 1"):
        fam.gaussian().prepare([1.0, np.nan], "y")
    with pytest.raises(ValueError, match=r"exactly two levels; it has 3"):
        fam.bernoulli().prepare(pd.Series(["a", "b", "c"]), "g")


def test_two_level_bernoulli_response_codes_first_level_zero():
    r = fam.bernoulli().prepare(pd.Series(["Yes", "No", "No"]), "type")
    np.testing.assert_array_equal(r.y, [1, 0, 0])
    assert r.levels == ("No", "Yes")
    cat = pd.Series(pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"]))
    r = fam.bernoulli().prepare(cat, "grade")
    np.testing.assert_array_equal(r.y, [0, 1, 0]) and r.levels == ("lo", "hi")
    r = fam.bernoulli().prepare(np.array([True, False]), "flag")
    np.testing.assert_array_equal(r.y, [1, 0])
    pima = load("pima")
    assert fam.bernoulli().prepare(pima["type"], "type").y.sum() == (pima["type"] == "Yes").sum()


# -- default priors -----------------------------------------------------------------------------
POSITIVE_CLASSES = ("sd", "sds", "sdgp", "sigma")


def _ours(row: dict) -> tuple[str, str]:
    """A brms ``get_prior`` row as ``(key, prior)`` in this package's vocabulary."""
    cls, dpar, prior = row["class"], row["dpar"], row["prior"]
    if cls in POSITIVE_CLASSES:
        df, loc, scale = prior[len("student_t("):-1].split(", ")
        assert loc == "0"
        prior = f"half_student_t({df}, {scale})"
    key = {"sds": "sd", "sdgp": "sd"}.get(cls, cls)
    return (f"{key}_{dpar}" if dpar and key == "Intercept" else key), prior


def _check_rows(rows, got, skip=("L", "lscale")):
    checked = 0
    for row in rows:
        if not row["prior"] or row["class"] in skip:
            continue
        key, prior = _ours(row)
        assert got[key] == prior, (row, got)
        checked += 1
    return checked


def test_default_priors_match_brms_get_prior():
    ref = fixture("brms_wave2")["default_priors"]
    pima, cbpp, epi = load("pima"), load("cbpp"), load("epilepsy")
    mcycle, air = load("mcycle"), load("airquality")
    air = air.dropna(subset=["Ozone", "Temp"])
    beta_y = (stats.rankdata(air["Ozone"]) - 0.5) / len(air)
    cases = {
        "bernoulli_pima": (fam.bernoulli(), pima["type"], ()),
        "binomial_cbpp": (fam.binomial(), cbpp["incidence"], ()),
        "poisson_epilepsy": (fam.poisson(), epi["count"], ()),
        "negbinomial_epilepsy": (fam.negbinomial(), epi["count"], ()),
        "gamma_log_airquality": (fam.gamma("log"), air["Ozone"], ()),
        "student_mcycle": (fam.student(), mcycle["accel"], ()),
        "beta_example": (fam.beta(), beta_y, ()),
        "gaussian_sigma_formula": (fam.gaussian(), mcycle["accel"], ("sigma",)),
    }
    total = 0
    for key, (family, y, dpars) in cases.items():
        total += _check_rows(ref[key]["rows"], family.default_priors(y, dpars=dpars))
    assert total == 17
    fits = fixture("brms_wave2")
    sleep = load("sleepstudy")
    fit_cases = {
        "cbpp_binomial_re": (fam.binomial(), cbpp["incidence"], ()),
        "epilepsy_poisson_re": (fam.poisson(), epi["count"], ()),
        "sleep_corr": (fam.gaussian(), sleep["Reaction"], ()),
        "mcycle_distributional": (fam.gaussian(), mcycle["accel"], ("sigma",)),
        "mcycle_hsgp": (fam.gaussian(), mcycle["accel"], ()),
    }
    total = 0
    for key, (family, y, dpars) in fit_cases.items():
        total += _check_rows(fits[key]["priors"], family.default_priors(y, dpars=dpars))
    assert total == 14


def test_default_prior_details():
    g = fam.gaussian()
    pri = g.default_priors(np.array([10.0, 12.0, 15.0, 30.0]))
    assert pri["Intercept"] == "student_t(3, 13.5, 3.7)"  # mad = 1.4826 · 2.5
    assert pri["sd"] == pri["sigma"] == "half_student_t(3, 3.7)"
    # log link: zeros become 0.1 before the log; an offset moves the intercept's location
    p = fam.poisson().default_priors(np.array([0, 1, 3, 10, 40]),
                                     offset=np.array([1.0, 1.0, 1.0, 1.0, 1.0]))
    assert p["Intercept"] == f"student_t(3, {np.round(np.log(3), 1) - 1:g}, 2.5)"
    inv = fam.gamma().default_priors(np.array([0.5, 1.0, 2.0, 4.0]))
    assert inv["Intercept"] == "student_t(3, 0.8, 2.5)" and inv["shape"] == "gamma(0.01, 0.01)"
    assert fam.student().default_priors(np.arange(5.0), dpars=("nu",))["Intercept_nu"] == (
        "normal(2.7, 0.8)")
    assert fam.negbinomial().default_priors(np.arange(5.0), dpars=("shape",))[
        "Intercept_shape"] == "student_t(3, 0, 2.5)"
    with pytest.raises(ValueError, match="no auxiliary parameter"):
        fam.poisson().default_priors(np.arange(5.0), dpars=("sigma",))


# -- means and draws ----------------------------------------------------------------------------
def test_means_and_draws():
    rng = np.random.default_rng(7)
    eta = np.array([-1.0, 0.3, 1.2])
    trials = np.array([5.0, 10.0, 20.0])
    b = fam.binomial()
    np.testing.assert_allclose(b.mean(eta, extras={"trials": trials}),
                               special.expit(eta) * trials)
    cases = [
        (fam.binomial(), {}, {"trials": trials}),
        (fam.bernoulli("cloglog"), {}, {}),
        (fam.poisson(), {}, {}),
        (fam.negbinomial(), {"shape": 3.0}, {}),
        (fam.gamma("log"), {"shape": 4.0}, {}),
        (fam.beta(), {"phi": 8.0}, {}),
        (fam.gaussian(), {"sigma": 2.0}, {}),
        (fam.student(), {"sigma": 1.0, "nu": 6.0}, {}),
    ]
    etas = np.tile(eta, (20000, 1))
    for family, aux, extras in cases:
        draws = family.draw(rng, etas, aux, extras)
        if family.discrete:
            assert np.issubdtype(draws.dtype, np.integer), family
        mean = family.mean(eta, aux, extras)
        sd = draws.std(axis=0)
        assert np.all(np.abs(draws.mean(axis=0) - mean) < 5 * sd / np.sqrt(20000) + 1e-12), family


# -- REML pieces: mgcv's form of the same likelihood ----------------------------------------------
def _reml_cases():
    y_counts = RNG.poisson(4.0, N).astype(float)
    trials = RNG.integers(1, 9, N).astype(float)
    w = RNG.uniform(0.5, 2.0, N)
    return [
        (fam.gaussian(), {"sigma": 1.7}, RNG.normal(2, 1, N), {}, None),
        (fam.gaussian("log"), {"sigma": 0.6}, RNG.gamma(3, 1, N), {}, None),
        (fam.bernoulli(), {}, RNG.binomial(1, 0.4, N).astype(float), {}, None),
        (fam.bernoulli("probit"), {}, RNG.binomial(1, 0.4, N).astype(float), {}, None),
        (fam.binomial("cloglog"), {}, RNG.binomial(trials.astype(int), 0.3).astype(float),
         {"trials": trials}, None),
        (fam.poisson(), {}, y_counts, {"weights": w}, None),
        (fam.negbinomial(), {"shape": 1.8}, y_counts, {}, 1.8),
        (fam.gamma(), {"shape": 2.5}, RNG.gamma(2.5, 1.0, N), {}, None),
        (fam.gamma("log"), {"shape": 2.5}, RNG.gamma(2.5, 1.0, N), {"weights": w}, None),
    ]


def _params(lik, aux):
    out = []
    if "log_theta" in lik.param_names:
        out.append(np.log(aux["shape"]))
    if "log_scale" in lik.param_names:
        phi = aux["sigma"] ** 2 if "sigma" in aux else 1.0 / aux["shape"]
        out.append(np.log(phi))
    return np.array(out)


@pytest.mark.parametrize("case", range(9))
def test_reml_likelihood_is_the_log_density(case):
    """``-Σ d_i/(2 phi) + ls`` equals the family's log density summed, for every REML family,
    and the eta/theta/scale derivatives equal central differences."""
    family, aux, y, extras, _ = _reml_cases()[case]
    resp = family.prepare(y, "y", **extras)
    lik = family.reml_likelihood(resp, theta=None)
    probability = family.name in ("bernoulli", "binomial")
    mu = RNG.uniform(0.2, 0.8, N) if probability else RNG.uniform(0.5, 3.0, N)
    eta = family.link(mu)
    params = _params(lik, aux)
    phi = lik.scale(params)
    ls, ls_g, ls_h = lik.saturated(params)
    loglik = -np.sum(lik.deviance(eta[:, None], params)) / (2 * phi) + ls
    w = resp.extras().get("weights")
    if family.name == "gamma" and w is not None:
        # mgcv's prior weights on a scale family are precision weights: shape w_i / phi
        expected = np.sum(stats.gamma.logpdf(resp.y, w * aux["shape"],
                                             scale=mu / (w * aux["shape"])))
    else:
        expected = np.sum(family.log_prob(NUMPY, resp.y, eta, aux, resp.extras()))
    assert loglik == pytest.approx(expected, rel=1e-12, abs=1e-10)
    # eta derivatives of d/2
    h = 1e-5
    f1, f2, f3 = lik.eta_derivatives(eta[:, None], params, order=3)

    def half_dev(e):
        return 0.5 * lik.deviance(e[:, None], params)

    def first(e):
        return lik.eta_derivatives(e[:, None], params, order=2)[0][:, 0]

    def second(e):
        return lik.eta_derivatives(e[:, None], params, order=2)[1][:, 0, 0]

    np.testing.assert_allclose(f1[:, 0], (half_dev(eta + h) - half_dev(eta - h)) / (2 * h),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(f2[:, 0, 0], (first(eta + h) - first(eta - h)) / (2 * h),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(f3[:, 0, 0, 0], (second(eta + h) - second(eta - h)) / (2 * h),
                               rtol=1e-5, atol=1e-7)
    # derivatives w.r.t. the family's log parameters
    for k in range(len(params)):
        e = np.eye(len(params))[k] * h
        ls_p, ls_m = lik.saturated(params + e)[0], lik.saturated(params - e)[0]
        assert ls_g[k] == pytest.approx((ls_p - ls_m) / (2 * h), rel=1e-6, abs=1e-7)
        g_p, g_m = lik.saturated(params + e)[1][k], lik.saturated(params - e)[1][k]
        assert ls_h[k, k] == pytest.approx((g_p - g_m) / (2 * h), rel=1e-5, abs=1e-6)
        if lik.param_names[k] == "log_theta":
            g, ge, gee = lik.param_derivatives(eta[:, None], params)
            dp = 0.5 * (lik.deviance(eta[:, None], params + e)
                        - lik.deviance(eta[:, None], params - e)) / (2 * h)
            np.testing.assert_allclose(g[:, k], dp, rtol=1e-6, atol=1e-8)
            f1p = lik.eta_derivatives(eta[:, None], params + e)[0][:, 0]
            f1m = lik.eta_derivatives(eta[:, None], params - e)[0][:, 0]
            np.testing.assert_allclose(ge[:, 0, k], (f1p - f1m) / (2 * h), rtol=1e-6, atol=1e-8)
            f2p = lik.eta_derivatives(eta[:, None], params + e)[1][:, 0, 0]
            f2m = lik.eta_derivatives(eta[:, None], params - e)[1][:, 0, 0]
            np.testing.assert_allclose(gee[:, 0, 0, k], (f2p - f2m) / (2 * h), rtol=1e-6,
                                       atol=1e-8)


def test_reml_not_available_for_student_and_beta():
    for family in (fam.student(), fam.beta()):
        with pytest.raises(ValueError, match="REML is not available"):
            family.reml_likelihood(family.prepare(np.array([0.2, 0.4]), "y"))


def test_location_scale_derivatives():
    """mgcv's gaulss pieces: -l_i from the gaussian density with sd = exp(eta2) + 0.01, and
    its derivatives up to third order against central differences."""
    y = RNG.normal(0, 2, N)
    lik = fam.gaussian().reml_likelihood(fam.gaussian().prepare(y, "y"), dpars=("sigma",))
    eta = np.column_stack([RNG.normal(0, 1, N), RNG.normal(0.3, 0.5, N)])
    sd = np.exp(eta[:, 1]) + 0.01
    np.testing.assert_allclose(-0.5 * lik.deviance(eta, np.zeros(0)),
                               stats.norm.logpdf(y, eta[:, 0], sd), rtol=1e-12)
    np.testing.assert_allclose(lik.fitted(eta)[:, 1], sd)
    f1, f2, f3 = lik.eta_derivatives(eta, np.zeros(0), order=3)
    h = 1e-5
    for a in range(2):
        e = np.zeros(2)
        e[a] = h
        dp = 0.5 * lik.deviance(eta + e, np.zeros(0))
        dm = 0.5 * lik.deviance(eta - e, np.zeros(0))
        np.testing.assert_allclose(f1[:, a], (dp - dm) / (2 * h), rtol=1e-6, atol=1e-8)
        g1p = lik.eta_derivatives(eta + e, np.zeros(0))[0]
        g1m = lik.eta_derivatives(eta - e, np.zeros(0))[0]
        np.testing.assert_allclose(f2[:, :, a], (g1p - g1m) / (2 * h), rtol=1e-6, atol=1e-7)
        g2p = lik.eta_derivatives(eta + e, np.zeros(0))[1]
        g2m = lik.eta_derivatives(eta - e, np.zeros(0))[1]
        np.testing.assert_allclose(f3[:, :, :, a], (g2p - g2m) / (2 * h), rtol=1e-5, atol=1e-6)
