"""Optimizers and learning rates for :func:`bayeszoo.nn.training.train`: Keras's RMSprop, Adam
and SGD defaults as Optax transformations, the check of a learning rate, and the MNIST recipes'
warm-up + cosine schedule (cosine decay: Loshchilov & Hutter 2017, "SGDR"; linear warm-up:
Goyal et al. 2017, "Accurate, large minibatch SGD")."""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

from bayeszoo.runtime import ensure_configured

ensure_configured()

import optax  # noqa: E402


def check_lr(lr: float | Callable | None, name: str = "lr") -> None:
    """A learning rate must be ``None`` (the optimizer's default), an Optax schedule or a
    positive finite number; anything else is a ``ValueError`` naming ``name`` and the value."""
    if lr is None or callable(lr):
        return
    if isinstance(lr, bool) or not isinstance(lr, Real) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"{name} must be a positive finite number or an optax schedule, "
                         f"got {lr!r}")


def describe_lr(lr: float | Callable | None) -> float | str | None:
    """A JSON-able learning rate: the number, or ``"schedule"`` for an Optax schedule."""
    return lr if lr is None or isinstance(lr, (int, float)) else "schedule"


def resolve_optimizer(optimizer: str | optax.GradientTransformation,
                      lr: float | Callable | None = None) -> optax.GradientTransformation:
    """``"rmsprop"`` and ``"adam"`` with Keras's defaults (lr 0.001, eps 1e-7), ``"sgd"``
    (lr 0.01) -- ``lr`` a number or an Optax schedule -- or any Optax transformation (then
    ``lr`` must be left ``None``).

    Parameters
    ----------
    optimizer : str or optax.GradientTransformation
        ``"rmsprop"``, ``"adam"``, ``"sgd"`` or a transformation.
    lr : float or optax.Schedule, optional
        The learning rate of a named optimizer (default Keras's).

    Returns
    -------
    optax.GradientTransformation
        The optimizer.

    Raises
    ------
    ValueError
        For an unknown name, a learning rate that is not positive and finite, or ``lr`` with
        a transformation.
    TypeError
        When ``optimizer`` is neither a name nor a transformation.

    Examples
    --------
    >>> from bayeszoo import nn
    >>> tx = nn.resolve_optimizer("adam", lr=0.01)
    >>> nn.resolve_optimizer(tx, lr=0.01)
    Traceback (most recent call last):
    ...
    ValueError: lr applies to a named optimizer; an optax transformation carries its own
    """
    check_lr(lr)
    if isinstance(optimizer, str):
        name = optimizer.lower()
        if name == "rmsprop":
            return optax.rmsprop(1e-3 if lr is None else lr, decay=0.9, eps=1e-7,
                                 eps_in_sqrt=False)
        if name == "adam":
            return optax.adam(1e-3 if lr is None else lr, eps=1e-7)
        if name == "sgd":
            return optax.sgd(1e-2 if lr is None else lr)
        raise ValueError(f"unknown optimizer {optimizer!r}; use 'rmsprop', 'adam', 'sgd' or an "
                         "optax transformation")
    if lr is not None:
        raise ValueError("lr applies to a named optimizer; an optax transformation carries its own")
    if not hasattr(optimizer, "update") or not hasattr(optimizer, "init"):
        raise TypeError(f"optimizer must be a name or an optax transformation, got {optimizer!r}")
    return optimizer


def warmup_cosine(n_rows: int, epochs: int, peak: float = 1e-3, batch_size: int = 128,
                  validation_split: float | None = 0.2) -> optax.Schedule:
    """The MNIST recipes' learning rate for :func:`bayeszoo.nn.training.train` on ``n_rows``
    rows: a linear warm-up from 0 to ``peak`` over the first epoch, then a cosine decay to 0 by
    the last step of ``epochs`` (an epoch is the batches of the rows left after
    ``validation_split``).

    Parameters
    ----------
    n_rows : int
        Rows given to training (before the validation split).
    epochs : int
        Epochs of training.
    peak : float
        The learning rate at the end of the warm-up.
    batch_size : int
        Rows per step.
    validation_split : float, optional
        The fraction held out for validation.

    Returns
    -------
    optax.Schedule
        Step -> learning rate.

    Examples
    --------
    >>> from bayeszoo import nn
    >>> schedule = nn.warmup_cosine(1000, epochs=5, peak=1e-3, batch_size=100)
    >>> float(schedule(0)), float(schedule(8))
    (0.0, 0.001)
    """
    check_lr(peak, "peak")
    n_fit = n_rows - int(math.floor(n_rows * (validation_split or 0.0)))
    per_epoch = int(math.ceil(n_fit / batch_size))
    return optax.warmup_cosine_decay_schedule(0.0, peak, per_epoch,
                                              max(per_epoch * int(epochs), per_epoch + 1), 0.0)
