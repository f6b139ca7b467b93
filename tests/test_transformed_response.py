"""A response written as an expression, ``log(earn) ~ log(height) + male``, as brms, mgcv and lme4
accept it: the model is of the transformed values, named as brms names the response
(``logearn``), and every number equals the fit of a hand-made column ``y = log(earn)``."""

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.formula import FormulaError, UnknownColumnError, parse_formula
from bayeszoo.formula.naming import response_name

SMOOTH = 's(flipper_length_mm, bs="cr", k=8) + sex'


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    df = bz.datasets.load_penguins(dropna=True)
    df["y"] = np.log(df["body_mass_g"])
    return df


def earnings() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    height = rng.uniform(58, 78, 60)
    male = rng.integers(0, 2, 60)
    earn = np.exp(1.0 + 2.0 * np.log(height) + 0.4 * male + rng.normal(0, 0.5, 60))
    return pd.DataFrame({"earn": earn, "height": height, "male": male})


@pytest.mark.parametrize(("expression", "name"), [
    ("log(earn)", "logearn"), ("log(y + 1)", "logy1"), ("(y - 1)", "Xy1"),
    ("sqrt(Reaction)", "sqrtReaction"), ("log(body_mass_g)", "logbodymassg"),
    ("log(`my earn`)", "logmyearn"),
])
def test_brms_names_the_response(expression, name):
    assert response_name(expression) == name


def test_the_formula_reads_an_expression_response():
    pf = parse_formula("log(earn) ~ log(height) + male")
    assert (pf.response, pf.response_expr, pf.fixed) == ("logearn", "log(earn)",
                                                        ["log(height)", "male"])
    assert pf.to_string() == "log(earn) ~ 1 + log(height) + male"
    plain = parse_formula("earn | weights(w) ~ male")
    assert (plain.response, plain.response_expr, plain.additions) == ("earn", None,
                                                                      {"weights": "w"})


def test_the_design_models_the_transformed_values():
    df = earnings()
    d = bz.design("log(earn) ~ log(height) + male", df)
    assert d.response == "logearn"
    np.testing.assert_array_equal(d.y, np.log(df["earn"].to_numpy()))
    assert d.column_names == ["Intercept", "logheight", "male"]
    fit = bz.reml(d)
    by_hand = bz.reml("y ~ log(height) + male", df.assign(y=np.log(df["earn"])))
    pd.testing.assert_series_equal(fit.coef, by_hand.coef, check_exact=True)
    assert fit.coef["logheight"] == pytest.approx(1.923266, abs=1e-6)


def test_mgcv_reml_equals_the_hand_made_column(penguins):
    fit = bz.reml(f"log(body_mass_g) ~ {SMOOTH}", penguins)
    by_hand = bz.reml(f"y ~ {SMOOTH}", penguins)
    assert fit.reml_score == by_hand.reml_score
    assert fit.sp == by_hand.sp and fit.scale == by_hand.scale
    pd.testing.assert_series_equal(fit.coef, by_hand.coef, check_exact=True)
    np.testing.assert_array_equal(fit.fitted, by_hand.fitted)
    assert fit.edf_total == pytest.approx(7.20614, abs=1e-5)


def test_lme4_reml_equals_the_hand_made_column():
    sleep = bz.datasets.load_sleepstudy()
    fit = bz.reml("log(Reaction) ~ Days + (Days | Subject)", sleep)
    by_hand = bz.reml("y ~ Days + (Days | Subject)", sleep.assign(y=np.log(sleep["Reaction"])))
    assert fit.reml_score == by_hand.reml_score
    pd.testing.assert_series_equal(fit.coef, by_hand.coef, check_exact=True)
    np.testing.assert_array_equal(fit.fitted, by_hand.fitted)


