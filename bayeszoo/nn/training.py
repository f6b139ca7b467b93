"""Training Flax NNX networks with Optax: a Keras-like loop, data-parallel over JAX devices.

:func:`train` fits a module from :mod:`bayeszoo.nn.modules` (or any NNX module whose
``__call__(x, *, train, rngs)`` returns the raw output) and returns a :class:`History`;
:func:`evaluate`, :func:`predict` and :func:`confusion_matrix` score it, and
:func:`learning_curve` plots a history.

Data parallelism: the devices of :func:`bayeszoo.runtime.data_mesh` (every GPU/TPU; on a CPU-only
machine one device unless ``devices=`` names more, such as the runtime's host devices) form a
1-D mesh; every batch is split across it and the parameters and optimizer state are replicated,
so the gradient is the same sum whatever the device count. Batches are padded to a fixed size
with zero-weight rows (one compilation; the last, short batch counts only its real rows), which
also makes the batch divisible by the device count.

Reproducibility: epoch ``e`` shuffles with ``numpy.random.default_rng([seed, e])`` and the
dropout masks of global step ``s`` come from ``fold_in(key(seed), s)``, so the same seed gives the
same weights, and a run resumed from a checkpoint (saved after every epoch, and on
``KeyboardInterrupt`` mid-epoch) ends with the same weights as an uninterrupted one.
Checkpoints are msgpack files of the parameter and optimizer arrays, never pickle.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bayeszoo.runtime import data_mesh, ensure_configured

ensure_configured()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
from flax import nnx, serialization  # noqa: E402
from jax.sharding import NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

from bayeszoo.nn.modules import output_activation  # noqa: E402

CHECKPOINT_FILE = "checkpoint.msgpack"
_CHECKPOINT_FORMAT = 1
EVAL_BATCH = 1024

# --------------------------------------------------------------------------- losses


@dataclass(frozen=True)
class Loss:
    """A per-example loss on the model's raw output, and the metric reported beside it."""

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
    ``fn(raw_output, y) -> [n]``, or ``None`` (chosen from the model's ``output``)."""
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


def resolve_optimizer(optimizer: str | optax.GradientTransformation,
                      lr: float | Callable | None = None) -> optax.GradientTransformation:
    """``"rmsprop"`` and ``"adam"`` with Keras's defaults (lr 0.001, eps 1e-7), ``"sgd"``
    (lr 0.01) -- ``lr`` a number or an Optax schedule -- or any Optax transformation (then
    ``lr`` must be left ``None``)."""
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


# --------------------------------------------------------------------------- history


@dataclass
class History:
    """Per-epoch figures, as Keras's ``History``: ``history["loss"]``, ``history["val_loss"]``,
    the metric (``accuracy`` or ``mae``) and ``val_`` metric, and ``time`` (seconds per epoch,
    validation included); ``params`` holds the settings."""

    history: dict[str, list[float]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def epoch(self) -> list[int]:
        return list(range(len(self.history.get("loss", []))))

    def append(self, row: dict[str, float]) -> None:
        for key, value in row.items():
            self.history.setdefault(key, []).append(float(value))

    def to_dict(self) -> dict[str, Any]:
        return {"history": self.history, "params": self.params}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls({k: list(v) for k, v in d["history"].items()}, dict(d.get("params", {})))

    def save_json(self, path: str | os.PathLike) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    def save_csv(self, path: str | os.PathLike) -> None:
        keys = list(self.history)
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["epoch", *keys])
            for i in self.epoch:
                w.writerow([i + 1, *(self.history[k][i] for k in keys)])

    def plot(self):
        return learning_curve(self)


def learning_curve(history: History, title: str | None = None):
    """A matplotlib figure: loss (left) and the metric (right) per epoch, training and
    validation."""
    from matplotlib.figure import Figure

    h = history.history
    metrics = [k for k in h if not k.startswith("val_") and k not in ("loss", "time")]
    panels = ["loss", *metrics[:1]]
    fig = Figure(figsize=(5 * len(panels), 3.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    epochs = np.arange(1, len(h.get("loss", [])) + 1)
    for ax, key in zip(axes, panels, strict=True):
        ax.plot(epochs, h[key], "o-", label="training")
        if f"val_{key}" in h:
            ax.plot(epochs, h[f"val_{key}"], "o-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- data checks


def _as_arrays(data) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError("data must be a pair (x, y) of arrays")
    x, y = np.asarray(data[0]), np.asarray(data[1])
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError("the dataset is empty: x has no rows")
    if y.ndim == 0 or y.shape[0] != x.shape[0]:
        raise ValueError(f"x has {x.shape[0]} rows but y has "
                         f"{0 if y.ndim == 0 else y.shape[0]}")
    return x, y


def _output_shape(graphdef, params, rest, x_shape) -> tuple[int, ...]:
    def f(p, r, xx):
        return nnx.merge(graphdef, p, r)(xx)

    out = jax.eval_shape(f, params, rest, jax.ShapeDtypeStruct((1, *x_shape), jnp.float32))
    return tuple(out.shape[1:])


def _check_shape(model, x: np.ndarray) -> None:
    """Rows of ``x`` must have the model's ``input_shape`` (any shape of that size for models
    that flatten their input)."""
    expected = getattr(model, "input_shape", None)
    if expected is None:
        return
    got = tuple(x.shape[1:])
    ok = (int(np.prod(got)) == int(np.prod(expected)) if getattr(model, "flattens", False)
          else got == tuple(expected))
    if not ok:
        raise ValueError(f"input shape {got} does not fit {type(model).__name__}, which expects "
                         f"rows of shape {tuple(expected)}")


def _check_inputs(model, graphdef, params, rest, x: np.ndarray, y: np.ndarray,
                  loss: Loss) -> tuple[np.ndarray, np.ndarray]:
    """Clear errors for data that cannot train the model; returns float32 x and typed y."""
    _check_shape(model, x)
    try:
        out_shape = _output_shape(graphdef, params, rest, x.shape[1:])
    except Exception as err:  # shapes that the layers reject
        raise ValueError(f"inputs of shape {x.shape[1:]} do not fit {type(model).__name__}: "
                         f"{err}") from err
    if not np.issubdtype(x.dtype, np.number) and x.dtype != bool:
        raise ValueError(f"x must be numeric, got dtype {x.dtype}")
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinite values")
    if loss.task == "multiclass":
        n_classes = out_shape[-1]
        if y.ndim != 1:
            raise ValueError(f"labels must be a 1-D array of class indices, got shape {y.shape}")
        if not np.issubdtype(y.dtype, np.number):
            raise ValueError(f"labels must be integer class indices, got dtype {y.dtype}: map "
                             "class names to 0..k-1 first (e.g. pandas.Categorical(...).codes)")
        if not np.all(np.isfinite(y.astype(float))) or np.any(y != np.round(y)):
            raise ValueError("labels must be integers (class indices)")
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= n_classes:
            raise ValueError(f"labels range over [{lo}, {hi}] but the model has {n_classes} "
                             f"outputs: labels must lie in [0, {n_classes - 1}]")
        return x, y.astype(np.int32)
    y = y.astype(np.float32)
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite values")
    if loss.task == "binary":
        if not np.all((y == 0) | (y == 1)):
            raise ValueError("labels of a binary cross-entropy must be 0 or 1")
        if int(np.prod(out_shape)) != 1:
            raise ValueError(f"binary cross-entropy needs one output unit, the model has "
                             f"{out_shape}")
    if loss.task == "regression" and int(np.prod(y.shape[1:])) != int(np.prod(out_shape)):
        raise ValueError(f"targets of shape {y.shape[1:]} do not match the model output "
                         f"{out_shape}")
    return x, y


def _split_validation(x, y, validation_split, validation_data):
    if validation_data is not None:
        if validation_split is not None:
            raise ValueError("give validation_split or validation_data, not both")
        xv, yv = _as_arrays(validation_data)
        return x, y, xv, yv
    if validation_split is None:
        return x, y, None, None
    vs = float(validation_split)
    if not 0.0 < vs < 1.0:
        raise ValueError(f"validation_split must lie in (0, 1), got {validation_split}")
    n_val = int(math.floor(len(x) * vs))
    if n_val == 0 or n_val == len(x):
        raise ValueError(f"validation_split={vs} of {len(x)} rows leaves an empty training or "
                         "validation set")
    # as Keras: the last fraction of the rows, taken before shuffling
    return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]


# --------------------------------------------------------------------------- compiled steps


def _padded(batch: int, n_dev: int) -> int:
    return int(math.ceil(batch / n_dev) * n_dev)


def _batch(x, y, idx, size):
    """Rows ``idx`` padded to ``size`` with copies of the first row at weight 0."""
    n = len(idx)
    pad = np.concatenate([idx, np.full(size - n, idx[0], dtype=idx.dtype)]) if n < size else idx
    w = np.zeros(size, np.float32)
    w[:n] = 1.0
    return x[pad], (None if y is None else y[pad]), w


class _Steps:
    """The jitted training, evaluation and prediction steps on one mesh."""

    def __init__(self, graphdef, loss: Loss, tx, mesh):
        self.mesh = mesh
        self.n_dev = mesh.size
        repl = NamedSharding(mesh, P())
        rows = NamedSharding(mesh, P(mesh.axis_names[0]))
        self.repl, self.rows = repl, rows
        metric_fn = loss.metric_fn

        def sums(raw, y, w):
            per = loss.fn(raw, y)
            m = metric_fn(raw, y) if metric_fn is not None else jnp.zeros_like(per)
            return jnp.stack([jnp.sum(per * w), jnp.sum(m * w), jnp.sum(w)]).astype(jnp.float32)

        def train_step(params, opt_state, rest, acc, x, y, w, key, step):
            dkey = jax.random.fold_in(key, step)

            def objective(p):
                raw = nnx.merge(graphdef, p, rest)(x, train=True, rngs=dkey)
                per = loss.fn(raw, y)
                return jnp.sum(per * w) / jnp.maximum(jnp.sum(w), 1.0), raw

            (_, raw), grads = jax.value_and_grad(objective, has_aux=True)(params)
            updates, opt_state = tx.update(grads, opt_state, params)
            params = optax.apply_updates(params, updates)
            return params, opt_state, acc + sums(jax.lax.stop_gradient(raw), y, w)

        def eval_step(params, rest, x, y, w):
            return sums(nnx.merge(graphdef, params, rest)(x), y, w)

        def predict_step(params, rest, x):
            return nnx.merge(graphdef, params, rest)(x)

        self.train = jax.jit(train_step,
                             in_shardings=(repl, repl, repl, repl, rows, rows, rows, repl, repl),
                             out_shardings=(repl, repl, repl))
        self.eval = jax.jit(eval_step, in_shardings=(repl, repl, rows, rows, rows),
                            out_shardings=repl)
        self.predict = jax.jit(predict_step, in_shardings=(repl, repl, rows), out_shardings=rows)

    def put_rows(self, a):
        return jax.device_put(a, self.rows)

    def put_repl(self, tree):
        return jax.device_put(tree, self.repl)

    def evaluate(self, params, rest, x, y, batch_size) -> np.ndarray:
        size = _padded(batch_size, self.n_dev)
        acc = np.zeros(3)
        for start in range(0, len(x), size):
            idx = np.arange(start, min(start + size, len(x)))
            xb, yb, wb = _batch(x, y, idx, size)
            acc += np.asarray(self.eval(params, rest, self.put_rows(xb), self.put_rows(yb),
                                        self.put_rows(wb)), dtype=float)
        return acc


def _split_model(model: nnx.Module):
    return nnx.split(model, nnx.Param, ...)


# --------------------------------------------------------------------------- checkpoints


def _flat(tree) -> list[np.ndarray]:
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(tree)]


def _unflat(template, leaves: list[np.ndarray], what: str):
    t_leaves, treedef = jax.tree_util.tree_flatten(template)
    if len(t_leaves) != len(leaves):
        raise ValueError(f"checkpoint holds {len(leaves)} {what} arrays, the model needs "
                         f"{len(t_leaves)}")
    out = []
    for t, leaf in zip(t_leaves, leaves, strict=True):
        leaf = np.asarray(leaf)
        if tuple(np.shape(t)) != leaf.shape:
            raise ValueError(f"checkpoint {what} array of shape {leaf.shape} where the model has "
                             f"{tuple(np.shape(t))}")
        out.append(jnp.asarray(leaf, dtype=jnp.asarray(t).dtype))
    return jax.tree_util.tree_unflatten(treedef, out)


def _describe_lr(lr) -> float | str | None:
    """A JSON-able learning rate: the number, or ``"schedule"`` for an Optax schedule."""
    return lr if lr is None or isinstance(lr, (int, float)) else "schedule"


def _fingerprint(params, n_train, n_val, batch_size, seed, loss, optimizer, lr) -> str:
    shapes = [list(np.shape(a)) for a in jax.tree_util.tree_leaves(params)]
    opt = optimizer if isinstance(optimizer, str) else type(optimizer).__name__
    return json.dumps({"shapes": shapes, "n_train": n_train, "n_val": n_val,
                       "batch_size": batch_size, "seed": seed, "loss": loss.name,
                       "optimizer": opt, "lr": _describe_lr(lr)}, sort_keys=True)


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write a training state (arrays and JSON-able fields) as msgpack, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": _CHECKPOINT_FORMAT,
        "fingerprint": state["fingerprint"],
        "epoch": int(state["epoch"]),
        "batch": int(state["batch"]),
        "acc": np.asarray(state["acc"], dtype=np.float32),
        "epoch_seconds": float(state["epoch_seconds"]),
        "history": json.dumps(state["history"].to_dict()),
        "params": _flat(state["params"]),
        "opt_state": _flat(state["opt_state"]),
        "rest": _flat(state["rest"]),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(serialization.msgpack_serialize(payload))
    os.replace(tmp, path)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read what :func:`save_checkpoint` wrote (arrays as flat lists)."""
    raw = serialization.msgpack_restore(Path(path).read_bytes())
    if raw.get("format") != _CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a bayeszoo training checkpoint (format "
                         f"{raw.get('format')!r})")

    def listed(v):
        return [v[k] for k in sorted(v, key=int)] if isinstance(v, dict) else list(v)

    raw["params"], raw["opt_state"], raw["rest"] = (listed(raw[k]) for k in
                                                    ("params", "opt_state", "rest"))
    raw["history"] = History.from_dict(json.loads(raw["history"]))
    return raw


def save_weights(model: nnx.Module, path: str | os.PathLike) -> None:
    """The model's parameters and other state as msgpack (no pickle)."""
    _, params, rest = _split_model(model)
    Path(path).write_bytes(serialization.msgpack_serialize(
        {"params": _flat(params), "rest": _flat(rest)}))


def load_weights(model: nnx.Module, path: str | os.PathLike) -> nnx.Module:
    """Load :func:`save_weights` output into ``model`` (same architecture) in place."""
    raw = serialization.msgpack_restore(Path(path).read_bytes())
    _, params, rest = _split_model(model)

    def listed(v):
        return [v[k] for k in sorted(v, key=int)] if isinstance(v, dict) else list(v)

    nnx.update(model, _unflat(params, listed(raw["params"]), "parameter"),
               _unflat(rest, listed(raw["rest"]), "state"))
    return model


# --------------------------------------------------------------------------- train


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

    Errors before any training: empty data, an input shape the model does not take, labels
    outside the model's classes, ``validation_split`` outside (0, 1).
    """
    from tqdm.auto import tqdm

    if int(epochs) < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    epochs, batch_size = int(epochs), int(batch_size)
    loss_obj = resolve_loss(loss, model)
    x, y = _as_arrays(data)
    x, y, xv, yv = _split_validation(x, y, validation_split, validation_data)
    graphdef, params, rest = _split_model(model)
    x, y = _check_inputs(model, graphdef, params, rest, x, y, loss_obj)
    if xv is not None:
        xv, yv = _check_inputs(model, graphdef, params, rest, xv, yv, loss_obj)
    tx = resolve_optimizer(optimizer, lr)

    mesh = data_mesh(devices)
    steps = _Steps(graphdef, loss_obj, tx, mesh)
    size = _padded(batch_size, steps.n_dev)
    n = len(x)
    n_batches = int(math.ceil(n / batch_size))
    metric = loss_obj.metric

    opt_state = tx.init(params)
    fingerprint = _fingerprint(params, n, 0 if xv is None else len(xv), batch_size, seed,
                               loss_obj, optimizer, lr)
    history = History(params={"epochs": epochs, "batch_size": batch_size, "steps": n_batches,
                              "samples": n, "validation_samples": 0 if xv is None else len(xv),
                              "loss": loss_obj.name, "metric": metric,
                              "optimizer": optimizer if isinstance(optimizer, str) else "custom",
                              "lr": _describe_lr(lr), "seed": seed, "devices": steps.n_dev})
    start_epoch, start_batch = 0, 0
    acc = np.zeros(3, np.float32)
    carried_seconds = 0.0
    ckpt = Path(checkpoint_dir) / CHECKPOINT_FILE if checkpoint_dir is not None else None
    if ckpt is not None and ckpt.exists() and resume:
        saved = load_checkpoint(ckpt)
        if saved["fingerprint"] != fingerprint:
            raise ValueError(f"{ckpt} was written for other data or settings; use another "
                             "checkpoint_dir, delete it, or pass resume=False")
        params = _unflat(params, saved["params"], "parameter")
        opt_state = _unflat(opt_state, saved["opt_state"], "optimizer")
        rest = _unflat(rest, saved["rest"], "state")
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
                xb, yb, wb = _batch(x, y, idx, size)
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


# --------------------------------------------------------------------------- evaluate / predict


def evaluate(model: nnx.Module, data: tuple[Any, Any], loss: str | Loss | Callable | None = None,
             batch_size: int = EVAL_BATCH, devices: list | None = None) -> dict[str, float]:
    """Mean loss and metric (``accuracy`` or ``mae``) of ``model`` on ``data = (x, y)``, without
    dropout."""
    loss_obj = resolve_loss(loss, model)
    x, y = _as_arrays(data)
    graphdef, params, rest = _split_model(model)
    x, y = _check_inputs(model, graphdef, params, rest, x, y, loss_obj)
    steps = _Steps(graphdef, loss_obj, optax.identity(), data_mesh(devices))
    a = steps.evaluate(steps.put_repl(params), steps.put_repl(rest), x, y, batch_size)
    out = {"loss": float(a[0] / a[2])}
    if loss_obj.metric:
        out[loss_obj.metric] = float(a[1] / a[2])
    return out


def predict(model: nnx.Module, x, batch_size: int = EVAL_BATCH, raw: bool = False,
            devices: list | None = None) -> np.ndarray:
    """Model outputs for ``x`` without dropout: probabilities for softmax/sigmoid outputs
    (``raw=True`` for logits), values for linear ones."""
    x = np.asarray(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError("predict: x has no rows")
    graphdef, params, rest = _split_model(model)
    _check_shape(model, x)
    x = x.astype(np.float32)
    steps = _Steps(graphdef, resolve_loss("mse"), optax.identity(), data_mesh(devices))
    size = _padded(batch_size, steps.n_dev)
    p, r = steps.put_repl(params), steps.put_repl(rest)
    outs = []
    for start in range(0, len(x), size):
        idx = np.arange(start, min(start + size, len(x)))
        xb, _, _ = _batch(x, None, idx, size)
        outs.append(np.asarray(steps.predict(p, r, steps.put_rows(xb)))[: len(idx)])
    out = np.concatenate(outs)
    if raw:
        return out
    return np.asarray(output_activation(getattr(model, "output", "linear"), jnp.asarray(out)))


def predict_classes(model: nnx.Module, x, batch_size: int = EVAL_BATCH) -> np.ndarray:
    """Class predictions: argmax of a softmax output, ``p > 0.5`` of a sigmoid one."""
    out = predict(model, x, batch_size, raw=True)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    return (out.reshape(len(out)) > 0).astype(int)


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """``C[i, j]`` = number of rows of true class ``i`` predicted as ``j``."""
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


# --------------------------------------------------------------------------- recipes


def warmup_cosine(n_rows: int, epochs: int, peak: float = 1e-3, batch_size: int = 128,
                  validation_split: float | None = 0.2) -> optax.Schedule:
    """The MNIST recipes' learning rate for :func:`train` on ``n_rows`` rows: a linear warm-up
    from 0 to ``peak`` over the first epoch, then a cosine decay to 0 by the last step of
    ``epochs`` (an epoch is the batches of the rows left after ``validation_split``)."""
    n_fit = n_rows - int(math.floor(n_rows * (validation_split or 0.0)))
    per_epoch = int(math.ceil(n_fit / batch_size))
    return optax.warmup_cosine_decay_schedule(0.0, peak, per_epoch,
                                              max(per_epoch * int(epochs), per_epoch + 1), 0.0)


def recipe_optimizer(recipe, n_train: int, epochs: int, batch_size: int | None = None,
                     optimizer: str | None = None, lr: float | None = None):
    """``(optimizer, lr)`` for :func:`train` as ``recipe`` prescribes, with overrides; a
    ``"warmup_cosine"`` schedule is :func:`warmup_cosine` peaking at the recipe's ``lr``."""
    bs = int(batch_size or recipe.batch_size)
    name = optimizer or recipe.optimizer
    rate = lr if lr is not None else (recipe.lr if optimizer is None else None)
    if recipe.schedule != "warmup_cosine":
        return name, rate
    sched = warmup_cosine(n_train, epochs, rate if rate is not None else 1e-3, bs,
                          recipe.validation_split)
    return resolve_optimizer(name, sched), None


def run_recipe(name: str, epochs: int | None = None, limit: int | None = None,
               out: str | os.PathLike | None = None, seed: int = 0, progress: bool = True,
               checkpoint_dir: str | os.PathLike | None = None, optimizer: str | None = None,
               lr: float | None = None, batch_size: int | None = None) -> dict[str, Any]:
    """Train recipe ``name`` of :mod:`bayeszoo.nn.recipes` and score it on the test set.

    ``limit`` keeps the first ``limit`` training rows (and test images, for MNIST). With
    ``out``, writes ``history.json``, ``history.csv``, ``metrics.json``, ``learning_curve.png``,
    ``weights.msgpack`` and, for classifiers, ``confusion_matrix.csv`` there. Returns the
    headline figures: ``test_*`` metrics (regression errors also in the target's unit),
    ``epochs``, ``seconds`` (data preparation, training and scoring) and per-epoch seconds.
    """
    from bayeszoo.nn import recipes

    t0 = time.perf_counter()
    recipe = recipes.get(name)
    prep = recipe.prepare(limit, seed)
    model = recipe.build(prep, seed)
    n_epochs = int(epochs) if epochs is not None else recipe.epochs
    bs = int(batch_size or recipe.batch_size)
    name_opt = optimizer or recipe.optimizer
    opt, rate = recipe_optimizer(recipe, len(prep.x_train), n_epochs, bs, optimizer, lr)
    history = train(model, (prep.x_train, prep.y_train), loss=recipe.loss, optimizer=opt,
                    lr=rate, epochs=n_epochs,
                    batch_size=bs,
                    validation_split=recipe.validation_split, seed=seed,
                    checkpoint_dir=checkpoint_dir, progress=progress)
    scores = evaluate(model, (prep.x_test, prep.y_test), loss=recipe.loss)
    result: dict[str, Any] = {"recipe": name}
    settings = {"optimizer": name_opt, "lr": lr if lr is not None else recipe.lr,
                "schedule": recipe.schedule, "batch_size": bs}
    result.update({f"test_{k}": v for k, v in scores.items()})
    cm = None
    if prep.classes is not None:
        pred = predict_classes(model, prep.x_test)
        cm = confusion_matrix(prep.y_test, pred, len(prep.classes))
    else:
        resid = (predict(model, prep.x_test).reshape(len(prep.y_test)) -
                 prep.y_test.reshape(-1)) * prep.y_scale
        unit = f"_{prep.unit}" if prep.unit else ""
        result[f"test_mae{unit}"] = float(np.mean(np.abs(resid)))
        result[f"test_rmse{unit}"] = float(np.sqrt(np.mean(resid**2)))
    times = history.history.get("time", [])
    result.update({
        "epochs": len(history.epoch),
        "n_train": int(len(prep.x_train)), "n_test": int(len(prep.x_test)),
        "epoch_seconds": float(np.mean(times)) if times else 0.0,
        "seconds": time.perf_counter() - t0,
        "devices": history.params.get("devices"),
        **settings,
    })
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        history.save_json(out / "history.json")
        history.save_csv(out / "history.csv")
        (out / "metrics.json").write_text(json.dumps(result, indent=1))
        save_weights(model, out / "weights.msgpack")
        fig = learning_curve(history, title=name)
        fig.savefig(out / "learning_curve.png", dpi=100)
        if cm is not None:
            with open(out / "confusion_matrix.csv", "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["true\\predicted", *prep.classes])
                for cls, row in zip(prep.classes, cm, strict=True):
                    w.writerow([cls, *row.tolist()])
    if cm is not None and progress:
        print("Confusion matrix (rows: true, columns: predicted):")
        width = max(5, *(len(c) for c in prep.classes))
        print(" " * width + "".join(f"{c:>{width + 1}}" for c in prep.classes))
        for cls, row in zip(prep.classes, cm, strict=True):
            print(f"{cls:>{width}}" + "".join(f"{v:>{width + 1}d}" for v in row))
    return result
