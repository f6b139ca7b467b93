"""Ordinal rows that share a design row and a rating collapse into one weighted row: the
NumPyro potential and its gradient equal the row-wise ones at fixed parameters, for every
ordinal family, with and without ``weights()``; the counts per pattern and rating add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.families import get
from bayeszoo.families.patterns import category_counts
from bayeszoo.models.likelihood import ModelData


def ratings_data(n: int = 600, groups: int = 12, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    a, b = rng.integers(0, 2, n), rng.integers(0, 3, n)
    eta = 0.8 * a - 0.5 * b + rng.normal(0, 0.7, groups)[g]
    latent = eta + rng.logistic(size=n)
    y = 1 + np.searchsorted([-1.0, 0.2, 1.4], latent)
    return pd.DataFrame({"y": pd.Categorical(y, categories=[1, 2, 3, 4], ordered=True),
                         "a": a.astype(float), "b": pd.Categorical(b),
                         "g": pd.Categorical(g), "w": rng.integers(1, 4, n).astype(float)})


def potentials(design):
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro

    out = []
    for stats in (True, False):
        built = build_numpyro(design, sufficient_stats=stats)
        info = initialize_model(jax.random.PRNGKey(0), built.model, model_args=(built.data,))
        out.append((built, info.potential_fn, info.param_info.z))
    return out


def test_category_counts_by_hand():
    inverse = np.array([0, 1, 0, 0, 2, 1])
    y = np.array([1, 3, 1, 2, 2, 3])
    np.testing.assert_array_equal(category_counts(inverse, 3, y),
                                  [[2, 1, 0], [0, 0, 2], [0, 1, 0]])
    w = np.array([0.5, 1, 2, 3, 1, 4])
    np.testing.assert_array_equal(category_counts(inverse, 3, y, w),
                                  [[2.5, 3, 0], [0, 0, 5], [0, 1, 0]])


@pytest.mark.parametrize("family", ["cumulative", "sratio", "cratio", "acat",
                                    get("cumulative", "probit")],
                         ids=["cumulative", "sratio", "cratio", "acat", "cumulative-probit"])
@pytest.mark.parametrize("weighted", [False, True], ids=["counts", "weights"])
def test_collapsed_log_density_equals_row_wise(family, weighted):
    import jax

    d = ratings_data()
    formula = "y | weights(w) ~ a + b + (1 | g)" if weighted else "y ~ a + b + (1 | g)"
    design = bz.design(formula, d, family=family)
    (built, potential, z0), (rows, potential_rows, _) = potentials(design)
    assert isinstance(rows.data, ModelData)
    assert not isinstance(built.data, ModelData)
    n_patterns = len(d.groupby(["a", "b", "g"], observed=True))
    assert built.data.arrays.X.shape[0] == n_patterns < design.n
    assert built.data.n_rows == design.n
    (counts,) = built.data.sums
    w = d["w"].to_numpy() if weighted else np.ones(design.n)
    assert counts.sum() == pytest.approx(w.sum(), rel=1e-14)
    np.testing.assert_allclose(counts.sum(axis=0),
                               [w[d["y"].cat.codes.to_numpy() == k].sum() for k in range(4)])
    rng = np.random.default_rng(11)
    for _ in range(3):
        point = {k: np.asarray(v) + 0.4 * rng.normal(size=np.shape(v)) for k, v in z0.items()}
        lp, lp_rows = float(potential(point)), float(potential_rows(point))
        assert np.isfinite(lp)
        assert abs(lp - lp_rows) <= 1e-10 * max(1.0, abs(lp_rows))
        g, g_rows = jax.grad(potential)(point), jax.grad(potential_rows)(point)
        for k in point:
            np.testing.assert_allclose(np.asarray(g[k]), np.asarray(g_rows[k]), rtol=1e-9,
                                       atol=1e-9)


def test_distinct_rows_not_collapsed():
    """A continuous covariate makes every row its own pattern: the likelihood stays row-wise."""
    d = ratings_data(n=80)
    d["x"] = np.random.default_rng(0).normal(size=len(d))
    (built, _, _), _ = potentials(bz.design("y ~ x + a", d, family="cumulative"))
    assert isinstance(built.data, ModelData)
