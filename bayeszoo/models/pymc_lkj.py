"""brms's LKJ prior on a correlation matrix's Cholesky factor as a PyMC random variable.

PyMC has no such distribution (its ``LKJCorr`` samples the correlations one by one through an
interval transform, which leaves the positive definite set), so it is a ``CustomDist`` with
the density and the unconstrained coordinates of :mod:`bayeszoo.models.lkj`, the same functions
the NumPyro model evaluates (:mod:`bayeszoo.models.numpyro_lkj`): both models have the same
log density at the same unconstrained point, Jacobian included.
"""

from __future__ import annotations

from bayeszoo.models import lkj


def corr_cholesky_transform(k: int):
    """The PyMC transform between ``L`` (``k × k``) and its unconstrained vector."""
    from pymc.logprob.transforms import Transform

    from bayeszoo.families.ops import pytensor_ops

    ops = pytensor_ops()

    class CorrCholesky(Transform):
        name = "corrcholesky"  # no underscore: PyMC splits value names on "_"
        ndim_supp = 2

        def backward(self, value, *inputs):
            return lkj.cholesky_factor(ops, value, k)

        def forward(self, value, *inputs):
            return lkj.unconstrained(ops, value, k)

        def log_jac_det(self, value, *inputs):
            return lkj.log_jacobian(ops, value, k)

    return CorrCholesky()


def lkj_cholesky_variable(name: str, k: int, eta: float):
    """The PyMC random variable ``name``: a ``k × k`` correlation Cholesky factor with brms's
    ``lkj_corr_cholesky(eta)`` prior, sampled on the unconstrained coordinates of
    :mod:`bayeszoo.models.lkj`; its initial value is the identity (no correlation)."""
    import pymc as pm
    import pytensor.tensor as pt

    from bayeszoo.families.ops import pytensor_ops

    if k < 2:
        raise ValueError(f"{name}: an LKJ prior needs a correlation matrix of size >= 2, got {k}")
    ops = pytensor_ops()

    def logp(value, identity):
        return lkj.log_density(ops, value, eta, k)

    def support_point(rv, size, identity):
        return identity

    # the identity enters as a parameter so that the signature fixes the support's shape
    return pm.CustomDist(name, pt.eye(k), logp=logp, support_point=support_point,
                         signature="(n,n)->(n,n)", transform=corr_cholesky_transform(k))
