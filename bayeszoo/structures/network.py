"""A block whose contribution to the linear predictor is a neural network of its inputs.

Every other structure turns standard-normal draws into coefficients ``r`` that enter the
linear predictor as ``Z·r``. A network block's coefficients are the weights of a multilayer
perceptron and its matrix holds the (standardized) inputs; its contribution is the network's
output, ``f(X) = φ(… φ(X·W₁ + b₁) …)·w_out``, the forward pass of :class:`bayeszoo.nn.MLP`
(dense layers ``x·W + b``, one activation after each hidden layer, a linear head of one output
whose bias is the formula's intercept). Bayesian neural networks as in Neal (1996),
*Bayesian Learning for Neural Networks*, Springer: Normal priors on the weights, sampled by
Hamiltonian Monte Carlo.

Non-centered: ``z ~ Normal(0, I)`` and weights ``= s·z`` with one prior standard deviation per
weight group (``w1``, ``b1``, ``w2``, ``b2``, …, the output weights), which the model spec
resolves from ``priors=`` and the defaults (:meth:`Network.with_prior_sd`).

:func:`block_contribution` gives what :func:`bayeszoo.design.linear_predictor` takes for any
block: its coefficients, or for a network the function of the block's matrix that computes its
contribution. The forward pass is written for NumPy (batched over leading dimensions such as
chains and draws) and JAX; PyTensor has no network, so PyMC and nutpie refuse such models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from .base import Structure

#: The activations a network block may use (a subset of :data:`bayeszoo.nn.ACTIVATIONS`).
ACTIVATIONS = ("tanh", "relu", "sigmoid", "softplus")


def _namespace(ops):
    if ops.name == "numpy":
        return np
    if ops.name == "jax":
        import jax.numpy as jnp

        return jnp
    raise ValueError(f"a neural-network block has no {ops.name} forward pass; sample it with "
                     "backend='numpyro'")


def activate(name: str, x, ops):
    """The activation ``name`` on ``x`` with the array namespace of ``ops``."""
    xp = _namespace(ops)
    if name == "tanh":
        return xp.tanh(x)
    if name == "relu":
        return xp.maximum(x, 0.0)
    if name == "sigmoid":
        return 0.5 * (xp.tanh(0.5 * x) + 1.0)
    if name == "softplus":
        return ops.softplus(x)
    raise ValueError(f"unknown activation {name!r}; use one of {', '.join(ACTIVATIONS)}")


@dataclass(frozen=True)
class Network(Structure):
    """A multilayer perceptron with ``in_features`` inputs, hidden layers of sizes ``hidden``
    with ``activation``, and one linear output without bias. ``prior_sd``: the prior standard
    deviation of each weight group of :meth:`groups` (``None`` until the model spec sets it)."""

    in_features: int
    hidden: tuple[int, ...]
    activation: str = "tanh"
    prior_sd: tuple[float, ...] | None = None
    kind: str = "network"
    #: the block contributes the network's output, not ``Z·r``
    computes_contribution = True

    def groups(self) -> list[tuple[str, tuple[int, ...]]]:
        """The weight groups in storage order with their shapes: ``w1`` (inputs × first hidden
        layer), ``b1``, ``w2``, ``b2``, … and the output weights ``w<L+1>`` (last hidden layer)."""
        sizes = (self.in_features, *self.hidden)
        out: list[tuple[str, tuple[int, ...]]] = []
        for k in range(len(self.hidden)):
            out += [(f"w{k + 1}", (sizes[k], sizes[k + 1])), (f"b{k + 1}", (sizes[k + 1],))]
        out.append((f"w{len(self.hidden) + 1}", (sizes[-1],)))
        return out

    @property
    def n_weights(self) -> int:
        return int(sum(np.prod(shape) for _, shape in self.groups()))

    def z_shape(self, block) -> tuple[int, ...]:
        return (self.n_weights,)

    def with_prior_sd(self, prior_sd: tuple[float, ...]) -> Network:
        """The same network with one prior standard deviation per weight group."""
        if len(prior_sd) != len(self.groups()):
            raise ValueError(f"{len(prior_sd)} prior standard deviations for "
                             f"{len(self.groups())} weight groups")
        return replace(self, prior_sd=tuple(float(s) for s in prior_sd))

    def coefficients(self, scales, z, ops=None):
        """The weights ``s·z`` (flat, in the order of :meth:`groups`; leading dimensions
        broadcast)."""
        if self.prior_sd is None:
            raise ValueError("the network's weight priors are not set; build the model through "
                             "bayeszoo.models.spec.model_spec")
        sd = np.concatenate([np.full(int(np.prod(shape)), s)
                             for (_, shape), s in zip(self.groups(), self.prior_sd, strict=True)])
        return z * sd

    def unflatten(self, weights) -> dict[str, Any]:
        """The weight groups of flat ``weights`` (``(..., n_weights)``) by name, each of shape
        ``(..., *group shape)``."""
        out, start = {}, 0
        lead = tuple(weights.shape[:-1])
        for name, shape in self.groups():
            size = int(np.prod(shape))
            out[name] = weights[..., start:start + size].reshape(lead + shape)
            start += size
        return out

    def contribution(self, weights, inputs, ops):
        """The network's output at each row of ``inputs`` (``n × in_features``): ``(..., n)``
        for weights ``(..., n_weights)``. NumPy draws are evaluated one leading slice at a time
        to bound memory."""
        if ops.name == "numpy" and np.ndim(weights) > 2:
            return np.stack([self.contribution(w, inputs, ops) for w in weights])
        w = self.unflatten(weights)
        h = inputs
        for k in range(len(self.hidden)):
            h = activate(self.activation, h @ w[f"w{k + 1}"] + w[f"b{k + 1}"][..., None, :], ops)
        return (h @ w[f"w{len(self.hidden) + 1}"][..., :, None])[..., 0]

    def info(self) -> dict[str, Any]:
        """What :func:`from_info` needs to rebuild the forward pass (JSON-ready)."""
        return {"kind": self.kind, "in_features": self.in_features, "hidden": list(self.hidden),
                "activation": self.activation}


def from_info(info: dict[str, Any]) -> Network:
    """The network of :meth:`Network.info` (without prior standard deviations)."""
    return Network(in_features=int(info["in_features"]),
                   hidden=tuple(int(h) for h in info["hidden"]), activation=info["activation"])


def block_contribution(structure, coefficients, ops) -> Any | Callable:
    """A block's entry for :func:`bayeszoo.design.linear_predictor`: its ``coefficients``, or
    for a network the function of the block's matrix that computes its contribution."""
    if structure.computes_contribution:
        return partial(structure.contribution, coefficients, ops=ops)
    return coefficients


def stored_contribution(info: dict[str, Any] | None, coefficients, ops) -> Any | Callable:
    """:func:`block_contribution` of posterior draws from a block's stored ``info``
    (:meth:`Network.info`; ``None`` for a linear block)."""
    if info is None:
        return coefficients
    return block_contribution(from_info(info), coefficients, ops)
