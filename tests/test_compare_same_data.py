"""bz.compare ranks fits of the same observations only: the same response values, trials,
weights and rows (the data columns both fits stored), and a weighing method arviz knows."""

import json

import arviz as az
import numpy as np
import pytest

import bayeszoo as bz


def fit_of(y, columns=None, trials=None, weights=None, seed=0):
    """An InferenceData as bayeszoo.sample lays it out: pointwise log-likelihood, observed
    response, the response's additions and the stored data columns (named in attrs)."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y, dtype=float)
    constant = {k: np.asarray(v, dtype=float) for k, v in (("design__trials", trials),
                                                           ("design__weights", weights))
                if v is not None}
    meta = {"y": {"dtype": "float64", "observed": True}}
    for name, values in (columns or {}).items():
        constant[name] = np.asarray(values)
        meta[name] = {"dtype": "float64"}
    idata = az.from_dict(
        posterior={"b_Intercept": rng.normal(size=(2, 50))},
        log_likelihood={"y": rng.normal(-1.0, 0.1, size=(2, 50, y.size))},
        observed_data={"y": y}, constant_data=constant,
        dims={"y": ["obs"], **{k: ["obs"] for k in constant}})
    idata.attrs["data_columns"] = json.dumps(meta)
    return idata


Y = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
X = np.arange(8.0)


def test_fits_of_other_rows_with_the_same_responses_are_refused():
    """First half against second half of a data set whose response repeats: the responses
    agree, the rows do not."""
    a = fit_of(Y, {"x": X})
    b = fit_of(Y, {"x": X + 8}, seed=1)
    with pytest.raises(ValueError, match=r"^LOO compares models of the same data; 'first' and "
                       r"'second' have the same observed values but different values of column "
                       r"'x' \(row 0: 0.0 and 8.0\), so they were fitted to different rows or "
                       r"data; fit both to the same rows of the same data frame$"):
        bz.compare({"first": a, "second": b}, reml=False)


def test_binomial_fits_with_other_trials_are_refused():
    a = fit_of(Y, trials=np.full(8, 10))
    b = fit_of(Y, trials=[10] * 7 + [12], seed=1)
    with pytest.raises(ValueError, match=r"'a' and 'b' have the same observed values but "
                       r"different trials \(row 7: 10 and 12\)"):
        bz.compare({"a": a, "b": b}, reml=False)


def test_a_weighted_and_an_unweighted_fit_are_refused():
    a = fit_of(Y)
    b = fit_of(Y, weights=[1.0] * 6 + [2.0, 2.0], seed=1)
    with pytest.raises(ValueError, match=r"different weights \(row 6: 1 and 2\)"):
        bz.compare({"a": a, "b": b}, reml=False)


def test_models_of_the_same_rows_with_other_covariates_are_ranked():
    a = fit_of(Y, {"x": X})
    b = fit_of(Y, {"x": X, "z": X ** 2}, seed=1)
    table = bz.compare({"a": a, "b": b}, reml=False)
    assert sorted(table.index) == ["a", "b"] and table["weight"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["bogus", "", None, 1])
def test_an_unknown_weighing_method_is_refused_naming_the_allowed_ones(method):
    a, b = fit_of(Y), fit_of(Y, seed=1)
    with pytest.raises(ValueError, match=r"^method must be one of 'stacking', 'BB-pseudo-BMA', "
                       rf"'pseudo-BMA' \(how arviz weighs the models\), got {method!r}$"):
        bz.compare({"a": a, "b": b}, reml=False, method=method)


def test_the_weighing_methods_are_taken_in_any_case():
    a, b = fit_of(Y), fit_of(Y, seed=1)
    table = bz.compare({"a": a, "b": b}, reml=False, method="pseudo-bma")
    assert table["weight"].sum() == pytest.approx(1.0)
