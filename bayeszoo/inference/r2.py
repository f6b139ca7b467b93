"""brms's ``bayes_R2``: the Bayesian R² of Gelman, Goodrich, Gabry & Vehtari (2019), "R-squared
for Bayesian regression models", The American Statistician 73(3).

Per posterior draw ``s``, with ``ypred_s`` the expected response of every row
(``posterior_epred``) and ``e_s = y - ypred_s``::

    R²_s = var(ypred_s) / (var(ypred_s) + var(e_s))

(variances over the rows, ``n - 1`` in the denominator), for every family alike: brms 2.18's
``.bayes_R2`` (``R/bayes_R2.R``) takes the residual variance from ``y - ypred``, not from the
family's modelled variance. The draws are summarized as ``posterior_summary``: ``Estimate``,
``Est.Error``, ``Q2.5``, ``Q97.5`` in a row named ``R2``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .effects import summary_frame


def bayes_r2_draws(y: np.ndarray, epred: np.ndarray) -> np.ndarray:
    """R² of each draw: ``epred`` is ``draws × rows``, ``y`` the observed response;
    ``ValueError`` for category probabilities (``draws × rows × categories``)."""
    ypred = np.asarray(epred, dtype=float)
    if ypred.ndim != 2:
        raise ValueError("bayes_R2 needs one expected response per row; this family's "
                         "posterior_epred gives category probabilities (draws × rows × "
                         "categories)")
    e = np.asarray(y, dtype=float)[None, :] - ypred
    var_ypred = np.var(ypred, axis=1, ddof=1)
    var_e = np.var(e, axis=1, ddof=1)
    return var_ypred / (var_ypred + var_e)


def bayes_r2(y: np.ndarray, epred: np.ndarray) -> pd.DataFrame:
    """brms's ``bayes_R2(fit)``: the summary of :func:`bayes_r2_draws`, one row ``R2``."""
    return summary_frame(bayes_r2_draws(y, epred)[:, None], ["R2"])
