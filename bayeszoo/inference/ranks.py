"""Rank statistics of simulation-based calibration and the graphical uniformity test.

* :func:`rank_statistic`: where a true value falls among posterior draws thinned to nearly
  independent ones by their effective sample size (Talts, Betancourt, Simpson, Vehtari & Gelman
  2018, "Validating Bayesian inference algorithms with simulation-based calibration",
  arXiv:1804.06788, Algorithm 2), put on a common scale ``0..max_rank`` for every simulation.
* :func:`ecdf_band` and :func:`uniformity_pvalue`: the ECDF of the ranks against the uniform,
  with simultaneous 1 - alpha bands (Säilynoja, Bürkner & Vehtari 2022, "Graphical test for
  discrete uniformity and its applications in goodness-of-fit evaluation and multiple sample
  comparison", Statistics and Computing 32:32, section 2.2, the simulation method). The
  p-value is the same test read as a probability: how often uniform ranks leave the pointwise
  binomial intervals at least as far as the observed ones.

Pure NumPy/SciPy functions of arrays.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from scipy import stats

#: Null samples behind the band and the p-value (Säilynoja et al. use 10,000 or more).
N_NULL = 10_000
NULL_SEED = 20220


def thinning_stride(n_draws: int, ess: float) -> int:
    """Keep every ``stride``-th draw of each chain: ``ceil(n_draws / ess)``, at least 1 (a
    non-finite or tiny ESS keeps one draw per chain)."""
    if not math.isfinite(ess) or ess < 1:
        return max(1, n_draws)
    return max(1, math.ceil(n_draws / ess))


def rank_statistic(true_value: float, draws: np.ndarray, ess: float, max_rank: int,
                   rng: np.random.Generator) -> tuple[int, int]:
    """The rank of ``true_value`` among ``draws`` (``chain × draw``) thinned by ``ess``, on
    ``0..max_rank``; also the number of draws kept.

    ``r`` = draws kept below the true value (ties split at random) is uniform on ``0..M``
    when inference is calibrated and the ``M`` kept draws are independent; ``(r + U) / (M + 1)``
    with ``U ~ Uniform(0, 1)`` is then exactly uniform on ``(0, 1)`` and
    ``floor((max_rank + 1) · (r + U) / (M + 1))`` uniform on ``0..max_rank``, whatever ``M``
    each simulation's ESS allowed.
    """
    draws = np.asarray(draws, dtype=float)
    draws = draws.reshape(-1, draws.shape[-1]) if draws.ndim > 1 else draws[None, :]
    stride = thinning_stride(draws.size, ess)
    kept = draws[:, ::stride].ravel()
    below = int(np.sum(kept < true_value))
    ties = int(np.sum(kept == true_value))
    r = below + (int(rng.integers(0, ties + 1)) if ties else 0)
    u = (r + rng.uniform()) / (kept.size + 1)
    return min(int((max_rank + 1) * u), max_rank), int(kept.size)


class EcdfBand(NamedTuple):
    """The ECDF test of ``n`` ranks on ``0..max_rank``: evaluation points ``z`` (``i/(L+1)``,
    ``i = 1..L``), the band's ``lower``/``upper`` ECDF values there and the adjusted pointwise
    level ``gamma``."""

    z: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    gamma: float


def ecdf_values(ranks: np.ndarray, max_rank: int) -> np.ndarray:
    """``F(z_i)``, ``i = 1..max_rank``: the share of ranks at most ``i - 1`` (the ECDF of the
    PIT values ``(rank + 1)/(max_rank + 1)``)."""
    ranks = np.asarray(ranks, dtype=np.int64)
    counts = np.bincount(ranks, minlength=max_rank + 1)
    return np.cumsum(counts)[:-1] / max(ranks.size, 1)


def _min_tail(counts_below: np.ndarray, n: int, z: np.ndarray) -> np.ndarray:
    """``min_i 2·min(P(B <= c_i), P(B >= c_i))`` for ``B ~ Binomial(n, z_i)``, per row of
    ``counts_below`` (the statistic whose null distribution sets ``gamma``)."""
    lower = stats.binom.cdf(counts_below, n, z)
    upper = stats.binom.sf(counts_below - 1, n, z)
    return np.min(2 * np.minimum(lower, upper), axis=-1)


@lru_cache(maxsize=64)
def null_statistics(n: int, max_rank: int) -> np.ndarray:
    """:func:`_min_tail` of :data:`N_NULL` samples of ``n`` uniform ranks on ``0..max_rank``."""
    rng = np.random.default_rng(NULL_SEED)
    z = np.arange(1, max_rank + 1) / (max_rank + 1)
    out = np.empty(N_NULL)
    for lo in range(0, N_NULL, 1000):
        sims = rng.integers(0, max_rank + 1, size=(min(1000, N_NULL - lo), n))
        counts = np.stack([np.cumsum(np.bincount(s, minlength=max_rank + 1))[:-1]
                           for s in sims])
        out[lo:lo + len(sims)] = _min_tail(counts, n, z)
    return np.sort(out)


def ecdf_band(n: int, max_rank: int, alpha: float = 0.05) -> EcdfBand:
    """Simultaneous ``1 - alpha`` band of the ECDF of ``n`` uniform ranks on ``0..max_rank``
    (Säilynoja et al. 2022, section 2.2): ``gamma`` is the ``alpha`` quantile of the null
    statistic, the band the pointwise ``gamma/2`` and ``1 - gamma/2`` binomial quantiles."""
    if n < 1 or max_rank < 1:
        raise ValueError(f"the ECDF band needs n >= 1 ranks and max_rank >= 1, got n={n}, "
                         f"max_rank={max_rank}")
    z = np.arange(1, max_rank + 1) / (max_rank + 1)
    gamma = float(np.quantile(null_statistics(n, max_rank), alpha, method="lower"))
    lower = stats.binom.ppf(gamma / 2, n, z) / n
    upper = stats.binom.ppf(1 - gamma / 2, n, z) / n
    return EcdfBand(z=z, lower=lower, upper=upper, gamma=gamma)


def uniformity_pvalue(ranks: np.ndarray, max_rank: int) -> float:
    """P-value of discrete uniformity of ``ranks`` on ``0..max_rank``: the share of null
    samples whose ECDF strays at least as far (in pointwise binomial tail probability) as the
    observed one, ``(1 + #{null <= observed}) / (1 + N_NULL)``. Below ``alpha`` exactly when
    the ECDF leaves :func:`ecdf_band`'s band somewhere."""
    ranks = np.asarray(ranks, dtype=np.int64)
    n = ranks.size
    if n == 0:
        return float("nan")
    if ranks.min() < 0 or ranks.max() > max_rank:
        raise ValueError(f"ranks must lie in 0..{max_rank}, got {ranks.min()}..{ranks.max()}")
    z = np.arange(1, max_rank + 1) / (max_rank + 1)
    below = np.cumsum(np.bincount(ranks, minlength=max_rank + 1))[:-1]
    observed = float(_min_tail(below, n, z))
    null = null_statistics(n, max_rank)
    return float((1 + np.searchsorted(null, observed, side="right")) / (1 + null.size))
