"""The Gaussian statistics' posterior with the linear coefficients integrated out: the
marginal log density of the variance parameters (and the intercept) and the exact conditional
draws of the coefficients given them.

Given the intercept ``α``, the residual variance ``σ²`` and the blocks' standard deviations
``τ``, the model of :mod:`bayeszoo.families.gaussian_stats` is Gaussian in the other
coefficients ``β`` (the fixed coefficients under flat or normal priors, the smooths' and the
groups' coefficients under ``Normal(0, τ_j²)``):

    log p(y, β | α, σ, τ) = ℓ(α, σ) + h'β − ½ β'Qβ + ½ Σ_k log(λ_k / 2π) − ½ Σ_k λ_k m_k²,
    Q = G_ββ/σ² + Λ,   h = (c_β − a·G_βα)/σ² + Λm,   a = α − shift,

``G``, ``c`` the statistics' cross-products, ``Λ = diag(λ)`` the prior precisions (``1/τ_j²``,
``1/s²`` for a ``normal(m, s)`` coefficient; a flat coefficient has none and contributes
nothing, as brms's improper flat prior, density 1). Integrating ``β`` out:

    log p(y | α, σ, τ) = ℓ(α, σ) + ½ h'Q⁻¹h − ½ log|Q| + ½ Σ_gauss log λ_k
                         + (p_flat/2) log 2π − ½ Σ λ_k m_k²,

and ``β | y, α, σ, τ ~ Normal(Q⁻¹h, Q⁻¹)``. So NUTS on ``(α, σ, τ)`` under this density,
followed by one exact draw of ``β`` per draw, samples the same posterior as NUTS on every
coefficient (the joint model of :func:`bayeszoo.sample` on the same statistics), as
``lme4``/``mgcv``'s REML criteria integrate the same coefficients out. ``ℓ`` is the Gaussian
``−n/2·log(2πσ²) − (yy − 2a·c_α + a²G_αα)/(2σ²)``, or for the Laplace-expanded Poisson
likelihood (:class:`~.big_stats.LaplacePoisson`, ``σ = 1``) ``constant − (yy − 2a·c_α +
a²G_αα)/2``.

Cost: an indicator block with one weight per row (a random intercept: each row in one level)
has a diagonal ``G_KK``; the largest is ``K``, and the others (``m`` columns: fixed, smooth
bases, further blocks, whose level pairs with ``K`` fill the cross block) form
a dense part, and ``Q`` is factored through the Schur complement ``S = A − B D⁻¹ B'``
(``A`` the dense part, ``D`` the diagonal, ``B`` their cross block): ``O(q·m²)`` per
evaluation for ``q`` levels, not the ``O((q + m)³)`` of a dense Cholesky.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from bayeszoo.families.gaussian_stats import GaussianStats

__all__ = ["CollapsedStats", "collapsed_stats", "conditional_coefficients",
           "marginal_log_likelihood", "full_products"]


class CollapsedStats(NamedTuple):
    """The statistics reorganized for :func:`marginal_log_likelihood` (a pytree of arrays;
    ``E`` the dense part's coefficients, ``K`` the diagonal block's levels).

    ``scale_E`` holds, per coefficient of ``E``, the index of its ``τ`` in the scale vector
    (``-1``: a fixed coefficient, whose prior precision and mean are ``prec_E``, ``mean_E``;
    precision 0 is flat); ``scale_K`` the index of the diagonal block's ``τ`` (``-1`` when
    there is no such block and ``K`` is empty). ``laplace`` is 1.0 for the Poisson
    expansion (``σ = 1``, ``constant``) and 0.0 for the Gaussian likelihood."""

    n: Any
    yy: Any
    shift: Any
    g_aa: Any
    c_a: Any
    g_Ea: Any
    g_Ka: Any
    c_E: Any
    c_K: Any
    A0: Any
    B0: Any
    d0: Any
    scale_E: Any
    prec_E: Any
    mean_E: Any
    scale_K: Any
    n_flat: Any
    constant: Any
    laplace: Any


def full_products(stats: GaussianStats) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """``G = W'W`` and ``c = W'(y − D·shift)`` of ``W = [D, Z_1, …]`` as dense arrays, and the
    indicator blocks' sizes (each with one weight per row)."""
    p = stats.dense_gram.shape[0]
    sizes = [len(sq) for sq in stats.block_sq]
    if any(np.ndim(sq) != 1 for sq in stats.block_sq):
        raise ValueError("a block with several weights per row (a correlated term) is not "
                         "collapsed")
    edges = np.concatenate([[p], p + np.cumsum(sizes)]).astype(int)
    P = int(edges[-1])
    G = np.zeros((P, P))
    c = np.zeros(P)
    G[:p, :p] = stats.dense_gram
    c[:p] = stats.dense_y
    for j in range(len(sizes)):
        sl = slice(edges[j], edges[j + 1])
        G[sl, sl] = np.diag(stats.block_sq[j])
        G[:p, sl] = stats.dense_block[j]
        G[sl, :p] = stats.dense_block[j].T
        c[sl] = stats.block_y[j]
    for (j, m), (lj, lm, v) in stats.pairs.items():
        G[edges[j] + lj, edges[m] + lm] = v
        G[edges[m] + lm, edges[j] + lj] = v
    return G, c, sizes


