"""The one-dimensional bases (cr, ps, tp, re) through the term-level smooth API, against mgcv
1.8-41 output (shared/fixtures/mgcv_reference.json) and brms's ``standata``.

Each step of mgcv's pipeline is checked where it happens: the raw basis and its penalty
(:mod:`bayeszoo.smooths.margins`), ``smoothCon``'s ``S.scale`` and ``absorb.cons``
(:func:`bayeszoo.smooths.construct.smooth_con`), ``diagonal.penalty``
(:func:`bayeszoo.smooths.natparam.nat_param`) and ``smooth2random``
(:func:`bayeszoo.smooths.fit_smooth`: ``Xf`` and the penalized block).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayeszoo.datasets import load_mcycle
from bayeszoo.smooths import (
    CRBasis,
    SmoothSpec,
    TPBasis,
    evaluate_smooth,
    fit_smooth,
)
from bayeszoo.smooths.construct import smooth_con
from bayeszoo.smooths.core import mgcv_diagonal_eigen_order
from bayeszoo.smooths.margins import build_margin
from bayeszoo.smooths.natparam import nat_param

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
CR20 = SmoothSpec("s", ("times",), bs="cr", k=20)


def upto_sign(A, B) -> float:
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    s = np.sign(np.sum(A * B, axis=0))
    s[s == 0] = 1
    return float(np.max(np.abs(A * s - B)))


def projection(B, y):
    coef, *_ = np.linalg.lstsq(B, y, rcond=None)
    return B @ coef


@pytest.fixture(scope="module")
def mcycle() -> pd.DataFrame:
    return load_mcycle()


@pytest.fixture(scope="module")
def times(mcycle):
    return mcycle["times"].to_numpy()


@pytest.fixture(scope="module")
def cr20_con(mcycle):
    return smooth_con(CR20, mcycle)


@pytest.fixture(scope="module")
def cr20(mcycle):
    return fit_smooth(CR20, mcycle)


def test_cr_knots_and_raw_basis(mgcv_ref, cr20_con):
    u = mgcv_ref["mcycle_cr_k20_unconstrained"]
    basis = cr20_con.raw.margin.basis
    assert np.max(np.abs(basis.knots - np.array(u["knots"]))) < 1e-10
    assert np.max(np.abs(cr20_con.raw.X - np.array(u["X"]))) < 1e-8
    # the fixture's unconstrained S is mgcv's sm$S[[1]], i.e. already divided by S.scale
    (scale,) = cr20_con.S_scale
    assert abs(scale - u["S_scale"]) < 1e-8 * u["S_scale"]
    assert np.max(np.abs(basis.S / scale - np.array(u["S"]))) < 1e-8


def test_cr_absorb_cons(mgcv_ref, cr20_con):
    c = mgcv_ref["mcycle_cr_k20"]
    assert upto_sign(cr20_con.Xc, c["X"]) < 1e-8
    assert np.max(np.abs(cr20_con.S[0] - np.array(c["S"]))) < 1e-8
    p = cr20_con.Xc.shape[1]
    assert p - cr20_con.null_space_dim == c["rank"]
    assert cr20_con.null_space_dim == c["null_space_dim"]


def test_cr_predict(mgcv_ref, cr20_con):
    p = mgcv_ref["mcycle_cr_k20_predict"]
    Xc = cr20_con.constrain(cr20_con.raw.matrix({"times": np.array(p["times"])}, "s(times)"))
    assert upto_sign(Xc, p["X"]) < 1e-8


def test_cr_extrapolates_linearly(cr20_con):
    basis = cr20_con.raw.margin.basis
    lo, hi = basis.knots[0], basis.knots[-1]
    for edge, step in ((lo, -1.0), (hi, 1.0)):
        B = basis.predict(edge + step * np.array([0.0, 1.0, 2.0, 5.0]))
        d1 = B[1] - B[0]
        assert np.allclose(B[2] - B[1], d1) and np.allclose(B[3] - B[0], 5 * d1)
        # slope continuous at the end knot
        eps = 1e-6
        inside = basis.predict(np.array([edge - step * eps]))[0]
        assert np.allclose((B[0] - inside) / eps, d1, atol=1e-4)


def test_cr_smallest_basis(mcycle, times):
    """k = 3 (mgcv's minimum for cr) is a natural cubic spline with one interior knot: it
    interpolates the knot values, reproduces straight lines and penalizes only curvature;
    k = 2 is raised to 3 with a warning, as mgcv does."""
    cr3 = smooth_con(SmoothSpec("s", ("times",), bs="cr", k=3), mcycle)
    basis = cr3.raw.margin.basis
    knots = basis.knots
    np.testing.assert_allclose(basis.predict(knots), np.eye(3), atol=1e-12)
    line = 2.0 - 0.5 * knots
    np.testing.assert_allclose(basis.predict(times) @ line, 2.0 - 0.5 * times, atol=1e-10)
    assert abs(line @ basis.S @ line) < 1e-10
    assert cr3.Xc.shape[1] - cr3.null_space_dim == 1
    with pytest.warns(UserWarning, match="increased to 3"):
        cr2 = smooth_con(SmoothSpec("s", ("times",), bs="cr", k=2), mcycle)
    np.testing.assert_array_equal(cr2.raw.X, cr3.raw.X)


def test_cr_diagonal_penalty(mgcv_ref, cr20_con):
    """``diagonal.penalty``: mgcv's ``nat.param(type = 2, unit.fnorm = FALSE)``."""
    dg = mgcv_ref["mcycle_cr_k20_diagonal"]
    npar = nat_param(cr20_con.Xc, cr20_con.S[0], rank=dg["rank"], type=2, unit_fnorm=False)
    assert upto_sign(npar.X, dg["X"]) < 1e-6
    D = npar.P.T @ cr20_con.S[0] @ npar.P
    assert np.allclose(D, np.array(dg["S"]), atol=1e-8)


def test_cr_smooth2random(mgcv_ref, cr20):
    r = mgcv_ref["mcycle_cr_k20_smooth2random"]
    (block,) = cr20.blocks
    assert block.penalties is None  # one identity-penalized (iid) block
    assert upto_sign(cr20.Xf, r["Xf"]) < 1e-6
    assert upto_sign(block.Z, r["Zr"]) < 1e-6


def test_cr_matches_brms_Xs_Zs(cr20):
    Xs = pd.read_csv(FIXTURES / "brms_mcycle_k20_Xs.csv").to_numpy()
    Zs = pd.read_csv(FIXTURES / "brms_mcycle_k20_Zs.csv").to_numpy()
    assert upto_sign(cr20.Xf, Xs) < 1e-8
    assert upto_sign(cr20.blocks[0].Z, Zs) < 1e-8
    assert cr20.fixed_names == ["stimes_1"] and cr20.blocks[0].name == "stimes_1"


def test_reml_offset_definition(cr20_con, cr20):
    # Xf = Xc U_f C_f with U_f an orthonormal null-space basis of Sc; offset = -log|det C_f|
    w, V = np.linalg.eigh(cr20_con.S[0])
    Uf = V[:, np.abs(w) < 1e-10 * w.max()]
    Cf = np.linalg.lstsq(cr20_con.Xc @ Uf, cr20.Xf, rcond=None)[0]
    assert np.allclose(cr20_con.Xc @ Uf @ Cf, cr20.Xf)
    assert np.isclose(cr20.reml_offset, -np.log(abs(np.linalg.det(Cf))))
    assert abs(cr20.reml_offset - -3.51789) < 1e-5  # checked through mgcv's REML score


def test_columns_on_new_data_from_the_state(cr20, times):
    Xf, (Zr,) = evaluate_smooth(cr20.state, {"times": times})
    # equal to rounding (the fit multiplies by views of the maps, evaluation by decoded copies)
    assert np.allclose(Xf, cr20.Xf, rtol=0, atol=1e-12)
    assert np.allclose(Zr, cr20.blocks[0].Z, rtol=0, atol=1e-12)


def test_eigen_order_helper():
    assert list(mgcv_diagonal_eigen_order([1, 1, 1, 0])) == [0, 2, 1, 3]
    assert list(mgcv_diagonal_eigen_order([1, 1, 1])) == [2, 1, 0]


def test_ps_column_space_is_cubic_splines_on_mgcv_knots(mcycle, times):
    y = mcycle["accel"].to_numpy()
    k = 12
    sc = smooth_con(SmoothSpec("s", ("times",), bs="ps", k=k), mcycle)
    basis = sc.raw.margin.basis
    X = sc.raw.X
    t = basis.knots
    assert t.size == k + 4
    xr = times.max() - times.min()
    assert np.isclose(t[3], times.min() - 0.001 * xr)
    assert np.isclose(t[-4], times.max() + 0.001 * xr)
    assert np.allclose(np.diff(t), np.diff(t)[0])
    interior = t[4:k]
    tpb = np.column_stack([times**p for p in range(4)]
                          + [np.clip(times - kk, 0, None) ** 3 for kk in interior])
    assert np.allclose(projection(X, y), projection(tpb, y), atol=1e-6)
    # B-splines sum to one; the constrained basis plus intercept spans the same space
    assert np.allclose(X.sum(axis=1), 1)
    B = np.column_stack([np.ones_like(times), sc.Xc])
    assert np.allclose(projection(B, y), projection(X, y), atol=1e-6)
    # penalty null space: the linear functions (coefficients 1 and 1..k reproduce 1 and x)
    assert np.allclose(basis.S @ np.ones(k), 0) and np.allclose(basis.S @ np.arange(k), 0)
    assert np.isclose(sc.S_scale[0], 16.0)  # ||D'D||_1 = 1+4+6+4+1, B-spline rows sum to 1


def test_ps_extrapolates_linearly(mcycle):
    basis = smooth_con(SmoothSpec("s", ("times",), bs="ps", k=10), mcycle).raw.margin.basis
    lo, hi = basis.lower, basis.upper
    for edge, step in ((lo, -1.0), (hi, 1.0)):
        B = basis.predict(edge + step * np.array([0.0, 1.0, 3.0]))
        assert np.allclose(B[2] - B[0], 3 * (B[1] - B[0]))


def test_tp_untruncated_is_the_natural_cubic_spline(times):
    # with k = number of unique values the 1-D thin plate spline is the natural cubic spline:
    # same (full) column space and the penalty, in function values, equals cr's ∫ f''²
    xu = np.unique(times)
    tp = TPBasis(xu, k=xu.size)
    cr = CRBasis(xu, k=xu.size)
    Xi = np.linalg.inv(tp.predict(xu))
    S_f = Xi.T @ tp.S @ Xi
    assert np.max(np.abs(S_f - cr.S)) < 1e-8 * np.max(np.abs(cr.S))


def test_tp_truncated_basis(mcycle, times):
    y = mcycle["accel"].to_numpy()
    spec = SmoothSpec("s", ("times",))  # mgcv's default s(times): tp, k = 10
    sc = smooth_con(spec, mcycle)
    term = fit_smooth(spec, mcycle)
    X = sc.raw.X
    assert X.shape == (133, 10) and sc.Xc.shape[1] - sc.null_space_dim == 8
    assert term.Xf.shape[1] == 1 and term.blocks[0].Z.shape[1] == 8
    # the penalty null space (before the constraint) is exactly the linear functions
    lin = np.column_stack([np.ones_like(times), times])
    assert np.allclose(projection(X, lin), lin)
    w, V = np.linalg.eigh(sc.raw.S[0])
    null = V[:, np.abs(w) < 1e-10 * w.max()]
    assert null.shape[1] == 2
    assert np.allclose(projection(lin, X @ null), X @ null)
    # columns have unit rms, as mgcv scales them
    assert np.allclose(np.sqrt(np.mean(X**2, axis=0)), 1)
    # prediction on the data reproduces the basis, and fitted values are basis-invariant
    assert np.allclose(sc.raw.matrix(mcycle, spec.label), X)
    Xf, (Zr,) = evaluate_smooth(term.state, {"times": times})
    B = np.column_stack([np.ones_like(times), Xf, Zr])
    assert np.allclose(projection(B, y), projection(X, y), atol=1e-6)


def test_tp_subsamples_knots_beyond_max_knots():
    rng = np.random.default_rng(0)
    data = {"x": rng.uniform(0, 1, 300)}

    def knots(seed):
        return build_margin("tp", ("x",), 8, data, "s(x)", seed=seed, max_knots=100).basis.knots

    a, b, c = knots(1), knots(1), knots(2)
    assert a.shape[0] == 100
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    margin = build_margin("tp", ("x",), 8, data, "s(x)", seed=1, max_knots=100)
    lin = np.column_stack([np.ones(300), data["x"]])
    assert np.allclose(projection(margin.basis.X, lin), lin)


def test_re_smooth_basis():
    g = pd.Categorical(["b", "a", "b"], categories=["a", "b"])
    term = fit_smooth(SmoothSpec("s", ("g",), bs="re"), {"g": g})
    # indicator columns in the order LAPACK's eigen() leaves the identity penalty (reversed),
    # as mgcv's smooth2random and brms's Zs
    assert np.array_equal(term.blocks[0].Z, [[1, 0], [0, 1], [1, 0]])
    assert term.S_scale == [1.0] and term.Xf.shape == (3, 0) and term.reml_offset == 0.0


def test_fx_smooth_keeps_all_constrained_columns(mcycle):
    term = fit_smooth(SmoothSpec("s", ("times",), bs="cr", k=10, fx=True), mcycle)
    assert term.Xf.shape == (133, 9) and term.blocks == [] and term.reml_offset == 0.0


def test_errors():
    with pytest.raises(ValueError, match="unknown basis"):
        fit_smooth(SmoothSpec("s", ("x",), bs="zz"), {"x": np.array([1.0, 2.0, 3.0])})
    five = {"x": np.arange(5.0)}
    with pytest.raises(ValueError, match="reduce k"):
        fit_smooth(SmoothSpec("s", ("x",), bs="cr", k=6), five)
    with pytest.raises(ValueError, match="fewer unique covariate combinations"):
        fit_smooth(SmoothSpec("s", ("x",), bs="tp", k=6), five)
