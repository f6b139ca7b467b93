"""The Fit object: an InferenceData with brms's summary, fixef, ranef, coef, VarCorr,
hypothesis and bayes_R2.

Most tests use fits whose draws are made up (each site of the model spec drawn at random, then
named by ``brms_posterior`` and assembled as ``bz.sample`` assembles its draws), so that they
check the layout and the arithmetic against independent computations without sampling; one
test samples a small zoo model to check that ``bz.fit`` returns a Fit.
"""

import pickle
import re

import arviz as az
import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.formula import design as make_design
from bayeszoo.inference.fit import Fit
from bayeszoo.inference.idata import assemble
from bayeszoo.inference.posterior import brms_posterior
from bayeszoo.models.spec import model_spec
from bayeszoo.models.zoo import get as zoo_entry

SLEEP = "Reaction ~ Days + (Days | Subject)"


def made_up_fit(formula, data, family=None, chains=2, draws=150, seed=0, divergent=0,
                shift=0.0, dataset="sleepstudy"):
    """A Fit of ``formula`` whose site draws are random (``shift`` moves chain 0's real sites,
    to spoil R-hat; ``divergent`` marks that many draws divergent)."""
    rng = np.random.default_rng(seed)
    design = make_design(formula, data, family=family)
    spec = model_spec(design)
    sites = {}
    for site in spec.sites:
        shape = (chains, draws, *site.shape)
        if site.support == "correlation":
            k = site.shape[0]
            a = rng.normal(size=(chains, draws, k, k + 2))
            cov = a @ np.swapaxes(a, -1, -2)
            d = np.sqrt(np.einsum("...ii->...i", cov))
            sites[site.name] = np.linalg.cholesky(cov / d[..., :, None] / d[..., None, :])
        elif site.support == "real":
            x = rng.normal(0.5, 0.4, size=shape)
            x[0] += shift
            sites[site.name] = x
        else:
            sites[site.name] = 1.0 + np.exp(rng.normal(0.0, 0.3, size=shape))
    posterior = brms_posterior(spec, sites, design)
    diverging = np.zeros((chains, draws), dtype=bool)
    diverging.flat[:divergent] = True
    idata = assemble(design, spec, posterior, {"diverging": diverging})
    idata.attrs.update({"formula": str(formula), "response": design.response,
                        "family": spec.family.name, "link": spec.family.link_name,
                        "backend": "numpyro", "priors": spec.priors_json(), "chains": chains,
                        "draws": draws, "tune": 100, "target_accept": 0.8, "dataset": dataset})
    return Fit.of(idata, design)


@pytest.fixture(scope="module")
def sleep():
    return bz.datasets.load_sleepstudy()


@pytest.fixture(scope="module")
def sleep_fit(sleep):
    return made_up_fit(SLEEP, sleep)


def flat(fit, name):
    return np.asarray(fit.posterior[name].values, dtype=float).reshape(
        -1, *fit.posterior[name].shape[2:])


def brms_row(x):
    """Estimate, Est.Error, 2.5 % and 97.5 % quantiles of draws, computed here."""
    return [np.mean(x), np.std(x, ddof=1), *np.quantile(x, [0.025, 0.975])]


# --------------------------------------------------------------------------- an InferenceData


def test_fit_is_an_inference_data_for_arviz_and_bayeszoo(sleep_fit, tmp_path):
    fit = sleep_fit
    assert isinstance(fit, az.InferenceData) and type(fit.idata) is az.InferenceData
    assert fit.idata.groups() == fit.groups() and fit.idata.posterior is fit.posterior
    assert az.summary(fit, var_names=["b_Days"]).shape[0] == 1
    assert az.loo(fit).elpd_loo == pytest.approx(az.loo(fit.idata).elpd_loo)
    assert bz.loo(fit)["p_loo"] == pytest.approx(fit.loo()["p_loo"])
    sub = fit.isel(draw=slice(0, 50))
    assert isinstance(sub, Fit) and sub.posterior.sizes["draw"] == 50
    assert isinstance(fit.copy(), Fit) and str(fit.copy()) == str(fit)
    assert pickle.loads(pickle.dumps(fit)).fixef().equals(fit.fixef())
    path = bz.save(fit, tmp_path / "sleep.nc")
    loaded = bz.load(path)
    assert isinstance(loaded, Fit)
    pd.testing.assert_frame_equal(loaded.fixef(), fit.fixef())
    assert str(loaded) == str(fit)
    assert fit.family.name == "gaussian" and fit.design.n == 180
    assert fit.priors["L_Subject"] == "lkj(1)" and fit.priors["b_Days"] == "flat()"
    other = made_up_fit("Reaction ~ Days", fit.design.data, seed=3)
    table = bz.compare({"slopes": fit, "pooled": other}, reml=False)
    assert list(table.index) in (["slopes", "pooled"], ["pooled", "slopes"])
    assert az.compare({"slopes": fit, "pooled": other}).shape[0] == 2


