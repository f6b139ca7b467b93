"""Checks of a Design before REML: a usable response, identifiable columns, a design that is not
saturated, valid smoothing parameters. Every error names the column, term or value."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from scipy import linalg

from bayeszoo.design import Design

__all__ = ["check_blocks", "check_identifiable", "check_not_saturated", "term_label",
           "check_response_varies", "column_terms", "resolve_sp"]

RANK_TOL = 1e-8  # distance of a unit-norm column of X from the span of the columns before it


def check_response_varies(d: Design, scale_estimated: bool) -> None:
    """An estimated scale needs a response that varies."""
    y = np.asarray(d.y, dtype=float)
    if scale_estimated and y.size and np.ptp(y) == 0:
        raise ValueError(f"response {d.response!r} is constant ({y[0]:g}): there is no variance "
                         "to decompose")


def column_terms(d: Design) -> list[str]:
    """The formula term each column of X belongs to (its own name when parametric; the fixed
    term whose brms name starts the column's name when the Design carries its parsed terms)."""
    terms = list(d.column_names)
    fixed = list(getattr(d.terms, "fixed", None) or [])
    for j, name in enumerate(d.column_names):
        owners = [t for t in fixed if name == t or name.startswith(t.replace(" ", ""))]
        if owners:
            terms[j] = max(owners, key=len)
    for sm in d.smooths:
        for i in sm.fixed_columns:
            terms[i] = sm.term
    return terms


def check_blocks(d: Design) -> None:
    n = d.n
    for b in d.blocks:
        if b.Z.shape[0] != n:
            raise ValueError(f"block {b.term!r} has {b.Z.shape[0]} rows, the data {n}")
        if not np.all(np.isfinite(b.Z)):
            raise ValueError(f"block {b.term!r} holds missing or infinite values")
    P = d.X.shape[1] + sum(b.size for b in d.blocks)
    if P > n:
        raise ValueError(f"the design of {d.formula!r} has more coefficients ({P}: "
                         f"{d.X.shape[1]} in X + {P - d.X.shape[1]} in blocks) than observations "
                         f"({n})")


def check_not_saturated(d: Design, n_obs: int, scale_estimated: bool, method: str) -> None:
    """REML needs residual degrees of freedom for an estimated scale: ``n - Mp > 0``."""
    p = d.X.shape[1]
    if not scale_estimated or (method == "ML" and n_obs > 0) or n_obs > p:
        return
    terms = column_terms(d)
    counts: dict[str, int] = {}
    for t in terms:
        counts[t] = counts.get(t, 0) + 1
    big = max(counts, key=lambda t: counts[t])
    raise ValueError(f"the design of {d.formula!r} is saturated: its fixed effects have {p} "
                     f"columns ({counts[big]} from term {big!r}) for {n_obs} observations, "
                     "leaving no residual degrees of freedom to estimate the scale; drop the "
                     f"term {big!r} or model it as a random effect")


def check_identifiable(d: Design, X: np.ndarray) -> None:
    """Every column of X adds a direction, and no block lies wholly in the span of X (its
    variance would then be unidentifiable: the criterion is flat in its sp)."""
    names, terms = list(d.column_names), column_terms(d)
    if not np.all(np.isfinite(X)):
        bad = [names[j] for j in range(X.shape[1]) if not np.all(np.isfinite(X[:, j]))]
        raise ValueError(f"column(s) {bad} of the design hold missing or infinite values")
    norms = np.sqrt(np.sum(X**2, axis=0))
    for j in np.flatnonzero(norms == 0):
        raise ValueError(f"term {terms[j]!r} is not identifiable: its column {names[j]!r} is zero")
    Xn = X / norms
    Q, R = linalg.qr(Xn, mode="economic", check_finite=False)
    dist = np.abs(np.diag(R))
    for j in np.flatnonzero(dist < RANK_TOL):
        comb = np.linalg.lstsq(Xn[:, :j], Xn[:, j], rcond=None)[0]
        using = [names[i] for i in np.flatnonzero(np.abs(comb) > 1e-6)]
        what = f"column {names[j]!r}" + (f" of term {terms[j]!r}" if terms[j] != names[j] else "")
        raise ValueError(f"term {terms[j]!r} is not identifiable: {what} is a linear combination "
                         f"of {using}; drop the term or one of those it duplicates")
    for b in d.blocks:
        Z = np.asarray(b.Z, dtype=float)
        size = np.linalg.norm(Z)
        if size > 0 and np.linalg.norm(Z - Q @ (Q.T @ Z)) <= 1e-8 * size:
            raise ValueError(f"term {b.term!r} is not identifiable: its columns lie in the span of "
                             f"the fixed effects {names}; drop the term or the fixed effects that "
                             "duplicate it")


def term_label(label: str, k: int) -> str:
    """mgcv's name of a term of linear predictor ``k``: ``s(times)`` -> ``s.1(times)``."""
    if k == 0:
        return label
    head, paren, rest = label.partition("(")
    return f"{head}.{k}{paren}{rest}" if paren and head else f"{label}.{k}"


def resolve_sp(d: Design, sp: Any) -> list[list[Any]]:
    """Per linear predictor and block: the fixed smoothing parameters (``Block.sp`` or the
    ``sp`` argument: one number for every penalized term, or a dict keyed by mgcv's sp names,
    ``s.1(x)`` for a term of the second linear predictor), else ``None`` (estimated)."""
    fixed = [[b.sp for b in dk.blocks] for dk in d.predictors]
    labels = {term_label(lab, k): (k, j, i) for k, dk in enumerate(d.predictors)
              for j, b in enumerate(dk.blocks) if not b.structure.correlates_coefficients
              for i, lab in enumerate(b.smoothing_labels)}
    if sp is None:
        pass
    elif isinstance(sp, bool | np.bool_):
        raise ValueError(f"sp must be None, a positive number (for every penalized term) or a "
                         f"dict of positive numbers by term, got {sp!r} (a boolean, not a "
                         "number); an unpenalized smooth is s(..., fx=True)")
    elif isinstance(sp, dict):
        unpenalized = {sm.term for sm in d.smooths if not sm.blocks}
        for key in sp:
            value = sp[key]
            if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
                what = "a boolean" if isinstance(value, bool | np.bool_) else \
                    f"a {type(value).__name__}"
                raise ValueError(f"sp[{key!r}] must be a positive number, got {value!r} "
                                 f"({what}, not a number); an unpenalized smooth is "
                                 "s(..., fx=True)")
            if key in unpenalized:
                raise ValueError(f"term {key!r} is unpenalized (fx=True): it has no smoothing "
                                 "parameter")
            if key not in labels:
                raise ValueError(f"sp given for {key!r}, which is not a smoothing parameter of "
                                 f"{d.formula!r}; it has: {list(labels)}")
        for k, dk in enumerate(d.predictors):
            for j, b in enumerate(dk.blocks):
                mine = [sp.get(term_label(lab, k)) for lab in b.smoothing_labels]
                if any(v is not None for v in mine):
                    if any(v is None for v in mine):
                        raise ValueError(f"give every smoothing parameter of {b.term!r} "
                                         f"({list(b.smoothing_labels)}) or none")
                    fixed[k][j] = mine[0] if len(mine) == 1 else tuple(mine)
    elif isinstance(sp, int | float | np.floating | np.integer):
        fixed = [[float(sp) if len(b.smoothing_labels) == 1
                  else (float(sp),) * len(b.smoothing_labels) for b in dk.blocks]
                 for dk in d.predictors]
    else:
        raise ValueError(f"sp must be None, a number or a dict by term, not {type(sp).__name__}")
    for fk, dk in zip(fixed, d.predictors, strict=True):
        for b, v in zip(dk.blocks, fk, strict=True):
            for x in np.atleast_1d(v if v is not None else []):
                if not (np.isfinite(x) and x > 0):
                    raise ValueError(f"sp for term {b.term!r} must be a positive number, got "
                                     f"{x!r} (an unpenalized smooth is s(..., fx=True))")
    return fixed
