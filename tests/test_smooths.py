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


def test_cr_smallest_basis(times):
    """k = 3 (mgcv's minimum for cr) is a natural cubic spline with one interior knot: it
    interpolates the knot values, reproduces straight lines and penalizes only curvature;
    k = 2 is raised to 3 with a warning, as mgcv does."""
    cr3 = smooths.smooth(times, bs="cr", k=3, variable="times")
    knots = cr3.raw.knots
    np.testing.assert_allclose(cr3.raw_matrix(knots), np.eye(3), atol=1e-12)
    line = 2.0 - 0.5 * knots
    np.testing.assert_allclose(cr3.raw_matrix(times) @ line, 2.0 - 0.5 * times, atol=1e-10)
    assert abs(line @ cr3.raw.S @ line) < 1e-10 and cr3.rank == 1
    with pytest.warns(UserWarning, match="increased to 3"):
        cr2 = smooths.smooth(times, bs="cr", k=2, variable="times")
    np.testing.assert_array_equal(cr2.X, cr3.X)


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


def _proj(B, y):
    coef, *_ = np.linalg.lstsq(B, y, rcond=None)
    return B @ coef


def test_ps_column_space_is_cubic_splines_on_mgcv_knots(times):
    y = load_mcycle()["accel"].to_numpy()
    k = 12
    sm = smooths.smooth(times, bs="ps", k=k, variable="times")
    t = sm.raw.knots
    assert t.size == k + 4
    xr = times.max() - times.min()
    assert np.isclose(t[3], times.min() - 0.001 * xr)
    assert np.isclose(t[-4], times.max() + 0.001 * xr)
    assert np.allclose(np.diff(t), np.diff(t)[0])
    interior = t[4 : k]
    tpb = np.column_stack([times**p for p in range(4)]
                          + [np.clip(times - kk, 0, None) ** 3 for kk in interior])
    assert np.allclose(_proj(sm.X, y), _proj(tpb, y), atol=1e-6)
    # B-splines sum to one; the constrained basis plus intercept spans the same space
    assert np.allclose(sm.X.sum(axis=1), 1)
    B = np.column_stack([np.ones_like(times), sm.Xc])
    assert np.allclose(_proj(B, y), _proj(sm.X, y), atol=1e-6)
    # penalty null space: the linear functions (coefficients 1 and 1..k reproduce 1 and x)
    assert np.allclose(sm.S @ np.ones(k), 0) and np.allclose(sm.S @ np.arange(k), 0)
    assert np.isclose(sm.S_scale, 16.0)  # ||D'D||_1 = 1+4+6+4+1, B-spline rows sum to 1


def test_ps_extrapolates_linearly(times):
    sm = smooths.smooth(times, bs="ps", k=10, variable="times")
    lo, hi = sm.raw.lower, sm.raw.upper
    for edge, step in ((lo, -1.0), (hi, 1.0)):
        B = sm.raw_matrix(edge + step * np.array([0.0, 1.0, 3.0]))
        assert np.allclose(B[2] - B[0], 3 * (B[1] - B[0]))


def test_tp_untruncated_is_the_natural_cubic_spline(times):
    # with k = number of unique values the 1-D thin plate spline is the natural cubic spline:
    # same (full) column space and the penalty, in function values, equals cr's ∫ f''²
    xu = np.unique(times)
    tp = smooths.TPBasis(xu, k=xu.size)
    cr = smooths.CRBasis(xu, k=xu.size)
    Xi = np.linalg.inv(tp.predict(xu))
    S_f = Xi.T @ tp.S @ Xi
    assert np.max(np.abs(S_f - cr.S)) < 1e-8 * np.max(np.abs(cr.S))


def test_tp_truncated_basis(times):
    y = load_mcycle()["accel"].to_numpy()
    sm = smooths.smooth(times, bs="tp", k=10, variable="times")  # mgcv's default s(times)
    assert sm.X.shape == (133, 10) and sm.rank == 8 and sm.Xf.shape[1] == 1
    # the penalty null space (before the constraint) is exactly the linear functions
    lin = np.column_stack([np.ones_like(times), times])
    assert np.allclose(_proj(sm.X, lin), lin)
    w, V = np.linalg.eigh(sm.raw.S)
    null = V[:, np.abs(w) < 1e-10 * w.max()]
    assert null.shape[1] == 2
    assert np.allclose(_proj(lin, sm.X @ null), sm.X @ null)
    # columns have unit rms, as mgcv scales them
    assert np.allclose(np.sqrt(np.mean(sm.X**2, axis=0)), 1)
    # prediction on the data reproduces the basis, and fitted values are basis-invariant
    assert np.allclose(sm.raw_matrix(times), sm.X)
    Xf, Zr = sm.split(times)
    B = np.column_stack([np.ones_like(times), Xf, Zr])
    assert np.allclose(_proj(B, y), _proj(sm.X, y), atol=1e-6)


def test_tp_subsamples_knots_beyond_max_knots():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 300)
    a = smooths.smooth(x, bs="tp", k=8, max_knots=100, seed=1)
    b = smooths.smooth(x, bs="tp", k=8, max_knots=100, seed=1)
    c = smooths.smooth(x, bs="tp", k=8, max_knots=100, seed=2)
    assert a.raw.knots.size == 100
    assert np.array_equal(a.raw.knots, b.raw.knots) and not np.array_equal(a.raw.knots,
                                                                          c.raw.knots)
    lin = np.column_stack([np.ones_like(x), x])
    assert np.allclose(_proj(a.X, lin), lin)


def test_re_smooth_basis():
    sm = smooths.smooth(["b", "a", "b"], bs="re", variable="g", levels=["a", "b"])
    assert np.array_equal(sm.Zr, [[0, 1], [1, 0], [0, 1]]) and sm.S_scale == 1.0
    assert sm.Xf.shape == (3, 0) and sm.reml_offset == 0.0


def test_fx_smooth_keeps_all_constrained_columns(times):
    sm = smooths.smooth(times, bs="cr", k=10, fx=True, variable="times")
    assert sm.Xf.shape == (133, 9) and sm.Zr.shape == (133, 0) and sm.reml_offset == 0.0


def test_errors():
    with pytest.raises(ValueError, match="unknown basis"):
        smooths.smooth([1.0, 2.0, 3.0], bs="zz")
    with pytest.raises(ValueError, match="reduce k"):
        smooths.smooth(np.arange(5.0), bs="cr", k=6)
    with pytest.raises(ValueError, match="reduce k"):
        smooths.smooth(np.arange(5.0), bs="tp", k=6)
