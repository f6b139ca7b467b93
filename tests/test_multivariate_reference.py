"""BTdata's ``mvbind(tarsus, back) ~ sex + hatchdate + (1 | p | fosternest)`` with residual
correlations against brms 2.18 (``brms_wave3.json`` ``btdata_mv_rescor``, 4 × 3000 draws): every
parameter (``b_tarsus_*``, ``b_back_*``, ``sd_fosternest__{tarsus,back}_Intercept``,
``cor_fosternest__tarsus_Intercept__back_Intercept``, ``sigma_*``, ``rescor__tarsus__back``)
within 0.15 brms posterior sd in mean and 15 % in sd, the joint LOO's p_loo within 2.5 and
``posterior_epred``'s means per row and response. Sampled once with NumPyro, 4 chains × 500
draws. PyMC samples the per-response formulas of ``mvbf`` on the same data (its shared
parameters near brms's values of the full model), and NumPyro a Student-t model with correlated
slopes across responses."""

import json

import numpy as np
import pandas as pd
import pytest
from agreement import assert_loo_agrees, assert_posterior_agrees
from conftest import FIXTURES, SHARED

import bayeszoo as bz

pytestmark = pytest.mark.slow

REF = json.loads((FIXTURES / "brms_wave3.json").read_text())["btdata_mv_rescor"]


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(SHARED / "data" / "btdata.csv")


@pytest.fixture(scope="module")
def reference_fit(data):
    f = bz.bf("mvbind(tarsus, back) ~ sex + hatchdate + (1 | p | fosternest)", rescor=True)
    return bz.sample(f, data, chains=4, draws=500, tune=500, seed=1, progress=False)


@pytest.mark.reference
def test_posteriors_match_brms(reference_fit):
    fit = reference_fit
    assert int(fit.sample_stats["diverging"].sum()) == 0
    assert_posterior_agrees("btdata_mv_rescor", lambda par: fit.posterior[par].values,
                            REF["posterior"])
    assert fit.posterior["r_fosternest__tarsus"].shape[2:] == (104,)


@pytest.mark.reference
def test_loo_per_response_and_jointly(reference_fit):
    fit = reference_fit
    joint = fit.loo()
    assert_loo_agrees("btdata_mv_rescor", joint, REF["loo"], p_loo=2.5, elpd_loo=2.0)
    tarsus, back = fit.loo(resp="tarsus"), fit.loo(resp="back")
    assert tarsus["elpd_loo"] > back["elpd_loo"]  # tarsus has the smaller residual sd
    # the residual correlation is weak: the joint elpd is close to the responses' sum
    assert abs(joint["elpd_loo"] - tarsus["elpd_loo"] - back["elpd_loo"]) < 10
    with pytest.raises(ValueError, match="not a response"):
        fit.loo(resp="wing")


@pytest.mark.reference
def test_epred_and_predictions(reference_fit, data):
    fit = reference_fit
    epred = fit.posterior_epred()
    assert epred.shape == (2000, 828, 2) and REF["epred_columns"] == ["tarsus", "back"]
    diff = np.abs(epred.mean(axis=0) - np.asarray(REF["epred_mean"]))
    assert diff.max() < 0.06 and diff.mean() < 0.015
    np.testing.assert_allclose(fit.posterior_epred(resp="back"), epred[..., 1])
    pp = fit.posterior_predict(seed=3)
    assert pp.shape == (2000, 828, 2)
    resid = pp - epred
    # the draws carry the residual correlation of each draw
    r = np.mean([np.corrcoef(resid[d, :, 0], resid[d, :, 1])[0, 1] for d in range(0, 2000, 10)])
    assert abs(r - REF["posterior"]["rescor__tarsus__back"]["mean"]) < 0.03
    new = data.iloc[:5]
    table = fit.predict(new, resp="tarsus")
    np.testing.assert_allclose(table["Estimate"], epred[:, :5, 0].mean(axis=0), atol=1e-12)
    assert list(fit.predict(new).columns[:2]) == ["tarsus.Estimate", "tarsus.Est.Error"]


def test_pymc_samples_per_response_formulas(data):
    pytest.importorskip("pymc")
    f = bz.mvbf(bz.bf("tarsus ~ sex + (1 | p | fosternest)"),
                bz.bf("back ~ hatchdate + (1 | p | fosternest)"), rescor=True)
    fit = bz.sample(f, data, backend="pymc", chains=2, draws=400, tune=400, seed=2,
                    progress=False)
    names = set(fit.posterior.data_vars)
    assert {"b_tarsus_sexMale", "b_back_hatchdate", "sigma_back", "rescor__tarsus__back",
            "cor_fosternest__tarsus_Intercept__back_Intercept"} <= names
    assert "b_back_sexMale" not in names and "b_tarsus_hatchdate" not in names
    post = REF["posterior"]
    for par in ("b_tarsus_sexMale", "sigma_tarsus", "sigma_back", "rescor__tarsus__back",
                "sd_fosternest__back_Intercept"):
        draws = np.asarray(fit.posterior[par].values).ravel()
        assert abs(draws.mean() - post[par]["mean"]) < 0.5 * post[par]["sd"], par
    assert fit.posterior_predict(resp="back", ndraws=50, seed=1).shape == (50, 828)
    assert np.isfinite(fit.loo(resp="back")["elpd_loo"])


def test_student_rescor_with_slopes_linked_across_responses(data):
    f = bz.bf("mvbind(tarsus, back) ~ sex + (1 + hatchdate | p | fosternest)")
    fit = bz.sample(f, data, family="student", chains=2, draws=300, tune=300, seed=4,
                    progress=False)
    names = set(fit.posterior.data_vars)
    assert {"nu", "rescor__tarsus__back", "sd_fosternest__back_hatchdate",
            "cor_fosternest__tarsus_Intercept__back_hatchdate",
            "cor_fosternest__tarsus_Intercept__tarsus_hatchdate"} <= names
    assert "nu_tarsus" not in names
    assert float(fit.posterior["nu"].min()) > 1
    assert fit.posterior["r_fosternest__back"].shape[2:] == (104, 2)
    rescor = float(fit.posterior["rescor__tarsus__back"].mean())
    assert abs(rescor - REF["posterior"]["rescor__tarsus__back"]["mean"]) < 0.1
    assert fit.posterior_predict(ndraws=20, seed=1).shape == (20, 828, 2)
