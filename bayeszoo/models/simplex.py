"""Simplex parameters: a vector of ``D`` positive parts summing to one (brms's ``simo`` of a
monotonic effect, Stan's ``simplex[D]``) with a symmetric Dirichlet prior, in NumPyro and PyMC.

Stan's ``dirichlet_lpdf(simo | rep_vector(alpha, D))`` is the density of the prior; both
backends sample the simplex on an unconstrained ``D - 1`` vector (NumPyro's stick-breaking
transform, PyMC's ``simplex`` transform), as Stan does, with the Jacobian of the map added.
"""

from __future__ import annotations

import numpy as np

from bayeszoo.models.priors import Prior


def concentration(prior: Prior, shape: tuple[int, ...]) -> np.ndarray:
    """The Dirichlet's concentration vector: ``alpha`` for each of the ``shape[-1]`` parts."""
    if prior.family != "dirichlet":
        raise ValueError(f"prior {prior} is not available for a simplex; use dirichlet(alpha)")
    if len(shape) != 1 or shape[0] < 2:
        raise ValueError(f"a simplex has one dimension of at least 2 parts, got shape {shape}")
    return np.full(int(shape[0]), prior.named["alpha"])


def numpyro_simplex(prior: Prior, shape: tuple[int, ...]):
    """The NumPyro distribution of a simplex of ``shape`` (``(D,)``) with ``prior``."""
    import numpyro.distributions as dist

    return dist.Dirichlet(concentration(prior, shape))


def pymc_simplex(name: str, prior: Prior, shape: tuple[int, ...]):
    """The PyMC random variable ``name``: a simplex of ``shape`` (``(D,)``) with ``prior``."""
    import pymc as pm

    return pm.Dirichlet(name, a=concentration(prior, shape))
