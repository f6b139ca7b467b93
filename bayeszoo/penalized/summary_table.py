"""The tables of mgcv's ``summary.gam`` for a :class:`~.result.RemlFit`: parametric coefficients
(``p.table``), the approximate significance of smooth terms (``s.table``, Wood 2013's tests of
:mod:`.smooth_tests`), ``r.sq`` and ``dev.expl``; and lme4's ``Random effects`` block for terms
written ``(... | g)``.

mgcv's ``R`` (``R'R = X'WX``) is read from the fit as ``H = Vp⁻¹·scale - S``: the inverse of
the penalized Hessian less the total penalty at the estimated smoothing parameters. Each smooth
is tested in mgcv's basis (:func:`mgcv_basis`), where ``testStat``'s choice of eigenvector signs is
mgcv's; p.table reads mgcv's coefficients (``t2``: the intercept as mgcv reports it).

For a ``t2`` term mgcv's ``testStat`` mixes two bases: ``estimate.gam`` moves the coefficients,
``Vp`` and ``Ve`` to the prediction parameterization (``G$P``, the constraint ``Cp``) but leaves
``fit$R`` in the fitting one (``gam.fit3.post.proc`` factors the fitting model matrix), and
``summary.gam`` passes ``R[, first.para:last.para]`` with the moved coefficients and ``Vp``. The
statistic is then not invariant to the basis: it depends on the signs of the columns of both,
which follow LAPACK's eigenvectors of each margin's penalty (``nat.param``); with mgcv's signs
it is mgcv's to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .api import term_label
from .smooth_tests import re_test, test_stat
from .total_penalty import TotalPenalty

__all__ = ["SmoothRow", "lme4_blocks", "mgcv_basis", "p_table", "r_squared", "random_effects_table",
           "residual_df", "s_table", "smooth_rows"]


@dataclass
class SmoothRow:
    """One row of ``s.table``: mgcv's label, the positions of its coefficients in ``fit.coef``
    (``columns``) and in mgcv's basis (``mgcv_columns``: positions in ``T @ coef``, see
    :func:`mgcv_basis`), and whether mgcv tests it as a random effect (``reTest``: no
    unpenalized part; ``is_re``: an ``s(g, bs="re")`` term)."""

    label: str
    columns: list[int]
    mgcv_columns: list[int]
    random: bool
    is_re: bool


def _smooth_parts(fit):
    """Per smooth of every predictor: ``(k, start, sm, theta positions, our rows by label)``."""
    start = 0
    for k, dk in enumerate(fit.design.predictors):
        p = dk.X.shape[1]
        offsets = np.cumsum([p] + [b.size for b in dk.blocks])
        for sm in dk.smooths:
            theta = [start + c for c in sm.fixed_columns]
            cols: dict[str, list[int]] = {}
            names = sm.fixed_terms or [sm.term] * len(sm.fixed_columns)
            for c, t in zip(sm.fixed_columns, names, strict=True):
                cols.setdefault(term_label(t, k), []).append(start + c)
            for j in sm.blocks:
                b = dk.blocks[j]
                block = list(range(start + offsets[j], start + offsets[j] + b.size))
                theta += block
                cols.setdefault(term_label(b.term, k), []).extend(block)
            yield k, start, sm, theta, cols
        start += p + int(sum(b.size for b in dk.blocks))


def _mgcv_labels(sm, k: int, cols: dict[str, list[int]]) -> list[str] | None:
    """mgcv's term of each of its coefficients of ``sm`` (``None``: no usable map)."""
    M = sm.mgcv_coef_map
    n = sum(len(c) for c in cols.values())
    if (M is None or M.shape != (n, n) or sm.coef_map is None or sm.coef_map.shape != (n, n)
            or len(sm.coef_names) != n):
        return None
    labels = [term_label(name.rsplit(".", 1)[0], k) for name in sm.coef_names]
    if sorted(set(labels)) != sorted(cols) or any(
            labels.count(lab) != len(c) for lab, c in cols.items()):
        return None
    return labels


