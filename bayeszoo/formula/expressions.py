"""Fixed-effects expressions evaluated by formulaic, fitted once and replayed from a state.

Column names are replaced by safe aliases (``_bzv0_``) before formulaic sees them, so any column
name works. The state of the whole formula's columns (:func:`fit_columns`) records, per aliased
column, whether it is numeric or a factor and the factor's observed levels (unused levels are
dropped, as R's model frame does); each expression's state records formulaic's formula, its
``transform_state`` (``center()``, ``scale()``, ``poly()`` keep the training data's moments) and
the columns it produced. :func:`evaluate` rebuilds the columns on any data from those states.
Factors get treatment contrasts with the first level as reference (R's default).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .columns import factor_levels, is_numeric
from .errors import FormulaError
from .naming import fixed_column_name, unalias


def fit_columns(data: pd.DataFrame, columns: dict[str, object],
                aliases: dict[str, str]) -> dict[str, Any]:
    """``{"aliases": {column: alias}, "kinds": {alias: "numeric" | "factor"},
    "levels": {alias: [observed levels]}}`` of the aliased columns."""
    kinds, levels = {}, {}
    for col, a in aliases.items():
        s = data[columns[col]]
        if is_numeric(s):
            kinds[a] = "numeric"
        else:
            kinds[a] = "factor"
            levels[a] = [_plain(v) for v in factor_levels(s)]
    return {"aliases": dict(aliases), "kinds": kinds, "levels": levels}


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def aliased_frame(cstate: dict[str, Any], data: pd.DataFrame, columns: dict[str, object],
                  where: str) -> pd.DataFrame:
    """The aliased columns of ``data``: numbers as float, factors as Categoricals with the
    fitted levels. A level the fit never saw raises naming the column and ``where``."""
    out = {}
    for col, a in cstate["aliases"].items():
        s = data[columns[col]]
        if cstate["kinds"][a] == "numeric":
            if not is_numeric(s):
                raise FormulaError(f"column {col!r} is not numeric in the new data (dtype "
                                   f"{s.dtype}) but was numeric in the data the model was "
                                   "fitted to")
            out[a] = s.to_numpy(dtype=float, na_value=np.nan)
        else:
            known = cstate["levels"][a]
            vals = s.astype(object).to_numpy() if isinstance(s.dtype, pd.CategoricalDtype) \
                else s.to_numpy()
            lookup = set(known)
            new = [v for v in pd.unique(pd.Series(vals).dropna()) if v not in lookup]
            if new:
                raise FormulaError(f"new level {new[0]!r} of {col!r} in {where}: not in the "
                                   "data the model was fitted to")
            out[a] = pd.Categorical(vals, categories=known)
    return pd.DataFrame(out, index=pd.RangeIndex(len(data)))


#: The fixed parts with no covariate (``y ~ 1 + s(x)``, ``y ~ 0 + ...``) and the columns
#: formulaic gives them, built without formulaic: that takes about a millisecond per call, a
#: quarter of the design of mcycle's ``accel ~ 1 + s(times)`` (fitted and evaluated once each).
CONSTANT_SPECS = {"1": ["Intercept"], "0": []}


def _constant_columns(spec: str, n: int) -> np.ndarray | None:
    if spec not in CONSTANT_SPECS:
        return None
    return np.ones((n, len(CONSTANT_SPECS[spec])))


def fit_expression(spec: str, frame: pd.DataFrame, reverse: dict[str, str],
                   what: str) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    """Evaluate formulaic's ``spec`` on the aliased ``frame``: ``(X, brms column names,
    state)``."""
    X = _constant_columns(spec, len(frame))
    if X is not None:
        names = list(CONSTANT_SPECS[spec])
        return X, names, {"spec": spec, "transform_state": {}, "columns": names,
                          "names": names}
    import formulaic

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mm = formulaic.model_matrix(spec, frame, na_action="raise")
    except Exception as e:  # noqa: BLE001 - formulaic raises many types; all are the user's
        raise FormulaError(f"cannot evaluate {unalias(what, reverse)}: "
                           f"{unalias(str(e), reverse)}") from None
    names = [fixed_column_name(c, reverse) for c in mm.columns]
    X = np.asarray(mm, dtype=float)
    for j, c in enumerate(names):
        if not np.all(np.isfinite(X[:, j])):
            i = int(np.flatnonzero(~np.isfinite(X[:, j]))[0])
            raw = str(mm.columns[j])
            if raw.startswith("I(") and raw.endswith(")"):  # an offset or addition: as written
                c = unalias(raw[2:-1], reverse)
            raise FormulaError(f"column {c!r} of {unalias(what, reverse)} has non-finite values "
                               f"(row {i}: {X[i, j]}); drop or fix those rows")
    state = {"spec": spec, "transform_state": dict(mm.model_spec.transform_state),
             "columns": [str(c) for c in mm.columns], "names": names}
    return X, names, state


def evaluate(state: dict[str, Any], frame: pd.DataFrame, reverse: dict[str, str],
             where: str) -> np.ndarray:
    """The columns of a fitted expression on a new aliased ``frame``."""
    X = _constant_columns(state["spec"], len(frame))
    if X is not None:
        return X
    import formulaic

    spec = formulaic.ModelSpec(formula=state["spec"], transform_state=state["transform_state"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mm = spec.get_model_matrix(frame, na_action="raise")
    except Exception as e:  # noqa: BLE001
        raise FormulaError(f"cannot evaluate {where} on the new data: "
                           f"{unalias(str(e), reverse)}") from None
    got = [str(c) for c in mm.columns]
    if got != state["columns"]:
        raise FormulaError(f"{where} gives columns {got} on the new data; the model has "
                           f"{state['columns']}")
    return np.asarray(mm, dtype=float)


def single_level_factors(cstate: dict[str, Any], specs: list[str], reverse: dict[str, str]):
    """Factors with one observed level used in ``specs``: they add no column (R drops them
    the same way under treatment contrasts), which deserves a warning."""
    out = []
    for a, levels in cstate["levels"].items():
        if len(levels) == 1 and any(a in s for s in specs):
            out.append((reverse[a], levels[0]))
    return out
