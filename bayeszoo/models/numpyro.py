"""A :class:`~bayeszoo.design.Design` as a NumPyro model (Gaussian family, brms priors).

``mu = Intercept + Xc·b + Σ_j Z_j·(sd_j·z_j)``, ``z_j ~ Normal(0, 1)`` (non-centered; with
``parameterization="centered"`` the block coefficients are sampled directly,
``r_j ~ Normal(0, sd_j)``). The observed response enters through the Gaussian sufficient
statistics of the design (:mod:`bayeszoo.models.gaussian_stats`: per-gradient cost independent of
the number of rows); row by row, random-effect blocks gather with ``Block.index``/``Block.weights``
and smooth blocks multiply by their dense ``Z``. Sample sites carry the internal names of
:class:`bayeszoo.models.priors.ModelSpec`; ``bayeszoo.inference.sampling`` renames them to brms's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayeszoo.design import Design
from bayeszoo.models.gaussian_stats import GaussianStats, gaussian_stats, normal_loglik
from bayeszoo.models.priors import ModelSpec, Prior, model_spec


@dataclass
class NumpyroModel:
    """``model(data=None, y=None)`` is the NumPyro model: ``data`` the design arrays (default
    ``self.data``; pass them as arguments with ``MCMC(..., jit_model_args=True)`` so that the
    compiled sampler depends on shapes only), ``y`` the observed response (``None``: prior
    predictive, drawn row by row). When ``data`` holds sufficient statistics (``"stats"``), they
    already contain the response and ``y`` only switches the likelihood on. ``spec`` holds
    priors and names."""

    model: Callable[..., None]
    spec: ModelSpec
    y: np.ndarray
    data: dict[str, Any]


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


def design_stats(y: np.ndarray, arrays: dict[str, np.ndarray], spec: ModelSpec) -> GaussianStats:
    """The Gaussian sufficient statistics of ``y`` and the design arrays (:func:`design_arrays`),
    columns in the model's order: the intercept (a column of ones), the centered fixed columns,
    the dense (smooth) blocks, then the indicator blocks."""
    n = len(y)
    dense = ([np.ones((n, 1))] if spec.has_intercept else []) + [arrays["Xc"]]
    indicators = []
    for bs in spec.blocks:
        if f"Z_{bs.index}" in arrays:
            dense.append(arrays[f"Z_{bs.index}"])
        else:
            indicators.append((arrays[f"idx_{bs.index}"], arrays[f"w_{bs.index}"],
                               len(bs.labels)))
    return gaussian_stats(y, np.hstack(dense), indicators)


def build_numpyro(design: Design, priors: dict | None = None,
                  parameterization: str = "noncentered",
                  spec: ModelSpec | None = None,
                  sufficient_stats: bool = True) -> NumpyroModel:
    """Build the NumPyro model of ``design`` with brms default priors overridden by ``priors``.

    With ``sufficient_stats`` (the default) the observed response enters through the exact
    Gaussian log-likelihood of :mod:`bayeszoo.models.gaussian_stats`, whose cost per gradient does
    not grow with the number of rows, and ``data`` holds those statistics; otherwise it is
    ``Normal(mu, sigma)`` row by row and ``data`` holds the design arrays. Both define the same
    posterior; pointwise log-likelihoods are computed from the draws afterwards either way.
    """
    from bayeszoo.runtime import ensure_configured

    ensure_configured()  # before anything imports JAX: x64, host devices
    spec = spec or model_spec(design, priors, parameterization)
    arrays = design_arrays(design, spec)
    y = np.asarray(design.y, dtype=float)
    default_data: dict[str, Any] = (
        {"stats": design_stats(y, arrays, spec)} if sufficient_stats else arrays)
    n = design.n
    centered = spec.parameterization == "centered"
    order = [k for _, members, _ in spec.fixed_groups for k in members]
    unsort = None if order == sorted(order) else np.argsort(order)

    def model(data=None, y=None):
        import jax.numpy as jnp
        import numpyro
        import numpyro.distributions as dist

        arr = default_data if data is None else data

        intercept = (numpyro.sample("Intercept", _dist(spec.intercept_prior, False))
                     if spec.has_intercept else None)
        b = jnp.zeros(0)
        if spec.fixed_cols:
            b = jnp.concatenate([numpyro.sample(site, _dist(prior, False, (len(members),)))
                                 for site, members, prior in spec.fixed_groups])
            if unsort is not None:
                b = b[unsort]
        coefs = []
        for bs in spec.blocks:
            sd = numpyro.sample(bs.sd_name, _dist(bs.prior, True))
            q = len(bs.labels)
            if centered:
                coefs.append(numpyro.sample(bs.z_site, dist.Normal(0.0, sd).expand((q,))))
            else:
                coefs.append(sd * numpyro.sample(bs.z_site, dist.Normal(0.0, 1.0).expand((q,))))
        sigma = numpyro.sample("sigma", _dist(spec.sigma_prior, True))

        if y is not None and "stats" in arr:
            dense = ([intercept[None]] if spec.has_intercept else []) + [b]
            dense += [r for bs, r in zip(spec.blocks, coefs, strict=True)
                      if f"Z_{bs.index}" in arrays]
            indicator = [r for bs, r in zip(spec.blocks, coefs, strict=True)
                         if f"idx_{bs.index}" in arrays]
            numpyro.factor(spec.response,
                           normal_loglik(arr["stats"], jnp.concatenate(dense), indicator, sigma))
            return
        rows = arrays if "stats" in arr else arr
        mu = jnp.zeros(n) if intercept is None else jnp.full(n, intercept)
        if spec.fixed_cols:
            mu = mu + jnp.asarray(rows["Xc"]) @ b
        for bs, r in zip(spec.blocks, coefs, strict=True):
            if f"idx_{bs.index}" in rows:
                mu = mu + r[rows[f"idx_{bs.index}"]] * rows[f"w_{bs.index}"]
            else:
                mu = mu + jnp.asarray(rows[f"Z_{bs.index}"]) @ r
        numpyro.sample(spec.response, dist.Normal(mu, sigma), obs=y)

    return NumpyroModel(model=model, spec=spec, y=y, data=default_data)
