"""The CNN's max-pooling as a reshape: the values of Flax's windowed max-pool, a gradient without
XLA's ``select_and_scatter`` (the slow part of a CPU training step), and the same CNN output."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from bayeszoo import nn


def test_values_equal_flax_max_pool_on_even_and_odd_sizes():
    rng = np.random.default_rng(0)
    for shape in ((3, 28, 28, 16), (2, 7, 5, 3)):
        x = jnp.asarray(rng.normal(size=shape).astype(np.float32))
        want = nnx.max_pool(x, window_shape=(2, 2), strides=(2, 2))
        got = nn.max_pool(x, 2)
        assert got.shape == want.shape
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_gradient_without_ties_is_flax_gradient():
    x = jnp.asarray(np.random.default_rng(1).normal(size=(2, 6, 6, 4)).astype(np.float32))
    g = jnp.asarray(np.random.default_rng(2).normal(size=(2, 3, 3, 4)).astype(np.float32))
    want = jax.grad(lambda x: jnp.sum(nnx.max_pool(x, (2, 2), strides=(2, 2)) * g))(x)
    got = jax.grad(lambda x: jnp.sum(nn.max_pool(x, 2) * g))(x)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    # one nonzero per window, carrying that window's upstream gradient
    assert int((np.asarray(got) != 0).sum()) == g.size


def test_cnn_gradient_has_no_select_and_scatter():
    model = nn.CNN(rngs=0)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    x = jnp.zeros((4, 28, 28, 1), jnp.float32)

    def loss(p):
        return jnp.sum(nnx.merge(graphdef, p, rest)(x))

    hlo = jax.jit(jax.grad(loss)).lower(params).as_text()
    assert "select_and_scatter" not in hlo and "reduce_window" not in hlo


def test_cnn_output_equals_the_windowed_pool_forward():
    model = nn.CNN(rngs=3)
    x = jnp.asarray(np.random.default_rng(3).normal(size=(5, 28, 28, 1)).astype(np.float32))
    h = jax.nn.softplus(model.conv2(jax.nn.relu(model.conv1(x))))
    h = nnx.max_pool(h, window_shape=(2, 2), strides=(2, 2)).reshape(5, -1)
    want = model.head(jax.nn.relu(model.dense(h)))
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(want), rtol=1e-6, atol=1e-6)
