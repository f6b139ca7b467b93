"""The REML engine's block penalties: names that do not collide with the block structures',
one protocol, and lme4's view of a block (covariance, theta, coefficient names) answered by the
penalty itself, ``None`` where a penalty has no variance components."""

from __future__ import annotations

import math

import numpy as np
import pytest

import bayeszoo.families as fam
import bayeszoo.penalized as penalized
import bayeszoo.structures as structures
from bayeszoo.penalized import (
    CholeskyPrecision,
    PenalizedBlock,
    Penalty,
    PenaltySum,
    Predictor,
    ScaledIdentity,
    block_matrix,
    fit_model,
)
from bayeszoo.penalized.lme4 import lme4_theta, ranef, varcorr


def test_penalty_names_differ_from_structure_names():
    assert not set(penalized.__all__) & set(structures.__all__)


def test_every_penalty_follows_the_protocol():
    S1, S2 = np.diag([1.0, 2.0, 0.0]), np.diag([0.0, 1.0, 3.0])
    for pen in (ScaledIdentity(3), PenaltySum([S1, S2]), CholeskyPrecision(4, 2)):
        assert isinstance(pen, Penalty)


def test_scaled_identity_is_an_lme4_scalar_term():
    pen = ScaledIdentity(5)
    psi = np.array([math.log(4.0)])
    assert pen.coef_labels == ("(Intercept)",)
    np.testing.assert_allclose(pen.lme4_covariance(psi, 2.0), [[0.5]])
    np.testing.assert_allclose(pen.lme4_theta(psi), [0.5])


def test_cholesky_precision_gives_lme4s_covariance_and_theta():
    pen = CholeskyPrecision(3, 2, labels=["(Intercept)", "Days"])
    psi = np.array([0.2, -0.4, 0.3])
    L = np.array([[math.exp(0.2), 0.0], [-0.4, math.exp(0.3)]])
    Sigma = 1.7 * np.linalg.inv(L @ L.T)
    np.testing.assert_allclose(pen.lme4_covariance(psi, 1.7), Sigma, rtol=1e-13)
    Lam = np.linalg.cholesky(Sigma / 1.7)
    np.testing.assert_allclose(pen.lme4_theta(psi), [Lam[0, 0], Lam[1, 0], Lam[1, 1]],
                               rtol=1e-13)
    assert pen.coef_labels == ("(Intercept)", "Days")


def test_a_penalty_sum_has_no_lme4_view():
    pen = PenaltySum([np.diag([1.0, 0.0]), np.diag([0.0, 1.0])])
    assert pen.coef_labels is None
    assert pen.lme4_covariance(np.zeros(2), 1.0) is None and pen.lme4_theta(np.zeros(2)) is None


@pytest.fixture(scope="module")
def te_and_random_intercept():
    """A Gaussian REML fit with a two-penalty block and a random intercept."""
    rng = np.random.default_rng(2)
    n, q = 60, 4
    g = np.repeat(np.arange(6), 10)
    Z = rng.normal(size=(n, q))
    y = 1.0 + Z @ rng.normal(size=q) + rng.normal(size=6)[g] + rng.normal(size=n)
    blocks = [PenalizedBlock("te(x,z)", Z, PenaltySum([np.diag([1.0, 1.0, 0.5, 0.0]),
                                                       np.diag([0.0, 0.5, 1.0, 1.0])])),
              PenalizedBlock("(1 | g)", block_matrix(np.eye(6)[g], g, np.ones(n), n),
                             ScaledIdentity(6), group="g")]
    lik = fam.gaussian().reml_likelihood(fam.gaussian().prepare(y, "y"))
    return fit_model([Predictor(np.ones((n, 1)), blocks)], lik)


def test_lme4_results_skip_or_refuse_a_smooth_block(te_and_random_intercept):
    r = te_and_random_intercept
    assert list(ranef(r)) == ["g"] and list(ranef(r)["g"].columns) == ["(Intercept)"]
    vc = varcorr(r, blocks=[1])
    assert vc["vcov"].iloc[0] == pytest.approx(r.reml_scale / math.exp(r.block_params(1)[0]))
    with pytest.raises(ValueError, match="'te\\(x,z\\)' has no lme4 variance components"):
        varcorr(r)
    with pytest.raises(ValueError, match="'te\\(x,z\\)' has no lme4 theta"):
        lme4_theta(r)
