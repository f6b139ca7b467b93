"""The cumulative logit model's collapsed likelihood reads weights computed once from the
counts, laid out threshold by threshold (``(K' - 1) × P``), with the linear terms summed from
their margins: the counts' weights by hand, and the NumPyro potential and its gradient equal
to the category sum ``Σ_p Σ_k n_pk log P(y = k | eta_p)`` of :class:`~bayeszoo.families.
ordinal.Ordinal` (the sum before the regrouping) at random points, with every rating observed
and with the top rating unobserved, with ``weights()``, centered and non-centered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.families.ordinal import Ordinal


def test_logit_weights_by_hand():
    from bayeszoo.families.ordinal_logit import logit_weights

    counts = np.array([[2.0, 1.0, 0.0, 3.0], [0.0, 4.0, 1.0, 0.0], [1.0, 0.0, 0.0, 2.0]])
    w = logit_weights(counts)
    np.testing.assert_array_equal(w.log_sigmoid, [[3, 4, 1], [1, 5, 0], [3, 1, 2]])
    assert w.log_sigmoid.flags.c_contiguous
    np.testing.assert_array_equal(w.top, [3, 0, 2])
    np.testing.assert_array_equal(w.above, [4, 5, 2])
    np.testing.assert_array_equal(w.totals, [3, 5, 1, 5])


def ratings(n: int, groups: int, top: bool, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    a, b = rng.integers(0, 2, n), rng.integers(0, 3, n)
    latent = 0.8 * a - 0.5 * b + rng.normal(0, 0.7, groups)[g] + rng.logistic(size=n)
    y = 1 + np.searchsorted([-1.0, 0.2, 1.4], latent)
    if not top:
        y = np.minimum(y, 3)
    return pd.DataFrame({"y": pd.Categorical(y, categories=[1, 2, 3, 4], ordered=True),
                         "a": a.astype(float), "b": pd.Categorical(b), "g": pd.Categorical(g),
                         "w": rng.integers(1, 4, n).astype(float)})


@pytest.mark.parametrize("top", [True, False], ids=["all-ratings", "top-unobserved"])
@pytest.mark.parametrize("weighted", [False, True], ids=["counts", "weights"])
@pytest.mark.parametrize("parameterization", ["noncentered", "centered"])
def test_potential_equals_the_category_sum(top, weighted, parameterization):
    import jax
    from numpyro.infer.util import initialize_model, potential_energy

    from bayeszoo.families.ordinal_logit import LogitPatternStats
    from bayeszoo.models.numpyro import build_numpyro

    d = ratings(3000, 40, top)
    formula = "y | weights(w) ~ a + b + (1 | g)" if weighted else "y ~ a + b + (1 | g)"
    design = bz.design(formula, d, family="cumulative")
    built = build_numpyro(design, parameterization=parameterization)
    assert isinstance(built.data, LogitPatternStats)
    n_observed = 4 if top else 3
    assert built.data.weights.log_sigmoid.shape == (n_observed - 1,
                                                    built.data.arrays.X.shape[0])
    info = initialize_model(jax.random.PRNGKey(0), built.model, model_args=(built.data,))
    z0 = info.param_info.z

    def potential(z):
        return potential_energy(built.model, (built.data,), {}, z)

    family_type = type(built.spec.family)
    regrouped = jax.jit(jax.value_and_grad(potential))
    rng = np.random.default_rng(2)
    points = [{k: np.asarray(v) + 0.5 * rng.normal(size=np.shape(v)) for k, v in z0.items()}
              for _ in range(3)]
    new = [regrouped(p) for p in points]
    original = family_type.summary_log_likelihood
    family_type.summary_log_likelihood = Ordinal.summary_log_likelihood
    try:
        stacked = jax.jit(jax.value_and_grad(lambda z: potential(z)))
        old = [stacked(p) for p in points]
    finally:
        family_type.summary_log_likelihood = original
    for (lp, g), (lp_old, g_old) in zip(new, old, strict=True):
        assert np.isfinite(float(lp))
        assert abs(float(lp) - float(lp_old)) <= 1e-10 * max(1.0, abs(float(lp_old)))
        for k in g:
            np.testing.assert_allclose(np.asarray(g[k]), np.asarray(g_old[k]), rtol=1e-9,
                                       atol=1e-9)
