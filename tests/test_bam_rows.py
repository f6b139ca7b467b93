"""bam(keep_rows=False): nothing gathered per row, the fit's numbers from the statistics of
every row; and the notion of "equal" used for the 10^8-row cluster run: the fit from Parquet
partitions on a 2-worker cluster, of the first k partitions, equals the in-memory fit of the
same rows (score, edf, smoothing parameters, coefficients, deviance, scale, null deviance)
to 1e-8."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.penalized import partitions

F = 'y ~ a + s(x1) + s(x2, bs="cr", k=8) + s(g, bs="re")'


def data(n: int = 600, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": np.round(rng.uniform(0, 1, n), 2),
                       "x2": np.round(rng.uniform(0, 1, n), 3), "a": rng.normal(size=n),
                       "g": pd.Categorical(rng.integers(0, 12, n).astype(str)),
                       "w": rng.uniform(0.5, 2.0, n)})
    df["y"] = (np.sin(6 * df.x1) + df.x2**2 + 0.3 * df.a
               + 0.2 * df.g.cat.codes.to_numpy() % 3 + rng.normal(0, 0.3, n))
    return df


def assert_equal_fit(a, b, rtol: float = 1e-8) -> None:
    """The cluster run's notion of equal: every number of the fit that does not live per row."""
    assert b.n == a.n
    assert b.reml_score == pytest.approx(a.reml_score, rel=rtol)
    assert b.edf == pytest.approx(a.edf, rel=rtol)
    assert b.sp == pytest.approx(a.sp, rel=rtol)
    np.testing.assert_allclose(b.coef.to_numpy(), a.coef.to_numpy(), rtol=rtol,
                               atol=rtol * np.max(np.abs(a.coef.to_numpy())))
    for name in ("deviance", "scale", "null_deviance"):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=rtol)


@pytest.mark.parametrize("formula", [F, F.replace("y ~", "y | weights(w) ~")])
def test_keep_rows_false_gives_the_same_fit(formula):
    df = data()
    full = bz.bam(formula, df)
    lean = bz.bam(formula, df, keep_rows=False, state_rows=300)
    ref = bz.bam(formula, df, state_rows=300)
    assert_equal_fit(ref, lean, rtol=1e-10)
    assert len(lean.fitted) == len(lean.design.y) < 600 and lean.n == 600
    # on the state rows the fitted values are those of the full fit
    assert full.deviance == pytest.approx(bz.reml(formula, df).deviance, rel=1e-8)


def test_keep_rows_false_gathers_nothing_per_row(monkeypatch):
    dd = pytest.importorskip("dask.dataframe")
    df = data()

    def refuse(*args, **kwargs):
        raise AssertionError("a per-row vector was gathered")

    monkeypatch.setattr(partitions.DaskSource, "response", refuse)
    monkeypatch.setattr(partitions.DaskSource, "eta", refuse)
    import dask

    with dask.config.set(scheduler="synchronous"):
        lean = bz.bam(F, dd.from_pandas(df, npartitions=3), keep_rows=False)
    assert_equal_fit(bz.bam(F, df), lean, rtol=1e-10)


def test_keep_rows_false_refused_outside_the_gaussian_fit():
    df = data()
    with pytest.raises(ValueError, match="keep_rows=False"):
        bz.bam(F, df.assign(y=np.round(np.exp(df.y / 3))), family="poisson", keep_rows=False)
    with pytest.raises(ValueError, match="keep_rows=False"):
        bz.bam(F, df, rho=0.3, keep_rows=False)


