"""``reml(formula | Design, data, family=...)``: a Design fitted by the REML engine, as
``mgcv::gam(..., method = "REML" | "ML")``.

A Design's blocks become :class:`~.structures.Iid` blocks (one smoothing parameter each; a
smooth enters in mgcv's ``smooth2random`` form, so its sp is mgcv's and the REML score is
``gam(...)$gcv.ubre``, each block's ``reml_offset`` included). The family
(:mod:`bayeszoo.families`) supplies the likelihood: Gaussian identity-link models take the exact
path, every other family the Laplace-approximate one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo import families
from bayeszoo.design import Design

from .checks import (
    check_blocks,
    check_identifiable,
    check_not_saturated,
    gaussian_response,
    resolve_sp,
)
from .engine import EngineResult, NotPositiveDefinite, blas_context, fit_model
from .problem import PenalizedBlock, Predictor, block_matrix
from .result import RemlFit
from .structures import Iid

__all__ = ["reml"]

METHODS = ("REML", "ML")


def _addition(value: Any, data: pd.DataFrame | None, what: str):
    """A response addition given as a column name of ``data`` or as values."""
    if isinstance(value, str):
        if data is None or value not in data.columns:
            raise KeyError(f"{what} column {value!r} is not in the data")
        return data[value].to_numpy()
    return value


def reml(formula_or_design: str | Design, data: pd.DataFrame | None = None,
         method: str = "REML", sp: float | dict[str, float] | None = None,
         family: str | families.Family = "gaussian", *, trials: Any = None,
         weights: Any = None, se: Any = None, offset: Any = None,
         theta: float | None = None) -> RemlFit:
    """Fit an additive mixed model by REML (or ML), as ``mgcv::gam(method=...)``.

    ``formula_or_design``: a formula for :func:`bayeszoo.design` (``data`` required) or a
    :class:`~bayeszoo.design.Design`. ``sp``: fix smoothing parameters, a number for every
    penalized term or a ``{term: sp}`` dict (mgcv's scale); the rest are estimated.
    ``family``: a name (``"binomial"``, ``"poisson"``, ``"negbinomial"``, ``"gamma"``,
    ``"bernoulli"``, ``"gaussian"``) or a :class:`~bayeszoo.families.Family` with its link.
    ``trials`` (binomial), ``weights`` (mgcv's prior weights), ``se`` (gaussian: known
    standard deviations, brms's ``y | se(s)``: the scale is then known, mgcv's
    ``weights = 1/se^2, scale = 1``) and ``offset``: column names of the data or arrays, until
    the formula reads ``y | trials(n)``; ``theta`` holds a negative binomial's theta fixed
    (``nb(theta = ...)``), else it is estimated.
    """
    if isinstance(formula_or_design, Design):
        d = formula_or_design
    elif isinstance(formula_or_design, str):
        if data is None:
            raise ValueError("reml(formula, data): data is required with a formula")
        from bayeszoo.formula import design

        d = design(formula_or_design, data)
    else:
        raise TypeError("reml() takes a formula string or a Design, not "
                        f"{type(formula_or_design).__name__}")
    method = str(method).upper()
    if method not in METHODS:
        raise ValueError(f"method must be 'REML' or 'ML', not {method!r}")
    fam = families.get(family)
    source = data if data is not None else d.data
    if fam.name == "gaussian" and fam.link_name == "identity" and se is None:
        y = gaussian_response(d)
    else:
        if d.y is None:
            raise ValueError(f"the design of {d.formula!r} has no response: REML needs one")
        y = d.y
    response = fam.prepare(y, d.response, trials=_addition(trials, source, "trials"),
                           weights=_addition(weights, source, "weights"),
                           se=_addition(se, source, "se"),
                           offset=_addition(offset, source, "offset"))
    likelihood = fam.reml_likelihood(response, theta=theta)
    X = np.asarray(d.X, dtype=float)
    check_blocks(d)
    fixed = resolve_sp(d, sp)
    check_not_saturated(d, int(np.sum(likelihood.weights > 0)), likelihood.scale_param is not None
                        or getattr(likelihood, "quadratic", False), method)
    with blas_context(d.n, X.shape[1] + sum(b.size for b in d.blocks)):
        return _fit_design(d, fam, likelihood, response, X, fixed, method)


def _fit_design(d: Design, fam: families.Family, likelihood, response, X: np.ndarray,
                fixed: list[float | None], method: str) -> RemlFit:
    check_identifiable(d, X)
    blocks = [PenalizedBlock(b.term, block_matrix(b.Z, b.index, b.weights, d.n), Iid(b.size),
                             fixed=None if f is None else np.array([math.log(f)]),
                             reml_offset=b.reml_offset, **_re_names(b))
              for b, f in zip(d.blocks, fixed, strict=True)]
    predictor = Predictor(X, blocks, offset=response.offset, name=d.response)
    try:
        result = fit_model([predictor], likelihood, method)
    except (NotPositiveDefinite, FloatingPointError) as err:
        raise ValueError(f"the design of {d.formula!r} is singular or the fit diverged: "
                         f"{err}") from None
    return make_fit(d, fam, likelihood, result, fixed)


def _re_names(b) -> dict:
    """lme4 names of a random-effect block: grouping factor, coefficient, levels."""
    if b.kind != "re":
        return {}
    coef = "(Intercept)" if b.coef in (None, "Intercept") else b.coef
    return {"group": b.name, "coefs": [coef], "levels": list(b.labels)}


def _check_finite(d: Design, r: EngineResult) -> None:
    bad = [what for what, v in (("REML/ML score", r.score), ("scale", r.scale),
                                ("coefficients", r.beta), ("fitted values", r.fitted))
           if not np.all(np.isfinite(v))]
    if bad:
        raise ValueError(f"the fit of {d.formula!r} is not finite ({', '.join(bad)}): the "
                         f"response {d.response!r} is probably on an extreme scale or the family "
                         "does not suit it; rescale the response or check the data")


def make_fit(d: Design, fam: families.Family, likelihood, r: EngineResult,
             fixed: list[float | None]) -> RemlFit:
    """A :class:`RemlFit` from an engine result on Design ``d`` (one linear predictor)."""
    _check_finite(d, r)
    layout = r.layout
    order = layout.design_order()
    names = pd.Index(list(d.column_names)
                     + [f"{b.term}.{lab}" for b in d.blocks for lab in b.labels])
    blocks = d.blocks
    sp = {b.term: float(r.smoothing_parameters(j)[0]) if f is None else f
          for j, (b, f) in enumerate(zip(blocks, fixed, strict=True))}
    sd = {b.term: math.sqrt(r.reml_scale / sp[b.term]) for b in blocks}
    edf_int = r.edf
    block_edf = [float(np.sum(edf_int[sl])) for sl in layout.block_slices]
    edf: dict[str, float] = {}
    claimed: set[int] = set()
    smooth_cols: set[int] = set()
    for sm in d.smooths:
        e = float(len(sm.fixed_columns))
        smooth_cols.update(sm.fixed_columns)
        if sm.block is not None:
            e += block_edf[sm.block]
            claimed.add(sm.block)
        edf[sm.term] = edf.get(sm.term, 0.0) + e
    for j, b in enumerate(blocks):
        if j not in claimed:
            edf[b.term] = edf.get(b.term, 0.0) + block_edf[j]
    parametric = [i for i in range(d.X.shape[1]) if i not in smooth_cols]
    labels = []
    terms = []
    for j, lab in r.hessian_labels:
        if j is None:
            labels.append(lab)
        else:
            labels.append(blocks[j].term)
            terms.append(blocks[j].term)
    penalty_scales = {}
    for sm in d.smooths:
        s = getattr(sm.basis, "S_scale", None)
        if sm.block is not None and isinstance(s, int | float) and s > 0:
            penalty_scales[blocks[sm.block].term] = float(s)
    eta = r.eta[:, 0]
    fitted = r.fitted[:, 0]
    theta = (float(np.exp(r.params[list(r.param_names).index("log_theta")]))
             if "log_theta" in r.param_names else getattr(likelihood, "fixed_theta", None))
    y = likelihood.y  # mgcv's response: proportions for binomial models
    scale_estimated = likelihood.scale_param is not None or getattr(likelihood, "quadratic",
                                                                    False)
    return RemlFit(
        design=d, method=r.method, family=fam, coef=pd.Series(r.beta[order], index=names),
        fitted=fitted, linear_predictors=eta, residuals=y - fitted, sp=sp, sd=sd,
        scale=float(r.scale), reml_scale=float(r.reml_scale), scale_estimated=scale_estimated,
        reml_score=float(r.score), criterion=float(r.criterion), edf=edf,
        edf_total=float(np.sum(edf_int)), edf_coef=pd.Series(edf_int[order], index=names),
        theta=theta, deviance=float(r.deviance),
        null_deviance=likelihood.null_deviance(r.layout.offsets()[:, 0], d.has_intercept,
                                               r.params),
        fixed_sp=[b.term for b, f in zip(blocks, fixed, strict=True) if f is not None],
        hessian=r.hessian, hessian_terms=terms, hessian_labels=labels,
        converged=r.converged, iterations=r.iterations, engine=r, likelihood=likelihood,
        _cov=r.cov[np.ix_(order, order)], _parametric=parametric, _penalty_scales=penalty_scales,
        _has_offset=bool(np.any(r.layout.offsets() != 0)))
