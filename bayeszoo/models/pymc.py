"""A model spec as a PyMC model (nutpie samples it too): one random variable per site, named
as in :mod:`bayeszoo.models.numpyro`, and the likelihood as a potential through
:mod:`bayeszoo.models.likelihood`, so both backends define the same log density."""

from __future__ import annotations

from dataclasses import dataclass

from bayeszoo.design import Design
from bayeszoo.models.likelihood import model_data, pointwise_log_likelihood
from bayeszoo.models.priors import Prior, support_lower_bound
from bayeszoo.models.spec import ModelSpec, model_spec


@dataclass
class PymcModel:
    model: object  # pm.Model
    spec: ModelSpec


#: prior family -> (PyMC class, {PyMC argument: the prior's parameter})
PYMC_CLASSES: dict[str, tuple[str, dict[str, str]]] = {
    "normal": ("Normal", {"mu": "mu", "sigma": "sigma"}),
    "student_t": ("StudentT", {"nu": "df", "mu": "mu", "sigma": "sigma"}),
    "cauchy": ("Cauchy", {"alpha": "mu", "beta": "sigma"}),
    "half_normal": ("HalfNormal", {"sigma": "sigma"}),
    "half_student_t": ("HalfStudentT", {"nu": "df", "sigma": "sigma"}),
    "half_cauchy": ("HalfCauchy", {"beta": "sigma"}),
    "exponential": ("Exponential", {"lam": "rate"}),
    "gamma": ("Gamma", {"alpha": "alpha", "beta": "beta"}),
    "inv_gamma": ("InverseGamma", {"alpha": "alpha", "beta": "beta"}),
    "lognormal": ("LogNormal", {"mu": "mu", "sigma": "sigma"}),
    "uniform": ("Uniform", {"lower": "lower", "upper": "upper"}),
    "beta": ("Beta", {"alpha": "a", "beta": "b"}),
    "logistic": ("Logistic", {"mu": "mu", "s": "sigma"}),
}


def prior_class(prior: Prior) -> tuple[type, dict[str, float]]:
    """The PyMC distribution class of ``prior`` and its keyword arguments (not ``flat``)."""
    import pymc as pm

    if prior.family not in PYMC_CLASSES:
        raise ValueError(f"prior {prior} is not available in PyMC")
    cls, args = PYMC_CLASSES[prior.family]
    p = prior.named
    return getattr(pm, cls), {k: p[v] for k, v in args.items()}


#: A half distribution truncated at ``lower >= 0`` is its symmetric parent truncated there
#: (both densities are proportional on ``(lower, inf)``); PyMC's parents have a ``logcdf``.
_PARENT_OF_HALF = {"half_normal": "normal", "half_student_t": "student_t",
                   "half_cauchy": "cauchy"}


def lower_truncated_variable(name: str, prior: Prior, lower: float, shape: tuple[int, ...]):
    """``prior`` restricted to ``(lower, inf)`` and renormalized, as brms's bounded parameters
    (``nu > 1``): ``pm.Truncated`` (its log density subtracts the base's ``logccdf`` at
    ``lower``; the transform is ``log(x - lower)``), ``uniform(a, b)`` as
    ``Uniform(max(a, lower), b)`` and ``flat`` as an improper flat density on ``(lower, inf)``."""
    import pymc as pm

    kw = {"shape": tuple(int(s) for s in shape)} if shape else {}
    p = prior.named
    if prior.family == "uniform":
        return pm.Uniform(name, lower=max(p["lower"], lower), upper=p["upper"], **kw)
    if prior.family == "flat":
        return pm.Truncated(name, pm.HalfFlat.dist(), lower=lower, initval=lower + 1.0, **kw)
    if prior.family in _PARENT_OF_HALF:
        parent = _PARENT_OF_HALF[prior.family]
        prior = Prior(parent, (*prior.params[:-1], 0.0, prior.params[-1]))
    cls, args = prior_class(prior)
    return pm.Truncated(name, cls.dist(**args), lower=lower, **kw)


def prior_variable(name: str, prior: Prior, support: str, shape: tuple[int, ...] = ()):
    """The PyMC random variable ``name`` with ``prior`` on a parameter of kind ``support`` (a
    ``"correlation"`` parameter of shape ``(k, k)`` is the Cholesky factor of a correlation
    matrix: ``lkj`` is :func:`bayeszoo.models.pymc_lkj.lkj_cholesky_variable`; a ``"simplex"``
    one a Dirichlet, :mod:`bayeszoo.models.simplex`; bounded below
    by a positive number: :func:`lower_truncated_variable`)."""
    import pymc as pm

    if support == "ar":  # (-1, 1): flat is uniform there
        lo, hi = prior.params if prior.family == "uniform" else (-1.0, 1.0)
        return pm.Uniform(name, lower=lo, upper=hi,
                          **({"shape": tuple(int(s) for s in shape)} if shape else {}))
    if support == "ordered":  # an increasing vector, bayeszoo.models.ordered
        from bayeszoo.models.ordered import ordered_variable

        return ordered_variable(name, prior, int(shape[-1]))
    if prior.family == "lkj":
        from bayeszoo.models.pymc_lkj import lkj_cholesky_variable

        return lkj_cholesky_variable(name, int(shape[-1]), prior.named["eta"])
    if support == "simplex":
        from bayeszoo.models.simplex import pymc_simplex

        return pymc_simplex(name, prior, shape)
    lower = support_lower_bound(support)
    if lower is not None and lower > 0:
        return lower_truncated_variable(name, prior, lower, shape)
    kw = {"shape": tuple(int(s) for s in shape)} if shape else {}
    if prior.family == "flat":
        return (pm.Flat if support == "real" else pm.HalfFlat)(name, **kw)
    try:
        cls, args = prior_class(prior)
    except ValueError:
        raise ValueError(f"prior {prior} is not available in PyMC for {name!r}") from None
    return cls(name, **args, **kw)


def build_pymc(design: Design, priors: dict | None = None,
               parameterization: str = "noncentered",
               spec: ModelSpec | None = None) -> PymcModel:
    """The PyMC model of ``design`` with brms default priors overridden by ``priors``.
    ``ValueError`` for a neural-network term (NumPyro samples those)."""
    for blk in (b for d in design.predictors for b in d.blocks):
        if blk.computes_contribution:
            raise ValueError(f"{blk.term}: a neural-network term has no PyMC model; sample it "
                             "with backend='numpyro'")
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
                values[s.name] = pm.Normal(s.name, mu=bs.centered_mean(values), sigma=sd,
                                           shape=tuple(int(k) for k in s.shape))
            elif s.bounds is not None:
                from bayeszoo.models.bounded import pymc_bounded

                values[s.name] = pymc_bounded(s.name, s.prior, s.bounds, s.shape)
            else:
                values[s.name] = prior_variable(s.name, s.prior, s.support, s.shape)
        lp = pointwise_log_likelihood(spec, values, data, pytensor_ops(), pt.concatenate)
        pm.Potential(spec.response, pt.sum(lp))
    return PymcModel(model=model, spec=spec)
