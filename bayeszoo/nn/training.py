"""Training Flax NNX networks with Optax: a Keras-like loop, data-parallel over JAX devices.

:func:`train` fits a module from :mod:`bayeszoo.nn.modules` (or any NNX module whose
``__call__(x, *, train, rngs)`` returns the raw output) and returns a
:class:`bayeszoo.nn.history.History`; :func:`evaluate`, :func:`predict` and
:func:`confusion_matrix` score it. The steps run on the devices of
:func:`bayeszoo.runtime.data_mesh` (every GPU/TPU; on a CPU-only machine one device unless
``devices=`` names more, such as the runtime's host devices), as :mod:`bayeszoo.nn.steps`
describes.

Reproducibility: epoch ``e`` shuffles with ``numpy.random.default_rng([seed, e])`` and the
dropout masks of global step ``s`` come from ``fold_in(key(seed), s)``, so the same seed gives the
same weights, and a run resumed from a checkpoint (saved after every epoch, and on
``KeyboardInterrupt`` mid-epoch; :mod:`bayeszoo.nn.checkpoint`) ends with the same weights as an
uninterrupted one.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bayeszoo.runtime import data_mesh, ensure_configured

ensure_configured()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
from flax import nnx  # noqa: E402

from bayeszoo.nn.checkpoint import (  # noqa: E402
    CHECKPOINT_FILE,
    load_checkpoint,
    restore_arrays,
    save_checkpoint,
    training_fingerprint,
)
from bayeszoo.nn.checks import (  # noqa: E402
    as_arrays,
    check_count,
    check_inputs,
    check_shape,
    check_writable_dir,
    split_validation,
)
from bayeszoo.nn.history import History  # noqa: E402
from bayeszoo.nn.losses import Loss, resolve_loss  # noqa: E402
from bayeszoo.nn.modules import output_activation  # noqa: E402
from bayeszoo.nn.optimizers import describe_lr, resolve_optimizer  # noqa: E402
from bayeszoo.nn.steps import Steps, padded_batch, padded_size, split_model  # noqa: E402

EVAL_BATCH = 1024


def _fmt(row: dict[str, float]) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in row.items() if k != "time")


def train(
    model: nnx.Module,
    data: tuple[Any, Any],
    loss: str | Loss | Callable | None = None,
    optimizer: str | optax.GradientTransformation = "rmsprop",
    lr: float | None = None,
    epochs: int = 1,
    batch_size: int = 32,
    validation_split: float | None = None,
    seed: int = 0,
    checkpoint_dir: str | os.PathLike | None = None,
    progress: bool = True,
    *,
    validation_data: tuple[Any, Any] | None = None,
    resume: bool = True,
    callback: Callable[[int, int], None] | None = None,
    devices: list | None = None,
) -> History:
    """Fit ``model`` in place on ``data = (x, y)`` and return the per-epoch :class:`History`.

    ``loss``: ``"cross_entropy"`` (integer labels, softmax output), ``"binary_cross_entropy"``
    (0/1 labels, one sigmoid output), ``"mse"``, ``"mae"``, a per-example function
    ``fn(raw_output, y)``, or ``None`` for the one that matches ``model.output``.
    ``optimizer``: ``"rmsprop"``, ``"adam"``, ``"sgd"`` (learning rate ``lr``) or an Optax
    transformation. ``validation_split`` holds out the last fraction of the rows, as Keras does;
    ``validation_data=(x, y)`` gives a set instead.

    ``checkpoint_dir``: the state is saved there after every epoch and when training is
    interrupted (``KeyboardInterrupt``, re-raised after saving); a later call with the same
    data and settings resumes from it (``resume=False`` starts over). ``progress``: a tqdm bar
    per epoch and one Keras-like line per epoch on stdout. ``callback(epoch, batch)`` runs
    after every batch. ``devices``: the devices of the data-parallel mesh (default: see
    :func:`bayeszoo.runtime.data_mesh`).

    Errors before anything compiles: ``epochs`` or ``batch_size`` not a whole number of at least
    1, ``lr`` not a positive finite number, a ``checkpoint_dir`` that cannot be written, empty
    data, an input shape the model does not take, labels outside the model's classes,
    ``validation_split`` outside (0, 1).

    Parameters
    ----------
    model : flax.nnx.Module
        The network, updated in place.
    data : tuple
        ``(x, y)`` arrays.
    loss : str, Loss, callable or None
        As above (:func:`bayeszoo.nn.resolve_loss`).
    optimizer : str or optax.GradientTransformation
        As above (:func:`bayeszoo.nn.resolve_optimizer`).
    lr : float, optional
        The learning rate of a named optimizer.
    epochs : int
        Passes over the training rows.
    batch_size : int
        Rows per step.
    validation_split : float, optional
        The last fraction of the rows held out for validation.
    seed : int
        Seed of the shuffling and dropout.
    checkpoint_dir : str or os.PathLike, optional
        Where the state is saved after every epoch and resumed from.
    progress : bool
        Whether to show progress.
    validation_data : tuple, optional
        ``(x, y)`` for validation in place of ``validation_split``.
    resume : bool
        Whether to resume from ``checkpoint_dir``.
    callback : callable, optional
        ``callback(epoch, batch)`` after every batch.
    devices : list, optional
        The devices of the data-parallel mesh.

    Returns
    -------
    History
        The per-epoch figures.

    Raises
    ------
    ValueError
        For the settings and data listed above.

    Examples
    --------
    >>> from bayeszoo import datasets, nn
    >>> df = datasets.make_circle(n=400)
    >>> model = nn.MLP(2, hidden=(8,), out_features=1, output="sigmoid")
    >>> history = nn.train(model, (df[["x1", "x2"]].values, df["y"].values), optimizer="adam",
    ...                    lr=0.02, epochs=20, progress=False)  # doctest: +SKIP
    >>> history.history["accuracy"][-1]  # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    epochs = check_count("epochs", epochs)
    batch_size = check_count("batch_size", batch_size)
    if checkpoint_dir is not None:
        check_writable_dir(checkpoint_dir, "checkpoint_dir")
    tx = resolve_optimizer(optimizer, lr)
    loss_obj = resolve_loss(loss, model)
    x, y = as_arrays(data)
    x, y, xv, yv = split_validation(x, y, validation_split, validation_data)
    graphdef, params, rest = split_model(model)
    x, y = check_inputs(model, graphdef, params, rest, x, y, loss_obj)
    if xv is not None:
        xv, yv = check_inputs(model, graphdef, params, rest, xv, yv, loss_obj)

    mesh = data_mesh(devices)
    steps = Steps(graphdef, loss_obj, tx, mesh)
    size = padded_size(batch_size, steps.n_dev)
    n = len(x)
    n_batches = int(math.ceil(n / batch_size))
    metric = loss_obj.metric

    opt_state = tx.init(params)
    fingerprint = training_fingerprint(params, n, 0 if xv is None else len(xv), batch_size, seed,
                               loss_obj, optimizer, lr)
    history = History(params={"epochs": epochs, "batch_size": batch_size, "steps": n_batches,
                              "samples": n, "validation_samples": 0 if xv is None else len(xv),
                              "loss": loss_obj.name, "metric": metric,
                              "optimizer": optimizer if isinstance(optimizer, str) else "custom",
                              "lr": describe_lr(lr), "seed": seed, "devices": steps.n_dev})
    start_epoch, start_batch = 0, 0
    acc = np.zeros(3, np.float32)
    carried_seconds = 0.0
    ckpt = Path(checkpoint_dir) / CHECKPOINT_FILE if checkpoint_dir is not None else None
    if ckpt is not None and ckpt.exists() and resume:
        saved = load_checkpoint(ckpt)
        if saved["fingerprint"] != fingerprint:
            raise ValueError(f"{ckpt} was written for other data or settings; use another "
                             "checkpoint_dir, delete it, or pass resume=False")
        try:
            params = restore_arrays(params, saved["params"], "parameter", ckpt)
            opt_state = restore_arrays(opt_state, saved["opt_state"], "optimizer", ckpt)
            rest = restore_arrays(rest, saved["rest"], "state", ckpt)
        except ValueError as err:
            raise ValueError(f"{err}; use another checkpoint_dir, delete it, or pass "
                             "resume=False") from err
        start_epoch, start_batch = int(saved["epoch"]), int(saved["batch"])
        if start_epoch > epochs:
            raise ValueError(f"{ckpt} holds {start_epoch} trained epochs, more than "
                             f"epochs={epochs}; ask for at least {start_epoch} or use another "
                             "checkpoint_dir")
        acc = np.asarray(saved["acc"], np.float32)
        carried_seconds = float(saved["epoch_seconds"])
        history.history = saved["history"].history
        if progress:
            print(f"Resuming from {ckpt}: epoch {start_epoch + 1}, batch {start_batch}")

    params, opt_state, rest = steps.put_repl((params, opt_state, rest))
    key = steps.put_repl(jax.random.key(seed))
    # the latest consistent state, replaced as one tuple so an interrupt never sees half of it
    current = (params, opt_state, start_epoch, start_batch, steps.put_repl(acc))

    def checkpoint(state, seconds):
        p, o, ep, b, a = state
        save_checkpoint(ckpt, {"fingerprint": fingerprint, "epoch": ep, "batch": b, "acc": a,
                               "epoch_seconds": seconds, "history": history, "params": p,
                               "opt_state": o, "rest": rest})

    sync_every_step = mesh.devices.flat[0].platform == "cpu"
    previous = current[4]
    epoch_t0 = time.perf_counter()
    try:
        for epoch in range(start_epoch, epochs):
            epoch_t0 = time.perf_counter()
            order = np.random.default_rng([seed, epoch]).permutation(n)
            first = start_batch if epoch == start_epoch else 0
            acc_dev = current[4] if epoch == start_epoch else steps.put_repl(
                np.zeros(3, np.float32))
            if epoch != start_epoch:
                carried_seconds = 0.0
            bar = tqdm(total=n_batches, initial=first, desc=f"Epoch {epoch + 1}/{epochs}",
                       leave=False, disable=None if progress else True, unit="batch")
            for b in range(first, n_batches):
                idx = order[b * batch_size:(b + 1) * batch_size]
                xb, yb, wb = padded_batch(x, y, idx, size)
                p, o, acc_dev = steps.train(current[0], current[1], rest, acc_dev,
                                            steps.put_rows(xb), steps.put_rows(yb),
                                            steps.put_rows(wb), key,
                                            np.int32(epoch * n_batches + b))
                current = (p, o, epoch, b + 1, acc_dev)
                # Bound the dispatch queue: XLA:CPU's in-process all-reduce can deadlock when
                # many multi-device steps are queued, so on CPU every step completes before the
                # next is dispatched; elsewhere one step may run ahead.
                jax.block_until_ready(acc_dev if sync_every_step else previous)
                previous = acc_dev
                bar.update(1)
                if callback is not None:
                    callback(epoch, b)
            bar.close()
            a = np.asarray(current[4], dtype=float)
            row = {"loss": a[0] / a[2]}
            if metric:
                row[metric] = a[1] / a[2]
            if xv is not None:
                v = steps.evaluate(current[0], rest, xv, yv, max(batch_size, EVAL_BATCH))
                row["val_loss"] = v[0] / v[2]
                if metric:
                    row[f"val_{metric}"] = v[1] / v[2]
            row["time"] = carried_seconds + time.perf_counter() - epoch_t0
            history.append(row)
            current = (current[0], current[1], epoch + 1, 0, steps.put_repl(
                np.zeros(3, np.float32)))
            if progress:
                print(f"Epoch {epoch + 1}/{epochs} - {n_batches} steps - {row['time']:.1f}s - "
                      f"{_fmt(row)}", flush=True)
            if ckpt is not None:
                checkpoint(current, 0.0)
    except KeyboardInterrupt:
        if ckpt is not None:
            checkpoint(current, carried_seconds + time.perf_counter() - epoch_t0)
            print(f"\nInterrupted: state saved to {ckpt} (epoch {current[2] + 1}, batch "
                  f"{current[3]}); run again with the same checkpoint_dir to resume", flush=True)
        nnx.update(model, jax.device_get(current[0]), jax.device_get(rest))
        raise
    nnx.update(model, jax.device_get(current[0]), jax.device_get(rest))
    return history


