"""The Gaussian log-likelihood of a design from its sufficient statistics.

For ``y_i ~ Normal(mu_i, sigma)`` with ``mu = D·a + Σ_j Z_j·r_j`` (``D`` the dense columns:
intercept, fixed effects, smooth bases; ``Z_j`` indicator blocks with ``Z_j[i, index_j[i]] =
weights_j[i]``), the summed log-likelihood is exactly

    Σ_i log N(y_i | mu_i, sigma) = −n/2·log(2π) − n·log(sigma) − RSS / (2·sigma²),
    RSS = y'y − 2·θ'W'y + θ'W'W·θ,   W = [D, Z_1, …],  θ = [a, r_1, …].

``W'W`` and ``W'y`` are computed once, blockwise: ``D'D`` and ``D'y`` densely, and for an indicator
block only per-level sums (``Σ w²``, ``Σ w·y``, ``Σ w·D``) and, between two indicator blocks, the
sums of ``w_j·w_l`` over the level pairs that occur. One evaluation (and its gradient) then costs
``O(p² + p·Σq_j + Σq_j + pairs)``, independent of the number of rows ``n``. The quantity is
``log p(y | θ, sigma)`` of brms's Gaussian family summed over rows, what NumPyro's
``Normal(mu, sigma).log_prob(y).sum()`` gives; pointwise values (for LOO) come from the draws
afterwards.

A block with ``k`` weights per row (a correlated term's ``k`` coefficients per level,
level-major) keeps per level the ``k × k`` sums ``Σ w·wᵀ`` and the ``k`` sums ``Σ w·y`` and
``Σ w·D``: its within-level cross terms need no gather (the gradient of a gathered product is a
scatter, slow on a CPU).

Precision: when ``D`` holds a column of ones (the intercept), ``y`` enters centered at its mean
and that column's coefficient is shifted to match, so that ``y'y`` and ``RSS`` stay of the same
order and the cancellation in ``RSS`` costs no more than a few units in the last place of
``RSS`` itself (use double precision for large ``n``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class GaussianStats(NamedTuple):
    """Cross-products of ``W = [D, Z_1, …]`` with itself and with the (shifted) response.

    ``y`` entered as ``y − D·dense_shift``: ``dense_shift`` is ``mean(y)`` at the first column of
    ones in ``D`` and 0 elsewhere (all 0 when ``D`` has no such column). ``pairs`` maps each pair
    of indicator blocks ``(j, l)``, ``j < l``, to the level pairs that occur together in a row and
    the sums of ``w_j·w_l`` over those rows. A named tuple of arrays (its dict keys static), so it
    can enter a compiled function as an argument.
    """

    n: int
    dense_shift: np.ndarray
    yy: float
    dense_gram: np.ndarray
    dense_y: np.ndarray
    block_sq: tuple[np.ndarray, ...]
    block_y: tuple[np.ndarray, ...]
    dense_block: tuple[np.ndarray, ...]
    pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]


def _per_level(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """``Σ`` of ``values`` (``n × ...``) over the rows of each level: ``size × ...``."""
    flat = values.reshape(len(index), -1)
    out = np.stack([np.bincount(index, flat[:, c], minlength=size)
                    for c in range(flat.shape[1])], axis=-1)
    return out.reshape(size, *values.shape[1:])


def gaussian_stats(y: np.ndarray, dense: np.ndarray,
                   blocks: Sequence[tuple[np.ndarray, np.ndarray, int]] = ()) -> GaussianStats:
    """The sufficient statistics of ``y`` (``n``), the dense columns ``dense`` (``n × p``) and the
    indicator blocks ``blocks``: ``(index, weights, size)`` each, ``index`` in ``[0, size)``,
    ``weights`` of ``n`` or ``n × k`` entries (``k`` coefficients per level: ``block_sq``
    ``size × k × k``, ``block_y`` ``size × k``, ``dense_block`` ``p × size × k``, and a pair
    with such a block sums ``k_j × k_l`` products per level pair)."""
    y = np.asarray(y, dtype=float)
    D = np.asarray(dense, dtype=float).reshape(len(y), -1)
    n = len(y)
    ones = [k for k in range(D.shape[1]) if n and np.all(D[:, k] == 1.0)]
    dense_shift = np.zeros(D.shape[1])
    if ones:
        dense_shift[ones[0]] = np.mean(y)
    yc = y - D @ dense_shift
    sizes, sq, by, db = [], [], [], []
    idx_w = []
    for j, (index, weights, size) in enumerate(blocks):
        index = np.asarray(index, dtype=np.int64)
        w = np.asarray(weights, dtype=float)
        if index.shape != (n,) or w.shape[:1] != (n,) or w.ndim > 2:
            raise ValueError(f"indicator block {j}: index and weights need {n} entries (rows), "
                             f"got {index.shape} and {w.shape}")
        if n and (index.min() < 0 or index.max() >= size):
            raise ValueError(f"indicator block {j}: index outside [0, {size})")
        sizes.append(int(size))
        if w.ndim == 1:
            sq.append(np.bincount(index, w * w, minlength=size))
            by.append(np.bincount(index, w * yc, minlength=size))
            db.append(np.stack([np.bincount(index, w * D[:, k], minlength=size)
                                for k in range(D.shape[1])]).reshape(D.shape[1], size))
        else:
            sq.append(_per_level(index, w[:, :, None] * w[:, None, :], size))
            by.append(_per_level(index, w * yc[:, None], size))
            db.append(np.moveaxis(_per_level(index, D[:, :, None] * w[:, None, :], size), 1, 0))
        idx_w.append((index, w))
    pairs = {}
    for j in range(len(idx_w)):
        for m in range(j + 1, len(idx_w)):
            (ij, wj), (im, wm) = idx_w[j], idx_w[m]
            code = ij * sizes[m] + im
            levels, inverse = np.unique(code, return_inverse=True)
            if wj.ndim == 1 and wm.ndim == 1:
                sums = np.bincount(inverse, wj * wm, minlength=len(levels))
            else:
                cj, cm = wj.reshape(n, -1), wm.reshape(n, -1)
                sums = _per_level(inverse, cj[:, :, None] * cm[:, None, :], len(levels))
            pairs[(j, m)] = (levels // sizes[m], levels % sizes[m], sums)
    return GaussianStats(n=n, dense_shift=dense_shift, yy=float(yc @ yc), dense_gram=D.T @ D,
                         dense_y=D.T @ yc, block_sq=tuple(sq), block_y=tuple(by),
                         dense_block=tuple(db), pairs=pairs)


def residual_sum_of_squares(stats: GaussianStats, dense_coef, block_coefs: Sequence = ()):
    """``Σ_i (y_i − mu_i)²`` for coefficients ``dense_coef`` (``p``) and ``block_coefs`` (one
    vector of ``size`` per indicator block, ``size × k`` for a block with ``k`` weights per
    row), from ``stats`` alone (JAX-traceable)."""
    import jax.numpy as jnp

    a = jnp.asarray(dense_coef) - stats.dense_shift
    if len(block_coefs) != len(stats.block_sq):
        raise ValueError(f"expected {len(stats.block_sq)} block coefficient vectors, got "
                         f"{len(block_coefs)}")
    rs = [jnp.asarray(r) for r in block_coefs]
    cross = a @ stats.dense_y
    quad = a @ (stats.dense_gram @ a)
    for r, sq, yb, db in zip(rs, stats.block_sq, stats.block_y, stats.dense_block, strict=True):
        if r.ndim == 1:
            cross = cross + r @ yb
            quad = quad + jnp.sum(sq * r * r) + 2.0 * (a @ (db @ r))
        else:
            cross = cross + jnp.sum(r * yb)
            quad = quad + jnp.sum(sq * r[:, :, None] * r[:, None, :]) \
                + 2.0 * jnp.sum(a[:, None, None] * db * r)
    for (j, m), (lj, lm, v) in stats.pairs.items():
        if v.ndim == 1:
            quad = quad + 2.0 * jnp.sum(v * rs[j][lj] * rs[m][lm])
        else:
            cj = rs[j][lj].reshape(len(lj), -1)
            cm = rs[m][lm].reshape(len(lm), -1)
            quad = quad + 2.0 * jnp.sum(v * cj[:, :, None] * cm[:, None, :])
    return stats.yy - 2.0 * cross + quad


def normal_loglik(stats: GaussianStats, dense_coef, block_coefs: Sequence, sigma):
    """``Σ_i log Normal(y_i | mu_i, sigma)`` from ``stats`` (JAX-traceable); equals the row-wise
    sum to rounding."""
    import jax.numpy as jnp

    rss = residual_sum_of_squares(stats, dense_coef, block_coefs)
    return (-0.5 * stats.n * np.log(2.0 * np.pi) - stats.n * jnp.log(sigma)
            - 0.5 * rss / (sigma * sigma))
