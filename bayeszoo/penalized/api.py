"""``reml(formula | bf | Design, data, family=...)``: a Design fitted by the REML engine, as
``mgcv::gam(..., method = "REML" | "ML")`` (and ``lme4::lmer`` for correlated terms).

Each linear predictor of the Design (``mu``, then each distributional parameter with a formula:
mgcv's ``gaulss`` for a Gaussian ``sigma``) becomes a :class:`~.problem.Predictor`; each block
becomes a :class:`~.problem.PenalizedBlock` whose penalty follows the block's structure
(:data:`ENGINE_PENALTIES`): an iid block one smoothing parameter (a smooth in mgcv's
``smooth2random`` form, so its sp is mgcv's and the REML score ``gam(...)$gcv.ubre``, each
block's ``reml_offset`` included), a ``te``/``ti`` block one per margin, a correlated term
lme4's unstructured covariance. The family (:mod:`bayeszoo.families`) supplies the likelihood
from the design's response and additions (``trials``, ``weights``, ``se``, ``offset``).
Gaussian models may have AR(1) residuals, as ``mgcv::bam(..., rho =, AR.start =)``
(:mod:`.ar1`, :mod:`.ar1_fit`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.checks.design import check_design
from bayeszoo.design import Block, Design
from bayeszoo.families.censoring import has_censoring
from bayeszoo.families.cox_ph import CoxPH
from bayeszoo.families.multinom import Multinom, predictor_names
from bayeszoo.families.ocat import Ocat
from bayeszoo.families.zip_mgcv import ZiP
from bayeszoo.formula import as_design, bf

from .ar1 import AR1, ar_starts, check_rho
from .ar1_fit import fit_ar1, profile_rho
from .checks import (
    check_blocks,
    check_identifiable,
    check_not_saturated,
    check_response_varies,
    resolve_sp,
    term_label,
)
from .engine import EngineResult, NotPositiveDefinite, blas_context, fit_model
from .penalties import CholeskyPrecision, PenaltySum, ScaledIdentity
from .problem import PenalizedBlock, Predictor, block_matrix
from .result import RemlFit

__all__ = ["ENGINE_PENALTIES", "engine_block", "reml"]

METHODS = ("REML", "ML")

#: mgcv's family names that exist for REML only (the samplers take their brms twins).
REML_FAMILIES = {"ocat": Ocat, "ziP": ZiP, "multinom": Multinom, "cox.ph": CoxPH}

#: Design block structure kind -> the engine's penalty for that block.
ENGINE_PENALTIES = {
    "iid": lambda b: ScaledIdentity(b.size),
    "multipenalty": lambda b: PenaltySum(list(b.structure.penalties),
                                         labels=list(b.smoothing_labels)),
    "unstructured": lambda b: CholeskyPrecision(len(b.labels), len(b.structure.coefs)),
}


def reml(formula_or_design, data: pd.DataFrame | None = None, method: str = "REML",
         sp: float | dict[str, float] | None = None, family: Any = None, *,
         theta: float | list[float] | None = None, knots: dict[str, Any] | None = None,
         na_action: str = "raise", rho: float | str | None = None,
         ar_start: Any = None, xt: dict[str, Any] | None = None) -> RemlFit:
    """Fit an additive mixed model by REML (or ML), as ``mgcv::gam(method=...)``.

    With AR(1) residuals the fit's ``reml_score`` includes the transform's log-determinant,
    ``fitted`` is ``X·beta`` on the original rows and ``fit.std_rsd`` holds mgcv's whitened
    residuals.

    Parameters
    ----------
    formula_or_design : str, BrmsFormula, list of str or Design
        A formula (``y | trials(n) ~ ...`` etc.) or :func:`bayeszoo.bf` for
        :func:`bayeszoo.design` (``data`` required), or a :class:`~bayeszoo.design.Design`;
        for ``family="multinom"`` mgcv's list of formulas, one per linear predictor, the first
        with the response (``["y ~ s(x) + z", "~ s(x) + z"]``).
    data : pandas.DataFrame, optional
        The data of a formula.
    method : str
        ``"REML"`` or ``"ML"``.
    sp : float or dict of str to float, optional
        Fix smoothing parameters: a number for every penalized term or a dict keyed by mgcv's
        sp names (``"s(times)"``, ``"te(Temp,Wind)1"``); the rest are estimated.
    family : str or Family, optional
        A name (``"binomial"``, ``"poisson"``, ``"negbinomial"``, ``"gamma"``,
        ``"bernoulli"``, ``"gaussian"``; mgcv's ``"ocat"``, an ordered categorical response with
        the cut points in ``fit.theta``, ``"ziP"``, a zero-inflated Poisson with its two
        theta in ``fit.theta``, ``"multinom"``, the multinomial logit with ``K`` linear
        predictors (``fit.fitted`` ``n × K``), and ``"cox.ph"``, the Cox proportional hazards
        model of a right-censored time, the events as ``time | weights(status) ~ ...`` (mgcv's
        ``weights = status``, 1 an event) or ``time | cens(censored) ~ ...`` (brms's codes, 1
        right censored); Wood, Pya & Säfken 2016) or a :class:`~bayeszoo.families.Family` with
        its link. Other families (mgcv has none such) are refused, naming the samplers and
        mgcv's twin where there is one.
    theta : float, optional
        Holds a negative binomial's theta fixed (``nb(theta = ...)``), else it is estimated;
        for ``"ziP"`` two numbers, mgcv's ``ziP(theta = c(theta_1, log(theta_2)))``.
    knots, na_action
        As :func:`bayeszoo.design`.
    xt : dict, optional
        mgcv's ``xt`` per covariate (``bs="mrf"`` neighbours), as :func:`bayeszoo.design`.
    rho : float or str, optional
        AR(1) residuals within each series, as ``mgcv::bam(..., rho =, AR.start =)``
        (Gaussian identity link, estimated scale, no prior weights): a number in (-1, 1) fixes
        the correlation of consecutive residuals; ``"estimate"`` profiles the REML (ML) score
        over ``rho`` in [-0.99, 0.99] and keeps the best (the profile is
        ``fit.rho_profile``); ``None`` (the default): independent residuals.
    ar_start : array_like or str, optional
        mgcv's ``AR.start``, a boolean array of the model's length (or the name of a boolean
        column of ``data``), True where a new series starts (row 0 always does); by default
        one series.

    Returns
    -------
    RemlFit
        The fit: coefficients, smoothing parameters, edf, scale and REML score as mgcv's.

    Raises
    ------
    ValueError
        For a multivariate formula (the samplers fit those), an unknown ``method``, a design
        without a response, ``ar_start`` without
        ``rho``, an AR(1) model that is not Gaussian identity-link, or an estimated scale
        with no residual degrees of freedom.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fit = bz.reml("Reaction ~ Days + (1 | Subject)", bz.datasets.load_sleepstudy())
    >>> round(fit.scale ** 0.5, 2)  # lme4's residual sd
    30.99
    """
    from bayeszoo.formula.multivariate import is_multivariate

    if is_multivariate(formula_or_design):
        raise ValueError("REML fits one response: sample a multivariate model (mvbind, mvbf) "
                         "with bayeszoo.sample(..., backend='numpyro') or backend='pymc'")
    if ar_start is not None and rho is None:
        raise ValueError("ar_start marks the series of AR(1) residuals: give rho as well (a "
                         "number in (-1, 1) or 'estimate')")
    if rho is not None and not (isinstance(rho, str) and rho == "estimate"):
        rho = check_rho(rho)
    if isinstance(family, str) and family in REML_FAMILIES:
        family = REML_FAMILIES[family]()
    if isinstance(formula_or_design, list | tuple):
        formula_or_design = formula_list(formula_or_design, family)
    d = as_design(formula_or_design, data, family, na_action, knots, xt=xt)
    if d.nonlinear is not None:
        raise ValueError(f"REML fits models linear in their coefficients; the non-linear "
                         f"formula {d.formula!r} is for the samplers: bz.sample(..., "
                         "backend='numpyro' or 'pymc' or 'nutpie')")
    method = str(method).upper()
    if method not in METHODS:
        raise ValueError(f"method must be 'REML' or 'ML', not {method!r}")
    if d.y is None:
        raise ValueError(f"the design of {d.formula!r} has no response: REML needs one")
    fam = d.family
    weights = d.additions.get("weights")
    events = getattr(fam, "reml_events", None)  # cox.ph: brms's cens() as mgcv's status
    if events is not None and has_censoring(d.additions):
        weights = events(d.additions, d.response)
    elif has_censoring(d.additions):
        raise ValueError(f"REML takes no censored or truncated response ({d.formula!r}): fit "
                         "cens() and trunc() with the samplers, bz.sample(..., "
                         "backend='numpyro' or 'pymc' or 'nutpie')")
    ar_term = next((s for s in d.term_states if s.autocorrelation), None)
    if ar_term is not None:
        raise ValueError(f"REML does not fit brms's {ar_term.text}: for AR(1) residuals as mgcv's "
                         "bam, drop it and call bz.reml(..., rho=, ar_start=); or sample it, "
                         "bz.sample(...)")
    offset = d.offset if d.offset is not None and np.any(d.offset) else None
    response = fam.prepare(d.y, d.response, trials=d.additions.get("trials"),
                           weights=weights, se=d.additions.get("se"),
                           offset=offset)
    check_design(d)
    likelihood = fam.reml_likelihood(response, dpars=tuple(d.dpars), theta=theta)
    scale_estimated = likelihood.scale_param is not None or getattr(likelihood, "quadratic",
                                                                    False)
    check_response_varies(d, scale_estimated)
    for dk in d.predictors:
        check_blocks(dk)
    fixed = resolve_sp(d, sp)
    check_not_saturated(d, int(np.sum(likelihood.weights > 0)), scale_estimated, method)
    starts = None
    if rho is not None:
        check_ar_model(d, likelihood)
        starts = ar_starts(ar_start, data, d.n)
    P = sum(dk.X.shape[1] + sum(b.size for b in dk.blocks) for dk in d.predictors)
    if P == 0:
        raise ValueError(f"the model {d.formula!r} has no coefficients to estimate"
                         + (f" ({fam.name} has no intercept): add a covariate"
                            if fam.drop_intercept else ""))
    with blas_context(d.n, P):
        return _fit_design(d, likelihood, fixed, method, rho, starts)


def formula_list(formulas: list | tuple, family: Any):
    """mgcv's list of formulas, one per linear predictor (``list(y ~ s(x), ~ s(x))``) for
    ``multinom``: the first with the response, the rest one-sided, as :func:`bayeszoo.bf`
    with the later predictors named ``eta2``, ``eta3``, ..."""
    if not isinstance(family, Multinom):
        raise ValueError("a list of formulas (mgcv's, one per linear predictor) is for "
                         "family='multinom'; give other families one formula, with "
                         "bz.bf(...) for distributional parameters")
    if not formulas or not all(isinstance(f, str) for f in formulas):
        raise ValueError("a multinom model takes a list of formula strings, the first with the "
                         "response (['y ~ s(x)', '~ s(x)']), one per non-reference category")
    for f in formulas[1:]:
        if f.split("~", 1)[0].strip():
            raise ValueError(f"only the first formula of a multinom model has a response; "
                             f"{f!r} should be one-sided ('~ ...')")
    return bf(formulas[0], **dict(zip(predictor_names(len(formulas)), formulas[1:],
                                      strict=True)))


def check_ar_model(d: Design, likelihood) -> None:
    """AR(1) residuals need a Gaussian identity-link model with an estimated scale and no
    prior weights (``bam`` whitens the Gaussian model; for other families it ignores ``rho``
    with a warning, and here they are refused)."""
    if not getattr(likelihood, "quadratic", False) or len(d.predictors) != 1:
        raise ValueError(f"AR(1) residuals (rho) are available for Gaussian identity-link "
                         f"models with an estimated scale only (mgcv's bam), not for "
                         f"{d.family.name} with the {d.family.link_name} link"
                         + (" and a formula for sigma" if len(d.predictors) > 1 else ""))
    if np.any(likelihood.weights != 1.0):
        raise ValueError("AR(1) residuals (rho) are not available with weights() or se(): "
                         "the whitening assumes equal variances")


def engine_block(b: Block, n: int, fixed: np.ndarray | None) -> PenalizedBlock:
    """The engine's view of a Design block: its model matrix (CSR for an indicator block) and
    penalty, with lme4's names for random effects."""
    kind = b.structure.kind
    if kind not in ENGINE_PENALTIES:
        samplers = "'numpyro'" if b.computes_contribution else "'numpyro', 'pymc' or 'nutpie'"
        raise ValueError(f"REML (as mgcv's) has no penalty for {kind} blocks ({b.term}); "
                         f"sample this model with bayeszoo.sample (backend={samplers})")
    names: dict[str, Any] = {}
    if b.is_group_effect:
        coefs = list(b.coefs)
        names = {"group": b.name, "coefs": ["(Intercept)" if c in (None, "Intercept") else c
                                            for c in coefs],
                 "levels": list(b.labels)}
    matrix = block_matrix(b.Z, b.index, b.weights, n) if b.is_indicator else b.matrix
    return PenalizedBlock(b.term, matrix, ENGINE_PENALTIES[kind](b), fixed=fixed,
                          reml_offset=b.reml_offset, **names)