def evaluate(model: nnx.Module, data: tuple[Any, Any], loss: str | Loss | Callable | None = None,
             batch_size: int = EVAL_BATCH, devices: list | None = None) -> dict[str, float]:
    """Mean loss and metric (``accuracy`` or ``mae``) of ``model`` on ``data = (x, y)``, without
    dropout.

    Parameters
    ----------
    model : flax.nnx.Module
        The network.
    data : tuple
        ``(x, y)`` arrays.
    loss : str, Loss, callable or None
        As in :func:`train` (default: the one matching ``model.output``).
    batch_size : int
        Rows per evaluation step.
    devices : list, optional
        The devices of the data-parallel mesh.

    Returns
    -------
    dict of str to float
        ``loss`` and the loss's metric.

    Examples
    --------
    >>> import numpy as np
    >>> from bayeszoo import nn
    >>> model = nn.MLP(4, hidden=(8,), out_features=3, rngs=0)
    >>> nn.evaluate(model, (np.zeros((5, 4)), np.array([0, 1, 2, 0, 1])))
    {'loss': 1.098..., 'accuracy': 0.4}
    """
    loss_obj = resolve_loss(loss, model)
    x, y = as_arrays(data)
    graphdef, params, rest = split_model(model)
    x, y = check_inputs(model, graphdef, params, rest, x, y, loss_obj)
    steps = Steps(graphdef, loss_obj, optax.identity(), data_mesh(devices))
    a = steps.evaluate(steps.put_repl(params), steps.put_repl(rest), x, y, batch_size)
    out = {"loss": float(a[0] / a[2])}
    if loss_obj.metric:
        out[loss_obj.metric] = float(a[1] / a[2])
    return out


