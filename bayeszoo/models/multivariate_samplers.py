"""The multivariate model (:mod:`bayeszoo.models.multivariate`) as a NumPyro and a PyMC model:
one random variable per joint site with the priors of the univariate backends
(:func:`bayeszoo.models.numpyro.prior_distribution`,
:func:`bayeszoo.models.pymc.prior_variable`) and the joint log density of
:mod:`bayeszoo.models.multivariate_likelihood` as one factor, so both define the same log
density."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bayeszoo.models.multivariate import MultivariateSpec
from bayeszoo.models.multivariate_likelihood import (
    MultivariateData,
    joint_log_likelihood,
    multivariate_data,
)

#: the name of the joint likelihood's factor in both backends
FACTOR = "mvbind"


def build_numpyro_multivariate(mspec: MultivariateSpec) -> tuple[Callable[..., None],
                                                                  MultivariateData]:
    """``(model, data)``: the NumPyro model (``model(data)``) and its argument."""
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    data = multivariate_data(mspec)

    def model(data: MultivariateData = data) -> None:
        import jax.numpy as jnp
        import numpyro

        from bayeszoo.families.ops import jax_ops
        from bayeszoo.models.numpyro import prior_distribution

        values = {s.name: numpyro.sample(s.name, prior_distribution(s.prior, s.support,
                                                                     s.shape))
                  for s in mspec.sites}
        numpyro.factor(FACTOR, jnp.sum(joint_log_likelihood(mspec, values, data, jax_ops(),
                                                            jnp.concatenate)))

    return model, data


def build_pymc_multivariate(mspec: MultivariateSpec) -> Any:
    """The PyMC model (a ``pm.Model``) with the same sites and log density."""
    import pymc as pm
    import pytensor.tensor as pt

    from bayeszoo.families.ops import pytensor_ops
    from bayeszoo.models.pymc import prior_variable

    data = multivariate_data(mspec)
    with pm.Model() as model:
        values = {s.name: prior_variable(s.name, s.prior, s.support, s.shape)
                  for s in mspec.sites}
        pm.Potential(FACTOR, pt.sum(joint_log_likelihood(mspec, values, data, pytensor_ops(),
                                                         pt.concatenate)))
    return model
