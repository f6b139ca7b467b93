"""From a backend's site draws to brms's posterior, and back to the linear predictors.

:func:`brms_posterior` names the draws as brms does (``b_Intercept``, ``b_floor``,
``sd_county__Intercept``, ``sigma``, ``Intercept``, ``r_county``, ``s_stimes_1``,
``sdgp_gptimes``, ``lscale_gptimes``, ``zgp_gptimes``; with a
distributional parameter ``b_sigma_Intercept``, ``sds_sigma_stimes_1``, ``Intercept_sigma``;
an ordinal family's thresholds ``b_Intercept`` and ``Intercept`` with a last axis of length
``K - 1``, element ``k`` being brms's ``b_Intercept[k]``).
:func:`posterior_etas` computes every linear predictor of every draw from those names and the
designs' arrays (the uncentered ``X``), with the one :func:`~bayeszoo.design.linear_predictor`;
:func:`family_parameters` turns them into the family's ``eta`` and auxiliary parameters, and
:func:`pointwise_log_likelihood` evaluates the family's log density on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayeszoo.design import Design, DesignArrays, design_arrays, linear_predictor
from bayeszoo.formula.cs_terms import CS_KIND
from bayeszoo.models.category_specific import split_category_specific
from bayeszoo.models.monotonic_groups import group_links_info, posterior_monotonic_weights
from bayeszoo.models.spec import ModelSpec, PredictorSpec
from bayeszoo.structures.network import stored_contribution

SAMPLE_DIMS = ("chain", "draw")


def _fixed(ps: PredictorSpec, draws: dict[str, np.ndarray], c: int, d: int,
           out: dict[str, np.ndarray]) -> np.ndarray | None:
    k = len(ps.fixed_cols)
    b = np.zeros((c, d, k))
    for site, members in ps.fixed_groups:
        b[:, :, members] = np.asarray(draws[site], dtype=float).reshape(c, d, len(members))
    icpt = None
    if ps.thresholds is not None:  # brms: b_Intercept = Intercept + dot(means_X, b)
        icpt = np.asarray(draws[ps.thresholds], dtype=float).reshape(c, d, -1)
        out["b_Intercept"] = icpt + (b @ ps.x_means)[..., None] if k else icpt.copy()
    elif ps.intercept is not None:
        icpt = np.asarray(draws[ps.intercept], dtype=float).reshape(c, d)
        out["b_" + ("" if ps.dpar is None else f"{ps.dpar}_") + "Intercept"] = \
            icpt - b @ ps.x_means if k else icpt.copy()
    for j, name in enumerate(ps.fixed_params):
        out[name] = b[:, :, j]
    return icpt


def brms_posterior(spec: ModelSpec, draws: dict[str, np.ndarray],
                   design: Design) -> dict[str, np.ndarray]:
    """Site draws ``(chain, draw, ...)`` -> brms-named arrays, in brms's order."""
    from bayeszoo.families.ops import NUMPY

    c, d = next(iter(draws.values())).shape[:2]
    out: dict[str, np.ndarray] = {}
    scales: dict[str, np.ndarray] = {}
    intercepts = {}
    for ps in spec.predictors:  # every predictor: one without an intercept has b_ columns too
        icpt = _fixed(ps, draws, c, d, out)
        if icpt is not None:
            intercepts[ps.thresholds or ps.intercept] = icpt
    for ps, dd in zip(spec.predictors, design.predictors, strict=True):
        for bs in ps.blocks:
            for s in bs.scale_sites:
                site = spec.site(s)
                scales[s] = np.asarray(draws[s], dtype=float).reshape(c, d, *site.shape)
                if site.support == "correlation":
                    out.update(correlations(dd.blocks[bs.index], scales[s], dd.dpar))
                else:
                    out[s] = scales[s]
    for site in (spec.ar, spec.ma):
        if site is not None:
            out[site] = np.asarray(draws[site], dtype=float).reshape(c, d, -1)
    for site in spec.aux.values():
        out[site] = np.asarray(draws[site], dtype=float).reshape(c, d)
    out.update(intercepts)
    for ps, dd in zip(spec.predictors, design.predictors, strict=True):
        for bs in ps.blocks:
            z = np.asarray(draws[bs.z_site], dtype=float).reshape(c, d, *bs.z_shape)
            names = dd.blocks[bs.index].names
            block_scales = [scales[s] for s in bs.scale_sites]
            out[names.coef] = bs.from_centered({**intercepts, bs.z_site: z}) \
                if spec.centered else bs.structure.coefficients(block_scales, z, NUMPY)
            if names.z is not None:
                out[names.z] = z
    return out


def correlations(block, cholesky: np.ndarray, dpar: str | None) -> dict[str, np.ndarray]:
    """brms's ``cor_<group>__<a>__<b>`` of a correlated block from draws of the Cholesky factor
    of its correlation matrix (``(chain, draw, k, k)``): the entries below the diagonal of
    ``L·Lᵀ``, pairs in brms's order (``(1, 2), (1, 3), (2, 3), ...``). brms keeps ``L`` out of
    its posterior, and so does this one."""
    from bayeszoo.formula.naming import cor_param

    omega = cholesky @ np.swapaxes(cholesky, -1, -2)
    coefs = block.structure.coefs
    return {cor_param(block.name, coefs[i], coefs[j], dpar): omega[..., i, j]
            for j in range(len(coefs)) for i in range(j)}