def predict(model: nnx.Module, x, batch_size: int = EVAL_BATCH, raw: bool = False,
            devices: list | None = None) -> np.ndarray:
    """Model outputs for ``x`` without dropout: probabilities for softmax/sigmoid outputs
    (``raw=True`` for logits), values for linear ones.

    Parameters
    ----------
    model : flax.nnx.Module
        The network.
    x : array_like
        Inputs, ``[n, ...]``.
    batch_size : int
        Rows per step.
    raw : bool
        Whether to return the raw output (logits).
    devices : list, optional
        The devices of the data-parallel mesh.

    Returns
    -------
    numpy.ndarray
        ``[n, out_features]``.

    Raises
    ------
    ValueError
        When ``x`` has no rows or a shape the model does not take.

    Examples
    --------
    >>> import numpy as np
    >>> from bayeszoo import nn
    >>> model = nn.MLP(4, hidden=(8,), out_features=3, rngs=0)
    >>> nn.predict(model, np.zeros((2, 4)))
    array([[0.333..., 0.333..., 0.333...],
           [0.333..., 0.333..., 0.333...]], dtype=float32)
    """
    x = np.asarray(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError("predict: x has no rows")
    graphdef, params, rest = split_model(model)
    check_shape(model, x)
    x = x.astype(np.float32)
    steps = Steps(graphdef, resolve_loss("mse"), optax.identity(), data_mesh(devices))
    size = padded_size(batch_size, steps.n_dev)
    p, r = steps.put_repl(params), steps.put_repl(rest)
    outs = []
    for start in range(0, len(x), size):
        idx = np.arange(start, min(start + size, len(x)))
        xb, _, _ = padded_batch(x, None, idx, size)
        outs.append(np.asarray(steps.predict(p, r, steps.put_rows(xb)))[: len(idx)])
    out = np.concatenate(outs)
    if raw:
        return out
    return np.asarray(output_activation(getattr(model, "output", "linear"), jnp.asarray(out)))


def predict_classes(model: nnx.Module, x, batch_size: int = EVAL_BATCH) -> np.ndarray:
    """Class predictions: argmax of a softmax output, ``p > 0.5`` of a sigmoid one.

    Parameters
    ----------
    model : flax.nnx.Module
        A classifier.
    x : array_like
        Inputs, ``[n, ...]``.
    batch_size : int
        Rows per step.

    Returns
    -------
    numpy.ndarray
        ``[n]`` class indices.

    Examples
    --------
    >>> import numpy as np
    >>> from bayeszoo import nn
    >>> model = nn.MLP(4, hidden=(8,), out_features=3, rngs=0)
    >>> nn.predict_classes(model, np.zeros((2, 4)))
    array([0, 0])
    """
    out = predict(model, x, batch_size, raw=True)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    return (out.reshape(len(out)) > 0).astype(int)


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """``C[i, j]`` = number of rows of true class ``i`` predicted as ``j``.

    Parameters
    ----------
    y_true, y_pred : array_like
        Class indices.
    n_classes : int, optional
        The number of classes (default one more than the largest label).

    Returns
    -------
    numpy.ndarray
        ``[n_classes, n_classes]`` counts.

    Raises
    ------
    ValueError
        For inputs of different lengths or labels outside ``[0, n_classes)``.

    Examples
    --------
    >>> from bayeszoo import nn
    >>> nn.confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    y_true = np.asarray(y_true).astype(int).reshape(-1)
    y_pred = np.asarray(y_pred).astype(int).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    k = int(n_classes if n_classes is not None else max(y_true.max(initial=0),
                                                        y_pred.max(initial=0)) + 1)
    if y_true.min(initial=0) < 0 or y_pred.min(initial=0) < 0 or \
            y_true.max(initial=0) >= k or y_pred.max(initial=0) >= k:
        raise ValueError(f"labels must lie in [0, {k - 1}]")
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)
