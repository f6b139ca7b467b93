"""The zoo registry, bz.fit, bz.compare and save/load."""

import json

import numpy as np
import pytest

import bayeszoo as bz
from bayeszoo.models import zoo

REQUIRED = [
    "radon_pooled", "radon_unpooled", "radon_intercept", "radon_intercept_centered",
    "radon_re_smooth", "radon_floor", "radon_uranium", "radon_states",
    "mcycle_cr20", "mcycle_cr50", "mcycle_cr20_fx", "mcycle_tp",
]


def test_registry_has_the_required_models():
    assert set(REQUIRED) <= set(zoo.names())
    assert set(zoo.RUN_MODELS) <= set(zoo.names())
    assert zoo.get("radon_pooled").formula == "log_radon ~ 1"
    assert zoo.get("radon_intercept").formula == "log_radon ~ 1 + (1 | county)"
    assert zoo.get("radon_intercept_centered").parameterization == "centered"
    assert zoo.get("radon_states").dataset == "radon_full"
    assert zoo.get("mcycle_tp").formula == "accel ~ 1 + s(times)"
    assert bz.zoo is zoo


def test_main_job_fits_the_network_with_numpyro_only():
    """``bayeszoo run`` puts mcycle_bnn beside the mcycle spline with NumPyro; PyMC and nutpie
    cannot sample a network term, so their main job leaves it out instead of failing on it."""
    assert {"mcycle_bnn", "mcycle_cr20"} <= set(zoo.run_models("numpyro"))
    for backend in ("pymc", "nutpie"):
        assert "mcycle_bnn" not in zoo.run_models(backend)
        assert "mcycle_cr20" in zoo.run_models(backend)
    for name in zoo.names():
        if zoo.get(name).backends == ("numpyro",):
            assert "nn(" in str(zoo.get(name).formula)


def test_unknown_name_lists_the_names():
    with pytest.raises(KeyError) as err:
        zoo.get("radon_nope")
    msg = str(err.value)
    assert "radon_nope" in msg and "radon_intercept" in msg and "mcycle_cr20" in msg


def test_describe_shows_formula_question_and_twin():
    text = zoo.describe("mcycle_cr20_fx")
    assert 'fx=TRUE' in text and "REML twin" in text and "question" in text
    assert "chains=4" in text


def test_entry_fields_are_complete():
    for e in zoo.entries():
        assert e.description and e.question, e.name
        assert e.dataset in bz.datasets.DATASETS, e.name
        opts = e.sampler_options
        assert {"chains", "draws", "tune", "target_accept"} <= set(opts)


@pytest.mark.parametrize("name", REQUIRED)
def test_every_entry_builds_a_design(name):
    e = zoo.get(name)
    data = e.load_data()
    d = bz.design(e.formula, data)
    assert d.n == len(data) and d.y is not None
    if e.reml_formula:
        bz.design(e.reml_formula, data)
    if e.group:
        assert any(b.kind == "re" for b in d.blocks) or name == "radon_unpooled"
    if e.smooth:
        assert [s.variables for s in d.smooths] == [(e.smooth,)]


def test_unpooled_is_one_column_per_county():
    d = bz.design(zoo.get("radon_unpooled").formula, bz.datasets.load_radon())
    assert d.X.shape == (919, 85) and not d.blocks and "Intercept" not in d.column_names


def test_fit_uses_entry_and_overrides(small_fit):
    idata = small_fit("radon_intercept")
    assert idata.attrs["zoo_name"] == "radon_intercept"
    assert idata.attrs["formula"] == "log_radon ~ 1 + (1 | county)"
    assert idata.posterior.sizes["chain"] == 2 and idata.posterior.sizes["draw"] == 200
    assert "sd_county__Intercept" in idata.posterior
    with pytest.raises(KeyError, match="radon_intercept"):
        bz.fit("no_such_model")