def design_info(design: Design) -> dict[str, Any]:
    """The naming a fit needs to find its coefficients again, per linear predictor: the dpar,
    its link, column names and parameters, and per block its names and dimensions (and a
    network block's architecture, ``network``)."""
    out = []
    for d in design.predictors:
        nlpar = d.dpar in design.nlpars
        out.append({
            "dpar": d.dpar,
            **({"nlpar": True} if nlpar else {}),
            "link": None if d.dpar is None or nlpar else d.family.aux_parameter(d.dpar).link,
            "column_names": list(d.column_names),
            "fixed_names": list(d.fixed_params),
            "blocks": [{"name": b.name, "kind": b.kind, "coef": b.coef, "term": b.term,
                        "sd_names": [s.name for s in b.names.scales], "coef_name": b.names.coef,
                        "dims": list(b.names.dims),
                        **({"network": b.structure.info()}
                           if b.computes_contribution else {})}
                       for b in d.blocks],
            **group_links_info(d),
        })
    if design.nonlinear is not None:
        return {"predictors": out, "nonlinear": design.nonlinear.to_dict()}
    return {"predictors": out}


def _values(post, name: str) -> np.ndarray:
    v = post[name]
    return np.asarray(getattr(v, "values", v), dtype=float)


def posterior_eta(post, pinfo: dict[str, Any], arrays: DesignArrays) -> np.ndarray:
    """One linear predictor of every draw: ``(chain, draw, n)``. ``post`` maps brms names to
    arrays (an xarray Dataset or a dict); ``pinfo`` is that predictor's :func:`design_info`."""
    names = pinfo["fixed_names"]
    if names:
        beta = np.stack([_values(post, n) for n in names], axis=-1)
    else:
        first = _values(post, next(iter(post)))
        beta = np.zeros((*first.shape[:2], 0))
    arrays = posterior_monotonic_weights(post, pinfo, arrays)
    arrays, coefs, _ = _category_specific(post, pinfo, arrays)
    return linear_predictor(arrays, beta, coefs)


def _category_specific(post, pinfo: dict[str, Any], arrays: DesignArrays):
    """The arrays and coefficients of the blocks of ``eta``, and brms's ``mucs`` of ``cs()``
    (:func:`~bayeszoo.models.category_specific.split_category_specific`)."""
    from bayeszoo.families.ops import NUMPY

    coefs = [stored_contribution(b.get("network"), _values(post, b["coef_name"]), NUMPY)
             for b in pinfo["blocks"]]
    return split_category_specific(arrays, coefs,
                                   [b["kind"] == CS_KIND for b in pinfo["blocks"]])


def family_parameters(post, info: dict[str, Any], arrays: list[DesignArrays], family,
                      additions: dict, ar: tuple[np.ndarray, Any] | None = None
                      ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``eta`` of ``mu`` and the auxiliary parameters (constants as ``(chain, draw, 1)``,
    distributional ones per row; an ordinal family's ``thresholds`` as ``(chain, draw, K -
    1)``, with ``cs()`` brms's ``mucs`` as ``(chain, draw, n, K - 1)``) of every draw.
    ``ar``: the response and series (``SeriesLags``) of a fit with ``ar()``/``ma()``/
    ``arma()``, whose ``eta`` then holds brms's ARMA part
    (:func:`bayeszoo.models.autocorrelation.arma_effect`)."""
    from bayeszoo.families.links import LINKS
    from bayeszoo.families.ops import NUMPY
    from bayeszoo.models.autocorrelation import AR_SITE, MA_SITE, arma_effect

    if "nonlinear" in info:
        from bayeszoo.formula.nonlinear import NonlinearExpression
        from bayeszoo.models.nonlinear import mu_values

        etas = [None, *(posterior_eta(post, p, a) for p, a in zip(
            info["predictors"][1:], arrays[1:], strict=True))]
        etas[0] = mu_values(NonlinearExpression.from_dict(info["nonlinear"]), {
            p["dpar"]: eta for p, eta in zip(info["predictors"], etas, strict=True)
            if p.get("nlpar")}, arrays[0].X, NUMPY)
    else:
        etas = [posterior_eta(post, p, a)
                for p, a in zip(info["predictors"], arrays, strict=True)]
    if ar is not None:
        coefs = [_values(post, s) if s in post else None for s in (AR_SITE, MA_SITE)]
        etas[0] = etas[0] + arma_effect(*coefs, ar[0], etas[0], ar[1], NUMPY)
    aux = {}
    for a in family.aux_parameters(tuple(additions)):
        if a.name in post:
            aux[a.name] = _values(post, a.name)[..., None]
    if family.thresholds:  # on the uncentered design, as the etas here
        aux["thresholds"] = _values(post, "b_Intercept")
        mucs = _category_specific(post, info["predictors"][0], arrays[0])[2]
        if mucs is not None:  # brms's cs(): (chain, draw, n, K - 1)
            aux["mucs"] = mucs
    for p, eta in zip(info["predictors"][1:], etas[1:], strict=True):
        if not p.get("nlpar"):
            aux[p["dpar"]] = LINKS[p["link"]].inverse(NUMPY, eta)
    return etas[0], aux


def pointwise_log_likelihood(post, info: dict[str, Any], design: Design,
                             family) -> np.ndarray:
    """``log p(y_i | draw)``: ``(chain, draw, n)``, weighted by ``weights()`` when given,
    censored and truncated as the samplers score it
    (:func:`bayeszoo.families.censoring.log_likelihood`)."""
    from bayeszoo.families.censoring import log_likelihood
    from bayeszoo.families.ops import NUMPY
    from bayeszoo.models.autocorrelation import design_lags

    arrays = [design_arrays(d) for d in design.predictors]
    lags = design_lags(design)
    ar = None if lags is None else (np.asarray(design.y, dtype=float), lags)
    eta, aux = family_parameters(post, info, arrays, family, design.additions, ar)
    return log_likelihood(family, NUMPY, np.asarray(design.y, dtype=float), eta, aux,
                          design.additions)