def _fit_design(d: Design, likelihood, fixed: list[list[float | None]], method: str,
                rho: float | str | None = None, starts: np.ndarray | None = None) -> RemlFit:
    predictors = []
    for k, (dk, fk) in enumerate(zip(d.predictors, fixed, strict=True)):
        check_identifiable(dk, np.asarray(dk.X, dtype=float))
        blocks = [engine_block(b, d.n, None if f is None else np.log(np.atleast_1d(f)))
                  for b, f in zip(dk.blocks, fk, strict=True)]
        off = dk.offset if dk.offset is not None and np.any(dk.offset) else None
        predictors.append(Predictor(np.asarray(dk.X, dtype=float), blocks, offset=off,
                                    name=d.response if k == 0 else dk.dpar,
                                    n_aliased=len(dk.aliased)))
    profile = None
    try:
        if rho is None or rho == 0.0:
            result = fit_model(predictors, likelihood, method)
        elif rho == "estimate":
            rho, result, profile = profile_rho(
                lambda r: fit_ar1(predictors, likelihood, method, AR1(r, starts)))
        else:
            result = fit_ar1(predictors, likelihood, method, AR1(float(rho), starts))
    except (NotPositiveDefinite, FloatingPointError) as err:
        fam = d.family
        if fam.positive_mean and not fam.link.positive:
            raise ValueError(negative_mean_message(d)) from None
        raise ValueError(f"the design of {d.formula!r} is singular or the fit diverged: "
                         f"{err}") from None
    fit = make_fit(d, likelihood, result, fixed)
    if rho is not None:
        fit.rho, fit.ar_start, fit.rho_profile = float(rho), starts, profile
    return fit


