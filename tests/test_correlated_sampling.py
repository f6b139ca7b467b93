"""NUTS on sleepstudy's ``Reaction ~ Days + (Days | Subject)`` against brms 2.18, across
NumPyro, PyMC and nutpie; reproducible draws; predictions (new subjects included) and a
saved fit. The fits are shared through module fixtures; the reference runs are ``slow``."""

import json

import numpy as np
import pandas as pd
import pytest
from agreement import assert_loo_agrees, assert_posterior_agrees
from conftest import FIXTURES

import bayeszoo as bz
from bayeszoo.inference.compare import loo
from bayeszoo.inference.predict import predict
from bayeszoo.inference.sampling import sample

SLEEP = "Reaction ~ Days + (Days | Subject)"
SCALARS = ["b_Intercept", "b_Days", "sd_Subject__Intercept", "sd_Subject__Days",
           "cor_Subject__Intercept__Days", "sigma"]


@pytest.fixture(scope="module")
def sleep():
    return bz.datasets.load_sleepstudy()


@pytest.fixture(scope="module")
def brms_sleep() -> dict:
    return json.loads((FIXTURES / "brms_wave2.json").read_text())["sleep_corr"]


@pytest.fixture(scope="module")
def fits(sleep):
    """NumPyro with 4 × 2000 draws (the brms comparison), PyMC and nutpie with 4 × 1000."""
    out = {"numpyro": sample(SLEEP, sleep, backend="numpyro", chains=4, draws=2000, tune=1000,
                             seed=1, progress=False)}
    for backend in ("pymc", "nutpie"):
        out[backend] = sample(SLEEP, sleep, backend=backend, chains=4, draws=1000, tune=1000,
                              seed=1, progress=False)
    return out


def _draws(idata, name):
    return np.asarray(idata.posterior[name].values).ravel()


@pytest.mark.slow
def test_matches_brms(fits, brms_sleep):
    """Every parameter's posterior mean within 0.1 brms posterior sd, its sd within 10 %,
    p_loo within 2 of brms's (4 chains × 3,000 draws)."""
    import arviz as az

    fit = fits["numpyro"]
    ref = brms_sleep["posterior"]
    assert set(ref) == set(SCALARS)
    assert_posterior_agrees("sleep_corr", lambda name: _draws(fit, name), ref, mean_sd=0.1,
                            sd_rel=0.1)
    assert_loo_agrees("sleep_corr", loo(fit), brms_sleep["loo"], p_loo=2.0, elpd_loo=None)
    assert float(az.rhat(fit).to_array().max()) < 1.01
    assert int(fit.sample_stats["diverging"].sum()) == 0


@pytest.mark.slow
def test_backends_agree(fits, sleep):
    """Same names, dims and coords from every backend, and posterior means within 4 Monte
    Carlo standard errors of each other."""
    import arviz as az

    a = fits["numpyro"]
    assert set(a.posterior.data_vars) == {*SCALARS, "Intercept", "r_Subject"}
    assert a.posterior["r_Subject"].dims == ("chain", "draw", "Subject", "Subject__coef")
    assert list(a.posterior["Subject"].values) == list(sleep["Subject"].cat.categories)
    assert list(a.posterior["Subject__coef"].values) == ["Intercept", "Days"]
    for backend in ("pymc", "nutpie"):
        b = fits[backend]
        assert set(b.posterior.data_vars) == set(a.posterior.data_vars), backend
        for name in a.posterior.data_vars:
            assert b.posterior[name].dims == a.posterior[name].dims, (backend, name)
        for dim in ("Subject", "Subject__coef"):
            assert list(b.posterior[dim].values) == list(a.posterior[dim].values)
        for name in SCALARS:
            se = np.hypot(float(az.mcse(a, var_names=[name])[name]),
                          float(az.mcse(b, var_names=[name])[name]))
            diff = _draws(a, name).mean() - _draws(b, name).mean()
            assert abs(diff) < 4 * se, (backend, name, diff, se)
        ra = a.posterior["r_Subject"].mean(("chain", "draw")).values
        rb = b.posterior["r_Subject"].mean(("chain", "draw")).values
        se = np.hypot(az.mcse(a, var_names=["r_Subject"])["r_Subject"].values,
                      az.mcse(b, var_names=["r_Subject"])["r_Subject"].values)
        assert np.mean(np.abs(ra - rb) < 4 * se) > 0.97, backend


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["numpyro", "pymc", "nutpie"])
def test_same_seed_same_draws(sleep, backend):
    kw = dict(backend=backend, chains=2, draws=60, tune=60, progress=False)
    a = sample(SLEEP, sleep, seed=11, **kw)
    b = sample(SLEEP, sleep, seed=11, **kw)
    for name in a.posterior.data_vars:
        np.testing.assert_array_equal(a.posterior[name].values, b.posterior[name].values)
    c = sample(SLEEP, sleep, seed=12, **kw)
    assert not np.array_equal(a.posterior["cor_Subject__Intercept__Days"].values,
                              c.posterior["cor_Subject__Intercept__Days"].values)


@pytest.mark.slow
def test_predict_new_subjects_and_saved_fit(fits, sleep, tmp_path):
    """A subject of the fit gets its own line, a new one (``allow_new_levels``) the population
    line; a fit saved to netCDF and loaded predicts the same."""
    fit = fits["numpyro"]
    post = fit.posterior
    new = pd.DataFrame({"Days": [0.0, 9.0, 0.0, 9.0], "Subject": ["308", "308", "new", "new"]})
    with pytest.raises(ValueError, match="new"):
        predict(fit, new)
    mu = predict(fit, new, allow_new_levels=True)
    b0 = post["b_Intercept"].values.ravel()
    b1 = post["b_Days"].values.ravel()
    r = post["r_Subject"].sel(Subject="308").values.reshape(-1, 2)
    np.testing.assert_allclose(mu[:, 0], b0 + r[:, 0])
    np.testing.assert_allclose(mu[:, 1], b0 + r[:, 0] + 9 * (b1 + r[:, 1]))
    np.testing.assert_allclose(mu[:, 2], b0)
    np.testing.assert_allclose(mu[:, 3], b0 + 9 * b1)
    # the fitted rows: posterior mean of the expected reaction close to brms's
    ref = np.asarray(json.loads((FIXTURES / "brms_wave2.json").read_text())
                     ["sleep_corr"]["epred_mean"])
    assert np.abs(predict(fit).mean(axis=0) - ref).max() < 1.0
    path = bz.save(fit, tmp_path / "sleep.nc")
    back = bz.load(path)
    np.testing.assert_allclose(predict(back, new, allow_new_levels=True), mu)
    np.testing.assert_allclose(predict(back), predict(fit))
    pp = predict(back, new, kind="pp", seed=4, allow_new_levels=True)
    np.testing.assert_array_equal(pp, predict(fit, new, kind="pp", seed=4,
                                              allow_new_levels=True))


@pytest.mark.slow
def test_a_non_gaussian_family_samples(sleep):
    """A correlated term in a Poisson model runs end to end (NumPyro): counts of sleepstudy's
    reaction times in units of 10 ms, whose log grows about 0.035 a day."""
    df = sleep.assign(count=(sleep["Reaction"] / 10).round().astype(int))
    fit = sample("count ~ Days + (Days | Subject)", df, family="poisson", chains=2, draws=300,
                 tune=500, seed=3, progress=False)
    assert "cor_Subject__Intercept__Days" in fit.posterior
    assert fit.log_likelihood["count"].shape == (2, 300, 180)
    assert abs(float(fit.posterior["b_Days"].mean()) - 0.035) < 0.01
