"""The collapsed log-likelihood of the cumulative logit model (brms's ``cumulative_logit_lpmf``
summed over rows) in JAX, arranged so that a gradient costs one log-sigmoid per distinct
design row and threshold and nothing else per element but products and sums.

With ``x_j = disc (thres_j - eta)``, ``j = 1..K-1``, and ``ls = log σ``:

    log P(y = 1) = ls(x_1),    log P(y = K) = ls(x_{K-1}) - x_{K-1},
    log P(y = k) = ls(x_k) + ls(x_{k-1}) - x_{k-1} + log1mexp(disc (thres_{k-1} - thres_k))

(``σ(b) - σ(a) = σ(b) σ(-a) (1 - e^{a-b})``, :mod:`bayeszoo.families.cumulative`). Summed
over ratings with the counts ``n_pk`` of design row ``p``, each ``ls(x_pj)`` is weighted by
``n_pj + n_p,j+1`` and each ``x_pj`` by ``-n_p,j+1``; the gap terms depend on the thresholds
alone and are weighted by the total count of their rating:

    Σ_p Σ_k n_pk log P(y = k | eta_p) = Σ_p Σ_j [(n_pj + n_p,j+1) ls(x_pj) - n_p,j+1 x_pj]
                                        + Σ_{k=2}^{K-1} (Σ_p n_pk) log1mexp(disc (thres_{k-1}
                                        - thres_k)),

the same sum regrouped (exact algebra). The weights are fixed by the data, so
:func:`logit_weights` computes them once, when the rows are collapsed
(:class:`LogitPatternStats`), laid out threshold by threshold (``K × P``): each threshold's
terms are then one contiguous run over the design rows, and XLA's CPU loops and reductions run
over them without the strided access of a ``P × K`` layout (a third of the gradient's cost at
12,000 design rows). :func:`log_sigmoid` evaluates ``ls`` with one exponential and one
``log1p`` and its derivative ``σ(-x)`` from the same exponential: ``jax.nn.log_sigmoid``
(``-logaddexp(-x, 0)``) costs about four times as much per gradient.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

__all__ = ["LogitPatternStats", "LogitWeights", "cumulative_logit_sum", "log_sigmoid",
           "logit_weights"]


def _log_sigmoid():
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def log_sigmoid(x):
        """``log σ(x) = -log1p(e^{-|x|}) - max(-x, 0)``."""
        return -(jnp.log1p(jnp.exp(-jnp.abs(x))) + jnp.maximum(-x, 0.0))

    @log_sigmoid.defjvp
    def _jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        e = jnp.exp(-jnp.abs(x))
        value = -(jnp.log1p(e) + jnp.maximum(-x, 0.0))
        return value, jnp.where(x > 0, e, 1.0) / (1.0 + e) * t  # σ(-x)

    return log_sigmoid


_CACHE: dict[str, Any] = {}


def log_sigmoid(x):
    """``log σ(x)`` of a JAX array, finite for every finite ``x``, with the derivative
    ``σ(-x)`` computed from the value's exponential."""
    if "f" not in _CACHE:
        _CACHE["f"] = _log_sigmoid()
    return _CACHE["f"](x)


class LogitWeights(NamedTuple):
    """The data's weights in the regrouped sum (module doc), ``K'`` the largest observed
    rating and ``P`` the design rows: ``log_sigmoid`` (``(K' - 1) × P``) the weight ``n_pj +
    n_p,j+1`` of ``ls(x_pj)``; ``top`` (``P``) the counts of rating ``K'``, the weight of
    ``ls(x_pK')`` where ``K' < K``; ``above`` (``P``) each design row's count above the first
    rating, ``Σ_j n_p,j+1``, the weight of ``disc · eta_p`` in ``-Σ_pj n_p,j+1 x_pj``;
    ``totals`` (``K'``) each rating's summed count (``totals_{j+1}`` weighs ``-disc ·
    thres_j`` in the same sum)."""

    log_sigmoid: np.ndarray
    top: np.ndarray
    above: np.ndarray
    totals: np.ndarray


def logit_weights(counts: np.ndarray) -> LogitWeights:
    """The :class:`LogitWeights` of ``counts`` (``P × K'``, the summed weights of design row
    ``p``'s rows rated ``k``: :func:`bayeszoo.families.patterns.category_counts`)."""
    c = np.asarray(counts, dtype=float).T
    return LogitWeights(np.ascontiguousarray(c[:-1] + c[1:]), np.ascontiguousarray(c[-1]),
                        c[1:].sum(axis=0), c.sum(axis=1))


class LogitPatternStats(NamedTuple):
    """:class:`bayeszoo.families.patterns.PatternStats` (``arrays``, ``sums = (counts,)``,
    ``constant``, ``n_rows``) with the counts' :class:`LogitWeights` (``weights``), which the
    cumulative logit likelihood reads."""

    arrays: Any
    sums: tuple[np.ndarray, ...]
    constant: float
    n_rows: int
    weights: LogitWeights


def cumulative_logit_sum(weights: LogitWeights, eta, thresholds, disc=1.0):
    """``Σ_p Σ_k n_pk log P(y = k | eta_p)`` of the cumulative logit model (module doc) from
    the counts' :class:`LogitWeights`: ``eta`` ``(..., P)``, ``thresholds`` ``(..., K - 1)``;
    leading axes broadcast, the sum is over ``P``. The linear terms ``-n_p,j+1 x_pj`` are
    summed from the weights' margins (``above`` over the design rows, ``totals`` over the
    thresholds); thresholds above the largest observed rating carry no weight and are left
    out."""
    import jax.numpy as jnp

    n_thres = thresholds.shape[-1]
    m = weights.log_sigmoid.shape[0]
    x = disc * (thresholds[..., :m, None] - eta[..., None, :])
    out = jnp.sum(weights.log_sigmoid * log_sigmoid(x), axis=(-2, -1))
    out = out + disc * (jnp.sum(weights.above * eta, axis=-1)
                        - jnp.sum(weights.totals[1:] * thresholds[..., :m], axis=-1))
    if m < n_thres:
        top = disc * (thresholds[..., m, None] - eta)
        out = out + jnp.sum(weights.top * log_sigmoid(top), axis=-1)
    mid = min(m + 1, n_thres)
    if mid > 1:
        gaps = disc * (thresholds[..., :mid - 1] - thresholds[..., 1:mid])
        totals = weights.totals[1:mid]
        safe = jnp.where(totals > 0, gaps, -1.0)
        log_gap = jnp.where(safe > -math.log(2.0), jnp.log(-jnp.expm1(safe)),
                            jnp.log1p(-jnp.exp(safe)))
        out = out + jnp.sum(jnp.where(totals > 0, totals * log_gap, 0.0), axis=-1)
    return out
