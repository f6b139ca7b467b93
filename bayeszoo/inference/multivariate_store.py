"""A multivariate fit as netCDF groups and attrs, and back: what :func:`bayeszoo.save` writes
for a :class:`~bayeszoo.inference.multivariate_fit.MultivariateFit` and :func:`bayeszoo.load`
reads.

``attrs["multivariate"]`` (JSON) holds what rebuilds the joint model: each response's formula
as written (with its ``|ID|`` terms) and distributional formulas, the ``mvbind`` formula when
it was one, ``rescor`` as given, each response's family and link, the priors given and
``na_action``; ``constant_data`` the data frame the model was fitted to, exactly
(:mod:`bayeszoo.inference.stored_frame`, names and dtypes in ``attrs["data_columns"]``);
``joint_site_draws`` the joint model's draws under its own site names, from which predictions and
log-likelihoods are computed. The model is rebuilt with
:func:`~bayeszoo.models.multivariate.multivariate_spec` from those, which recomputes every
term's state (centring, factor levels) from the very same data.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

#: the attrs key of the joint model's description
MODEL_ATTR = "multivariate"
#: the group that holds the joint model's site draws
SITE_GROUP = "joint_site_draws"


def model_description(mspec, priors_given: dict[str, str], na_action: str) -> dict[str, Any]:
    """The JSON-ready description of ``mspec`` that :func:`rebuild_spec` reads."""
    f = mspec.formula
    return {"parts": [{"formula": p.written or p.formula, "dpars": dict(p.dpars)}
                      for p in f.parts],
            "written": f.written, "rescor": f.rescor,
            "families": {r: [s.family.name, s.family.link_name]
                         for r, s in zip(mspec.responses, mspec.specs, strict=True)},
            "priors_given": dict(priors_given), "na_action": na_action}


def rebuild_spec(description: dict[str, Any], data):
    """The :class:`~bayeszoo.models.multivariate.MultivariateSpec` of a
    :func:`model_description` on ``data``."""
    from bayeszoo.families import get as get_family
    from bayeszoo.formula import bf
    from bayeszoo.formula.multivariate import mvbf, mvbind
    from bayeszoo.models.multivariate import multivariate_spec

    rescor = description["rescor"]
    if description["written"]:
        formula = mvbind(description["written"], rescor=rescor)
    else:
        formula = mvbf(*(bf(p["formula"], **p["dpars"]) if p["dpars"] else p["formula"]
                         for p in description["parts"]), rescor=rescor)
    family = {r: get_family(name, link=link)
              for r, (name, link) in description["families"].items()}
    return multivariate_spec(formula, data, family, description["priors_given"] or None,
                             description["na_action"])


def storable(fit):
    """The InferenceData :func:`bayeszoo.save` writes for a multivariate fit: its groups with
    ``constant_data`` and ``joint_site_draws``, its attrs with the model's description."""
    import arviz as az
    import xarray as xr

    from .stored_frame import encode_frame

    mspec = fit.mspec
    arrays, dims, meta = encode_frame(mspec.designs[0].data)
    constant = xr.Dataset({k: (dims[k], v) for k, v in arrays.items()})
    site = xr.Dataset({k: (("chain", "draw", *(f"{k}_dim_{i}" for i in range(v.ndim - 2))), v)
                       for k, v in fit.site_draws.items()})
    given = json.loads(fit.attrs.get("priors_given", "{}"))
    attrs = {MODEL_ATTR: json.dumps(model_description(mspec, given,
                                                      fit.attrs.get("na_action", "raise"))),
             "data_columns": json.dumps(meta)}
    groups = {g: fit[g] for g in fit.groups()} | {"constant_data": constant, SITE_GROUP: site}
    return az.InferenceData(attrs={**fit.attrs, **attrs}, **groups)


def restore(idata):
    """The :class:`~bayeszoo.inference.multivariate_fit.MultivariateFit` of an
    InferenceData read from a file :func:`bayeszoo.save` wrote for one."""
    from .multivariate_fit import CACHE, MultivariateFit
    from .predict import stored_data

    mspec = rebuild_spec(json.loads(idata.attrs[MODEL_ATTR]), stored_data(idata))
    site = {k: np.asarray(v.values) for k, v in idata[SITE_GROUP].data_vars.items()}
    fit = MultivariateFit(attrs=dict(idata.attrs),
                          **{g: idata[g] for g in idata.groups() if g != SITE_GROUP})
    fit.__dict__[CACHE] = {"mspec": mspec, "site": site}
    return fit


def is_multivariate_fit(idata) -> bool:
    """Whether ``idata`` is a :class:`~bayeszoo.inference.multivariate_fit.MultivariateFit`."""
    from .multivariate_fit import MultivariateFit

    return isinstance(idata, MultivariateFit)


def is_multivariate_file(idata) -> bool:
    """Whether an InferenceData read from a file holds a multivariate fit."""
    return MODEL_ATTR in idata.attrs
