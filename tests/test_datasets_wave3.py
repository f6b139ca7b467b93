"""The third wave's bundled datasets (bioChemists, kidney, housing, inhaler, LakeHuron, loss,
BTdata): the shipped bytes are the shared reference copies, shapes and dtypes as loaded, R's
factor levels (the levels the brms 2.18 fixtures were fitted with) and a few published facts."""

import hashlib
import json
import re
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, ROOT, SHARED, run_cli

import bayeszoo as bz

WAVE3 = ("biochemists", "kidney", "housing", "inhaler", "lakehuron", "loss", "btdata")
SHAPES = {"biochemists": (915, 6), "kidney": (76, 7), "housing": (72, 5), "inhaler": (572, 5),
          "lakehuron": (98, 2), "loss": (55, 4), "btdata": (828, 7)}
README = ROOT / "bayeszoo" / "datasets" / "README.md"


def shipped(name: str) -> bytes:
    return (resources.files("bayeszoo.datasets") / "data" / name).read_bytes()


@pytest.mark.parametrize("name", WAVE3)
def test_shipped_file_is_the_shared_copy(name):
    assert shipped(f"{name}.csv") == (SHARED / "data" / f"{name}.csv").read_bytes()


def test_readme_checksums_are_the_shipped_files():
    """Every ``name.csv sha256`` pair of the README holds for the file inside the package, and
    every bundled CSV has one."""
    sums = dict(re.findall(r"`([\w.]+\.csv)` ([0-9a-f]{64})", README.read_text()))
    assert set(WAVE3) <= {n.removesuffix(".csv") for n in sums}
    bundled = {p.name for p in (resources.files("bayeszoo.datasets") / "data").iterdir()
               if p.name.endswith(".csv")}
    assert set(sums) == bundled
    for file, digest in sums.items():
        assert hashlib.sha256(shipped(file)).hexdigest() == digest, file


@pytest.mark.parametrize("name", WAVE3)
def test_loader_shape_and_registry(name):
    loader = getattr(bz.datasets, f"load_{name}")
    assert bz.datasets.DATASETS[name]["loader"] is loader
    df = loader()
    assert df.shape == SHAPES[name]
    assert not df.isna().any().any()
    assert bz.datasets.read_table(name).equals(df)


def brms_levels(case: str) -> dict:
    return json.loads((FIXTURES / "brms_wave3.json").read_text())[case]["levels"]


@pytest.mark.parametrize("name, case", [
    ("biochemists", "biochemists_zip"), ("kidney", "kidney_weibull_cens_re"),
    ("housing", "housing_categorical_weights"), ("inhaler", "inhaler_cumulative_re"),
    ("loss", "loss_nonlinear"), ("btdata", "btdata_mv_rescor"),
])
def test_factor_levels_are_the_ones_brms_used(name, case):
    df = bz.datasets.DATASETS[name]["loader"]()
    for col, spec in brms_levels(case).items():
        assert isinstance(df[col].dtype, pd.CategoricalDtype), (name, col)
        assert [str(v) for v in df[col].cat.categories] == spec["levels"], (name, col)


def test_biochemists_counts():
    d = bz.datasets.load_biochemists()
    assert d.art.dtype.kind == d.kid5.dtype.kind == d.ment.dtype.kind == "i"
    assert d.phd.dtype.kind == "f"
    assert int((d.art == 0).sum()) == 275 and d.art.max() == 19
    assert d.art.mean() == pytest.approx(1.692896, abs=1e-6)
    assert d.fem.value_counts()[["Men", "Women"]].tolist() == [494, 421]


def test_kidney_censoring_and_factors():
    d = bz.datasets.load_kidney()
    assert d.time.dtype.kind == "i" and set(d.censored) == {0, 1} and d.censored.sum() == 18
    assert d.patient.value_counts().eq(2).all() and len(d.patient.cat.categories) == 38
    assert list(d.sex.cat.categories) == ["male", "female"] and not d.sex.cat.ordered
    assert list(d.disease.cat.categories) == ["other", "GN", "AN", "PKD"]
    assert d.disease.value_counts()[["other", "GN", "AN", "PKD"]].tolist() == [26, 18, 24, 8]


def test_housing_is_an_ordered_frequency_table():
    d = bz.datasets.load_housing()
    assert d.Sat.cat.ordered and list(d.Sat.cat.categories) == ["Low", "Medium", "High"]
    assert (d.Sat.min(), d.Sat.max()) == ("Low", "High")
    for col in ("Infl", "Type", "Cont"):
        assert not d[col].cat.ordered, col
    assert d.Freq.sum() == 1681 and (d.Freq.min(), d.Freq.max()) == (3, 86)
    assert len(d.groupby(["Infl", "Type", "Cont"], observed=True)) == 24


def test_inhaler_rating_is_ordered():
    d = bz.datasets.load_inhaler()
    assert d.rating.cat.ordered and list(d.rating.cat.categories) == [1, 2, 3, 4]
    assert d.rating.value_counts().sort_index().tolist() == [358, 189, 17, 8]
    assert len(d.subject.cat.categories) == 286 and d.subject.value_counts().eq(2).all()
    assert set(d.treat) == set(d.period) == {-0.5, 0.5} and set(d.carry) == {-1, 0, 1}


def test_lakehuron_loss_btdata():
    lake = bz.datasets.load_lakehuron()
    assert lake.year.tolist() == list(range(1875, 1973))
    assert lake.level.mean() == pytest.approx(579.004082, abs=1e-6)
    loss = bz.datasets.load_loss()
    assert loss.AY.value_counts().sort_index().tolist() == list(range(10, 0, -1))
    assert loss.dev.dtype.kind == "i" and loss.cum.max() == pytest.approx(5339.085)
    bt = bz.datasets.load_btdata()
    assert bt.sex.value_counts()[["Fem", "Male", "UNK"]].tolist() == [373, 408, 47]
    assert (bt.dam.nunique(), bt.fosternest.nunique(), bt.animal.nunique()) == (106, 104, 828)
    np.testing.assert_allclose(bt[["tarsus", "back"]].mean(), 0.0, atol=1e-12)


def test_cli_lists_them():
    out = run_cli("datasets").stdout
    lines = {ln.split()[0]: ln.split()[1:3] for ln in out.splitlines()
             if ln and not ln.startswith(" ")}
    for name in WAVE3:
        assert lines[name] == [str(n) for n in SHAPES[name]], name
