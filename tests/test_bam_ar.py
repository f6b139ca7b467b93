"""bam(discrete=True, rho=, ar_start=): AR(1) residuals from the lag moments of the
discretized rows.

With every covariate value kept the whitened cross-products are the exact ones, so the fit equals
``bz.reml(..., rho=, ar_start=)`` (to 1e-8) and reproduces ``mgcv::bam(discrete = TRUE, rho = 0.7,
AR.start =)`` (tests/fixtures/mgcv_bam.json: edf and smoothing parameters to 1e-6, the score to
1e-6 relative); the rows split into chunks or Dask partitions give the same fit, each chunk
carrying the row before it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.penalized import partitions

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "mgcv_bam.json").read_text())
F_AR = "ys ~ s(x1, bs='cr') + s(x2, bs='cr', k=8)"


def ar_data() -> pd.DataFrame:
    return pd.DataFrame({k: FIXTURE["data"][k] for k in ("x1", "x2", "t", "ys", "start")})


def assert_same(a, b, rtol: float = 1e-8, sp: bool = True) -> None:
    assert b.reml_score == pytest.approx(a.reml_score, rel=rtol)
    assert b.scale == pytest.approx(a.scale, rel=rtol)
    assert b.edf == pytest.approx(a.edf, rel=rtol)
    if sp:
        assert b.sp == pytest.approx(a.sp, rel=1e-6)
    np.testing.assert_allclose(b.coef.to_numpy(), a.coef.to_numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(b.fitted, a.fitted, rtol=0, atol=1e-8)
    assert b.deviance == pytest.approx(a.deviance, rel=rtol)


def test_equals_reml_and_mgcv_discrete_bam():
    df = ar_data()
    fit = bz.bam(F_AR, df, rho=0.7, ar_start="start")
    exact = bz.reml(F_AR, df, rho=0.7, ar_start="start")
    assert_same(exact, fit)
    ref = FIXTURE["ar1"]
    assert fit.edf == pytest.approx(ref["edf_terms"], rel=1e-6)
    assert fit.sp == pytest.approx(ref["sp"], rel=1e-5)
    assert fit.scale == pytest.approx(ref["scale"], rel=1e-8)
    assert fit.deviance == pytest.approx(ref["deviance"], rel=1e-8)
    assert fit.reml_score == pytest.approx(ref["reml"], rel=1e-6)
    np.testing.assert_allclose(fit.fitted, ref["fitted"], rtol=0, atol=1e-8)
    assert fit.rho == 0.7 and fit.ar_start.sum() == 20
    np.testing.assert_allclose(fit.std_rsd, exact.std_rsd, atol=1e-8)


def test_one_series_array_start_and_estimated_rho():
    df = ar_data()
    # s(x2) is pushed to its null space (sp ~ 1e10): its optimum is flat, its sp no target
    assert_same(bz.reml(F_AR, df, rho=0.4), bz.bam(F_AR, df, rho=0.4), 1e-6, sp=False)
    starts = df.start.to_numpy()
    assert_same(bz.reml(F_AR, df, rho=0.7, ar_start=starts),
                bz.bam(F_AR, df, rho=0.7, ar_start=starts))
    est = bz.bam(F_AR, df, rho="estimate", ar_start="start")
    ref = bz.reml(F_AR, df, rho="estimate", ar_start="start")
    assert est.rho == pytest.approx(ref.rho, abs=1e-5)
    assert est.reml_score == pytest.approx(ref.reml_score, rel=1e-10)
    assert est.rho_profile is not None and len(est.rho_profile) > 30


def test_chunks_carry_the_row_before(monkeypatch):
    df = ar_data()
    whole = bz.bam(F_AR, df, rho=0.7, ar_start="start")
    monkeypatch.setattr(partitions, "CHUNK", 333)
    assert_same(whole, bz.bam(F_AR, df, rho=0.7, ar_start="start"), 1e-10)


def test_dask_partitions_carry_the_row_before():
    dask = pytest.importorskip("dask")
    import dask.dataframe as dd

    df = ar_data()
    whole = bz.bam(F_AR, df, rho=0.7, ar_start="start", m=40)
    ddf = dd.from_pandas(df, npartitions=7)
    with dask.config.set(scheduler="synchronous"):
        part = bz.bam(F_AR, ddf, rho=0.7, ar_start="start", m=40)
        with pytest.raises(ValueError, match="names a boolean column"):
            bz.bam(F_AR, ddf, rho=0.7, ar_start=df.start.to_numpy())
    assert_same(whole, part, 1e-10)


def test_refusals():
    df = ar_data()
    df["w"] = 1.0
    with pytest.raises(ValueError, match="give rho as well"):
        bz.bam(F_AR, df, ar_start="start")
    with pytest.raises(ValueError, match="not available with weights"):
        bz.bam("ys | weights(w) ~ s(x1)", df, rho=0.5)
    with pytest.raises(ValueError, match="identity link only"):
        bz.bam("t ~ s(x1)", df, rho=0.5, family="poisson")
    with pytest.raises(ValueError, match=r"rho must lie in \(-1, 1\)"):
        bz.bam(F_AR, df, rho=1.2)
