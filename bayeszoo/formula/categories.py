"""A categorical response's linear predictors, one per category but the first (brms 2.18's
``categorical()``): the formula ``y ~ rhs`` becomes ``y ~ 0`` for the reference (fixed at 0)
and ``mu<c> ~ rhs`` for every other category ``c``, each a distributional parameter of its own
(:attr:`bayeszoo.design.Design.dpars`, named ``muMedium``, ``mu2`` as brms names them). A
``bf()`` formula of one category (``bz.bf("y ~ x", muHigh="~ z")``) replaces the shared
right-hand side for that category only, as brms's ``bf(y ~ x, muHigh ~ z)``.

The categories are fixed when the design is built (``states["categories"]``): the response of
a design evaluated later (new data, a subset) is coded against them, so that category ``k`` is
the same category in every design of the model (:func:`coded_response`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .bf import BrmsFormula
from .columns import column_map
from .errors import FormulaError
from .parse import parse_formula


def category_formula(formula: str | BrmsFormula, family: Any, data: pd.DataFrame,
                     na_action: str = "raise") -> tuple[BrmsFormula, list]:
    """``formula`` with one linear predictor per non-reference category of its response in
    ``data`` and those categories (``ValueError`` for fewer than two, a missing value under
    ``na_action="raise"``, a ``bf()`` part naming no category)."""
    main, given = (formula.formula, dict(formula.dpars)) if isinstance(formula, BrmsFormula) \
        else (formula, {})
    if not isinstance(main, str) or "~" not in main:
        raise FormulaError(f"a categorical model needs a formula 'y ~ ...', got {main!r}")
    pf = parse_formula(main)
    if pf.response is None or pf.response_expr is not None:
        raise FormulaError(f"the response of a categorical model is a data column (a pandas "
                           f"Categorical, strings or integers); {main!r} has none")
    columns = column_map(data)
    if pf.response not in columns:
        raise FormulaError(f"the response {pf.response!r} of {main!r} is not a column of the "
                           "data")
    raw = data[columns[pf.response]]
    try:
        cats = family.categories(raw.dropna() if na_action == "drop" else raw, pf.response)
        names = family.predictor_names(cats)
    except ValueError as exc:
        raise FormulaError(f"{exc} (in {main!r})") from None
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise FormulaError(f"bf() gives formulas for {unknown}, which are no categories' linear "
                           f"predictors; this response's are {names} (the first category, "
                           f"{cats[0]!r}, is the reference)")
    lhs, rhs = main.split("~", 1)
    dpars = {name: given.get(name, f"~ {rhs.strip()}") for name in names}
    return BrmsFormula(f"{lhs.strip()} ~ 0", dpars), [_plain(c) for c in cats]


def _plain(value: Any) -> Any:
    """A category as a JSON value (a NumPy scalar as its Python number)."""
    return value.item() if hasattr(value, "item") else value


def coded_response(values: pd.Series, states: dict[str, Any]) -> pd.Series:
    """``values`` as a Categorical of the design's categories (a value outside them becomes
    missing, which the family names); unchanged for a design without categories."""
    if "categories" not in states:
        return values
    cats = states["categories"]
    plain = values.astype(object)
    return pd.Series(pd.Categorical(plain.where(plain.isin(cats)), categories=cats),
                     name=values.name, index=values.index)
