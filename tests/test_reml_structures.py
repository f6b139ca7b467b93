"""Penalty structures of the REML engine: a tensor-product (``te``) block with two penalties
built by hand from two cr margins, and lme4's unstructured covariance, each checked for internal
consistency: exact gradient and Hessian against central differences, the criterion against
mgcv's definition evaluated directly in the constrained basis (generalized determinant of the
penalty) and against the Gaussian restricted density, and optimality."""

from __future__ import annotations

import math

import numpy as np
import pytest
from reference_data import load
from scipy import linalg

import bayeszoo.families as fam
from bayeszoo.penalized import (
    CholeskyPrecision,
    Layout,
    PenalizedBlock,
    PenaltySum,
    Predictor,
    ScaledIdentity,
    fit_model,
)
from bayeszoo.penalized.gaussian import GaussianEngine
from bayeszoo.penalized.penalties import split_null_space
from bayeszoo.smooths import CRBasis
from bayeszoo.smooths.core import constraint_null_space


@pytest.fixture(scope="module")
def air():
    return load("airquality").dropna(subset=["Ozone"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def te_basis(air):
    """``te(Temp, Wind, k=5)`` from two cr margins: row-wise Kronecker product of the marginal
    bases, penalties ``S1 ⊗ I`` and ``I ⊗ S2``, the sum-to-zero constraint absorbed."""
    x1, x2 = air["Temp"].to_numpy(float), air["Wind"].to_numpy(float)
    m1, m2 = CRBasis(x1, k=5), CRBasis(x2, k=5)
    X = np.einsum("ia,ib->iab", m1.predict(x1), m2.predict(x2)).reshape(len(air), -1)
    S = [np.kron(m1.S, np.eye(5)), np.kron(np.eye(5), m2.S)]
    Z = constraint_null_space(X.mean(axis=0))
    return X @ Z, [Z.T @ s @ Z for s in S]


def _te_layout(air, te_basis):
    Xc, S = te_basis
    split = split_null_space(Xc, S)
    X = np.column_stack([np.ones(len(air)), split.fixed])
    block = PenalizedBlock("te(Temp,Wind)", split.random, PenaltySum(split.penalties))
    return Layout([Predictor(X, [block])]), split


def test_te_split_is_the_penalty_range_space(te_basis):
    Xc, S = te_basis
    split = split_null_space(Xc, S)
    assert split.fixed.shape[1] == 3  # null(S1) ⊗ null(S2) is 2 x 2, minus the constraint
    assert split.random.shape[1] == Xc.shape[1] - 3
    for s in S:
        np.testing.assert_allclose(s @ split.U_fixed, 0, atol=1e-8 * np.abs(s).max())
    with pytest.raises(ValueError, match="positive definite sum"):
        PenaltySum([S[0]])


def test_te_exact_derivatives_match_finite_differences(air, te_basis):
    layout, _ = _te_layout(air, te_basis)
    engine = GaussianEngine(layout, air["Ozone"].to_numpy(float))
    free = np.array([0, 1])
    h = 1e-4
    for rho in (np.log([0.5, 30.0]), np.log([200.0, 0.02])):
        st = engine.state(rho)
        g, H = engine.profile_grad_hess(st, free)
        E = np.eye(2) * h
        fd_g = [(engine.state(rho + e).score - engine.state(rho - e).score) / (2 * h) for e in E]
        np.testing.assert_allclose(g, fd_g, rtol=1e-6, atol=1e-7)
        fd_H = np.array([(engine.profile_grad_hess(engine.state(rho + e), free)[0]
                          - engine.profile_grad_hess(engine.state(rho - e), free)[0]) / (2 * h)
                         for e in E])
        np.testing.assert_allclose(H, fd_H, rtol=1e-5, atol=1e-6)
        assert abs(H[0, 1]) > 1e-3

        def criterion(v):
            s = engine.state(v[:2])
            return (s.Dp / (2 * math.exp(v[2])) + 0.5 * engine.nr * (v[2] + math.log(2 * math.pi))
                    + 0.5 * s.logdet - 0.5 * s.log_det_S)

        v0 = np.r_[rho, math.log(st.Dp / engine.nr)]
        E3 = np.eye(3) * h
        fd_full = np.array([[(criterion(v0 + a + b) - criterion(v0 + a - b) - criterion(v0 - a + b)
                              + criterion(v0 - a - b)) / (4 * h * h) for b in E3] for a in E3])
        np.testing.assert_allclose(engine.full_hessian(st, free), fd_full, rtol=1e-4, atol=1e-4)


def test_te_fit_is_mgcvs_criterion_in_the_constrained_basis(air, te_basis):
    """At the optimum, the criterion of the mixed form equals mgcv's REML written directly in
    the constrained te basis (``log|S|+`` the generalized determinant of ``Σ sp_k S_k``), the
    Gaussian restricted density, and it rises when either sp moves."""
    layout, split = _te_layout(air, te_basis)
    y = air["Ozone"].to_numpy(float)
    lik = fam.gaussian().reml_likelihood(fam.gaussian().prepare(y, "Ozone"))
    r = fit_model(layout.predictors, lik)
    assert r.converged
    sp = np.exp(r.psi)
    Xc, S = te_basis
    X = np.column_stack([np.ones(len(y)), Xc])
    St = np.zeros((X.shape[1], X.shape[1]))
    St[1:, 1:] = sp[0] * S[0] + sp[1] * S[1]
    A = X.T @ X + St
    beta = np.linalg.solve(A, X.T @ y)
    Dp = float(np.sum((y - X @ beta) ** 2) + beta @ St @ beta)
    ev = np.linalg.eigvalsh(St)
    rank = int(np.sum(ev > ev.max() * 1e-9))
    Mp = X.shape[1] - rank
    phi = Dp / (len(y) - Mp)
    mgcv_reml = (Dp / (2 * phi) + (len(y) - Mp) / 2 * math.log(2 * math.pi * phi)
                 + 0.5 * np.linalg.slogdet(A)[1] - 0.5 * np.sum(np.log(np.sort(ev)[-rank:])))
    assert r.score == pytest.approx(mgcv_reml, rel=1e-10)
    assert r.reml_scale == pytest.approx(phi, rel=1e-10)
    np.testing.assert_allclose(r.fitted[:, 0], X @ beta, rtol=1e-8)
    edf = np.trace(np.linalg.solve(A, X.T @ X))
    assert np.sum(r.edf) == pytest.approx(edf, rel=1e-9)
    # the restricted (REML) density of y with b integrated out
    Zr, Sr = split.random, sum(s * p for s, p in zip(split.penalties, sp, strict=True))
    V = phi * (np.eye(len(y)) + Zr @ np.linalg.solve(Sr, Zr.T))
    Xf = np.column_stack([np.ones(len(y)), split.fixed])
    cV = linalg.cho_factor(V)
    ViX = linalg.cho_solve(cV, Xf)
    bhat = np.linalg.solve(Xf.T @ ViX, ViX.T @ y)
    res = y - Xf @ bhat
    loglik = -0.5 * (len(y) * math.log(2 * math.pi) + 2 * np.sum(np.log(np.diag(cV[0])))
                     + res @ linalg.cho_solve(cV, res))
    restricted = (loglik - 0.5 * np.linalg.slogdet(Xf.T @ ViX)[1]
                  + 0.5 * Xf.shape[1] * math.log(2 * math.pi))
    assert r.score == pytest.approx(-restricted, rel=1e-9)
    engine = GaussianEngine(layout, y)
    for k in range(2):
        for step in (-1e-3, 1e-3):
            rho = r.psi.copy()
            rho[k] += step
            assert engine.state(rho).score > r.score - 1e-10


# -- lme4's unstructured covariance -----------------------------------------------------------
@pytest.fixture(scope="module")
def sleep_layout():
    sleep = load("sleepstudy")
    n = len(sleep)
    g = sleep["Subject"].cat.codes.to_numpy().astype(int)
    days = sleep["Days"].to_numpy(float)
    Z = np.zeros((n, 36))
    Z[np.arange(n), 2 * g] = 1.0
    Z[np.arange(n), 2 * g + 1] = days
    X = np.column_stack([np.ones(n), days])
    block = PenalizedBlock("(Days | Subject)", Z, CholeskyPrecision(18, 2))
    return Layout([Predictor(X, [block])]), sleep["Reaction"].to_numpy(float)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_unstructured_derivatives_match_finite_differences(sleep_layout, method):
    layout, y = sleep_layout
    engine = GaussianEngine(layout, y, method=method)
    free = np.arange(3)
    h = 1e-5
    for psi in (np.array([-0.1, 0.3, 1.2]), np.array([0.5, -0.7, 2.0])):
        st = engine.state(psi)
        g, H = engine.profile_grad_hess(st, free)
        E = np.eye(3) * h
        fd_g = [(engine.state(psi + e).score - engine.state(psi - e).score) / (2 * h) for e in E]
        np.testing.assert_allclose(g, fd_g, rtol=1e-6, atol=1e-6)
        fd_H = np.array([(engine.profile_grad_hess(engine.state(psi + e), free)[0]
                          - engine.profile_grad_hess(engine.state(psi - e), free)[0]) / (2 * h)
                         for e in E])
        np.testing.assert_allclose(H, fd_H, rtol=1e-5, atol=1e-5)


def test_unstructured_maps_to_lme4_theta_and_back():
    st = CholeskyPrecision(4, 3)
    rng = np.random.default_rng(3)
    psi = rng.normal(size=st.n_params)
    Om = st.precision(psi)
    S = np.zeros((12, 12))
    st.add_penalty(S, slice(0, 12), psi)
    np.testing.assert_allclose(S, np.kron(np.eye(4), Om))
    lam = st.lme4_theta(psi)
    Lam = np.zeros((3, 3))
    for v, (i, j) in zip(lam, st.index, strict=True):
        Lam[i, j] = v
    np.testing.assert_allclose(Lam @ Lam.T, np.linalg.inv(Om), rtol=1e-12)
    np.testing.assert_allclose(st.params_from_covariance(np.linalg.inv(Om)), psi, rtol=1e-10)
    A = rng.normal(size=(12, 12))
    A = A @ A.T
    np.testing.assert_allclose(st.trace_d(psi, A), [np.trace(v) for v in st.d_times(psi, A)])
    for key, t in st.trace_d2(psi, A).items():
        assert t == pytest.approx(np.trace(st.d2_times(psi, A)[key]), rel=1e-12)
    value, grad, _ = st.log_det(psi)
    assert value == pytest.approx(np.linalg.slogdet(S)[1], rel=1e-12)
    assert ScaledIdentity(5).log_det(np.array([0.7]))[0] == pytest.approx(3.5)


def test_fixed_structure_parameters_stay(sleep_layout):
    layout, y = sleep_layout
    b = layout.blocks[0]
    fixed = PenalizedBlock(b.label, b.matrix, b.penalty, fixed=np.array([0.0, 0.1, 1.5]))
    lik = fam.gaussian().reml_likelihood(fam.gaussian().prepare(y, "Reaction"))
    r = fit_model([Predictor(layout.predictors[0].X, [fixed])], lik)
    np.testing.assert_array_equal(r.psi, [0.0, 0.1, 1.5])
    assert r.hessian.shape == (1, 1) and r.hessian_labels == [(None, "log_scale")]


def _mgcv_te(air):
    """mgcv's ``te(Temp, Wind, k=5)``: unconstrained cr margins, each penalty scaled by its
    largest eigenvalue, ``S1 ⊗ I`` and ``I ⊗ S2`` rescaled by ``S.scale``, the sum-to-zero
    constraint absorbed (``smooth.construct.tensor.smooth.spec`` and ``smoothCon``)."""
    from bayeszoo.smooths.core import s_scale

    margins = [CRBasis(air[v].to_numpy(float), k=5) for v in ("Temp", "Wind")]
    Sm = [m.S / np.linalg.eigvalsh(m.S).max() for m in margins]

    def basis(x1, x2):
        X1, X2 = margins[0].predict(x1), margins[1].predict(x2)
        return np.einsum("ia,ib->iab", X1, X2).reshape(len(x1), -1)

    X = basis(air["Temp"].to_numpy(float), air["Wind"].to_numpy(float))
    S = [np.kron(Sm[0], np.eye(5)), np.kron(np.eye(5), Sm[1])]
    scales = [s_scale(X, s) for s in S]
    Z = constraint_null_space(X.mean(axis=0))
    return X @ Z, [Z.T @ s @ Z / c for s, c in zip(S, scales, strict=True)], scales, \
        lambda x1, x2: basis(x1, x2) @ Z


def test_te_matches_mgcv(air):
    """Ozone ~ te(Temp, Wind, k=5) against mgcv 1.8-41 (``mgcv_smooths2.json``): the basis is
    mgcv's model matrix, and the multi-penalty block gives mgcv's REML score, sp, edf,
    coefficients, fitted values, variance components and predictions with standard errors."""
    from reference_data import fixture

    ref = fixture("mgcv_smooths2")["air_te"]
    air = air.dropna(subset=["Temp", "Wind"]).reset_index(drop=True)
    Xc, S, scales, new_basis = _mgcv_te(air)
    np.testing.assert_allclose(Xc, np.array(ref["model_matrix"])[:, 1:], atol=1e-12)
    split = split_null_space(Xc, S)
    X = np.column_stack([np.ones(len(air)), split.fixed])
    lik = fam.gaussian().reml_likelihood(fam.gaussian().prepare(air["Ozone"], "Ozone"))
    r = fit_model([Predictor(X, [PenalizedBlock("te(Temp,Wind)", split.random,
                                                PenaltySum(split.penalties))])], lik)
    assert r.converged
    assert r.score == pytest.approx(ref["reml"], rel=1e-10)
    np.testing.assert_allclose(r.smoothing_parameters(0), list(ref["sp"].values()), rtol=1e-4)
    assert float(np.sum(r.edf)) == pytest.approx(ref["edf_total"], rel=1e-6)
    assert r.scale == pytest.approx(ref["scale"], rel=1e-6)
    lay = r.layout
    m = split.fixed.shape[1]
    T = np.zeros((Xc.shape[1] + 1, lay.P))  # internal order -> mgcv's coefficients
    T[0, lay.fixed_slices[0].start] = 1.0
    T[1:, lay.fixed_slices[0].start + 1:lay.fixed_slices[0].start + 1 + m] = split.U_fixed
    T[1:, lay.block_slices[0]] = split.U_random
    coef = T @ r.beta
    ref_coef = np.array(list(ref["coef"].values()))
    assert np.max(np.abs(coef - ref_coef)) < 1e-5 * np.max(np.abs(ref_coef))
    np.testing.assert_allclose(r.fitted[:, 0], ref["fitted"], rtol=1e-5)
    sd = np.sqrt(r.reml_scale * np.array(scales) / r.smoothing_parameters(0))
    np.testing.assert_allclose([*sd, np.sqrt(r.reml_scale)], ref["vcomp"]["sd"], rtol=1e-4)
    new = [(row["Temp"], row["Wind"]) for row in ref["newdata"]]
    Xn = np.column_stack([np.ones(len(new)), new_basis(np.array([t for t, _ in new], float),
                                                       np.array([w for _, w in new], float))])
    Vp = T @ r.Vp @ T.T
    np.testing.assert_allclose(Xn @ coef, ref["pred"], rtol=1e-5)
    np.testing.assert_allclose(np.sqrt(np.einsum("ij,jk,ik->i", Xn, Vp, Xn)), ref["pred_se"],
                               rtol=1e-4)
