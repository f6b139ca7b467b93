"""brms's prior tables: ``get_prior`` (every parameter class of a model with its default, before
fitting) and ``prior_summary`` (the priors a fit used).

Both are DataFrames with brms 2.18's columns ``prior, class, coef, group, resp, dpar, nlpar,
lb, ub, source`` and its conventions: a class-level row (empty ``coef``) carries the prior its
members share, the rows of its members (``b`` ``floor``; ``sd`` ``county``; ``sd``
``Intercept`` group ``county``; ``sds`` ``s(times, bs = "cr", k = 20)``) an empty prior unless
one was given for them, a flat prior is empty, a positive parameter's half prior is written with
its location (``student_t(3, 0, 2.5)``), ``lb = "0"`` on the class rows of scales and on
positive family parameters (``"1"`` for Student-t's ``nu``). ``source`` is ``"user"`` for a
prior given in ``priors=`` and ``"default"`` otherwise.

``get_prior`` rows are in brms's order ``(resp, dpar, nlpar, class, group, coef)`` and list
correlations as class ``cor`` with ``lkj(1)``; ``prior_summary`` rows are in the order brms
stores a fit's priors, ``(class, group, resp, dpar, nlpar, coef)``, with correlations as
class ``L`` with ``lkj_corr_cholesky(1)``. A monotonic effect's ``bsp_moperiod`` is listed as brms
lists it, class ``b`` coef ``moperiod``, and its simplex as class ``simo`` coef ``moperiod1``
with ``dirichlet(1)``; ``ar()``'s coefficients as class ``ar`` with an empty (flat) prior.
Blocks other than group-level effects, smooths and monotonic effects
(Gaussian processes, networks) are listed under the class and coefficient of their parameter
names (``sdgp`` ``gptimes``), a layout not checked against brms.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from bayeszoo.design import Design
from bayeszoo.models.priors import Prior, parse_prior

COLUMNS = ["prior", "class", "coef", "group", "resp", "dpar", "nlpar", "lb", "ub", "source"]
GET_PRIOR_ORDER = ["resp", "dpar", "nlpar", "class", "group", "coef"]
SUMMARY_ORDER = ["class", "group", "resp", "dpar", "nlpar", "coef"]
HALF = {"half_normal": "normal", "half_student_t": "student_t", "half_cauchy": "cauchy"}


def brms_prior_text(prior: Prior | None, correlation_class: str = "cor") -> str:
    """A prior as brms writes it: ``""`` for flat (or none), a half prior with its location 0
    (``student_t(3, 0, 2.5)``), an LKJ prior as ``lkj(eta)`` (class ``cor``) or
    ``lkj_corr_cholesky(eta)`` (class ``L``)."""
    if prior is None or prior.family == "flat":
        return ""
    if prior.family in HALF:
        *head, scale = prior.params
        return str(Prior(HALF[prior.family], (*head, 0.0, scale)))
    if prior.family == "lkj" and correlation_class == "L":
        return str(prior).replace("lkj(", "lkj_corr_cholesky(", 1)
    return str(prior)


def r_deparse(text: str) -> str:
    """A term as R deparses it: ``s(times, bs="cr",k=20)`` -> ``s(times, bs = "cr", k = 20)``
    (brms's ``sds`` coefficient names)."""
    text = text.replace("'", '"')
    text = re.sub(r"\s*(?<![=!<>])=(?!=)\s*", " = ", text)
    return re.sub(r"\s*,\s*", ", ", text)


def smooth_labels(design: Design) -> dict[str, str]:
    """mgcv label of each smooth term of ``design`` (``s(times)``) -> the term as written,
    deparsed the R way."""
    return {sm.term: r_deparse(sm.text) for sm in design.smooths if sm.text}


class Rows:
    """The rows of a prior table as they are added, each once."""

    def __init__(self, parsed: dict[str, Prior], correlation_class: str) -> None:
        self.parsed = parsed
        self.correlation_class = correlation_class
        self.rows: dict[tuple[str, ...], dict[str, str]] = {}

    def add(self, keys: tuple[str | None, ...], default: Prior | None, class_: str,
            coef: str = "", group: str = "", dpar: str = "", lb: str = "",
            ub: str = "") -> None:
        """One row: its prior is the first of ``keys`` given in ``priors=`` (source
        ``"user"``), else ``default``."""
        given = next((self.parsed[k] for k in keys if k is not None and k in self.parsed), None)
        prior = given if given is not None else default
        ident = (class_, coef, group, dpar)
        if ident in self.rows:
            return
        self.rows[ident] = {"prior": brms_prior_text(prior, self.correlation_class),
                            "class": class_, "coef": coef, "group": group, "resp": "",
                            "dpar": dpar, "nlpar": "", "lb": lb, "ub": ub,
                            "source": "user" if given is not None else "default"}

    def frame(self, order: list[str]) -> pd.DataFrame:
        df = pd.DataFrame(list(self.rows.values()), columns=COLUMNS)
        keys = {c: df[c].str.lower() for c in order}
        index = pd.DataFrame(keys).sort_values(order, kind="stable").index
        return df.loc[index].reset_index(drop=True)


def block_rows(rows: Rows, d: Design, defaults: dict[str, Prior], labels: dict[str, str],
               dpar: str) -> None:
    """The rows of the scale parameters of ``d``'s blocks (and of draws with a prior of their
    own: a monotonic effect's simplex)."""
    from bayeszoo.models.spec import block_params

    tag = f"{dpar}_" if dpar else ""
    for blk in d.blocks:
        for sp in block_params(blk):
            keys = sp.prior_keys
            cls, _, coef = sp.name.partition("_")
            if cls in ("bsp", "bcs"):  # brms lists mo() and cs() coefficients in class b
                rows.add(("b",) if not dpar else (), None, "b", dpar=dpar)
                rows.add(keys[:1], None, "b", coef=coef.removeprefix(tag), dpar=dpar)
            elif sp.support == "correlation":
                cls = rows.correlation_class
                rows.add(("cor", "L"), parse_prior("lkj(1)"), cls, dpar=dpar)
                rows.add(keys[:2], None, cls, group=blk.name, dpar=dpar)
            elif blk.is_group_effect:
                rows.add((keys[-1],), defaults["sd"], "sd", dpar=dpar, lb="0")
                rows.add(tuple(k for k in keys[1:-1] if k.startswith("sd_")), None, "sd",
                         group=blk.name, dpar=dpar)
                coef = sp.name.split("__", 1)[1].removeprefix(tag)
                rows.add(keys[:1], None, "sd", coef=coef, group=blk.name, dpar=dpar)
            elif blk.is_smooth:
                rows.add((keys[-1],), defaults["sd"], "sds", dpar=dpar, lb="0")
                rows.add(keys[:-1], None, "sds", coef=labels.get(blk.term, blk.term),
                         dpar=dpar)
            else:
                default = defaults["sd"] if sp.default is None else parse_prior(sp.default)
                rows.add(keys, default, cls, coef=coef.removeprefix(tag), dpar=dpar)


def prior_rows(design: Design, family: Any, priors: dict[str, Any] | None,
               correlation_class: str) -> Rows:
    """Every row of ``design``'s prior table with ``family``'s brms defaults and ``priors``
    (validated as :func:`bayeszoo.models.spec.model_spec` does)."""
    import numpy as np

    from bayeszoo.models.nonlinear import nlpar_rows, split_bounds
    from bayeszoo.models.spec import model_spec

    spec = model_spec(design, priors, family=family, require_nlpar_priors=False)
    family = spec.family
    priors, bounds = split_bounds(priors)
    parsed = {k: parse_prior(v) for k, v in (priors or {}).items()}
    offset = design.offset if design.offset is not None and np.any(design.offset) else None
    defaults = {k: parse_prior(v) for k, v in family.default_priors(
        design.y, dpars=tuple(design.dpars), offset=offset).items()}
    rows = Rows(parsed, correlation_class)
    labels = smooth_labels(design)
    for d in design.predictors:
        dpar = d.dpar or ""
        labels_d = labels | smooth_labels(d)
        if dpar in design.nlpars:  # listed under dpar here, moved to nlpar below
            nlpar_rows(rows, d, bounds)
            block_rows(rows, d, defaults, labels_d, dpar)
            continue
        cols = [(p, c) for p, c in zip(d.fixed_params, d.column_names, strict=True)
                if c != "Intercept"]
        if cols:
            rows.add(("b",) if not dpar else (), None, "b", dpar=dpar)
        for name, col in cols:
            keys = (name, "bs" if name.startswith("bs_") and not dpar else None)
            rows.add(keys, None, "b", coef=col, dpar=dpar)
        if d.has_intercept:
            site = "Intercept" if not dpar else f"Intercept_{dpar}"
            bname = d.fixed_params[d.column_names.index("Intercept")]
            rows.add((site, bname), defaults[site], "Intercept", dpar=dpar)
        elif d.dpar is None and spec.mu.thresholds is not None:  # brms: one row per threshold
            rows.add(("Intercept",), defaults["Intercept"], "Intercept")
            for k in range(spec.site(spec.mu.thresholds).shape[0]):
                rows.add((), None, "Intercept", coef=str(k + 1))
        block_rows(rows, d, defaults, labels_d, dpar)
    if spec.ar is not None:  # brms: class ar, flat (bounded to (-1, 1) in its Stan code)
        rows.add((spec.ar,), None, "ar")
    if spec.ma is not None:  # brms: class ma, as ar
        rows.add((spec.ma,), None, "ma")
    for a in family.aux_parameters(tuple(design.additions)):
        if a.name not in design.dpars:
            rows.add((a.name,), defaults[a.name], a.name,
                     lb="" if a.lower == -np.inf else f"{a.lower:g}",
                     ub="" if a.upper == np.inf else f"{a.upper:g}")
    for row in rows.rows.values():
        if row["dpar"] in design.nlpars:
            row["nlpar"], row["dpar"] = row["dpar"], ""
    return rows


def get_prior(formula: Any, data: pd.DataFrame, family: Any = None, priors: dict | None = None,
              na_action: str = "raise", knots: dict[str, Any] | None = None) -> pd.DataFrame:
    """brms's ``get_prior(formula, data, family)``: every parameter class of the model with its
    default prior, one row each (see the module doc); ``priors=`` as :func:`bayeszoo.sample`
    takes them, shown with source ``"user"``.

    Parameters
    ----------
    formula : str, BrmsFormula or MultivariateFormula
        The model's formula (a multivariate one:
        :func:`bayeszoo.models.multivariate_priors.multivariate_get_prior`).
    data : pandas.DataFrame
        Its data.
    family : str or Family, optional
        The family (default gaussian).
    priors : dict, optional
        Priors as :func:`bayeszoo.sample` takes them.
    na_action, knots
        As :func:`bayeszoo.design`.

    Returns
    -------
    pandas.DataFrame
        brms 2.18's columns ``prior, class, coef, group, resp, dpar, nlpar, lb, ub, source``.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> table = bz.get_prior("Reaction ~ Days + (Days | Subject)", bz.datasets.load_sleepstudy())
    >>> table.loc[table["class"] == "Intercept", "prior"].item()  # brms's default
    'student_t(3, 288.7, 59.3)'
    """
    from bayeszoo.formula import as_design
    from bayeszoo.formula.multivariate import is_multivariate

    if is_multivariate(formula):
        from bayeszoo.models.multivariate_priors import multivariate_get_prior

        return multivariate_get_prior(formula, data, family, priors, na_action)
    design = as_design(formula, data, family, na_action, knots)
    rows = prior_rows(design, family, priors, "cor")
    if design.family.category_predictors:  # brms's rows setting every mu<c> at once
        rows.add(("b",), None, "b")
        rows.add(("Intercept",), None, "Intercept")
    return rows.frame(GET_PRIOR_ORDER)


def prior_summary(design: Design, family: Any, priors: dict[str, Any] | None) -> pd.DataFrame:
    """brms's ``prior_summary(fit, all = TRUE)``: the priors a fit of ``design`` with
    ``priors=`` used (see the module doc)."""
    return prior_rows(design, family, priors, "L").frame(SUMMARY_ORDER)
