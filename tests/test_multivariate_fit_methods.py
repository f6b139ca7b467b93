"""The multivariate fit as brms's ``mvbrmsfit``: saved and loaded exactly, and fixef, ranef,
coef, VarCorr, hypothesis, summary and pp_check per response, checked against the draws."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.inference.multivariate import MultivariateDraws, brms_multivariate_posterior
from bayeszoo.models.multivariate import multivariate_spec

FORMULA = "mvbind(tarsus, back) ~ sex + hatchdate + (1 | p | fosternest)"


def random_values(mspec, rng):
    """A point of every site: correlations from random correlation matrices."""
    out = {}
    for s in mspec.sites:
        if s.support == "correlation":
            k = s.shape[0]
            out[s.name] = np.linalg.cholesky(np.corrcoef(rng.normal(size=(k, k + 3))))
        elif s.support in ("positive", "greater_than_1"):
            out[s.name] = np.exp(rng.normal(size=s.shape) * 0.3) + (
                2.0 if s.support == "greater_than_1" else 0.0)
        else:
            out[s.name] = rng.normal(size=s.shape)
    return out


def fake_fit(mspec, attrs, chains=2, draws=10, seed=0):
    """A MultivariateFit of random site values (no sampler)."""
    rng = np.random.default_rng(seed)
    points = [[random_values(mspec, rng) for _ in range(draws)] for _ in range(chains)]
    site = {k: np.array([[p[k] for p in row] for row in points]) for k in points[0][0]}
    stats = {"diverging": np.zeros((chains, draws), bool)}
    return MultivariateDraws(mspec, site, brms_multivariate_posterior(mspec, site), stats,
                             {"formula": str(mspec.formula), "chains": chains, "draws": draws,
                              "tune": draws, **attrs}).inference_data()


@pytest.fixture(scope="module")
def btdata():
    return bz.datasets.load_btdata()


@pytest.fixture(scope="module")
def fit(btdata):
    priors = {"b": "normal(0, 5)"}
    m = multivariate_spec(bz.bf(FORMULA), btdata, priors=priors)
    return fake_fit(m, {"priors_given": json.dumps(priors)})


def flat(fit, name):
    return fit.posterior[name].values.reshape(-1, *fit.posterior[name].shape[2:])


@pytest.mark.parametrize("formula", [
    FORMULA,
    bz.mvbf(bz.bf("tarsus ~ sex + (1 | p | fosternest)", sigma="~ sex"),
            "back ~ hatchdate + (1 | p | fosternest) + (1 | dam)"),
])
def test_save_and_load_predict_and_loo_identically(btdata, tmp_path, formula):
    f = bz.bf(formula) if isinstance(formula, str) else formula
    given = {"sigma_back": "exponential(2)"} if isinstance(formula, str) else {}
    m = multivariate_spec(f, btdata, priors=given)
    original = fake_fit(m, {"priors_given": json.dumps(given)}, seed=3)
    path = bz.save(original, tmp_path / "mv.nc")
    back = bz.load(path)
    assert type(back).__name__ == "MultivariateFit"
    assert back.responses == original.responses and back.mspec.priors == m.priors
    assert back.mspec.rescor == m.rescor
    new = btdata.iloc[[0, 5, 40]]
    for kw in ({}, {"newdata": new}, {"newdata": new, "resp": "back"}):
        np.testing.assert_allclose(back.posterior_epred(**kw), original.posterior_epred(**kw),
                                   rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(back.posterior_predict(seed=1), original.posterior_predict(seed=1),
                               rtol=1e-12, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for resp in (None, "tarsus"):
            a, b = original.loo(resp=resp), back.loo(resp=resp)
            assert abs(a["elpd_loo"] - b["elpd_loo"]) < 1e-12
            np.testing.assert_allclose(a.loo_i.values, b.loo_i.values, rtol=1e-12, atol=1e-12)
    # a loaded fit saves again
    again = bz.load(bz.save(back, tmp_path / "again.nc"))
    np.testing.assert_allclose(again.posterior_epred(), original.posterior_epred(), atol=1e-12)


def summary4(x):
    """brms's four columns of draws ``x`` (one column), by hand."""
    return [x.mean(), x.std(ddof=1), np.quantile(x, 0.025), np.quantile(x, 0.975)]


def test_fixef_rows_are_brms_names_with_the_intercepts_first(fit):
    fe = fit.fixef()
    assert list(fe.index) == ["tarsus_Intercept", "back_Intercept", "tarsus_sexMale",
                              "tarsus_sexUNK", "tarsus_hatchdate", "back_sexMale",
                              "back_sexUNK", "back_hatchdate"]
    assert list(fe.columns) == ["Estimate", "Est.Error", "Q2.5", "Q97.5"]
    np.testing.assert_allclose(fe.loc["back_sexMale"], summary4(flat(fit, "b_back_sexMale")))


def test_ranef_and_coef_have_a_column_per_response_and_term(fit):
    re_ = fit.ranef()["fosternest"]
    assert list(re_.columns.get_level_values(0).unique()) == ["tarsus_Intercept",
                                                               "back_Intercept"]
    r = flat(fit, "r_fosternest__back")
    level = re_.index[7]
    np.testing.assert_allclose(re_.loc[level, "back_Intercept"], summary4(r[:, 7]))
    co = fit.coef()["fosternest"]
    assert list(co.columns.get_level_values(0).unique())[:3] == [
        "tarsus_Intercept", "back_Intercept", "tarsus_sexMale"]
    total = r[:, 7] + flat(fit, "b_back_Intercept")
    np.testing.assert_allclose(co.loc[level, "back_Intercept"], summary4(total))
    np.testing.assert_allclose(co.loc[level, "back_hatchdate"],
                               summary4(flat(fit, "b_back_hatchdate")))