def collapsed_stats(stats: GaussianStats, intercept: int | None, coef_scale: np.ndarray,
                    coef_prec: np.ndarray, coef_mean: np.ndarray, constant: float | None = None
                    ) -> tuple[CollapsedStats, np.ndarray]:
    """:class:`CollapsedStats` of ``stats`` for the coefficient vector ``θ`` of ``W`` (dense
    columns, then each indicator block's levels) whose entry ``intercept`` is sampled (or
    ``None``) and whose other entries are integrated out, each with the index of its ``τ``
    (``coef_scale``, ``-1`` for a fixed coefficient) or its normal prior's precision and mean
    (``coef_prec``, ``coef_mean``; precision 0 for a flat prior); ``constant``: the Laplace
    expansion's (``None``: the Gaussian likelihood). Also returns the order of ``β``: the
    positions in ``θ`` of ``E``, then of ``K``."""
    G, c, sizes = full_products(stats)
    p = stats.dense_gram.shape[0]
    P = G.shape[0]
    edges = np.concatenate([[p], p + np.cumsum(sizes)]).astype(int)
    diag = int(np.argmax(sizes)) if sizes else None
    K = np.arange(edges[diag], edges[diag + 1]) if diag is not None else np.zeros(0, int)
    rest = np.setdiff1d(np.arange(P), K)
    E = rest[rest != intercept] if intercept is not None else rest
    coef_scale = np.asarray(coef_scale, dtype=np.int64)
    scale_K = int(coef_scale[K[0]]) if len(K) else -1
    if len(K) and (np.any(coef_scale[K] != scale_K) or scale_K < 0):
        raise ValueError("the diagonal block's levels need one shared scale")
    a = intercept
    zero = np.zeros
    cs = CollapsedStats(
        n=float(stats.n), yy=float(stats.yy),
        shift=float(stats.dense_shift[a]) if a is not None else 0.0,
        g_aa=float(G[a, a]) if a is not None else 0.0, c_a=float(c[a]) if a is not None else 0.0,
        g_Ea=G[E, a] if a is not None else zero(len(E)),
        g_Ka=G[K, a] if a is not None else zero(len(K)),
        c_E=c[E], c_K=c[K], A0=G[np.ix_(E, E)], B0=G[np.ix_(E, K)], d0=np.diag(G)[K].copy(),
        scale_E=coef_scale[E], prec_E=np.asarray(coef_prec, float)[E],
        mean_E=np.asarray(coef_mean, float)[E], scale_K=scale_K,
        n_flat=float(np.sum((coef_scale[E] < 0) & (np.asarray(coef_prec)[E] == 0))),
        constant=0.0 if constant is None else float(constant),
        laplace=0.0 if constant is None else 1.0)
    return cs, np.concatenate([E, K]).astype(np.int64)


