"""Exact refits: brms's reloo on the observations PSIS cannot handle, K-fold, and how the
comparison table and the report show them."""

import copy
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.inference.refit import fold_ids, with_exact
from bayeszoo.models.spec import model_spec


def test_a_model_without_intercept_keeps_its_fixed_coefficients():
    from bayeszoo.inference.posterior import brms_posterior

    df = pd.DataFrame({"g": ["a", "b", "c", "a"], "y": [1.0, 2.0, 3.0, 1.5]})
    d = bz.design("y ~ 0 + g", df)
    spec = model_spec(d, {"b": "normal(0, 1)"})
    draws = {s.name: np.arange(2 * 3 * max(1, int(np.prod(s.shape))), dtype=float)
             .reshape(2, 3, *s.shape) for s in spec.sites}
    post = brms_posterior(spec, draws, d)
    assert [k for k in post if k.startswith("b_")] == ["b_ga", "b_gb", "b_gc"]
    np.testing.assert_array_equal(post["b_gb"], draws["b_0"][..., 1])


def test_fold_ids_are_balanced_and_seeded():
    f = fold_ids(23, 5, seed=3)
    assert sorted(np.bincount(f).tolist()) == [4, 4, 5, 5, 5]
    np.testing.assert_array_equal(f, fold_ids(23, 5, seed=3))
    assert not np.array_equal(f, fold_ids(23, 5, seed=4))


def test_exact_values_replace_psis_as_arviz_reloo_does():
    import arviz as az

    rng = np.random.default_rng(0)
    idata = az.from_dict(posterior={"mu": rng.normal(size=(2, 100))},
                         log_likelihood={"y": rng.normal(-1, 0.3, size=(2, 100, 6))})
    elpd = az.loo(idata, pointwise=True)
    out = with_exact(elpd, [1, 4], [-2.0, -3.0])
    assert out.loo_i.values[1] == -2.0 and out.loo_i.values[4] == -3.0
    assert out.pareto_k.values[1] == 0 and out.pareto_k.values[4] == 0
    assert out.elpd_loo == pytest.approx(out.loo_i.values.sum())
    lppd = elpd.p_loo + elpd.elpd_loo
    assert out.p_loo == pytest.approx(lppd - out.elpd_loo)
    assert out.se == pytest.approx(np.sqrt(6 * np.var(out.loo_i.values)))
    assert elpd.loo_i.values[1] != -2.0  # the original is untouched


