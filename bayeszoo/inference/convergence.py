"""Rank-normalized split R-hat and bulk, tail and mean effective sample sizes on plain arrays,
every parameter of a fit at once.

The numbers are those of ArviZ's ``az.rhat`` (``method="rank"``) and ``az.ess`` (``"bulk"``,
``"tail"``, ``"mean"``), which the report and the comparison use, and of R's ``posterior``
package (``rhat``, ``ess_bulk``, ``ess_tail``, ``ess_mean``) that brms prints: Vehtari, Gelman,
Simpson, Carpenter & Bürkner (2021), "Rank-normalization, folding, and localization: an improved
R-hat for assessing convergence of MCMC", Bayesian Analysis 16(2), with Geyer's (1992) initial
monotone sequence truncating the autocorrelations. They are computed here without ArviZ and
xarray so that ``bayeszoo fit`` prints its summary without importing either (ArviZ's import
alone costs more than sampling a small model), vectorized over parameters where ArviZ loops.

Every function takes draws shaped ``(chain, draw, *shape)`` and returns an array of ``shape``;
a parameter with a non-finite draw or fewer than 4 draws gives NaN. One chain has the R-hat of
its two halves, as ``posterior::rhat`` (and so brms) computes it; ArviZ returns NaN there.
"""

from __future__ import annotations

import numpy as np

#: Blom's (1958) offset in the normal scores of the ranks, ``(r - 3/8) / (S + 1/4)``.
BLOM_OFFSET = 3 / 8
TAIL_PROBS = (0.05, 0.95)


