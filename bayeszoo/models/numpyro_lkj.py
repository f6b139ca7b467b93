"""brms's LKJ prior on a correlation matrix's Cholesky factor as a NumPyro distribution.

NumPyro's ``LKJCholesky`` with its ``CorrCholeskyTransform`` has the right density and
coordinates, but the transform is written with scatters and cumulative products whose compiled
gradient is several times larger than the rest of a varying-slopes model. This distribution
keeps ``LKJCholesky``'s sampling and changes two things only: its log density and its
unconstrained coordinates are the elementwise functions of :mod:`bayeszoo.models.lkj` (the
same coordinates, so the same posterior), which PyMC evaluates too
(:mod:`bayeszoo.models.pymc_lkj`).
"""

from __future__ import annotations

from typing import Any

from bayeszoo.models import lkj

_classes: dict[str, Any] = {}


def _defined() -> dict[str, Any]:
    """The constraint, transform and distribution classes, defined (and the transform
    registered with ``biject_to``) on first use, after the runtime has configured JAX."""
    if _classes:
        return _classes
    import numpyro.distributions as dist
    from numpyro.distributions import constraints
    from numpyro.distributions.transforms import ParameterFreeTransform, biject_to

    from bayeszoo.families.ops import jax_ops

    ops = jax_ops()

    class CorrCholeskyElementwise(type(constraints.corr_cholesky)):
        """NumPyro's ``corr_cholesky`` support, mapped by ``biject_to`` to the transform
        below."""

    elementwise_support = CorrCholeskyElementwise()

    class CorrCholeskyElementwiseTransform(ParameterFreeTransform):
        domain = constraints.real_vector
        codomain = elementwise_support

        def __call__(self, x):
            return lkj.cholesky_factor(ops, x, lkj.size_of(x.shape[-1]))

        def _inverse(self, y):
            return lkj.unconstrained(ops, y, y.shape[-1])

        def log_abs_det_jacobian(self, x, y, intermediates=None):
            return lkj.log_jacobian(ops, x, lkj.size_of(x.shape[-1]))

        def forward_shape(self, shape):
            return (*shape[:-1], lkj.size_of(shape[-1]), lkj.size_of(shape[-1]))

        def inverse_shape(self, shape):
            return (*shape[:-2], shape[-1] * (shape[-1] - 1) // 2)

    biject_to.register(CorrCholeskyElementwise, lambda constraint:
                       CorrCholeskyElementwiseTransform())

    class LKJCholeskyElementwise(dist.LKJCholesky):
        """``LKJCholesky`` on the elementwise coordinates of :mod:`bayeszoo.models.lkj`."""

        support = elementwise_support

        def log_prob(self, value):
            return lkj.log_density(ops, value, self.concentration, self.dimension)

    _classes.update(distribution=LKJCholeskyElementwise, transform=CorrCholeskyElementwiseTransform)
    return _classes


def lkj_cholesky_distribution(k: int, eta: float):
    """brms's ``lkj_corr_cholesky(eta)`` on ``k × k`` Cholesky factors."""
    return _defined()["distribution"](k, float(eta))


def corr_cholesky_transform():
    """The transform NumPyro uses for that distribution's support."""
    return _defined()["transform"]()
