"""``predict(kind="pp")`` of a factor response gives its category labels: a categorical
model's strings or integers as given, an ordinal model's ordered Categorical's categories
(ratings given as numbers stay numbers); ``labels=False`` gives the codes ``1..K``, which the
plots and checks read. ``kind="epred"``: draws × rows × categories, on new data too."""

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz

pytestmark = pytest.mark.slow


def simulated(n: int = 90, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    logits = np.column_stack([np.zeros(n), 0.5 + x, -0.5 - x])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    return pd.DataFrame({"x": x, "code": y, "label": np.array(["beta", "alpha", "gamma"])[y]})


def small_fit(formula, data, family):
    return bz.sample(formula, data, family=family, chains=1, draws=150, tune=150, seed=1,
                     progress=False)


def test_categorical_pp_gives_the_labels_as_given():
    d = simulated()
    fit = small_fit("label ~ x", d, "categorical")
    assert [v for v in fit.posterior.data_vars if v.startswith("b_")] == [
        "b_mubeta_Intercept", "b_mubeta_x", "b_mugamma_Intercept", "b_mugamma_x"]
    pp = bz.predict(fit, kind="pp", seed=3)
    codes = bz.predict(fit, kind="pp", seed=3, labels=False)
    assert pp.shape == codes.shape == (150, 90)
    assert set(np.unique(codes)) == {1.0, 2.0, 3.0}
    np.testing.assert_array_equal(pp, np.array(["alpha", "beta", "gamma"])[codes.astype(int) - 1])
    new = pd.DataFrame({"x": [-2.0, 0.0, 2.0]})
    epred = bz.predict(fit, newdata=new, kind="epred")
    assert epred.shape == (150, 3, 3)
    assert epred.mean(axis=0)[2, 0] > 0.6 > epred.mean(axis=0)[0, 0]  # alpha grows with x
    assert set(np.unique(bz.predict(fit, newdata=new, kind="pp", seed=1))) <= {
        "alpha", "beta", "gamma"}
    d["code"] = d["code"] * 2 + 3  # integers 3, 5, 7
    pp = bz.predict(small_fit("code ~ x", d, "categorical"), kind="pp", seed=3)
    assert pp.dtype.kind == "i" and set(np.unique(pp)) == {3, 5, 7}


def test_ordinal_pp_gives_an_ordered_categoricals_labels():
    d = simulated()
    d["rating"] = pd.Categorical(np.array(["low", "mid", "high"])[d["code"]],
                                 categories=["low", "mid", "high"], ordered=True)
    fit = small_fit("rating ~ x", d, "cumulative")
    pp = bz.predict(fit, kind="pp", seed=3)
    codes = bz.predict(fit, kind="pp", seed=3, labels=False)
    np.testing.assert_array_equal(pp, np.array(["low", "mid", "high"])[codes.astype(int) - 1])
    assert bz.predict(fit, kind="epred").shape == (150, 90, 3)
    d["rating"] = d["code"] + 1
    pp = bz.predict(small_fit("rating ~ x", d, "cumulative"), kind="pp", seed=3)
    assert pp.dtype == float and set(np.unique(pp)) <= {1.0, 2.0, 3.0}
