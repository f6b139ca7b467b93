"""Multivariate responses (brms's mvbind / mvbf with set_rescor and |ID| group terms): formulas,
brms's names and default priors, the joint log density against SciPy, NumPyro against PyMC at
fixed values, and the errors."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY
from bayeszoo.formula import FormulaError
from bayeszoo.inference.multivariate import response_site_draws
from bayeszoo.models.multivariate import (
    linked_coefficients,
    member_coefficients,
    multivariate_spec,
    mv_name,
)
from bayeszoo.models.multivariate_likelihood import (
    joint_log_likelihood,
    multivariate_data,
    pointwise,
    response_parameters,
)

FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures"
FORMULA = "mvbind(tarsus, back) ~ sex + hatchdate + (1 | p | fosternest)"


@pytest.fixture(scope="module")
def btdata():
    return bz.datasets.load_btdata()


def random_values(mspec, seed=0):
    """A point of every site: correlations from random correlation matrices."""
    rng = np.random.default_rng(seed)
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


def test_mvbind_gives_one_formula_per_response_with_ids_kept():
    f = bz.bf(FORMULA)
    assert f.responses == ("tarsus", "back") and f.rescor is None
    assert f.parts[1].formula == "back ~ sex + hatchdate + (1 | fosternest)"
    assert f.parts[0].ids == {"(1 | fosternest)": "p"}
    assert bz.bf(FORMULA, rescor=False).rescor is False
    g = bz.mvbf(bz.bf("tarsus ~ sex + (1|p|fosternest)"),
                "back ~ hatchdate + (1 | p | fosternest) + (1 | dam)", rescor=True)
    assert g.parts[1].formula == "back ~ hatchdate + (1 | fosternest) + (1 | dam)"
    assert g.parts[1].ids == {"(1 | fosternest)": "p"}
    assert "(1|p|fosternest)" in str(g) and "set_rescor(TRUE)" in str(g)


@pytest.mark.parametrize("call, match", [
    (lambda: bz.bf("mvbind(tarsus) ~ sex"), "two or more distinct"),
    (lambda: bz.bf("mvbind(tarsus, tarsus) ~ sex"), "two or more distinct"),
    (lambda: bz.bf(FORMULA, sigma="~ sex"), "per response through mvbf"),
    (lambda: bz.bf(FORMULA, rescor="yes"), "rescor must be"),
    (lambda: bz.mvbf("tarsus ~ sex"), "two or more responses"),
    (lambda: bz.mvbf("tarsus ~ sex", "tarsus ~ hatchdate"), "each response once"),
    (lambda: bz.mvbf("tarsus | weights(w) ~ sex", "back ~ sex"), "one column name"),
])
def test_formula_errors(call, match):
    with pytest.raises(FormulaError, match=match):
        call()


def test_names_insert_the_response_as_brms():
    assert mv_name("b_Intercept", "tarsus") == "b_tarsus_Intercept"
    assert mv_name("b_sexMale", "back") == "b_back_sexMale"
    assert mv_name("sigma", "tarsus") == "sigma_tarsus"
    assert mv_name("Intercept", "back") == "Intercept_back"
    assert mv_name("sd_fosternest__Intercept", "tarsus") == "sd_fosternest__tarsus_Intercept"
    assert mv_name("r_fosternest", "tarsus") == "r_fosternest__tarsus"
    assert mv_name("cor_g__Intercept__x", "y") == "cor_g__y_Intercept__y_x"
    assert mv_name("sds_sx_1", "y") == "sds_y_sx_1"
    assert mv_name("b_sigma_x", "y", ("sigma",)) == "b_sigma_y_x"
    assert mv_name("b", "y") == "b_y" and mv_name("sd", "y") == "sd_y"


def test_default_priors_equal_brms_get_prior(btdata):
    ref = json.loads((FIXTURES / "brms_wave3.json").read_text())["default_priors"]["mv_btdata"]
    table = bz.get_prior(bz.bf(FORMULA), btdata)
    assert table.to_dict("records") == ref["rows"]


def test_sites_and_priors_of_the_joint_model(btdata):
    m = multivariate_spec(bz.bf(FORMULA), btdata)
    assert m.rescor == "Lrescor" and m.nu is None
    (g,) = m.linked
    assert g.coefs == ("tarsus_Intercept", "back_Intercept")
    assert g.sd_sites == ("sd_fosternest__tarsus_Intercept", "sd_fosternest__back_Intercept")
    assert m.site(g.z_site).shape == (104, 2)
    assert m.priors["Intercept_tarsus"] == "student_t(3, 0.1, 2.5)"
    assert m.priors["Intercept_back"] == "student_t(3, -0.1, 2.5)"
    assert m.priors["sd_fosternest__back_Intercept"] == "half_student_t(3, 2.5)"
    assert m.priors["Lrescor"] == "lkj(1)" and m.priors["L_fosternest"] == "lkj(1)"
    names = {s.name for s in m.sites}
    assert "tarsus__z_0" not in names and "tarsus__sd_fosternest__Intercept" not in names


def test_priors_by_brms_names(btdata):
    m = multivariate_spec(bz.bf(FORMULA), btdata, priors={
        "sigma_tarsus": "exponential(2)", "b_back": "normal(0, 1)", "rescor": "lkj(2)",
        "cor_fosternest": "lkj(3)", "sd": "normal(0, 0.5)", "b_tarsus_sexMale": "normal(1, 1)"})
    assert m.priors["sigma_tarsus"] == "exponential(2)"
    assert m.priors["sigma_back"] == "half_student_t(3, 2.5)"
    assert m.priors["b_back_hatchdate"] == "normal(0, 1)"
    assert m.priors["b_tarsus_sexMale"] == "normal(1, 1)"
    assert m.priors["b_tarsus_hatchdate"] == "flat()"
    assert m.priors["Lrescor"] == "lkj(2)" and m.priors["L_fosternest"] == "lkj(3)"
    assert m.priors["sd_fosternest__tarsus_Intercept"] == "half_normal(0.5)"
    with pytest.raises(ValueError, match="unknown prior name"):
        multivariate_spec(bz.bf(FORMULA), btdata, priors={"sigma_wing": "exponential(1)"})
    with pytest.raises(ValueError, match="lkj"):
        multivariate_spec(bz.bf(FORMULA), btdata, priors={"rescor": "normal(0, 1)"})


def test_joint_density_is_scipys_multivariate_normal(btdata):
    m = multivariate_spec(bz.bf(FORMULA), btdata)
    v = random_values(m, 3)
    lp = joint_log_likelihood(m, v, multivariate_data(m), NUMPY, np.concatenate)
    # the means by hand: centered fixed effects plus the joint nest effects
    r = v["z_fosternest__p"] @ (np.diag([v[s] for s in m.linked[0].sd_sites])
                                @ v["L_fosternest__p"]).T
    nest = m.designs[0].blocks[0].index
    means, sds = [], []
    for k, resp in enumerate(("tarsus", "back")):
        ps = m.specs[k].mu
        X = m.designs[k].X[:, ps.fixed_cols] - ps.x_means
        means.append(v[f"{resp}__Intercept"] + X @ v[f"{resp}__b_0"] + r[nest, k])
        sds.append(v[f"{resp}__sigma"])
    omega = v["Lrescor"] @ v["Lrescor"].T
    cov = np.diag(sds) @ omega @ np.diag(sds)
    y = btdata[["tarsus", "back"]].to_numpy()
    ref = [stats.multivariate_normal(mean=[means[0][i], means[1][i]], cov=cov).logpdf(y[i])
           for i in range(len(y))]
    np.testing.assert_allclose(lp, ref, rtol=1e-10)
    joint, marginal = pointwise(m, v, [y[:, 0], y[:, 1]],
                                [d.predictors for d in multivariate_data(m).responses], NUMPY,
                                np.concatenate)
    np.testing.assert_allclose(joint, ref, rtol=1e-10)
    np.testing.assert_allclose(marginal[1], stats.norm(means[1], sds[1]).logpdf(y[:, 1]))


def test_student_rescor_density_is_scipys_multivariate_t(btdata):
    m = multivariate_spec(bz.bf("mvbind(tarsus, back) ~ sex"), btdata, family="student")
    assert m.nu == "nu" and "tarsus__nu" not in {s.name for s in m.sites}
    assert m.priors["nu"] == "gamma(2, 0.1)"
    v = random_values(m, 5)
    lp = joint_log_likelihood(m, v, multivariate_data(m), NUMPY, np.concatenate)
    mus = [response_parameters(m, k, v, d.predictors, NUMPY, np.concatenate)[0]
           for k, d in enumerate(multivariate_data(m).responses)]
    s = np.array([v["tarsus__sigma"], v["back__sigma"]])
    shape = np.diag(s) @ v["Lrescor"] @ v["Lrescor"].T @ np.diag(s)
    y = btdata[["tarsus", "back"]].to_numpy()
    ref = [stats.multivariate_t(loc=[mus[0][i], mus[1][i]], shape=shape,
                                df=v["nu"]).logpdf(y[i]) for i in range(0, len(y), 37)]
    np.testing.assert_allclose(lp[::37], ref, rtol=1e-9)


def test_without_rescor_the_density_is_the_sum_of_the_responses(btdata):
    f = bz.mvbf("tarsus ~ sex + (1 | p | fosternest)", "back ~ hatchdate + (1 | p | fosternest)",
                rescor=False)
    m = multivariate_spec(f, btdata)
    assert m.rescor is None and "Lrescor" not in {s.name for s in m.sites}
    assert [s.mu.fixed_params for s in m.specs] == [["b_sexMale", "b_sexUNK"], ["b_hatchdate"]]
    v = random_values(m, 1)
    data = multivariate_data(m)
    joint, marginal = pointwise(m, v, [d.y for d in data.responses],
                                [d.predictors for d in data.responses], NUMPY, np.concatenate)
    np.testing.assert_allclose(joint, marginal[0] + marginal[1])
    np.testing.assert_allclose(joint_log_likelihood(m, v, data, NUMPY, np.concatenate), joint)


def test_correlated_slopes_across_responses_name_back_to_the_same_coefficients(btdata):
    f = bz.bf("mvbind(tarsus, back) ~ hatchdate + (1 + hatchdate | p | fosternest)")
    m = multivariate_spec(f, btdata)
    (g,) = m.linked
    assert g.coefs == ("tarsus_Intercept", "tarsus_hatchdate", "back_Intercept",
                       "back_hatchdate")
    v = {k: np.stack([np.stack([random_values(m, 10 * c + d)[k] for d in range(3)])
                      for c in range(2)]) for k in random_values(m, 0)}
    joint = linked_coefficients(g, v, NUMPY)
    for r in range(2):
        own = response_site_draws(m, r, v)
        bs = m.specs[r].mu.blocks[0]
        blk = m.designs[r].blocks[0]
        got = bs.structure.coefficients([own[s] for s in bs.scale_sites], own[bs.z_site], NUMPY)
        np.testing.assert_allclose(got, member_coefficients(joint, blk, 2 * r), atol=1e-10)


def test_numpyro_and_pymc_have_the_same_log_density(btdata):
    pytest.importorskip("pymc")
    import pytensor.tensor as pt
    from numpyro.infer.util import log_density

    from bayeszoo.models.multivariate_samplers import (
        build_numpyro_multivariate,
        build_pymc_multivariate,
    )

    small = btdata.iloc[:120]
    m = multivariate_spec(bz.bf("mvbind(tarsus, back) ~ sex + (1 | p | fosternest)"), small,
                          family="student")
    v = random_values(m, 4)
    model, data = build_numpyro_multivariate(m)
    lp_numpyro, _ = log_density(model, (data,), {}, v)
    pm_model = build_pymc_multivariate(m)
    point = {}
    for rv in pm_model.free_RVs:
        value = pm_model.rvs_to_values[rv]
        tr = pm_model.rvs_to_transforms[rv]
        x = v[rv.name]
        point[value.name] = x if tr is None else \
            tr.forward(pt.as_tensor(x), *rv.owner.inputs).eval()
    lp_pymc = pm_model.compile_logp(jacobian=False)(point)
    np.testing.assert_allclose(float(lp_numpyro), float(lp_pymc), rtol=1e-9)


def test_errors(btdata):
    f = bz.bf(FORMULA)
    with pytest.raises(ValueError, match="numpyro.*pymc"):
        bz.reml(f, btdata)
    with pytest.raises(ValueError, match="backend='numpyro' or backend='pymc'"):
        bz.sample(f, btdata, backend="nutpie")
    with pytest.raises(ValueError, match="Gaussian or every response Student-t"):
        multivariate_spec(bz.bf(FORMULA, rescor=True), btdata,
                          family={"tarsus": "gaussian", "back": "student"})
    with pytest.raises(ValueError, match="not responses"):
        multivariate_spec(f, btdata, family={"wing": "gaussian"})
    with pytest.raises(ValueError, match="non-centered"):
        bz.sample(f, btdata, parameterization="centered")
    counts = pd.DataFrame({"a": [1, 0, 3, 2], "b": [0.1, 0.2, 0.3, 0.5], "x": [0, 1, 2, 3]})
    assert multivariate_spec(bz.bf("mvbind(a, b) ~ x"), counts,
                             family={"a": "poisson", "b": "gaussian"}).rescor is None
    with pytest.raises(ValueError, match="set_rescor"):
        multivariate_spec(bz.bf("mvbind(a, b) ~ x", rescor=True), counts,
                          family={"a": "poisson", "b": "gaussian"})


def test_zoo_entry(btdata):
    e = bz.zoo.get("btdata_mv")
    assert e.backends == ("numpyro", "pymc") and e.question and e.reml_formula is None
    m = multivariate_spec(e.formula, e.load_data(), e.family_object())
    assert m.responses == ("tarsus", "back") and m.rescor == "Lrescor"
    assert "btdata_mv" in bz.zoo.describe("btdata_mv")


def fake_fit(mspec, chains=2, draws=6):
    """A MultivariateFit of random site values (no sampler)."""
    from bayeszoo.inference.multivariate import MultivariateDraws, brms_multivariate_posterior

    points = [[random_values(mspec, 100 * c + d) for d in range(draws)] for c in range(chains)]
    site = {k: np.array([[p[k] for p in row] for row in points]) for k in points[0][0]}
    stats_ = {"diverging": np.zeros((chains, draws), bool),
              "tree_depth": np.ones((chains, draws))}
    return MultivariateDraws(mspec, site, brms_multivariate_posterior(mspec, site), stats_,
                             {"formula": str(mspec.formula)}).inference_data(), site


def test_fit_names_predictions_and_loo_without_a_sampler(btdata):
    ref = json.loads((FIXTURES / "brms_wave3.json").read_text())["btdata_mv_rescor"]
    m = multivariate_spec(bz.bf(FORMULA), btdata)
    fit, site = fake_fit(m)
    names = set(fit.posterior.data_vars)
    assert set(ref["posterior"]) <= names
    assert {"Intercept_tarsus", "r_fosternest__back"} <= names
    # brms's b_Intercept is the centered intercept less the means' contribution
    x_means = m.specs[0].mu.x_means
    np.testing.assert_allclose(fit.posterior["b_tarsus_Intercept"].values,
                               site["tarsus__Intercept"] - site["tarsus__b_0"] @ x_means)
    omega = site["Lrescor"] @ np.swapaxes(site["Lrescor"], -1, -2)
    np.testing.assert_allclose(fit.posterior["rescor__tarsus__back"].values, omega[..., 0, 1])
    epred = fit.posterior_epred()
    assert epred.shape == (12, 828, 2)
    flat = {k: v.reshape(-1, *v.shape[2:]) for k, v in site.items()}
    data = multivariate_data(m)
    eta = response_parameters(m, 1, flat, data.responses[1].predictors, NUMPY,
                              np.concatenate)[0]
    np.testing.assert_allclose(epred[..., 1], eta)
    new = btdata.iloc[:4].copy()
    np.testing.assert_allclose(fit.posterior_epred(new, resp="tarsus"), epred[:, :4, 0])
    new["fosternest"] = "nowhere"
    with pytest.raises(ValueError, match="nowhere"):
        fit.posterior_epred(new)
    without = fit.posterior_epred(new, allow_new_levels=True)
    r = fit.posterior["r_fosternest__tarsus"].values.reshape(12, -1)
    level = m.designs[0].blocks[0].index[:4]
    np.testing.assert_allclose(without[..., 0], epred[:, :4, 0] - r[:, level])
    assert fit.posterior_predict(resp="back", ndraws=5, seed=0).shape == (5, 828)
    assert fit.predict(btdata.iloc[:3], resp="back").shape == (3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fit.loo(resp="tarsus")["n_data_points"] == 828
        assert np.isfinite(fit.loo()["elpd_loo"])
        assert bz.loo(fit, resp="back")["elpd_loo"] == fit.loo(resp="back")["elpd_loo"]
        assert bz.loo(fit)["elpd_loo"] == fit.loo()["elpd_loo"]
        assert list(bz.compare({"a": fit, "b": fit}).index) == ["a", "b"]
    with pytest.raises(ValueError, match="not a response"):
        fit.posterior_epred(resp="wing")
    with pytest.raises(ValueError, match="'epred' or 'pp'"):
        fit.predict(kind="linpred")


def test_summary_text_and_a_plain_mvbind_string(btdata):
    from bayeszoo.inference.draws_summary import draws_checks_of
    from bayeszoo.inference.multivariate import MultivariateDraws, brms_multivariate_posterior

    m = multivariate_spec(bz.bf(FORMULA), btdata)
    points = [[random_values(m, 10 * c + d) for d in range(8)] for c in range(2)]
    site = {k: np.array([[p[k] for p in row] for row in points]) for k in points[0][0]}
    draws = MultivariateDraws(m, site, brms_multivariate_posterior(m, site),
                              {"diverging": np.zeros((2, 8), bool)},
                              {"formula": str(m.formula), "chains": 2, "draws": 8, "tune": 8})
    text = draws.summary("btdata").text()
    for line in ("Group-Level Effects:", "Population-Level Effects:",
                 "Family Specific Parameters:", "Residual Correlations:", "rescor__tarsus__back",
                 "Data: btdata", "bf(mvbind(tarsus, back) ~"):
        assert line in text
    assert "Intercept_tarsus" not in text
    assert draws.pointwise_log_likelihood().shape == (2, 8, 828)
    assert draws_checks_of(draws).divergences == 0
    # a formula string starting with mvbind( is read as bz.bf's multivariate formula
    with pytest.raises(ValueError, match="backend='numpyro' or backend='pymc'"):
        bz.sample("mvbind(tarsus, back) ~ sex", btdata, backend="nutpie")


def test_correlation_priors_are_shared_by_the_responses(btdata):
    f = bz.mvbf("tarsus ~ sex + (1 + hatchdate | fosternest)", "back ~ hatchdate + (1 | dam)",
                rescor=False)
    m = multivariate_spec(f, btdata, priors={"cor": "lkj(2)"})
    assert not m.linked and m.priors["L_fosternest"] == "lkj(2)"
    table = bz.get_prior(f, btdata, priors={"cor_fosternest": "lkj(4)"})
    cor = table[table["class"] == "cor"]
    assert cor[["prior", "group", "resp", "source"]].values.tolist() == [
        ["lkj(1)", "", "", "default"], ["lkj(4)", "fosternest", "", "user"]]
    assert not (table["class"] == "rescor").any()
