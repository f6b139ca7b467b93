"""PSIS-LOO on plain arrays: Pareto-smoothed importance sampling leave-one-out cross-validation
of a pointwise log-likelihood, every observation at once.

Reproduces ArviZ's ``az.loo`` (and R loo's ``loo()`` with ``r_eff`` as ArviZ sets it: the mean
relative ESS of the posterior's parameters) without ArviZ or xarray: Vehtari, Gelman & Gabry
(2017), "Practical Bayesian model evaluation using leave-one-out cross-validation and WAIC",
Statistics and Computing 27; Vehtari, Simpson, Gelman, Yao & Gabry (2024), "Pareto smoothed
importance sampling", JMLR 25; the generalized Pareto tail fitted by Zhang & Stephens (2009),
"A new and efficient estimation method for the generalized Pareto distribution",
Technometrics 51, with the weakly informative prior on ``k`` of Vehtari et al.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Zhang & Stephens's prior scale for ``b`` and the pseudo-observations of ``k = 0.5``.
PRIOR_BS, PRIOR_K = 3.0, 10.0
#: Observations smoothed together (the GPD fit holds a block × grid × tail array).
BLOCK = 256


@dataclass(frozen=True)
class Loo:
    """``elpd_loo``, its standard error ``se``, ``p_loo`` and per observation ``loo_i`` and
    ``pareto_k``; ``n_samples`` draws and ``n_data_points`` observations."""

    elpd_loo: float
    se: float
    p_loo: float
    loo_i: np.ndarray
    pareto_k: np.ndarray
    n_samples: int
    n_data_points: int


def log_sum_exp(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(x)))`` along ``axis``, shifted by the maximum for accuracy."""
    top = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top, axis)


def gpd_fit(tail: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shape ``k`` and scale ``sigma`` of a generalized Pareto distribution fitted to each row
    of ``tail`` (``(G, L)``, sorted ascending, positive): Zhang & Stephens's posterior mean of
    ``b = -k / sigma`` over a grid of ``30 + sqrt(L)`` values, then ``k`` shrunk towards 0.5
    by :data:`PRIOR_K` pseudo-observations."""
    n = tail.shape[-1]
    m = 30 + int(n ** 0.5)
    grid = 1 - np.sqrt(m / (np.arange(1, m + 1, dtype=float) - 0.5))
    quartile = tail[:, int(n / 4 + 0.5) - 1]
    b = grid[None, :] / (PRIOR_BS * quartile[:, None]) + 1 / tail[:, -1:]
    k_grid = np.log1p(-b[:, :, None] * tail[:, None, :]).mean(axis=-1)
    profile = n * (np.log(-(b / k_grid)) - k_grid - 1)
    weights = 1 / np.exp(profile[:, None, :] - profile[:, :, None]).sum(axis=-1)
    weights = np.where(weights >= 10 * np.finfo(float).eps, weights, 0.0)
    weights /= weights.sum(axis=-1, keepdims=True)
    b_post = (b * weights).sum(axis=-1)
    k_post = np.log1p(-b_post[:, None] * tail).mean(axis=-1)
    sigma = -k_post / b_post
    return (n * k_post + PRIOR_K * 0.5) / (n + PRIOR_K), sigma


def gpd_quantiles(probs: np.ndarray, k: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Quantiles ``probs`` (in ``(0, 1)``) of generalized Pareto distributions, one per row of
    ``k`` and ``sigma``; NaN where ``sigma <= 0``."""
    k, sigma = k[:, None], sigma[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(np.abs(k) < np.finfo(float).eps, -np.log1p(-probs),
                     np.expm1(-k * np.log1p(-probs)) / k) * sigma
    return np.where(sigma > 0, q, np.nan)


def smooth_sorted(lw: np.ndarray, tail_len: int,
                  cutoff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the largest max-shifted log ratios, sorted, whose last ``tail_len`` values lie
    above ``cutoff``: that tail replaced by the fitted GPD's quantiles, capped at 0 (the largest raw
    ratio); ``k`` returned beside (``inf`` when the tail has 4 values or fewer)."""
    if tail_len <= 4:
        return lw, np.full(len(lw), np.inf)
    shift = np.exp(cutoff)[:, None]
    k, sigma = gpd_fit(np.exp(lw[:, -tail_len:]) - shift)
    probs = np.arange(0.5, tail_len) / tail_len
    with np.errstate(divide="ignore", invalid="ignore"):
        smoothed = np.log(gpd_quantiles(probs, k, sigma) + shift)
    out = lw.copy()
    fitted = np.isfinite(k)
    out[fitted, -tail_len:] = np.minimum(smoothed[fitted], 0.0)
    return out, k


def psis_loo(log_likelihood: np.ndarray, r_eff: float = 1.0) -> Loo:
    """PSIS-LOO of a pointwise log-likelihood shaped ``(chain, draw, n)`` (``az.loo``'s
    ``elpd_loo``, ``se``, ``p_loo``, ``loo_i`` and ``pareto_k``).

    Each observation's log ratios ``-log p(y_i | draw)`` keep their ``min(S / 5,
    3 sqrt(S / r_eff))`` largest values as the tail, smoothed by a generalized Pareto fit.
    """
    ll = np.asarray(log_likelihood, dtype=float)
    ll = ll.reshape(-1, ll.shape[-1]).T  # (n, S), draws chain by chain
    n, s = ll.shape
    tail_max = int(np.ceil(min(s / 5.0, 3 * (s / r_eff) ** 0.5)))
    floor = np.log(np.finfo(float).tiny)
    loo_i, k = np.empty(n), np.empty(n)
    for start in range(0, n, BLOCK):
        rows = ll[start:start + BLOCK]
        lw = -rows
        lw = lw - lw.max(axis=-1, keepdims=True)
        # only the tail and the cutoff below it need sorting: the body enters the sums as is
        top = np.argpartition(lw, s - tail_max - 1, axis=-1)[:, s - tail_max - 1:]
        part = np.take_along_axis(lw, top, axis=-1)
        order = np.argsort(part, axis=-1)
        top, part = np.take_along_axis(top, order, -1), np.take_along_axis(part, order, -1)
        cutoff = np.maximum(part[:, 0], floor)
        tail_lens = (part > cutoff[:, None]).sum(axis=-1)
        block_k = np.empty(len(rows))
        for tail_len in np.unique(tail_lens):
            sel = tail_lens == tail_len
            part[sel], block_k[sel] = smooth_sorted(part[sel], int(tail_len), cutoff[sel])
        np.put_along_axis(lw, top, part, axis=-1)
        lw = lw - log_sum_exp(lw)[:, None]
        loo_i[start:start + BLOCK] = log_sum_exp(lw + rows)
        k[start:start + BLOCK] = block_k
    elpd = float(loo_i.sum())
    lppd = float((log_sum_exp(ll) - np.log(s)).sum())
    return Loo(elpd_loo=elpd, se=float(np.sqrt(n * np.var(loo_i))), p_loo=lppd - elpd,
               loo_i=loo_i, pareto_k=k, n_samples=s, n_data_points=n)
