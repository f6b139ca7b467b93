"""bz.sample / bz.predict / bz.loo against brms, across backends, and their errors.

The reference fits (radon with each backend, mcycle) are marked ``slow``; they still run in CI.
Fits are shared through module-scoped fixtures.
"""

import json

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.formula import design as make_design
from bayeszoo.inference.compare import loo
from bayeszoo.inference.predict import predict
from bayeszoo.inference.sampling import sample

RADON = "log_radon ~ 1 + (1 | county)"
MCYCLE = "accel ~ s(times, bs='cr', k=20)"
MIXED = "log_radon ~ 1 + floor + s(log_uranium, bs='cr', k=5) + (1 | county)"
BACKENDS = ["numpyro", "pymc", "nutpie"]


def _scalar(idata, name):
    return np.asarray(idata.posterior[name].values).ravel()


@pytest.fixture(scope="module")
def radon_df():
    return bz.datasets.load_radon()


@pytest.fixture(scope="module", params=BACKENDS)
def radon_fit(request, radon_df):
    if request.param == "nutpie":
        pytest.importorskip("nutpie")
    return sample(RADON, radon_df, backend=request.param, chains=4, draws=1000, tune=1000,
                  seed=1, progress=False)


@pytest.fixture(scope="module")
def mcycle_fit():
    return sample(MCYCLE, bz.datasets.load_mcycle(), backend="numpyro", chains=4, draws=1000,
                  tune=1000, seed=1, progress=False)


# --------------------------------------------------------------------------- brms references


@pytest.mark.reference
@pytest.mark.slow
def test_radon_matches_brms(radon_fit, brms_ref):
    import arviz as az

    ref = brms_ref["radon_intercept"]["posterior"]
    for name in ("b_Intercept", "sd_county__Intercept", "sigma"):
        draws = _scalar(radon_fit, name)
        assert abs(draws.mean() - ref[name]["mean"]) < 0.02, name
        lo, hi = np.quantile(draws, [0.025, 0.975])
        assert abs(lo - ref[name]["q2.5"]) < 0.03, name
        assert abs(hi - ref[name]["q97.5"]) < 0.03, name
    assert float(az.rhat(radon_fit).to_array().max()) < 1.01
    assert int(radon_fit.sample_stats["diverging"].sum()) == 0
    res = loo(radon_fit)
    assert abs(res["p_loo"] - 44.5) < 2.5
    assert abs(res["elpd_loo"] - (-1083.6)) < 1.5
    assert res["loo_i"].shape == (919,)


@pytest.mark.slow
def test_radon_idata_layout(radon_fit, radon_df):
    """Every backend gives the same names, dims, coords and sample statistics."""
    post = radon_fit.posterior
    assert set(post.data_vars) == {"b_Intercept", "sd_county__Intercept", "sigma", "Intercept",
                                   "r_county"}
    assert post["r_county"].dims == ("chain", "draw", "county")
    assert list(post["county"].values) == list(radon_df["county"].cat.categories)
    assert post.sizes["chain"] == 4 and post.sizes["draw"] == 1000
    assert set(radon_fit.sample_stats.data_vars) == {
        "diverging", "energy", "tree_depth", "step_size", "n_steps", "lp", "acceptance_rate"}
    assert radon_fit.sample_stats["diverging"].dtype == bool
    assert list(radon_fit.log_likelihood.data_vars) == ["log_radon"]
    assert radon_fit.log_likelihood["log_radon"].shape == (4, 1000, 919)
    np.testing.assert_allclose(radon_fit.observed_data["log_radon"], radon_df["log_radon"])
    attrs = radon_fit.attrs
    for key in ("formula", "backend", "priors", "seed", "versions", "compile_seconds",
                "sampling_seconds"):
        assert key in attrs, key
    assert attrs["formula"] == RADON
    assert json.loads(attrs["priors"])["Intercept"] == "student_t(3, 1.3, 2.5)"
    # the pointwise log-likelihood is that of b_Intercept + r_county[county] and sigma
    county = radon_df["county"].cat.codes.to_numpy()
    for c, d in ((0, 0), (3, 999)):
        mu = float(post["b_Intercept"][c, d]) + post["r_county"].values[c, d][county]
        sigma = float(post["sigma"][c, d])
        expected = -0.5 * ((radon_df["log_radon"] - mu) / sigma) ** 2 - np.log(
            sigma * np.sqrt(2 * np.pi))
        np.testing.assert_allclose(radon_fit.log_likelihood["log_radon"].values[c, d],
                                   expected, rtol=1e-10)


