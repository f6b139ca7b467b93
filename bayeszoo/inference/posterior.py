"""From a backend's site draws to brms's posterior, and back to the linear predictor.

:func:`brms_posterior` names the draws as brms does (``b_Intercept``, ``b_floor``,
``sd_county__Intercept``, ``sigma``, ``Intercept``, ``r_county``, ``s_stimes_1``).
:func:`posterior_eta` computes the linear predictor of every draw from those names and a
design's arrays (the uncentered ``X``), with the one :func:`~bayeszoo.design.linear_predictor`;
:func:`pointwise_log_likelihood` evaluates the family's log density on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayeszoo.design import Design, DesignArrays, design_arrays, linear_predictor
from bayeszoo.models.spec import ModelSpec

SAMPLE_DIMS = ("chain", "draw")


def brms_posterior(spec: ModelSpec, draws: dict[str, np.ndarray],
                   design: Design) -> dict[str, np.ndarray]:
    """Site draws ``(chain, draw, ...)`` -> brms-named arrays, in brms's order."""
    c, d = next(iter(draws.values())).shape[:2]
    k = len(spec.fixed_cols)
    b = np.zeros((c, d, k))
    for site, members in spec.fixed_groups:
        b[:, :, members] = np.asarray(draws[site], dtype=float).reshape(c, d, len(members))
    out: dict[str, np.ndarray] = {}
    if spec.has_intercept:
        icpt = np.asarray(draws["Intercept"], dtype=float).reshape(c, d)
        out["b_Intercept"] = icpt - b @ spec.x_means if k else icpt.copy()
    for j, name in enumerate(spec.fixed_params):
        out[name] = b[:, :, j]
    for bs in spec.blocks:
        for s in bs.scale_sites:
            out[s] = np.asarray(draws[s], dtype=float).reshape(c, d)
    for site in spec.aux.values():
        out[site] = np.asarray(draws[site], dtype=float).reshape(c, d)
    if spec.has_intercept:
        out["Intercept"] = icpt
    for bs in spec.blocks:
        z = np.asarray(draws[bs.z_site], dtype=float).reshape(c, d, bs.size)
        blk = design.blocks[bs.index]
        out[blk.names.coef] = z if spec.centered else bs.structure.coefficients(
            [out[s][..., None] for s in bs.scale_sites], z)
    return out


def design_info(design: Design) -> dict[str, Any]:
    """The naming a fit needs to find its coefficients again: column names and parameters,
    and per block its names and dimension."""
    return {
        "column_names": list(design.column_names),
        "fixed_names": list(design.fixed_params),
        "blocks": [{"name": b.name, "kind": b.kind, "coef": b.coef, "term": b.term,
                    "sd_names": list(b.names.scales), "coef_name": b.names.coef,
                    "dim": b.names.dim} for b in design.blocks],
    }


def posterior_eta(post, info: dict[str, Any], arrays: DesignArrays) -> np.ndarray:
    """The linear predictor of every draw: ``(chain, draw, n)``. ``post`` maps brms names to
    arrays (an xarray Dataset or a dict)."""
    def values(name):
        v = post[name]
        return np.asarray(getattr(v, "values", v), dtype=float)

    names = info["fixed_names"]
    if names:
        beta = np.stack([values(n) for n in names], axis=-1)
    else:
        beta = np.zeros((*values(next(iter(post))).shape[:2], 0))
    coefs = [values(b["coef_name"]) for b in info["blocks"]]
    return linear_predictor(arrays, beta, coefs)


def pointwise_log_likelihood(post, info: dict[str, Any], design: Design, family,
                             aux_names: list[str]) -> np.ndarray:
    """``log p(y_i | draw)``: ``(chain, draw, n)``, weighted by ``weights()`` when given."""
    from bayeszoo.families.ops import NUMPY

    eta = posterior_eta(post, info, design_arrays(design))
    aux = {a: np.asarray(getattr(post[a], "values", post[a]), dtype=float)[..., None]
           for a in aux_names}
    return family.log_prob(NUMPY, np.asarray(design.y, dtype=float), eta, aux, design.additions)
