"""The model as pure functions of its parameter values, shared by every backend.

:func:`model_data` gathers the arrays (response, response additions, and per linear predictor
the design with its fixed columns centered as brms centers them); :func:`predictor_coefficients`
turns site values into a predictor's coefficient vector and block coefficients;
:func:`pointwise_log_likelihood` evaluates the family's log density at every row, with each
distributional parameter from its own linear predictor, censored and truncated rows as brms
scores them (:func:`bayeszoo.families.censoring.log_likelihood`). The values may be NumPy, JAX or
PyTensor arrays: the same formulas serve NumPyro, PyMC and nutpie.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from bayeszoo.design import Design, DesignArrays, design_arrays, linear_predictor
from bayeszoo.families.censoring import log_likelihood
from bayeszoo.models.autocorrelation import arma_effect, arma_values, design_lags, has_arma
from bayeszoo.models.category_specific import is_category_specific, split_category_specific
from bayeszoo.models.monotonic_groups import monotonic_weights
from bayeszoo.models.nonlinear import mu_values
from bayeszoo.models.spec import ModelSpec, PredictorSpec
from bayeszoo.structures.network import block_contribution


class ModelData(NamedTuple):
    """The numeric inputs of a model: ``y``, the response additions (``trials``, ``se``,
    ``weights``, the censoring codes ``cens`` with ``y2``, the truncation bounds ``lb``, ``ub``)
    and per linear predictor (``mu`` first) its design with the intercept as first
    column (when there is one) and the other fixed columns centered; ``ar()``'s lag rows. A named
    tuple of arrays:
    a compiled function takes it as an argument."""

    y: np.ndarray
    additions: dict[str, np.ndarray]
    predictors: tuple[DesignArrays, ...]
    #: the series of ``ar()``/``ma()``/``arma()`` (:func:`bayeszoo.models.autocorrelation.
    #: design_lags`), or None
    lags: Any = None
    #: a non-linear formula's covariates, ``(n, k)`` (:mod:`bayeszoo.models.nonlinear`), or None
    covariates: np.ndarray | None = None


def centered_X(design: Design, ps: PredictorSpec) -> np.ndarray:
    """``[1, X_fixed - mean]`` with an intercept, ``X_fixed - mean`` with thresholds in its
    place (brms centers ordinal designs too), else the fixed columns as they are."""
    X = np.asarray(design.X, dtype=float)[:, ps.fixed_cols]
    if ps.thresholds is not None:
        return X - ps.x_means
    if ps.intercept is None:
        return X
    return np.column_stack([np.ones(design.n), X - ps.x_means])


def model_data(design: Design, spec: ModelSpec) -> ModelData:
    return ModelData(
        y=np.asarray(design.y, dtype=float),
        additions={k: np.asarray(v, dtype=float) for k, v in design.additions.items()},
        predictors=tuple(design_arrays(d, centered_X(d, ps))
                         for d, ps in zip(design.predictors, spec.predictors, strict=True)),
        lags=design_lags(design) if has_arma(spec) else None,
        covariates=None if spec.nonlinear is None else np.asarray(design.X, dtype=float))


def fixed_coefficients(ps: PredictorSpec, values: dict[str, Any], concat):
    """The coefficients of ``[1, X_fixed - mean]``: the intercept then the fixed coefficients
    in column order (``concat`` joins 1-D arrays: ``jnp.concatenate`` or ``pt.concatenate``)."""
    parts = [values[site] for site, _ in ps.fixed_groups]
    order = [k for _, members in ps.fixed_groups for k in members]
    if parts:
        b = concat(parts) if len(parts) > 1 else parts[0]
        if order != sorted(order):
            b = b[np.argsort(order)]
        parts = [b]
    if ps.intercept is not None:
        parts = [values[ps.intercept][None], *parts]
    if not parts:
        return np.zeros(0)
    return concat(parts) if len(parts) > 1 else parts[0]


def block_coefficients(ps: PredictorSpec, values: dict[str, Any], centered: bool, ops) -> list:
    """Each block's coefficients from its scales and standardized values (as sampled when
    centered); for a network block the function that computes its contribution
    (:func:`~bayeszoo.structures.network.block_contribution`)."""
    out = []
    for bs in ps.blocks:
        out.append(bs.from_centered(values) if centered else block_contribution(
            bs.structure, bs.structure.coefficients([values[s] for s in bs.scale_sites],
                                                    values[bs.z_site], ops), ops))
    return out


def pointwise_log_likelihood(spec: ModelSpec, values: dict[str, Any], data: ModelData, ops,
                             concat):
    """``log p(y_i | θ)`` of every row (weighted by ``weights()`` when given, censored and
    truncated under ``cens()`` and ``trunc()``, as brms; with ``ar()``, the mean conditional on
    the series' earlier residuals, :func:`bayeszoo.models.autocorrelation.arma_effect`; with
``cs()``, brms's ``mucs`` as ``aux["mucs"]``, :mod:`bayeszoo.models.category_specific`; with
``(mo(x) | g)``, the group blocks' monotonic columns at the simplex's value,
:mod:`bayeszoo.models.monotonic_groups`)."""
    etas, mucs = [], None
    for ps, arrays in zip(spec.predictors, data.predictors, strict=True):
        arrays = monotonic_weights(arrays, ps.mo_groups, {
            link.mo_block: values[ps.blocks[link.mo_block].z_site] for link in ps.mo_groups})
        arrays, coefs, cs = split_category_specific(
            arrays, block_coefficients(ps, values, spec.centered, ops),
            [is_category_specific(bs.structure) for bs in ps.blocks])
        etas.append(linear_predictor(arrays, fixed_coefficients(ps, values, concat), coefs))
        mucs = cs if cs is not None else mucs
    if spec.nonlinear is not None:
        etas[0] = mu_values(spec.nonlinear, {ps.dpar: eta for ps, eta in zip(
            spec.predictors, etas, strict=True) if ps.nlpar}, data.covariates, ops)
    if has_arma(spec):
        etas[0] = etas[0] + arma_effect(*arma_values(spec, values), data.y, etas[0],
                                        data.lags, ops)
    aux = {name: values[site] for name, site in spec.aux.items()}
    if spec.mu.thresholds is not None:
        aux["thresholds"] = values[spec.mu.thresholds]
    if mucs is not None:  # brms's cs(): thresholds minus mucs, row by row
        aux["mucs"] = mucs
    for ps, eta in zip(spec.predictors[1:], etas[1:], strict=True):
        if not ps.nlpar:
            aux[ps.dpar] = ps.link.inverse(ops, eta)
    return log_likelihood(spec.family, ops, data.y, etas[0], aux, data.additions)