def _pieces(cs: CollapsedStats, alpha, sigma2, taus):
    """The prior precisions, ``h`` and the Schur factorization of ``Q`` (JAX)."""
    import jax.numpy as jnp

    inv = 1.0 / jnp.square(jnp.asarray(taus))
    lam_E = jnp.where(cs.scale_E >= 0, inv[cs.scale_E], cs.prec_E)
    lam_K = inv[cs.scale_K]
    a = alpha - cs.shift
    A = cs.A0 / sigma2 + jnp.diag(lam_E)
    B = cs.B0 / sigma2
    d = cs.d0 / sigma2 + lam_K
    h_E = (cs.c_E - a * cs.g_Ea) / sigma2 + cs.prec_E * cs.mean_E
    h_K = (cs.c_K - a * cs.g_Ka) / sigma2
    S = A - (B / d) @ B.T
    L = jnp.linalg.cholesky(S)
    return lam_E, lam_K, a, B, d, h_E, h_K, L


def marginal_log_likelihood(cs: CollapsedStats, alpha, sigma, taus):
    """``log p(y | α, σ, τ)`` with every other coefficient integrated out (module doc; JAX,
    differentiable): ``alpha`` the intercept (ignored without one), ``sigma`` the residual sd
    (ignored for the Laplace expansion), ``taus`` the blocks' sds in the order of the scale
    indices followed by a 1 (which index ``-1`` reads where there is no block)."""
    import jax.numpy as jnp
    from jax.scipy.linalg import solve_triangular

    sigma2 = jnp.where(cs.laplace > 0, 1.0, jnp.square(sigma))
    lam_E, lam_K, a, B, d, h_E, h_K, L = _pieces(cs, alpha, sigma2, taus)
    t = h_E - B @ (h_K / d)
    v = solve_triangular(L, t, lower=True)
    quad = jnp.sum(h_K * h_K / d) + jnp.sum(v * v)
    logdet = jnp.sum(jnp.log(d)) + 2.0 * jnp.sum(jnp.log(jnp.diagonal(L)))
    gauss_E = (cs.scale_E >= 0) | (cs.prec_E > 0)
    log_lam = jnp.sum(jnp.where(gauss_E, jnp.log(jnp.where(gauss_E, lam_E, 1.0)), 0.0)) \
        + cs.d0.shape[0] * jnp.log(lam_K)
    rss0 = cs.yy - 2.0 * a * cs.c_a + a * a * cs.g_aa
    data = jnp.where(cs.laplace > 0, cs.constant - 0.5 * rss0,
                     -0.5 * cs.n * jnp.log(2.0 * math.pi * sigma2) - 0.5 * rss0 / sigma2)
    return (data + 0.5 * quad - 0.5 * logdet + 0.5 * log_lam
            + 0.5 * cs.n_flat * math.log(2.0 * math.pi)
            - 0.5 * jnp.sum(cs.prec_E * cs.mean_E ** 2))


def conditional_coefficients(cs: CollapsedStats, alpha, sigma, taus, eps):
    """One draw of ``β | y, α, σ, τ ~ Normal(Q⁻¹h, Q⁻¹)`` from standard normals ``eps``
    (``E`` then ``K``), in that order (JAX): with ``Q = [[D, B'], [B, A]]`` factored as
    ``L = [[D^½, 0], [B D^-½, L_S]]``, ``β = Q⁻¹h + L'⁻¹ eps``."""
    import jax.numpy as jnp
    from jax.scipy.linalg import solve_triangular

    sigma2 = jnp.where(cs.laplace > 0, 1.0, jnp.square(sigma))
    _, _, _, B, d, h_E, h_K, L = _pieces(cs, alpha, sigma2, taus)
    m = h_E.shape[0]
    t = h_E - B @ (h_K / d)
    x_E = solve_triangular(L.T, solve_triangular(L, t, lower=True) + eps[:m], lower=False)
    x_K = (h_K - B.T @ x_E) / d + eps[m:] / jnp.sqrt(d)
    return jnp.concatenate([x_E, x_K])