def test_of_refuses_an_inference_data_not_made_by_sample():
    idata = az.from_dict(posterior={"a": np.zeros((1, 10))})
    with pytest.raises(ValueError, match=r"lacks attrs \['formula', 'design'\]"):
        Fit.of(idata)


def test_bz_fit_returns_a_fit(small_fit):
    fit = small_fit("radon_intercept")
    assert isinstance(fit, bz.Fit)
    text = str(fit)
    assert "~county (Number of levels: 85)" in text and "   Data: radon (Number of " \
        "observations: 919)" in text
    assert list(fit.fixef().index) == ["Intercept"]


# --------------------------------------------------------------------------- brms's summary


def test_summary_layout_and_values_as_brms(sleep_fit):
    fit = sleep_fit
    text = str(fit)
    lines = text.splitlines()
    assert lines[:7] == [
        " Family: gaussian",
        "  Links: mu = identity; sigma = identity",
        "Formula: Reaction ~ Days + (Days | Subject)",
        "   Data: sleepstudy (Number of observations: 180)",
        "  Draws: 2 chains, each with iter = 250; warmup = 100; thin = 1;",
        "         total post-warmup draws = 300",
        ""]
    sections = [ln for ln in lines if ln.endswith(":") and not ln.startswith(" ")]
    assert sections == ["Group-Level Effects:", "Population-Level Effects:",
                        "Family Specific Parameters:"]
    assert lines[8] == "~Subject (Number of levels: 18)"
    assert lines[9].split() == ["Estimate", "Est.Error", "l-95%", "CI", "u-95%", "CI", "Rhat",
                                "Bulk_ESS", "Tail_ESS"]
    assert [ln.split()[0] for ln in lines[10:13]] == ["sd(Intercept)", "sd(Days)",
                                                      "cor(Intercept,Days)"]
    assert lines[-3:] == [
        "Draws were sampled using numpyro(NUTS). For each parameter, Bulk_ESS",
        "and Tail_ESS are effective sample size measures, and Rhat is the potential",
        "scale reduction factor on split chains (at convergence, Rhat = 1)."]
    # the numbers: two decimals, ESS as integers, equal to the draws' own summaries
    s = fit.summary()
    for table, row, name in ((s.fixed, "Days", "b_Days"), (s.spec_pars, "sigma", "sigma"),
                             (s.random["Subject"], "cor(Intercept,Days)",
                              "cor_Subject__Intercept__Days")):
        np.testing.assert_allclose(table.loc[row].iloc[:4], brms_row(flat(fit, name)))
    row = next(ln for ln in lines if ln.startswith("Days "))
    est = s.fixed.loc["Days"]
    assert row.split()[1:] == [*(f"{v:.2f}" for v in est.iloc[:5]),
                               f"{est['Bulk_ESS']:.0f}", f"{est['Tail_ESS']:.0f}"]
    assert re.fullmatch(r"Intercept +-?\d+\.\d\d( +-?\d+\.\d\d){4}( +\d+){2}",
                        lines[lines.index("Population-Level Effects:") + 2])
    assert fit._repr_html_().startswith("<pre> Family: gaussian")


def test_summary_of_smooths_distributional_parameters_and_gps():
    data = bz.datasets.load_mcycle()
    fit = made_up_fit(bz.bf("accel ~ s(times, bs='cr', k=20)", sigma="~ s(times, bs='cr', k=10)"),
                      data, dataset="mcycle")
    s = fit.summary()
    lines = s.text().splitlines()
    assert lines[1] == "  Links: mu = identity; sigma = log"
    assert lines[2:4] == ["Formula: accel ~ s(times, bs='cr', k=20)",
                          "         sigma ~ s(times, bs='cr', k=10)"]
    assert list(s.splines.index) == ["sds(stimes_1)", "sds(sigma_stimes_1)"]
    # brms's order: intercepts first within the class b, then bs
    assert list(s.fixed.index) == ["Intercept", "sigma_Intercept", "stimes_1", "sigma_stimes_1"]
    assert len(s.spec_pars) == 0 and "Family Specific Parameters:" not in s.text()
    assert s.text().index("Smooth Terms:") < s.text().index("Population-Level Effects:")
    gp = made_up_fit("accel ~ gp(times, k=20, c=5/4)", data, dataset="mcycle").summary()
    assert list(gp.gp.index) == ["sdgp(gptimes)", "lscale(gptimes)"]
    assert gp.text().index("Gaussian Process Terms:") < gp.text().index("Population-Level")


