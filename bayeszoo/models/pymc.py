"""A :class:`~bayeszoo.design.Design` as a PyMC model: the same model, sites and priors as
:mod:`bayeszoo.models.numpyro` (nutpie samples this model too).

Free variables carry the internal names of :class:`bayeszoo.models.priors.ModelSpec`
(``Intercept``, ``b_0``…, ``sd_<group>__<coef>``, ``sds_<name>``, ``z_<j>``, ``sigma``); the
block coefficients have the brms dims (``county``, ``stimes_1_basis``) as model coords.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeszoo.design import Design
from bayeszoo.models.numpyro import design_arrays
from bayeszoo.models.priors import ModelSpec, Prior, model_spec


@dataclass
class PymcModel:
    model: object  # pm.Model
    spec: ModelSpec


def _rv(name: str, prior: Prior, positive: bool, shape: int | None = None, dims=None):
    import pymc as pm

    kw = {}
    if shape is not None:
        kw["shape"] = int(shape)
    if dims is not None:
        kw = {"dims": dims}
    p = prior.named
    if prior.family == "flat":
        return (pm.HalfFlat if positive else pm.Flat)(name, **kw)
    if prior.family == "normal":
        return pm.Normal(name, mu=p["mu"], sigma=p["sigma"], **kw)
    if prior.family == "student_t":
        return pm.StudentT(name, nu=p["df"], mu=p["mu"], sigma=p["sigma"], **kw)
    if prior.family == "half_normal":
        return pm.HalfNormal(name, sigma=p["sigma"], **kw)
    if prior.family == "half_student_t":
        return pm.HalfStudentT(name, nu=p["df"], sigma=p["sigma"], **kw)
    if prior.family == "exponential":
        return pm.Exponential(name, lam=p["rate"], **kw)
    raise ValueError(prior.family)  # pragma: no cover


def build_pymc(design: Design, priors: dict | None = None,
               parameterization: str = "noncentered",
               spec: ModelSpec | None = None) -> PymcModel:
    """Build the PyMC model of ``design`` with brms default priors overridden by ``priors``."""
    import pymc as pm
    import pytensor.tensor as pt

    spec = spec or model_spec(design, priors, parameterization)
    arrays = design_arrays(design, spec)
    y = np.asarray(design.y, dtype=float)
    n = int(design.n)
    centered = spec.parameterization == "centered"
    coords = {bs.dim: list(bs.labels) for bs in spec.blocks}
    with pm.Model(coords=coords) as model:
        mu = pt.zeros(n)
        if spec.has_intercept:
            mu = mu + _rv("Intercept", spec.intercept_prior, False)
        if spec.fixed_cols:
            parts, order = [], []
            for site, members, prior in spec.fixed_groups:
                parts.append(_rv(site, prior, False, shape=len(members)))
                order.extend(members)
            b = pt.concatenate(parts) if len(parts) > 1 else parts[0]
            if order != sorted(order):
                b = b[np.argsort(order)]
            mu = mu + pt.dot(pt.as_tensor(arrays["Xc"]), b)
        for bs in spec.blocks:
            sd = _rv(bs.sd_name, bs.prior, True)
            if centered:
                r = pm.Normal(bs.z_site, mu=0.0, sigma=sd, dims=bs.dim)
            else:
                r = sd * pm.Normal(bs.z_site, mu=0.0, sigma=1.0, dims=bs.dim)
            if f"idx_{bs.index}" in arrays:
                idx = pt.as_tensor(arrays[f"idx_{bs.index}"])
                mu = mu + r[idx] * pt.as_tensor(arrays[f"w_{bs.index}"])
            else:
                mu = mu + pt.dot(pt.as_tensor(arrays[f"Z_{bs.index}"]), r)
        sigma = _rv("sigma", spec.sigma_prior, True)
        pm.Normal(spec.response, mu=mu, sigma=sigma, observed=y)
    return PymcModel(model=model, spec=spec)