def negative_mean_message(d: Design) -> str:
    """Why a positive-mean family on an identity or inverse link failed: R's ``validmu``
    (mgcv: "no valid set of coefficients has been found") keeps every mean positive, and the
    data pull the linear predictor below zero; the least-squares line shows where."""
    fam = d.family
    X = np.asarray(d.X, dtype=float)
    offset = np.zeros(d.n) if d.offset is None else np.asarray(d.offset, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        target = fam.link(np.asarray(d.y, dtype=float)) - offset
    where = ""
    if np.all(np.isfinite(target)) and X.shape[1]:
        mu = fam.link.inverse_np(X @ np.linalg.lstsq(X, target, rcond=None)[0] + offset)
        i = int(np.argmin(mu))
        if mu[i] <= 0:
            where = (f" (a least-squares fit of {d.formula!r} gives a mean of {mu[i]:.3g} at "
                     f"row {i})")
    return (f"the {fam.name} mean must be positive, but on the {fam.link_name} link the fit of "
            f"{d.formula!r} cannot keep it so: the data pull the mean below zero{where}, where "
            f"{fam.name} has no likelihood (mgcv: 'no valid set of coefficients has been "
            f"found'); use the log link (family=bz.families.{fam.name}('log')), which keeps "
            "every mean positive")


def _check_finite(d: Design, r: EngineResult) -> None:
    bad = [what for what, v in (("REML/ML score", r.score), ("scale", r.scale),
                                ("coefficients", r.beta), ("fitted values", r.fitted))
           if not np.all(np.isfinite(v))]
    if bad:
        raise ValueError(f"the fit of {d.formula!r} is not finite ({', '.join(bad)}): the "
                         f"response {d.response!r} is probably on an extreme scale or the family "
                         "does not suit it; rescale the response or check the data")


def _smooth_column_terms(dk: Design, k: int) -> dict[int, str]:
    """The mgcv term of each smooth's unpenalized column of predictor ``dk``."""
    out = {}
    for sm in dk.smooths:
        terms = sm.fixed_terms or [sm.term] * len(sm.fixed_columns)
        for j, t in zip(sm.fixed_columns, terms, strict=True):
            out[j] = term_label(t, k)
    return out


def _penalty_scales(d: Design) -> dict[str, float]:
    """mgcv's ``S.scale`` per smoothing-parameter name (``gam.vcomp(rescale = TRUE)``)."""
    return {term_label(lab, k): float(v) for k, dk in enumerate(d.predictors)
            for sm in dk.smooths for lab, v in sm.S_scale.items()}


def make_fit(d: Design, likelihood, r: EngineResult,
             fixed: list[list[float | None]]) -> RemlFit:
    """A :class:`RemlFit` from an engine result on Design ``d``."""
    _check_finite(d, r)
    layout = r.layout
    order = layout.design_order()
    names: list[str] = []
    edf: dict[str, float] = {}
    sp: dict[str, float] = {}
    fixed_sp: list[str] = []
    parametric: list[int] = []
    block_labels: dict[int, list[str]] = {}
    edf_int = r.edf
    j = 0  # engine block index, predictors in order
    for k, dk in enumerate(d.predictors):
        col_terms = _smooth_column_terms(dk, k)
        start = len(names)
        names += [c if k == 0 else f"{c}.{k}" for c in dk.column_names]
        fs = layout.fixed_slices[k]
        for c in range(dk.X.shape[1]):
            if c in col_terms:
                edf[col_terms[c]] = edf.get(col_terms[c], 0.0) + float(edf_int[fs.start + c])
            else:
                parametric.append(start + c)
        for b, f in zip(dk.blocks, fixed[k], strict=True):
            term = term_label(b.term, k)
            names += [f"{term}.{lab}" for lab in b.labels] if b.size == len(b.labels) else \
                [f"{term}.{i + 1}" for i in range(b.size)]
            edf[term] = edf.get(term, 0.0) + float(np.sum(edf_int[layout.block_slices[j]]))
            labels = [term_label(lab, k) for lab in b.smoothing_labels]
            block_labels[j] = labels
            if not b.structure.correlates_coefficients:
                values = r.smoothing_parameters(j) if f is None else np.atleast_1d(f)
                sp.update({lab: float(v) for lab, v in zip(labels, values, strict=True)})
                if f is not None:
                    fixed_sp += labels
            j += 1
    sd = {lab: math.sqrt(r.reml_scale / v) for lab, v in sp.items()}
    hessian_labels, hessian_terms = [], []
    counts: dict[int, int] = {}
    for jb, lab in r.hessian_labels:
        if jb is None:
            hessian_labels.append(lab)
            continue
        i = counts.get(jb, 0)
        counts[jb] = i + 1
        name = (block_labels[jb][i] if i < len(block_labels[jb])
                else f"{block_labels[jb][0]}:{lab}")
        hessian_labels.append(name)
        hessian_terms.append(name)
    report = getattr(likelihood, "reported_theta", None)  # mgcv's getTheta(TRUE)
    if report is not None:
        theta = report(r.params)
    else:
        theta = (float(np.exp(r.params[list(r.param_names).index("log_theta")]))
                 if "log_theta" in r.param_names else getattr(likelihood, "fixed_theta", None))
    y = likelihood.y  # mgcv's response: proportions for binomial models
    if getattr(likelihood, "fitted_all_predictors", False):  # multinom: n × K
        fitted, eta, residuals = r.fitted, r.eta, likelihood.residuals(r.eta)
        fitted_dpars = {}
    else:
        fitted, eta = r.fitted[:, 0], r.eta[:, 0]
        residuals = y - fitted
        fitted_dpars = {dk.dpar: r.fitted[:, k] for k, dk in enumerate(d.predictors) if k > 0}
    index = pd.Index(names)
    return RemlFit(
        design=d, method=r.method, family=d.family,
        coef=pd.Series(r.beta[order], index=index), fitted=fitted,
        linear_predictors=eta, residuals=residuals, sp=sp, sd=sd,
        scale=float(r.scale), reml_scale=float(r.reml_scale),
        scale_estimated=likelihood.scale_param is not None or getattr(likelihood, "quadratic",
                                                                      False),
        reml_score=float(r.score), criterion=float(r.criterion), edf=edf,
        edf_total=float(np.sum(edf_int)), edf_coef=pd.Series(edf_int[order], index=index),
        theta=theta, deviance=_reported_deviance(likelihood, r),
        null_deviance=likelihood.null_deviance(layout.offsets()[:, 0],
                                               d.has_intercept or "Intercept" in d.aliased,
                                               r.params),
        fixed_sp=fixed_sp, hessian=r.hessian, hessian_terms=hessian_terms,
        hessian_labels=hessian_labels, converged=r.converged, iterations=r.iterations,
        engine=r, likelihood=likelihood, fitted_dpars=fitted_dpars,
        parametric=parametric, penalty_scales=_penalty_scales(d),
        _cov=r.cov[np.ix_(order, order)])


def _reported_deviance(likelihood, r: EngineResult) -> float:
    """mgcv's ``deviance``: ``Σ d_i``, or the family's own (``ziP``'s, less its saturated
    likelihood)."""
    report = getattr(likelihood, "reported_deviance", None)
    return float(r.deviance) if report is None else report(r.eta, r.params)
