"""The regularized incomplete beta function ``I_x(a, b)`` in JAX with a derivative in every
argument: ``jax.scipy.special.betainc`` has none in ``a`` and ``b``, which the distribution
functions of the Student-t (``a = nu / 2``), negative binomial (``a = shape``) and beta
(``a = mu phi``, ``b = (1 - mu) phi``) families need for censored responses.

The derivative in ``x`` is the beta density ``x^(a-1) (1-x)^(b-1) / B(a, b)``; those in ``a``
and ``b`` are central differences with the step :data:`RELATIVE_STEP` times ``max(1, a)``,
whose truncation error (about ``step²``) and rounding error (about ``1e-16 / step``) stay near
``1e-10`` relative: far below what moves a sampler's trajectory.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["RELATIVE_STEP", "betainc"]

RELATIVE_STEP = 1e-5


@lru_cache(maxsize=1)
def _betainc():
    import jax
    import jax.numpy as jnp
    from jax.scipy import special as jsp

    @jax.custom_jvp
    def betainc(a, b, x):
        return jsp.betainc(a, b, x)

    @betainc.defjvp
    def _jvp(primals, tangents):
        a, b, x = primals
        da, db, dx = tangents
        value = jsp.betainc(a, b, x)
        ha = RELATIVE_STEP * jnp.maximum(1.0, a)
        hb = RELATIVE_STEP * jnp.maximum(1.0, b)
        d_a = (jsp.betainc(a + ha, b, x) - jsp.betainc(a - ha, b, x)) / (2.0 * ha)
        d_b = (jsp.betainc(a, b + hb, x) - jsp.betainc(a, b - hb, x)) / (2.0 * hb)
        inside = (x > 0.0) & (x < 1.0)
        xs = jnp.where(inside, x, 0.5)
        log_density = ((a - 1.0) * jnp.log(xs) + (b - 1.0) * jnp.log1p(-xs)
                       - jsp.betaln(a, b))
        d_x = jnp.where(inside, jnp.exp(log_density), 0.0)
        return value, d_a * da + d_b * db + d_x * dx

    return betainc


def betainc(a, b, x):
    """``I_x(a, b)`` (``jax.scipy.special.betainc``), differentiable in ``a``, ``b`` and ``x``."""
    import jax.numpy as jnp

    a, b, x = jnp.broadcast_arrays(jnp.asarray(a, dtype=float), jnp.asarray(b, dtype=float),
                                   jnp.asarray(x, dtype=float))
    return _betainc()(a, b, x)
