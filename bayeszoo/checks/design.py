"""Designs whose posterior (or REML estimate) does not exist, refused before anything is
compiled, and those whose posterior barely exists, warned of.

:func:`check_design` runs in :func:`bayeszoo.sample` (every backend) with the priors in use
and in :func:`bayeszoo.reml` without priors (its unpenalized coefficients are estimated as a
flat prior would leave them). Stan and brms sample these designs without a word; the design
shows the trouble before compiling:

* no information: ``weights()`` zero in every row, or ``trials()`` zero in every row (a row
  without trials carries nothing);
* a response a ``sigma`` family fits perfectly: constant, or a linear function of the fixed
  effects (the response again, or a copy of it, on the right-hand side): the likelihood grows
  without bound as ``sigma -> 0`` (``lm``'s "essentially perfect fit");
* separation of a bernoulli, binomial or log-link count response by the fixed effects
  (:mod:`bayeszoo.checks.separation`): a coefficient with a flat prior has no posterior, one
  with a proper prior is held only by its prior (a warning); REML's estimate does not exist
  (``glm`` warns "fitted probabilities numerically 0 or 1 occurred");
* a flat prior on the ``sd`` of a grouping factor with two levels: the posterior's tail falls
  as ``sd^-2`` (no finite mean), and with a flat prior on the fixed coefficient it varies
  around (the intercept, ``b_x`` for ``(x | g)``) as ``sd^-1`` (improper; Gelman 2006,
  Bayesian Analysis 1:515-534).
"""

from __future__ import annotations

import warnings

import numpy as np

from bayeszoo.design import Design

from .separation import RELATIVE, separation_cone

__all__ = ["check_design", "check_group_scales", "check_information", "check_perfect_fit",
           "check_separation", "informative_rows"]

FLAT = "flat()"
PERFECT_FIT_TOL = 1e-9  # residual norm relative to the response's, on the link scale


def _addition(design: Design, key: str) -> str:
    """How the formula wrote addition ``key``: ``weights(w)``."""
    written = getattr(design.terms, "additions", {}).get(key)
    return f"{key}({written})" if written is not None else f"{key}()"


def informative_rows(design: Design) -> np.ndarray:
    """Rows whose likelihood depends on the parameters: a positive weight and, for a binomial
    response, at least one trial."""
    keep = np.ones(design.n, dtype=bool)
    for key in ("weights", "trials"):
        v = design.additions.get(key)
        if v is not None:
            keep &= np.asarray(v, dtype=float) > 0
    return keep


def check_information(design: Design) -> None:
    """``ValueError`` when no row carries information: zero weights or zero trials
    everywhere."""
    if np.any(informative_rows(design)):
        return
    empty = [key for key in ("weights", "trials")
             if key in design.additions and not np.any(design.additions[key] > 0)]
    what = " and ".join(f"{_addition(design, k)} is zero" for k in empty) if empty else \
        f"{_addition(design, 'weights')} or {_addition(design, 'trials')} is zero"
    raise ValueError(f"{what} in every row of response {design.response!r}: no row carries "
                     "information, so there is nothing to fit (the posterior would be the "
                     "prior, improper under flat priors); give the rows to fit positive "
                     "weights and trials, or drop the rows without them")