@pytest.mark.slow
def test_mcycle_matches_brms(mcycle_fit, brms_ref):
    ref = brms_ref["mcycle_cr_k20"]
    assert abs(_scalar(mcycle_fit, "sds_stimes_1").mean() - 4.96) < 0.3
    assert abs(_scalar(mcycle_fit, "b_Intercept").mean() - (-25.44)) < 0.3
    assert abs(_scalar(mcycle_fit, "bs_stimes_1").mean() - 1.65) < 0.05
    assert abs(_scalar(mcycle_fit, "sigma").mean() - 22.79) < 0.3
    assert mcycle_fit.posterior["s_stimes_1"].dims == ("chain", "draw", "stimes_1_basis")
    curve = predict(mcycle_fit).mean(axis=0)
    assert np.abs(curve - np.asarray(ref["fitted_mean"])).max() < 1.5
    assert int(mcycle_fit.sample_stats["diverging"].sum()) == 0


# --------------------------------------------------------------------------- predict, save, load


@pytest.mark.slow
def test_predict_county_means_and_netcdf_roundtrip(mcycle_fit, brms_ref, tmp_path):
    import arviz as az

    fit = mcycle_fit
    grid = pd.DataFrame({"times": np.linspace(3, 57, 25)})
    mu = predict(fit, grid)
    assert mu.shape == (4000, 25)
    path = tmp_path / "fit.nc"
    fit.to_netcdf(str(path))
    back = az.from_netcdf(str(path))
    np.testing.assert_allclose(predict(back), predict(fit))
    np.testing.assert_allclose(predict(back, grid), mu)
    pp = predict(back, grid, kind="pp", seed=3)
    np.testing.assert_array_equal(pp, predict(back, grid, kind="pp", seed=3))
    assert 0.8 < (pp - mu).std() / float(back.posterior["sigma"].mean()) < 1.2


@pytest.mark.slow
def test_predict_radon_county_means(radon_fit, radon_df, brms_ref):
    if radon_fit.attrs["backend"] != "numpyro":
        pytest.skip("one backend is enough")
    ref = brms_ref["radon_intercept"]
    newdata = pd.DataFrame({"county": pd.Categorical(ref["county_levels"],
                                                     categories=radon_df["county"].cat.categories)})
    means = predict(radon_fit, newdata).mean(axis=0)
    assert np.abs(means - np.asarray(ref["county_means"])).max() < 0.03
    assert predict(radon_fit, kind="linpred").shape == (4000, 919)
    with pytest.raises(ValueError):
        predict(radon_fit, newdata, kind="response")


# --------------------------------------------------------------------------- cross-backend


@pytest.fixture(scope="module")
def mixed_fits(radon_df):
    kw = dict(chains=4, draws=500, tune=500, seed=2, progress=False)
    return {b: sample(MIXED, radon_df, backend=b, **kw) for b in ("numpyro", "pymc")}


@pytest.mark.slow
def test_numpyro_and_pymc_agree(mixed_fits):
    import arviz as az

    a, b = mixed_fits["numpyro"], mixed_fits["pymc"]
    assert set(a.posterior.data_vars) == set(b.posterior.data_vars)
    for name in a.posterior.data_vars:
        assert a.posterior[name].dims == b.posterior[name].dims, name
        for dim in a.posterior[name].dims[2:]:
            assert list(a.posterior[dim].values) == list(b.posterior[dim].values)
    names = ["b_Intercept", "b_floor", "bs_slog_uranium_1", "sds_slog_uranium_1",
             "sd_county__Intercept", "sigma"]
    for name in names:
        ma, mb = _scalar(a, name).mean(), _scalar(b, name).mean()
        se = np.hypot(float(az.mcse(a, var_names=[name])[name]),
                      float(az.mcse(b, var_names=[name])[name]))
        assert abs(ma - mb) < 4 * se, (name, ma, mb, se)
    np.testing.assert_allclose(a.constant_data["design__X"], b.constant_data["design__X"])


