"""Flax NNX networks: Keras parameter counts, float32 parameters under x64, dropout behaviour."""

import numpy as np
import pytest

from bayeszoo.nn import CNN, MLP, Perceptron, count_params, output_activation


def test_parameter_counts_equal_keras():
    assert count_params(MLP(784, hidden=(512,), out_features=10, dropout=0.2)) == 407_050
    assert count_params(CNN()) == 3_149_394
    assert count_params(Perceptron(2, 1)) == 3
    # penguins classifier: 9 inputs (3 numeric + island 3 + sex 2 + body mass) -> 10 -> 5 -> 3
    n = (9 + 1) * 10 + (10 + 1) * 5 + (5 + 1) * 3
    assert count_params(MLP(9, hidden=(10, 5), out_features=3)) == n


def test_float32_parameters_and_outputs_under_x64():
    import jax
    import jax.numpy as jnp
    from flax import nnx

    assert jax.config.jax_enable_x64
    for model, x in [(MLP(4, (8,), 3, rngs=1), jnp.ones((2, 4), jnp.float64)),
                     (CNN(rngs=1), jnp.ones((2, 28, 28, 1), jnp.float64))]:
        dtypes = {leaf.dtype for leaf in jax.tree_util.tree_leaves(nnx.state(model, nnx.Param))}
        assert dtypes == {jnp.dtype("float32")}
        assert model(x).dtype == jnp.float32


def test_shapes_and_flattening():
    import jax.numpy as jnp

    m = MLP(784, (16,), 10, rngs=0)
    assert m(jnp.ones((3, 28, 28))).shape == (3, 10)
    assert CNN(rngs=0)(jnp.ones((5, 28, 28, 1))).shape == (5, 10)
    assert Perceptron(3, 2, output="softmax")(jnp.ones((4, 3))).shape == (4, 2)


def test_dropout_only_in_training_mode():
    import jax
    import jax.numpy as jnp

    m = MLP(10, (64,), 2, dropout=0.5, rngs=0)
    x = jnp.ones((4, 10))
    np.testing.assert_array_equal(m(x), m(x))
    a = m(x, train=True, rngs=jax.random.key(0))
    b = m(x, train=True, rngs=jax.random.key(0))
    c = m(x, train=True, rngs=jax.random.key(1))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert not np.allclose(a, m(x))


def test_same_seed_same_initial_weights():
    import jax

    a, b = MLP(5, (7,), 2, rngs=3), MLP(5, (7,), 2, rngs=3)
    x = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)
    np.testing.assert_array_equal(a(x), b(x))
    assert not np.allclose(a(x), MLP(5, (7,), 2, rngs=4)(x))
    assert jax.numpy.all(a.layers[0].bias[...] == 0)  # Keras: zero biases


def test_output_activation():
    import jax.numpy as jnp

    raw = jnp.array([[0.0, np.log(3.0)]])
    np.testing.assert_allclose(output_activation("softmax", raw), [[0.25, 0.75]], rtol=1e-6)
    np.testing.assert_allclose(output_activation("sigmoid", jnp.zeros(2)), [0.5, 0.5])
    np.testing.assert_array_equal(output_activation("linear", raw), raw)


def test_bad_settings():
    with pytest.raises(ValueError, match="activation"):
        MLP(3, (4,), 2, activation="swishy")
    with pytest.raises(ValueError, match="dropout rates"):
        MLP(3, (4, 4), 2, dropout=(0.1,))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        MLP(3, (4,), 2, dropout=1.0)
    with pytest.raises(ValueError, match="output"):
        Perceptron(3, 1, output="relu")
