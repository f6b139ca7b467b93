"""Non-linear formulas in the model spec: the sites of each non-linear parameter and the mean
computed from their predictors.

brms gives each nlpar of ``bf(..., nl = TRUE)`` an uncentered design ``X_<nlpar>`` (its
intercept is an ordinary coefficient, ``b_<nlpar>_Intercept``), group-level and smooth terms
named ``sd_<group>__<nlpar>_<coef>`` / ``r_<group>__<nlpar>``, and computes ``mu`` from the
nlpars' predictors ``nlp_<nlpar>`` and the covariates with the formula's expression. Priors:

* ``"b_<nlpar>"`` sets every coefficient of that nlpar (brms's ``prior(..., nlpar =
  "<nlpar>")``), ``"b_<nlpar>_<coef>"`` one of them; the group-level and smooth keys are those
  of a distributional parameter (``"sd_<nlpar>"``, ``"sd_AY__ult_Intercept"``, …), with the
  family's ``sd`` default as brms.
* A coefficient prior may carry bounds, ``"normal(45, 10) lb=0"`` (brms's ``lb``/``ub`` of
  ``set_prior``): the coefficient is declared on ``(lb, ub)`` and its prior truncated there
  and renormalized, as brms's Stan code (``normal_lpdf(b | 45, 10) - normal_lccdf(0 | 45,
  10)``; :mod:`bayeszoo.models.bounded`).
* brms 2.18 refuses a non-linear model whose nlpar has no prior on its coefficients
  (``"Priors on population-level coefficients are required in non-linear models"``;
  ``validate_special_prior.btl``, removed in 2.20): so does :func:`check_nlpar_priors`, naming
  every such nlpar at once. (brms 2.18 lets an nlpar with a group-level term through, since
  that term's default ``sd`` prior counts as a prior of the nlpar; here only a coefficient
  prior does.)
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from bayeszoo.design import Design
from bayeszoo.models.priors import Prior, check_support

_BOUND = re.compile(r"\s+(lb|ub)\s*=\s*([^\s]+)\s*$")


def split_bounds(priors: dict | None) -> tuple[dict | None, dict[str, tuple]]:
    """``priors=`` without the bounds written after a prior (``"normal(45, 10) lb=0"``), and
    key -> ``(lb, ub)`` (``None`` where not given) for the keys that had them."""
    if not isinstance(priors, dict):
        return priors, {}
    out, bounds = {}, {}
    for key, value in priors.items():
        if not isinstance(value, str):
            out[key] = value
            continue
        found: dict[str, float] = {}
        text = value
        while (m := _BOUND.search(text)) is not None:
            if m.group(1) in found:
                raise ValueError(f"prior for {key!r}: {m.group(1)} given twice in {value!r}")
            try:
                found[m.group(1)] = float(m.group(2))
            except ValueError:
                raise ValueError(f"prior for {key!r}: cannot read the bound {m.group(0).strip()!r}"
                                 f" of {value!r}") from None
            text = text[:m.start()]
        out[key] = text
        if found:
            lb, ub = found.get("lb"), found.get("ub")
            if lb is not None and ub is not None and not lb < ub:
                raise ValueError(f"prior for {key!r}: lb={lb:g} must be below ub={ub:g}")
            bounds[key] = (lb, ub)
    return out, bounds


def nlpar_prior_keys(d: Design) -> set[str]:
    """The ``priors=`` keys of the coefficients of nlpar design ``d``."""
    return {f"b_{d.dpar}", *d.fixed_params}


def check_nlpar_priors(design: Design, given: set[str]) -> None:
    """``ValueError`` naming every nlpar none of whose coefficients has a prior in ``given``
    (brms 2.18's check, see the module doc)."""
    missing = [name for name, d in design.nlpars.items()
               if d.fixed_params and not (nlpar_prior_keys(d) & given)]
    if missing:
        example = ", ".join(f"'b_{m}': 'normal(0, 1)'" for m in missing)
        raise ValueError(f"priors on the coefficients of non-linear parameters are required "
                         f"(as in brms), but none were given for {missing}; e.g. "
                         f"priors={{{example}}}")


def check_bounds(bounds: dict[str, tuple], design: Design) -> None:
    """Bounds go only on nlpar coefficients (``ValueError`` otherwise)."""
    allowed = set().union(*(nlpar_prior_keys(d) for d in design.nlpars.values()))
    wrong = sorted(set(bounds) - allowed)
    if wrong:
        raise ValueError(f"bounds (lb=, ub=) are for the coefficients of non-linear parameters "
                         f"({', '.join(sorted(allowed)) or 'none in this model'}), not {wrong}")


def coefficient_prior(name: str, nlpar: str, parsed: dict[str, Prior],
                      bounds: dict[str, tuple]) -> tuple[Prior, tuple | None]:
    """The prior and bounds of coefficient ``name`` of ``nlpar``: its own key, else
    ``"b_<nlpar>"``, else flat."""
    key = name if name in parsed else f"b_{nlpar}" if f"b_{nlpar}" in parsed else None
    p = parsed[key] if key is not None else Prior("flat", ())
    p = check_support(name, p, "real")
    b = bounds.get(key) if key is not None else None
    if b is not None and p.family == "uniform":
        lo, hi = p.params
        if (b[0] is not None and b[0] >= hi) or (b[1] is not None and b[1] <= lo):
            raise ValueError(f"prior {p} for {name!r} puts no mass within its bounds {b}")
    return p, b


def describe(prior: Prior, bounds: tuple | None) -> str:
    """A prior with its bounds, as the fit reports it: ``"normal(45, 10) lb=0"``."""
    if bounds is None:
        return str(prior)
    parts = [str(prior)]
    parts += [f"{k}={v:g}" for k, v in zip(("lb", "ub"), bounds, strict=True) if v is not None]
    return " ".join(parts)


def nlpar_predictor(d: Design, parsed: dict[str, Prior], bounds: dict[str, tuple],
                    defaults: dict[str, Prior], used: dict[str, str], sites: list,
                    parameterization: str):
    """The :class:`~bayeszoo.models.spec.PredictorSpec` of nlpar design ``d``: every column of
    ``X`` a coefficient (no centering), grouped by prior into sites ``b_<nlpar>_<k>``, then
    its blocks as a distributional parameter's."""
    from bayeszoo.models.spec import PredictorSpec, Site, block_spec

    fixed_cols = list(range(len(d.column_names)))
    groups: list[tuple[str, list[int]]] = []
    keys: list[tuple[Prior, tuple | None]] = []
    for pos, name in enumerate(d.fixed_params):
        p, b = coefficient_prior(name, d.dpar, parsed, bounds)
        used[name] = describe(p, b)
        if (p, b) in keys:
            groups[keys.index((p, b))][1].append(pos)
        else:
            groups.append((f"b_{d.dpar}_{len(groups)}", [pos]))
            keys.append((p, b))
    for (site, members), (p, b) in zip(groups, keys, strict=True):
        sites.append(Site(site, p, (len(members),), "real", bounds=b))
    blocks = [block_spec(d, j, parsed, defaults, used, sites, parameterization, None)
              for j in range(len(d.blocks))]
    return PredictorSpec(dpar=d.dpar, link=None, intercept=None, fixed_cols=fixed_cols,
                         fixed_params=list(d.fixed_params), x_means=np.zeros(len(fixed_cols)),
                         fixed_groups=groups, blocks=blocks, nlpar=True)


def mu_values(expression: Any, nlpar_etas: dict[str, Any], covariates, ops) -> Any:
    """The expression at every row: ``nlpar_etas`` maps each nlpar to its predictor
    (``(..., n)``), ``covariates`` is ``(n, k)`` in the expression's covariate order."""
    values = dict(nlpar_etas)
    for j, name in enumerate(expression.covariates):
        values[name] = covariates[:, j]
    return expression.evaluate(values, ops)


def prior_text(value: Any) -> str:
    """A prior given to ``priors=`` as the fit records it, with its bounds
    (``"normal(45, 10) lb=0"``)."""
    from bayeszoo.models.priors import parse_prior

    rest, bounds = split_bounds({"_": value})
    return describe(parse_prior(rest["_"]), bounds.get("_"))


def _bound_text(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def nlpar_rows(rows: Any, d: Design, bounds: dict[str, tuple]) -> None:
    """The prior-table rows of nlpar design ``d``'s coefficients
    (:class:`bayeszoo.models.prior_table.Rows`, under ``dpar`` = the nlpar's name): brms's
    class ``b`` row of the nlpar, then one per coefficient, each with the bounds given."""
    lb, ub = bounds.get(f"b_{d.dpar}", (None, None))
    rows.add((f"b_{d.dpar}",), None, "b", dpar=d.dpar, lb=_bound_text(lb), ub=_bound_text(ub))
    for name, col in zip(d.fixed_params, d.column_names, strict=True):
        lb, ub = bounds.get(name, (None, None))
        rows.add((name,), None, "b", coef=col, dpar=d.dpar, lb=_bound_text(lb),
                 ub=_bound_text(ub))
