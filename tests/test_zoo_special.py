"""The zoo's ordinal, censored, monotonic and autoregressive entries: their place in the
registry, their designs, brms's default priors and the one REML twin among them."""

import pytest

import bayeszoo as bz
from bayeszoo.models import zoo

NEW = {
    "inhaler_cumulative": ("inhaler", "cumulative",
                           "rating ~ treat + period + carry + (1 | subject)", 572),
    "inhaler_sratio": ("inhaler", "sratio", "rating ~ treat + period + carry + (1 | subject)",
                       572),
    "housing_categorical": ("housing", "categorical", "Sat | weights(Freq) ~ Infl + Type + Cont",
                            72),
    "kidney_weibull_cens": ("kidney", "weibull",
                            "time | cens(censored) ~ age + sex + disease + (1 | patient)", 76),
    "kidney_lognormal_cens": ("kidney", "lognormal", "time | cens(censored) ~ age + sex", 76),
    "cbpp_monotonic": ("cbpp", "binomial", "incidence | trials(size) ~ mo(period) + (1 | herd)",
                       56),
    "lakehuron_ar1": ("lakehuron", "gaussian", "level ~ 1 + ar(time = year, p = 1)", 98),
    "lakehuron_smooth": ("lakehuron", "gaussian", "level ~ s(year, k = 20)", 98),
}


def test_new_entries_follow_the_old_ones_in_order():
    after = zoo.names().index("airquality_lognormal") + 1
    assert zoo.names()[after:after + len(NEW)] == list(NEW)
    assert zoo.names()[:3] == ["radon_pooled", "radon_unpooled", "radon_intercept"]
    assert not set(NEW) & set(zoo.RUN_MODELS)


@pytest.mark.parametrize("name", list(NEW))
def test_entry_builds_its_design(name):
    dataset, family, formula, n = NEW[name]
    e = zoo.get(name)
    assert (e.dataset, e.family, e.formula) == (dataset, family, formula)
    assert e.description and e.question
    d = bz.design(e.formula, e.load_data(), family=e.family_object())
    assert d.n == n and d.family.name == family
    if e.group:
        assert [b.name for b in d.blocks if b.kind == "re"] == [e.group]
    if e.smooth:
        assert [s.variables for s in d.smooths] == [(e.smooth,)]


def test_pairs_share_their_data_and_response():
    for a, b in [("inhaler_cumulative", "inhaler_sratio"),
                 ("kidney_weibull_cens", "kidney_lognormal_cens"),
                 ("lakehuron_ar1", "lakehuron_smooth"), ("cbpp_monotonic", "cbpp_binomial")]:
        ea, eb = zoo.get(a), zoo.get(b)
        assert ea.dataset == eb.dataset and ea.data_options == eb.data_options
        assert str(ea.formula).split("~")[0].split("|")[0] == \
            str(eb.formula).split("~")[0].split("|")[0]


def test_weibull_frailty_and_lake_smooth_sample_with_a_higher_target_accept():
    assert zoo.get("kidney_weibull_cens").sampler_options["target_accept"] == 0.95
    assert zoo.get("kidney_lognormal_cens").sampler_options["target_accept"] == 0.8
    assert "target_accept=0.95" in zoo.describe("kidney_weibull_cens")
    assert zoo.get("lakehuron_smooth").sampler_options["target_accept"] == 0.95


def prior_of(name: str):
    e = zoo.get(name)
    return bz.get_prior(e.formula, e.load_data(), family=e.family_object())


def row(table, cls: str, coef: str = ""):
    hit = table[(table["class"] == cls) & (table["coef"] == coef)]
    assert len(hit) == 1, (cls, coef)
    return hit.iloc[0]


@pytest.mark.parametrize("name", ["inhaler_cumulative", "inhaler_sratio"])
def test_ordinal_priors_have_three_thresholds(name):
    t = prior_of(name)
    assert row(t, "Intercept")["prior"] == "student_t(3, 0, 2.5)"
    assert [c for c in t.loc[t["class"] == "Intercept", "coef"] if c] == ["1", "2", "3"]
    assert {c for c in t.loc[t["class"] == "b", "coef"] if c} == {"treat", "period", "carry"}
    assert t.loc[t["class"] == "sd", "prior"].iloc[0] == "student_t(3, 0, 2.5)"
    assert "subject" in set(t.loc[t["class"] == "sd", "group"])


def test_censored_priors_follow_brms():
    t = prior_of("kidney_weibull_cens")
    assert row(t, "Intercept")["prior"] == "student_t(3, 3.7, 2.5)"
    assert row(t, "shape")["prior"] == "gamma(0.01, 0.01)"
    assert {c for c in t.loc[t["class"] == "b", "coef"] if c} == {
        "age", "sexfemale", "diseaseGN", "diseaseAN", "diseasePKD"}
    t = prior_of("kidney_lognormal_cens")
    assert row(t, "Intercept")["prior"] == "student_t(3, 3.7, 2.5)"
    assert row(t, "sigma")["prior"] == "student_t(3, 0, 2.5)"
    assert "sd" not in set(t["class"])


def test_monotonic_period_has_a_simplex_prior():
    e = zoo.get("cbpp_monotonic")
    d = bz.design(e.formula, e.load_data(), family=e.family_object())
    assert [b.kind for b in d.blocks] == ["mo", "re"]
    t = prior_of("cbpp_monotonic")
    assert row(t, "simo", "moperiod1")["prior"] == "dirichlet(1)"
    assert "moperiod" in set(t.loc[t["class"] == "b", "coef"])


def test_lakehuron_priors_and_the_smooths_reml_twin():
    t = prior_of("lakehuron_ar1")
    assert row(t, "Intercept")["prior"] == "student_t(3, 579.1, 2.5)"
    assert "ar" in set(t["class"])
    assert "syear_1" in set(prior_of("lakehuron_smooth")["coef"])
    assert [n for n in NEW if zoo.get(n).reml_formula] == ["lakehuron_smooth"]
    e = zoo.get("lakehuron_smooth")
    fit = bz.reml(e.reml_formula, e.load_data())
    assert fit.edf_total == pytest.approx(15.161, abs=0.01)
