"""Flax NNX networks of the lecture: :class:`Perceptron`, :class:`MLP` and the MNIST :class:`CNN`.

Every module returns the *pre-activation* of its output layer (logits for ``softmax`` and
``sigmoid`` outputs); the losses in :mod:`bayeszoo.nn.losses` work on those for
numerical stability, and :func:`output_activation` turns them into probabilities for prediction.
Parameters are float32 whatever the JAX x64 setting; kernels start Glorot-uniform and biases at
zero, as in Keras, and the parameter counts equal Keras's (:func:`count_params`).

Dropout layers carry no random state: the training loop passes a fresh key per step as
``model(x, train=True, rngs=key)``, so the same seed gives the same weights and a resumed run
draws the same masks as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
from flax import nnx

from bayeszoo.runtime import ensure_configured

ensure_configured()

OUTPUTS = ("softmax", "sigmoid", "linear")

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "softplus": jax.nn.softplus,
    "gelu": jax.nn.gelu,
    "elu": jax.nn.elu,
    "linear": lambda x: x,
}


def _activation(name: str | Callable) -> Callable[[jax.Array], jax.Array]:
    if callable(name):
        return name
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; use one of {sorted(ACTIVATIONS)} "
                         "or pass a function")
    return ACTIVATIONS[name]


def _check_output(output: str) -> str:
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r}; use one of {OUTPUTS}")
    return output


def output_activation(output: str, raw: jax.Array) -> jax.Array:
    """Map a module's raw output to predictions: softmax/sigmoid probabilities or identity.

    Parameters
    ----------
    output : str
        ``"softmax"``, ``"sigmoid"`` or ``"linear"`` (a module's ``output``).
    raw : jax.Array
        The module's raw output (logits for softmax and sigmoid).

    Returns
    -------
    jax.Array
        Probabilities, or ``raw`` itself for a linear output.

    Examples
    --------
    >>> import numpy as np
    >>> from bayeszoo import nn
    >>> np.asarray(nn.output_activation("softmax", np.array([[0.0, 0.0]])))
    array([[0.5, 0.5]])
    """
    if output == "softmax":
        return jax.nn.softmax(raw, axis=-1)
    if output == "sigmoid":
        return jax.nn.sigmoid(raw)
    return raw


def _rngs(rngs: nnx.Rngs | int | None) -> nnx.Rngs:
    if rngs is None:
        return nnx.Rngs(0)
    if isinstance(rngs, int):
        return nnx.Rngs(rngs)
    return rngs


def _dense(n_in: int, n_out: int, rngs: nnx.Rngs) -> nnx.Linear:
    return nnx.Linear(n_in, n_out, kernel_init=nnx.initializers.glorot_uniform(),
                      bias_init=nnx.initializers.zeros_init(), dtype=jnp.float32,
                      param_dtype=jnp.float32, rngs=rngs)


def max_pool(x: jax.Array, size: int = 2) -> jax.Array:
    """Non-overlapping ``size × size`` max-pooling of ``[n, h, w, c]`` (Keras's ``MaxPooling2D``
    with ``padding="valid"``: trailing rows and columns that fill no window are dropped).

    The same values as ``flax.nnx.max_pool(x, (size, size), strides=(size, size))``, computed as
    a maximum over reshaped axes: its gradient is an elementwise mask, where the windowed
    reduction's gradient (XLA's ``select_and_scatter``) is the slowest operation of the MNIST
    CNN's training step on a CPU (about a quarter of the step). Where a window holds ties, the
    gradient is shared among them instead of going to the first.

    Parameters
    ----------
    x : jax.Array
        Channels-last images ``[n, h, w, c]``.
    size : int
        The window's height and width, and its stride.

    Returns
    -------
    jax.Array
        ``[n, h // size, w // size, c]``.

    Examples
    --------
    >>> import numpy as np
    >>> from bayeszoo import nn
    >>> np.asarray(nn.max_pool(np.arange(16.0).reshape(1, 4, 4, 1)))[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    n, h, w, c = x.shape
    hh, ww = h // size, w // size
    x = x[:, :hh * size, :ww * size, :]
    return x.reshape(n, hh, size, ww, size, c).max(axis=(2, 4))


def count_params(model: nnx.Module) -> int:
    """Number of trainable parameters (Keras's "Trainable params").

    Parameters
    ----------
    model : flax.nnx.Module
        A network.

    Returns
    -------
    int
        The number of parameters.

    Examples
    --------
    >>> from bayeszoo import nn
    >>> nn.count_params(nn.MLP(784, hidden=(512,), out_features=10))
    407050
    """
    state = nnx.state(model, nnx.Param)
    return int(sum(x.size for x in jax.tree_util.tree_leaves(state)))


class Perceptron(nnx.Module):
    """One dense layer ``x·W + b``: linear regression (``output="linear"``), logistic regression
    (``"sigmoid"``) or multinomial regression (``"softmax"``).

    Parameters
    ----------
    in_features : int
        Inputs per row (images are flattened).
    out_features : int
        Outputs per row.
    output : str
        ``"linear"``, ``"sigmoid"`` or ``"softmax"``.
    rngs : flax.nnx.Rngs or int, optional
        The initialization's random state (an int seeds one; default seed 0).

    Examples
    --------
    >>> from bayeszoo import nn
    >>> nn.count_params(nn.Perceptron(4, 3, output="softmax"))
    15
    """

    def __init__(self, in_features: int, out_features: int = 1, output: str = "linear", *,
                 rngs: nnx.Rngs | int | None = None):
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.output = _check_output(output)
        self.input_shape = (self.in_features,)
        self.flattens = True
        self.linear = _dense(self.in_features, self.out_features, _rngs(rngs))

    def __call__(self, x: jax.Array, *, train: bool = False, rngs=None) -> jax.Array:
        return self.linear(x.reshape(x.shape[0], -1))


class MLP(nnx.Module):
    """Dense layers ``hidden`` (e.g. ``(512,)`` or ``(10, 5)``) with ``activation``, each
    followed by dropout, then a dense output layer of ``out_features``.

    ``dropout`` is one rate for every hidden layer or one rate per hidden layer (0 for none).
    Inputs with more than one feature axis (images) are flattened, as Keras's ``Flatten``.

    Parameters
    ----------
    in_features : int
        Inputs per row.
    hidden : sequence of int
        The hidden layers' sizes.
    out_features : int
        Outputs per row.
    activation : str or callable
        A name of :data:`ACTIVATIONS` or a function.
    dropout : float or sequence of float
        Dropout rates in [0, 1).
    output : str
        ``"softmax"``, ``"sigmoid"`` or ``"linear"``.
    rngs : flax.nnx.Rngs or int, optional
        The initialization's random state (an int seeds one; default seed 0).

    Raises
    ------
    ValueError
        For a hidden size below 1, a dropout rate outside [0, 1) or as many rates as layers
        not given, an unknown activation or output.

    Examples
    --------
    >>> from bayeszoo import nn
    >>> nn.count_params(nn.MLP(4, hidden=(8,), out_features=3))
    67
    """

    def __init__(self, in_features: int, hidden: Sequence[int] = (512,), out_features: int = 10,
                 activation: str | Callable = "relu", dropout: float | Sequence[float] = 0.0,
                 output: str = "softmax", *, rngs: nnx.Rngs | int | None = None):
        hidden = tuple(int(h) for h in hidden)
        if any(h < 1 for h in hidden):
            raise ValueError(f"hidden layer sizes must be positive, got {hidden}")
        rates = (tuple(float(d) for d in dropout) if isinstance(dropout, Sequence)
                 else (float(dropout),) * len(hidden))
        if len(rates) != len(hidden):
            raise ValueError(f"{len(rates)} dropout rates for {len(hidden)} hidden layers")
        if any(not 0.0 <= r < 1.0 for r in rates):
            raise ValueError(f"dropout rates must lie in [0, 1), got {rates}")
        rngs = _rngs(rngs)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.input_shape = (self.in_features,)
        self.flattens = True
        self.hidden, self.rates = hidden, rates
        self.output = _check_output(output)
        self.activation = _activation(activation)
        sizes = (self.in_features, *hidden)
        self.layers = nnx.List([_dense(a, b, rngs) for a, b in zip(sizes[:-1], sizes[1:],
                                                                    strict=True)])
        self.dropouts = nnx.List([nnx.Dropout(r) for r in rates])
        self.head = _dense(sizes[-1], self.out_features, rngs)

    def __call__(self, x: jax.Array, *, train: bool = False, rngs=None) -> jax.Array:
        x = x.reshape(x.shape[0], -1)
        for layer, drop in zip(self.layers, self.dropouts, strict=True):
            x = self.activation(layer(x))
            if drop.rate > 0:
                x = drop(x, deterministic=not train, rngs=rngs)
        return self.head(x)


class CNN(nnx.Module):
    """The lecture's MNIST network: conv 32 3×3 same + relu, conv 16 2×2 same + softplus,
    max-pool 2×2, flatten, dense 1000 + relu, dropout 0.5, dense 10 (softmax output).

    Input ``[n, 28, 28, 1]`` (channels last, as Keras); 3,149,394 parameters.

    Parameters
    ----------
    input_shape : sequence of int
        ``(height, width, channels)``.
    out_features : int
        Classes.
    dropout : float
        The rate before the output layer.
    rngs : flax.nnx.Rngs or int, optional
        The initialization's random state (an int seeds one; default seed 0).

    Examples
    --------
    >>> from bayeszoo import nn
    >>> nn.count_params(nn.CNN())
    3149394
    """

    def __init__(self, input_shape: Sequence[int] = (28, 28, 1), out_features: int = 10,
                 dropout: float = 0.5, *, rngs: nnx.Rngs | int | None = None):
        rngs = _rngs(rngs)
        h, w, c = (int(s) for s in input_shape)
        self.input_shape = (h, w, c)
        self.flattens = False
        self.out_features = int(out_features)
        self.output = "softmax"
        glorot = nnx.initializers.glorot_uniform()
        self.conv1 = nnx.Conv(c, 32, (3, 3), padding="SAME", kernel_init=glorot,
                              dtype=jnp.float32, param_dtype=jnp.float32, rngs=rngs)
        self.conv2 = nnx.Conv(32, 16, (2, 2), padding="SAME", kernel_init=glorot,
                              dtype=jnp.float32, param_dtype=jnp.float32, rngs=rngs)
        self.dense = _dense((h // 2) * (w // 2) * 16, 1000, rngs)
        self.drop = nnx.Dropout(dropout)
        self.head = _dense(1000, self.out_features, rngs)

    def __call__(self, x: jax.Array, *, train: bool = False, rngs=None) -> jax.Array:
        x = jax.nn.relu(self.conv1(x))
        x = jax.nn.softplus(self.conv2(x))
        x = max_pool(x, 2)
        x = x.reshape(x.shape[0], -1)
        x = jax.nn.relu(self.dense(x))
        x = self.drop(x, deterministic=not train, rngs=rngs)
        return self.head(x)
