""":meth:`RemlFit.summary`: mgcv's ``summary.gam`` as ``print.summary.gam`` lays it out (Family,
Link function, Formula; parametric coefficients; approximate significance of smooth terms;
R-sq.(adj), deviance explained, -REML, scale and n), with lme4's ``Random effects:`` block of
``print(summary(lmer_fit))`` for terms written ``(... | g)``. A fit with AR(1) residuals adds a
last line with ``rho`` and the number of series, which ``summary.gam`` of a ``bam`` fit does not
print."""

from __future__ import annotations

import pandas as pd

from .rformat import coef_matrix, format_c, format_vector, matrix_lines
from .summary_table import p_table, r_squared, random_effects_table, s_table

__all__ = ["RemlSummary", "random_effects_lines", "summary_text"]


class RemlSummary(str):
    """The printed summary (a ``str``, so ``print`` and notebooks show the table, not escapes)
    with mgcv's numbers beside it: ``p_table``, ``s_table`` (``summary(fit)$p.table`` and
    ``$s.table``), ``random_effects`` (lme4's block), ``r_sq``, ``dev_expl``."""

    p_table: pd.DataFrame
    s_table: pd.DataFrame
    random_effects: pd.DataFrame
    r_sq: float | None
    dev_expl: float

    def text(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))


def random_effects_lines(table: pd.DataFrame, fit) -> list[str]:
    """lme4's ``Random effects:`` block: ``formatVC`` with variances and standard deviations
    (``format(digits = 4)``), correlations to two decimals, then ``Number of obs`` and the
    number of levels of each grouping factor."""
    ncorr = max((len(c) for c in table["Corr"]), default=0)
    corr_all = [v for c in table["Corr"] for v in c]
    width = max((len(f"{v:.2f}") for v in corr_all), default=0)
    cells = []
    var = format_vector(table["Variance"], 4)
    sd = format_vector(table["Std.Dev."], 4)
    last = None
    for i, r in enumerate(table.itertuples(index=False)):
        corr = [f"{v:.2f}".rjust(width) for v in r.Corr]
        corr += [""] * (ncorr - len(corr))
        cells.append([r.Groups if r.Groups != last else "", r.Name, var[i], sd[i], *corr])
        last = r.Groups
    header = ["Groups", "Name", "Variance", "Std.Dev."] + (["Corr"] + [""] * (ncorr - 1)
                                                           if ncorr else [])
    groups: dict[str, int] = {}
    for b in fit.engine.layout.blocks:
        if b.group is not None and b.levels is not None and b.group in set(table["Groups"]):
            groups.setdefault(b.group, len(b.levels))
    counts = "; ".join(f"{g}, {k}" for g, k in groups.items())
    return (["Random effects:"] + matrix_lines(cells, header, [""] * len(cells), right=False)
            + [f"Number of obs: {fit.n}, groups:  {counts}"])


def ar1_line(fit) -> str:
    """``AR(1) residuals: rho = 0.6 (fixed), 1 series``; an estimated rho names the profile."""
    how = ("fixed" if fit.rho_profile is None else
           f"{fit.method} profile over {len(fit.rho_profile)} values")
    series = int(fit.ar_start.sum()) if fit.ar_start is not None else 1
    return f"AR(1) residuals: rho = {fit.rho:.5g} ({how}), {series} series"


def summary_text(fit) -> RemlSummary:
    """``print(summary(fit))`` of the fit as mgcv prints it (numbers from
    :mod:`.summary_table`)."""
    family = fit.engine.family_label
    label = getattr(fit.likelihood, "label", None)  # a family that prints its parameters
    if label is not None:
        family = label(fit.engine.params)
    elif fit.theta is not None:
        family = f"Negative Binomial({fit.theta:.3f})"
    lines = ["", f"Family: {family}", f"Link function: {fit.family.link_name}", "",
             "Formula:", *[dk.formula for dk in fit.design.predictors]]  # one per predictor
    pt = p_table(fit)
    if len(pt):
        lines += ["", "Parametric coefficients:", *coef_matrix(pt, [0, 1], 2)]
    lines.append("")
    st = s_table(fit)
    if len(st):
        lines += ["Approximate significance of smooth terms:", *coef_matrix(st, [0], 2), ""]
    re = random_effects_table(fit)
    if len(re):
        lines += [*random_effects_lines(re, fit), ""]
    no_r_sq = getattr(fit.likelihood, "no_r_sq", False)  # mgcv's family$no.r.sq
    r2 = r_squared(fit) if len(fit.design.predictors) == 1 and not no_r_sq else None
    dev = fit.deviance_explained
    head = f"R-sq.(adj) =  {format_c(r2, 3, 5)}   " if r2 is not None else ""
    lines += [f"{head}Deviance explained = {format_c(dev * 100, 3, 4)}%",
              f"-{fit.method} = {format_c(fit.reml_score, 5)}  Scale est. = "
              f"{format_c(fit.scale, 5, 8, left=True)}  n = {fit.n}"]
    if fit.rho is not None:
        lines.append(ar1_line(fit))
    if not fit.converged:
        lines += ["", f"Convergence warning: {fit.convergence_message}"]
    out = RemlSummary("\n".join(lines))
    out.p_table, out.s_table, out.random_effects = pt, st, re
    out.r_sq, out.dev_expl = r2, float(dev)
    return out