@pytest.fixture(scope="module")
def known_se():
    """``y_i ~ Normal(mu, s_i)`` with known ``s_i`` (brms's ``y | se(s) ~ 1``) and
    ``mu ~ Normal(0, 10)``: the exact leave-one-out predictive density is a normal density."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"s": rng.uniform(0.5, 1.5, 12)})
    df["y"] = 1.0 + rng.normal(size=12) * df.s
    fit = bz.sample("y | se(s) ~ 1", df, chains=4, draws=1000, tune=400, seed=2, progress=False,
                    priors={"Intercept": "normal(0, 10)"})
    return df, fit


def analytic_loo(df: pd.DataFrame) -> np.ndarray:
    from scipy import stats

    y, s = df.y.to_numpy(), df.s.to_numpy()
    out = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        precision = 1 / 10**2 + np.sum(1 / s[keep] ** 2)
        mean = np.sum(y[keep] / s[keep] ** 2) / precision
        out.append(stats.norm.logpdf(y[i], mean, np.sqrt(s[i] ** 2 + 1 / precision)))
    return np.array(out)


@pytest.mark.slow
def test_refits_give_the_exact_leave_one_out_density(known_se):
    """K = n folds refit without each row: the held-out log predictive densities equal the
    closed form (to Monte Carlo error), and PSIS-LOO's estimates agree with both; K-fold on
    spawned worker processes equals the serial run."""
    df, fit = known_se
    exact = analytic_loo(df)
    refits = bz.kfold(fit, folds=np.arange(12))
    np.testing.assert_allclose(refits.pointwise["elpd_kfold"], exact, atol=0.03)
    np.testing.assert_allclose(bz.loo(fit).loo_i.values, exact, atol=0.03)
    assert refits.elpd_kfold == pytest.approx(exact.sum(), abs=0.1)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        spread = bz.kfold(fit, K=4, seed=1, executor=pool)
    serial = bz.kfold(fit, K=4, seed=1)
    np.testing.assert_allclose(spread.pointwise["elpd_kfold"], serial.pointwise["elpd_kfold"])
    assert spread.K == 4 and spread.elpd_kfold == pytest.approx(exact.sum(), abs=2.0)
    assert "elpd_kfold" in str(spread)


@pytest.fixture(scope="module")
def small_factor_fit():
    df = pd.DataFrame({"g": list("aabbbccd"), "y": [1.0, 1.2, 2.0, 2.1, 1.9, 3.0, 3.1, 4.0]})
    return bz.sample("y ~ g", df, chains=1, draws=50, tune=50, progress=False)


def test_kfold_and_reloo_refuse_what_they_cannot_refit(small_factor_fit):
    tiny_fit = small_factor_fit
    with pytest.raises(ValueError, match="K must be"):
        bz.kfold(tiny_fit, K=1)
    with pytest.raises(ValueError, match="one fold id per row"):
        bz.kfold(tiny_fit, folds=np.zeros(3))
    with pytest.raises(TypeError, match="kfold"):
        bz.kfold({"not": "a fit"})
    bare = copy.deepcopy(tiny_fit)
    del bare.attrs["priors"]
    with pytest.raises(ValueError, match="priors"):
        bz.kfold(bare, K=3)
    with pytest.raises(ValueError, match="k_threshold"):
        bz.loo(tiny_fit, reloo=True, k_threshold="high")


def test_a_fold_that_holds_out_a_whole_factor_level_under_a_flat_prior_is_named(
        small_factor_fit):
    with pytest.raises(ValueError, match=r"without rows \[3, 7\]: column 'gd' .* b_gd"):
        bz.kfold(small_factor_fit, folds=(np.arange(8) + 1) % 4)  # the first refit fails


@pytest.mark.reference
@pytest.mark.slow
def test_reloo_refits_the_high_k_observations_of_mcycle_cr20_fx(tmp_path):
    idata = bz.fit("mcycle_cr20_fx", seed=1, progress=False)
    psis = bz.loo(idata)
    # the unpenalized 20-column spline has influential end points: its largest Pareto k lies
    # near 0.7, above or below it as the CPU's rounding takes the draws, so the threshold is
    # set between the two largest k and exactly that observation is refitted
    k = np.sort(psis.pareto_k.values)[::-1]
    assert k[0] > 0.6
    threshold = float(k[:2].mean())
    high = np.flatnonzero(psis.pareto_k.values > threshold)
    exact = bz.loo(idata, reloo=True, k_threshold=threshold)
    refits = json.loads(idata.attrs["loo_refits"])
    assert refits["observations"] == high.tolist() and high.size == 1
    assert np.all(exact.pareto_k.values <= threshold)
    # the exact elpd of the refitted observation is near PSIS's (its k is near 0.7)
    np.testing.assert_allclose(refits["elpd_exact"], psis.loo_i.values[high], atol=0.5)
    assert float(exact.elpd_loo) == pytest.approx(float(psis.elpd_loo), abs=1.0)
    assert float(exact.elpd_loo) != float(psis.elpd_loo)
    # later LOOs of the fit (comparison, report, a saved and loaded fit) use the refits
    again = bz.loo(bz.load(bz.save(idata, tmp_path / "fx.nc")))
    assert float(again.elpd_loo) == pytest.approx(float(exact.elpd_loo))
    table = bz.compare({"fx": idata, "cr20": bz.fit("mcycle_cr20", seed=1, chains=2,
                                                     draws=300, tune=300, progress=False)},
                       reml=False)
    assert table.loc["fx", "refitted"] == high.size and table.loc["cr20", "refitted"] == 0
    assert table.loc["fx", "elpd_loo"] == pytest.approx(float(exact.elpd_loo))
    html = bz.report({"fx": idata}, tmp_path / "r.html").read_text()
    assert "Refitted exactly (reloo)" in html and f"observation {high[0]}" in html
    assert "elpd (exact refit)" in html
