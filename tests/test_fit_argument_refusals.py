"""Arguments checked before any refit or prediction: kfold's folds (no missing id, at least two
folds), predict's design= (the fit's own: same formula and term states), REML's sp (numbers,
not booleans)."""

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.inference import refit


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(size=12), "z": rng.normal(size=12),
                       "g": pd.Categorical(list("abcd") * 3)})
    df["y"] = 1 + df.x + rng.normal(size=12)
    return df


@pytest.fixture(scope="module")
def fitted(data):
    design = bz.design("y ~ x + g", data)
    return design, bz.sample(design, chains=1, draws=30, tune=30, seed=1, progress=False)


@pytest.fixture
def no_refit(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("refitted before the folds were checked")

    monkeypatch.setattr(refit, "refit_rows", refuse)


def test_kfold_with_one_fold_is_refused_before_refitting(fitted, no_refit):
    with pytest.raises(ValueError, match=r"^folds puts all 12 rows in the one fold 1: a refit "
                       r"without it has no data; give at least two fold ids, or K= instead of "
                       r"folds=$"):
        bz.kfold(fitted[1], folds=np.ones(12, dtype=int))


def test_kfold_with_missing_fold_ids_is_refused_naming_the_rows(fitted, no_refit):
    folds = np.arange(12) % 3.0
    folds[[4, 9]] = np.nan
    with pytest.raises(ValueError, match=r"^folds has no fold id at rows 4, 9 \(2 missing\); "
                       r"give every row a fold id$"):
        bz.kfold(fitted[1], folds=folds)
    with pytest.raises(ValueError, match=r"no fold id at rows 0 \(1 missing\)"):
        bz.kfold(fitted[1], folds=[None] + ["a", "b"] * 5 + ["a"])


def test_predict_with_the_design_of_another_formula_is_refused(fitted, data):
    design, fit = fitted
    other = bz.design("y ~ z + g", data)
    with pytest.raises(ValueError, match=r"^design= is of the formula 'y ~ z \+ g' but the fit "
                       r"is of 'y ~ x \+ g'; pass the design the fit was sampled from, or leave "
                       r"design= out"):
        bz.predict(fit, data.iloc[:3], design=other)


def test_predict_with_the_design_of_other_data_is_refused(fitted, data):
    design, fit = fitted
    fewer = data[data.g != "a"].assign(g=lambda d: d.g.cat.remove_unused_categories())
    with pytest.raises(ValueError, match=r"^design= is of the formula 'y ~ x \+ g' built on "
                       r"other data than the fit \(columns only in the fit: gb\); pass the "
                       r"design the fit was sampled from"):
        bz.predict(fit, fewer.iloc[:3], design=bz.design("y ~ x + g", fewer))


def test_predict_with_the_fit_s_own_design_agrees_with_the_stored_one(fitted, data):
    design, fit = fitted
    new = data.iloc[:4]
    np.testing.assert_allclose(bz.predict(fit, new, design=design), bz.predict(fit, new))


@pytest.mark.parametrize("sp, message", [
    (True, r"^sp must be None, a positive number \(for every penalized term\) or a dict of "
           r"positive numbers by term, got True \(a boolean, not a number\); an unpenalized "
           r"smooth is s\(\.\.\., fx=True\)$"),
    ({"s(x)": True}, r"^sp\['s\(x\)'\] must be a positive number, got True \(a boolean, not a "
                     r"number\); an unpenalized smooth is s\(\.\.\., fx=True\)$"),
    ({"s(x)": "1"}, r"^sp\['s\(x\)'\] must be a positive number, got '1' \(a str, not a "
                    r"number\)"),
])
def test_reml_refuses_a_smoothing_parameter_that_is_not_a_number(data, sp, message):
    with pytest.raises(ValueError, match=message):
        bz.reml("y ~ s(x, k=5)", data, sp=sp)
