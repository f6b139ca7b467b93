"""A model spec as a NumPyro model: one ``numpyro.sample`` per site, the likelihood through
:mod:`bayeszoo.models.likelihood` (or, where the family offers one, through the sufficient
statistics of the design, whose cost per gradient does not grow with the number of rows)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayeszoo.design import Design, linear_predictor
from bayeszoo.models.category_specific import is_category_specific
from bayeszoo.models.likelihood import (
    ModelData,
    block_coefficients,
    fixed_coefficients,
    model_data,
    pointwise_log_likelihood,
)
from bayeszoo.models.priors import Prior, support_lower_bound
from bayeszoo.models.spec import ModelSpec, model_spec


@dataclass
class NumpyroModel:
    """``model(data)``: the NumPyro model; ``data``: its default argument (the design's
    :class:`~bayeszoo.models.likelihood.ModelData`, or the family's sufficient statistics);
    ``spec``: the resolved model."""

    model: Callable[..., None]
    spec: ModelSpec
    data: Any


def prior_distribution(prior: Prior, support: str, shape: tuple[int, ...] = ()):
    """The NumPyro distribution of ``prior`` on a parameter of kind ``support`` (a
    ``"correlation"`` parameter of shape ``(k, k)`` is the Cholesky factor of a correlation
    matrix: ``lkj`` is brms's ``lkj_corr_cholesky``,
    :func:`bayeszoo.models.numpyro_lkj.lkj_cholesky_distribution`; a ``"simplex"`` one of
    shape ``(D,)`` has a Dirichlet prior, :mod:`bayeszoo.models.simplex`); on a support bounded
    below by a positive number (``"greater_than_1"``) the prior truncated there
    (:mod:`bayeszoo.models.truncated`)."""
    import numpyro.distributions as dist

    if support == "ar":  # (-1, 1): flat is uniform there
        lo, hi = prior.params if prior.family == "uniform" else (-1.0, 1.0)
        return dist.Uniform(lo, hi).expand(shape) if shape else dist.Uniform(lo, hi)
    if support == "ordered":
        from bayeszoo.models.ordered import ordered_distribution

        return ordered_distribution(prior, prior_distribution(prior, "real"), int(shape[-1]))
    lower = support_lower_bound(support)
    if lower is not None and lower > 0:
        from bayeszoo.models.truncated import lower_truncated

        d = lower_truncated(prior, lower, prior_distribution(prior, "positive"))
        return d.expand(shape) if shape else d
    p = prior.named
    f = prior.family
    if f == "lkj":
        from bayeszoo.models.numpyro_lkj import lkj_cholesky_distribution

        return lkj_cholesky_distribution(int(shape[-1]), p["eta"])
    if support == "simplex":
        from bayeszoo.models.simplex import numpyro_simplex

        return numpyro_simplex(prior, shape)
    if f == "flat":
        d = dist.ImproperUniform(dist.constraints.positive if support != "real"
                                 else dist.constraints.real, (), ())
    elif f == "normal":
        d = dist.Normal(p["mu"], p["sigma"])
    elif f == "student_t":
        d = dist.StudentT(p["df"], p["mu"], p["sigma"])
    elif f == "cauchy":
        d = dist.Cauchy(p["mu"], p["sigma"])
    elif f == "half_normal":
        d = dist.HalfNormal(p["sigma"])
    elif f == "half_student_t":
        d = dist.FoldedDistribution(dist.StudentT(p["df"], 0.0, p["sigma"]))
    elif f == "half_cauchy":
        d = dist.HalfCauchy(p["sigma"])
    elif f == "exponential":
        d = dist.Exponential(p["rate"])
    elif f == "gamma":
        d = dist.Gamma(p["alpha"], p["beta"])
    elif f == "inv_gamma":
        d = dist.InverseGamma(p["alpha"], p["beta"])
    elif f == "lognormal":
        d = dist.LogNormal(p["mu"], p["sigma"])
    elif f == "uniform":
        d = dist.Uniform(p["lower"], p["upper"])
    elif f == "beta":
        d = dist.Beta(p["a"], p["b"])
    elif f == "logistic":
        d = dist.Logistic(p["mu"], p["sigma"])
    else:
        raise ValueError(f"prior {prior} is not available in NumPyro for this parameter")
    return d.expand(shape) if shape else d


def sample_sites(spec: ModelSpec) -> dict[str, Any]:
    """``numpyro.sample`` every site of ``spec`` in order; a centered block's coefficients are
    drawn from ``Normal(0, sd)`` (the structure's ``centered_scale``; around the intercept for a
    block centered on it, :class:`~bayeszoo.models.spec.BlockSpec`)."""
    import numpyro
    import numpyro.distributions as dist

    from bayeszoo.families.ops import jax_ops

    block_of = {bs.z_site: bs for ps in spec.predictors for bs in ps.blocks} \
        if spec.centered else {}
    values: dict[str, Any] = {}
    for s in spec.sites:
        if s.name in block_of:
            bs = block_of[s.name]
            sd = bs.structure.centered_scale([values[k] for k in bs.scale_sites], jax_ops())
            d = dist.Normal(bs.centered_mean(values), sd).expand(s.shape)
        elif s.bounds is not None:
            from bayeszoo.models.bounded import numpyro_bounded

            d = numpyro_bounded(s.prior, s.bounds, s.shape)
        else:
            d = prior_distribution(s.prior, s.support, s.shape)
        values[s.name] = numpyro.sample(s.name, d)
    return values


def build_numpyro(design: Design, priors: dict | None = None,
                  parameterization: str = "noncentered", spec: ModelSpec | None = None,
                  sufficient_stats: bool = True) -> NumpyroModel:
    """The NumPyro model of ``design`` with brms default priors overridden by ``priors``.

    With ``sufficient_stats`` (the default) and a family that summarizes the design (the
    Gaussian family without ``se``/``weights``: :mod:`bayeszoo.families.gaussian_stats`;
    Poisson, binomial, bernoulli and the ordinal families: one weighted row per distinct
    design row, :mod:`bayeszoo.families.patterns`), the observed response enters through those
    statistics; otherwise row by row (always with a network block, which is not linear in its
    weights, with ``ar()``, whose mean depends on the response, and with ``(mo(x) | g)``, whose
    group weights depend on the simplex). Both define the same posterior.
    """
    from bayeszoo.runtime import ensure_configured

    ensure_configured()  # before anything imports JAX: x64, host devices
    from bayeszoo.models.autocorrelation import has_arma

    spec = spec or model_spec(design, priors, parameterization)
    data = model_data(design, spec)
    stats = design.statistics
    if stats is None and sufficient_stats and len(spec.predictors) == 1 \
            and not has_arma(spec) and not spec.mu.mo_groups and not any(
            bs.structure.computes_contribution or is_category_specific(bs.structure)
            for bs in spec.mu.blocks):
        stats = spec.family.summarize(data.y, data.predictors[0], data.additions,
                                      [int(np.prod(bs.z_shape)) for bs in spec.mu.blocks])
    indicator = tuple(b.is_indicator for b in design.blocks)

    def model(data=data if stats is None else stats):
        import jax.numpy as jnp
        import numpyro

        from bayeszoo.families.ops import jax_ops

        values = sample_sites(spec)
        if isinstance(data, ModelData):
            lp = pointwise_log_likelihood(spec, values, data, jax_ops(), jnp.concatenate)
            numpyro.factor(spec.response, jnp.sum(lp))
            return
        aux = {name: values[site] for name, site in spec.aux.items()}
        if spec.mu.thresholds is not None:
            aux["thresholds"] = values[spec.mu.thresholds]
        numpyro.factor(spec.response, spec.family.summary_log_likelihood(
            data, fixed_coefficients(spec.mu, values, jnp.concatenate),
            block_coefficients(spec.mu, values, spec.centered, jax_ops()), aux, indicator,
            linear_predictor))

    return NumpyroModel(model=model, spec=spec, data=data if stats is None else stats)

