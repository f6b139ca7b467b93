"""The compiled training, evaluation and prediction steps, data-parallel over a device mesh.

The devices of :func:`bayeszoo.runtime.data_mesh` form a 1-D mesh; every batch is split across
it and the parameters and optimizer state are replicated, so the gradient is the same sum
whatever the device count. Batches are padded to a fixed size with zero-weight rows (one
compilation; the last, short batch counts only its real rows), which also makes the batch
divisible by the device count.
"""

from __future__ import annotations

import math

import numpy as np

from bayeszoo.runtime import ensure_configured

ensure_configured()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
from flax import nnx  # noqa: E402
from jax.sharding import NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

from bayeszoo.nn.losses import Loss  # noqa: E402


def split_model(model: nnx.Module):
    """``(graphdef, params, rest)``: the trainable parameters apart from any other state."""
    return nnx.split(model, nnx.Param, ...)


def padded_size(batch: int, n_dev: int) -> int:
    """``batch`` rounded up to a multiple of the device count."""
    return int(math.ceil(batch / n_dev) * n_dev)


def padded_batch(x, y, idx, size):
    """Rows ``idx`` padded to ``size`` with copies of the first row at weight 0:
    ``(x rows, y rows or None, weights)``."""
    n = len(idx)
    pad = np.concatenate([idx, np.full(size - n, idx[0], dtype=idx.dtype)]) if n < size else idx
    w = np.zeros(size, np.float32)
    w[:n] = 1.0
    return x[pad], (None if y is None else y[pad]), w


class Steps:
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
        size = padded_size(batch_size, self.n_dev)
        acc = np.zeros(3)
        for start in range(0, len(x), size):
            idx = np.arange(start, min(start + size, len(x)))
            xb, yb, wb = padded_batch(x, y, idx, size)
            acc += np.asarray(self.eval(params, rest, self.put_rows(xb), self.put_rows(yb),
                                        self.put_rows(wb)), dtype=float)
        return acc
