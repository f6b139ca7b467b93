"""Backpropagation by hand, in numpy only, as the neural-network lecture builds it up.

Three steps:

* :class:`ChainRuleNet` -- the computational graph of
  ``f(x) = sqrt(x² + exp(x²)) + cos(x² + exp(x²))`` with a forward pass that stores every
  intermediate node and a backward pass that multiplies the local derivatives
  (``f(2) = 7.19433``, ``f'(2) = -182.8698``).
* :class:`LinearPerceptron` -- ``ŷ = X·w + b`` trained by gradient steps on the least-squares
  cost; on the circle set it cannot do better than predicting the majority class.
* :class:`SigmoidNetwork` -- one hidden layer of sigmoid units, a sigmoid output and the
  cross-entropy cost, with ``forward``, ``cost``, ``backward``, ``update``, ``train`` and
  ``predict`` written out. Two hidden units cannot fit the circle, four can.

Conventions: inputs ``X`` are ``[n, features]``, labels ``y`` are ``[n]`` of 0/1, and
parameters are ``W1 [hidden, features]``, ``b1 [hidden]``, ``W2 [hidden]``, ``b2`` (scalar).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + e^{-z})``, without overflow for large ``|z|``."""
    return expit(z)


# --------------------------------------------------------------------------- chain rule


class ChainRuleNet:
    """``f(x) = sqrt(x² + e^{x²}) + cos(x² + e^{x²})`` as a graph of elementary nodes.

    Nodes: ``a = x²``, ``b = e^a``, ``c = a + b``, ``d = sqrt(c)``, ``e = cos(c)``,
    ``f = d + e``. :meth:`forward` evaluates and keeps them; :meth:`backward` returns
    ``df/dx`` from the local derivatives (``c`` feeds two nodes, so its gradients add).
    Works elementwise on arrays.
    """

    def __init__(self) -> None:
        self.cache: dict[str, np.ndarray] = {}

    def forward(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        a = x**2
        b = np.exp(a)
        c = a + b
        d = np.sqrt(c)
        e = np.cos(c)
        f = d + e
        self.cache = {"x": x, "a": a, "b": b, "c": c, "d": d, "e": e, "f": f}
        return f

    def backward(self) -> np.ndarray:
        """``df/dx`` at the last :meth:`forward` input."""
        if not self.cache:
            raise RuntimeError("call forward(x) before backward()")
        k = self.cache
        df_dd = 1.0
        df_de = 1.0
        # c feeds d and e: the two paths add
        df_dc = df_dd * 0.5 / np.sqrt(k["c"]) + df_de * (-np.sin(k["c"]))
        df_da = df_dc * 1.0  # c = a + b, direct path
        df_db = df_dc * 1.0
        df_da = df_da + df_db * k["b"]  # b = e^a, db/da = e^a = b
        return df_da * 2.0 * k["x"]  # a = x², da/dx = 2x

    def __call__(self, x) -> np.ndarray:
        return self.forward(x)


# --------------------------------------------------------------------------- helpers


def _check_xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(-1)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D [n, features], got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("X has no rows")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    return X, y


# --------------------------------------------------------------------------- linear perceptron


@dataclass
class LinearPerceptron:
    """``ŷ = X·w + b`` fitted by gradient descent on ``cost = mean((ŷ − y)²) / 2``.

    :meth:`predict` thresholds ``ŷ`` at ``threshold`` (0.5) to give class labels.

    Parameters
    ----------
    n_features : int
        Inputs per row.
    seed : int
        Seed of the initial weights, ``N(0, 0.01²)``.

    Examples
    --------
    >>> from bayeszoo import datasets, nn
    >>> df = datasets.make_circle(n=200)
    >>> net = nn.LinearPerceptron()
    >>> costs = net.train(df[["x1", "x2"]].values, df["y"].values, lr=0.1, steps=200)
    >>> costs[-1] < costs[0]
    True
    """

    n_features: int = 2
    seed: int = 0
    w: np.ndarray = field(init=False)
    b: float = field(init=False)
    costs: list[float] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.w = rng.normal(0.0, 0.01, self.n_features)
        self.b = 0.0

    def forward(self, X) -> np.ndarray:
        return np.asarray(X, dtype=float) @ self.w + self.b

    def cost(self, X, y) -> float:
        X, y = _check_xy(X, y)
        r = self.forward(X) - y
        return 0.5 * float(np.mean(r**2))

    def backward(self, X, y) -> dict[str, np.ndarray | float]:
        """Gradient of :meth:`cost`: ``dw = Xᵀ(ŷ − y)/n``, ``db = mean(ŷ − y)``."""
        X, y = _check_xy(X, y)
        r = self.forward(X) - y
        return {"w": X.T @ r / X.shape[0], "b": float(np.mean(r))}

    def update(self, grads: dict, lr: float) -> None:
        self.w = self.w - lr * grads["w"]
        self.b = self.b - lr * grads["b"]

    def train(self, X, y, lr: float = 0.1, steps: int = 1000) -> list[float]:
        X, y = _check_xy(X, y)
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} features, the perceptron expects "
                             f"{self.n_features}")
        for _ in range(steps):
            self.update(self.backward(X, y), lr)
            self.costs.append(self.cost(X, y))
        return self.costs

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        return (self.forward(X) > threshold).astype(int)


