"""brms's ``conditional_effects(fit)``: the expected response (``posterior_epred``) over a
grid of one or two variables, every other covariate at its mean and every factor at its
reference level, group-level effects left out (brms's default ``re_formula = NA``).

The grid of a numeric variable is 100 evenly spaced points over its range (brms's
``resolution = 100``), of a factor its levels; two numeric variables (``"z:w"``, as a
``t2(z, w)`` or ``gp(z, w)`` term gives by default) span a 100 × 100 grid drawn as a surface,
a numeric variable with a factor one curve per level (the numeric one first, as brms orders
them; brms draws two numeric variables as a surface only with ``surface = TRUE``, else as three
curves). A ``trials()`` variable is 1, as brms sets it. ``estimate__`` and ``se__`` are the
posterior median and MAD (brms's ``robust = TRUE``; mean and sd with ``robust=False``),
``lower__`` and ``upper__`` the 2.5 % and 97.5 % quantiles.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from .effect_plots import Effects

RESOLUTION = 100
MAD_SCALE = 1.4826  # R's mad(): the MAD scaled to the sd of a normal distribution


def is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def columns_in(text: str, columns: list[str]) -> list[str]:
    """The data columns named in a formula term or expression, in order of appearance."""
    found = {c for c in columns if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", text)}
    return sorted(found, key=text.find)


def reference_row(design, data: pd.DataFrame) -> dict:
    """brms's conditions: numeric columns at their mean, the others at their first level, the
    variables of a ``trials()`` addition at 1."""
    from bayeszoo.formula.columns import factor_levels
    from bayeszoo.formula.parse import parse_formula

    ref = {c: float(np.mean(data[c])) if is_numeric(data[c]) else factor_levels(data[c])[0]
           for c in data.columns}
    trials = parse_formula(design.formula).additions.get("trials")
    for c in columns_in(str(trials), list(data.columns)) if trials is not None else []:
        ref[c] = 1
    return ref


def default_effects(design) -> list[str]:
    """brms's default effects: the variables of each population-level term and of each term
    that declares a default effect (a smooth's or GP's covariates and ``by`` variable:
    :meth:`~bayeszoo.formula.term_base.ParsedTerm.effect_variables`) of the mean's formula with
    one or two variables, joined by ``":"``: population-level terms first, then term types in
    their registry's order (smooths before GPs, as brms), each in formula order."""
    from bayeszoo.formula.parse import parse_formula
    from bayeszoo.formula.term_types import TERM_TYPES

    pf = parse_formula(design.formula)
    columns = [c for c in design.data.columns if c != design.response]
    out: list[str] = []
    for term in pf.fixed:
        out.append(":".join(columns_in(term, columns)))
    for kind in TERM_TYPES:
        out.extend(":".join(t.effect_variables(columns)) for t in pf.of_kind(kind))
    return [e for e in dict.fromkeys(out) if e and e.count(":") <= 1]


def effect_grid(data: pd.DataFrame, variables: list[str], ref: dict) -> pd.DataFrame:
    """The grid of the effect's variables (a numeric one: ``RESOLUTION`` points over its range;
    a factor: its levels), every other column at its value in ``ref``
    (:func:`reference_row`)."""
    from bayeszoo.formula.columns import factor_levels

    axes = []
    for v in variables:
        if v not in data:
            raise ValueError(f"effect variable {v!r} is no column of the fit's data; the "
                             f"columns are {', '.join(map(str, data.columns))}")
        s = data[v]
        axes.append(np.linspace(s.min(), s.max(), RESOLUTION) if is_numeric(s)
                    else np.asarray(factor_levels(s), dtype=object))
    mesh = [m.ravel() for m in np.meshgrid(*axes, indexing="ij")]
    grid = pd.DataFrame({c: [ref[c]] * mesh[0].size for c in data.columns})
    for v, values in zip(variables, mesh, strict=True):
        s = data[v]
        if isinstance(s.dtype, pd.CategoricalDtype):
            grid[v] = pd.Categorical(values, categories=s.cat.categories)
        else:
            grid[v] = pd.Series(values).astype(float if is_numeric(s) else s.dtype)
    for c in data.columns:
        if isinstance(data[c].dtype, pd.CategoricalDtype) and c not in variables:
            grid[c] = pd.Categorical(grid[c], categories=data[c].cat.categories)
    return grid


