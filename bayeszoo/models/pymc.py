"""A model spec as a PyMC model (nutpie samples it too): one random variable per site, named
as in :mod:`bayeszoo.models.numpyro`, and the likelihood as a potential through
:mod:`bayeszoo.models.likelihood`, so both backends define the same log density."""

from __future__ import annotations

from dataclasses import dataclass

from bayeszoo.design import Design
from bayeszoo.models.likelihood import model_data, pointwise_log_likelihood
from bayeszoo.models.priors import Prior
from bayeszoo.models.spec import ModelSpec, model_spec


@dataclass
class PymcModel:
    model: object  # pm.Model
    spec: ModelSpec


def prior_variable(name: str, prior: Prior, support: str, shape: tuple[int, ...] = ()):
    """The PyMC random variable ``name`` with ``prior`` on a parameter of kind ``support`` (a
    ``"correlation"`` parameter of shape ``(k, k)`` is the Cholesky factor of a correlation
    matrix: ``lkj`` is :func:`bayeszoo.models.pymc_lkj.lkj_cholesky_variable`)."""
    import pymc as pm

    kw = {"shape": tuple(int(s) for s in shape)} if shape else {}
    p = prior.named
    f = prior.family
    if f == "lkj":
        from bayeszoo.models.pymc_lkj import lkj_cholesky_variable

        return lkj_cholesky_variable(name, int(shape[-1]), p["eta"])
    if f == "flat":
        return (pm.Flat if support == "real" else pm.HalfFlat)(name, **kw)
    makers = {
        "normal": lambda: pm.Normal(name, mu=p["mu"], sigma=p["sigma"], **kw),
        "student_t": lambda: pm.StudentT(name, nu=p["df"], mu=p["mu"], sigma=p["sigma"], **kw),
        "cauchy": lambda: pm.Cauchy(name, alpha=p["mu"], beta=p["sigma"], **kw),
        "half_normal": lambda: pm.HalfNormal(name, sigma=p["sigma"], **kw),
        "half_student_t": lambda: pm.HalfStudentT(name, nu=p["df"], sigma=p["sigma"], **kw),
        "half_cauchy": lambda: pm.HalfCauchy(name, beta=p["sigma"], **kw),
        "exponential": lambda: pm.Exponential(name, lam=p["rate"], **kw),
        "gamma": lambda: pm.Gamma(name, alpha=p["alpha"], beta=p["beta"], **kw),
        "inv_gamma": lambda: pm.InverseGamma(name, alpha=p["alpha"], beta=p["beta"], **kw),
        "lognormal": lambda: pm.LogNormal(name, mu=p["mu"], sigma=p["sigma"], **kw),
        "uniform": lambda: pm.Uniform(name, lower=p["lower"], upper=p["upper"], **kw),
        "beta": lambda: pm.Beta(name, alpha=p["a"], beta=p["b"], **kw),
    }
    if f not in makers:
        raise ValueError(f"prior {prior} is not available in PyMC for {name!r}")
    return makers[f]()


def build_pymc(design: Design, priors: dict | None = None,
               parameterization: str = "noncentered",
               spec: ModelSpec | None = None) -> PymcModel:
    """The PyMC model of ``design`` with brms default priors overridden by ``priors``."""
    import pymc as pm
    import pytensor.tensor as pt

    from bayeszoo.families.ops import pytensor_ops

    spec = spec or model_spec(design, priors, parameterization)
    data = model_data(design, spec)
    block_of = {bs.z_site: bs for ps in spec.predictors for bs in ps.blocks} \
        if spec.centered else {}
    with pm.Model() as model:
        values = {}
        for s in spec.sites:
            if s.name in block_of:
                bs = block_of[s.name]
                sd = bs.structure.centered_scale([values[k] for k in bs.scale_sites],
                                                 pytensor_ops())
                values[s.name] = pm.Normal(s.name, mu=0.0, sigma=sd,
                                           shape=tuple(int(k) for k in s.shape))
            else:
                values[s.name] = prior_variable(s.name, s.prior, s.support, s.shape)
        lp = pointwise_log_likelihood(spec, values, data, pytensor_ops(), pt.concatenate)
        pm.Potential(spec.response, pt.sum(lp))
    return PymcModel(model=model, spec=spec)
