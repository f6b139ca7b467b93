"""The InferenceData of a fit: brms-named posterior, sample statistics, pointwise
log-likelihood, observed and constant data, and what a saved fit needs to predict again.

Groups:

* ``posterior`` (brms names; block coefficients with their dimension, coords the labels; an
  ordinal family's thresholds with the dimension ``threshold``, coords ``1..K-1``),
  ``sample_stats`` (:data:`bayeszoo.inference.backends.STAT_NAMES`),
  ``log_likelihood`` (one variable named after the response, dim ``obs``),
  ``observed_data`` (the response);
* ``constant_data``: the design's arrays (``design__X``, ``design__offset``, per block
  ``design__index__<j>``/``design__weights__<j>`` or ``design__Z__<j>``; a distributional
  parameter's under ``design__<dpar>__``; the response additions ``design__<name>``), the term
  states (``design__states``, JSON bytes) and the data frame (``data__<i>``, exactly, see
  :mod:`bayeszoo.inference.stored_frame`), so that a fit saved to netCDF and loaded again
  predicts, reports and refits exactly as the original without refitting anything;
* ``attrs``: ``design`` (JSON naming) and ``data_columns`` (JSON: names, dtypes and encodings of
  the stored data columns), set here; :func:`bayeszoo.sample` adds the sampler's.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from bayeszoo.design import Design, design_arrays
from bayeszoo.formula.state import encode
from bayeszoo.models.spec import ModelSpec

from .posterior import design_info, pointwise_log_likelihood
from .stored_frame import encode_frame


def data_columns(design: Design) -> tuple[dict[str, np.ndarray], dict[str, list[str]],
                                         list[dict]]:
    """The design's data frame as netCDF variables, their dimensions and how to restore them
    exactly (:func:`bayeszoo.inference.stored_frame.encode_frame`)."""
    if design.data is None:
        return {}, {}, []
    return encode_frame(design.data)


def states_bytes(design: Design) -> np.ndarray:
    """The design's term states as JSON in a uint8 array (netCDF stores it as a variable)."""
    return np.frombuffer(json.dumps(encode(design.states)).encode("utf-8"), dtype=np.uint8)


def predictor_prefix(dpar: str | None) -> str:
    """Prefix of a linear predictor's arrays in ``constant_data``: ``design__`` for ``mu``,
    ``design__sigma__`` for a distributional parameter."""
    return "design__" if dpar is None else f"design__{dpar}__"


def _constant_arrays(d: Design, constant: dict, dims: dict, coords: dict) -> None:
    pre = predictor_prefix(d.dpar)
    arrays = design_arrays(d)
    col_dim = f"{pre}column"
    # a non-linear formula's mean holds its covariates in X (bayeszoo.design.Design)
    coords[col_dim] = list(d.column_names if d.nonlinear is None else d.nonlinear.covariates)
    constant[f"{pre}X"] = arrays.X
    constant[f"{pre}offset"] = arrays.offset
    dims[f"{pre}X"] = ["obs", col_dim]
    dims[f"{pre}offset"] = ["obs"]
    for j, (blk, ba) in enumerate(zip(d.blocks, arrays.blocks, strict=True)):
        for dim, labels in zip(blk.names.dims, blk.names.coords, strict=True):
            coords[dim] = list(labels)
        if blk.is_indicator:
            constant[f"{pre}index__{j}"] = ba.index
            constant[f"{pre}weights__{j}"] = ba.weights
            dims[f"{pre}index__{j}"] = ["obs"]
            dims[f"{pre}weights__{j}"] = ["obs", *([f"{blk.names.dims[-1]}"]
                                                   if ba.weights.ndim == 2 else [])]
        else:
            constant[f"{pre}Z__{j}"] = ba.matrix
            own = blk.computes_contribution or ba.matrix.shape[1] != len(blk.names.coords[0])
            dims[f"{pre}Z__{j}"] = ["obs", f"{pre}inputs__{j}" if own else blk.names.dims[0]]


def assemble(design: Design, spec: ModelSpec, posterior: dict[str, np.ndarray],
             stats: dict[str, np.ndarray], log_likelihood: bool = True,
             pointwise: np.ndarray | None = None,
             prior: dict[str, np.ndarray] | None = None):
    """The InferenceData of a sampled design (see the module doc); without the
    ``log_likelihood`` group when ``log_likelihood`` is false. ``pointwise``: the pointwise
    log-likelihood when already computed (else computed here). ``prior``: brms-named prior
    draws, stored as the ``prior`` group."""
    import arviz as az

    info = design_info(design)
    y = np.asarray(design.y, dtype=float)
    if log_likelihood and pointwise is None:
        pointwise = pointwise_log_likelihood(posterior, info, design, spec.family)
    loglik = {spec.response: pointwise} if log_likelihood else None
    coords: dict[str, Any] = {"obs": np.arange(design.n)}
    dims: dict[str, list[str]] = {spec.response: ["obs"]}
    constant: dict[str, np.ndarray] = {}
    for d in design.predictors:
        _constant_arrays(d, constant, dims, coords)
        for blk in d.blocks:
            dims[blk.names.coef] = list(blk.names.dims)
            if blk.names.z is not None:
                dims[blk.names.z] = list(blk.names.dims)
    if spec.mu.thresholds is not None:  # brms's b_Intercept[k], Intercept[k]
        coords["threshold"] = np.arange(1, posterior["b_Intercept"].shape[-1] + 1)
        dims["b_Intercept"] = dims[spec.mu.thresholds] = ["threshold"]
    for k, v in design.additions.items():
        constant[f"design__{k}"] = np.asarray(v, dtype=float)
        dims[f"design__{k}"] = ["obs"]
    constant["design__states"] = states_bytes(design)
    dims["design__states"] = ["design__states_bytes"]
    data_arrays, data_dims, data_meta = data_columns(design)
    constant |= data_arrays
    dims |= data_dims
    idata = az.from_dict(posterior=posterior, sample_stats=stats, prior=prior,
                         log_likelihood=loglik,
                         observed_data={spec.response: y}, constant_data=constant,
                         coords=coords, dims=dims)
    idata.attrs["design"] = json.dumps(info)
    idata.attrs["data_columns"] = json.dumps(data_meta)
    return idata
