"""NumPyro priors of parameters bounded below by a positive number (Student-t's ``nu > 1``).

brms declares ``real<lower=1> nu`` and gives it ``gamma(2, 0.1)`` truncated at the bound: the
Stan code adds ``gamma_lpdf(nu | 2, 0.1) - 1 * gamma_lccdf(1 | 2, 0.1)`` (brms 2.18,
``R/stan-prior.R``), a density on ``(1, inf)``. :func:`lower_truncated` builds the same density
in NumPyro: ``dist.LeftTruncatedGamma`` for a gamma prior, :class:`LowerTruncated` (the base
density minus ``log P(X > lower)``, the constant from
:func:`bayeszoo.models.priors.log_mass_above`) for the others, an improper uniform on
``(lower, inf)`` for ``flat``, and ``uniform(a, b)`` as ``Uniform(max(a, lower), b)``. The
support is ``(lower, inf)``, so NUTS works on ``log(x - lower)`` as PyMC's ``pm.Truncated``
does (:mod:`bayeszoo.models.pymc`): both backends define the same log density.

This module imports NumPyro at the top; :mod:`bayeszoo.models.numpyro` imports it on first use.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpyro.distributions as dist
from jax import random
from numpyro.distributions import constraints

from bayeszoo.models.priors import Prior, log_mass_above


class LowerTruncated(dist.Distribution):
    """``base`` restricted to ``(lower, inf)`` and renormalized by ``exp(log_mass)``, the base
    distribution's mass above ``lower``. ``sample`` inverts the base's CDF (bases without an
    ``icdf`` cannot be sampled forward; NUTS never needs that)."""

    def __init__(self, base: dist.Distribution, lower: float, log_mass: float,
                 *, validate_args: bool | None = None) -> None:
        self.base = base
        self.lower = float(lower)
        self.log_mass = float(log_mass)
        self._support = constraints.greater_than(self.lower)
        super().__init__(base.batch_shape, base.event_shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        return self._support

    def log_prob(self, value):
        return self.base.log_prob(value) - self.log_mass

    def sample(self, key, sample_shape=()):
        u = random.uniform(key, sample_shape + self.batch_shape)
        mass_below = self.base.cdf(jnp.asarray(self.lower))
        return self.base.icdf(mass_below + u * (1.0 - mass_below))


def lower_truncated(prior: Prior, lower: float, base: dist.Distribution) -> dist.Distribution:
    """The NumPyro distribution of ``prior`` (whose untruncated form is ``base``) restricted to
    ``(lower, inf)``, normalized as brms normalizes it."""
    p = prior.named
    if prior.family == "flat":
        return dist.ImproperUniform(constraints.greater_than(lower), (), ())
    if prior.family == "uniform":
        return dist.Uniform(max(p["lower"], lower), p["upper"])
    if prior.family == "gamma":
        return dist.LeftTruncatedGamma(base, low=lower)
    return LowerTruncated(base, lower, log_mass_above(prior, lower))
