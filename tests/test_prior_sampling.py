"""sample_prior="only" / "yes", the Savage–Dickey ratio of hypothesis, and Fit.prior_summary."""

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED
from scipy import stats

import bayeszoo as bz
from bayeszoo.inference.density_ratio import savage_dickey
from bayeszoo.inference.prior_draws import prior_draws
from bayeszoo.models.spec import model_spec

RADON = SHARED / "data" / "radon.csv"


@pytest.fixture(scope="module")
def prior_fit():
    radon = pd.read_csv(RADON)
    return bz.sample("log_radon ~ floor + (1 | county)", radon, sample_prior="only", chains=2,
                     draws=2000, seed=3, priors={"b": "normal(0, 2)"}, progress=False)


def test_prior_only_draws_match_the_priors(prior_fit):
    p = prior_fit.posterior
    n = p.sizes["chain"] * p.sizes["draw"]
    b = np.asarray(p["b_floor"]).ravel()
    assert abs(b.mean()) < 4 * 2 / np.sqrt(n)
    assert abs(b.std(ddof=1) - 2) < 4 * 2 / np.sqrt(2 * n)
    # sd_county__Intercept ~ half student_t(3, 0, 2.5): median 2.5 · t3's 75 % quantile
    sd = np.asarray(p["sd_county__Intercept"]).ravel()
    median = 2.5 * stats.t(3).ppf(0.75)
    density = 2 * stats.t(3, scale=2.5).pdf(median)
    assert abs(np.median(sd) - median) < 4 / (2 * density * np.sqrt(n))
    # the prior predictive: one response draw per prior draw
    assert prior_fit.posterior_predictive["log_radon"].shape == (2, 2000, 919)
    assert prior_fit.attrs["sample_prior"] == "only"
    assert "log_likelihood" not in prior_fit.groups()


def test_prior_only_refuses_flat_priors():
    radon = pd.read_csv(RADON)
    with pytest.raises(ValueError, match=r"flat \(improper\) priors: b_floor\. Give them proper "
                                         r"priors, e\.g\. priors=\{'b': 'normal\(0, 5\)'\}"):
        bz.sample("log_radon ~ floor + (1 | county)", radon, sample_prior="only", chains=1,
                  draws=100, progress=False)


def test_sample_prior_must_be_known():
    radon = pd.read_csv(RADON)
    with pytest.raises(ValueError, match="sample_prior must be 'no', 'yes' or 'only'"):
        bz.sample("log_radon ~ floor", radon, sample_prior=True, progress=False)


def test_savage_dickey_against_the_normal_densities():
    rng = np.random.default_rng(1)
    post = rng.normal(1.0, 0.5, 40_000)
    prior = rng.normal(0.0, 2.0, 40_000)
    exact = stats.norm(1.0, 0.5).pdf(0) / stats.norm(0.0, 2.0).pdf(0)
    assert savage_dickey(post, prior) == pytest.approx(exact, rel=0.05)


def test_savage_dickey_equals_brms_density_ratio():
    # brms 2.18: density_ratio(a, b, 0) on these draws (written out with numpy.savetxt)
    rng = np.random.default_rng(5)
    a = rng.normal(0.4, 0.3, 3000)
    b = rng.standard_t(3, 3000) * 2
    assert savage_dickey(a, b) == pytest.approx(2.819641546, rel=2e-4)


def nrd0_kde(x: np.ndarray, point: float) -> float:
    """scipy's gaussian_kde with R's bw.nrd0 bandwidth, written out independently."""
    iqr = np.subtract(*np.percentile(x, [75, 25]))
    bw = 0.9 * min(np.std(x, ddof=1), iqr / 1.34) * len(x) ** -0.2
    return float(stats.gaussian_kde(x, bw_method=bw / np.std(x, ddof=1))(point)[0])


