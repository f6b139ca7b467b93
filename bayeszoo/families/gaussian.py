"""The Gaussian family (identity link; ``sigma``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeszoo.families import gaussian_stats as gs

from .ops import LOG_2PI


@dataclass(frozen=True)
class Aux:
    name: str
    support: str = "positive"


@dataclass(frozen=True)
class Gaussian:
    name: str = "gaussian"
    link: str = "identity"

    def auxiliary(self, additions) -> list[Aux]:
        return [Aux("sigma")]

    def default_priors(self, y, additions) -> dict[str, str]:
        from bayeszoo.models.priors import default_scale

        m, s = default_scale(y)
        return {"Intercept": f"student_t(3, {m}, {s})", "sd": f"half_student_t(3, {s})",
                "sigma": f"half_student_t(3, {s})"}

    def prepare_response(self, y):
        return np.asarray(y, dtype=float)

    def log_prob(self, ops, y, eta, aux, additions):
        sigma = aux["sigma"]
        z = (y - eta) / sigma
        return -0.5 * z * z - ops.log(sigma) - 0.5 * LOG_2PI

    def mean(self, eta, aux, additions):
        return eta

    def draw(self, rng, eta, aux, additions):
        return eta + aux["sigma"] * rng.standard_normal(np.shape(eta))

    def summarize(self, y, arrays, additions, sizes):
        """The sufficient statistics of ``y`` and the design (:mod:`.gaussian_stats`; ``sizes``
        the blocks' column counts), or ``None`` when response additions make rows unequal."""
        if additions:
            return None
        dense = [arrays.X] + [b.matrix for b in arrays.blocks if b.matrix.shape[0]]
        ind = [(b.index, b.weights, size) for b, size in zip(arrays.blocks, sizes,
                                                             strict=True)
               if not b.matrix.shape[0]]
        return gs.gaussian_stats(y, np.hstack(dense), ind)

    def summary_log_likelihood(self, stats, beta, coefs, aux, indicator):
        """``Σ log N(y_i | eta_i, sigma)`` from the statistics; ``indicator[j]`` tells whether
        block ``j`` is an indicator block (the others join the dense columns)."""
        import jax.numpy as jnp

        dense = [beta] + [c for c, ind in zip(coefs, indicator, strict=True) if not ind]
        blocks = [c for c, ind in zip(coefs, indicator, strict=True) if ind]
        return gs.normal_loglik(stats, jnp.concatenate(dense), blocks, aux["sigma"])
