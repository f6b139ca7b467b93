"""The model as pure functions of its parameter values, shared by every backend.

:func:`model_data` gathers the arrays (response, response additions, the design with its fixed
columns centered as brms centers them); :func:`coefficients` turns site values into the
coefficient vector and block coefficients; :func:`pointwise_log_likelihood` evaluates the
family's log density at every row. The values may be NumPy, JAX or PyTensor arrays: the same
formulas serve NumPyro, PyMC and nutpie, and the log-likelihood of the draws for LOO.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from bayeszoo.design import Design, DesignArrays, design_arrays, linear_predictor
from bayeszoo.models.spec import ModelSpec


class ModelData(NamedTuple):
    """The numeric inputs of a model: ``y``, the response additions (``trials``, ``se``,
    ``weights``) and the design with its first column the intercept (when there is one) and
    the other fixed columns centered (a named tuple of arrays: a compiled function takes it as
    an argument)."""

    y: np.ndarray
    additions: dict[str, np.ndarray]
    arrays: DesignArrays


def centered_X(design: Design, spec: ModelSpec) -> np.ndarray:
    """``[1, X_fixed - mean]`` with an intercept, else the fixed columns as they are."""
    X = np.asarray(design.X, dtype=float)[:, spec.fixed_cols]
    if not spec.has_intercept:
        return X
    return np.column_stack([np.ones(design.n), X - spec.x_means])


def model_data(design: Design, spec: ModelSpec) -> ModelData:
    return ModelData(y=np.asarray(design.y, dtype=float), additions={k: np.asarray(v, dtype=float)
                                     for k, v in design.additions.items()},
                     arrays=design_arrays(design, centered_X(design, spec)))


def fixed_coefficients(spec: ModelSpec, values: dict[str, Any], concat):
    """The coefficients of ``[1, X_fixed - mean]``: the intercept then the fixed coefficients
    in column order (``concat`` joins 1-D arrays: ``jnp.concatenate`` or ``pt.concatenate``)."""
    parts = [values[site] for site, _ in spec.fixed_groups]
    order = [k for _, members in spec.fixed_groups for k in members]
    if parts:
        b = concat(parts) if len(parts) > 1 else parts[0]
        if order != sorted(order):
            b = b[np.argsort(order)]
        parts = [b]
    if spec.has_intercept:
        parts = [values["Intercept"][None], *parts]
    if not parts:
        return np.zeros(0)
    return concat(parts) if len(parts) > 1 else parts[0]


def block_coefficients(spec: ModelSpec, values: dict[str, Any]) -> list:
    """Each block's coefficients from its scales and standardized values (as sampled when
    centered)."""
    out = []
    for bs in spec.blocks:
        z = values[bs.z_site]
        if spec.centered:
            out.append(z)
        else:
            out.append(bs.structure.coefficients([values[s] for s in bs.scale_sites], z))
    return out


def eta(spec: ModelSpec, values: dict[str, Any], data: ModelData, concat):
    """The linear predictor at the parameter ``values``."""
    return linear_predictor(data.arrays, fixed_coefficients(spec, values, concat),
                            block_coefficients(spec, values))


def pointwise_log_likelihood(spec: ModelSpec, values: dict[str, Any], data: ModelData, ops,
                             concat):
    """``log p(y_i | θ)`` of every row (weighted by ``weights()`` when given, as brms)."""
    aux = {name: values[site] for name, site in spec.aux.items()}
    return spec.family.log_prob(ops, data.y, eta(spec, values, data, concat), aux,
                                data.additions)
