"""The ``t2`` row of ``RemlFit.summary()``'s smooth table against mgcv 1.8-41's ``summary.gam``
(``tests/fixtures/mgcv_summary.json``, ``air_t2``).

mgcv tests a ``t2`` term with ``R`` (``R'R = X'WX``) in its fitting parameterization but the
coefficients and ``Vp`` in its prediction parameterization (``estimate.gam`` moves only those by
``G$P``), so the statistic depends on the signs of the basis columns, and those follow LAPACK's
eigenvectors of each margin's penalty in ``nat.param``: the null-space direction that is linear
in the covariate comes out increasing or decreasing with rounding-level changes of the penalty.
Given mgcv's direction for each margin (its model matrix is then mgcv's column for column), the
table is mgcv's: to rounding at mgcv's smoothing parameters
(``shared/fixtures/mgcv_smooths2.json``), and to the tolerance of the other smooths at the
estimated ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES

import bayeszoo as bz
from bayeszoo.smooths import SmoothSpec, tensor
from bayeszoo.smooths.construct import smooth_con
from bayeszoo.smooths.core import constraint_null_space
from bayeszoo.smooths.natparam import nat_param

REF = json.loads((Path(__file__).parent / "fixtures" / "mgcv_summary.json").read_text())["air_t2"]
SMOOTHS = json.loads((FIXTURES / "mgcv_smooths2.json").read_text())["air_t2"]
FORMULA = "Ozone ~ t2(Temp, Wind, k = 5)"
#: mgcv's null-space columns of the margins Temp and Wind: the constant one negative, the linear
#: one decreasing in Temp and increasing in Wind
MGCV_DIRECTIONS = (-1.0, 1.0)


def orient(monkeypatch, directions: tuple[float, float]) -> None:
    """``nat.param`` with the null-space columns of the t2 margins (in order) given set signs:
    the constant column negative, the linear one increasing (1) or decreasing (-1) in the
    covariate, read from its coefficients on the ``cr`` margin's knots (function values at
    increasing knots)."""
    left = iter(directions)

    def oriented(X, S, rank=None, type=0, unit_fnorm=True):
        out = nat_param(X, S, rank=rank, type=type, unit_fnorm=unit_fnorm)
        const, lin = out.rank, out.rank + 1
        flips = {const: np.sign(out.P[0, const]) != -1,
                 lin: np.sign(out.P[-1, lin] - out.P[0, lin]) != next(left)}
        for j, flip in flips.items():
            if flip:
                out.X[:, j] *= -1
                out.P[:, j] *= -1
        return out

    monkeypatch.setattr(tensor, "nat_param", oriented)


@pytest.fixture
def mgcv_signs(monkeypatch):
    orient(monkeypatch, MGCV_DIRECTIONS)


def air():
    return bz.datasets.load_airquality(dropna=True)


def table(ref: dict) -> np.ndarray:
    return np.array(ref["values"], dtype=float)


def test_with_mgcvs_signs_the_model_matrix_is_mgcvs(mgcv_signs):
    sc = smooth_con(SmoothSpec("t2", ("Temp", "Wind"), k=5), air())
    Xp = sc.raw.X @ constraint_null_space(sc.raw.X.sum(axis=0))
    mm = np.array(SMOOTHS["model_matrix"])[:, 1:]
    assert np.max(np.abs(Xp - mm)) < 1e-10 * np.max(np.abs(mm))


def test_at_mgcvs_smoothing_parameters_the_table_is_mgcvs(mgcv_signs):
    s = bz.reml(FORMULA, air(), sp=SMOOTHS["sp"]).summary()
    np.testing.assert_allclose(s.s_table.to_numpy(), table(REF["s_table"]), rtol=1e-6)
    np.testing.assert_allclose(s.p_table.to_numpy(), table(REF["p_table"]), rtol=1e-6)


def test_at_estimated_smoothing_parameters_the_table_is_mgcvs(mgcv_signs):
    """The tolerances of ``test_reml_summary.test_tables_match_mgcv``; the estimated ``rn``
    smoothing parameter is on a flat tail of the criterion (``test_smooths2_reml``)."""
    ours = bz.reml(FORMULA, air()).summary().s_table.to_numpy()
    theirs = table(REF["s_table"])
    np.testing.assert_allclose(ours[:, 0], theirs[:, 0], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(ours[:, 1:3], theirs[:, 1:3], rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(ours[:, 3], theirs[:, 3], atol=1e-3)


@pytest.mark.parametrize("directions", [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0)])
def test_other_signs_give_other_statistics(monkeypatch, directions):
    """mgcv's own statistic for the same fit in a basis whose linear null-space columns point
    the other way: edf, Ref.df and p-value unchanged, F up to 6 % away (which of these a fit
    gets follows LAPACK's eigenvector signs, in mgcv as here)."""
    orient(monkeypatch, directions)
    ours = bz.reml(FORMULA, air(), sp=SMOOTHS["sp"]).summary().s_table.to_numpy()[0]
    theirs = table(REF["s_table"])[0]
    np.testing.assert_allclose(ours[[0, 1, 3]], theirs[[0, 1, 3]], rtol=1e-6, atol=1e-12)
    assert 1e-3 < abs(ours[2] / theirs[2] - 1) < 0.06