def test_compare_columns_and_edf(small_fit):
    fits = {n: small_fit(n) for n in ("radon_pooled", "radon_intercept")}
    table = bz.compare(fits)
    for col in ("elpd_loo", "se", "elpd_diff", "dse", "p_loo", "edf_total", "edf_total+aux",
                "weight", "k_good", "k_ok", "k_bad", "warning"):
        assert col in table.columns, col
    cols = list(table.columns)
    assert cols.index("edf_total") == cols.index("p_loo") + 1
    assert table.index[0] == "radon_intercept"  # partial pooling wins
    assert table.loc["radon_intercept", "elpd_diff"] == 0
    # REML twin: edf_total 40.57 (mgcv), pooled model: just the intercept
    assert table.loc["radon_intercept", "edf_total"] == pytest.approx(40.56661, abs=1e-3)
    assert table.loc["radon_pooled", "edf_total"] == pytest.approx(1.0, abs=1e-6)
    assert np.allclose(table["edf_total+aux"], table["edf_total"] + 1)
    assert table.loc["radon_intercept", "p_loo"] == pytest.approx(44.5, abs=4)
    n = 919
    assert (table[["k_good", "k_ok", "k_bad"]].sum(axis=1) == n).all()
    # given REML fits are used as they are; reml=False drops the columns
    class Fake:
        edf_total = 7.0
    t2 = bz.compare(fits, reml={"radon_pooled": Fake()})
    assert t2.loc["radon_pooled", "edf_total"] == 7.0
    assert "edf_total" not in bz.compare(fits, reml=False).columns


def test_compare_rejects_different_data(small_fit):
    with pytest.raises(ValueError, match="same data"):
        bz.compare({"a": small_fit("radon_pooled"), "b": small_fit("mcycle_cr20")})
    with pytest.raises(ValueError, match="two fits"):
        bz.compare({"a": small_fit("radon_pooled")})


def test_save_load_round_trip(small_fit, tmp_path):
    import pandas as pd

    idata = small_fit("radon_intercept")
    path = bz.save(idata, tmp_path / "fit.nc")
    back = bz.load(path)
    for group in ("posterior", "sample_stats", "log_likelihood", "observed_data"):
        a, b = getattr(idata, group), getattr(back, group)
        assert set(a.data_vars) == set(b.data_vars), group
        for v in a.data_vars:
            np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=f"{group}.{v}")
    np.testing.assert_array_equal(idata.posterior["r_county"].county.values,
                                  back.posterior["r_county"].county.values)
    for key in ("formula", "priors", "backend", "seed", "zoo_name", "design"):
        assert back.attrs[key] == idata.attrs[key], key
    json.loads(back.attrs["priors"])
    # identical predictions, in-sample and on new data
    np.testing.assert_array_equal(bz.predict(idata), bz.predict(back))
    new = pd.DataFrame({"county": pd.Categorical(["AITKIN", "HENNEPIN"],
                                                 categories=bz.datasets.load_radon()
                                                 .county.cat.categories)})
    np.testing.assert_array_equal(bz.predict(idata, new), bz.predict(back, new))
    np.testing.assert_array_equal(bz.predict(idata, new, kind="pp", seed=3),
                                  bz.predict(back, new, kind="pp", seed=3))


def test_save_load_smooth_predicts_identically(small_fit, tmp_path):
    import pandas as pd

    idata = small_fit("mcycle_cr20")
    back = bz.load(bz.save(idata, tmp_path / "mc.nc"))
    grid = pd.DataFrame({"times": np.linspace(2.4, 57.6, 25)})
    np.testing.assert_array_equal(bz.predict(idata, grid), bz.predict(back, grid))


def test_save_and_load_errors(tmp_path):
    import arviz as az

    with pytest.raises(ValueError, match="bayeszoo.sample"):
        bz.save(az.load_arviz_data("centered_eight"), tmp_path / "x.nc")
    with pytest.raises(FileNotFoundError):
        bz.load(tmp_path / "missing.nc")
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf")
    with pytest.raises(ValueError, match="bad.nc"):
        bz.load(bad)


@pytest.mark.parametrize("name", ["airquality_te", "airquality_t2", "co2_by_type",
                                  "nottem_cyclic"])
def test_smooth2_entries_build_their_designs(name):
    """The entries of issue 16 with their data options and knots (nottem's cyclic month has
    the period 0.5 to 12.5, as mgcv's fixture)."""
    e = zoo.get(name)
    d = bz.design(e.formula, e.load_data(), knots=e.knots)
    assert d.n == {"airquality": 116, "co2": 84, "nottem": 240}[e.dataset]
    assert all(b.sp_labels for b in d.blocks)
    if name == "nottem_cyclic":
        assert e.knots == {"month": (0.5, 12.5)} and "knots:" in zoo.describe(name)