def mgcv_basis(fit, prediction: bool = True) -> np.ndarray:
    """``T`` with ``T @ fit.coef`` mgcv's coefficients at the Design's positions: by default
    those ``coef(gam)`` reports, each smooth's ``mgcv_coef_map`` on its coefficients and, for
    ``t2``, the intercept's shift (as :meth:`RemlFit.mgcv_coef`); with ``prediction=False``
    those mgcv fits (``coef_map``, no shift: ``t2`` before ``gam``'s ``G$P`` moves it to the
    prediction constraint ``Cp``), the basis of ``gam``'s ``R``. The identity elsewhere."""
    T = np.eye(fit.coef.size)
    for k, start, sm, theta, cols in _smooth_parts(fit):
        if _mgcv_labels(sm, k, cols) is None:
            continue
        T[np.ix_(theta, theta)] = sm.mgcv_coef_map if prediction else sm.coef_map
        dk = fit.design.predictors[k]
        if (prediction and sm.mgcv_intercept_shift is not None
                and dk.column_names[:1] == ["Intercept"]):
            T[start, theta] += sm.mgcv_intercept_shift
    return T


def smooth_rows(fit) -> list[SmoothRow]:
    """The smooth terms (mgcv's ``fit$smooth``, by-levels apart) and ``s(g, bs="re")`` terms of
    every linear predictor, in the order mgcv lists them; lme4-style ``(... | g)`` blocks are
    left to :func:`random_effects_table`."""
    rows: list[SmoothRow] = []
    for k, start, sm, theta, cols in _smooth_parts(fit):
        labels = _mgcv_labels(sm, k, cols)
        fixed = {start + c for c in sm.fixed_columns}
        for label, c in cols.items():
            mc = c if labels is None else [t for t, lab in zip(theta, labels, strict=True)
                                           if lab == label]
            rows.append(SmoothRow(label, c, mc, random=not fixed & set(c) and bool(sm.blocks),
                                  is_re=sm.bs == "re"))
    return rows


def _lme4_columns(fit) -> list[int]:
    """Positions in ``fit.coef`` of the coefficients of ``(... | g)`` blocks."""
    out, start = [], 0
    for dk in fit.design.predictors:
        p = dk.X.shape[1]
        offsets = np.cumsum([p] + [b.size for b in dk.blocks])
        claimed = {j for sm in dk.smooths for j in sm.blocks}
        for j, b in enumerate(dk.blocks):
            if j not in claimed and b.is_group_effect:
                out.extend(range(start + offsets[j], start + offsets[j] + b.size))
        start += p + int(sum(b.size for b in dk.blocks))
    return out


def _cross_products(fit) -> tuple[np.ndarray, np.ndarray]:
    """``(H, S)`` in the Design's coefficient order: ``X'WX`` and the total penalty."""
    r = fit.engine
    order = r.layout.design_order()
    S = np.zeros(r.cov.shape)  # C order: the penalties add to its flat view
    TotalPenalty(r.layout, r.psi).add_to(S)
    H = np.linalg.inv(r.cov) - S
    ix = np.ix_(order, order)
    return (H[ix] + H[ix].T) / 2, S[ix]


def residual_df(fit) -> float:
    """``summary.gam``'s ``residual.df``: ``n - sum(edf)``."""
    return fit.n - fit.edf_total


def p_table(fit) -> pd.DataFrame:
    """``summary(fit)$p.table``: Estimate, Std. Error, t value and Pr(>|t|) on the residual df
    for an estimated scale, z value and Pr(>|z|) otherwise."""
    idx = fit.parametric
    T = mgcv_basis(fit)[idx]
    est = T @ fit.coef.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", T, fit.Vp, T))
    t = est / se
    if fit.scale_estimated:
        cols = ["Estimate", "Std. Error", "t value", "Pr(>|t|)"]
        p = 2 * stats.t.sf(np.abs(t), df=residual_df(fit))
    else:
        cols = ["Estimate", "Std. Error", "z value", "Pr(>|z|)"]
        p = 2 * stats.norm.sf(np.abs(t))
    names = ["(Intercept)" if c == "Intercept" else c for c in fit.coef.index[idx]]
    return pd.DataFrame(np.column_stack([est, se, t, p]), index=names, columns=cols)


