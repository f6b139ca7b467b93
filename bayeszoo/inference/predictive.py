"""brms's ``posterior_predict``, ``posterior_epred`` and ``posterior_linpred`` of a fit: draws ×
rows, with ``re_formula``, ``allow_new_levels``, ``sample_new_levels`` and ``ndraws``.

``re_formula`` says which group-level effects enter: :data:`ALL` (the default; brms's
``re_formula = NULL``) every one, ``None`` none (brms's ``re_formula = NA`` or ``~ 0``: the
population-level prediction; smooths and Gaussian processes stay, as in brms), or a formula
string such as ``"~ (1 | county)"`` keeping the grouping factors its terms name (all
coefficients of each; ``(1 | a/b)`` names ``a`` and ``a:b``). New levels are drawn as
:mod:`bayeszoo.inference.new_levels` describes.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import is_group_effect_kind
from bayeszoo.families import censoring

KINDS = ("pp", "epred", "linpred")


class AllGroupEffects:
    """The type of :data:`ALL`: every group-level effect enters the prediction."""

    def __repr__(self) -> str:
        return "ALL"


#: ``re_formula``'s default: every group-level effect (brms's ``re_formula = NULL``).
ALL = AllGroupEffects()


def kept_groups(re_formula: Any, fitted: list[str]) -> set[str] | None:
    """The grouping factors whose effects ``re_formula`` keeps (``None``: all); ``fitted``: the
    fit's grouping factors, for the error naming one it does not have."""
    from bayeszoo.formula.parse import parse_formula

    if re_formula is ALL:
        return None
    if re_formula is None:
        return set()
    if not isinstance(re_formula, str) or not re_formula.strip().startswith("~"):
        raise TypeError(f"re_formula must be None (no group-level effects), a one-sided formula "
                        f"string such as '~ (1 | g)', or left out (all), got {re_formula!r}")
    keep: set[str] = set()
    for term in parse_formula("y " + re_formula.strip()).terms:
        keep.update(term.group_names())
    unknown = sorted(keep - set(fitted))
    if unknown:
        raise ValueError(f"re_formula {re_formula!r} names grouping factor(s) {unknown} the fit "
                         f"does not have; its grouping factors are {sorted(set(fitted)) or 'none'}")
    return keep


