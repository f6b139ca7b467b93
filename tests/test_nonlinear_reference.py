"""The loss triangle of brms's non-linear vignette, ``bf(cum ~ ult * (1 - exp(-(dev /
theta)^omega)), ult ~ 1 + (1 | AY), omega ~ 1, theta ~ 1, nl = TRUE)`` with its priors and
``adapt_delta = 0.9``, against brms 2.18 (``brms_wave3.json`` ``loss_nonlinear``, 4 × 3000
draws): every posterior mean (``b_ult_Intercept``, ``b_omega_Intercept``, ``b_theta_Intercept``,
``sd_AY__ult_Intercept``, ``sigma``) within 0.15 brms posterior sd, every sd within 15 %, p_loo
within 2.5 and ``posterior_epred`` per row within 3 %.

Sampled once through the zoo entry ``loss_nonlinear`` with NumPyro, 4 chains × 500 draws
(about 30 s on 2 shared cores)."""

import json

import numpy as np
import pytest
from agreement import assert_loo_agrees, assert_posterior_agrees
from conftest import FIXTURES

import bayeszoo as bz
from bayeszoo.inference.compare import loo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference_fit():
    ref = json.loads((FIXTURES / "brms_wave3.json").read_text())["loss_nonlinear"]
    fit = bz.fit("loss_nonlinear", chains=4, draws=500, tune=500, seed=1, progress=False)
    return fit, ref


@pytest.mark.reference
def test_nonlinear_posterior_matches_brms(reference_fit):
    fit, ref = reference_fit
    assert fit.posterior["r_AY__ult"].shape[2:] == (10,)
    assert_posterior_agrees("loss_nonlinear", lambda par: fit.posterior[par].values,
                            ref["posterior"])
    assert_loo_agrees("loss_nonlinear", loo(fit), ref["loo"], p_loo=2.5, elpd_loo=2.0)
    epred = bz.predict(fit, kind="epred")
    np.testing.assert_allclose(epred.mean(axis=0), ref["epred_mean"], rtol=0.03)


@pytest.mark.reference
def test_nonlinear_predictions_on_new_data(reference_fit):
    """New development months of a known accident year follow the fitted curve (and ``ult``
    itself comes out with ``dpar="ult"``); a new year is refused unless ``allow_new_levels``,
    which draws it a random effect about ``b_ult_Intercept``."""
    fit, _ = reference_fit
    post = fit.posterior
    new = bz.datasets.load_loss().iloc[[0]].assign(dev=1000)
    epred = bz.predict(fit, newdata=new, kind="epred")[:, 0]
    b = np.asarray(post["b_ult_Intercept"].values).ravel()
    r = np.asarray(post["r_AY__ult"].values)[..., 0].ravel()
    theta = np.asarray(post["b_theta_Intercept"].values).ravel()
    omega = np.asarray(post["b_omega_Intercept"].values).ravel()
    np.testing.assert_allclose(epred, (b + r) * (1 - np.exp(-(1000 / theta) ** omega)),
                               rtol=1e-12)
    ult = bz.predict(fit, newdata=new, kind="epred", dpar="ult")[:, 0]  # brms's nlpar=
    np.testing.assert_allclose(ult, b + r, rtol=1e-12)
    with pytest.raises(ValueError, match="1776|level"):
        bz.predict(fit, newdata=new.assign(AY=1776), kind="epred")
    pp = bz.predict(fit, newdata=new.assign(AY=1776), kind="pp", seed=1,
                    allow_new_levels=True)
    assert pp.shape == (2000, 1) and abs(np.median(pp) - np.median(b)) < 500
    ce = fit.conditional_effects("dev")["dev"]
    assert ce["estimate__"].is_monotonic_increasing
