"""brms's posterior_predict / posterior_epred / posterior_linpred on a Fit: re_formula, new
levels drawn as sample_new_levels says, ndraws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_fit_object import SLEEP, flat, made_up_fit

import bayeszoo as bz


@pytest.fixture(scope="module")
def sleep_fit():
    return made_up_fit(SLEEP, bz.datasets.load_sleepstudy(), draws=1000)


@pytest.fixture(scope="module")
def radon_fit(small_fit):
    return small_fit("radon_intercept")


def new_counties(n: int) -> pd.DataFrame:
    return pd.DataFrame({"county": [f"NEW{i}" for i in range(n)]})


def test_fitted_rows_and_shapes(sleep_fit):
    n = len(sleep_fit.observed_data["Reaction"])
    epred = sleep_fit.posterior_epred()
    assert epred.shape == (2000, n)
    np.testing.assert_array_equal(epred, sleep_fit.predict(kind="epred"))
    np.testing.assert_array_equal(sleep_fit.posterior_linpred(), epred)  # identity link
    pp = sleep_fit.posterior_predict(seed=3)
    assert pp.shape == (2000, n)
    resid = (pp - epred) / flat(sleep_fit, "sigma")[:, None]
    assert abs(resid.std() - 1) < 0.01


def test_re_formula_none_is_the_population_level_predictor_by_hand(sleep_fit):
    nd = pd.DataFrame({"Days": [0.0, 3.0, 9.0], "Subject": ["308", "NEWBIE", "372"]})
    got = sleep_fit.posterior_epred(nd, re_formula=None)
    by_hand = flat(sleep_fit, "b_Intercept")[:, None] \
        + flat(sleep_fit, "b_Days")[:, None] * nd["Days"].to_numpy()
    np.testing.assert_allclose(got, by_hand, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sleep_fit.posterior_linpred(re_formula=None)[:, :10],
                               by_hand[:, :1] + flat(sleep_fit, "b_Days")[:, None]
                               * np.arange(10), atol=1e-12)


def test_re_formula_naming_the_grouping_factor_keeps_its_effects(sleep_fit):
    nd = pd.DataFrame({"Days": [0.0, 3.0], "Subject": ["308", "372"]})
    kept = sleep_fit.posterior_epred(nd, re_formula="~ (1 + Days | Subject)")
    np.testing.assert_array_equal(kept, sleep_fit.posterior_epred(nd))
    r = flat(sleep_fit, "r_Subject")[:, 0, :]  # level 308
    np.testing.assert_allclose(sleep_fit.posterior_epred(nd.iloc[:1])[:, 0]
                               - sleep_fit.posterior_epred(nd.iloc[:1], re_formula=None)[:, 0],
                               r[:, 0], atol=1e-12)


def test_re_formula_errors(sleep_fit):
    with pytest.raises(ValueError, match=r"re_formula '~ \(1 \| county\)' names grouping "
                                         r"factor\(s\) \['county'\] the fit does not have; its "
                                         r"grouping factors are \['Subject'\]"):
        sleep_fit.posterior_epred(re_formula="~ (1 | county)")
    with pytest.raises(TypeError, match="re_formula must be None"):
        sleep_fit.posterior_epred(re_formula=float("nan"))


def test_new_levels_without_allow_new_levels_are_refused(sleep_fit):
    nd = pd.DataFrame({"Days": [1.0], "Subject": ["NEWBIE"]})
    with pytest.raises(Exception, match="new level 'NEWBIE' of grouping factor 'Subject'"):
        sleep_fit.posterior_epred(nd)


def test_uncertainty_takes_an_existing_level_per_draw(radon_fit):
    nd = new_counties(3)
    got = radon_fit.posterior_linpred(nd, allow_new_levels=True, seed=5)
    effect = got - flat(radon_fit, "b_Intercept")[:, None]
    r = flat(radon_fit, "r_county")
    # each draw of a new level is that draw's effect of some existing county ...
    assert all(np.isclose(r[s], effect[s, j], rtol=0, atol=1e-12).any()
               for s in range(r.shape[0]) for j in range(3))
    # ... a different one from draw to draw, and different new levels differ
    assert len(np.unique(effect[:, 0])) > 0.9 * r.shape[0]
    assert not np.allclose(effect[:, 0], effect[:, 1])


def test_gaussian_new_levels_have_the_group_sd_spread(radon_fit):
    nd = new_counties(60)
    got = radon_fit.posterior_linpred(nd, allow_new_levels=True, sample_new_levels="gaussian",
                                      seed=6)
    effect = got - flat(radon_fit, "b_Intercept")[:, None]
    sd = flat(radon_fit, "sd_county__Intercept")
    assert abs(np.mean(effect**2) / np.mean(sd**2) - 1) < 0.03  # 24 000 draws: MC se 0.9 %
    assert abs(np.mean(effect)) < 0.01
    # standardized by each draw's sd, the effects are N(0, 1)
    assert abs(np.std(effect / sd[:, None]) - 1) < 0.02


def test_uncertainty_new_levels_spread_as_the_existing_levels(radon_fit):
    nd = new_counties(60)
    got = radon_fit.posterior_linpred(nd, allow_new_levels=True, seed=7)
    effect = got - flat(radon_fit, "b_Intercept")[:, None]
    r = flat(radon_fit, "r_county")
    assert abs(np.var(effect) / np.var(r) - 1) < 0.03


def test_old_levels_assigns_all_draws_of_one_existing_level(radon_fit):
    got = radon_fit.posterior_linpred(new_counties(2), allow_new_levels=True,
                                      sample_new_levels="old_levels", seed=8)
    effect = got - flat(radon_fit, "b_Intercept")[:, None]
    r = flat(radon_fit, "r_county")
    for j in range(2):
        assert sum(np.allclose(effect[:, j], r[:, lev], atol=1e-12)
                   for lev in range(r.shape[1])) >= 1


def test_correlated_gaussian_new_levels_follow_sd_and_correlation(sleep_fit):
    days = 5.0
    nd = pd.DataFrame({"Days": days, "Subject": [f"N{i}" for i in range(40)]})
    got = sleep_fit.posterior_epred(nd, allow_new_levels=True, sample_new_levels="gaussian",
                                    seed=9)
    effect = got - sleep_fit.posterior_epred(nd, re_formula=None)
    sd0, sd1 = flat(sleep_fit, "sd_Subject__Intercept"), flat(sleep_fit, "sd_Subject__Days")
    rho = flat(sleep_fit, "cor_Subject__Intercept__Days")
    expected = np.mean(sd0**2 + days**2 * sd1**2 + 2 * days * rho * sd0 * sd1)
    assert abs(np.mean(effect**2) / expected - 1) < 0.03  # 80 000 draws


def test_rows_of_one_new_level_share_its_draws_and_slopes_keep_their_covariate(sleep_fit):
    nd = pd.DataFrame({"Days": [0.0, 4.0, 8.0], "Subject": ["N1", "N1", "N1"]})
    got = sleep_fit.posterior_epred(nd, allow_new_levels=True, seed=10)
    effect = got - sleep_fit.posterior_epred(nd, re_formula=None)
    # intercept + Days * slope of one level: linear in Days
    np.testing.assert_allclose(effect[:, 2] - effect[:, 1], effect[:, 1] - effect[:, 0],
                               atol=1e-9)
    assert np.std(effect[:, 2] - effect[:, 0]) > 0.1


def test_ndraws_are_a_random_subset_of_the_draws(sleep_fit):
    nd = pd.DataFrame({"Days": [0.0, 3.0], "Subject": ["308", "309"]})
    full = sleep_fit.posterior_epred(nd)
    some = sleep_fit.posterior_epred(nd, ndraws=50, seed=11)
    assert some.shape == (50, 2)
    rows = [int(np.flatnonzero((full == row).all(axis=1))[0]) for row in some]
    assert len(set(rows)) == 50 and rows != list(range(50))
    with pytest.raises(ValueError, match="ndraws must be a whole number from 1 to the fit's "
                                         "2000 draws, got 0"):
        sleep_fit.posterior_epred(ndraws=0)


def test_transform_and_sample_new_levels_errors(sleep_fit):
    np.testing.assert_array_equal(sleep_fit.posterior_linpred(transform=True),
                                  sleep_fit.posterior_linpred())
    with pytest.raises(ValueError, match="sample_new_levels must be one of uncertainty, "
                                         "gaussian, old_levels"):
        sleep_fit.posterior_predict(sample_new_levels="zero")


def test_linpred_transform_applies_the_inverse_link():
    data = pd.DataFrame({"y": [0, 1, 3, 2, 5, 4, 1, 0], "x": np.linspace(0, 1, 8)})
    fit = made_up_fit("y ~ x", data, family="poisson", dataset=None)
    eta = fit.posterior_linpred()
    np.testing.assert_allclose(fit.posterior_linpred(transform=True), np.exp(eta))
    np.testing.assert_allclose(fit.posterior_epred(), np.exp(eta))


@pytest.fixture(scope="module")
def two_factor_fit():
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"y": rng.normal(size=60), "x": rng.normal(size=60),
                         "a": np.repeat(list("ABC"), 20), "b": np.tile(list("pqrst"), 12)})
    formula = bz.bf("y ~ x + (1 | a) + (1 + x | a:b)", sigma="~ (1 | b)")
    return made_up_fit(formula, data, draws=1000, dataset=None)


def test_re_formula_keeps_one_factor_and_ignores_new_levels_of_the_others(two_factor_fit):
    fit = two_factor_fit
    nd = pd.DataFrame({"x": [1.5], "a": ["B"], "b": ["a level never seen"]})
    got = fit.posterior_epred(nd, re_formula="~ (1 | a)")
    by_hand = flat(fit, "b_Intercept") + 1.5 * flat(fit, "b_x") + flat(fit, "r_a")[:, 1]
    np.testing.assert_allclose(got[:, 0], by_hand, atol=1e-12)
    with pytest.raises(Exception, match="new level 'a level never seen' of grouping factor "
                                        "'b'"):
        fit.posterior_epred(nd)


def test_new_levels_of_a_distributional_parameter(two_factor_fit):
    fit = two_factor_fit
    nd = pd.DataFrame({"x": 0.0, "a": "A", "b": [f"new{i}" for i in range(40)]})
    sigma = fit.posterior_epred(nd, dpar="sigma", allow_new_levels=True,
                                sample_new_levels="gaussian", seed=12)
    effect = np.log(sigma) - flat(fit, "b_sigma_Intercept")[:, None]
    sd = flat(fit, "sd_b__sigma_Intercept")
    assert abs(np.mean(effect**2) / np.mean(sd**2) - 1) < 0.03


def test_re_formula_none_keeps_smooths():
    mcycle = bz.datasets.load_mcycle()
    mcycle["g"] = np.arange(len(mcycle)) % 4
    fit = made_up_fit("accel ~ s(times, k=8) + (1 | g)", mcycle, draws=50, dataset=None)
    r = flat(fit, "r_g")[:, mcycle["g"].to_numpy()]
    np.testing.assert_allclose(fit.posterior_epred(re_formula=None), fit.posterior_epred() - r,
                               atol=1e-9)


def test_re_formula_names_nested_grouping_factors():
    from bayeszoo.inference.predictive import ALL, kept_groups

    fitted = ["state", "state:county", "year"]
    assert kept_groups("~ (1 | state/county)", fitted) == {"state", "state:county"}
    assert kept_groups("~ x + (1 | state:county)", fitted) == {"state:county"}
    assert kept_groups(None, fitted) == set()
    assert kept_groups(ALL, fitted) is None
