"""mgcv's automatic side constraints (``gam.side``) and its zeroed aliased coefficients, against
mgcv 1.8-41 (shared/fixtures/mgcv_wave3.json: ``mtcars_side_nested``, ``mtcars_side_by``).

* ``s(hp) + s(wt) + s(hp, wt)``: ``gam.side`` deletes the two columns of the centred
  ``s(hp, wt)`` basis that ``[1, s(hp), s(wt)]`` already spans; 7 of 9 are left.
* ``s(hp) + s(wt, by = hp)``: ``gam.side`` sees no shared variable (``wthp``), so the design is
  rank 9 of 10 and mgcv's fit zeroes the intercept; the design leaves it out (REML reports 0).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, SHARED

import bayeszoo as bz
from bayeszoo.penalized import reml


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((FIXTURES / "mgcv_wave3.json").read_text())


@pytest.fixture(scope="module")
def mtcars() -> pd.DataFrame:
    return pd.read_csv(SHARED / "data" / "mtcars.csv")


def fit_quietly(formula: str, data: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return reml(formula, data)


def side_dropped(fit) -> list[list[int]]:
    """mgcv's ``attr(sm, "del.index")`` (1-based) of every smooth of the fit."""
    return [[i + 1 for i in sm.state["side_dropped"]] for sm in fit.design.smooths
            if sm.state is not None]


def mgcv_names(names: list[str]) -> list[str]:
    return ["Intercept" if n == "(Intercept)" else n for n in names]


def assert_matches_mgcv(fit, entry: dict, edf_tol: float) -> None:
    assert fit.reml_score == pytest.approx(entry["reml"], rel=1e-8)
    np.testing.assert_allclose(fit.fitted, entry["fitted"], rtol=1e-5)
    for term, edf in entry["edf_terms"].items():
        assert fit.edf[term] == pytest.approx(edf, rel=edf_tol), term
    assert fit.edf_total == pytest.approx(entry["edf_total"], rel=edf_tol)


def test_nested_smooth_loses_the_columns_gam_side_deletes(ref, mtcars):
    """REML score to 1e-8; mgcv's sp are 1e-4 from the optimum here (the criterion is flat:
    the scores agree to 1e-11), hence edf to 1e-4 and fitted values to 1e-5."""
    entry = ref["mtcars_side_nested"]
    fit = fit_quietly(entry["formula"], mtcars)
    assert_matches_mgcv(fit, entry, edf_tol=1e-4)
    assert side_dropped(fit) == [[], [], entry["side_dropped"][0]] == [[], [], [9, 8]]
    coef = fit.mgcv_coef()
    assert list(coef.index) == mgcv_names(entry["coef_names"])
    for term, k in entry["smooth_ncoef"].items():
        assert sum(n.startswith(f"{term}.") for n in coef.index) == k
    assert fit.design.aliased == ()


def test_by_smooth_aliased_with_the_intercept_fits_as_mgcv(ref, mtcars):
    entry = ref["mtcars_side_by"]
    with pytest.warns(UserWarning, match=r"column\(s\) \['Intercept'\] are linear combinations"):
        fit = reml(entry["formula"], mtcars)
    assert_matches_mgcv(fit, entry, edf_tol=1e-6)
    assert side_dropped(fit) == [[], []]
    assert fit.design.aliased == ("Intercept",)
    assert fit.design.column_names == ["shp_1", "swt:hp_1", "swt:hp_2"]
    coef = fit.mgcv_coef()
    assert list(coef.index) == mgcv_names(entry["coef_names"])
    assert entry["coef_zeroed"] == ["(Intercept)"] and coef["Intercept"] == 0.0
    # mgcv's Mp counts the zeroed column: it sets the scale at the REML optimum
    assert fit.scale == pytest.approx(entry["scale"], rel=1e-6)
    assert fit.null_deviance == pytest.approx(entry["null_deviance"], rel=1e-12)


def test_predictions_on_new_data_use_the_fitted_columns(ref, mtcars):
    for key in ("mtcars_side_by", "mtcars_side_nested"):
        fit = fit_quietly(ref[key]["formula"], mtcars)
        rows = mtcars.iloc[[3, 0, 17, 30]].reset_index(drop=True)
        np.testing.assert_allclose(fit.predict(rows), fit.fitted[[3, 0, 17, 30]], rtol=1e-10)


