"""The neural-network lecture's synthetic 2-D classification sets: ``x1, x2, y``."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _frame(x1: np.ndarray, x2: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"x1": x1, "x2": x2, "y": y.astype(int)})


def make_sigmoid_boundary(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """x1, x2 ~ N(0, 1); y = x2 > 2·(sigmoid(4·x1) − 0.5): linearly almost separable.

    Parameters
    ----------
    n : int
        Number of points.
    seed : int
        Seed of NumPy's ``default_rng``.

    Returns
    -------
    pandas.DataFrame
        Columns ``x1``, ``x2`` (float) and ``y`` (int 0/1).

    Examples
    --------
    >>> import bayeszoo as bz
    >>> df = bz.datasets.make_sigmoid_boundary(n=200, seed=1)
    >>> df.shape, sorted(df["y"].unique().tolist())
    ((200, 3), [0, 1])
    """
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal((2, n))
    return _frame(x1, x2, x2 > 2.0 * (1.0 / (1.0 + np.exp(-4.0 * x1)) - 0.5))


def make_circle(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """x1, x2 ~ N(0, 1); y = x1² + x2² > 1 (P(y = 1) = exp(−1/2) ≈ 0.607).

    Parameters
    ----------
    n : int
        Number of points.
    seed : int
        Seed of NumPy's ``default_rng``.

    Returns
    -------
    pandas.DataFrame
        Columns ``x1``, ``x2`` (float) and ``y`` (int 0/1).

    Examples
    --------
    >>> import bayeszoo as bz
    >>> df = bz.datasets.make_circle(n=200, seed=1)
    >>> df.shape, sorted(df["y"].unique().tolist())
    ((200, 3), [0, 1])
    """
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal((2, n))
    return _frame(x1, x2, x1**2 + x2**2 > 1.0)


def make_flower(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The two-petal "planar" set: n/2 points per class on the arms r = 4·sin(4t) of a rose.

    Class j takes t = linspace(3.12·j, 3.12·(j + 1)) + N(0, 0.2), r = 4·sin(4t) + N(0, 0.2),
    x = (r·sin t, r·cos t).

    Parameters
    ----------
    n : int
        Number of points (``n // 2`` per class).
    seed : int
        Seed of NumPy's ``default_rng``.

    Returns
    -------
    pandas.DataFrame
        Columns ``x1``, ``x2`` (float) and ``y`` (int 0/1).

    Examples
    --------
    >>> import bayeszoo as bz
    >>> df = bz.datasets.make_flower(n=200, seed=1)
    >>> df.shape, sorted(df["y"].unique().tolist())
    ((200, 3), [0, 1])
    """
    rng = np.random.default_rng(seed)
    half = n // 2
    xs, ys = [], []
    for j in range(2):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, half) + rng.normal(0.0, 0.2, half)
        r = 4.0 * np.sin(4.0 * t) + rng.normal(0.0, 0.2, half)
        xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(half, j))
    x, y = np.concatenate(xs), np.concatenate(ys)
    return _frame(x[:, 0], x[:, 1], y)
