"""NUTS from the statistics of discretized rows (bayeszoo.sample_big): the statistics
accumulated chunk by chunk or per Dask partition equal the in-memory design's, and the
posterior equals bayeszoo.sample's on the same rows."""

import numpy as np
import pytest
from big_frames import discretized_frame, max_rel

import bayeszoo as bz
from bayeszoo.inference.big_stats import statistics
from bayeszoo.inference.sampling import checked_spec
from bayeszoo.models.numpyro import build_numpyro
from bayeszoo.penalized import partitions
from bayeszoo.penalized.bam import discretized_state

GAUSS = 'y ~ s(x1, k=6) + s(x2, k=5) + s(g, bs="re")'
POIS = 'count ~ s(x1, k=6) + s(x2, k=5) + s(g, bs="re")'
GROUPED = "y ~ x2 + s(x1, k=6) + (1 | g) + (1 | h)"


@pytest.fixture(scope="module")
def frame():
    return discretized_frame(1, 600, count_intercept=0.0, count_sine=False)


def _stats(formula, data, family, m=None):
    ds = discretized_state(formula, data, family, m=m)
    spec = checked_spec(ds.design, None, "noncentered", 4, 500, False)
    return statistics(ds, spec), spec


@pytest.mark.parametrize("formula,family", [(GAUSS, "gaussian"), (POIS, "poisson"),
                                            (GROUPED, "gaussian")])
def test_statistics_equal_in_memory_design(frame, formula, family, monkeypatch):
    # every covariate value kept (12 and 9 values < m): the design is the exact one
    ref_design = bz.design(formula, frame, family=family)
    whole, spec = _stats(formula, frame, family)
    ref = build_numpyro(ref_design, spec=spec).data
    assert type(ref).__name__ == type(whole).__name__
    assert max_rel(whole, ref) < 1e-10
    monkeypatch.setattr(partitions, "CHUNK", 97)  # seven chunks, merged
    chunked, _ = _stats(formula, frame, family)
    assert max_rel(chunked, ref) < 1e-10


@pytest.mark.parametrize("formula,family", [(GAUSS, "gaussian"), (POIS, "poisson")])
def test_dask_statistics_equal_pandas(frame, formula, family):
    dd = pytest.importorskip("dask.dataframe")
    pandas_stats, _ = _stats(formula, frame, family)
    dask_stats, _ = _stats(formula, dd.from_pandas(frame, npartitions=4), family)
    assert max_rel(dask_stats, pandas_stats) < 1e-10


def test_counting_statistics_collapse_to_grid(frame):
    stats, _ = _stats(POIS, frame, "poisson", m=7)
    # x1 and x2 rounded onto 7 points each, g 8 levels: at most 392 distinct rows
    assert stats.n_rows == 600
    assert stats.arrays.X.shape[0] <= 7 * 7 * 8
    assert float(np.sum(stats.sums[0])) == float(frame["count"].sum())
    assert float(np.sum(stats.sums[1])) == 600.0


def test_log_likelihood_refused(frame):
    with pytest.raises(ValueError, match="LOO"):
        bz.sample_big(GAUSS, frame, log_likelihood=True)


@pytest.mark.slow
@pytest.mark.parametrize("formula,family", [(GAUSS, "gaussian"), (POIS, "poisson")])
def test_posterior_equals_sample(frame, formula, family):
    """Poisson's collapsed rows are bz.sample's own, so the draws are the same draws. The
    Gaussian statistics equal bz.sample's to 1e-10 (above) but not to the last bit, and NUTS
    trajectories part at the first rounding difference: the posteriors agree within Monte
    Carlo error."""
    import arviz as az

    kw = {"chains": 2, "draws": 200, "tune": 200, "seed": 3, "progress": False}
    big = bz.sample_big(formula, frame, family, sampler="joint", **kw)
    ref = bz.sample(formula, frame, family=family, log_likelihood=False, **kw)
    assert big.attrs["n_rows"] == 600
    assert set(big.posterior.data_vars) == set(ref.posterior.data_vars)
    if family == "poisson":
        for name in ref.posterior.data_vars:
            np.testing.assert_allclose(big.posterior[name].values, ref.posterior[name].values,
                                       rtol=1e-6, atol=1e-8)
        return
    for name in ref.posterior.data_vars:
        mean_b, mean_r = big.posterior[name].mean(("chain", "draw")), ref.posterior[name].mean(
            ("chain", "draw"))
        se = np.hypot(az.mcse(big.posterior[name]).to_array(), az.mcse(ref.posterior[name])
                      .to_array())
        assert np.all(np.abs(np.asarray(mean_b - mean_r)) <= 4.5 * np.asarray(se).ravel()
                      .reshape(np.shape(mean_b))), name


@pytest.mark.parametrize("formula,family,approximation", [(GAUSS, "gaussian", None),
                                                          (POIS, "poisson", "laplace")])
def test_sample_big_runs_with_one_blas_thread(frame, monkeypatch, formula, family,
                                              approximation):
    """Statistics, whitening and sampling run with one BLAS thread: OpenBLAS's spinning
    threads slow XLA's on the same cores (benchmarks/RESULTS_bam.md)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from bayeszoo.inference import big_collapsed_nuts

    class Stop(Exception):
        pass

    def stop(*args, **kwargs):
        raise Stop([p["num_threads"] for p in threadpoolctl.threadpool_info()
                    if p["user_api"] == "blas"])

    monkeypatch.setattr(big_collapsed_nuts, "sample_collapsed", stop)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"), \
            pytest.raises(Stop) as seen:
        bz.sample_big(formula, frame, family, approximation=approximation, progress=False)
    assert seen.value.args[0] and set(seen.value.args[0]) == {1}
