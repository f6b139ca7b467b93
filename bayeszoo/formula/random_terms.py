"""Random-effect terms ``(lhs | g)`` and ``(lhs || g)``: grouping factors and varying
coefficients fitted once, evaluated as indicator blocks (lme4's and brms's ``Z``)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Block, BlockNames, ScaleParam

from .errors import FormulaError
from .expressions import evaluate, fit_expression
from .grouping import codes, fit_grouping
from .naming import re_coef_param, re_sd_param
from .parse import RandomTerm


def normalized_text(rt: RandomTerm) -> str:
    bar = " || " if rt.double_bar else " | "
    lhs = re.sub(r"\s*\+\s*", " + ", rt.lhs.strip())
    return f"({lhs}{bar}{rt.group.strip()})"


def sd_keys(name: str, group: str, dpar: str | None) -> tuple[str, ...]:
    """``priors=`` keys of a group-level sd, most specific first: the parameter, its group,
    its class (``sd``; ``sd_<dpar>`` for a distributional parameter's terms)."""
    return (name, f"sd_{dpar}") if dpar else (name, f"sd_{group}", "sd")


def indicator_block(grouping: dict[str, Any], coef: str, idx: np.ndarray,
                    weights: np.ndarray | None, term: str, sp: float | None = None,
                    dpar: str | None = None) -> Block:
    """The block of one varying coefficient of grouping factor ``grouping``: row ``i`` has
    ``weights[i]`` (ones for an intercept) in the column of its level; rows of an unseen level
    (code -1) get zeros."""
    g = grouping["name"]
    w = np.ones(len(idx)) if weights is None else np.asarray(weights, dtype=float)
    if np.any(idx < 0):
        w = np.where(idx >= 0, w, 0.0)
        idx = np.where(idx >= 0, idx, 0)
    sd = re_sd_param(g, coef, dpar)
    names = BlockNames(scales=(ScaleParam(sd, sd_keys(sd, g, dpar)),),
                       coef=re_coef_param(g, None if coef == "Intercept" else coef, dpar),
                       dims=(g,), coords=(tuple(grouping["labels"]),))
    return Block(name=g, kind="re", coef=coef, term=term, labels=list(grouping["labels"]),
                 names=names, index=idx, weights=w, sp=sp)


def fit_random_term(rt: RandomTerm, lhs_spec: str | None, intercept: bool,
                    groups: list[list[str]], data: pd.DataFrame, columns: dict[str, object],
                    frame: pd.DataFrame, reverse: dict[str, str]) -> dict[str, Any]:
    """The state of ``(lhs | g)``: the varying coefficients' columns and the groupings."""
    state: dict[str, Any] = {"kind": "random", "text": rt.text, "intercept": intercept,
                             "lhs": None, "coefs": ["Intercept"] if intercept else []}
    if lhs_spec is not None:
        _, names, lstate = fit_expression(lhs_spec, frame, reverse,
                                          f"the varying coefficients of {rt.text}")
        state["lhs"] = lstate
        state["coefs"] += names
    if not state["coefs"]:
        raise FormulaError(f"{rt.text}: no varying coefficient (write (1 | g) or (0 + x | g))")
    if len(state["coefs"]) > 1 and not rt.double_bar:
        raise FormulaError(f"{rt.text}: correlated random effects are not supported; write "
                           f"independent ones with '||', e.g. ({rt.lhs} || {rt.group})")
    state["groups"] = [fit_grouping(":".join(g), g, data, columns) for g in groups]
    single = len(state["coefs"]) == 1 and len(groups) == 1
    state["terms"] = [[normalized_text(rt) if single else
                       (f"(1 | {grp['name']})" if c == "Intercept"
                        else f"(0 + {c} | {grp['name']})") for c in state["coefs"]]
                      for grp in state["groups"]]
    return state


def random_blocks(state: dict[str, Any], data: pd.DataFrame, columns: dict[str, object],
                  frame: pd.DataFrame, reverse: dict[str, str], allow_new_levels: bool,
                  dpar: str | None = None) -> list[Block]:
    """The blocks of a fitted random term on ``data``: one per grouping and coefficient."""
    Xl = None
    if state["lhs"] is not None:
        Xl = evaluate(state["lhs"], frame, reverse, state["text"])
    blocks = []
    for grp, terms in zip(state["groups"], state["terms"], strict=True):
        idx = codes(grp, data, columns, state["text"], allow_new_levels)
        j = 0
        for coef, term in zip(state["coefs"], terms, strict=True):
            if coef == "Intercept" and state["intercept"]:
                blocks.append(indicator_block(grp, coef, idx, None, term, dpar=dpar))
            else:
                blocks.append(indicator_block(grp, coef, idx, Xl[:, j], term, dpar=dpar))
                j += 1
    return blocks