def flat_draws(post, ndraws: int | None, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every posterior variable as ``(1, draws, ...)``; ``ndraws`` of them chosen at random
    without replacement (brms's ``ndraws``), in their order, when given."""
    names = list(post.data_vars) if hasattr(post, "data_vars") else list(post)
    out = {}
    for k in names:
        v = np.asarray(getattr(post[k], "values", post[k]), dtype=float)
        out[str(k)] = v.reshape(1, -1, *v.shape[2:])
    total = next(iter(out.values())).shape[1]
    if ndraws is None:
        return out
    if isinstance(ndraws, bool) or not isinstance(ndraws, int | np.integer) \
            or not 1 <= ndraws <= total:
        raise ValueError(f"ndraws must be a whole number from 1 to the fit's {total} draws, "
                         f"got {ndraws!r}")
    pick = np.sort(rng.choice(total, size=int(ndraws), replace=False))
    return {k: v[:, pick] for k, v in out.items()}


def block_coefs(fit, block: dict[str, Any]) -> list[str] | None:
    """The coefficients of a correlated block (``["Intercept", "Days"]``), ``None`` for a block
    of one coefficient."""
    if len(block["dims"]) < 2:
        return None
    return [str(c) for c in fit.posterior[block["coef_name"]].coords[block["dims"][1]].values]


def with_new_levels(fit, newdata: pd.DataFrame, arrays: list, post: dict[str, np.ndarray],
                    info: dict, keep: set[str] | None, method: str,
                    rng: np.random.Generator) -> list:
    """``arrays`` with the rows of new levels pointing at new coefficients, which are appended
    to each group-level coefficient array in ``post`` (changed in place) as ``method`` draws
    them."""
    from .new_levels import (
        groupings,
        new_level_codes,
        new_level_coefficients,
        old_level_choices,
        placeholder_data,
    )
    from .predict import design_from_idata, stored_data, stored_states

    groups = groupings(stored_states(fit))
    codes = {name: new_level_codes(g, newdata) for name, g in groups.items()
             if keep is None or name in keep}
    codes = {name: c for name, c in codes.items() if c[1] > 0}
    if not codes:
        return arrays
    fitted = stored_data(fit)
    if fitted is None:
        raise ValueError("this fit stores no data frame, so the covariates of new levels' "
                         "varying slopes cannot be evaluated; fit it with bayeszoo.sample")
    rows = np.any([c[0] >= 0 for c in codes.values()], axis=0)
    variables = sorted({v for g in groups.values() for v in g.variables})
    weights_design = design_from_idata(fit, placeholder_data(newdata, fitted, rows, variables))
    n_draws = next(iter(post.values())).shape[1]
    choices = {} if method == "gaussian" else {
        name: old_level_choices(method, n_draws, len(groups[name].labels), n_new, rng)
        for name, (_, n_new) in codes.items()}
    out = []
    for pinfo, arr, pdesign in zip(info["predictors"], arrays, weights_design.predictors,
                                   strict=True):
        blocks = list(arr.blocks)
        for j, blk in enumerate(pinfo["blocks"]):
            if not is_group_effect_kind(blk["kind"]) or blk["name"] not in codes:
                continue
            code, n_new = codes[blk["name"]]
            extra = new_level_coefficients(post, blk, block_coefs(fit, blk), pinfo["dpar"],
                                           method, n_new, choices.get(blk["name"]), rng)
            r = post[blk["coef_name"]]
            post[blk["coef_name"]] = np.concatenate([r, extra[None]], axis=2)
            new = code >= 0
            full = np.asarray(pdesign.blocks[j].weights, dtype=float)
            mask = new if full.ndim == 1 else new[:, None]
            blocks[j] = blocks[j]._replace(index=np.where(new, r.shape[2] + code, blocks[j].index),
                                           weights=np.where(mask, full, blocks[j].weights))
        out.append(arr._replace(blocks=tuple(blocks)))
    return out


def left_out_levels_known(fit, newdata: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    """``newdata`` with the new levels of grouping factors that ``re_formula`` leaves out set to
    a level the fit saw (their effects are weighted 0 anyway), so that, as in brms, only the
    kept factors need ``allow_new_levels``. Variables of kept factors are left as they are."""
    from .new_levels import groupings, new_level_codes, placeholder_data
    from .predict import stored_data, stored_states

    groups = groupings(stored_states(fit))
    left_out = [g for name, g in groups.items() if name not in keep]
    fitted = stored_data(fit)
    if not left_out or fitted is None:
        return newdata
    kept_variables = {v for name, g in groups.items() if name in keep for v in g.variables}
    absent = sorted({v for g in left_out for v in g.variables} - kept_variables
                    - set(newdata.columns))
    if absent:  # as brms's re_formula = NA, the left-out factors need no column
        first = np.zeros(len(newdata), dtype=np.int64)
        newdata = newdata.assign(**{v: fitted[v].iloc[first].set_axis(newdata.index)
                                    for v in absent})
    rows = np.any([new_level_codes(g, newdata)[0] >= 0 for g in left_out], axis=0)
    variables = sorted({v for g in left_out for v in g.variables} - kept_variables)
    if not rows.any() or not variables:
        return newdata
    return placeholder_data(newdata, fitted, rows, variables)


def without_groups(arrays: list, info: dict, keep: set[str] | None) -> list:
    """``arrays`` with the group-level blocks of grouping factors not in ``keep`` weighted 0."""
    if keep is None:
        return arrays
    out = []
    for pinfo, arr in zip(info["predictors"], arrays, strict=True):
        blocks = [b._replace(weights=np.zeros_like(b.weights))
                  if is_group_effect_kind(p["kind"]) and p["name"] not in keep else b
                  for p, b in zip(pinfo["blocks"], arr.blocks, strict=True)]
        out.append(arr._replace(blocks=tuple(blocks)))
    return out


def posterior_draws(fit, kind: str, newdata: pd.DataFrame | None = None, re_formula: Any = ALL,
                    allow_new_levels: bool = False, sample_new_levels: str = "uncertainty",
                    ndraws: int | None = None, seed: int | None = None,
                    transform: bool = False, dpar: str | None = None) -> np.ndarray:
    """brms's ``posterior_predict`` (``kind="pp"``), ``posterior_epred`` (``"epred"``) and
    ``posterior_linpred`` (``"linpred"``; ``transform=True`` applies the inverse link) of
    ``fit``: ``(draws, rows)``, on its own rows or on ``newdata``. ``seed`` drives the choice
    of ``ndraws``, the new levels, the draws of an exact GP at new covariate points and the
    responses of ``"pp"``. ``dpar``: an auxiliary parameter instead of the mean (``"epred"``,
    ``"linpred"``), as :func:`bayeszoo.inference.predict.predict`."""
    from bayeszoo.design import design_arrays

    from .new_levels import SAMPLE_NEW_LEVELS
    from .posterior import family_parameters
    from .predict import (
        check_newdata,
        design_from_idata,
        dpar_draws,
        fit_family,
        stored_additions,
        stored_ar,
        stored_arrays,
        with_predictive_coefficients,
    )

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if sample_new_levels not in SAMPLE_NEW_LEVELS:
        raise ValueError(f"sample_new_levels must be one of {', '.join(SAMPLE_NEW_LEVELS)} "
                         f"(brms's), got {sample_new_levels!r}")
    rng = np.random.default_rng(seed)
    info = json.loads(fit.attrs["design"])
    fitted = [b["name"] for p in info["predictors"] for b in p["blocks"]
              if is_group_effect_kind(b["kind"])]
    keep = kept_groups(re_formula, fitted)
    post = fit.posterior
    ar = stored_ar(fit, newdata)
    if newdata is None:
        arrays, additions = stored_arrays(fit), stored_additions(fit)
    else:
        check_newdata(newdata)
        if keep is not None and not allow_new_levels:
            newdata = left_out_levels_known(fit, newdata, keep)
        nd = design_from_idata(fit, newdata, allow_new_levels)
        arrays, additions = [design_arrays(d) for d in nd.predictors], nd.additions
        post = with_predictive_coefficients(post, nd, int(rng.integers(2**32)))
    post = flat_draws(post, ndraws, rng)
    if newdata is not None and allow_new_levels:
        arrays = with_new_levels(fit, newdata, arrays, post, info, keep, sample_new_levels, rng)
    arrays = without_groups(arrays, info, keep)
    family = fit_family(fit)
    if dpar is not None:
        if kind == "pp":
            raise ValueError("dpar= goes with posterior_epred or posterior_linpred; "
                             "posterior_predict draws the response")
        return dpar_draws(post, info, arrays, family, additions, dpar, kind)
    if newdata is not None and ar is None:
        from .arma_forecast import continue_series, is_arma_fit

        if is_arma_fit(fit):
            out = continue_series(fit, post, info, arrays, additions, newdata, nd.y, family,
                                  kind, rng)
            return family.link.inverse_np(out) if kind == "linpred" and transform else out
    eta, aux = family_parameters(post, info, arrays, family, additions, ar)
    eta = eta.reshape(-1, eta.shape[-1])
    if kind == "linpred":
        return family.link.inverse_np(eta) if transform else eta
    aux = {k: v.reshape(eta.shape[0], *v.shape[2:]) for k, v in aux.items()}
    if kind == "epred":
        return family.mean(eta, aux, additions)
    return censoring.draw(family, rng, eta, aux, additions)
