"""brms 2.18's model summary (``summary.brmsfit`` and its print method) of a sampled fit.

:func:`summarize` selects and names the rows as brms does (``R/summary.R``): the variables of
brms's included classes in brms's order (``reorder_pars``: by class, intercepts first within a
class), summarized by :func:`bayeszoo.inference.draws_summary.draws_summary` (mean, sd, 95 %
quantiles, rank-normalized R-hat, bulk and tail ESS, as R's ``posterior`` package), then split
into Smooth Terms (``sds(stimes_1)``), Gaussian Process Terms (``sdgp(gptimes)``,
``lscale(gptimes)``), Group-Level Effects per grouping factor (``sd(Intercept)``,
``cor(Intercept,Days)``), Population-Level Effects (``b_``/``bs_`` without the prefix) and
Family Specific Parameters (``sigma``, ``shape``, ...). :class:`FitSummary` prints them in
brms's layout (``print.brmssummary`` and ``print_format``: two decimals, the ESS as integers)
with brms's two warnings of ``summary.brmsfit`` below (an R-hat above 1.05, divergent
transitions).

It works on plain arrays (``chain × draw``), so ``bayeszoo fit`` prints it without building an
InferenceData and a :class:`~bayeszoo.inference.fit.Fit` prints the same text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np

from bayeszoo.design import Design

from .draws_summary import draws_summary

#: brms's ``reorder_pars`` order of parameter classes (the name up to its first ``_``); the
#: auxiliary parameters of the family go where ``valid_dpars`` stands.
CLASS_ORDER = ("b", "bs", "bsp", "bcs", "ar", "ma", "sderr", "lagsar", "errorsar", "car",
               "rhocar", "sdcar", "cosy", "sd", "cor", "df", "sds", "sdgp", "lscale", "DPARS",
               "lncor", "Intercept", "tmp", "rescor", "delta", "lasso", "simo", "r", "s", "zgp")
#: The classes ``summary.brmsfit`` includes (besides the family's auxiliary parameters).
SUMMARY_CLASSES = ("b", "bs", "bcs", "bsp", "bmo", "bme", "bmi", "bm", "delta", "lncor",
                   "rescor", "ar", "ma", "sderr", "cosy", "lagsar", "errorsar", "car", "sdcar",
                   "rhocar", "sd", "cor", "df", "sds", "sdgp", "lscale", "simo")
#: brms's ``fixef_pars()``: population-level coefficients, the prefix dropped in the summary.
FIXEF_PATTERN = re.compile(r"^b(|s|cs|sp|mo|me|mi|m)_")
RHAT_WARN = 1.05
ESS_COLUMNS = ("Bulk_ESS", "Tail_ESS")
DIVERGENCE_URL = "http://mc-stan.org/misc/warnings.html#divergent-transitions-after-warmup"


def variable_order(names: list[str], dpars: tuple[str, ...]) -> list[str]:
    """``names`` in brms's order (``reorder_pars``): by class, names ending in ``_Intercept``
    first within a class, otherwise as given."""
    ranks = {c: i for i, c in enumerate(CLASS_ORDER)}
    dpar_rank = ranks["DPARS"]
    unknown = len(CLASS_ORDER)

    def key(item: tuple[int, str]) -> tuple[float, bool, int]:
        pos, name = item
        cls = name.split("_", 1)[0]
        rank = dpar_rank + (dpars.index(cls) + 1) / (len(dpars) + 1) if cls in dpars \
            else ranks.get(cls, unknown)
        return rank, not re.search(r"_Intercept(_\d+|\[\d+\])?$", name), pos

    return [name for _, name in sorted(enumerate(names), key=key)]


def dpar_names(design: Design) -> tuple[str, ...]:
    """``mu`` and the family's auxiliary parameters, estimated or not (brms's
    ``valid_dpars``: ``sigma`` of a gaussian with ``se()`` too)."""
    return ("mu", *(a.name for a in design.family.aux))


def formula_lines(design: Design) -> list[str]:
    """The formula as brms prints it: the main formula, then ``sigma ~ ...`` for each
    distributional parameter with a formula of its own."""
    from .sampling import model_formula

    formula = model_formula(design)
    return [formula] if isinstance(formula, str) else formula.parts()


def links_text(design: Design) -> str:
    """brms's ``Links:`` line: ``mu = identity; sigma = identity`` (an auxiliary parameter
    with a formula on the link of that formula)."""
    family = design.family
    links = {"mu": family.link_name}
    for aux in family.aux:
        links[aux.name] = aux.link if aux.name in design.dpars else "identity"
    return "; ".join(f"{k} = {v}" for k, v in links.items())


def group_levels(design: Design, posterior: Mapping[str, Any]) -> dict[str, int]:
    """Grouping factors in brms's order (terms as written, ``mu``'s before a distributional
    parameter's) -> their number of levels."""
    out: dict[str, int] = {}
    for d in design.predictors:
        for blk in d.blocks:
            if blk.is_group_effect and blk.name not in out:
                out[blk.name] = int(np.shape(posterior[blk.names.coef])[2]) \
                    if blk.names.coef in posterior else len(blk.labels)
    return out