# --------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_seed_same_draws(radon_df, backend):
    if backend == "nutpie":
        pytest.importorskip("nutpie")
    kw = dict(backend=backend, chains=2, draws=100, tune=100, progress=False)
    a = sample(RADON, radon_df, seed=7, **kw)
    b = sample(RADON, radon_df, seed=7, **kw)
    c = sample(RADON, radon_df, seed=8, **kw)
    for name in a.posterior.data_vars:
        np.testing.assert_array_equal(a.posterior[name].values, b.posterior[name].values)
    assert not np.array_equal(a.posterior["sigma"].values, c.posterior["sigma"].values)
    assert a.attrs["seed"] == 7


# --------------------------------------------------------------------------- errors


@pytest.fixture
def no_compile(monkeypatch):
    """Fail if any backend would be built."""
    import bayeszoo.models.numpyro as bn
    import bayeszoo.models.pymc as bp

    def boom(*a, **k):
        raise AssertionError("a model was built before the input was validated")

    monkeypatch.setattr(bn, "build_numpyro", boom)
    monkeypatch.setattr(bp, "build_pymc", boom)


@pytest.mark.parametrize("kwargs, match", [
    ({"backend": "stan"}, "unknown backend"),
    ({"chains": 0}, "chains"),
    ({"draws": 0}, "draws"),
    ({"tune": -1}, "tune"),
    ({"target_accept": 1.5}, "target_accept"),
    ({"priors": {"sd_state": "normal(0, 1)"}}, "unknown prior name"),
    ({"priors": {"sigma": "normal(0, 1, 3)"}}, "parameter"),
    ({"priors": {"sigma": "weibull(2, 1)"}}, "unknown prior family"),
    ({"parameterization": "funnel"}, "parameterization"),
    ({"dense_mass": "yes"}, "dense_mass"),
])
def test_bad_input(radon_df, no_compile, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sample(RADON, radon_df, **kwargs)


def test_nan_in_data(radon_df, no_compile):
    df = radon_df.copy()
    df.loc[3, "log_radon"] = np.nan
    with pytest.raises(ValueError, match="log_radon"):
        sample(RADON, df)
    d = make_design(RADON, radon_df)
    bad = type(d)(**{**d.__dict__, "y": np.where(np.arange(d.n) == 5, np.nan, d.y)})
    with pytest.raises(ValueError, match="log_radon"):
        sample(bad)
    df = radon_df.astype({"floor": float})
    df.loc[5, "floor"] = np.nan
    with pytest.raises(ValueError, match="floor"):
        sample("log_radon ~ floor + (1 | county)", df)


def test_loo_needs_log_likelihood():
    import arviz as az

    with pytest.raises(ValueError, match="log_likelihood"):
        loo(az.from_dict(posterior={"a": np.zeros((1, 5))}))


# ------------------------------------------------------------------ centered vs non-centered


@pytest.mark.slow
def test_centered_radon_reports_divergences_and_mixes_worse(radon_df):
    """The centered radon model is the funnel-prone one: it reports its divergences in
    sample_stats and, on the same seeds, has no fewer of them than the non-centered model and a
    smaller effective sample size for the county SD. (With brms's priors and all 919 homes the
    county SD stays well away from zero, so NumPyro's NUTS rarely diverges in either form; the
    funnel shows as slower mixing of ``sd_county__Intercept``.)"""
    import arviz as az

    kw = dict(backend="numpyro", chains=4, draws=500, tune=500, seed=0, progress=False)
    cen = sample(RADON, radon_df, parameterization="centered", **kw)
    non = sample(RADON, radon_df, **kw)
    assert cen.attrs["parameterization"] == "centered"
    assert cen.sample_stats["diverging"].dtype == bool
    assert int(non.sample_stats["diverging"].sum()) <= int(cen.sample_stats["diverging"].sum())
    ess = {k: float(az.ess(v, var_names=["sd_county__Intercept"])["sd_county__Intercept"])
           for k, v in (("centered", cen), ("noncentered", non))}
    assert ess["centered"] < ess["noncentered"], ess
    # both describe the same posterior
    for name in ("b_Intercept", "sd_county__Intercept", "sigma"):
        assert abs(_scalar(cen, name).mean() - _scalar(non, name).mean()) < 0.02, name


def test_centered_random_intercept_is_centered_on_the_intercept():
    """Ten groups of 2,000 rows: each group's level is fixed by its data. Centered, the levels
    are sampled around the Intercept (``u_g ~ Normal(Intercept, sd)``, r_g = u_g - Intercept),
    so the Intercept is their mean and no ridge joins it to the group effects: far fewer
    leapfrog steps than non-centered and a better-mixed ``b_Intercept``; both give the same
    posterior, and ``r_g`` is reported as brms names it."""
    import arviz as az

    from bayeszoo.models.spec import model_spec

    rng = np.random.default_rng(0)
    n, groups = 20000, 10
    g = rng.integers(0, groups, n)
    df = pd.DataFrame({"g": pd.Categorical([f"g{i}" for i in g]), "x": rng.normal(size=n)})
    df["y"] = 1 + 0.5 * df["x"] + rng.normal(0, 0.5, groups)[g] + rng.normal(size=n)
    formula = "y ~ 1 + x + (1 | g)"
    spec = model_spec(make_design(formula, df), parameterization="centered")
    assert [b.centered_on for b in spec.mu.blocks] == ["Intercept"]
    kw = dict(chains=2, draws=500, tune=500, seed=1, progress=False)
    cen = sample(formula, df, parameterization="centered", **kw)
    non = sample(formula, df, **kw)
    steps = {k: float(v.sample_stats["n_steps"].mean()) for k, v in (("cen", cen), ("non", non))}
    assert steps["cen"] < 0.3 * steps["non"], steps
    ess = float(az.ess(cen, var_names=["b_Intercept"])["b_Intercept"])
    assert ess > 400, ess
    for name in ("b_Intercept", "b_x", "sd_g__Intercept", "sigma"):
        a, b = _scalar(cen, name), _scalar(non, name)
        assert abs(a.mean() - b.mean()) < 0.25 * b.std(), name
    r_cen = cen.posterior["r_g"].mean(("chain", "draw")).values
    r_non = non.posterior["r_g"].mean(("chain", "draw")).values
    np.testing.assert_allclose(r_cen, r_non, atol=0.05)


# --------------------------------------------------------------------------- dense mass matrix


@pytest.mark.slow
def test_dense_mass_follows_the_intercept_ridge():
    """Ten groups of 2,000 rows: the data fix Intercept + r_g tightly and leave their split to
    the prior, a ridge a diagonal mass matrix follows with long trajectories; the dense one
    adapts to it and needs far fewer leapfrog steps for the same posterior. A dense matrix needs
    NumPyro's full warm-up schedule: with 300 warm-up draws its last window is too short to
    estimate the covariance (49.8 steps against 58.8), with 1000 it takes 27.7 against 78.9."""
    rng = np.random.default_rng(0)
    n, groups = 20000, 10
    g = rng.integers(0, groups, n)
    df = pd.DataFrame({"g": pd.Categorical([f"g{i}" for i in g]), "x": rng.normal(size=n)})
    df["y"] = 1 + 0.5 * df["x"] + rng.normal(0, 0.5, groups)[g] + rng.normal(size=n)
    kw = dict(chains=2, draws=300, tune=1000, seed=1, progress=False)
    diag = sample("y ~ 1 + x + (1 | g)", df, **kw)
    dense = sample("y ~ 1 + x + (1 | g)", df, dense_mass=True, **kw)
    assert (diag.attrs["dense_mass"], dense.attrs["dense_mass"]) == (0, 1)
    assert (diag.attrs["mass_matrix"], dense.attrs["mass_matrix"]) == ("diagonal", "dense")
    steps = {k: float(v.sample_stats["n_steps"].mean()) for k, v in (("diag", diag),
                                                                   ("dense", dense))}
    assert steps["dense"] < 0.7 * steps["diag"], steps
    for name in ("b_Intercept", "b_x", "sigma"):
        assert abs(_scalar(dense, name).mean() - _scalar(diag, name).mean()) < 0.1, name


@pytest.mark.parametrize("backend", ["pymc", "nutpie"])
def test_dense_mass_reaches_pymc_and_nutpie(radon_df, backend):
    if backend == "nutpie":
        pytest.importorskip("nutpie")
    idata = sample(RADON, radon_df, backend=backend, chains=2, draws=100, tune=200, seed=3,
                   dense_mass=True, progress=False)
    assert idata.attrs["dense_mass"] == 1
    # the kind of mass matrix the backend reports having adapted, not the flag we passed
    assert idata.attrs["mass_matrix"] == {"pymc": "dense", "nutpie": "low_rank"}[backend]
    assert abs(_scalar(idata, "sigma").mean() - 0.767) < 0.03
