"""The designs of a non-linear formula (``bf(..., nl=True)``): one linear design per
non-linear parameter, and the covariates the expression reads.

brms builds ``X_<nlpar>`` (with its group-level and smooth terms) from each nlpar's formula
without centering it, and passes the expression's data columns as covariates ``C_<k>``
(``make_standata``'s ``C_1``: numeric only). Here the mean's own design is the response with
no columns (``cum ~ 0``, which keeps the response and its additions), and
:func:`with_nonlinear` puts the nlpar designs in ``Design.nlpars`` and the covariates in the
mean's ``X`` (:class:`bayeszoo.design.Design`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Design

from .bf import BrmsFormula
from .errors import FormulaError
from .nonlinear import NonlinearExpression, parse_nonlinear, split_formula
from .parse import ParsedFormula, parse_formula


@dataclass(frozen=True)
class NonlinearParts:
    """A non-linear ``bf``: the original main ``formula``, each nlpar's parsed formula and the
    parsed expression."""

    formula: str
    formulas: dict[str, ParsedFormula]
    expression: NonlinearExpression

    def state(self) -> dict[str, Any]:
        """What a fit stores to rebuild the expression: JSON-serializable."""
        return {"formula": self.formula, **self.expression.to_dict()}


def nonlinear_main(formula: str) -> str:
    """The mean's linear stand-in: the response side of ``formula`` with no columns."""
    return f"{split_formula(formula)[0]} ~ 0"


def nonlinear_parts(formula: BrmsFormula, columns: dict[str, object]) -> NonlinearParts:
    """Parse the expression and each nlpar's formula of a non-linear ``bf``; ``FormulaError``
    for an nlpar without a formula, a name that is neither, or an unparsable formula."""
    expr = parse_nonlinear(split_formula(formula.formula)[1], list(formula.nlpars), list(columns))
    formulas = {name: parse_formula(f, dpar=name) for name, f in formula.nlpars.items()}
    return NonlinearParts(formula.formula, formulas, expr)


def covariate_matrix(expr: NonlinearExpression, data: pd.DataFrame,
                     columns: dict[str, object]) -> np.ndarray:
    """The expression's covariates as an ``(n, k)`` float matrix; ``FormulaError`` for a
    column that is not numeric (brms's covariates of non-linear formulas are numbers) or not
    finite."""
    out = np.zeros((len(data), len(expr.covariates)))
    for j, name in enumerate(expr.covariates):
        if name not in columns:
            raise FormulaError(f"the non-linear formula {expr.text!r} reads column {name!r}, "
                               "which the data lack")
        col = data[columns[name]]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            raise FormulaError(f"covariate {name!r} of the non-linear formula {expr.text!r} is "
                               f"not numeric (dtype {col.dtype}); brms's non-linear covariates "
                               "are numbers")
        values = col.to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            raise FormulaError(f"covariate {name!r} of the non-linear formula {expr.text!r} has "
                               "missing or infinite values")
        out[:, j] = values
    return out


def with_nonlinear(main: Design, state: dict[str, Any], nlpars: dict[str, Design],
                   data: pd.DataFrame, columns: dict[str, object]) -> Design:
    """``main`` (the response with no columns) as the design of a non-linear formula: the
    original formula, the nlpar designs and the covariates in ``X``."""
    expr = NonlinearExpression.from_dict(state)
    return replace(main, formula=state["formula"], X=covariate_matrix(expr, data, columns),
                   nlpars=nlpars, nonlinear=expr)
