"""Training checkpoints and trained weights as msgpack files of flat array lists, never pickle.

A checkpoint holds the parameter, optimizer and other state arrays, the position in the run
(epoch, batch, the epoch's running sums and seconds), the history so far and a fingerprint of
the data and settings, so that :func:`bayeszoo.nn.training.train` resumes only the run that
wrote it. It is written atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from bayeszoo.runtime import ensure_configured

ensure_configured()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from flax import nnx, serialization  # noqa: E402

from bayeszoo.nn.history import History  # noqa: E402
from bayeszoo.nn.losses import Loss  # noqa: E402
from bayeszoo.nn.optimizers import describe_lr  # noqa: E402
from bayeszoo.nn.steps import split_model  # noqa: E402
from bayeszoo.paths import deferred_interrupt, write_bytes_atomically  # noqa: E402

CHECKPOINT_FILE = "checkpoint.msgpack"
_CHECKPOINT_FORMAT = 1


def flat_arrays(tree) -> list[np.ndarray]:
    """The leaves of a pytree as numpy arrays, in the tree's order."""
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(tree)]


def restore_arrays(template, leaves: list[np.ndarray], what: str, source: str | os.PathLike):
    """The pytree ``template`` with its leaves replaced by ``leaves`` (same count and shapes,
    cast to the template's dtypes); errors name the ``what`` arrays and their ``source`` file."""
    t_leaves, treedef = jax.tree_util.tree_flatten(template)
    if len(t_leaves) != len(leaves):
        raise ValueError(f"{source} holds {len(leaves)} {what} arrays where the model has "
                         f"{len(t_leaves)}")
    out = []
    for t, leaf in zip(t_leaves, leaves, strict=True):
        leaf = np.asarray(leaf)
        if tuple(np.shape(t)) != leaf.shape:
            raise ValueError(f"{source} holds a {what} array of shape {leaf.shape} where the "
                             f"model has {tuple(np.shape(t))}")
        out.append(jnp.asarray(leaf, dtype=jnp.asarray(t).dtype))
    return jax.tree_util.tree_unflatten(treedef, out)


