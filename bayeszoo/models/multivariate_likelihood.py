"""The multivariate model's log density as pure functions of parameter values (NumPy, JAX or
PyTensor through :mod:`bayeszoo.families.ops`), shared by NumPyro, PyMC and the fit's
pointwise log-likelihood and predictions.

Each response's linear predictors are those of its univariate model
(:mod:`bayeszoo.models.likelihood`), its linked blocks' coefficients taken from their group's
joint block. Without ``rescor`` the responses are independent given the parameters: the joint
log density of a row is the sum of the responses' own. With ``rescor`` (brms's
``set_rescor(TRUE)``), row ``i``'s responses are jointly

    y_i ~ MultiNormal(mu_i, diag(sigma_i)·Ω·diag(sigma_i)),   Ω = Lrescor·Lrescorᵀ

(brms's ``multi_normal_cholesky``), or multivariate Student-t with one ``nu``
(``multi_student_t``), evaluated by forward substitution on ``Lrescor`` (``R`` is small). A
response's marginal (brms's ``log_lik(fit, resp = )``) is its univariate density with the same
``mu``, ``sigma`` (and ``nu``).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from bayeszoo.design import DesignArrays, design_arrays, linear_predictor
from bayeszoo.families.censoring import log_likelihood
from bayeszoo.models.likelihood import ModelData, centered_X, model_data
from bayeszoo.models.multivariate import (
    MultivariateSpec,
    linked_coefficients,
    member_coefficients,
)
from bayeszoo.structures.network import block_contribution


class MultivariateData(NamedTuple):
    """Each response's :class:`~bayeszoo.models.likelihood.ModelData`, in response order."""

    responses: tuple[ModelData, ...]


def multivariate_data(mspec: MultivariateSpec) -> MultivariateData:
    return MultivariateData(tuple(model_data(d, s)
                                  for d, s in zip(mspec.designs, mspec.specs, strict=True)))


def newdata_arrays(mspec: MultivariateSpec, r: int, design) -> tuple[DesignArrays, ...]:
    """Response ``r``'s linear predictors' arrays on ``design`` (its design on new data), the
    fixed columns centered at the fitted means."""
    spec = mspec.specs[r]
    return tuple(design_arrays(d, centered_X(d, ps))
                 for d, ps in zip(design.predictors, spec.predictors, strict=True))


def fixed_coefficients(ps, values: dict[str, Any], concat):
    """The coefficients of ``[1, X_fixed - mean]`` as
    :func:`bayeszoo.models.likelihood.fixed_coefficients`, for values with leading draw
    dimensions too (the posterior's ``(chain, draw)``)."""
    parts = [values[site] for site, _ in ps.fixed_groups]
    order = [k for _, members in ps.fixed_groups for k in members]
    if ps.intercept is not None:
        parts = [values[ps.intercept][..., None], *parts]
        order = [-1, *order]
    if not parts:
        return np.zeros(0)
    b = concat(parts, axis=-1) if len(parts) > 1 else parts[0]
    return b[..., np.argsort(order)] if order != sorted(order) else b


def response_values(mspec: MultivariateSpec, r: int, values: dict[str, Any]) -> dict[str, Any]:
    """Response ``r``'s site values under its univariate site names (``nu`` the shared one)."""
    out = {own: values[joint] for own, joint in mspec.site_of[r].items()}
    if mspec.nu is not None:
        out["nu"] = values[mspec.nu]
    return out


def response_parameters(mspec: MultivariateSpec, r: int, values: dict[str, Any],
                        arrays: tuple[DesignArrays, ...], ops, concat) -> tuple[Any, dict]:
    """Response ``r``'s ``eta`` of ``mu`` and its family's other parameters (constants or
    from their linear predictors) at joint ``values``."""
    spec = mspec.specs[r]
    own = response_values(mspec, r, values)
    linked = mspec.linked_blocks(r)
    joint = {g.z_site: linked_coefficients(g, values, ops) for g, _ in linked.values()}
    etas = []
    for k, (ps, arr) in enumerate(zip(spec.predictors, arrays, strict=True)):
        coefs = []
        for bs in ps.blocks:
            if k == 0 and bs.index in linked:
                g, first = linked[bs.index]
                coefs.append(member_coefficients(joint[g.z_site],
                                                 mspec.designs[r].blocks[bs.index], first))
            else:
                coefs.append(block_contribution(bs.structure, bs.structure.coefficients(
                    [own[s] for s in bs.scale_sites], own[bs.z_site], ops), ops))
        etas.append(linear_predictor(arr, fixed_coefficients(ps, own, concat), coefs))
    aux = {name: _per_row(own[site], etas[0]) for name, site in spec.aux.items()}
    for ps, eta in zip(spec.predictors[1:], etas[1:], strict=True):
        aux[ps.dpar] = ps.link.inverse(ops, eta)
    return etas[0], aux


