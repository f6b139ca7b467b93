"""bam(discrete=True): mgcv's discretized fREML for Gaussian models, in memory and on Dask.

With every covariate value kept (at most ``m`` distinct values) the cross-products from the
discretized term matrices and index vectors are the exact model's, so the fit equals
``reml``'s; with mgcv's default rounding (1000 values per covariate) on 20000 distinct values it
is within 1e-2; a Dask data frame gives the in-memory fit of the same rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.penalized.crossprod import pair_table, statistics
from bayeszoo.penalized.discrete import default_m

F_SMOOTH = 'y ~ a + f + s(x1) + s(x2, bs="cr", k=8) + s(g, bs="re")'


def small_data(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "x1": np.round(rng.uniform(0, 1, n), 2), "x2": np.round(rng.uniform(0, 1, n), 3),
        "a": rng.normal(size=n), "z": np.round(rng.uniform(-1, 1, n), 1),
        "f": pd.Categorical(rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi"]),
        "g": rng.integers(0, 12, n).astype(str), "w": rng.uniform(0.5, 2.0, n)})
    df["y"] = (np.sin(6 * df.x1) + df.x2**2 + 0.3 * df.a + 0.2 * (df.f == "hi")
               + 0.1 * df.g.astype(int) % 3 + df.x1 * df.z + rng.normal(0, 0.3, n))
    return df


def assert_same_fit(a, b, rtol: float = 1e-8) -> None:
    assert b.reml_score == pytest.approx(a.reml_score, rel=rtol)
    assert b.scale == pytest.approx(a.scale, rel=rtol)
    assert b.edf == pytest.approx(a.edf, rel=rtol)
    assert b.sp == pytest.approx(a.sp, rel=1e-6)
    assert list(b.coef.index) == list(a.coef.index)
    np.testing.assert_allclose(b.coef.to_numpy(), a.coef.to_numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(b.fitted, a.fitted, rtol=0, atol=1e-8)
    assert b.n == a.n


@pytest.mark.parametrize("formula, method", [
    (F_SMOOTH, "REML"),
    ('y | weights(w) ~ a + te(x1, x2, k=c(5, 5)) + s(z, k=5) + (1 | g)', "REML"),
    ('y ~ f + s(x1, by=f) + s(x2, bs="ps")', "ML"),
    ('y ~ a + s(x1, bs="cc") + t2(x2, x1, k=4) + s(x2, g, bs="fs", k=4)', "REML"),
])
def test_discretized_equals_exact_when_m_keeps_every_value(formula, method):
    df = small_data()
    exact = bz.reml(formula, df, method=method)
    fit = bz.bam(formula, df, method=method)
    assert_same_fit(exact, fit)
    assert fit.deviance == pytest.approx(exact.deviance, rel=1e-8)
    assert fit.null_deviance == pytest.approx(exact.null_deviance, rel=1e-10)


def test_fixed_sp_and_exact_engine_option():
    df = small_data()
    exact = bz.reml(F_SMOOTH, df, sp={"s(x1)": 0.5})
    assert_same_fit(exact, bz.bam(F_SMOOTH, df, sp={"s(x1)": 0.5}))
    assert bz.bam(F_SMOOTH, df, sp={"s(x1)": 0.5}).sp["s(x1)"] == 0.5
    assert_same_fit(exact, bz.bam(F_SMOOTH, df, sp={"s(x1)": 0.5}, discrete=False), 1e-12)


def test_default_rounding_is_close_to_the_exact_fit():
    rng = np.random.default_rng(3)
    n = 20000
    df = pd.DataFrame({"x1": rng.uniform(0, 1, n), "x2": rng.uniform(0, 1, n),
                       "g": pd.Categorical(rng.integers(0, 40, n).astype(str))})
    df["y"] = (np.sin(6 * df.x1) + df.x2**2 + rng.normal(0, 0.5, n)
               + 0.1 * (df.g.cat.codes.to_numpy() % 3))
    f = 'y ~ s(x1, bs="cr") + s(x2, bs="cr") + s(g, bs="re")'
    exact = bz.reml(f, df)
    fit = bz.bam(f, df)
    for term, edf in exact.edf.items():
        assert abs(fit.edf[term] - edf) < 1e-2
    assert np.max(np.abs(fit.fitted - exact.fitted)) < 1e-2
    assert fit.n == n
    coarse = bz.bam(f, df, m=20)  # far fewer values: visibly rougher
    assert np.max(np.abs(coarse.fitted - exact.fitted)) > np.max(np.abs(fit.fitted - exact.fitted))


def test_state_rows_subsample_keeps_the_model_close():
    df = small_data(3000, seed=4)
    exact = bz.reml(F_SMOOTH, df)
    fit = bz.bam(F_SMOOTH, df, state_rows=500)
    for term, edf in exact.edf.items():
        assert fit.edf[term] == pytest.approx(edf, abs=0.05)
    assert np.max(np.abs(fit.fitted - exact.fitted)) < 0.02
    assert fit.n == 3000 and fit.design.n < 3000


@pytest.fixture
def synchronous():
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.mark.parametrize("state_rows", [10_000, 300])
def test_dask_partitions_equal_the_in_memory_fit(synchronous, state_rows):
    import dask.dataframe as dd

    df = small_data(1200, seed=5)
    ddf = dd.from_pandas(df, npartitions=4)
    mem = bz.bam(F_SMOOTH, df, state_rows=state_rows, m=50)
    part = bz.bam(F_SMOOTH, ddf, state_rows=state_rows, m=50)
    assert_same_fit(mem, part)
    assert isinstance(part.fitted, np.ndarray) and part.fitted.shape == (1200,)


def test_dask_client(tmp_path):
    pytest.importorskip("distributed")
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    df = small_data(600, seed=6)
    df.to_parquet(tmp_path / "d.parquet", row_group_size=150)
    ddf = dd.read_parquet(tmp_path / "d.parquet", split_row_groups=True)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        fit = bz.bam(F_SMOOTH, ddf, client=client)
    assert_same_fit(bz.reml(F_SMOOTH, df), fit)


def test_cross_products_from_index_pairs():
    rng = np.random.default_rng(7)
    ka, kb = rng.integers(0, 5, 50), rng.integers(0, 4, 50)
    w = rng.uniform(size=50)
    T = pair_table(ka, 5, kb, 4, w)
    dense = np.zeros((5, 4))
    np.add.at(dense, (ka, kb), w)
    np.testing.assert_allclose(T, dense)


def test_statistics_equal_the_full_cross_products():
    from bayeszoo.penalized.crossprod import TermGroup
    from bayeszoo.penalized.discrete import Grid

    rng = np.random.default_rng(10)
    n = 60
    frame = pd.DataFrame({"u": rng.integers(0, 5, n).astype(float),
                          "v": rng.choice(list("abcd"), n)})
    grids = {"u": Grid("u", np.arange(5.0), True, False, np.dtype(float)),
             "v": Grid("v", np.array(list("abcd"), dtype=object), False, False, np.dtype(object))}
    Ma, Mb = rng.normal(size=(5, 2)), rng.normal(size=(4, 3))
    groups = [TermGroup("u", ("u",), np.array([3, 0]), (5,), None, Ma),
              TermGroup("v", ("v",), np.array([1, 4, 2]), (4,), None, Mb)]
    X = np.zeros((n, 5))
    X[:, [3, 0]] = Ma[frame.u.to_numpy().astype(int)]
    X[:, [1, 4, 2]] = Mb[pd.Categorical(frame.v, categories=list("abcd")).codes]
    y, w = rng.normal(size=n), rng.uniform(0, 2, n)
    w[:3] = 0.0
    st = statistics(groups, grids, frame, y, w, 5)
    np.testing.assert_allclose(st.G, X.T @ (w[:, None] * X), rtol=1e-12)
    np.testing.assert_allclose(st.c, X.T @ (w * y), rtol=1e-12)
    assert st.yy == pytest.approx(float(w @ y**2), rel=1e-12)
    assert (st.rows, st.n_obs) == (n, n - 3)
    assert st.sum_log_w == pytest.approx(float(np.sum(np.log(w[3:]))), rel=1e-12)


def test_mgcv_default_values_per_covariate():
    assert [default_m(d, None) for d in (1, 2, 3)] == [1000, 100, 25]
    assert default_m(2, 400) == 21  # compress.df: round(m^(1/d)) + 1
    with pytest.raises(ValueError, match="at least 2"):
        default_m(1, 1)


@pytest.mark.parametrize("kwargs, match", [
    ({"family": "student"}, "REML is not available for family .student."),
    ({"family": "poisson", "method": "ML"}, "method must be 'REML'"),
])
def test_unsupported_family(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bz.bam(F_SMOOTH, small_data(), **kwargs)


@pytest.mark.parametrize("formula, match", [
    ("y ~ gp(x1) + s(x2)", r"does not fit gp\(x1\).*supported|gaussian family"),
    ("y ~ s(x1) + offset(a)", "no offset"),
    ("log(y + 5) ~ s(x1)", "response to be a column"),
    ("y | se(w) ~ s(x1)", "weights\\(\\) only"),
    ("y ~ 0 + a + s(x1)", "intercept"),
])
def test_unsupported_terms(formula, match):
    with pytest.raises(ValueError, match=match):
        bz.bam(formula, small_data())


def test_constant_response_refused():
    df = small_data().assign(y=2.5)
    with pytest.raises(ValueError, match="'y' is constant"):
        bz.bam(F_SMOOTH, df)


def test_bf_and_dask_exact_refused(synchronous):
    import dask.dataframe as dd

    df = small_data()
    with pytest.raises(ValueError, match="formula string"):
        bz.bam(bz.bf("y ~ s(x1)", sigma="~ s(x2)"), df)
    with pytest.raises(ValueError, match="discrete=False"):
        bz.bam("y ~ s(x1)", dd.from_pandas(df, npartitions=2), discrete=False)
    with pytest.raises(ValueError, match="client= is for Dask"):
        bz.bam("y ~ s(x1)", df, client=object())


def test_partition_functions_load_no_jax():
    """Dask workers unpickle the chunk functions of :mod:`bayeszoo.penalized.partitions`; that
    import must not bring in JAX (which must not be loaded in forked workers)."""
    import subprocess
    import sys

    code = ("import sys, bayeszoo.penalized.partitions; "
            "print(sorted(m for m in ('jax', 'numpyro', 'pymc') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_in_memory_chunks_add_up(monkeypatch):
    from bayeszoo.penalized import partitions

    df = small_data(500, seed=8)
    whole = bz.bam(F_SMOOTH, df, m=40)
    monkeypatch.setattr(partitions, "CHUNK", 120)
    assert_same_fit(whole, bz.bam(F_SMOOTH, df, m=40))


def test_sparse_pair_tables_give_the_same_fit(monkeypatch):
    from bayeszoo.penalized import crossprod

    df = small_data(300, seed=9)
    f = 'y ~ a + te(x1, x2, k=c(4, 4)) + s(g, bs="re")'
    exact = bz.reml(f, df)
    monkeypatch.setattr(crossprod, "DENSE_PAIRS", 0)  # every pair table sparse
    assert_same_fit(exact, bz.bam(f, df))
