"""The mixed-model columns of every smooth class brms accepts, against brms 2.18's
``make_standata`` (``tests/fixtures/brms_smooth_standata.json``, written by
``brms_smooth_standata.R`` beside it): ``s()`` with cr, tp, ps and cc bases, the 2-D thin plate
``s(x, z)``, ``by=`` a factor and a number, and ``t2()``, on five public data sets each.

The design's unpenalized columns (brms's ``Xs``: the ``bs_`` parameters, with brms's names) and
its penalized blocks (``Zs_<i>_<j>``, in brms's order) equal brms's to 1e-8 up to the sign of
each column; the two unpenalized columns of a 2-D thin plate span brms's two. Signs (and that
rotation) are left out because they are not a property of the smooth: brms takes them from
LAPACK's eigenvectors of the penalty (mgcv's ``nat.param``), whose signs follow rounding-level
differences in the penalty. The fixture's ``rescaled`` entries show it on brms alone: the same
``s(x, bs = "cr", k = 10)`` with the covariate in other units has the same ``Xs`` column up to
1e-11, with its sign flipped for some units and not for others.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

import bayeszoo as bz

FIXTURE = Path(__file__).parent / "fixtures" / "brms_smooth_standata.json"
TOL = 1e-8


def load_fixture() -> dict:
    return json.loads(FIXTURE.read_text())


REF = load_fixture()
CASES = {case["id"]: case for case in REF["cases"]}


def read_data(name: str) -> pd.DataFrame:
    """The data set as the R script reads it: strings as factors with sorted levels, rows with
    any missing value ("NA" or "") dropped."""
    df = pd.read_csv(SHARED / "data" / f"{name}.csv", na_values=["NA", ""])
    df = df.dropna().reset_index(drop=True)
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = pd.Categorical(df[col], categories=sorted(df[col].unique()))
    return df


def columns(cols: list) -> np.ndarray:
    return np.array(cols, dtype=float).T


def zs_order(name: str) -> tuple[int, ...]:
    return tuple(int(i) for i in name.split("_")[1:])


def sign_free_error(ours: np.ndarray, ref: np.ndarray) -> float:
    """Largest difference of a column from brms's, relative to brms's column, after giving each
    column brms's sign."""
    assert ours.shape == ref.shape
    if ref.size == 0:
        return 0.0
    signs = np.sign(np.sum(ours * ref, axis=0))
    return float(np.max(np.abs(ours * signs - ref) / np.max(np.abs(ref), axis=0)))


def span_error(ours: np.ndarray, ref: np.ndarray) -> float:
    """Largest residual of brms's columns projected on ours (and back), relative to the column."""
    def resid(A, B):
        coef = np.linalg.lstsq(A, B, rcond=None)[0]
        return np.max(np.abs(A @ coef - B) / np.max(np.abs(B), axis=0))
    return float(max(resid(ours, ref), resid(ref, ours)))


@pytest.fixture(scope="module")
def designs() -> dict:
    return {cid: bz.design(case["formula"], read_data(case["data"])) for cid, case in CASES.items()}


def test_fixture_covers_every_class_on_five_data_sets():
    per_class: dict[str, set] = {}
    for case in CASES.values():
        per_class.setdefault(case["class"], set()).add(case["data"])
    assert {cls: len(sets) for cls, sets in per_class.items()} == {
        "cr": 5, "tp": 5, "ps": 5, "cc": 5, "tp2d": 5, "by_factor": 5, "by_numeric": 5, "t2": 5}


@pytest.mark.parametrize("cid", list(CASES))
def test_fixed_columns_and_blocks_are_brms_up_to_sign(cid, designs):
    case, d = CASES[cid], designs[cid]
    assert d.n == case["n"]
    (sm,) = d.smooths
    assert [d.column_names[i] for i in sm.fixed_columns] == case["Xs_names"]
    assert [d.fixed_params[i] for i in sm.fixed_columns] == ["bs_" + n for n in case["Xs_names"]]
    Xf = d.X[:, sm.fixed_columns]
    Xs = columns(case["Xs"]) if case["Xs"] else np.zeros((d.n, 0))
    if case["class"] == "tp2d":
        assert Xf.shape == Xs.shape == (d.n, 2)
        assert span_error(Xf, Xs) < TOL
    else:
        assert sign_free_error(Xf, Xs) < TOL
    refs = [columns(case["Zs"][name]) for name in sorted(case["Zs"], key=zs_order)]
    ours = [np.asarray(d.blocks[i].matrix) for i in sm.blocks]
    assert len(ours) == len(refs)
    for Z, ref in zip(ours, refs, strict=True):
        assert sign_free_error(Z, ref) < TOL


def rescaled_groups() -> dict:
    groups: dict = {}
    for entry in REF["rescaled"]:
        groups.setdefault((entry["data"], entry["variable"]), []).append(entry)
    return groups


def test_brms_sign_of_a_cr_null_column_changes_with_the_covariates_units():
    """brms's ``Xs`` of ``s(x, bs = "cr", k = 10)`` for x in other units: equal in absolute
    value, opposite in sign for some units (mcycle at x * 7 and x * 0.1, airquality at x * 3
    and x * 0.1, nottem at x * 3)."""
    flipped = {}
    for (name, _), entries in rescaled_groups().items():
        base = next(columns(e["Xs"]) for e in entries if e["multiplier"] == 1)
        for e in entries:
            Xs = columns(e["Xs"])
            assert sign_free_error(Xs, base) < 1e-11
            if np.sum(Xs * base) < 0:
                flipped.setdefault(name, []).append(e["multiplier"])
    assert flipped == {"mcycle": [7, 0.1], "airquality": [3, 0.1], "nottem": [3]}


@pytest.mark.parametrize("key", list(rescaled_groups()), ids=lambda k: k[0])
def test_rescaled_cr_columns_are_brms_up_to_sign(key):
    name, var = key
    data = read_data(name)
    for e in rescaled_groups()[key]:
        scaled = data.assign(**{var: data[var] * e["multiplier"]})
        d = bz.design(e["formula"], scaled)
        (sm,) = d.smooths
        assert sign_free_error(d.X[:, sm.fixed_columns], columns(e["Xs"])) < TOL