def without_group_effects(fit):
    """An InferenceData of ``fit`` whose group-level coefficients (``r_<group>``) are zero:
    brms's ``re_formula = NA``."""
    import arviz as az

    post = fit.posterior.copy()
    for d in fit.design.predictors:
        for blk in d.blocks:
            if blk.is_group_effect and blk.names.coef in post:
                post[blk.names.coef] = post[blk.names.coef] * 0.0
    return az.InferenceData(attrs=fit.attrs, posterior=post, constant_data=fit.constant_data)


def summarize(draws: np.ndarray, robust: bool) -> dict[str, np.ndarray]:
    """brms's ``posterior_summary`` per column: median and MAD (``robust``) or mean and sd,
    with the 95 % quantile interval."""
    lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
    if robust:
        med = np.median(draws, axis=0)
        return {"estimate__": med, "se__": MAD_SCALE * np.median(np.abs(draws - med), axis=0),
                "lower__": lo, "upper__": hi}
    return {"estimate__": draws.mean(axis=0), "se__": draws.std(axis=0, ddof=1),
            "lower__": lo, "upper__": hi}


def effect_kind(data: pd.DataFrame, variables: list[str]) -> str:
    numeric = [is_numeric(data[v]) for v in variables]
    if not numeric[0]:
        return "factor"
    if len(variables) == 1:
        return "numeric"
    return "surface" if numeric[1] else "by"


def conditional_effects(fit, effects: str | list[str] | None = None,
                        robust: bool = True) -> Effects:
    """brms's ``conditional_effects(fit, effects)`` (see the module doc); ``effects``: a
    variable (``"x"``), two joined by ``":"`` (``"x:f"``) or a list of them; default every
    main effect of the formula (:func:`default_effects`)."""
    from .predict import predict

    design = fit.design
    zeroed = without_group_effects(fit)
    return effects_over_grids(design, effects, robust,
                              lambda grid: predict(zeroed, newdata=grid, kind="epred",
                                                   design=design, allow_new_levels=True))


def effects_over_grids(design, effects: str | list[str] | None, robust: bool,
                       epred: Callable[[pd.DataFrame], np.ndarray]) -> Effects:
    """:func:`conditional_effects` of the response of ``design``, whose expected response
    without group-level effects on a grid is ``epred(grid)`` (draws × rows)."""
    data = design.data.drop(columns=[design.response], errors="ignore")
    if effects is None:
        effects = default_effects(design)
        if not effects:
            raise ValueError(f"the formula {design.formula!r} has no population-level effect "
                             "to show (brms: 'No valid effects detected'); name a column with "
                             "effects='x' to see the expected response over it")
    elif isinstance(effects, str):
        effects = [effects]
    ref = reference_row(design, data)
    out = Effects(ylabel=design.response, data=data)
    for effect in effects:
        variables = effect.split(":")
        if len(variables) > 2:
            raise ValueError(f"effect {effect!r}: conditional effects take one or two variables")
        if all(v in data for v in variables):
            variables.sort(key=lambda v: not is_numeric(data[v]))  # brms: numeric ones first
        grid = effect_grid(data, variables, ref)
        draws = epred(grid)
        if draws.ndim != 2:
            raise ValueError("conditional effects show one expected response per point; this "
                             "family's posterior_epred gives category probabilities: take "
                             "them from fit.posterior_epred(newdata=...)")
        cols = {v: grid[v].to_numpy() for v in variables}
        cols.update({f"effect{i + 1}__": grid[v].to_numpy() for i, v in enumerate(variables)})
        out.add(effect, pd.DataFrame({**cols, **summarize(draws, robust)}),
                effect_kind(data, variables))
    return out
