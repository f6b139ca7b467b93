"""mgcv-compatible smooth bases against mgcv 1.8-41 output (shared/fixtures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayeszoo import smooths
from bayeszoo.datasets import load_mcycle

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def _upto_sign(A, B):
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    s = np.sign(np.sum(A * B, axis=0))
    s[s == 0] = 1
    return np.max(np.abs(A * s - B))


@pytest.fixture(scope="module")
def times():
    return load_mcycle()["times"].to_numpy()


@pytest.fixture(scope="module")
def cr20(times):
    return smooths.smooth(times, bs="cr", k=20, variable="times")


def test_cr_knots_and_raw_basis(mgcv_ref, times, cr20):
    u = mgcv_ref["mcycle_cr_k20_unconstrained"]
    assert np.max(np.abs(cr20.raw.knots - np.array(u["knots"]))) < 1e-10
    assert np.max(np.abs(cr20.X - np.array(u["X"]))) < 1e-8
    # the fixture's unconstrained S is mgcv's sm$S[[1]], i.e. already divided by S.scale
    assert abs(cr20.S_scale - u["S_scale"]) < 1e-8 * u["S_scale"]
    assert np.max(np.abs(cr20.S / cr20.S_scale - np.array(u["S"]))) < 1e-8


def test_cr_absorb_cons(mgcv_ref, cr20):
    c = mgcv_ref["mcycle_cr_k20"]
    assert _upto_sign(cr20.Xc, c["X"]) < 1e-8
    assert np.max(np.abs(cr20.Sc - np.array(c["S"]))) < 1e-8
    assert cr20.rank == c["rank"] and cr20.null_space_dim == c["null_space_dim"]
    assert abs(cr20.S_scale - c["S_scale"]) < 1e-8 * c["S_scale"]


def test_cr_predict(mgcv_ref, cr20):
    p = mgcv_ref["mcycle_cr_k20_predict"]
    assert _upto_sign(cr20.constrained_matrix(p["times"]), p["X"]) < 1e-8


def test_cr_extrapolates_linearly(cr20):
    lo, hi = cr20.raw.knots[0], cr20.raw.knots[-1]
    for edge, step in ((lo, -1.0), (hi, 1.0)):
        xs = edge + step * np.array([0.0, 1.0, 2.0, 5.0])
        B = cr20.raw_matrix(xs)
        d1 = B[1] - B[0]
        assert np.allclose(B[2] - B[1], d1) and np.allclose(B[3] - B[0], 5 * d1)
        # slope continuous at the end knot
        eps = 1e-6
        inside = cr20.raw_matrix([edge - step * eps])[0]
        assert np.allclose((B[0] - inside) / eps, d1, atol=1e-4)


def test_cr_diagonal_and_smooth2random(mgcv_ref, cr20):
    dg = mgcv_ref["mcycle_cr_k20_diagonal"]
    assert _upto_sign(cr20.Xc @ cr20.P, dg["X"]) < 1e-6
    P = cr20.P
    D = P.T @ cr20.Sc @ P
    assert np.allclose(D, np.array(dg["S"]), atol=1e-8)
    r = mgcv_ref["mcycle_cr_k20_smooth2random"]
    assert _upto_sign(cr20.Xf, r["Xf"]) < 1e-6
    assert _upto_sign(cr20.Zr, r["Zr"]) < 1e-6


def test_cr_matches_brms_Xs_Zs(cr20):
    Xs = pd.read_csv(FIXTURES / "brms_mcycle_k20_Xs.csv").to_numpy()
    Zs = pd.read_csv(FIXTURES / "brms_mcycle_k20_Zs.csv").to_numpy()
    assert _upto_sign(cr20.Xf, Xs) < 1e-8
    assert _upto_sign(cr20.Zr, Zs) < 1e-8


def test_reml_offset_definition(cr20):
    # Xf = Xc U_f C_f with U_f an orthonormal null-space basis of Sc; offset = -log|det C_f|
    w, V = np.linalg.eigh(cr20.Sc)
    Uf = V[:, np.abs(w) < 1e-10 * w.max()]
    Cf = np.linalg.lstsq(cr20.Xc @ Uf, cr20.Xf, rcond=None)[0]
    assert np.allclose(cr20.Xc @ Uf @ Cf, cr20.Xf)
    assert np.isclose(cr20.reml_offset, -np.log(abs(np.linalg.det(Cf))))


def test_split_on_new_data(cr20, times):
    Xf, Zr = cr20.split(times)
    assert np.allclose(Xf, cr20.Xf) and np.allclose(Zr, cr20.Zr)


def test_eigen_order_helper():
    assert list(smooths.mgcv_diagonal_eigen_order([1, 1, 1, 0])) == [0, 2, 1, 3]
    assert list(smooths.mgcv_diagonal_eigen_order([1, 1, 1])) == [2, 1, 0]