def _rename(names: list[str], pattern: str, opening: str) -> list[str]:
    """``sd_Subject__Days`` -> ``sd(Days)``, ``cor_g__a__b`` -> ``cor(a,b)`` (brms's rows)."""
    out = []
    for name in names:
        inner = re.sub(pattern, "", name)
        out.append(f"{opening}({inner.replace('__', ',')})")
    return out


@dataclass
class FitSummary:
    """brms's ``brmssummary``: the header and the tables (rows named as brms names them;
    columns ``Estimate, Est.Error, l-95% CI, u-95% CI, Rhat, Bulk_ESS, Tail_ESS``):
    ``splines`` (smooth sds), ``gp``, ``random`` (grouping factor -> its sd and cor rows),
    ``fixed`` (population-level effects), ``simplex`` (the simplexes of monotonic effects,
    ``moperiod1[1]``), ``spec_pars`` (family specific parameters), and
    the ``warnings`` ``summary.brmsfit`` gives. Printing it gives brms's layout."""

    family: str
    links: str
    formula: list[str]
    data_name: str
    nobs: int
    chains: int
    iter: int
    warmup: int
    sampler: str
    fixed: Any
    spec_pars: Any
    splines: Any = None
    gp: Any = None
    random: dict[str, Any] = field(default_factory=dict)
    ngrps: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    simplex: Any = None
    cor_pars: Any = None

    def text(self, digits: int = 2) -> str:
        """The summary as ``print.brmssummary`` prints it (then brms's warnings)."""
        wsp = " " * 9
        lines = [f" Family: {self.family}", f"  Links: {self.links}",
                 "Formula: " + f"\n{wsp}".join(self.formula),
                 f"   Data: {self.data_name} (Number of observations: {self.nobs})",
                 f"  Draws: {self.chains} chains, each with iter = {self.iter}; "
                 f"warmup = {self.warmup}; thin = 1;",
                 f"{wsp}total post-warmup draws = {self.chains * (self.iter - self.warmup)}",
                 ""]
        sections = [("Smooth Terms:", self.splines), ("Gaussian Process Terms:", self.gp),
                    ("Correlation Structures:", self.cor_pars)]
        for title, table in sections:
            if table is not None and len(table):
                lines += [title, format_table(table, digits), ""]
        if self.random:
            lines.append("Group-Level Effects:")
            for g, table in self.random.items():
                lines += [f"~{g} (Number of levels: {self.ngrps[g]})",
                          format_table(table, digits), ""]
        for title, table in (("Population-Level Effects:", self.fixed),
                             ("Simplex Parameters:", self.simplex),
                             ("Family Specific Parameters:", self.spec_pars)):
            if table is not None and len(table):
                lines += [title, format_table(table, digits), ""]
        lines += [f"Draws were sampled using {self.sampler}. For each parameter, Bulk_ESS",
                  "and Tail_ESS are effective sample size measures, and Rhat is the potential",
                  "scale reduction factor on split chains (at convergence, Rhat = 1)."]
        if len(self.warnings) == 1:
            lines += ["Warning message:", self.warnings[0]]
        elif self.warnings:
            lines += ["Warning messages:", *(f"{i}: {w}" for i, w in enumerate(self.warnings, 1))]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return f"<pre>{escape(self.text())}</pre>"


