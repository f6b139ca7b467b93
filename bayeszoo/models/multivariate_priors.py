"""brms's ``get_prior`` of a multivariate model (``mvbind(...) ~ ...`` or ``mvbf(...)``).

Each response's rows are those of its univariate model (:func:`bayeszoo.get_prior`) with
``resp`` set; brms lists beside them, with an empty ``resp``: the class rows ``b`` and
``Intercept`` (priors for every response), ``cor`` with ``lkj(1)`` and one ``cor`` row per
grouping factor with correlated coefficients (within a term or across responses through an
ID), and ``rescor`` with ``lkj(1)`` when the residuals are correlated. Rows are in brms's order
``(resp, dpar, nlpar, class, group, coef)``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from bayeszoo.formula.multivariate import MultivariateFormula
from bayeszoo.models.multivariate import multivariate_spec, response_families, split_priors
from bayeszoo.models.prior_table import COLUMNS, GET_PRIOR_ORDER, brms_prior_text
from bayeszoo.models.priors import parse_prior


def _row(prior: str, class_: str, group: str = "", source: str = "default") -> dict[str, str]:
    return {"prior": prior, "class": class_, "coef": "", "group": group, "resp": "",
            "dpar": "", "nlpar": "", "lb": "", "ub": "", "source": source}


def multivariate_get_prior(formula: MultivariateFormula, data: pd.DataFrame,
                           family: Any = None, priors: dict | None = None,
                           na_action: str = "raise") -> pd.DataFrame:
    """brms's ``get_prior`` of a multivariate formula (see the module doc)."""
    from bayeszoo.models.prior_table import get_prior

    mspec = multivariate_spec(formula, data, family, priors, na_action)
    families = response_families(formula, family)
    per, joint = split_priors(priors, mspec.responses, list(mspec.designs), families)
    given = dict(priors or {})
    rows = [_row(brms_prior_text(parse_prior(given["b"])) if "b" in given else "", "b",
                 source="user" if "b" in given else "default"),
            _row(brms_prior_text(parse_prior(given["Intercept"]))
                 if "Intercept" in given else "", "Intercept",
                 source="user" if "Intercept" in given else "default")]
    cor_groups: dict[str, None] = {}
    frames = []
    for part, fam, p in zip(formula.parts, families, per, strict=True):
        t = get_prior(part.as_bf(), data, fam, p, na_action)
        cor_groups.update({g: None for g in t.loc[(t["class"] == "cor")
                                                  & (t["group"] != ""), "group"]})
        t = t[t["class"] != "cor"].copy()
        t["resp"] = part.response
        frames.append(t)
    cor_groups.update({g.group: None for g in mspec.linked})
    if cor_groups:
        rows.append(_row(brms_prior_text(parse_prior(joint["cor"])) if "cor" in joint
                         else "lkj(1)", "cor", source="user" if "cor" in joint else "default"))
        rows += [_row(str(parse_prior(joint[f"cor_{g}"])) if f"cor_{g}" in joint else "", "cor",
                      g, "user" if f"cor_{g}" in joint else "default") for g in cor_groups]
    if mspec.rescor is not None:
        rows.append(_row(str(mspec.site(mspec.rescor).prior), "rescor",
                         source="user" if "rescor" in joint else "default"))
    df = pd.concat([pd.DataFrame(rows, columns=COLUMNS), *frames], ignore_index=True)
    keys = pd.DataFrame({c: df[c].str.lower() for c in GET_PRIOR_ORDER})
    return df.loc[keys.sort_values(GET_PRIOR_ORDER, kind="stable").index].reset_index(drop=True)
