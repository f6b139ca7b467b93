"""brms's autoregressive residuals ``ar(time =, gr =, p =)`` in the model: which designs have
them, their lag structure and their part of the mean, the same formula for NumPy, JAX and
PyTensor arrays (:mod:`bayeszoo.formula.ar_terms` for the term).

brms 2.18 (``R/stan-autocor.R``, Gaussian and Student-t without ``cov = TRUE``) adds
``Err[n, 1:Kar] * ar`` to ``mu[n]``, ``Err[n, i] = y[n - i] - mu[n - i]`` with ``mu`` before
its autoregressive part, lag ``i`` taken within the series; :func:`ar_effect` is that sum.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bayeszoo.design import Design

#: the families whose mean takes brms's residual autoregressive form
AR_FAMILIES = ("gaussian", "student")
#: the site (and posterior name) of the autoregressive coefficients, brms's ``ar``
AR_SITE = "ar"


def ar_state(design: Design) -> Any | None:
    """The fitted ``ar()`` term of ``design``'s mean formula, ``None`` without one;
    ``ValueError`` for two of them."""
    found = [st for st in design.term_states if st.autocorrelation]
    if len(found) > 1:
        raise ValueError(f"{[st.text for st in found]}: give one ar() term")
    return found[0] if found else None


def check_family(design: Design, family_name: str) -> None:
    """``ValueError`` when ``design`` has ``ar()`` and the family is not one whose residuals
    brms models that way."""
    st = ar_state(design)
    if st is not None and family_name not in AR_FAMILIES:
        raise ValueError(f"{st.text}: autoregressive terms are supported for the gaussian and "
                         f"student families, not {family_name}")


def design_lags(design: Design) -> np.ndarray | None:
    """``(n, p)`` rows of each row's lags within its series (``-1`` where none), ``None`` for
    a design without ``ar()``."""
    from bayeszoo.formula.ar_terms import lag_rows

    st = ar_state(design)
    if st is None:
        return None
    if design.data is None:
        raise ValueError(f"{st.text}: the design keeps no data frame to order the series by")
    return lag_rows(st, design.data)


def ar_effect(ar, y, eta, lags: np.ndarray):
    """``Σ_i ar[..., i] · (y[lag_i] - eta[..., lag_i])`` per row (0 for a missing lag):
    ``ar`` ``(..., p)``, ``eta`` ``(..., n)`` in NumPy, JAX or PyTensor, ``lags`` ``(n, p)``
    (NumPy, or JAX when a compiled model takes it as an argument)."""
    n, p = lags.shape
    has = lags >= 0
    flat = (lags * has).reshape(-1)
    has = has.astype(float)
    resid = y - eta
    err = resid[..., flat].reshape((*resid.shape[:-1], n, p)) * has
    return (err * ar[..., None, :]).sum(axis=-1)