def format_table(table, digits: int = 2) -> str:
    """brms's ``print_format``: every column with ``digits`` decimals, ``Bulk_ESS`` and
    ``Tail_ESS`` as integers, right-aligned under their headers, row names left-aligned."""
    cells = {}
    for col in table.columns:
        fmt = "{:.0f}" if col in ESS_COLUMNS else f"{{:.{digits}f}}"
        cells[col] = ["NA" if not np.isfinite(v) else fmt.format(v) for v in table[col]]
    rows = [str(r) for r in table.index]
    width = max(len(r) for r in rows)
    widths = {c: max(len(c), *(len(v) for v in cells[c])) for c in table.columns}
    out = [" " * width + "".join(f" {c:>{widths[c]}}" for c in table.columns)]
    for i, r in enumerate(rows):
        out.append(f"{r:<{width}}" + "".join(f" {cells[c][i]:>{widths[c]}}"
                                              for c in table.columns))
    return "\n".join(out)


def summary_warnings(table, stats: Mapping[str, Any], target_accept: float) -> list[str]:
    """``summary.brmsfit``'s warnings: R-hat above 1.05 anywhere in the summary, divergent
    transitions after warm-up (naming ``target_accept``, NumPyro's and PyMC's
    ``adapt_delta``)."""
    out = []
    if bool(np.any(table["Rhat"].to_numpy() > RHAT_WARN)):
        out.append("Parts of the model have not converged (some Rhats are > 1.05). Be careful "
                   "when analysing the results! We recommend running more iterations and/or "
                   "setting stronger priors.")
    if "diverging" in stats:
        n_div = int(np.sum(np.asarray(stats["diverging"])))
        if n_div:
            out.append(f"There were {n_div} divergent transitions after warmup. Increasing "
                       f"target_accept above {target_accept:g} may help. See {DIVERGENCE_URL}")
    return out


def threshold_elements(posterior: Mapping[str, Any]) -> Mapping[str, Any]:
    """``posterior`` with an ordinal family's thresholds ``b_Intercept`` (``chain × draw ×
    K-1``) also as brms's scalars ``b_Intercept[1]``, ..., which the summary shows as
    ``Intercept[k]``, and category-specific effects ``bcs_x`` as ``bcs_x[1]``, ... (shown as
    ``x[k]``)."""
    names = [str(k) for k in posterior if (str(k) == "b_Intercept" or str(k).startswith("bcs_"))
             and np.ndim(posterior[k]) == 3]
    if not names:
        return posterior
    out = {k: posterior[k] for k in posterior}
    for name in names:
        values = np.asarray(posterior[name], dtype=float)
        out |= {f"{name}[{k + 1}]": values[..., k] for k in range(values.shape[-1])}
    return out