def as_series(draws: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """``(chain, draw, *shape)`` draws as ``(parameters, chain, draw)`` and the ``shape``."""
    x = np.asarray(draws, dtype=float)
    if x.ndim < 2:
        raise ValueError(f"draws must be shaped (chain, draw, ...), got shape {x.shape}")
    shape = x.shape[2:]
    return np.moveaxis(x.reshape(x.shape[0], x.shape[1], -1), 2, 0), shape


def split_chains(x: np.ndarray) -> np.ndarray:
    """``(P, C, N)`` -> ``(P, 2C, N // 2)``: each chain's first and last halves as two chains
    (the middle draw of an odd ``N`` dropped)."""
    half = x.shape[-1] // 2
    return np.concatenate([x[..., :half], x[..., x.shape[-1] - half:]], axis=-2)


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks ``1..S`` of each row of ``x`` (``(P, S)``), tied values sharing their mean rank."""
    order = np.argsort(x, axis=-1)
    s = np.take_along_axis(x, order, axis=-1)
    n = s.shape[-1]
    position = np.broadcast_to(np.arange(n), s.shape)
    new = np.ones(s.shape, dtype=bool)
    new[..., 1:] = s[..., 1:] != s[..., :-1]
    last = np.ones(s.shape, dtype=bool)
    last[..., :-1] = new[..., 1:]
    first_of_run = np.maximum.accumulate(np.where(new, position, 0), axis=-1)
    last_of_run = np.flip(np.minimum.accumulate(np.flip(np.where(last, position, n), -1),
                                                axis=-1), -1)
    ranks = np.empty(s.shape)
    np.put_along_axis(ranks, order, (first_of_run + last_of_run) / 2 + 1, axis=-1)
    return ranks


def normal_scores(x: np.ndarray) -> np.ndarray:
    """Rank-normalization of ``(P, C, N)`` draws: the normal quantiles of each parameter's
    Blom-offset ranks over all its chains and draws."""
    from scipy.special import ndtri

    p, c, n = x.shape
    ranks = average_ranks(x.reshape(p, c * n))
    return ndtri((ranks - BLOM_OFFSET) / (c * n - 2 * BLOM_OFFSET + 1)).reshape(x.shape)


def basic_rhat(x: np.ndarray) -> np.ndarray:
    """Gelman-Rubin potential scale reduction of ``(P, C, N)`` draws (Gelman et al., BDA3
    eq. 11.4): ``sqrt(((N - 1) W + B) / (N W))`` with ``B/N`` the variance of the chain means
    and ``W`` the mean within-chain variance."""
    n = x.shape[-1]
    between = n * np.var(x.mean(axis=-1), axis=-1, ddof=1)
    within = np.var(x, axis=-1, ddof=1).mean(axis=-1)
    return np.sqrt((between / within + n - 1) / n)


def valid(x: np.ndarray) -> np.ndarray:
    """Which parameters of ``(P, C, N)`` draws have only finite draws and at least 4 draws per
    chain."""
    return np.isfinite(x).all(axis=(-2, -1)) & (x.shape[-1] >= 4)


def rhat_series(x: np.ndarray) -> np.ndarray:
    """Rank-normalized split R-hat of ``(P, C, N)`` draws: the larger of the R-hat of the
    rank-normalized split chains (bulk) and of their folded absolute deviations from the median
    (tails), Vehtari et al. (2021) section 4.2. One chain: the R-hat of its two halves."""
    ok = valid(x)
    out = np.full(x.shape[0], np.nan)
    if not ok.any():
        return out
    split = split_chains(x[ok])
    folded = np.abs(split - np.median(split.reshape(split.shape[0], -1), axis=-1)[:, None, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        out[ok] = np.maximum(basic_rhat(normal_scores(split)), basic_rhat(normal_scores(folded)))
    return out


def autocovariance(x: np.ndarray) -> np.ndarray:
    """Autocovariances of each chain at lags ``0..N-1`` (``(..., N)`` in and out), divided by
    ``N``, through the FFT of the zero-padded centred chain."""
    n = x.shape[-1]
    centred = x - x.mean(axis=-1, keepdims=True)
    size = 1 << int(2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=-1)
    return np.fft.irfft(spectrum * np.conjugate(spectrum), n=size, axis=-1)[..., :n] / n


def ess_series(x: np.ndarray) -> np.ndarray:
    """Effective sample size of ``(P, C, N)`` draws, Vehtari et al. (2021) eq. (10)-(11):
    the multi-chain autocorrelations ``rho_t = 1 - (W - mean autocovariance_t) / var+``, summed in
    pairs up to the first pair whose sum is not positive (Geyer's initial positive sequence),
    the pair sums made non-increasing (initial monotone sequence); ``S / tau`` with ``tau`` at
    least ``1 / log10(S)``. Constant draws give ``S``."""
    p, c, n = x.shape
    total = c * n
    out = np.full(p, np.nan)
    finite = np.isfinite(x).all(axis=(-2, -1))
    constant = finite & (np.ptp(x.reshape(p, -1), axis=-1) < np.finfo(float).resolution)
    out[constant] = total
    todo = finite & ~constant
    if not todo.any():
        return out
    y = x[todo]
    acov = autocovariance(y).mean(axis=-2)  # (P, N): averaged over chains
    mean_var = acov[:, 0] * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if c > 1:
        var_plus = var_plus + np.var(y.mean(axis=-1), axis=-1, ddof=1)
    rho = 1.0 - (mean_var[:, None] - acov) / var_plus[:, None]
    rho[:, 0] = 1.0
    # pair k (lags 2k, 2k + 1) is computed while 2k - 1 < n - 3 and the previous pair's sum is
    # positive; ``last`` is the last pair computed
    kmax = max((n - 3) // 2, 0)
    even, odd = rho[:, 0:2 * kmax + 1:2], rho[:, 1:2 * kmax + 2:2]
    pair_sums = even + odd
    stop = pair_sums[:, 1:] <= 0
    first_stop = stop.argmax(axis=1) + 1 if kmax else np.zeros(len(y), dtype=int)
    last = np.where(stop.any(axis=1), first_stop, kmax)
    last = np.where(pair_sums[:, 0] <= 0, 0, last)
    kept = np.arange(kmax + 1)[None, :] < last[:, None]
    monotone = np.minimum.accumulate(np.where(kept, pair_sums, np.inf), axis=1)
    rows = np.arange(len(last))
    last_even, last_sum = even[rows, last], pair_sums[rows, last]
    tail_term = np.where((last_even > 0) | (last_sum >= 0), last_even, 0.0)
    tau = -1.0 + 2.0 * np.where(kept, monotone, 0.0).sum(axis=1) + tail_term
    tau = np.maximum(tau, 1.0 / np.log10(total))
    ess = total / tau
    ess[~np.isfinite(rho).all(axis=1)] = np.nan
    out[todo] = ess
    return out


def with_min_draws(x: np.ndarray, values) -> np.ndarray:
    """``values(x)`` where every draw is finite and each chain has at least 4 draws, else NaN."""
    ok = valid(x)
    out = np.full(x.shape[0], np.nan)
    if ok.any():
        out[ok] = values(x[ok])
    return out


def ess_bulk_series(x: np.ndarray) -> np.ndarray:
    """Bulk ESS: the ESS of the rank-normalized split chains."""
    return with_min_draws(x, lambda y: ess_series(normal_scores(split_chains(y))))


def ess_mean_series(x: np.ndarray) -> np.ndarray:
    """ESS of the mean: the ESS of the split chains themselves."""
    return with_min_draws(x, lambda y: ess_series(split_chains(y)))


def ess_tail_series(x: np.ndarray) -> np.ndarray:
    """Tail ESS: the smaller ESS of the indicators of the draws below the 5% and the 95%
    quantiles (R's type-7 quantiles, :func:`numpy.quantile`'s default)."""

    def tail(y: np.ndarray) -> np.ndarray:
        flat = y.reshape(y.shape[0], -1)
        out = []
        for prob in TAIL_PROBS:
            q = np.quantile(flat, prob, axis=-1)
            out.append(ess_series(split_chains((y <= q[:, None, None]).astype(float))))
        return np.minimum(*out)

    return with_min_draws(x, tail)


def rhat(draws) -> np.ndarray:
    """Rank-normalized split R-hat of ``(chain, draw, *shape)`` draws, per element of
    ``shape`` (``az.rhat``; ``posterior::rhat``)."""
    x, shape = as_series(draws)
    return rhat_series(x).reshape(shape)


def ess_bulk(draws) -> np.ndarray:
    """Bulk effective sample size (``az.ess(method="bulk")``; ``posterior::ess_bulk``)."""
    x, shape = as_series(draws)
    return ess_bulk_series(x).reshape(shape)


def ess_tail(draws) -> np.ndarray:
    """Tail effective sample size (``az.ess(method="tail")``; ``posterior::ess_tail``)."""
    x, shape = as_series(draws)
    return ess_tail_series(x).reshape(shape)


def ess_mean(draws) -> np.ndarray:
    """Effective sample size of the mean (``az.ess(method="mean")``; ``posterior::ess_mean``)."""
    x, shape = as_series(draws)
    return ess_mean_series(x).reshape(shape)