def test_varcorr_correlates_across_responses_and_residuals(fit):
    vc = fit.varcorr()
    assert set(vc) == {"fosternest", "residual__"}
    sd = vc["fosternest"]["sd"]
    assert list(sd.index) == ["tarsus_Intercept", "back_Intercept"]
    np.testing.assert_allclose(sd.loc["back_Intercept"],
                               summary4(flat(fit, "sd_fosternest__back_Intercept")))
    cor = flat(fit, "cor_fosternest__tarsus_Intercept__back_Intercept")
    np.testing.assert_allclose(vc["fosternest"]["cor"].loc["back_Intercept", "tarsus_Intercept"],
                               summary4(cor))
    cov = cor * flat(fit, "sd_fosternest__tarsus_Intercept") * flat(
        fit, "sd_fosternest__back_Intercept")
    np.testing.assert_allclose(vc["fosternest"]["cov"].loc["tarsus_Intercept", "back_Intercept"],
                               summary4(cov))
    res = vc["residual__"]
    assert list(res["sd"].index) == ["tarsus", "back"]
    np.testing.assert_allclose(res["sd"].loc["tarsus"], summary4(flat(fit, "sigma_tarsus")))
    np.testing.assert_allclose(res["cor"].loc["tarsus", "back"],
                               summary4(flat(fit, "rescor__tarsus__back")))
    np.testing.assert_allclose(res["cor"].loc["back", ("back", "Estimate")], 1.0)


def test_hypothesis_over_brms_names(fit):
    h = fit.hypothesis(["tarsus_sexMale > 0", "tarsus_sexMale - back_sexMale = 0",
                        "rescor__tarsus__back < 0"])
    a = flat(fit, "b_tarsus_sexMale")
    d = a - flat(fit, "b_back_sexMale")
    np.testing.assert_allclose(h["Estimate"], [a.mean(), d.mean(),
                                               flat(fit, "rescor__tarsus__back").mean()])
    np.testing.assert_allclose(h.loc[0, "Post.Prob"], (a > 0).mean())
    np.testing.assert_allclose(h.loc[1, ["CI.Lower", "CI.Upper"]].astype(float),
                               np.quantile(d, [0.025, 0.975]))
    with pytest.raises(ValueError, match="no parameter"):
        fit.hypothesis("wing_sexMale > 0")


def test_summary_of_the_fit(fit):
    text = str(fit.summary("btdata"))
    for line in ("Population-Level Effects:", "Residual Correlations:", "Data: btdata",
                 "cor_fosternest__tarsus_Intercept__back_Intercept"):
        assert line in text
    table = fit.summary().sections["Family Specific Parameters"]
    np.testing.assert_allclose(table.loc["sigma_back", "Estimate"],
                               flat(fit, "sigma_back").mean())


def test_pp_check_of_one_response(fit):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bayeszoo.inference.multivariate_effects import replicates

    y, yrep = replicates(fit, "back", 5, seed=2)
    np.testing.assert_array_equal(y, fit.observed_data["back"].values)
    assert yrep.shape == (5, 828)
    fig = fit.pp_check(resp="tarsus", kind="stat", ndraws=8)
    assert fig is not None
    plt.close("all")
    with pytest.raises(ValueError, match="needs resp="):
        fit.pp_check()
    with pytest.raises(ValueError, match="not a response"):
        fit.pp_check(resp="wing")
    with pytest.raises(ValueError, match="pp_check kind"):
        fit.pp_check(resp="back", kind="violin")


def test_a_fit_without_group_terms_or_residual_sds(btdata):
    m = multivariate_spec(bz.mvbf("tarsus ~ sex", "back ~ hatchdate", rescor=False), btdata)
    f = fake_fit(m, {})
    with pytest.raises(ValueError, match="no group-level effects"):
        f.ranef()
    vc = f.varcorr()
    assert list(vc) == ["residual__"] and "cor" not in vc["residual__"]
    assert isinstance(f.fixef(), pd.DataFrame)


def test_conditional_effects_per_response_leave_group_effects_out(fit, btdata):
    ce = fit.conditional_effects("hatchdate", resp="back")
    frame = ce["hatchdate"]
    x = frame["hatchdate"].to_numpy()
    np.testing.assert_allclose(x[[0, -1]], [btdata["hatchdate"].min(),
                                            btdata["hatchdate"].max()])
    # sex at its first level, no group effects: Intercept + slope · hatchdate
    line = flat(fit, "b_back_Intercept")[:, None] + flat(fit, "b_back_hatchdate")[:, None] * x
    np.testing.assert_allclose(frame["estimate__"], np.median(line, axis=0), atol=1e-10)
    np.testing.assert_allclose(frame["upper__"], np.quantile(line, 0.975, axis=0), atol=1e-10)
    both = fit.conditional_effects()
    assert list(both) == ["tarsus", "back"] and set(both["tarsus"]) == {"sex", "hatchdate"}
    without = fit.posterior_epred(resp="tarsus", group_effects=False)
    r = flat(fit, "r_fosternest__tarsus")[:, fit.mspec.designs[0].blocks[0].index]
    np.testing.assert_allclose(without, fit.posterior_epred(resp="tarsus") - r, atol=1e-10)
