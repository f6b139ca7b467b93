"""The Laplace expansion's Newton iterations started at the maximum on the state rows (when
they are a subset of the rows): fewer passes over the rows, the same expansion point."""

import numpy as np
import pytest
from big_frames import discretized_frame

from bayeszoo.inference.big_stats import laplace_statistics
from bayeszoo.inference.sampling import checked_spec
from bayeszoo.penalized.bam import discretized_state

POIS = 'count ~ s(x1, k=6) + s(x2, k=5) + s(g, bs="re")'


@pytest.fixture(scope="module")
def state():
    df = discretized_frame(21, 6000, levels=[f"g{i}" for i in range(30)], h=False, y=False,
                           effect_sd=0.4, count_intercept=0.8)
    ds = discretized_state(POIS, df, "poisson", state_rows=1500)
    return ds, checked_spec(ds.design, None, "noncentered", 4, 500, False)


def test_warm_start_saves_passes_at_the_same_maximum(state):
    ds, spec = state
    assert len(ds.state) == 1500 and ds.rows == 6000
    cold, cold_passes = laplace_statistics(ds, spec, warm=False)
    warm, warm_passes = laplace_statistics(ds, spec)
    assert warm_passes <= cold_passes - 2
    for a, b in ((warm.gaussian.dense_gram, cold.gaussian.dense_gram),
                 (warm.gaussian.dense_y, cold.gaussian.dense_y),
                 (warm.gaussian.block_sq[0], cold.gaussian.block_sq[0]),
                 (warm.gaussian.block_y[0], cold.gaussian.block_y[0])):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-7 * np.max(np.abs(b)))
    assert warm.constant == pytest.approx(cold.constant, rel=1e-9)
    assert warm.gaussian.yy == pytest.approx(cold.gaussian.yy, rel=1e-7)


def test_schur_solve_reaches_the_least_norm_maximum(state, monkeypatch):
    # the Newton steps through the group levels' Schur complement (intercept held) and
    # through the dense least-norm solve reach the same expansion point
    from bayeszoo.inference import big_stats

    ds, spec = state
    fast, fast_passes = laplace_statistics(ds, spec, warm=False)
    monkeypatch.setattr(big_stats, "_structured_solve", lambda *a: None)
    dense, dense_passes = laplace_statistics(ds, spec, warm=False)
    assert abs(fast_passes - dense_passes) <= 1
    np.testing.assert_allclose(fast.gaussian.dense_gram, dense.gaussian.dense_gram, rtol=1e-7)
    np.testing.assert_allclose(fast.gaussian.block_y[0], dense.gaussian.block_y[0], rtol=1e-7,
                               atol=1e-7 * np.max(np.abs(dense.gaussian.block_y[0])))
    assert fast.constant == pytest.approx(dense.constant, rel=1e-9)
