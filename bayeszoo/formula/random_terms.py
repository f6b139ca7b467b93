"""Random-effect terms ``(lhs | g)`` and ``(lhs || g)``: grouping factors and varying
coefficients fitted once, evaluated as indicator blocks (lme4's and brms's ``Z``).

* ``(1 | g)``, ``(0 + x | g)`` and each coefficient of ``(1 + x || g)``: one block per
  coefficient (iid structure, one ``sd``).
* ``(1 + x | g)`` (``(x | g)``: the intercept is implied, as in R): ONE block per grouping
  factor whose rows carry ``k`` weights (the intercept's ones and each slope column), its
  coefficients ``r_g`` of shape ``(levels, k)`` tied by an unstructured covariance
  (:class:`bayeszoo.structures.Unstructured`): one ``sd`` per coefficient and the Cholesky
  factor ``L_g`` of their correlation matrix, with brms's default prior
  ``lkj_corr_cholesky(1)``.

The left side is evaluated as R's ``model.matrix`` evaluates it, intercept included, so a factor
there gets treatment contrasts beside an intercept (``(1 + f | g)``: ``Intercept``, ``fb``,
``fc``) and full dummy coding without one (``(0 + f | g)``: ``fa``, ``fb``, ``fc``).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Block, BlockNames, ScaleParam
from bayeszoo.structures import Unstructured

from .errors import FormulaError
from .expressions import evaluate, fit_expression
from .grouping import codes, fit_grouping
from .naming import re_coef_param, re_sd_param
from .parse import RandomTerm

#: brms's default prior of a correlation matrix's Cholesky factor (class ``L``).
DEFAULT_CORRELATION_PRIOR = "lkj_corr_cholesky(1)"


def normalized_lhs(rt: RandomTerm) -> str:
    return re.sub(r"\s*\+\s*", " + ", rt.lhs.strip())


def normalized_text(rt: RandomTerm) -> str:
    bar = " || " if rt.double_bar else " | "
    return f"({normalized_lhs(rt)}{bar}{rt.group.strip()})"


def sd_keys(name: str, group: str, dpar: str | None) -> tuple[str, ...]:
    """``priors=`` keys of a group-level sd, most specific first: the parameter, its group,
    its class (``sd``; ``sd_<dpar>`` for a distributional parameter's terms)."""
    return (name, f"sd_{dpar}") if dpar else (name, f"sd_{group}", "sd")


def cholesky_site(group: str, dpar: str | None) -> str:
    """The sampled Cholesky factor of a correlated term's correlations: ``L_g``
    (``L_sigma_g`` for a distributional parameter's term)."""
    return f"L_{dpar}_{group}" if dpar else f"L_{group}"


def correlation_keys(group: str, dpar: str | None) -> tuple[str, ...]:
    """``priors=`` keys of a correlated term's correlation matrix, most specific first: brms's
    class ``cor`` (or ``L``, as brms 2.18's ``prior_summary`` calls it) for the group, then for
    every group (``cor_g``, ``L_g``, ``cor``, ``L``; ``cor_sigma_g``, ``L_sigma_g``,
    ``cor_sigma``, ``L_sigma`` for a distributional parameter's terms)."""
    tag = f"{dpar}_" if dpar else ""
    return (f"cor_{tag}{group}", f"L_{tag}{group}", f"cor{'_' + dpar if dpar else ''}",
            f"L{'_' + dpar if dpar else ''}")


def coefficient_dim(group: str, dpar: str | None) -> str:
    """The dimension of a correlated block's coefficients in ``r_g[level, coef]``:
    ``g__coef`` (``g__sigma_coef`` for a distributional parameter's term)."""
    return f"{group}__{dpar}_coef" if dpar else f"{group}__coef"


def _unseen_to_zero(idx: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of an unseen level (code -1) get zero weights and index 0."""
    if np.any(idx < 0):
        seen = idx >= 0
        w = np.where(seen if w.ndim == 1 else seen[:, None], w, 0.0)
        idx = np.where(seen, idx, 0)
    return idx, w


def indicator_block(grouping: dict[str, Any], coef: str, idx: np.ndarray,
                    weights: np.ndarray | None, term: str, sp: float | None = None,
                    dpar: str | None = None) -> Block:
    """The block of one varying coefficient of grouping factor ``grouping``: row ``i`` has
    ``weights[i]`` (ones for an intercept) in the column of its level; rows of an unseen level
    (code -1) get zeros."""
    g = grouping["name"]
    w = np.ones(len(idx)) if weights is None else np.asarray(weights, dtype=float)
    idx, w = _unseen_to_zero(idx, w)
    sd = re_sd_param(g, coef, dpar)
    names = BlockNames(scales=(ScaleParam(sd, sd_keys(sd, g, dpar)),),
                       coef=re_coef_param(g, None if coef == "Intercept" else coef, dpar),
                       dims=(g,), coords=(tuple(grouping["labels"]),))
    return Block(name=g, kind="re", coef=coef, term=term, labels=list(grouping["labels"]),
                 names=names, index=idx, weights=w, sp=sp)


def correlated_block(grouping: dict[str, Any], coefs: list[str], idx: np.ndarray,
                     weights: np.ndarray, term: str, dpar: str | None = None) -> Block:
    """The block of ``(1 + x | g)``: row ``i`` has ``weights[i]`` (``k`` values, one per
    coefficient) in level ``index[i]``'s ``k`` columns; coefficients ``r_g[level, coef]``;
    scales ``sd_g__<coef>`` for each coefficient, then ``L_g``."""
    g = grouping["name"]
    idx, w = _unseen_to_zero(idx, np.asarray(weights, dtype=float))
    k = len(coefs)
    sds = [re_sd_param(g, c, dpar) for c in coefs]
    scales = (*(ScaleParam(s, sd_keys(s, g, dpar)) for s in sds),
              ScaleParam(cholesky_site(g, dpar), correlation_keys(g, dpar), "correlation",
                         (k, k), DEFAULT_CORRELATION_PRIOR))
    names = BlockNames(scales=scales, coef=re_coef_param(g, None, dpar),
                       dims=(g, coefficient_dim(g, dpar)),
                       coords=(tuple(grouping["labels"]), tuple(coefs)))
    return Block(name=g, kind="re", coef=None, term=term, labels=list(grouping["labels"]),
                 names=names, index=idx, weights=w, structure=Unstructured(tuple(coefs)))


def is_correlated(state: dict[str, Any]) -> bool:
    """Whether a fitted random term is one correlated block per grouping factor."""
    return len(state["coefs"]) > 1 and not state.get("double_bar", True)


def _check_levels(rt: RandomTerm, groupings: list[dict[str, Any]], k: int,
                  correlated: bool) -> None:
    for grp in groupings:
        n_levels = len(grp["labels"])
        if n_levels < 2:
            only = grp["labels"][0] if grp["labels"] else None
            raise FormulaError(f"{rt.text}: grouping factor {grp['name']!r} has a single level "
                               f"({only!r}) in the data; a group-level effect needs at least "
                               "two levels (drop the term, or model the factor as a fixed "
                               "effect)")
        if correlated and k > n_levels:
            raise FormulaError(f"{rt.text}: {k} correlated varying coefficients but grouping "
                               f"factor {grp['name']!r} has only {n_levels} levels, too few "
                               f"to inform a {k} x {k} covariance matrix; vary fewer "
                               f"coefficients, or make them independent with "
                               f"({rt.lhs.strip()} || {rt.group.strip()})")


def fit_random_term(rt: RandomTerm, lhs_spec: str | None, intercept: bool,
                    groups: list[list[str]], data: pd.DataFrame, columns: dict[str, object],
                    frame: pd.DataFrame, reverse: dict[str, str]) -> dict[str, Any]:
    """The state of ``(lhs | g)``: the varying coefficients' columns (``lhs_spec`` evaluated
    with formulaic, intercept included when the term has one) and the groupings."""
    state: dict[str, Any] = {"kind": "random", "text": rt.text, "intercept": intercept,
                             "double_bar": rt.double_bar, "nested": "/" in rt.group,
                             "lhs": None, "coefs": ["Intercept"] if intercept else []}
    if lhs_spec is not None:
        _, names, lstate = fit_expression(lhs_spec, frame, reverse,
                                          f"the varying coefficients of {rt.text}")
        state["lhs"] = lstate
        state["coefs"] = names
    if not state["coefs"]:
        raise FormulaError(f"{rt.text}: no varying coefficient (write (1 | g) or (0 + x | g))")
    state["groups"] = [fit_grouping(":".join(g), g, data, columns) for g in groups]
    correlated = is_correlated(state)
    _check_levels(rt, state["groups"], len(state["coefs"]), correlated)
    single = len(groups) == 1 and (len(state["coefs"]) == 1 or correlated)
    if correlated:
        state["terms"] = [[normalized_text(rt) if single else
                           f"({normalized_lhs(rt)} | {grp['name']})"]
                          for grp in state["groups"]]
    else:
        state["terms"] = [[normalized_text(rt) if single else
                           (f"(1 | {grp['name']})" if c == "Intercept"
                            else f"(0 + {c} | {grp['name']})") for c in state["coefs"]]
                          for grp in state["groups"]]
    return state


def coefficient_columns(state: dict[str, Any], frame: pd.DataFrame,
                        reverse: dict[str, str]) -> np.ndarray:
    """The ``n × k`` columns of a fitted random term's varying coefficients on ``frame``, in
    the order of ``state["coefs"]`` (the intercept's ones where the left side has none)."""
    n = len(frame)
    cols = {}
    if state["lhs"] is not None:
        Xl = evaluate(state["lhs"], frame, reverse, state["text"])
        cols = dict(zip(state["lhs"]["names"], Xl.T, strict=True))
    return np.column_stack([cols[c] if c in cols else np.ones(n) for c in state["coefs"]])


def random_blocks(state: dict[str, Any], data: pd.DataFrame, columns: dict[str, object],
                  frame: pd.DataFrame, reverse: dict[str, str], allow_new_levels: bool,
                  dpar: str | None = None) -> list[Block]:
    """The blocks of a fitted random term on ``data``: one per grouping and coefficient, or
    one per grouping for a correlated term."""
    W = coefficient_columns(state, frame, reverse)
    blocks = []
    for grp, terms in zip(state["groups"], state["terms"], strict=True):
        idx = codes(grp, data, columns, state["text"], allow_new_levels)
        if is_correlated(state):
            blocks.append(correlated_block(grp, state["coefs"], idx, W, terms[0], dpar))
            continue
        for j, (coef, term) in enumerate(zip(state["coefs"], terms, strict=True)):
            weights = None if coef == "Intercept" and state["intercept"] else W[:, j]
            blocks.append(indicator_block(grp, coef, idx, weights, term, dpar=dpar))
    return blocks
