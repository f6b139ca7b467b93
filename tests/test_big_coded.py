"""The statistics of sample_big from the discretized covariates' codes: each term evaluated once
per distinct value (as bam's cross-products), equal to the row-by-row statistics; and the
Laplace expansion of the Poisson likelihood, exact in value and gradient at its maximum."""

import numpy as np
import pytest
from big_frames import discretized_frame, max_rel
from scipy import special

import bayeszoo as bz
from bayeszoo.families.gaussian_stats import residual_sum_of_squares
from bayeszoo.inference.big_stats import (
    chunk_statistics,
    coded_groups,
    laplace_statistics,
    merge_gaussian,
)
from bayeszoo.inference.sampling import checked_spec
from bayeszoo.models.likelihood import model_data
from bayeszoo.penalized import partitions
from bayeszoo.penalized.bam import discretized_state

GAUSS = 'y ~ s(x1, k=6) + s(x2, k=5) + s(g, bs="re")'
GROUPED = "y ~ x2 + s(x1, k=6) + (1 | g) + (1 | h)"
TENSOR = 'y ~ te(x1, x2, k=4) + s(g, bs="re")'
POIS = 'count ~ s(x1, k=6) + s(x2, k=5) + s(g, bs="re")'


@pytest.fixture(scope="module")
def frame():
    return discretized_frame(7, 3000, effect_sd=0.3)


def _state(formula, data, family="gaussian"):
    ds = discretized_state(formula, data, family)
    return ds, checked_spec(ds.design, None, "noncentered", 4, 500, False)


@pytest.mark.parametrize("formula,groups", [(GAUSS, 4), (GROUPED, 5), (TENSOR, 3)])
def test_coded_statistics_equal_row_by_row(frame, formula, groups, monkeypatch):
    from bayeszoo.inference import big_stats

    ds, spec = _state(formula, frame)
    coded = coded_groups(ds, spec)
    assert coded is not None and len(coded.groups) == groups and coded.ones == 0
    # every term evaluated on its covariates' distinct values only: 12, 9, 8 (x1, x2, g)
    sizes = {g.covariates: g.size for g in coded.groups}
    assert sizes.get(("x1",), 12) == 12 and sizes.get(("g",), 8) == 8
    monkeypatch.setattr(partitions, "CHUNK", 701)  # five chunks, merged
    rows = ds.source.reduce(chunk_statistics, merge_gaussian, ds.grid, ds.design.states,
                            ds.design.family, ds.design.terms, spec)
    coded_stats = big_stats.statistics(ds, spec)
    assert coded_stats.n == rows.n == 3000
    assert max_rel(coded_stats, rows) < 1e-10


def test_correlated_block_falls_back_to_rows(frame):
    ds, spec = _state("y ~ s(x1, k=6) + (x2 | g)", frame)
    assert coded_groups(ds, spec) is None


def test_laplace_expansion_exact_at_the_maximum(frame):
    from bayeszoo.runtime import ensure_configured

    ensure_configured()  # double precision in JAX, as the sampler runs
    ds, spec = _state(POIS, frame, "poisson")
    (stats, passes) = laplace_statistics(ds, spec)
    assert 3 <= passes <= 12
    # the exact log-likelihood of the same rows (every value kept: the design is exact)
    d = bz.design(POIS, frame, family="poisson")
    arrays = model_data(d, spec).predictors[0]
    dense = np.hstack([arrays.X] + [b.matrix for b in arrays.blocks if b.matrix.shape[0]])
    (ix, w), = [(b.index, b.weights) for b in arrays.blocks if not b.matrix.shape[0]]
    p, y = dense.shape[1], frame["count"].to_numpy(float)

    def eta(theta):
        return dense @ theta[:p] + w * theta[p:][ix]

    def exact(theta):
        e = eta(theta)
        return float(np.sum(y * e - np.exp(e) - special.gammaln(y + 1.0)))

    def approx(theta):
        rss = residual_sum_of_squares(stats.gaussian, theta[:p], [theta[p:]])
        return float(stats.constant - 0.5 * rss)

    # the maximum: W'(y - mu) = 0, found from the statistics alone
    G = np.zeros((p + 8, p + 8))
    G[:p, :p] = stats.gaussian.dense_gram
    G[:p, p:] = stats.gaussian.dense_block[0]
    G[p:, :p] = stats.gaussian.dense_block[0].T
    G[p:, p:] = np.diag(stats.gaussian.block_sq[0])
    c = np.concatenate([stats.gaussian.dense_y, stats.gaussian.block_y[0]])
    theta = np.linalg.lstsq(G, c + G[:, 0] * stats.gaussian.dense_shift[0], rcond=1e-13)[0]
    W = np.hstack([dense, np.eye(8)[ix] * w[:, None]])
    mu = np.exp(eta(theta))
    assert np.max(np.abs(W.T @ (y - mu))) < 1e-6 * np.sum(y)
    assert approx(theta) == pytest.approx(exact(theta), rel=1e-9, abs=1e-6)
    rng = np.random.default_rng(0)
    for scale in (1e-3, 1e-2):
        delta = rng.normal(0, scale, p + 8)
        cubic = float(np.sum(mu * np.abs(W @ delta) ** 3)) / 6.0
        gap = abs(approx(theta + delta) - exact(theta + delta))
        assert gap <= 1.2 * cubic + 1e-6
    # the Hessian of the exact log-likelihood at the maximum is -W' diag(mu) W = -G
    np.testing.assert_allclose(W.T @ (mu[:, None] * W), G, rtol=1e-6,
                               atol=1e-8 * np.max(np.abs(G)))


def test_laplace_refuses_other_families(frame):
    with pytest.raises(ValueError, match="poisson family with the log"):
        bz.sample_big(GAUSS, frame, approximation="laplace")
    with pytest.raises(ValueError, match="approximation must be"):
        bz.sample_big(GAUSS, frame, approximation="quadratic")


@pytest.mark.slow
def test_laplace_posterior_close_to_exact(frame):
    # 3000 rows on 12 x 9 x 8 cells: the exact statistics collapse, so both can be sampled
    kw = {"chains": 2, "draws": 500, "tune": 500, "seed": 5, "progress": False,
          "parameterization": "centered"}
    exact = bz.sample_big(POIS, frame, "poisson", **kw)
    approx = bz.sample_big(POIS, frame, "poisson", approximation="laplace", **kw)
    assert approx.attrs["approximation"] == "laplace" and approx.attrs["statistics_rows"] == 10
    scalars = [k for k, v in exact.posterior.data_vars.items() if v.ndim == 2]
    assert "b_Intercept" in scalars and len(scalars) >= 5
    for name in scalars:
        e, a = exact.posterior[name].values.ravel(), approx.posterior[name].values.ravel()
        assert abs(a.mean() - e.mean()) < 0.25 * e.std()
        assert a.std() == pytest.approx(e.std(), rel=0.25)
