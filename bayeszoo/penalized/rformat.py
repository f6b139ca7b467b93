"""R's number formatting, as the printed summaries of mgcv and lme4 use it: ``format(x,
digits)`` (one common layout for a vector: fixed or scientific, whichever is narrower),
``formatC(x, digits, width, flag)`` with its ``"g"`` format, ``format.pval`` and the character
matrix ``printCoefmat`` prints."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["coef_matrix", "format_c", "format_pval", "format_vector", "matrix_lines"]

EPS = float(np.finfo(float).eps)
LEGEND = "Signif. codes:  0 ‘***’ 0.001 ‘**’ 0.01 ‘*’ 0.05 ‘.’ 0.1 ‘ ’ 1"


def _sig(x: float, digits: int) -> tuple[int, int]:
    """``(significant digits needed, decimal exponent)`` of ``x`` shown to ``digits`` digits."""
    if x == 0 or not math.isfinite(x):
        return 1, 0
    mant, _, exp = f"{abs(x):.{digits - 1}e}".partition("e")
    return max(1, len(mant.replace(".", "").rstrip("0"))), int(exp)


def format_vector(values, digits: int) -> list[str]:
    """R's ``format(x, digits = digits)`` of a numeric vector: every element with at least
    ``digits`` significant digits where needed, all with the same number of decimals, in
    scientific notation when that is narrower; right-aligned to a common width."""
    xs = [float(v) for v in values]
    finite = [x for x in xs if math.isfinite(x)]
    if not finite:
        return ["NA" if math.isnan(x) else ("Inf" if x > 0 else "-Inf") for x in xs]
    sig = [_sig(x, digits) for x in finite]
    neg = any(x < 0 for x in finite)
    rgt = max(max(0, s - e - 1) for s, e in sig)
    left = max(max(1, e + 1) for s, e in sig)
    fixed_w = neg + left + (rgt + 1 if rgt else 0)
    mxsl = max(s for s, _ in sig)
    big_exp = any(abs(e) >= 100 for _, e in sig)
    sci_w = neg + (mxsl + 1 if mxsl > 1 else 1) + (5 if big_exp else 4)
    if fixed_w <= sci_w:
        out = [f"{x:.{rgt}f}" for x in xs]
    else:
        out = [f"{x:.{mxsl - 1}e}" for x in xs]
    width = max(len(s) for s in out)
    return [s.rjust(width) for s in out]


def format_c(x: float, digits: int, width: int = 0, left: bool = False) -> str:
    """R's ``formatC(x, digits = digits, width = width)`` (``flag = "-"``: ``left``): C's
    ``%.<digits>g``, padded to at least ``digits + 1`` characters as R's C code pads it."""
    s = f"{x:.{digits}g}"
    w = max(width, digits + 1)
    return s.ljust(w) if left else s.rjust(w)


def format_pval(pv, digits: int = 3, eps: float = EPS) -> list[str]:
    """R's ``format.pval(pv, digits, eps)``: p-values below ``eps`` as ``<2e-16``."""
    pv = np.asarray(pv, dtype=float)
    small = pv < eps
    out = [""] * pv.size
    rest = [float(p) for p in pv[~small]]
    with np.errstate(divide="ignore"):
        fixp = (np.floor(np.log10(np.where(pv > 0, pv, 1e-50))) >= -3) | (pv == 0)
    for group in (~small & fixp, ~small & ~fixp):  # fixed and scientific ones apart
        if group.any():
            for i, s in zip(np.flatnonzero(group), format_vector(pv[group], digits),
                            strict=True):
                out[i] = s
    if small.any():
        d = max(1, digits - 2)
        sep = " "
        if rest:
            nc = max(len(s) for s in out if s)
            if d > 1 and d + 6 > nc:
                d = max(1, nc - 7)
            sep = "" if d == 1 and nc <= 6 else " "
        elif d == 1:
            sep = ""
        tiny = "<" + sep + format_vector([eps], d)[0]
        for i in np.flatnonzero(small):
            out[i] = tiny
    return out


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else \
        "." if p < 0.1 else " "


def matrix_lines(cells: list[list[str]], header: list[str], rows: list[str],
                 right: bool = True) -> list[str]:
    """R's ``print`` of a character matrix without quotes: row names left-aligned, columns
    aligned (right or left) to the wider of the header and the cells, one space apart."""
    rw = max([len(r) for r in rows] + [0])
    widths = [max([len(h)] + [len(c[j]) for c in cells]) for j, h in enumerate(header)]
    pad = (lambda s, w: s.rjust(w)) if right else (lambda s, w: s.ljust(w))
    lines = [" ".join([" " * rw] + [pad(h, w) for h, w in zip(header, widths, strict=True)])]
    for r, c in zip(rows, cells, strict=True):
        lines.append(" ".join([r.ljust(rw)] + [pad(s, w) for s, w in zip(c, widths,
                                                                           strict=True)]))
    return lines


def coef_matrix(table: pd.DataFrame, cs_ind: list[int], tst_ind: int,
                digits: int = 4) -> list[str]:
    """R's ``printCoefmat(table, digits, cs.ind, tst.ind)`` of a table whose last column holds
    p-values: the ``cs_ind`` columns rounded together, the test statistic in column
    ``tst_ind`` to ``digits - 1`` decimals, other columns by ``format``, significance stars
    and their legend when some p-value is below 0.1."""
    x = table.to_numpy(dtype=float)
    nr, nc = x.shape
    cols: list[list[str]] = [[] for _ in range(nc)]
    cs = x[:, cs_ind]
    acs = np.abs(cs[np.isfinite(cs) & (cs != 0)])
    digmin = 1 + np.floor(np.log10([acs.min(), acs.max()])) if acs.size else np.zeros(2)
    dec = int(max(1, *(digits - digmin)))
    flat = format_vector(np.round(cs, dec).T.ravel(), digits)
    for k, j in enumerate(cs_ind):
        cols[j] = flat[k * nr:(k + 1) * nr]
    dig_tst = max(1, min(5, digits - 1))
    cols[tst_ind] = format_vector(np.round(x[:, tst_ind], dig_tst), digits)
    for j in range(nc - 1):
        if j not in cs_ind and j != tst_ind:
            cols[j] = format_vector(x[:, j], digits)
    for j in range(nc - 1):
        if j == tst_ind:
            continue
        for i in range(nr):
            if x[i, j] != 0 and float(cols[j][i]) == 0:
                cols[j][i] = format_vector([x[i, j]], max(1, digits - 1))[0]
    cols[nc - 1] = format_pval(x[:, nc - 1], dig_tst)
    header = list(table.columns)
    stars = bool(np.any(x[:, nc - 1] < 0.1))
    if stars:
        marks = [_stars(p) for p in x[:, nc - 1]]
        w = max(len(m) for m in marks)
        cols.append([m.ljust(w) for m in marks])
        header.append("")
    cells = [[c[i] for c in cols] for i in range(nr)]
    lines = matrix_lines(cells, header, [str(r) for r in table.index])
    return lines + (["---", LEGEND] if stars else [])
