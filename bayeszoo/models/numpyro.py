"""A :class:`~bayeszoo.design.Design` as a NumPyro model (Gaussian family, brms priors).

``mu = Intercept + Xc·b + Σ_j Z_j·(sd_j·z_j)``, ``z_j ~ Normal(0, 1)`` (non-centered; with
``parameterization="centered"`` the block coefficients are sampled directly,
``r_j ~ Normal(0, sd_j)``). Random-effect blocks gather with ``Block.index``/``Block.weights``;
smooth blocks multiply by their dense ``Z``. Sample sites carry the internal names of
:class:`bayeszoo.models.priors.ModelSpec`; ``bayeszoo.inference.sampling`` renames them to brms's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bayeszoo.design import Design
from bayeszoo.models.priors import ModelSpec, Prior, model_spec


@dataclass
class NumpyroModel:
    """``model(data=None, y=None)`` is the NumPyro model: ``data`` the design arrays (default
    ``self.data``; pass them as arguments with ``MCMC(..., jit_model_args=True)`` so that the
    compiled sampler depends on shapes only), ``y`` the observed response (``None``: prior
    predictive). ``spec`` holds priors and names."""

    model: Callable[..., None]
    spec: ModelSpec
    y: np.ndarray
    data: dict[str, np.ndarray]


def _dist(prior: Prior, positive: bool, shape: tuple[int, ...] = ()):
    import numpyro.distributions as dist
    from numpyro.distributions import constraints

    p = prior.named
    if prior.family == "flat":
        support = constraints.positive if positive else constraints.real
        return dist.ImproperUniform(support, (), shape)
    if prior.family == "normal":
        d = dist.Normal(p["mu"], p["sigma"])
    elif prior.family == "student_t":
        d = dist.StudentT(p["df"], p["mu"], p["sigma"])
    elif prior.family == "half_normal":
        d = dist.HalfNormal(p["sigma"])
    elif prior.family == "half_student_t":
        # TruncatedDistribution(StudentT) needs tensorflow-probability; folding at 0 is the same
        d = dist.FoldedDistribution(dist.StudentT(p["df"], 0.0, p["sigma"]))
    elif prior.family == "exponential":
        d = dist.Exponential(p["rate"])
    else:  # pragma: no cover - Prior validates families
        raise ValueError(prior.family)
    return d.expand(shape) if shape else d


def design_arrays(design: Design, spec: ModelSpec) -> dict[str, np.ndarray]:
    """The numeric inputs of the model (float64/int64 NumPy arrays)."""
    X = np.asarray(design.X, dtype=float)
    Xf = X[:, spec.fixed_cols]
    if spec.has_intercept and Xf.shape[1]:
        Xf = Xf - spec.x_means
    out: dict[str, np.ndarray] = {"Xc": Xf}
    for bs in spec.blocks:
        blk = design.blocks[bs.index]
        if blk.kind == "re" and blk.index is not None:
            out[f"idx_{bs.index}"] = np.asarray(blk.index, dtype=np.int64)
            w = np.ones(design.n) if blk.weights is None else np.asarray(blk.weights, float)
            out[f"w_{bs.index}"] = w
        else:
            out[f"Z_{bs.index}"] = np.asarray(blk.Z, dtype=float)
    return out


def build_numpyro(design: Design, priors: dict | None = None,
                  parameterization: str = "noncentered",
                  spec: ModelSpec | None = None) -> NumpyroModel:
    """Build the NumPyro model of ``design`` with brms default priors overridden by ``priors``."""
    from bayeszoo.runtime import ensure_configured

    ensure_configured()  # before anything imports JAX: x64, host devices
    spec = spec or model_spec(design, priors, parameterization)
    arrays = design_arrays(design, spec)
    y = np.asarray(design.y, dtype=float)
    n = design.n
    centered = spec.parameterization == "centered"

    def model(data=None, y=None):
        import jax.numpy as jnp
        import numpyro
        import numpyro.distributions as dist

        arr = arrays if data is None else data

        mu = jnp.zeros(n)
        if spec.has_intercept:
            mu = mu + numpyro.sample("Intercept", _dist(spec.intercept_prior, False))
        if spec.fixed_cols:
            Xc = jnp.asarray(arr["Xc"])
            parts = []
            order = []
            for site, members, prior in spec.fixed_groups:
                parts.append(numpyro.sample(site, _dist(prior, False, (len(members),))))
                order.extend(members)
            b = jnp.concatenate(parts)
            if order != sorted(order):
                b = b[np.argsort(order)]
            mu = mu + Xc @ b
        for bs in spec.blocks:
            sd = numpyro.sample(bs.sd_name, _dist(bs.prior, True))
            q = len(bs.labels)
            if centered:
                r = numpyro.sample(bs.z_site, dist.Normal(0.0, sd).expand((q,)))
            else:
                r = sd * numpyro.sample(bs.z_site, dist.Normal(0.0, 1.0).expand((q,)))
            if f"idx_{bs.index}" in arr:
                mu = mu + r[arr[f"idx_{bs.index}"]] * arr[f"w_{bs.index}"]
            else:
                mu = mu + jnp.asarray(arr[f"Z_{bs.index}"]) @ r
        sigma = numpyro.sample("sigma", _dist(spec.sigma_prior, True))
        numpyro.sample(spec.response, dist.Normal(mu, sigma), obs=y)

    return NumpyroModel(model=model, spec=spec, y=y, data=arrays)
