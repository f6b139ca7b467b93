"""An ordered vector parameter (brms's ``ordered[nthres] Intercept``: the thresholds of the
ordinal families) in each backend: the prior's density on every element, restricted to
increasing vectors through the ordered transform (Stan's ``ordered`` type; NumPyro's
``OrderedTransform``, PyMC's ``transforms.ordered``)."""

from __future__ import annotations

import numpy as np

from bayeszoo.models.priors import Prior

__all__ = ["ordered_distribution", "ordered_start", "ordered_variable"]


def ordered_start(k: int) -> np.ndarray:
    """Increasing starting values ``-1 .. 1`` (one element: 0)."""
    return np.linspace(-1.0, 1.0, k) if k > 1 else np.zeros(k)


def ordered_distribution(prior: Prior, base, k: int):
    """A NumPyro distribution on increasing vectors of length ``k`` whose log density is the
    sum of ``base``'s (the prior of one element) over the elements."""
    import numpyro.distributions as dist
    from numpyro.distributions import constraints

    class OrderedPrior(dist.Distribution):
        support = constraints.ordered_vector

        def __init__(self):
            super().__init__(batch_shape=(), event_shape=(k,))

        def sample(self, key, sample_shape=()):
            import jax.numpy as jnp

            return jnp.sort(base.expand((k,)).sample(key, sample_shape), axis=-1)

        def log_prob(self, value):
            return base.log_prob(value).sum(-1)

    if prior.family == "flat":
        return dist.ImproperUniform(constraints.ordered_vector, (), (k,))
    return OrderedPrior()


def ordered_variable(name: str, prior: Prior, k: int):
    """The PyMC variable ``name``: ``prior`` on each of ``k`` increasing elements."""
    import pymc as pm

    from bayeszoo.models.pymc import prior_class

    ordered = pm.distributions.transforms.ordered
    start = ordered_start(k)
    if prior.family == "flat":
        return pm.Flat(name, shape=(k,), transform=ordered, initval=start)
    cls, args = prior_class(prior)
    return cls(name, **args, shape=(k,), transform=ordered, initval=start)