def summarize(posterior: Mapping[str, Any], stats: Mapping[str, Any], design: Design,
              attrs: Mapping[str, Any], data_name: str | None = None) -> FitSummary:
    """brms's ``summary.brmsfit`` of draws ``posterior`` (brms name -> ``chain × draw × ...``
    array or DataArray) with sample statistics ``stats`` (``diverging``), the fit's ``design``
    and its sampler ``attrs`` (``chains``, ``draws``, ``tune``, ``target_accept``,
    ``backend``). ``data_name``: what the ``Data:`` line calls the data (default the zoo
    data set's name, ``attrs["dataset"]``, else ``data``)."""
    family = design.family
    posterior = threshold_elements(posterior)
    dpars = dpar_names(design)
    classes = (*SUMMARY_CLASSES, *dpars)
    included = re.compile(r"^(" + "|".join(classes) + r")(_|$|\[)")
    scalars = [str(k) for k in posterior if np.ndim(posterior[k]) == 2 and included.match(str(k))]
    names = variable_order(scalars, dpars)
    arrays = {n: np.asarray(posterior[n], dtype=float) for n in names}
    full = draws_summary(arrays, names)

    fe = [n for n in names if FIXEF_PATTERN.match(n)]
    fixed = full.loc[fe].set_axis([FIXEF_PATTERN.sub("", n) for n in fe])
    spec = re.compile(r"^(" + "|".join((*dpars, "delta")) + r")($|_)")
    spec_pars = full.loc[[n for n in names if spec.match(n)]]
    ngrps = group_levels(design, posterior)
    random = {}
    for g in ngrps:
        gre = re.escape(g)
        sds = [n for n in names if re.match(rf"^sd_{gre}__", n)]
        cors = [n for n in names if re.match(rf"^cor_{gre}__", n)]
        if sds or cors:
            random[g] = full.loc[sds + cors].set_axis(
                _rename(sds, rf"^sd_{gre}__", "sd") + _rename(cors, rf"^cor_{gre}__", "cor"))
    sm = [n for n in names if n.startswith("sds_")]
    gp = [n for n in names if re.match(r"^(sdgp|lscale)_", n)]
    splines = full.loc[sm].set_axis([f"sds({n[4:]})" for n in sm]) if sm else None
    gp_table = full.loc[gp].set_axis([re.sub(r"^(sdgp|lscale)_(.*)$", r"\1(\2)", n)
                                      for n in gp]) if gp else None
    simplex = simplex_table(posterior)
    draws, tune = int(attrs.get("draws", 0)), int(attrs.get("tune", 0))
    first = next(iter(arrays.values())) if arrays else np.zeros((0, 0))
    return FitSummary(
        family=family.name, links=links_text(design), formula=formula_lines(design),
        data_name=data_name or str(attrs.get("dataset") or "data"), nobs=design.n,
        chains=int(attrs.get("chains", first.shape[0])),
        iter=tune + (draws or first.shape[1]), warmup=tune,
        sampler=f"{attrs.get('backend', 'sampling')}(NUTS)", fixed=fixed, spec_pars=spec_pars,
        splines=splines, gp=gp_table, random=random, ngrps=ngrps, simplex=simplex,
        cor_pars=autocorrelation_table(posterior),
        warnings=summary_warnings(full, stats, float(attrs.get("target_accept", 0.8))))


def autocorrelation_table(posterior: Mapping[str, Any]):
    """brms's ``Correlation Structures``: one row per coefficient of ``ar()``, ``ma()`` or
    ``arma()`` (``ar[1]``, ..., ``ma[1]``, ...; each ``chain × draw × order``); ``None``
    without them."""
    parts = {}
    for name in ("ar", "ma"):
        if name in posterior:
            values = np.asarray(posterior[name], dtype=float)
            parts |= {f"{name}[{i + 1}]": values[..., i] for i in range(values.shape[-1])}
    if not parts:
        return None
    return draws_summary(parts, list(parts))


def simplex_table(posterior: Mapping[str, Any]):
    """brms's ``Simplex Parameters`` of monotonic effects: one row per part of each ``simo_``
    simplex (``chain × draw × D``), named without the class (``moperiod1[1]``); ``None``
    without any."""
    parts = {}
    for name in (str(k) for k in posterior if str(k).startswith("simo_")):
        values = np.asarray(posterior[name], dtype=float)
        parts |= {f"{name}[{i + 1}]": values[..., i] for i in range(values.shape[-1])}
    if not parts:
        return None
    return draws_summary(parts, list(parts)).set_axis([n.removeprefix("simo_") for n in parts])
