"""Coefficients in ``mgcv::bam``'s basis: ``coef(bam_fit)`` and their standard errors.

``bam`` sets its smooths up with ``smoothCon(sparse.cons = -1)``: rather than absorbing the
sum-to-zero constraint by a QR null space (``gam``'s basis, :meth:`RemlFit.mgcv_coef`), it
drops the raw basis column of least variance on the data and subtracts the column means from
the rest (mgcv's "sweep and drop" constraint, class ``sweepDrop``). For a smooth whose
penalty leaves constants unpenalized and whose basis represents them (``tp``, ``cr``, ``cc``,
``ps``) both bases span the same centred functions with the same penalty, so the fit is the
same and only the coordinates differ: ``X_gam = X_bam·A`` on the data, ``beta_bam =
A·beta_gam``, ``Vp_bam = A·Vp_gam·A'``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeszoo.smooths.construct import raw_from_state
from bayeszoo.smooths.state import decode_optional

from .result import RemlFit

__all__ = ["bam_coef", "sweep_drop_map"]

#: largest misfit of ``X_bam·A`` to ``X_gam`` relative to ``X_gam``'s scale
SPAN_TOL = 1e-8


def sweep_drop_map(X_raw: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``A`` with ``X_raw·Z = X_bam·A``: ``X_bam`` the raw basis without its least variable
    column (the first such, as ``smoothCon``), column means subtracted."""
    var = X_raw.var(axis=0, ddof=1)
    drop = int(np.argmin(var))
    X_bam = np.delete(X_raw, drop, axis=1)
    X_bam = X_bam - X_bam.mean(axis=0)
    X_gam = X_raw @ Z
    A = np.linalg.lstsq(X_bam, X_gam, rcond=None)[0]
    misfit = float(np.max(np.abs(X_bam @ A - X_gam), initial=0.0))
    if misfit > SPAN_TOL * max(float(np.max(np.abs(X_gam), initial=0.0)), 1.0):
        raise ValueError("bam's sweep-and-drop basis does not span this smooth's constrained "
                         "basis (its raw basis does not represent constants)")
    return A


def bam_coef(fit: RemlFit, data: pd.DataFrame) -> pd.DataFrame:
    """``coef(bam_fit)`` (``Estimate``) and ``sqrt(diag(vcov(bam_fit)))`` (``Std. Error``) of
    the model ``fit`` (one linear predictor), ``data`` the data it was fitted to.

    Plain ``s()`` terms are mapped to bam's sweep-and-drop basis; parametric columns and
    random effects are the same in both. Terms that ``bam`` constrains otherwise (tensor
    products, ``by=`` smooths) raise ``ValueError``."""
    if len(fit.design.predictors) != 1:
        raise ValueError("bam_coef takes a model with one linear predictor")
    M, names = fit.mgcv_coef_map()
    B = np.eye(len(names))
    index = {n: i for i, n in enumerate(names)}
    for sm in fit.design.smooths:
        st = sm.state
        if st is None or sm.mgcv_coef_map is None:
            continue
        con = st["con"]
        Z = decode_optional(con["Z"])
        if con["kind"] != "s" or con["by"] is not None or Z is None:
            raise ValueError(f"bam_coef maps plain s() terms only, not {sm.term}")
        X_raw = raw_from_state(con["raw"]).matrix(data, sm.term)
        if X_raw.shape[0] != fit.n:
            raise ValueError(f"data has {X_raw.shape[0]} rows, the fit {fit.n}")
        pos = [index[n] for n in sm.coef_names]
        B[np.ix_(pos, pos)] = sweep_drop_map(X_raw, Z)
    T = B @ M
    se = np.sqrt(np.einsum("ij,jk,ik->i", T, fit.Vp, T))
    return pd.DataFrame({"Estimate": T @ fit.coef.to_numpy(), "Std. Error": se},
                        index=pd.Index(names))