def marginal_log_likelihood(mspec: MultivariateSpec, r: int, y, eta, aux: dict, ops):
    """``log p(y_ri | θ)`` of response ``r`` alone (brms's ``log_lik(fit, resp = )``)."""
    return log_likelihood(mspec.specs[r].family, ops, y, eta, aux, {})


def _per_row(x, like):
    """``x`` (a constant per draw, or per row) broadcast against rows like ``like``."""
    return x if getattr(x, "ndim", 0) == getattr(like, "ndim", 0) else x[..., None]


def rescor_log_likelihood(mspec: MultivariateSpec, ys: list, etas: list, auxes: list,
                          values: dict[str, Any], ops):
    """The joint density of each row's responses with residual correlations (see the module
    doc): multivariate normal, or Student-t with the shared ``nu``."""
    L = values[mspec.rescor]
    R = len(ys)
    sig = [_per_row(a["sigma"], e) for a, e in zip(auxes, etas, strict=True)]
    e = [(y - eta) / s for y, eta, s in zip(ys, etas, sig, strict=True)]
    w: list = []
    quad = 0.0
    logdet = 0.0
    for i in range(R):
        acc = e[i]
        for j in range(i):
            acc = acc - _per_row(L[..., i, j], e[i]) * w[j]
        lii = _per_row(L[..., i, i], e[i])
        w.append(acc / lii)
        quad = quad + w[i] * w[i]
        logdet = logdet + ops.log(lii) + ops.log(sig[i])
    if mspec.nu is None:
        return -0.5 * quad - logdet - 0.5 * R * math.log(2.0 * math.pi)
    nu = _per_row(values[mspec.nu], e[0])
    return (ops.gammaln(0.5 * (nu + R)) - ops.gammaln(0.5 * nu) - 0.5 * R * ops.log(nu * math.pi)
            - logdet - 0.5 * (nu + R) * ops.log1p(quad / nu))


def pointwise(mspec: MultivariateSpec, values: dict[str, Any], ys: list,
              arrays: list[tuple[DesignArrays, ...]], ops, concat) -> tuple[Any, list]:
    """The joint log density of every row and each response's marginal one."""
    params = [response_parameters(mspec, r, values, arrays[r], ops, concat)
              for r in range(len(mspec.responses))]
    marginal = [marginal_log_likelihood(mspec, r, ys[r], eta, aux, ops)
                for r, (eta, aux) in enumerate(params)]
    if mspec.rescor is None:
        joint = marginal[0]
        for m in marginal[1:]:
            joint = joint + m
        return joint, marginal
    joint = rescor_log_likelihood(mspec, ys, [p[0] for p in params], [p[1] for p in params],
                                  values, ops)
    return joint, marginal


def joint_log_likelihood(mspec: MultivariateSpec, values: dict[str, Any],
                         data: MultivariateData, ops, concat):
    """``log p(y_i | θ)`` of every row, the responses jointly."""
    ys = [d.y for d in data.responses]
    arrays = [d.predictors for d in data.responses]
    params = [response_parameters(mspec, r, values, arrays[r], ops, concat)
              for r in range(len(mspec.responses))]
    if mspec.rescor is not None:
        return rescor_log_likelihood(mspec, ys, [p[0] for p in params], [p[1] for p in params],
                                     values, ops)
    total = 0.0
    for r, (eta, aux) in enumerate(params):
        total = total + marginal_log_likelihood(mspec, r, ys[r], eta, aux, ops)
    return total