def test_new_data_computes_the_response_only_when_it_can(penguins):
    d = bz.design(f"log(body_mass_g) ~ {SMOOTH}", penguins)
    rows = penguins.head(4).drop(columns=["y"])
    np.testing.assert_array_equal(d.for_newdata(rows).y, np.log(rows["body_mass_g"].to_numpy()))
    assert d.for_newdata(rows.drop(columns=["body_mass_g"])).y is None
    assert d.for_newdata(rows.assign(body_mass_g=[np.nan, 4000.0, 4100.0, 4200.0])).y is None
    fit, by_hand = bz.reml(d), bz.reml(f"y ~ {SMOOTH}", penguins)
    np.testing.assert_array_equal(fit.predict(rows.drop(columns=["body_mass_g"])),
                                  by_hand.predict(rows))


def test_errors_name_the_response_expression(penguins):
    with pytest.raises(UnknownColumnError, match=r"unknown column 'mass' in term log\(mass\) "
                                                 r"\(the response\)"):
        bz.design("log(mass) ~ sex", penguins)
    raw = bz.datasets.load_penguins()
    with pytest.raises(FormulaError, match=r"'body_mass_g' \(2 rows, the response "
                                           r"log\(body_mass_g\)\)"):
        bz.design("log(body_mass_g) ~ flipper_length_mm", raw)
    with pytest.raises(FormulaError, match=r"cannot evaluate the response "
                                           r"log\(body_mass_g - 4000\)"):
        bz.design("log(body_mass_g - 4000) ~ sex", penguins)


LINEAR = "log(flipper_length_mm) + sex"
SMALL = {"chains": 2, "draws": 100, "tune": 100, "seed": 3, "progress": False}


@pytest.fixture(scope="module")
def sampled(penguins):
    return bz.sample(f"log(body_mass_g) ~ {LINEAR}", penguins, **SMALL)


def test_numpyro_samples_the_transformed_response(sampled, penguins, tmp_path):
    fit = sampled
    assert list(fit.observed_data.data_vars) == ["logbodymassg"]
    assert list(fit.log_likelihood.data_vars) == ["logbodymassg"]
    np.testing.assert_array_equal(fit.observed_data["logbodymassg"], penguins["y"])
    assert float(fit.posterior["b_logflipper_length_mm"].mean()) == pytest.approx(2.17, abs=0.3)
    rows = penguins.head(4).drop(columns=["body_mass_g", "y"])
    epred = bz.predict(fit, rows)
    assert epred.shape == (200, 4)
    assert epred.mean(axis=0) == pytest.approx([8.146, 8.121, 8.224, 8.201], abs=0.02)
    bz.save(fit, tmp_path / "fit.nc")
    np.testing.assert_array_equal(bz.predict(bz.load(tmp_path / "fit.nc"), rows), epred)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["numpyro", "pymc"])
def test_draws_equal_the_hand_made_column(backend, penguins):
    fit = bz.sample(f"log(body_mass_g) ~ {LINEAR}", penguins, backend=backend, **SMALL)
    by_hand = bz.sample(f"y ~ {LINEAR}", penguins, backend=backend, **SMALL)
    for name in ("b_Intercept", "b_logflipper_length_mm", "b_sexmale", "sigma"):
        np.testing.assert_array_equal(fit.posterior[name], by_hand.posterior[name])
    np.testing.assert_array_equal(fit.log_likelihood["logbodymassg"],
                                  by_hand.log_likelihood["y"])
    rows = penguins.head(4).drop(columns=["body_mass_g", "y"])
    np.testing.assert_array_equal(bz.predict(fit, rows), bz.predict(by_hand, rows))


@pytest.mark.slow
def test_the_report_draws_a_transformed_response(penguins):
    from bayeszoo.api import fit_context
    from bayeszoo.reports import figures, figures_distributional

    fit = bz.sample(bz.bf(f"log(body_mass_g) ~ {SMOOTH}", sigma="~ sex"), penguins, **SMALL)
    ctx = fit_context(fit)
    smooth = figures.smooth_figures(fit, ctx, dpi=40)
    assert [f.key for f in smooth] == ["smooth-flipper_length_mm", "basis-flipper_length_mm"]
    curves = figures_distributional.distributional_figures(fit, ctx, dpi=40)
    assert [f.title for f in curves] == ["Mean and sigma against flipper_length_mm"]