def test_cluster_slice_equals_in_memory_fit(tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    df = data(900)
    paths = []
    for i in range(4):
        path = tmp_path / f"part-{i:05d}.parquet"
        df.iloc[i * 225:(i + 1) * 225].to_parquet(path, index=False)
        paths.append(str(path))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        lean = bz.bam(F, dd.read_parquet(paths[:3]), client=client, keep_rows=False)
    memory = bz.bam(F, pd.concat([pd.read_parquet(p) for p in paths[:3]], ignore_index=True))
    assert memory.n == 675
    assert_equal_fit(memory, lean)


def test_partitions_are_summed_on_the_workers(monkeypatch):
    """Each pass that adds up gathers one result, the partitions' statistics summed in a tree
    of tasks, in the partitions' order; the fit is the in-memory one."""
    dd = pytest.importorskip("dask.dataframe")
    import dask

    gathered = []
    compute = partitions.DaskSource._compute

    def counting(self, tasks):
        gathered.extend(str(t.key).split("-")[0] for t in tasks)
        return compute(self, tasks)

    monkeypatch.setattr(partitions.DaskSource, "_compute", counting)
    df = data()
    with dask.config.set(scheduler="synchronous"):
        lean = bz.bam(F, dd.from_pandas(df, npartitions=5), keep_rows=False)
    assert_equal_fit(bz.bam(F, df), lean, rtol=1e-10)
    # the statistics pass gathers their sum, not the partitions' statistics
    assert gathered.count("add") == 1 and "chunk_statistics" not in gathered
    assert gathered.count("merge_summaries") == 1 and "summarize" not in gathered

    tasks = [dask.delayed(list)(c) for c in ("ab", "c", "de", "f", "g")]
    assert dask.compute(partitions.tree(tasks, lambda a, b: a + b))[0] == list("abcdefg")


def test_predict_in_pieces_and_on_partitions(monkeypatch):
    """The fitted values at the data's own covariates: a large frame predicted a few rows at a
    time, and a Dask frame partition by partition, equal the one-piece prediction; with a
    discretized fit they differ from ``fitted`` (the rounded covariates) by the rounding."""
    dd = pytest.importorskip("dask.dataframe")
    from bayeszoo.penalized import result

    df = data()
    fit = bz.bam(F, df, m=20)
    whole, whole_se = fit.predict(df, se=True, type="response")
    monkeypatch.setattr(result, "PREDICT_CELLS", 7 * fit.coef.size)  # 86 pieces of 7 rows
    pieces, pieces_se = fit.predict(df, se=True, type="response")
    np.testing.assert_allclose(pieces, whole, rtol=1e-12)
    np.testing.assert_allclose(pieces_se, whole_se, rtol=1e-12)
    lazy = fit.predict(dd.from_pandas(df, npartitions=3), se=True, type="response")
    assert list(lazy.columns) == ["fit", "se_fit"]
    np.testing.assert_allclose(lazy.compute()["fit"].to_numpy(), whole, rtol=1e-12)
    np.testing.assert_allclose(lazy.compute()["se_fit"].to_numpy(), whole_se, rtol=1e-12)
    link = fit.predict(dd.from_pandas(df, npartitions=3)).compute()
    np.testing.assert_allclose(link.to_numpy(), fit.predict(df), rtol=1e-12)
    assert np.max(np.abs(fit.fitted - whole)) > 1e-2  # 20 values per covariate: the rounding
    every = bz.bam(F, df, m=1000)  # every value kept: fitted at the data's own covariates
    np.testing.assert_allclose(every.predict(df), every.fitted, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_bam_fits_with_one_blas_thread(monkeypatch, family):
    """The Newton steps' factorizations run on one BLAS thread whatever the process's
    default (they lose to thread contention at 10⁷ rows; benchmarks/RESULTS_bam.md)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from bayeszoo.penalized import bam as bam_module

    seen = []

    def counting(fn):
        def wrapped(*args, **kwargs):
            seen.extend(p["num_threads"] for p in threadpoolctl.threadpool_info()
                        if p["user_api"] == "blas")
            return fn(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(bam_module, "_fit_pirls", counting(bam_module._fit_pirls))
    monkeypatch.setattr(bam_module.GaussianEngine, "fit",
                        counting(bam_module.GaussianEngine.fit))
    df = data()
    if family == "poisson":
        df = df.assign(y=np.round(np.exp(df.y / 3)))
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        bz.bam(F, df, family=family)
    assert seen and set(seen) == {1}


def test_gathered_rows_do_not_keep_their_partition():
    """The state rows and a partition's last row are copies: a slice would keep the whole
    partition alive in its worker until gathered (at 10⁸ rows, 2.5 GB per worker)."""
    frame = data()
    for rows in (partitions.chunk_rows(frame, 3, 50), partitions.chunk_last(frame)):
        assert not np.shares_memory(rows["x1"].to_numpy(), frame["x1"].to_numpy())
    np.testing.assert_array_equal(partitions.chunk_rows(frame, 3, 50).index,
                                  np.arange(47, 600, 50))


def test_client_may_be_a_scheduler_address():
    """``client="<address>"`` connects to that scheduler for the call (as ``bayeszoo reml
    --scheduler``) and gives the in-memory fit."""
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    df = data()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        fit = bz.bam(F, dd.from_pandas(df, npartitions=3), client=cluster.scheduler_address)
        assert not distributed.Client._instances or all(
            c.status == "closed" for c in distributed.Client._instances)
    assert_equal_fit(bz.bam(F, df), fit)
