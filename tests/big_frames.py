"""The small discretized frames of sample_big's tests (x1 on 12 values, x2 on 9, categorical
groups, a Gaussian ``y`` and a Poisson ``count``), and the relative difference of two sets of
statistics."""

from collections.abc import Sequence

import jax
import numpy as np
import pandas as pd


def discretized_frame(seed: int, n: int, *, levels: Sequence[str] = "abcdefgh",
                      h: bool = True, y: bool = True, effect_sd: float | None = None,
                      effects_in_y: bool = False, count_intercept: float = 1.0,
                      count_sine: bool = True, count_effect: float = 1.0) -> pd.DataFrame:
    """``n`` rows from ``default_rng(seed)``: ``x1``, ``x2``, the group ``g`` on ``levels`` and,
    with ``h``, a second group on ``u, v, w``; ``y = 3 + sin(2πx1) + x2 (+ b_g) + N(0, 1)``; and
    ``count ~ Poisson(exp(count_intercept + 0.5 sin(2πx1) (or 0.5 x1) + 0.3 x2 + count_effect
    b_g))``. The group effects ``b ~ N(0, effect_sd)`` exist only with ``effect_sd``; they are
    drawn before ``y`` when ``effects_in_y``, after it otherwise."""
    rng = np.random.default_rng(seed)
    columns = {"x1": rng.integers(0, 12, n) / 11, "x2": rng.integers(0, 9, n) / 8,
               "g": pd.Categorical(rng.choice(list(levels), n))}
    if h:
        columns["h"] = pd.Categorical(rng.choice(list("uvw"), n))
    df = pd.DataFrame(columns)
    wave = np.sin(2 * np.pi * df.x1)

    def effects():
        return rng.normal(0, effect_sd, len(levels))[df.g.cat.codes]

    b = effects() if effects_in_y else None
    if y:
        mean = 3.0 + wave + df.x2
        if effects_in_y:
            mean = mean + b
        df["y"] = mean + rng.normal(size=n)
    if b is None and effect_sd is not None:
        b = effects()
    log_mean = count_intercept + 0.5 * (wave if count_sine else df.x1) + 0.3 * df.x2
    if b is not None:
        log_mean = log_mean + count_effect * b
    df["count"] = rng.poisson(np.exp(log_mean))
    return df


def max_rel(a, b) -> float:
    """The largest difference between the leaves of two pytrees of the same structure, relative
    to the largest magnitude of ``b``'s leaf (at least 1)."""
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    assert len(la) == len(lb)
    worst = 0.0
    for x, y in zip(la, lb, strict=True):
        x, y = np.asarray(x, float), np.asarray(y, float)
        assert x.shape == y.shape
        if x.size:
            worst = max(worst, float(np.max(np.abs(x - y)) / max(1.0, np.max(np.abs(y)))))
    return worst
