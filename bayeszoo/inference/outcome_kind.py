"""Which posterior predictive check suits a fit's outcome, for ``fit.pp_check()`` and the report.

* categories (an ordinal family, a categorical one, any family whose expected response has a
  category axis, brms's ``posterior_epred`` of draws × rows × categories): bars of the category
  frequencies;
* a binary outcome (``family.binary``): bars of the counts of 0 and 1;
* counts (any other ``family.discrete``: Poisson, negative binomial, binomial, their
  zero-inflated and hurdle versions): a hanging rootogram;
* a right-censored response (``cens()`` with the codes 0 and 1): Kaplan–Meier against the
  posterior survival curve (:mod:`bayeszoo.inference.survival`);
* anything else: the density overlay.
"""

from __future__ import annotations

import numpy as np

__all__ = ["category_count", "category_frequencies", "category_labels", "check_kind"]


def category_count(idata) -> int | None:
    """``K`` when the fit's expected response is a probability per category (its
    ``posterior_epred`` has a last axis of ``K`` categories), else ``None``."""
    from .predict import fit_family, predict

    family = fit_family(idata)
    if not family.discrete or family.binary:
        return None
    one = idata.isel(chain=[0], draw=[0], groups="posterior", inplace=False)
    epred = np.asarray(predict(one, kind="epred"))
    return int(epred.shape[-1]) if epred.ndim == 3 else None


def category_labels(idata, k: int) -> list[str]:
    """The response's categories in order (a pandas Categorical's, from the stored data), else
    ``1..k``."""
    import pandas as pd

    from .predict import stored_data

    try:
        data = stored_data(idata)
    except (ValueError, KeyError):
        data = None
    column = None if data is None else data.get(str(idata.attrs.get("response")))
    if column is not None and isinstance(column.dtype, pd.CategoricalDtype) and \
            len(column.cat.categories) == k:
        return [str(c) for c in column.cat.categories]
    return [str(i) for i in range(1, k + 1)]


def category_frequencies(y: np.ndarray, yrep: np.ndarray,
                         k: int) -> tuple[np.ndarray, np.ndarray]:
    """How often each category ``1..k`` occurs: in the observed ``y`` (``k``) and in each
    replicated data set of ``yrep`` (draws × rows, giving draws × ``k``)."""
    codes = np.asarray(y, dtype=float).round().astype(np.int64) - 1
    reps = np.asarray(yrep, dtype=float).round().astype(np.int64) - 1
    observed = np.bincount(codes, minlength=k)[:k]
    offsets = np.arange(reps.shape[0])[:, None] * k
    replicated = np.bincount((reps + offsets).ravel(), minlength=reps.shape[0] * k)
    return observed, replicated.reshape(-1, k)


def check_kind(idata) -> str:
    """The ``pp_check`` kind that suits the fit (module doc): ``"bars"``, ``"rootogram"``,
    ``"km_overlay"`` or ``"dens_overlay"``."""
    from .predict import fit_family
    from .survival import right_censored

    family = fit_family(idata)
    if family.binary or category_count(idata) is not None:
        return "bars"
    if family.discrete:
        return "rootogram"
    if right_censored(idata) is not None:
        return "km_overlay"
    return "dens_overlay"