def test_summary_prints_brms_warnings(sleep):
    fit = made_up_fit(SLEEP, sleep, divergent=3, shift=2.0)
    lines = str(fit).splitlines()
    assert lines[-3:] == [
        "Warning messages:",
        "1: Parts of the model have not converged (some Rhats are > 1.05). Be careful when "
        "analysing the results! We recommend running more iterations and/or setting stronger "
        "priors.",
        "2: There were 3 divergent transitions after warmup. Increasing target_accept above 0.8 "
        "may help. See http://mc-stan.org/misc/warnings.html#divergent-transitions-after-warmup"]
    one = str(made_up_fit(SLEEP, sleep, divergent=1)).splitlines()
    assert one[-2:] == ["Warning message:", "There were 1 divergent transitions after warmup. "
                        "Increasing target_accept above 0.8 may help. See "
                        "http://mc-stan.org/misc/warnings.html#divergent-transitions-after-warmup"]


# --------------------------------------------------------------------------- fixef, ranef, ...


def test_fixef_ranef_coef_varcorr_shaped_as_brms(sleep_fit):
    fit = sleep_fit
    fe = fit.fixef()
    assert list(fe.columns) == ["Estimate", "Est.Error", "Q2.5", "Q97.5"]
    assert list(fe.index) == ["Intercept", "Days"]
    np.testing.assert_allclose(fe.loc["Days"], brms_row(flat(fit, "b_Days")))
    re_ = fit.ranef()
    assert list(re_) == ["Subject"]
    sub = re_["Subject"]
    assert sub.shape == (18, 8) and sub.index[0] == "308"
    r = flat(fit, "r_Subject")  # draws × level × (Intercept, Days)
    np.testing.assert_allclose(sub["Days"].loc["309"], brms_row(r[:, 1, 1]))
    co = fit.coef()["Subject"]
    total = flat(fit, "b_Days") + r[:, 1, 1]
    np.testing.assert_allclose(co["Days"].loc["309"], brms_row(total))
    np.testing.assert_allclose(co["Intercept"].loc["308"],
                               brms_row(flat(fit, "b_Intercept") + r[:, 0, 0]))
    vc = fit.varcorr()
    assert list(vc) == ["Subject", "residual__"]
    np.testing.assert_allclose(vc["Subject"]["sd"].loc["Days"],
                               brms_row(flat(fit, "sd_Subject__Days")))
    cor = flat(fit, "cor_Subject__Intercept__Days")
    np.testing.assert_allclose(vc["Subject"]["cor"]["Days"].loc["Intercept"], brms_row(cor))
    np.testing.assert_allclose(vc["Subject"]["cor"]["Days"].loc["Days"], [1, 0, 1, 1])
    cov = cor * flat(fit, "sd_Subject__Intercept") * flat(fit, "sd_Subject__Days")
    np.testing.assert_allclose(vc["Subject"]["cov"]["Intercept"].loc["Days"], brms_row(cov))
    np.testing.assert_allclose(vc["residual__"]["sd"].loc["Reaction"],
                               brms_row(flat(fit, "sigma")))


def test_uncorrelated_terms_of_one_factor_join_and_have_no_correlation(sleep):
    fit = made_up_fit("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", sleep)
    columns = fit.ranef()["Subject"].columns
    assert list(columns.get_level_values(0).unique()) == ["Intercept", "Days"]
    np.testing.assert_allclose(fit.ranef()["Subject"]["Days"].loc["310"],
                               brms_row(flat(fit, "r_Subject__Days")[:, 2]))
    assert set(fit.varcorr()["Subject"]) == {"sd"}
    assert [ln.split()[0] for ln in str(fit).splitlines()[10:12]] == ["sd(Intercept)", "sd(Days)"]


def test_no_group_level_effects_named_in_the_error():
    fit = made_up_fit("accel ~ times", bz.datasets.load_mcycle(), dataset="mcycle")
    with pytest.raises(ValueError, match=r"no group-level effects .* use fixef\(\)"):
        fit.ranef()
    assert list(fit.varcorr()) == ["residual__"]


# --------------------------------------------------------------------------- hypothesis


