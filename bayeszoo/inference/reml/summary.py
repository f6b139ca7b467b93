"""The text of :meth:`RemlFit.summary`, in the shape of mgcv's ``summary.gam``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["summary_text"]


def _num(v: float) -> str:
    return f"{v:.5g}"


def _pval(p: float) -> str:
    return "<2e-16" if p < 2e-16 else f"{p:.3g}"


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "." if p < 0.1 else ""


def r_squared(y: np.ndarray, fitted: np.ndarray, w: np.ndarray, residual_df: float) -> float:
    """``summary.gam``'s adjusted R²: ``1 - var(√w (y - mu)) (n - 1) / (var(√w (y - ȳ_w)) ·
    residual df)``."""
    mean_y = float(np.sum(w * y) / np.sum(w))
    sw = np.sqrt(w)
    n = y.shape[0]
    return float(1 - np.var(sw * (y - fitted), ddof=1) * (n - 1)
                 / (np.var(sw * (y - mean_y), ddof=1) * residual_df))


def summary_text(fit) -> str:
    d = fit.design
    n = fit.n
    resid_df = n - fit.edf_total
    family = fit.engine.family_label
    if fit.theta is not None:
        family = f"Negative Binomial({fit.theta:.3f})"
    lines = ["", f"Family: {family}", f"Link function: {fit.family.link_name}", "",
             "Formula:", d.formula, ""]
    if fit.parametric:
        est = fit.coef.iloc[fit.parametric]
        sev = fit.se.iloc[fit.parametric]
        t = est / sev
        if fit.scale_estimated:
            stat, pcol = "t value", "Pr(>|t|)"
            p = 2 * stats.t.sf(np.abs(t), df=max(resid_df, 1e-8))
        else:
            stat, pcol = "z value", "Pr(>|z|)"
            p = 2 * stats.norm.sf(np.abs(t))
        tab = pd.DataFrame({"Estimate": est.map(_num), "Std. Error": sev.map(_num),
                            stat: t.map(lambda v: f"{v:.3f}"), pcol: [_pval(v) for v in p],
                            "": [_stars(v) for v in p]}, index=est.index)
        lines += ["Parametric coefficients:", tab.to_string(), "---",
                  "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1", ""]
    if fit.edf:
        rows = {}
        for term, e in fit.edf.items():
            rows[term] = {"edf": f"{e:.3f}",
                          "sp": _num(fit.sp[term]) if term in fit.sp else "fx",
                          "std.dev": _num(fit.sd[term]) if term in fit.sd else "-"}
        lines += ["Smooth terms and random effects:",
                  pd.DataFrame.from_dict(rows, orient="index").to_string(), ""]
    lik = fit.likelihood
    r2 = r_squared(lik.y, fit.engine.fitted[:, 0], lik.weights, resid_df)
    explained = 100 * fit.deviance_explained
    lines += [f"R-sq.(adj) = {r2:7.4g}   Deviance explained = {explained:.3g}%",
              f"-{fit.method} = {fit.reml_score:.5g}  Scale est. = {fit.scale:.5g}"
              f"    n = {n}", ""]
    if not fit.converged:
        lines += [f"Convergence warning: {fit.convergence_message}", ""]
    return "\n".join(lines)
