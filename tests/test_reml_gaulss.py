"""Two linear predictors: mgcv's ``gaulss`` location-scale family against mgcv 1.8-41
(``mgcv_gaulss.json``): ``gam(list(accel ~ s(times, bs="cr", k=20), ~ s(times, bs="cr",
k=10)), family = gaulss())`` on mcycle. The fixture's ``sd`` column holds mgcv's
``fitted.values[, 2]``, which for ``gaulss`` is ``tau = 1/sd``."""

from __future__ import annotations

import numpy as np
import pytest
from reference_data import fixture, load

import bayeszoo as bz
import bayeszoo.families as fam

REF = fixture("mgcv_gaulss")["mcycle_gaulss"]


@pytest.fixture(scope="module")
def gaulss():
    mcycle = load("mcycle")
    fit = bz.reml(bz.bf("accel ~ s(times, bs='cr', k=20)", sigma="~ s(times, bs='cr', k=10)"),
                  mcycle)
    return fit.engine, fit


def test_gaulss_matches_mgcv(gaulss):
    r, fit = gaulss
    assert r.converged
    assert r.score == pytest.approx(REF["reml"], rel=1e-9)
    lay = r.layout
    edf = [1.0 + float(np.sum(r.edf[sl])) for sl in lay.block_slices]
    np.testing.assert_allclose(edf, list(REF["edf_terms"].values()), rtol=1e-6)
    assert float(np.sum(r.edf)) == pytest.approx(REF["edf_total"], rel=1e-7)
    np.testing.assert_allclose([r.smoothing_parameters(0)[0], r.smoothing_parameters(1)[0]],
                               list(REF["sp"].values()), rtol=1e-5)
    coef = fit.mgcv_coef().to_numpy()
    ref_coef = np.array(list(REF["coef"].values()))
    assert fit.edf["s(times)"] == pytest.approx(REF["edf_terms"]["s(times)"], rel=1e-6)
    assert fit.edf["s.1(times)"] == pytest.approx(REF["edf_terms"]["s.1(times)"], rel=1e-6)
    assert fit.reml_score == pytest.approx(REF["reml"], rel=1e-9)
    np.testing.assert_allclose(fit.fitted, REF["mu"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fit.fitted_dpars["sigma"], 1.0 / np.array(REF["sd"]), rtol=1e-6)
    assert np.max(np.abs(coef - ref_coef) / np.maximum(np.abs(ref_coef), 1e-3)) < 1e-5
    np.testing.assert_allclose(r.fitted[:, 0], REF["mu"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.fitted[:, 1], 1.0 / np.array(REF["sd"]), rtol=1e-6)
    assert r.param_names == () and r.scale == 1.0
    assert [lab for _, lab in r.hessian_labels] == ["log_sp", "log_sp"]
    assert np.all(np.linalg.eigvalsh(r.hessian) > 0)


def test_gaulss_criterion_is_laplace_of_the_gaussian_density(gaulss):
    """At the optimum: -l + b'Sb/2 + log|H + S|/2 - log|S|/2 - Mp log(2π)/2 with l the
    Gaussian log likelihood at mu and sd (gam.fit5's REML), the offsets of both smooths added."""
    r, _ = gaulss
    y = load("mcycle")["accel"].to_numpy(float)
    lay = r.layout
    mu, sd = r.fitted[:, 0], r.fitted[:, 1]
    loglik = float(np.sum(-0.5 * ((y - mu) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)))
    sp = [r.smoothing_parameters(j)[0] for j in range(2)]
    pen = sum(s * float(r.beta[sl] @ r.beta[sl]) for s, sl in zip(sp, lay.block_slices,
                                                                   strict=True))
    # observed information of -l w.r.t. (eta1, eta2) and the penalized Hessian
    lik = fam.gaussian().reml_likelihood(fam.gaussian().prepare(y, "accel"), dpars=("sigma",))
    _, W, _ = lik.eta_derivatives(r.eta, np.zeros(0), order=2)
    H = lay.gram(W)
    for s, sl in zip(sp, lay.block_slices, strict=True):
        H[sl, sl] += s * np.eye(sl.stop - sl.start)
    log_det_S = sum(np.log(s) * (sl.stop - sl.start)
                    for s, sl in zip(sp, lay.block_slices, strict=True))
    value = (-loglik + 0.5 * pen + 0.5 * np.linalg.slogdet(H)[1] - 0.5 * log_det_S
             - 0.5 * lay.Mp * np.log(2 * np.pi) + sum(b.reml_offset for b in lay.blocks))
    assert r.score == pytest.approx(value, rel=1e-12)
