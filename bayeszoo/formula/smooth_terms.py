"""Smooth terms of a formula: ``s(x, bs=, k=, fx=, sp=)`` fitted through :mod:`bayeszoo.smooths`
into unpenalized columns and one identity-penalized block, and replayed on new data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Block, BlockNames, ScaleParam
from bayeszoo.smooths import BASES, smooth

from .columns import is_numeric
from .errors import FormulaError
from .grouping import codes, fit_grouping
from .naming import brms_name, smooth_coef_param, smooth_label, smooth_sd_param
from .parse import SmoothTerm
from .text import Symbol

SUPPORTED_ARGS = ("bs", "k", "fx", "sp")


def read_args(st: SmoothTerm) -> dict[str, Any]:
    """Validated ``bs``, ``k``, ``fx``, ``sp`` of ``s(x, ...)``."""
    if st.kind != "s":
        raise FormulaError(f"{st.text}: term type {st.kind}() not supported (supported smooths: "
                           "s(x, bs=...))")
    if len(st.variables) > 1:
        raise FormulaError(f"{st.text}: only one-dimensional smooths are supported; got "
                           f"covariates {list(st.variables)}")
    out: dict[str, Any] = {"bs": "tp", "k": -1, "fx": False, "sp": None}
    for key, val in st.args.items():
        if key == "bs":
            if isinstance(val, Symbol):
                raise FormulaError(f"{st.text}: bs must be a quoted string: write "
                                   f'bs="{val}"')
            if not isinstance(val, str):
                raise FormulaError(f'{st.text}: bs must be a quoted string such as bs="cr"')
            if val not in BASES:
                raise FormulaError(f"{st.text}: unknown basis bs={val!r}; supported: "
                                   + ", ".join(repr(b) for b in BASES))
            out["bs"] = val
        elif key == "k":
            if isinstance(val, bool) or not isinstance(val, int | float) or int(val) != val:
                raise FormulaError(f"{st.text}: k must be an integer, got {val!r}")
            out["k"] = int(val)
        elif key == "fx":
            if not isinstance(val, bool):
                raise FormulaError(f"{st.text}: fx must be TRUE/FALSE (or True/False)")
            out["fx"] = val
        elif key == "sp":
            if val is not None and (isinstance(val, bool) or not isinstance(val, int | float)
                                    or val < 0):
                raise FormulaError(f"{st.text}: sp must be one non-negative number")
            out["sp"] = None if val is None else float(val)
        elif key == "by":
            raise FormulaError(f"{st.text}: 'by' variables are not supported yet")
        else:
            raise FormulaError(f"{st.text}: unsupported argument {key!r} (supported: "
                               + ", ".join(SUPPORTED_ARGS) + ")")
    return out


def fit_smooth_term(st: SmoothTerm, data: pd.DataFrame, columns: dict[str, object],
                    seed: int) -> dict[str, Any]:
    """The state of a smooth term fitted to ``data``."""
    args = read_args(st)
    var = st.variables[0]
    col = data[columns[var]]
    state: dict[str, Any] = {"kind": "smooth", "text": st.text, "label": st.label,
                             "variable": var, **args}
    if args["bs"] == "re":
        if is_numeric(col):
            raise FormulaError(f"{st.text}: bs=\"re\" needs a factor; column {var!r} is "
                               f"numeric (dtype {col.dtype}); convert it with "
                               ".astype('category')")
        state["grouping"] = fit_grouping(var, [var], data, columns)
        return state
    if not is_numeric(col):
        raise FormulaError(f"{st.text}: the covariate {var!r} is not numeric (dtype "
                           f"{col.dtype}); smooths need a numeric column (use bs=\"re\" for a "
                           "factor)")
    x = np.asarray(col, dtype=float)
    kk = args["k"] if args["k"] > 0 else 10
    nu = np.unique(x).size
    if nu < kk:
        raise FormulaError(f"{st.text}: {var} has insufficient unique values ({nu}) to support "
                           f"k={kk} basis functions: reduce k (mgcv's error)")
    try:
        state["basis"] = smooth(x, bs=args["bs"], k=args["k"], fx=args["fx"], variable=var,
                                term=st.label, seed=seed)
    except ValueError as e:
        raise FormulaError(f"{st.text}: {e}") from None
    return state


def smooth_block_names(label: str, labels: list[str], dpar: str | None) -> BlockNames:
    """The names of a smooth's penalized block ``label`` (``stimes_1``): ``sds_stimes_1``
    (keys ``sds_stimes_1``, then ``sds``, or ``sds_<dpar>`` for a distributional parameter's
    smooth), ``s_stimes_1`` with dimension ``stimes_1_basis``."""
    sds = smooth_sd_param(label, dpar)
    keys = (sds, f"sds_{dpar}") if dpar else (sds, "sds")
    coef = smooth_coef_param(label, dpar)
    dim = f"{coef[2:]}_basis"
    return BlockNames(scales=(ScaleParam(sds, keys),), coef=coef, dims=(dim,),
                      coords=(tuple(labels),))


def smooth_columns(state: dict[str, Any], data: pd.DataFrame, columns: dict[str, object],
                   allow_new_levels: bool,
                   dpar: str | None = None) -> tuple[np.ndarray, list[str], Block | None]:
    """``(Xf, names of its columns, penalized block or None)`` of a fitted smooth on ``data``."""
    var, label = state["variable"], state["label"]
    n = len(data)
    if state["bs"] == "re":
        grouping = state["grouping"]
        idx = codes(grouping, data, columns, state["text"], allow_new_levels)
        if state["fx"]:
            Xf = np.zeros((n, len(grouping["levels"])))
            ok = idx >= 0
            Xf[np.nonzero(ok)[0], idx[ok]] = 1.0
            return Xf, [brms_name(f"{var}{lab}") for lab in grouping["labels"]], None
        from .random_terms import indicator_block

        blk = indicator_block(grouping, "Intercept", idx, None, label, sp=state["sp"],
                              dpar=dpar)
        return np.zeros((n, 0)), [], blk
    col = data[columns[var]]
    if not is_numeric(col):
        raise FormulaError(f"{state['text']}: the covariate {var!r} is not numeric in the new "
                           f"data (dtype {col.dtype})")
    x = np.asarray(col, dtype=float)
    basis = state["basis"]
    name = smooth_label("s", (var,))
    if state["fx"]:
        Xf = basis.constrained_matrix(x)
        return Xf, [f"{name}_{j + 1}" for j in range(Xf.shape[1])], None
    Xf, Zr = basis.split(x)
    bname = f"{name}_1"
    labels = [str(j + 1) for j in range(Zr.shape[1])]
    blk = Block(name=bname, kind="smooth", coef=None, term=label, labels=labels,
                names=smooth_block_names(bname, labels, dpar), matrix=Zr, sp=state["sp"],
                reml_offset=basis.reml_offset)
    return Xf, [f"{name}_{j + 1}" for j in range(Xf.shape[1])], blk
