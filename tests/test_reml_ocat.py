"""mgcv's ``ocat`` family in ``bz.reml``: the housing fit against mgcv (``mgcv_wave3.json``
``housing_ocat``: ``gam(y ~ Infl + Type + Cont, family = ocat(R = 3), weights = Freq,
method = "REML")``), the likelihood's derivatives in ``eta`` and the cut-point parameters
against central differences, the exact REML gradient with several cut points and a smooth,
a smooth with three cut points against mgcv 1.8-41 (REML and ML), ``ocat`` with two
categories equal to a logistic regression, and the responses refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference_data import fixture

import bayeszoo as bz
import bayeszoo.families as fam
from bayeszoo.families.ocat import OcatLikelihood, cut_points, ocat, ocat_probabilities
from bayeszoo.penalized import Layout, PenalizedBlock, Predictor, ScaledIdentity
from bayeszoo.penalized.laplace import LaplaceEngine

REF = fixture("mgcv_wave3")["housing_ocat"]
FORMULA = "Sat | weights(Freq) ~ Infl + Type + Cont"


@pytest.fixture(scope="module")
def housing_fit():
    return bz.reml(FORMULA, bz.datasets.load_housing(), family="ocat")


def test_housing_matches_mgcv(housing_fit):
    fit = housing_fit
    assert fit.converged
    assert fit.reml_score == pytest.approx(REF["reml"], abs=1e-4)
    np.testing.assert_allclose(fit.theta, REF["theta"], atol=1e-3)
    assert np.log(fit.theta[1] - fit.theta[0]) == pytest.approx(REF["theta_raw"], abs=1e-4)
    coef = fit.mgcv_coef()
    assert list(coef.index[1:]) == list(REF["coef"])[1:]
    np.testing.assert_allclose(coef.to_numpy(), list(REF["coef"].values()), atol=1e-4)
    np.testing.assert_allclose(fit.se.to_numpy(), list(REF["se"].values()), atol=1e-4)
    np.testing.assert_allclose(fit.edf_coef.to_numpy(), list(REF["edf_coef"].values()),
                               atol=1e-4)
    assert fit.edf_total == pytest.approx(REF["edf_total"], abs=1e-4)
    assert fit.scale == 1.0 and not fit.scale_estimated
    np.testing.assert_allclose(fit.fitted, REF["fitted"], atol=1e-4)  # the linear predictor
    np.testing.assert_allclose(fit.linear_predictors, REF["linear_predictors"], atol=1e-4)
    assert fit.deviance == pytest.approx(REF["deviance"], abs=1e-4)
    assert fit.null_deviance == pytest.approx(REF["null_deviance"], abs=1e-4)
    np.testing.assert_allclose(ocat_probabilities(fit.fitted, fit.theta), REF["prob"],
                               atol=1e-5)


def test_housing_printed_as_mgcv(housing_fit):
    text = str(housing_fit)
    assert "Family: Ordered Categorical(-1,0.19)" in text
    assert "Link function: identity" in text
    assert "R-sq" not in text  # mgcv's no.r.sq
    assert "theta=[-1, 0.18791" in repr(housing_fit)


def test_cut_points_are_mgcv_get_theta():
    np.testing.assert_allclose(cut_points(np.log([0.5, 2.0])), [-1.0, -0.5, 1.5])
    np.testing.assert_allclose(cut_points(np.zeros(0)), [-1.0])


def _likelihood(K=5, n=40, seed=3):
    rng = np.random.default_rng(seed)
    y = np.r_[np.arange(1, K + 1), rng.integers(1, K + 1, n - K)].astype(float)
    w = rng.uniform(0.5, 2.0, n)
    eta = rng.normal(0.3, 1.5, (n, 1))
    params = np.log(rng.uniform(0.3, 1.5, K - 2))
    return OcatLikelihood(y, w, K), eta, params


def test_eta_derivatives_against_finite_differences():
    lik, eta, params = _likelihood()
    f1, f2, f3 = lik.eta_derivatives(eta, params, order=3)
    h = 1e-5
    half = [0.5 * lik.deviance(eta + s * h, params) for s in (1.0, -1.0)]
    np.testing.assert_allclose(f1[:, 0], (half[0] - half[1]) / (2 * h), rtol=1e-6, atol=1e-8)
    d1 = [lik.eta_derivatives(eta + s * h, params)[0][:, 0] for s in (1.0, -1.0)]
    np.testing.assert_allclose(f2[:, 0, 0], (d1[0] - d1[1]) / (2 * h), rtol=1e-6, atol=1e-8)
    d2 = [lik.eta_derivatives(eta + s * h, params)[1][:, 0, 0] for s in (1.0, -1.0)]
    np.testing.assert_allclose(f3[:, 0, 0, 0], (d2[0] - d2[1]) / (2 * h), rtol=1e-6,
                               atol=1e-8)
    assert np.all(f2 > 0)


def test_param_derivatives_against_finite_differences():
    lik, eta, params = _likelihood()
    g, ge, gee = lik.param_derivatives(eta, params)
    assert g.shape == (eta.shape[0], 3) and ge.shape == (eta.shape[0], 1, 3)
    assert gee.shape == (eta.shape[0], 1, 1, 3)
    h = 1e-6
    for j in range(params.size):
        e = np.zeros(params.size)
        e[j] = h
        up = lik.eta_derivatives(eta, params + e, order=2)
        down = lik.eta_derivatives(eta, params - e, order=2)
        fd = (lik.deviance(eta, params + e) - lik.deviance(eta, params - e)) / (4 * h)
        np.testing.assert_allclose(g[:, j], fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(ge[:, 0, j], (up[0] - down[0])[:, 0] / (2 * h), rtol=1e-6,
                                   atol=1e-8)
        np.testing.assert_allclose(gee[:, 0, 0, j], (up[1] - down[1])[:, 0, 0] / (2 * h),
                                   rtol=1e-6, atol=1e-8)


def test_deviance_without_cancellation():
    """Far beyond the cut points the deviance stays finite and equals the direct formula
    where that is accurate."""
    lik = OcatLikelihood(np.array([1.0, 2.0, 3.0, 2.0]), np.ones(4), 3)
    params = np.log([0.5])
    eta = np.array([[60.0], [60.0], [-60.0], [0.0]])
    d = lik.deviance(eta, params)
    assert np.all(np.isfinite(d)) and d[1] == pytest.approx(2 * (61.0 - np.log(np.expm1(0.5))),
                                                                rel=1e-12)
    from scipy.special import expit
    direct = -2 * np.log(expit(-0.5) - expit(-1.0))
    assert d[3] == pytest.approx(direct, rel=1e-12)


@pytest.fixture(scope="module")
def ratings():
    rng = np.random.default_rng(11)
    n = 300
    x = rng.uniform(0, 1, n)
    z = rng.normal(size=n)
    latent = np.sin(2 * np.pi * x) + 0.8 * z + rng.logistic(size=n)
    y = np.digitize(latent, [-1.0, 0.0, 1.2]) + 1
    cats = pd.Categorical.from_codes(y - 1, ["none", "mild", "moderate", "severe"],
                                     ordered=True)
    return pd.DataFrame({"y": cats, "x": x, "z": z})


def test_reml_gradient_with_several_cut_points_and_a_smooth(ratings):
    d = bz.design("y ~ z + s(x, bs='cr', k=8)", ratings, family=ocat())
    block = d.blocks[0]
    layout = Layout([Predictor(np.asarray(d.X, float),
                               [PenalizedBlock(block.term, block.Z, ScaledIdentity(block.size))])])
    lik = ocat().reml_likelihood(ocat().prepare(d.y, "y"))
    assert lik.param_names == ("theta[1]", "theta[2]")
    engine = LaplaceEngine(layout, lik)
    z = np.r_[np.log(2.0), lik.initial_params() + 0.1]
    st = engine.state(z)
    g = engine.gradient(st)
    h = 1e-5
    fd = [(engine.state(z + e, st.beta).score - engine.state(z - e, st.beta).score) / (2 * h)
          for e in np.eye(z.size) * h]
    np.testing.assert_allclose(g, fd, rtol=2e-6, atol=2e-7)


def test_fit_with_a_smooth_and_three_cut_points(ratings):
    fit = bz.reml("y ~ z + s(x, bs='cr', k=8)", ratings, family="ocat")
    assert fit.converged
    assert fit.theta.shape == (3,) and fit.theta[0] == -1.0
    assert np.all(np.diff(fit.theta) > 0)
    np.testing.assert_allclose(fit.engine.gradient, 0.0, atol=1e-4)
    assert 2.0 < fit.edf["s(x)"] < 7.0
    # the simulated latent scale: cut points -1, 0, 1.2 and slope 0.8 for z
    np.testing.assert_allclose(np.diff(fit.theta), [1.0, 1.2], atol=0.35)
    assert fit.coef["z"] == pytest.approx(0.8, abs=0.25)


#: mgcv 1.8-41, gam(y ~ z + s(x, bs = "cr", k = 8), family = ocat(R = 4), method = ...) on the
#: ``ratings`` rows (y as 1..4): score, getTheta(TRUE), sum(edf), sp, coef and se of
#: (Intercept) and z.
MGCV_RATINGS = {
    "REML": (357.1879154961, [-1.0, 0.1378822601, 1.5645656543], 6.1505156709, 23.3268975301,
             [0.0159854767, 0.9995036090], [0.1100729828, 0.1200864866]),
    "ML": (354.6479079766, [-1.0, 0.1351342829, 1.5577811375], 6.1222876260, 24.1257390879,
           [0.0130660575, 0.9979879865], [0.1100247138, 0.1200310892]),
}


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_smooth_and_three_cut_points_match_mgcv(ratings, method):
    score, theta, edf, sp, coef, se = MGCV_RATINGS[method]
    fit = bz.reml("y ~ z + s(x, bs='cr', k=8)", ratings, family="ocat", method=method)
    assert fit.reml_score == pytest.approx(score, abs=1e-4)
    np.testing.assert_allclose(fit.theta, theta, atol=1e-4)
    assert fit.edf_total == pytest.approx(edf, abs=1e-4)
    assert fit.sp["s(x)"] == pytest.approx(sp, rel=1e-4)
    np.testing.assert_allclose(fit.mgcv_coef().to_numpy()[:2], coef, atol=1e-4)
    np.testing.assert_allclose(fit.se.to_numpy()[:2], se, atol=1e-4)


def test_response_prediction_is_mgcv_probabilities(ratings):
    """``predict.gam(b, d[1:3, ], type = "response", se.fit = TRUE)`` of the REML fit above
    (mgcv 1.8-41)."""
    fit = bz.reml("y ~ z + s(x, bs='cr', k=8)", ratings, family="ocat")
    prob, se = fit.predict(ratings.iloc[:3], se=True, type="response")
    np.testing.assert_allclose(prob, [[0.2090089683, 0.2428835089, 0.3225653744, 0.2255421484],
                                      [0.2288950931, 0.2519446987, 0.3132906561, 0.2058695521],
                                      [0.6082912838, 0.2206322976, 0.1238624703, 0.0472139483]],
                               atol=1e-6)
    np.testing.assert_allclose(se, [[0.0374154276, 0.0186396691, 0.0165239209, 0.0395311758],
                                    [0.0384214787, 0.0159193083, 0.0187524174, 0.0355883697],
                                    [0.0580977391, 0.0235206008, 0.0236085658, 0.0109685726]],
                               atol=1e-6)
    np.testing.assert_allclose(fit.predict(ratings.iloc[:3]), fit.fitted[:3], atol=1e-12)


def test_two_categories_equal_logistic_regression(ratings):
    """With two categories ``P(y = 2) = logistic(eta + 1)``: mgcv's ``ocat(R = 2)`` is a
    bernoulli logit model with the intercept one lower, and the same REML score."""
    df = ratings.assign(y2=(ratings["y"].cat.codes >= 2).astype(int) + 1,
                        hit=(ratings["y"].cat.codes >= 2).astype(int))
    o = bz.reml("y2 ~ z + s(x, bs='cr', k=8)", df, family="ocat")
    b = bz.reml("hit ~ z + s(x, bs='cr', k=8)", df, family="bernoulli")
    assert o.theta.tolist() == [-1.0]
    assert o.reml_score == pytest.approx(b.reml_score, abs=1e-6)
    assert o.sp["s(x)"] == pytest.approx(b.sp["s(x)"], rel=1e-4)
    shift = np.zeros(len(o.coef))
    shift[0] = 1.0
    np.testing.assert_allclose(o.coef.to_numpy() + shift, b.coef.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(o.se.to_numpy(), b.se.to_numpy(), rtol=1e-5)


# -- refusals -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("values", "message"), [
    (pd.Categorical.from_codes([0, 1, -1, 0], ["a", "b", "c"], ordered=True),
     r"missing values \(NaN\) in column 'y'"),
    (pd.Categorical(["a", "b", "c", "a"]), r"must be an ordered pandas Categorical"),
    ([1.0, 2.5, 3.0, 1.0], r"ratings 1..K.*row 1 has 2.5"),
    ([0, 1, 2, 1], r"ratings 1..K.*row 0 has 0"),
    (["low", "high", "low", "high"], r"ordered pandas Categorical or whole numbers"),
])
def test_bad_response_refused(values, message):
    d = pd.DataFrame({"y": values, "x": [0.1, 0.5, -0.3, 1.2]})
    with pytest.raises(ValueError, match=message):
        bz.reml("y ~ x", d, family="ocat")


def test_rating_outside_levels_named():
    values = pd.Series(pd.Categorical.from_codes([0, 1, -1], ["a", "b", "c"], ordered=True))
    with pytest.raises(ValueError, match=r"rating outside its levels \['a', 'b', 'c'\] at row 2"):
        ocat().prepare(values, "y")
    assert ocat().prepare(values.iloc[:2], "y").levels == ("a", "b", "c")


def test_samplers_refer_to_cumulative():
    d = bz.datasets.load_housing()
    for family in ("ocat", ocat()):
        with pytest.raises(ValueError, match=r"mgcv's ordered categorical.*family='cumulative'"):
            bz.sample(FORMULA, d, family=family, chains=1, draws=10, tune=10, progress=False)
    with pytest.raises(ValueError, match=r"family='cumulative'"):
        fam.get("ocat")
    assert "ocat" not in fam.names()


def test_reml_of_cumulative_names_ocat():
    d = bz.datasets.load_housing()
    with pytest.raises(ValueError, match=r"'cumulative'; fit it with bz.sample.*family='ocat'"):
        bz.reml(FORMULA, d, family="cumulative")


def test_ocat_refuses_theta_and_dpars():
    d = bz.datasets.load_housing()
    with pytest.raises(ValueError, match=r"estimates its cut points"):
        bz.reml(FORMULA, d, family="ocat", theta=1.0)
