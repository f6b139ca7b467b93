"""Per-example losses on a network's raw output (logits for softmax and sigmoid outputs), each
with the metric reported beside it, as Keras's ``loss=`` and ``metrics=`` names: softmax
cross-entropy on integer labels (Keras's ``sparse_categorical_crossentropy`` ``from_logits``),
sigmoid binary cross-entropy, mean squared and mean absolute error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bayeszoo.runtime import ensure_configured

ensure_configured()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
from flax import nnx  # noqa: E402


@dataclass(frozen=True)
class Loss:
    """A per-example loss on the model's raw output, and the metric reported beside it.

    Parameters
    ----------
    name : str
        The loss's name (a key of :data:`LOSSES`, or a function's name).
    fn : callable
        ``fn(raw_output, y) -> [n]`` per-example losses.
    metric : str, optional
        The metric's name (``"accuracy"``, ``"mae"``).
    metric_fn : callable, optional
        ``metric_fn(raw_output, y) -> [n]``.
    task : str
        ``"multiclass"``, ``"binary"``, ``"regression"`` or ``"custom"``.
    """

    name: str
    fn: Callable[[jax.Array, jax.Array], jax.Array]
    metric: str | None = None
    metric_fn: Callable[[jax.Array, jax.Array], jax.Array] | None = None
    task: str = "custom"  # "multiclass", "binary", "regression" or "custom"


def _squeeze1(raw: jax.Array) -> jax.Array:
    return raw[..., 0] if raw.ndim == 2 and raw.shape[-1] == 1 else raw


def _regression_residual(raw, y):
    return raw - y.reshape(raw.shape)


def _mean_rows(a):
    return a.reshape(a.shape[0], -1).mean(axis=1)


LOSSES: dict[str, Loss] = {
    "cross_entropy": Loss(
        "cross_entropy",
        lambda raw, y: optax.softmax_cross_entropy_with_integer_labels(raw, y.astype(jnp.int32)),
        "accuracy",
        lambda raw, y: (jnp.argmax(raw, axis=-1) == y.astype(jnp.int32)).astype(jnp.float32),
        "multiclass",
    ),
    "binary_cross_entropy": Loss(
        "binary_cross_entropy",
        lambda raw, y: optax.sigmoid_binary_cross_entropy(_squeeze1(raw), y.astype(raw.dtype)),
        "accuracy",
        lambda raw, y: ((_squeeze1(raw) > 0) == (y > 0.5)).astype(jnp.float32),
        "binary",
    ),
    "mse": Loss("mse", lambda raw, y: _mean_rows(_regression_residual(raw, y) ** 2), "mae",
                lambda raw, y: _mean_rows(jnp.abs(_regression_residual(raw, y))), "regression"),
    "mae": Loss("mae", lambda raw, y: _mean_rows(jnp.abs(_regression_residual(raw, y))), "mae",
                lambda raw, y: _mean_rows(jnp.abs(_regression_residual(raw, y))), "regression"),
}
_DEFAULT_LOSS = {"softmax": "cross_entropy", "sigmoid": "binary_cross_entropy", "linear": "mse"}


def resolve_loss(loss: str | Loss | Callable | None, model: nnx.Module | None = None) -> Loss:
    """A :class:`Loss` from a name in :data:`LOSSES`, a ``Loss``, a per-example function
    ``fn(raw_output, y) -> [n]``, or ``None`` (chosen from the model's ``output``).

    Parameters
    ----------
    loss : str, Loss, callable or None
        What to resolve.
    model : flax.nnx.Module, optional
        The network whose ``output`` chooses the loss when ``loss`` is ``None``.

    Returns
    -------
    Loss
        The loss and its metric.

    Raises
    ------
    ValueError
        For an unknown name, or ``None`` with a model that has no ``output``.
    TypeError
        For anything else than a name, a Loss or a function.

    Examples
    --------
    >>> from bayeszoo import nn
    >>> nn.resolve_loss("mse").metric
    'mae'
    >>> nn.resolve_loss(None, nn.MLP(4, hidden=(8,), out_features=3)).name
    'cross_entropy'
    """
    if isinstance(loss, Loss):
        return loss
    if loss is None:
        output = getattr(model, "output", None)
        if output not in _DEFAULT_LOSS:
            raise ValueError("pass loss=: the model has no 'output' attribute to choose one from")
        loss = _DEFAULT_LOSS[output]
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; use one of {sorted(LOSSES)} or a function")
        return LOSSES[loss]
    if callable(loss):
        return Loss(getattr(loss, "__name__", "custom"), loss)
    raise TypeError(f"loss must be a name, a Loss or a function, got {type(loss).__name__}")
