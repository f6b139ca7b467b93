"""``method="ML"`` for models without smoothing parameters, as ``mgcv::gam(..., method = "ML")``.

With no smoothing parameter to optimise, the ML fit is the unpenalized least-squares (Gaussian)
or GLM fit, and mgcv's ``gcv.ubre`` is minus the log likelihood at the ML estimates (for the
Gaussian, at the ML scale ``RSS/n``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import bayeszoo as bz

MCYCLE_FX = 'accel ~ 1 + s(times, bs="cr", k=20, fx=TRUE)'
QUINE = "Days ~ Eth + Sex + Age + Lrn"


@pytest.mark.parametrize("formula", ["accel ~ 1", MCYCLE_FX])
def test_gaussian_ml_is_least_squares(formula):
    fit = bz.reml(formula, bz.datasets.load_mcycle(), method="ML")
    X, y = fit.design.X, fit.design.y
    assert not fit.design.blocks
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(fit.coef.to_numpy(), beta, rtol=0, atol=1e-8)
    n = y.size
    sigma2 = float(np.sum((y - X @ beta) ** 2)) / n
    assert fit.reml_scale == pytest.approx(sigma2, rel=1e-10)
    minus_loglik = 0.5 * n * math.log(2.0 * math.pi * sigma2) + 0.5 * n
    assert fit.reml_score == pytest.approx(minus_loglik, rel=1e-10)


def test_gaussian_ml_score_matches_mgcv():
    # library(mgcv); print(gam(accel ~ 1 + s(times, bs = "cr", k = 20, fx = TRUE),
    #                          data = MASS::mcycle, method = "ML")$gcv.ubre, digits = 12)
    fit = bz.reml(MCYCLE_FX, bz.datasets.load_mcycle(), method="ML")
    assert fit.reml_score == pytest.approx(594.39007903, abs=1e-6)


def test_negbinomial_ml_is_glm_nb():
    ml = bz.reml(QUINE, bz.datasets.load_quine(), family="negbinomial", method="ML")
    # library(MASS); g <- glm.nb(Days ~ Eth + Sex + Age + Lrn, data = quine)
    # print(coef(g), digits = 12); print(g$theta, digits = 12); print(-logLik(g), digits = 12)
    glm_nb = [2.8945800169205, -0.5693717033990, 0.0823202641037, -0.4484281485902,
              0.0880801397149, 0.3569009477628, 0.2921091428279]
    np.testing.assert_allclose(ml.coef.to_numpy(), glm_nb, rtol=0, atol=1e-6)
    assert ml.theta == pytest.approx(1.27489264581, rel=1e-6)
    assert ml.reml_score == pytest.approx(546.575509145, abs=1e-6)
