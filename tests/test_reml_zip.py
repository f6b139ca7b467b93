"""mgcv's ``ziP`` family in ``bz.reml``: the bioChemists fit against mgcv (``mgcv_wave3.json``
``biochemists_zip``: ``gam(art ~ fem + mar + kid5 + s(ment, k = 5), family = ziP(),
method = "REML")``), the same model by ML and with theta held fixed against mgcv 1.8-41,
the likelihood's derivatives in the linear predictor and in theta against central differences,
its numerics far out, and the responses and samplers refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference_data import fixture

import bayeszoo as bz
import bayeszoo.families as fam
from bayeszoo.families.zip_mgcv import ZiP, ZipLikelihood, zip_mean, zip_theta

REF = fixture("mgcv_wave3")["biochemists_zip"]
FORMULA = "art ~ fem + mar + kid5 + s(ment, k = 5)"


@pytest.fixture(scope="module")
def zip_fit():
    return bz.reml(FORMULA, bz.datasets.load_biochemists(), family="ziP")


def mgcv_se(fit) -> np.ndarray:
    M, _ = fit.mgcv_coef_map()
    return np.sqrt(np.diag(M @ (fit.scale * fit._cov) @ M.T))


def test_biochemists_matches_mgcv(zip_fit):
    fit = zip_fit
    assert fit.converged
    assert fit.reml_score == pytest.approx(REF["reml"], abs=1e-4)
    np.testing.assert_allclose(fit.theta, REF["theta"], atol=1e-3)
    np.testing.assert_allclose(fit.engine.params, REF["theta_raw"], atol=1e-5)
    coef = fit.mgcv_coef()
    assert list(coef.index[1:]) == list(REF["coef"])[1:]
    np.testing.assert_allclose(coef.to_numpy(), list(REF["coef"].values()), atol=1e-4)
    np.testing.assert_allclose(mgcv_se(fit), list(REF["se"].values()), atol=1e-4)
    assert fit.edf["s(ment)"] == pytest.approx(REF["edf_terms"]["s(ment)"], abs=1e-4)
    assert fit.edf_total == pytest.approx(REF["edf_total"], abs=1e-4)
    assert fit.sp["s(ment)"] == pytest.approx(REF["sp"]["s(ment)"], rel=1e-4)
    assert fit.scale == 1.0 and not fit.scale_estimated
    np.testing.assert_allclose(fit.fitted, REF["fitted"], atol=1e-4)  # the linear predictor
    np.testing.assert_allclose(fit.linear_predictors, REF["linear_predictors"], atol=1e-4)
    np.testing.assert_allclose(fit.predict(type="response"), REF["mean_response"], atol=1e-5)
    # mgcv's theta is converged to about 4e-7 (ours to a gradient of 1e-13), and its deviance
    # less the saturated likelihood moves by about 200 per unit of theta
    assert fit.deviance == pytest.approx(REF["deviance"], rel=1e-7)
    assert fit.null_deviance == pytest.approx(REF["null_deviance"], rel=1e-7)
    assert fit.deviance_explained == pytest.approx(REF["dev_explained"], abs=1e-6)


def test_saturated_deviance_at_mgcv_theta(zip_fit):
    """At mgcv's theta the deviance pieces equal mgcv's (``sum(saturated.ll(...))`` and
    ``sum(dev.resids(y, linear.predictors))`` of the fixture's fit, mgcv 1.8-41)."""
    lik = zip_fit.likelihood
    theta = np.array(REF["theta_raw"])
    assert lik.saturated_deviance(theta).sum() == pytest.approx(1916.72854541938, abs=1e-8)
    eta = np.asarray(REF["linear_predictors"])[:, None]
    assert lik.deviance(eta, theta).sum() == pytest.approx(3195.89335231299, abs=1e-6)


def test_printed_as_mgcv(zip_fit):
    text = str(zip_fit)
    assert f"Family: {REF['family']}" in text
    assert "Link function: identity" in text
    assert "R-sq" not in text  # mgcv's no.r.sq
    assert "theta=[-0.613131, 1.24436]" in repr(zip_fit)


def test_response_standard_errors_by_the_delta_method(zip_fit):
    mean, se = zip_fit.predict(type="response", se=True)
    eta, se_eta = zip_fit.predict(se=True)
    h = 1e-6
    slope = (zip_mean(eta + h, zip_fit.theta)[0] - zip_mean(eta - h, zip_fit.theta)[0]) / (2 * h)
    assert mean.shape == se.shape == (zip_fit.n,)
    np.testing.assert_allclose(se, np.abs(slope) * se_eta, rtol=1e-6)


def test_ml_matches_mgcv():
    """``gam(art ~ fem + mar + kid5 + s(ment, k = 5), family = ziP(), method = "ML")``, mgcv
    1.8-41 (its ``mar`` coded Single against Married, so the parametric part is compared
    through ``fem`` and ``kid5`` only)."""
    fit = bz.reml(FORMULA, bz.datasets.load_biochemists(), family="ziP", method="ML")
    assert fit.converged
    assert fit.reml_score == pytest.approx(1603.24836918203, abs=1e-4)
    np.testing.assert_allclose(fit.theta, [-0.67299914221, 1.32481487999], atol=1e-4)
    assert fit.sp["s(ment)"] == pytest.approx(0.291470104704, rel=1e-4)
    assert fit.edf_total == pytest.approx(6.941301186, abs=1e-4)
    assert fit.deviance == pytest.approx(1272.72650761, abs=1e-3)
    coef = fit.mgcv_coef()
    np.testing.assert_allclose(coef[["femWomen", "kid5"]], [-0.1711088343082, -0.1294459523268],
                               atol=1e-5)
    np.testing.assert_allclose(coef[[f"s(ment).{i}" for i in range(1, 5)]],
                               [0.3493539671960, 0.6620637588288, 1.4057403093924,
                                0.0774115389014], atol=1e-4)


def test_fixed_theta_matches_mgcv():
    """``gam(art ~ fem + mar + kid5 + s(ment, k = 5), family = ziP(theta = c(-0.5, 0.2)),
    method = "REML")``, mgcv 1.8-41: at mgcv's own theta the deviance agrees to 1e-6."""
    fit = bz.reml(FORMULA, bz.datasets.load_biochemists(), family="ziP", theta=[-0.5, 0.2])
    assert fit.converged and fit.hessian_labels == ["s(ment)"]
    assert fit.reml_score == pytest.approx(1615.58739781596, abs=1e-6)
    np.testing.assert_allclose(fit.theta, [-0.5, 1.22140275816], rtol=1e-10)
    assert fit.sp["s(ment)"] == pytest.approx(0.138573438023, rel=1e-5)
    assert fit.edf_total == pytest.approx(7.24463288129, abs=1e-6)
    assert fit.deviance == pytest.approx(1335.21061259, abs=1e-5)
    assert fit.null_deviance == pytest.approx(1514.32011039, abs=1e-5)
    np.testing.assert_allclose(fit.mgcv_coef()[[f"s(ment).{i}" for i in range(1, 5)]],
                               [0.4484798542244, 0.9557109649967, 1.9311086697564,
                                0.0405646325737], atol=1e-5)
    assert "Family: Zero inflated Poisson(-0.5,1.221)" in str(fit)


# -- the likelihood --------------------------------------------------------------------------
def _likelihood(n=60, seed=5):
    rng = np.random.default_rng(seed)
    y = np.r_[0.0, 0.0, 1.0, 7.0, rng.poisson(1.5, n - 4)]
    w = rng.uniform(0.5, 2.0, n)
    eta = rng.normal(0.2, 1.2, (n, 1))
    return ZipLikelihood(y, w), eta, np.array([-0.4, 0.3])


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


def test_param_derivatives_against_finite_differences():
    lik, eta, params = _likelihood()
    g, ge, gee = lik.param_derivatives(eta, params)
    assert g.shape == (eta.shape[0], 2) and ge.shape == (eta.shape[0], 1, 2)
    assert gee.shape == (eta.shape[0], 1, 1, 2)
    h = 1e-6
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        up = lik.eta_derivatives(eta, params + e, order=2)
        down = lik.eta_derivatives(eta, params - e, order=2)
        fd = (lik.deviance(eta, params + e) - lik.deviance(eta, params - e)) / (4 * h)
        np.testing.assert_allclose(g[:, j], fd, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(ge[:, 0, j], (up[0] - down[0])[:, 0] / (2 * h), rtol=1e-6,
                                   atol=1e-8)
        np.testing.assert_allclose(gee[:, 0, 0, j], (up[1] - down[1])[:, 0, 0] / (2 * h),
                                   rtol=1e-6, atol=1e-8)


def test_covariance_weights_are_the_expected_newton_weights():
    """mgcv's ``EDmu2 / 2``: the Newton weights averaged over the response's distribution."""
    from scipy import stats

    gamma, params = np.array([-1.0, 0.3, 1.5]), np.array([-0.4, 0.3])
    th = zip_theta(params)
    p = 1.0 - np.exp(-np.exp(th[0] + th[1] * gamma))
    ys = np.arange(0, 60.0)
    expected = np.zeros_like(gamma)
    for y in ys:
        lik = ZipLikelihood(np.full(3, y), np.ones(3))
        f2 = lik.eta_derivatives(gamma[:, None], params)[1][:, 0, 0]
        lam = np.exp(gamma)
        prob = np.where(y == 0, 1.0 - p,
                        p * stats.poisson.pmf(y, lam) / (1.0 - np.exp(-lam)))
        expected += prob * f2
    lik = ZipLikelihood(np.ones(3), np.ones(3))
    np.testing.assert_allclose(lik.covariance_weights(gamma[:, None], params)[:, 0, 0],
                               expected, rtol=1e-10)


def test_mean_is_the_expected_count():
    gamma, theta = np.array([-2.0, 0.0, 2.5]), np.array([-0.4, 1.3])
    ys = np.arange(0, 200.0)
    lik = ZipLikelihood(np.zeros(1), np.ones(1))
    params = np.array([theta[0], np.log(theta[1])])
    for g, mean in zip(gamma, zip_mean(gamma, theta)[0], strict=True):
        lik.y, lik.pos = ys, ys > 0
        lik.log_y_fact = np.array([float(np.sum(np.log(np.arange(1, y + 1)))) for y in ys])
        probs = np.exp(lik.log_f(np.full((ys.size, 1), g), params))
        assert probs.sum() == pytest.approx(1.0, abs=1e-12)
        assert mean == pytest.approx(float(ys @ probs), rel=1e-12)


def test_far_out_stays_finite_and_accurate():
    """Far below and above, the log likelihood and its derivatives stay finite and equal the
    limits (a count's zero-truncated Poisson tends to ``y = 1`` as ``lambda -> 0``)."""
    y = np.array([0.0, 1.0, 3.0, 0.0, 2.0])
    lik = ZipLikelihood(y, np.ones(5))
    params = np.array([0.0, 0.0])
    eta = np.array([[-40.0], [-40.0], [25.0], [30.0], [-1e-9]])
    lf = lik.log_f(eta, params)
    assert np.all(np.isfinite(lf))
    assert lf[0] == pytest.approx(-np.exp(-40.0), rel=1e-12)
    assert lf[1] == pytest.approx(-40.0 - np.exp(-40.0) / 2.0, rel=1e-12)  # log p, P(1|y>0)=1
    for f in lik.eta_derivatives(eta, params, order=3):
        assert np.all(np.isfinite(f))
    for f in lik.param_derivatives(eta, params):
        assert np.all(np.isfinite(f))


# -- refusals -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("values", "message"), [
    ([0.0, 2.0, -1.0, 3.0], r"'y' of a ziP model must hold non-negative whole counts; row 2 "
                            r"has -1"),
    ([0.0, 2.5, 1.0, 3.0], r"non-negative whole counts; row 1 has 2.5"),
    ([0.0, 1.0, 1.0, 0.0], r"only zeros and ones.*family='bernoulli'"),
])
def test_bad_response_refused(values, message):
    d = pd.DataFrame({"y": values, "x": [0.1, 0.5, -0.3, 1.2]})
    with pytest.raises(ValueError, match=message):
        bz.reml("y ~ x", d, family="ziP")


def test_samplers_refer_to_zero_inflated_poisson():
    d = bz.datasets.load_biochemists()
    for family in ("ziP", ZiP()):
        with pytest.raises(ValueError, match=r"mgcv's zero-inflated Poisson.*"
                                             r"family='zero_inflated_poisson'"):
            bz.sample("art ~ fem + kid5", d, family=family, chains=1, draws=10, tune=10,
                      progress=False)
    with pytest.raises(ValueError, match=r"family='zero_inflated_poisson'"):
        fam.get("ziP")
    assert "ziP" not in fam.names()


def test_zip_refuses_a_bad_theta():
    d = bz.datasets.load_biochemists()
    for theta in (1.0, [0.0, np.nan]):
        with pytest.raises(ValueError, match=r"ziP holds theta fixed as two finite numbers"):
            bz.reml("art ~ fem", d, family="ziP", theta=theta)