@pytest.fixture(scope="module")
def yes_fit():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(size=40), "z": rng.normal(size=40)})
    df["y"] = 1 + 0.3 * df["x"] + rng.normal(size=40)
    return bz.sample("y ~ x + z", df, sample_prior="yes", chains=2, draws=500, tune=500,
                     seed=1, priors={"b": "normal(0, 1)"}, progress=False)


def test_sample_prior_yes_keeps_prior_draws(yes_fit):
    prior = yes_fit.prior
    assert prior["b_x"].shape == (2, 500)
    assert {"b_x", "b_z", "Intercept", "sigma"} <= set(prior.data_vars)
    assert abs(float(prior["b_x"].std()) - 1) < 0.1
    assert yes_fit.posterior["b_x"].shape == (2, 500)


def test_two_sided_hypothesis_savage_dickey(yes_fit):
    h = yes_fit.hypothesis(["x = 0", "x - z = 0", "x > 0"])
    post = np.asarray(yes_fit.posterior["b_x"]).ravel()
    prior = np.asarray(yes_fit.prior["b_x"]).ravel()
    er = nrd0_kde(post, 0.0) / nrd0_kde(prior, 0.0)
    assert h.loc[0, "Evid.Ratio"] == pytest.approx(er, rel=1e-9)
    assert h.loc[0, "Post.Prob"] == pytest.approx(er / (1 + er), rel=1e-9)
    diff = post - np.asarray(yes_fit.posterior["b_z"]).ravel()
    prior_diff = prior - np.asarray(yes_fit.prior["b_z"]).ravel()
    er2 = nrd0_kde(diff, 0.0) / nrd0_kde(prior_diff, 0.0)
    assert h.loc[1, "Evid.Ratio"] == pytest.approx(er2, rel=1e-9)
    inside = np.sum(post > 0)
    assert h.loc[2, "Evid.Ratio"] == pytest.approx(inside / (post.size - inside))


def test_two_sided_hypothesis_without_prior_draws_is_nan(prior_fit, yes_fit):
    assert np.isnan(prior_fit.hypothesis("floor = 0").loc[0, "Evid.Ratio"])
    assert np.isfinite(yes_fit.hypothesis("sigma = 1", class_="").loc[0, "Evid.Ratio"])


def test_flat_priors_have_no_prior_draws():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=30), "z": rng.normal(size=30)})
    df["y"] = df["x"] + rng.normal(size=30)
    design = bz.design("y ~ x + z", df)
    spec = model_spec(design, {"b_x": "normal(0, 1)"})
    draws = prior_draws(spec, design, chains=1, draws=200, seed=0)
    assert {"b_x", "Intercept", "sigma"} <= set(draws)
    assert "b_z" not in draws and "b_Intercept" not in draws


def test_prior_summary_of_a_fit(yes_fit):
    got = yes_fit.prior_summary()
    rows = {(r["class"], r["coef"]): (r["prior"], r["source"]) for r in got.to_dict("records")}
    assert list(got.columns) == ["prior", "class", "coef", "group", "resp", "dpar", "nlpar",
                                 "lb", "ub", "source"]
    assert rows[("b", "")] == ("normal(0, 1)", "user")
    assert rows[("b", "x")] == ("", "default")
    assert rows[("sigma", "")][1] == "default"
    assert list(got["class"]) == ["b", "b", "b", "Intercept", "sigma"]


def test_prior_only_correlation_is_lkj1():
    sleep = pd.read_csv(SHARED / "data" / "sleepstudy.csv")
    fit = bz.sample("Reaction ~ Days + (Days | Subject)", sleep, sample_prior="only", chains=1,
                    draws=4000, seed=5, priors={"b": "normal(0, 10)"}, progress=False)
    # lkj_corr_cholesky(1) on a 2 x 2 correlation: the correlation is uniform on (-1, 1)
    cor = np.asarray(fit.posterior["cor_Subject__Intercept__Days"]).ravel()
    assert stats.kstest(cor, stats.uniform(-1, 2).cdf).pvalue > 0.001
    assert fit.attrs["tune"] == 0
