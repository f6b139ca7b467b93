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
from bayeszoo.inference.reml import Iid, PenalizedBlock, Predictor, block_matrix, fit_model

REF = fixture("mgcv_gaulss")["mcycle_gaulss"]


def _predictor(d, name):
    blocks = [PenalizedBlock(b.term, block_matrix(b.Z, b.index, b.weights, d.n), Iid(b.size),
                             reml_offset=b.reml_offset) for b in d.blocks]
    return Predictor(np.asarray(d.X, float), blocks, name=name)


@pytest.fixture(scope="module")
def gaulss():
    mcycle = load("mcycle")
    d_mu = bz.design("accel ~ s(times, bs='cr', k=20)", mcycle)
    d_sigma = bz.design("accel ~ s(times, bs='cr', k=10)", mcycle)
    family = fam.gaussian()
    lik = family.reml_likelihood(family.prepare(mcycle["accel"], "accel"), dpars=("sigma",))
    return fit_model([_predictor(d_mu, "mu"), _predictor(d_sigma, "sigma")], lik), d_mu, d_sigma


def _mgcv_coef(r, d, k):
    """Predictor ``k``'s coefficients in mgcv's basis (intercept, then the smooth's ``Xc``
    coefficients)."""
    lay = r.layout
    sm = d.smooths[0]
    fixed = r.beta[lay.fixed_slices[k]]
    j = [i for i, p in enumerate(lay.block_predictor) if p == k][0]
    bd = np.zeros(sm.basis.P.shape[1])
    bd[sm.basis.fixed_cols] = fixed[sm.fixed_columns]
    bd[sm.basis.random_cols] = r.beta[lay.block_slices[j]]
    return np.r_[fixed[0], sm.basis.P @ bd]


def test_gaulss_matches_mgcv(gaulss):
    r, d_mu, d_sigma = gaulss
    assert r.converged
    assert r.score == pytest.approx(REF["reml"], rel=1e-9)
    lay = r.layout
    edf = [1.0 + float(np.sum(r.edf[sl])) for sl in lay.block_slices]
    np.testing.assert_allclose(edf, list(REF["edf_terms"].values()), rtol=1e-6)
    assert float(np.sum(r.edf)) == pytest.approx(REF["edf_total"], rel=1e-7)
    np.testing.assert_allclose([r.smoothing_parameters(0)[0], r.smoothing_parameters(1)[0]],
                               list(REF["sp"].values()), rtol=1e-5)
    coef = np.r_[_mgcv_coef(r, d_mu, 0), _mgcv_coef(r, d_sigma, 1)]
    ref_coef = np.array(list(REF["coef"].values()))
    assert np.max(np.abs(coef - ref_coef) / np.maximum(np.abs(ref_coef), 1e-3)) < 1e-5
    np.testing.assert_allclose(r.fitted[:, 0], REF["mu"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.fitted[:, 1], 1.0 / np.array(REF["sd"]), rtol=1e-6)
    assert r.param_names == () and r.scale == 1.0
    assert [lab for _, lab in r.hessian_labels] == ["log_sp", "log_sp"]
    assert np.all(np.linalg.eigvalsh(r.hessian) > 0)


def test_gaulss_criterion_is_laplace_of_the_gaussian_density(gaulss):
    """At the optimum: -l + b'Sb/2 + log|H + S|/2 - log|S|/2 - Mp log(2π)/2 with l the
    Gaussian log likelihood at mu and sd (gam.fit5's REML), the offsets of both smooths added."""
    r, _, _ = gaulss
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