def training_fingerprint(params, n_train: int, n_val: int, batch_size: int, seed: int,
                         loss: Loss, optimizer, lr) -> str:
    """What a checkpoint must match to be resumed: parameter shapes, row counts and settings."""
    shapes = [list(np.shape(a)) for a in jax.tree_util.tree_leaves(params)]
    opt = optimizer if isinstance(optimizer, str) else type(optimizer).__name__
    return json.dumps({"shapes": shapes, "n_train": n_train, "n_val": n_val,
                       "batch_size": batch_size, "seed": seed, "loss": loss.name,
                       "optimizer": opt, "lr": describe_lr(lr)}, sort_keys=True)


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write a training state (arrays and JSON-able fields) as msgpack, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file (its folder is made when missing).
    state : dict
        ``fingerprint``, ``epoch``, ``batch``, ``acc``, ``epoch_seconds``, ``history``,
        ``params``, ``opt_state`` and ``rest``, as :func:`bayeszoo.nn.train` keeps them.

    Returns
    -------
    None
        The file is written.
    """
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
        "params": flat_arrays(state["params"]),
        "opt_state": flat_arrays(state["opt_state"]),
        "rest": flat_arrays(state["rest"]),
    }
    data = serialization.msgpack_serialize(payload)
    with deferred_interrupt():  # a temporary file renamed when complete: never a partial one
        write_bytes_atomically(path, data)


def _read_mapping(path: Path, what: str, remedy: str) -> dict:
    """The mapping stored in the msgpack file ``path``; a ``ValueError`` that names the file,
    the ``what`` it should be and the ``remedy`` when it holds anything else."""
    try:
        raw = serialization.msgpack_restore(path.read_bytes())
    except Exception as err:  # damaged bytes fail in msgpack or in decoding an array
        raise ValueError(f"{path} is not a readable {what} ({type(err).__name__}: {err}); "
                         f"{remedy}") from err
    if not isinstance(raw, dict):
        raise ValueError(f"{path} is not a {what} (it holds a {type(raw).__name__}); {remedy}")
    return raw


def _listed(v) -> list:
    """A msgpack'd list of arrays, restored as a list or as a mapping ``{"0": a, "1": b}``."""
    return [v[k] for k in sorted(v, key=int)] if isinstance(v, dict) else list(v)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read what :func:`save_checkpoint` wrote (arrays as flat lists). A damaged or foreign
    file is a ``ValueError`` naming it: delete it or train with another ``checkpoint_dir``.

    Parameters
    ----------
    path : str or os.PathLike
        A file of :func:`save_checkpoint`.

    Returns
    -------
    dict
        The state's fields, ``history`` as a :class:`History`.

    Raises
    ------
    ValueError
        For a damaged or foreign file.
    """
    path = Path(path)
    what = "bayeszoo training checkpoint"
    remedy = "delete it or pass another checkpoint_dir"
    raw = _read_mapping(path, what, remedy)
    if raw.get("format") != _CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a {what} (format {raw.get('format')!r}); {remedy}")
    try:
        for key in ("params", "opt_state", "rest"):
            raw[key] = _listed(raw[key])
        raw["history"] = History.from_dict(json.loads(raw["history"]))
        raw["epoch"], raw["batch"] = int(raw["epoch"]), int(raw["batch"])
        raw["acc"] = np.asarray(raw["acc"], np.float32).reshape(3)
        raw["epoch_seconds"] = float(raw["epoch_seconds"])
        raw["fingerprint"] = str(raw["fingerprint"])
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"{path} is a damaged {what} ({type(err).__name__}: {err}); "
                         f"{remedy}") from err
    return raw


def save_weights(model: nnx.Module, path: str | os.PathLike) -> None:
    """The model's parameters and other state as msgpack (no pickle), written atomically.

    Parameters
    ----------
    model : flax.nnx.Module
        The network.
    path : str or os.PathLike
        The file.

    Returns
    -------
    None
        The file is written.

    Examples
    --------
    >>> from bayeszoo import nn
    >>> model = nn.MLP(4, hidden=(8,), out_features=3, rngs=0)
    >>> nn.save_weights(model, "weights.msgpack")  # doctest: +SKIP
    >>> nn.load_weights(nn.MLP(4, hidden=(8,), out_features=3, rngs=1),
    ...                 "weights.msgpack")  # doctest: +SKIP
    """
    _, params, rest = split_model(model)
    data = serialization.msgpack_serialize({"params": flat_arrays(params),
                                            "rest": flat_arrays(rest)})
    with deferred_interrupt():
        write_bytes_atomically(path, data)


def load_weights(model: nnx.Module, path: str | os.PathLike) -> nnx.Module:
    """Load :func:`save_weights` output into ``model`` (same architecture) in place. A damaged
    or foreign file, or one of another architecture, is a ``ValueError`` naming it.

    Parameters
    ----------
    model : flax.nnx.Module
        A network of the architecture the file was written for.
    path : str or os.PathLike
        A file of :func:`save_weights`.

    Returns
    -------
    flax.nnx.Module
        ``model``, its weights replaced.

    Raises
    ------
    ValueError
        For a damaged or foreign file, or one of another architecture.
    """
    path = Path(path)
    remedy = "pass a file that save_weights wrote for this architecture"
    raw = _read_mapping(path, "weights file of save_weights", remedy)
    if not {"params", "rest"} <= set(raw):
        raise ValueError(f"{path} is not a weights file of save_weights (it holds "
                         f"{sorted(raw)}); {remedy}")
    _, params, rest = split_model(model)
    try:
        new_params = restore_arrays(params, _listed(raw["params"]), "parameter", path)
        new_rest = restore_arrays(rest, _listed(raw["rest"]), "state", path)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{err}; {remedy}") from err
    nnx.update(model, new_params, new_rest)
    return model
