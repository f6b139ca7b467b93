"""Formula -> Design."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


@pytest.fixture(scope="module")
def radon():
    return bz.datasets.load_radon()


@pytest.fixture(scope="module")
def mcycle():
    return bz.datasets.load_mcycle()


def test_random_intercept(radon):
    d = bz.design("log_radon ~ 1 + (1 | county)", radon)
    assert d.column_names == ["Intercept"]
    assert np.all(d.X == 1) and np.allclose(d.y, radon["log_radon"])
    (b,) = d.blocks
    assert (b.name, b.kind, b.coef, b.term) == ("county", "re", "Intercept", "(1 | county)")
    assert b.Z.shape == (919, 85) and b.labels[0] == "AITKIN"
    assert np.all(b.Z.sum(axis=1) == 1)
    assert np.all(b.Z[np.arange(919), b.index] == b.weights) and np.all(b.weights == 1)
    assert list(b.labels) == list(radon["county"].cat.categories)


def test_re_smooth_equals_random_intercept(radon):
    d1 = bz.design("log_radon ~ 1 + (1 | county)", radon)
    d2 = bz.design('log_radon ~ 1 + s(county, bs="re")', radon)
    assert np.array_equal(d1.X, d2.X) and d1.column_names == d2.column_names
    b1, b2 = d1.blocks[0], d2.blocks[0]
    assert np.array_equal(b1.Z, b2.Z) and b1.labels == b2.labels
    assert (b2.name, b2.kind, b2.coef, b2.term) == ("county", "re", "Intercept", "s(county)")
    assert np.array_equal(b1.index, b2.index)
    assert d2.smooths[0].block == 0 and d2.smooths[0].fixed_columns == []


def test_fixed_and_random(radon):
    d = bz.design("log_radon ~ floor + (1|county)", radon)
    assert d.column_names == ["Intercept", "floor"]
    assert np.allclose(d.X[:, 1], radon["floor"])
    assert d.blocks[0].term == "(1 | county)"


def test_cr_smooth_design(mcycle):
    d = bz.design("accel ~ 1 + s(times, bs='cr', k=20)", mcycle)
    assert d.column_names == ["Intercept", "stimes_1"]
    (b,) = d.blocks
    assert (b.name, b.kind, b.coef, b.term) == ("stimes_1", "smooth", None, "s(times)")
    assert b.Z.shape == (133, 18) and b.labels == [str(i) for i in range(1, 19)]
    assert b.sp is None and b.reml_offset != 0
    Xs = pd.read_csv(FIXTURES / "brms_mcycle_k20_Xs.csv").to_numpy()
    Zs = pd.read_csv(FIXTURES / "brms_mcycle_k20_Zs.csv").to_numpy()
    s = np.sign(np.sum(b.Z * Zs, axis=0))
    assert np.max(np.abs(b.Z * s - Zs)) < 1e-8
    s = np.sign(np.sum(d.X[:, 1:] * Xs, axis=0))
    assert np.max(np.abs(d.X[:, 1:] * s - Xs)) < 1e-8
    (si,) = d.smooths
    assert (si.term, si.variable, si.bs, si.fixed_columns, si.block) == (
        "s(times)", "times", "cr", [1], 0)


def test_cr_for_newdata_same_rows(mcycle):
    d = bz.design("accel ~ 1 + s(times, bs='cr', k=20)", mcycle)
    nd = d.for_newdata(mcycle.drop(columns="accel"))
    assert nd.y is None
    assert np.allclose(nd.X, d.X) and np.allclose(nd.blocks[0].Z, d.blocks[0].Z)