def test_fix_dependence_names_the_dependent_column():
    """``fixDependence(X1, X2)``: the column of ``X2`` in the span of ``[X1, other columns]``."""
    from bayeszoo.formula.side import fix_dependence

    rng = np.random.default_rng(3)
    X1 = np.column_stack([np.ones(40), rng.normal(size=40)])
    X2 = np.column_stack([rng.normal(size=40), 2 * X1[:, 1] - 3.0, rng.normal(size=40)])
    assert fix_dependence(X1, X2) == [1]
    assert fix_dependence(X1, X2[:, [0, 2]]) == []


def test_error_kept_where_mgcv_fails_too(mtcars):
    """A by= variable that is all zero makes every column of its smooth zero; mgcv's fit stops
    (``gam.reparam``: NA/NaN/Inf), and the design names the term and the variable."""
    df = mtcars.assign(zero=0.0)
    with pytest.raises(ValueError, match=r"by = zero, k = 5\): its by= variable 'zero' is zero "
                                         r"in every row.*not identifiable"):
        reml("mpg ~ s(hp, k = 5) + s(wt, by = zero, k = 5)", df)


def test_side_constraints_refused_with_the_term_named(mtcars):
    """mgcv sets side constraints on penalty-augmented matrices when the model has more
    coefficients than rows, and keeps a smooth that loses every penalized column; both are
    refused here, naming the term."""
    with pytest.raises(ValueError, match=r"s\(hp,wt\) shares covariates with earlier smooths, "
                                         r"and the model has more coefficients than its 32 rows"):
        bz.design("mpg ~ s(hp, k=10) + s(wt, k=10) + s(hp, wt, k=20)", mtcars)
    with pytest.warns(UserWarning, match="repeated 1-d smooths"), \
            pytest.raises(ValueError, match=r"s\(hp\): the side constraints .* leave one of its "
                                            r"penalties zero"):
        bz.design("mpg ~ s(hp, k=5) + s(hp, k=4)", mtcars)
    with pytest.raises(ValueError, match=r"s\(hp, k=5\): the block shp_1/None appears twice"):
        bz.design("mpg ~ s(hp, k=5) + s(hp, k=5)", mtcars)


@pytest.mark.parametrize("key", ["mtcars_side_by", "mtcars_side_nested"])
def test_sampler_models_build_on_a_full_rank_design(ref, mtcars, key):
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        d = bz.design(ref[key]["formula"], mtcars)
    full = np.column_stack([d.X, *(b.Z for b in d.blocks)])
    assert np.linalg.matrix_rank(full) == full.shape[1] == ref[key]["model_matrix_rank"]
    built = build_numpyro(d)
    info = initialize_model(jax.random.PRNGKey(0), built.model, model_args=(built.data,))
    assert np.isfinite(float(info.potential_fn(info.param_info.z)))
    assert ("Intercept" in {s.name for s in built.spec.sites}) == (key == "mtcars_side_nested")
    from bayeszoo.models.pymc import build_pymc

    pm_model = build_pymc(d).model
    assert {v.name for v in pm_model.free_RVs} >= {b.names.scales[0].name for b in d.blocks}


@pytest.mark.slow
@pytest.mark.parametrize("key", ["mtcars_side_by", "mtcars_side_nested"])
def test_numpyro_at_remls_scales_gives_mgcvs_fit(ref, mtcars, key):
    """With the sds and sigma held (tight priors) at mgcv's ``sqrt(scale / sp)`` and
    ``sqrt(scale)``, the posterior mean function is mgcv's REML fit within 2 % of its range."""
    entry = ref[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        d = bz.design(entry["formula"], mtcars)
    priors = {b.names.scales[0].name:
              f"lognormal({np.log(np.sqrt(entry['scale'] / entry['sp'][b.term])):.6f}, 0.01)"
              for b in d.blocks}
    priors["sigma"] = f"lognormal({np.log(np.sqrt(entry['scale'])):.6f}, 0.01)"
    fit = bz.sample(d, chains=2, draws=300, tune=300, seed=1, priors=priors, progress=False)
    fitted = np.array(entry["fitted"])
    mean = np.asarray(bz.predict(fit)).mean(axis=0)
    assert np.max(np.abs(mean - fitted)) < 0.02 * np.ptp(fitted)
    assert int(fit.sample_stats["diverging"].sum()) == 0
