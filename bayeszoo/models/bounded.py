"""Coefficients bounded by ``lb``/``ub`` (brms's ``set_prior(..., lb = 0)``), in both backends.

brms declares such a coefficient ``vector<lower=lb, upper=ub>`` and truncates its prior there,
renormalized: ``normal_lpdf(b | 45, 10) - 1 * normal_lccdf(0 | 45, 10)`` (brms 2.18,
``R/stan-prior.R``). NumPyro's ``TruncatedDistribution`` and PyMC's ``pm.Truncated`` define
that density (the base's log density less the log of its mass within the bounds), both on an
unconstrained value through the interval's transform; ``uniform(a, b)`` becomes the uniform on
the intersection of ``(a, b)`` with the bounds (the same density), ``flat`` an improper flat
density on the bounded set. The priors are those of unbounded parameters (``normal``,
``student_t``, ``cauchy``, ``logistic``, ``uniform``, ``flat``:
:func:`bayeszoo.models.priors.check_support`).
"""

from __future__ import annotations

import numpy as np

from bayeszoo.models.priors import Prior

Bounds = tuple[float | None, float | None]


def _uniform_within(prior: Prior, bounds: Bounds) -> tuple[float, float]:
    lo, hi = prior.params
    lb, ub = bounds
    return max(lo, lb) if lb is not None else lo, min(hi, ub) if ub is not None else hi


def numpyro_bounded(prior: Prior, bounds: Bounds, shape: tuple[int, ...]):
    """The NumPyro distribution of a coefficient with ``prior`` on ``bounds``."""
    import numpyro.distributions as dist
    from numpyro.distributions import constraints

    from bayeszoo.models.numpyro import prior_distribution

    lb, ub = bounds
    if prior.family == "uniform":
        d = dist.Uniform(*_uniform_within(prior, bounds))
    elif prior.family == "flat":
        support = constraints.interval(lb, ub) if lb is not None and ub is not None else \
            constraints.greater_than(lb) if lb is not None else constraints.less_than(ub)
        return dist.ImproperUniform(support, (), tuple(shape))
    else:
        d = dist.TruncatedDistribution(prior_distribution(prior, "real"), low=lb, high=ub)
    return d.expand(shape) if shape else d


def pymc_bounded(name: str, prior: Prior, bounds: Bounds, shape: tuple[int, ...]):
    """The PyMC random variable ``name`` of a coefficient with ``prior`` on ``bounds``."""
    import pymc as pm
    from pymc.distributions.transforms import Interval

    from bayeszoo.models.pymc import prior_class

    kw = {"shape": tuple(int(s) for s in shape)} if shape else {}
    lb, ub = bounds
    if prior.family == "uniform":
        lo, hi = _uniform_within(prior, bounds)
        return pm.Uniform(name, lower=lo, upper=hi, **kw)
    if prior.family == "flat":
        start = (lb + ub) / 2 if lb is not None and ub is not None else \
            lb + 1.0 if lb is not None else ub - 1.0
        return pm.Flat(name, transform=Interval(lb, ub),
                       initval=np.full(tuple(int(k) for k in shape), start), **kw)
    cls, args = prior_class(prior)
    return pm.Truncated(name, cls.dist(**args), lower=lb, upper=ub, **kw)