def test_hypothesis_against_the_draws(sleep_fit):
    fit = sleep_fit
    days, icpt = flat(fit, "b_Days"), flat(fit, "b_Intercept")
    h = fit.hypothesis(["Days < 0.6", "b_Intercept - b_Days = 0", "exp(Days) > 2"])
    assert list(h.columns) == ["Hypothesis", "Estimate", "Est.Error", "CI.Lower", "CI.Upper",
                               "Evid.Ratio", "Post.Prob", "Star"]
    assert list(h["Hypothesis"]) == ["(Days)-(0.6) < 0", "(b_Intercept-b_Days) = 0",
                                     "(exp(Days))-(2) > 0"]
    x = days - 0.6
    below = np.mean(x < 0)
    np.testing.assert_allclose(h.iloc[0, 1:7].astype(float),
                               [x.mean(), x.std(ddof=1), *np.quantile(x, [0.05, 0.95]),
                                below / (1 - below), below])
    d = icpt - days
    np.testing.assert_allclose(h.iloc[1, 1:5].astype(float),
                               [d.mean(), d.std(ddof=1), *np.quantile(d, [0.025, 0.975])])
    assert np.isnan(h.loc[1, "Evid.Ratio"]) and np.isnan(h.loc[1, "Post.Prob"])
    above = np.mean(np.exp(days) > 2)
    assert h.loc[2, "Post.Prob"] == pytest.approx(above)
    assert h.loc[0, "Star"] == ("*" if below > 0.95 else "")
    r = flat(fit, "r_Subject")[:, 1, 1]
    one = fit.hypothesis("r_Subject[309,Days] > 0", alpha=0.1)
    assert one.loc[0, "CI.Lower"] == pytest.approx(np.quantile(r, 0.1))


@pytest.mark.parametrize("h, message", [
    ("Days", "must be of the form 'left (= or < or >) right'"),
    ("Dayz < 0", "no parameter 'b_Dayz' or 'Dayz'"),
    ("r_Subject[999,Days] > 0", "'999' is not a label of 'Subject' of 'r_Subject'"),
    ("__import__('os') > 0", "only numbers, parameters"),
])
def test_hypothesis_errors(sleep_fit, h, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        sleep_fit.hypothesis(h)


# --------------------------------------------------------------------------- bayes_R2


def test_bayes_r2_by_hand(sleep_fit, sleep):
    fit = sleep_fit
    subject = sleep["Subject"].cat.codes.to_numpy()
    days = sleep["Days"].to_numpy(dtype=float)
    r = flat(fit, "r_Subject")
    mu = (flat(fit, "b_Intercept")[:, None] + flat(fit, "b_Days")[:, None] * days
          + r[:, subject, 0] + r[:, subject, 1] * days)
    e = sleep["Reaction"].to_numpy()[None, :] - mu
    r2 = mu.var(axis=1, ddof=1) / (mu.var(axis=1, ddof=1) + e.var(axis=1, ddof=1))
    out = fit.bayes_R2()
    assert list(out.index) == ["R2"]
    np.testing.assert_allclose(out.loc["R2"], brms_row(r2), rtol=1e-10)


def test_bayes_r2_of_a_poisson_fit_uses_the_residuals_of_the_mean():
    data = zoo_entry("epilepsy_poisson").load_data()
    fit = made_up_fit("count ~ zAge + (1 | patient)", data, family="poisson", dataset="epilepsy")
    mu = np.exp(flat(fit, "b_Intercept")[:, None] + flat(fit, "b_zAge")[:, None]
                * data["zAge"].to_numpy()
                + flat(fit, "r_patient")[:, data["patient"].cat.codes.to_numpy()])
    e = data["count"].to_numpy()[None, :] - mu
    r2 = mu.var(axis=1, ddof=1) / (mu.var(axis=1, ddof=1) + e.var(axis=1, ddof=1))
    np.testing.assert_allclose(fit.bayes_R2().loc["R2"], brms_row(r2), rtol=1e-10)



def test_predict_is_bz_predict(sleep_fit):
    new = pd.DataFrame({"Days": [0.0, 4.5], "Subject": ["309", "372"]})
    np.testing.assert_array_equal(sleep_fit.predict(new, kind="linpred"),
                                  bz.predict(sleep_fit, newdata=new, kind="linpred"))
    levels = list(sleep_fit.ranef()["Subject"].index)
    r = flat(sleep_fit, "r_Subject")
    a, b = levels.index("309"), levels.index("372")
    icpt, days = flat(sleep_fit, "b_Intercept"), flat(sleep_fit, "b_Days")
    np.testing.assert_allclose(sleep_fit.predict(new),
                               np.stack([icpt + r[:, a, 0],
                                         icpt + r[:, b, 0] + 4.5 * (days + r[:, b, 1])], 1))


def test_a_fit_without_its_data_prints_its_groups_and_why(sleep_fit):
    plain = sleep_fit.idata
    plain.attrs["data_columns"] = "{}"
    text = str(Fit.of(plain))
    assert text.startswith("Inference data with groups:")
    assert text.endswith("(no brms summary: this fit stores no data frame; pass newdata)")
    assert "no brms summary" in Fit.of(plain)._repr_html_()