def check_perfect_fit(design: Design) -> None:
    """``ValueError`` when a family with ``sigma`` (gaussian, student) would fit the response
    exactly: a constant response, or one that is a linear function of the fixed effects."""
    fam = design.family
    if "sigma" not in {a.name for a in fam.aux_parameters(tuple(design.additions))} | set(
            design.dpars):
        return
    keep = informative_rows(design)
    rows = slice(None) if np.all(keep) else keep  # (indexing every row costs a copy)
    y = np.asarray(design.y, dtype=float)[rows]
    if y.size and np.ptp(y) == 0:
        raise ValueError(f"response {design.response!r} is constant ({y[0]:g}) in every row: "
                         f"a {fam.name} model fits it exactly, and sigma's posterior piles up "
                         "at 0 (the likelihood grows without bound as sigma -> 0); a constant "
                         "needs no model: check the column and the rows selected")
    X = np.asarray(design.X, dtype=float)[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        target = fam.link(y)
    if design.offset is not None:
        target = target - np.asarray(design.offset, dtype=float)[rows]
    if X.shape[1] == 0 or not np.all(np.isfinite(target)) or not np.any(target):
        return
    target = target / np.max(np.abs(target))
    scale = np.maximum(X.max(axis=0), -X.min(axis=0))
    X = X / np.where(scale > 0, scale, 1.0)
    gram, cross, total = X.T @ X, X.T @ target, float(target @ target)
    if total - cross @ np.linalg.lstsq(gram, cross, rcond=None)[0] > 1e-6 * total:
        return  # the residual sum of squares from the cross-products: clearly not a perfect fit
    coef, _, rank, _ = np.linalg.lstsq(X, target, rcond=None)
    size = PERFECT_FIT_TOL * float(np.linalg.norm(target))
    if rank >= y.size or float(np.linalg.norm(target - X @ coef)) > size:
        return
    parts = np.abs(coef) * np.linalg.norm(X, axis=0)
    cols = [c for c, v in zip(design.column_names, parts, strict=True)
            if c != "Intercept" and v > size]
    if not cols:
        return
    raise ValueError(f"response {design.response!r} is a linear function of the fixed-effect "
                     f"column(s) {cols} (the response itself, or a copy of it, on the "
                     "right-hand side?): the fit is perfect, so sigma's posterior piles up at 0 "
                     "(lm warns 'essentially perfect fit'); drop those columns from the "
                     "formula")


def _names(design: Design) -> list[str]:
    """Each column's parameter as ``priors=`` and the summary name it: ``Intercept``,
    ``b_x``."""
    return ["Intercept" if c == "Intercept" else p
            for c, p in zip(design.column_names, design.fixed_params, strict=True)]


def check_separation(design: Design, priors: dict[str, str] | None) -> None:
    """Separation of the response by the fixed effects (bernoulli, binomial, log-link counts).

    With ``priors`` (sampling): ``ValueError`` when a coefficient under a flat prior can grow
    along a separating direction (its posterior does not exist), else a ``UserWarning`` naming
    the coefficients whose posterior only their prior holds. Without (REML): ``ValueError``,
    the estimate does not exist."""
    fam = design.family
    sides = fam.boundary_sides(np.asarray(design.y, dtype=float), design.additions.get("trials"))
    if sides is None:
        return
    sides = np.where(informative_rows(design), sides, np.nan)
    cone = separation_cone(np.asarray(design.X, dtype=float), sides)
    d = cone.direction() if cone is not None else None
    if d is None:
        return
    names = _names(design)
    along = [int(j) for j in np.flatnonzero(np.abs(d) > RELATIVE * np.max(np.abs(d)))]
    text = ", ".join(f"{names[j]} -> {'+' if d[j] > 0 else '-'}inf" for j in along)
    rows = cone.separated_rows(d)
    n = int(np.sum(np.isfinite(sides)))
    head = (f"the fixed effects separate response {design.response!r} of the {fam.name} "
            f"model: along {text}, {rows} of its {n} rows are predicted with certainty and the "
            "likelihood keeps rising")
    if priors is None:
        cols = [design.column_names[j] for j in along]
        raise ValueError(f"{head}, so the REML/ML estimate of {cols} does not exist (glm and "
                         "mgcv stop at an arbitrary large value, warning of fitted values "
                         "numerically 0 or 1); drop or merge the term, or fit with bz.sample "
                         "and a proper prior on it")
    flat = [j for j in along if priors.get(names[j]) == FLAT] or [
        j for j, name in enumerate(names) if priors.get(name) == FLAT and cone.moves(j)]
    if flat:
        bad = [names[j] for j in flat]
        example = next((b for b in bad if b != "Intercept"), bad[0])
        raise ValueError(f"{head}, so nothing in the data bounds {', '.join(bad)} under a "
                         "flat prior: the posterior is improper, or held only by the far tail "
                         "of another coefficient's prior (the sampler drifts off to values like "
                         "1e5); give a proper prior, e.g. "
                         f"priors={{{example!r}: 'normal(0, 2.5)'}} ('b' for every "
                         "coefficient), or drop the term")
    held = ", ".join(f"{names[j]} ~ {priors.get(names[j])}" for j in along)
    warnings.warn(f"{head}, so the posterior of {held} is its prior's tail: expect large "
                  "values and wide intervals; a tighter prior or dropping the term makes the "
                  "estimate less arbitrary", UserWarning, stacklevel=3)


def _fixed_counterpart(dk: Design, coef: str | None) -> str | None:
    """The prior key of the fixed coefficient a group-level coefficient varies around."""
    if coef in (None, "Intercept"):
        if not dk.has_intercept:
            return None
        return "Intercept" if dk.dpar is None else f"Intercept_{dk.dpar}"
    names = list(dk.column_names)
    return dk.fixed_params[names.index(coef)] if coef in names else None


def check_group_scales(design: Design, priors: dict[str, str]) -> None:
    """A flat prior on the ``sd`` of a grouping factor with two levels: a ``UserWarning``
    (barely proper), or ``ValueError`` when the fixed coefficient it varies around (the
    intercept for a random intercept) has a flat prior as well (improper)."""
    for dk in design.predictors:
        for blk in dk.blocks:
            if not blk.is_group_effect or len(blk.labels) > 2:
                continue
            scales = [sp for sp in blk.names.scales if sp.support == "positive"]
            coefs = blk.coefs
            for sp, coef in zip(scales, coefs, strict=True):
                if priors.get(sp.name) != FLAT:
                    continue
                advice = (f"give it a proper prior, e.g. priors={{{sp.name!r}: "
                          "'half_student_t(3, 2.5)'} (brms's default), or model "
                          f"{blk.name!r} as a fixed effect")
                fixed = _fixed_counterpart(dk, coef)
                if fixed is not None and priors.get(fixed) == FLAT:
                    raise ValueError(f"{sp.name} has a flat prior, {fixed} too, and "
                                     f"{blk.term} has {len(blk.labels)} levels of "
                                     f"{blk.name!r}: the posterior of {sp.name} is improper "
                                     f"(its tail falls only as 1/sd); {advice}")
                warnings.warn(f"{sp.name} has a flat prior and {blk.term} has only "
                              f"{len(blk.labels)} levels of {blk.name!r}: the posterior of "
                              f"{sp.name} is barely proper (its tail falls as sd^-2, so it has "
                              f"no finite mean); {advice}", UserWarning, stacklevel=3)


def check_design(design: Design, priors: dict[str, str] | None = None) -> None:
    """Every check of this module on a design with a response; ``priors`` (brms name -> prior,
    as :attr:`bayeszoo.models.spec.ModelSpec.priors`) for sampling, ``None`` for REML."""
    check_information(design)
    check_perfect_fit(design)
    check_separation(design, priors)
    if priors is not None:
        check_group_scales(design, priors)
