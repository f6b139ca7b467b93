"""brms's LKJ prior on the Cholesky factor of a correlation matrix, written once for NumPyro
and PyMC through :mod:`bayeszoo.families.ops`.

Stan's (and brms's) ``lkj_corr_cholesky(eta)`` on a ``k × k`` lower Cholesky factor ``L`` is

    log p(L) = Σ_{i=2..k} (k − i + 2·eta − 2)·log L_ii − log c_k(eta)

(Lewandowski, Kurowicka & Joe 2009, "Generating random correlation matrices based on vines and
extended onion method", J. Multivariate Anal. 100:1989–2001; Stan Functions Reference,
"Cholesky LKJ correlation distribution"); NumPyro's ``LKJCholesky`` has the same density.

The sampler moves on Stan's (and NumPyro's ``CorrCholeskyTransform``) unconstrained
coordinates: a vector ``x`` of ``k(k−1)/2`` reals filling the strict lower triangle row by row,
``t = tanh(x)`` the partial correlations, and a signed stick-breaking of each row,

    L_ij = t_ij · √(Π_{l<j} (1 − t_il²))  (j < i),   L_ii = √(Π_{l<i} (1 − t_il²)),

with log Jacobian (on the strict lower triangle of ``L``)
``Σ log(1 − t_ij²) + ½ Σ_i Σ_{j ≤ i−2} Σ_{l ≤ j} log(1 − t_il²)``. Both backends evaluate
these functions, built from scalar elements (``k`` is small: a handful of varying coefficients)
so that the compiled graph is a few dozen elementwise operations: NumPyro's own transform,
written with scatters and cumulative products, compiles about four times longer.
"""

from __future__ import annotations

import math

from scipy import special


def lower_positions(k: int) -> list[tuple[int, int]]:
    """``(i, j)`` of the strict lower triangle, row by row: the order of ``x``."""
    return [(i, j) for i in range(1, k) for j in range(i)]


def size_of(m: int) -> int:
    """``k`` from the length ``m = k(k−1)/2`` of ``x``."""
    return (1 + math.isqrt(1 + 8 * m)) // 2


def log1m_tanh_sq(ops, x):
    """``log(1 − tanh(x)²)`` without cancellation: ``2·(log 2 − x − softplus(−2x))``."""
    return 2.0 * (math.log(2.0) - x - ops.softplus(-2.0 * x))


def cholesky_factor(ops, x, k: int):
    """``L`` (``(..., k, k)``) from the unconstrained ``x`` (``(..., k(k−1)/2)``)."""
    t = ops.tanh(x)
    zero = x[..., 0] * 0.0
    one = zero + 1.0
    rows = [ops.stack([one] + [zero] * (k - 1), axis=-1)]
    p = 0
    for i in range(1, k):
        remaining = one
        row = []
        for _ in range(i):
            row.append(t[..., p] * ops.sqrt(remaining))
            remaining = remaining * (1.0 - t[..., p] * t[..., p])
            p += 1
        rows.append(ops.stack(row + [ops.sqrt(remaining)] + [zero] * (k - 1 - i), axis=-1))
    return ops.stack(rows, axis=-2)


def unconstrained(ops, L, k: int):
    """``x`` from a Cholesky factor ``L``: ``t_ij = L_ij / √(1 − Σ_{l<j} L_il²)``,
    ``x = artanh(t)``."""
    out = []
    for i, j in lower_positions(k):
        used = L[..., i, 0] * 0.0
        for m in range(j):
            used = used + L[..., i, m] * L[..., i, m]
        t = L[..., i, j] / ops.sqrt(1.0 - used)
        out.append(0.5 * (ops.log1p(t) - ops.log1p(-t)))
    return ops.stack(out, axis=-1)


def log_jacobian(ops, x, k: int):
    """``log |det ∂L/∂x|`` of :func:`cholesky_factor` (see the module doc)."""
    positions = lower_positions(k)
    s = {pos: log1m_tanh_sq(ops, x[..., p]) for p, pos in enumerate(positions)}
    total = sum(s.values())
    for i in range(2, k):
        for j in range(i - 1):
            total = total + 0.5 * sum(s[(i, m)] for m in range(j + 1))
    return total


def log_normalizer(eta: float, k: int) -> float:
    """``log c_k(eta)``, the LKJ density's normalizing constant over ``k × k`` correlation
    matrices (the constant NumPyro's ``LKJCholesky.log_prob`` subtracts)."""
    dm1 = k - 1
    alpha = eta + 0.5 * dm1
    return float(0.5 * dm1 * math.log(math.pi) + special.multigammaln(alpha - 0.5, dm1)
                 - dm1 * special.gammaln(alpha))


def log_density(ops, L, eta: float, k: int):
    """``lkj_corr_cholesky(eta)`` log density of Cholesky factors ``L`` (``(..., k, k)``)."""
    total = 0.0
    for i in range(1, k):
        total = total + (2.0 * eta - 3.0 + k - i) * ops.log(L[..., i, i])
    return total - log_normalizer(eta, k)
