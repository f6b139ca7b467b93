"""The regrouped collapsed cumulative logit sum (one log-sigmoid per design row and threshold,
:mod:`bayeszoo.families.ordinal_logit`) equals ``Σ_p Σ_k n_pk log P(y = k | eta_p)`` from the
category probabilities, with its gradient, also when the top ratings are unobserved and far in
the tails; the log-sigmoid and its derivative are those of ``jax.nn``."""

from __future__ import annotations

import numpy as np
import pytest

from bayeszoo.families import get
from bayeszoo.families.ops import NUMPY


def direct_sum(counts, eta, thresholds):
    logp = np.stack(get("cumulative").log_probs(NUMPY, eta, {"thresholds": thresholds}), -1)
    return float(np.sum(counts * logp[:, :counts.shape[1]]))


@pytest.mark.parametrize("observed", [4, 3], ids=["all-ratings", "top-rating-unobserved"])
def test_regrouped_sum_equals_the_category_sum(observed):
    import jax

    from bayeszoo.families.ordinal_logit import cumulative_logit_sum, logit_weights
    from bayeszoo.runtime import ensure_configured

    def cumulative_logit_counts(counts, eta, thresholds):
        return cumulative_logit_sum(logit_weights(counts), eta, thresholds)

    ensure_configured()
    rng = np.random.default_rng(8)
    counts = rng.integers(0, 4, (50, observed)).astype(float)
    eta = np.concatenate([rng.normal(0, 2, 48), [-40.0, 45.0]])
    thresholds = np.array([-1.2, 0.1, 0.9])
    got = float(cumulative_logit_counts(counts, eta, thresholds))
    want = direct_sum(counts, eta, thresholds)
    assert abs(got - want) <= 1e-12 * abs(want)
    grad = jax.grad(cumulative_logit_counts, argnums=(1, 2))(counts, eta, thresholds)
    h = 1e-6
    for j in (0, 7, 48, 49):
        e = np.zeros_like(eta)
        e[j] = h
        fd = (direct_sum(counts, eta + e, thresholds)
              - direct_sum(counts, eta - e, thresholds)) / (2 * h)
        assert abs(float(grad[0][j]) - fd) <= 1e-6 * max(1.0, abs(fd))
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        fd = (direct_sum(counts, eta, thresholds + e)
              - direct_sum(counts, eta, thresholds - e)) / (2 * h)
        assert abs(float(grad[1][k]) - fd) <= 1e-6 * max(1.0, abs(fd))


def test_log_sigmoid_and_its_derivative():
    import jax
    import jax.numpy as jnp

    from bayeszoo.families.ordinal_logit import log_sigmoid
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    x = jnp.asarray([-800.0, -40.0, -3.0, -1e-9, 0.0, 1e-9, 2.5, 40.0, 800.0])
    np.testing.assert_allclose(log_sigmoid(x), jax.nn.log_sigmoid(x), rtol=1e-15, atol=0)
    grad = jax.vmap(jax.grad(log_sigmoid))(x)
    np.testing.assert_allclose(grad, jax.nn.sigmoid(-x), rtol=1e-15, atol=1e-300)