def s_table(fit) -> pd.DataFrame:
    """``summary(fit)$s.table``: edf, Ref.df, F (estimated scale; ``stat/Ref.df``) or Chi.sq,
    and p-value, by mgcv's ``testStat`` (``rank = min(ncol, edf1)``; ``X'WX`` in mgcv's fitting
    basis, coefficients and ``Vp`` in the one ``coef(gam)`` reports) or, for a term without an
    unpenalized part, ``reTest`` (the other ``s(g, bs="re")`` and ``(... | g)`` terms integrated
    out, as mgcv's ``recov`` does for its random smooths)."""
    rows = smooth_rows(fit)
    cols = ["edf", "Ref.df", "F" if fit.scale_estimated else "Chi.sq", "p-value"]
    if not rows:
        return pd.DataFrame(columns=cols)
    H, S = _cross_products(fit)
    F = fit._cov @ H
    edf1 = 2 * np.diag(F) - np.einsum("ij,ji->i", F, F)
    T = mgcv_basis(fit)
    Tinv = np.linalg.inv(T)
    Vp = T @ fit.Vp @ T.T
    b = T @ fit.coef.to_numpy()
    Hm, Sm = Tinv.T @ H @ Tinv, Tinv.T @ S @ Tinv
    Tfit = np.linalg.inv(mgcv_basis(fit, prediction=False))
    Hfit = Tfit.T @ H @ Tfit
    rdf = residual_df(fit)
    random_cols = np.array(sorted({c for r in rows if r.is_re for c in r.columns}
                                  | set(_lme4_columns(fit))), dtype=int)
    out = []
    for row in rows:
        c, mc = np.array(row.columns), np.array(row.mgcv_columns)
        edf = float(np.sum(np.diag(F)[c]))
        if row.random:
            others = np.setdiff1d(random_cols, mc)
            res = re_test(b, mc, others, Hm, Sm, Vp, fit.scale,
                          rdf if fit.scale_estimated else None)
        else:
            res = test_stat(b[mc], Hfit[np.ix_(mc, mc)], Vp[np.ix_(mc, mc)],
                            min(c.size, float(np.sum(edf1[c]))),
                            rdf if fit.scale_estimated else -1.0)
        stat = res.stat / res.rank if fit.scale_estimated else res.stat
        out.append([edf, res.rank, stat, res.pval])
    return pd.DataFrame(out, index=[r.label for r in rows], columns=cols)


def r_squared(fit) -> float:
    """``summary.gam``'s adjusted R²: ``1 - var(√w (y - mu)) (n - 1) / (var(√w (y - ȳ_w)) ·
    residual df)``."""
    lik = fit.likelihood
    y, w = lik.y, lik.weights
    mu = fit.engine.fitted[:, 0]
    mean_y = float(np.sum(w * y) / np.sum(w))
    sw = np.sqrt(w)
    n = y.shape[0]
    return float(1 - np.var(sw * (y - mu), ddof=1) * (n - 1)
                 / (np.var(sw * (y - mean_y), ddof=1) * residual_df(fit)))


def lme4_blocks(fit) -> list[int]:
    """Engine indices of the blocks of ``(... | g)`` terms (not smooths, not ``bs="re"``)."""
    out, j = [], 0
    for dk in fit.design.predictors:
        claimed = {i for sm in dk.smooths for i in sm.blocks}
        for i, b in enumerate(dk.blocks):
            if i not in claimed and b.is_group_effect:
                out.append(j)
            j += 1
    return out


def random_effects_table(fit) -> pd.DataFrame:
    """lme4's ``Random effects:`` block of ``print(summary(lmer_fit))``: per grouping factor
    its terms with Variance, Std.Dev. and the correlations with each earlier term of the
    factor (``Corr``), then ``Residual`` for an estimated scale. Empty without ``(... | g)``
    terms."""
    from .lme4 import varcorr

    cols = ["Groups", "Name", "Variance", "Std.Dev.", "Corr"]
    blocks = lme4_blocks(fit)
    if not blocks:
        return pd.DataFrame(columns=cols)
    vc = varcorr(fit.engine, blocks)
    rows = []
    for grp, sub in vc.groupby("grp", sort=False):
        var = sub[sub["var2"].isna()]
        names = list(var["var1"])
        for i, r in enumerate(var.itertuples(index=False)):
            corr = [float(sub[(sub["var1"] == names[a]) & (sub["var2"] == r.var1)]["sdcor"]
                          .iloc[0]) for a in range(i)]
            rows.append([grp, r.var1 if isinstance(r.var1, str) else "", r.vcov, r.sdcor, corr])
    return pd.DataFrame(rows, columns=cols)