# --------------------------------------------------------------------------- sigmoid network


@dataclass
class SigmoidNetwork:
    """One hidden layer of ``n_hidden`` sigmoid units, a sigmoid output, cross-entropy cost.

    ``A1 = σ(X·W1ᵀ + b1)``, ``p = σ(A1·W2 + b2)``,
    ``cost = −mean(y·log p + (1 − y)·log(1 − p))``. Weights start as ``N(0, init_scale²)``
    draws from ``seed``, biases at zero.

    Parameters
    ----------
    n_features : int
        Inputs per row.
    n_hidden : int
        Hidden units.
    seed : int
        Seed of the initial weights.
    init_scale : float
        Standard deviation of the initial weights.

    Raises
    ------
    ValueError
        When ``n_hidden`` is below 1.

    Examples
    --------
    >>> from bayeszoo import datasets, nn
    >>> df = datasets.make_circle(n=200)
    >>> net = nn.SigmoidNetwork(n_hidden=4)
    >>> costs = net.train(df[["x1", "x2"]].values, df["y"].values, lr=1.0, steps=500)
    >>> costs[-1] < costs[0]
    True
    """

    n_features: int = 2
    n_hidden: int = 4
    seed: int = 0
    init_scale: float = 1.0
    params: dict[str, np.ndarray] = field(init=False)
    costs: list[float] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.n_hidden < 1:
            raise ValueError(f"n_hidden must be >= 1, got {self.n_hidden}")
        rng = np.random.default_rng(self.seed)
        self.params = {
            "W1": rng.normal(0.0, self.init_scale, (self.n_hidden, self.n_features)),
            "b1": np.zeros(self.n_hidden),
            "W2": rng.normal(0.0, self.init_scale, self.n_hidden),
            "b2": np.zeros(()),
        }

    def forward(self, X) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Output probabilities ``p [n]`` and the cache ``{X, A1, p}`` for :meth:`backward`."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X must have shape [n, {self.n_features}], got {X.shape}")
        P = self.params
        A1 = sigmoid(X @ P["W1"].T + P["b1"])
        p = sigmoid(A1 @ P["W2"] + P["b2"])
        return p, {"X": X, "A1": A1, "p": p}

    @staticmethod
    def cost(p: np.ndarray, y) -> float:
        """Mean binary cross-entropy of probabilities ``p`` against 0/1 labels ``y``."""
        y = np.asarray(y, dtype=float).reshape(-1)
        eps = 1e-12
        p = np.clip(p, eps, 1.0 - eps)
        return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))

    def backward(self, cache: dict[str, np.ndarray], y) -> dict[str, np.ndarray]:
        """Gradients of :meth:`cost` with respect to every parameter.

        With a sigmoid output and cross-entropy, ``dcost/dz2 = (p − y)/n``; through the hidden
        layer ``dz1 = dz2·W2 ⊙ A1(1 − A1)``.
        """
        X, A1, p = cache["X"], cache["A1"], cache["p"]
        y = np.asarray(y, dtype=float).reshape(-1)
        n = X.shape[0]
        dz2 = (p - y) / n
        dW2 = A1.T @ dz2
        db2 = dz2.sum()
        dA1 = np.outer(dz2, self.params["W2"])
        dz1 = dA1 * A1 * (1.0 - A1)
        dW1 = dz1.T @ X
        db1 = dz1.sum(axis=0)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": np.asarray(db2)}

    def gradients(self, X, y) -> dict[str, np.ndarray]:
        """Forward then backward: the gradient of the cost at the current parameters."""
        _, cache = self.forward(X)
        return self.backward(cache, y)

    def update(self, grads: dict[str, np.ndarray], lr: float) -> None:
        for k in self.params:
            self.params[k] = self.params[k] - lr * grads[k]

    def train(self, X, y, lr: float = 0.1, steps: int = 10_000,
              record_every: int = 100) -> list[float]:
        """``steps`` full-batch gradient steps; the cost is recorded every ``record_every``."""
        X, y = _check_xy(X, y)
        if not np.all((y == 0) | (y == 1)):
            raise ValueError("labels y must be 0 or 1")
        for step in range(steps):
            p, cache = self.forward(X)
            if step % record_every == 0:
                self.costs.append(self.cost(p, y))
            self.update(self.backward(cache, y), lr)
        self.costs.append(self.cost(self.forward(X)[0], y))
        return self.costs

    def predict_proba(self, X) -> np.ndarray:
        return self.forward(X)[0]

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        return (self.predict_proba(X) > threshold).astype(int)
