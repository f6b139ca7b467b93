"""A design and a family as a backend-neutral model: its free parameters (sites) with their
priors, and how they make each linear predictor.

:func:`model_spec` resolves ``priors=`` against the design and the family's brms defaults. The
result lists every free parameter as a :class:`Site` (name, prior, shape, support) in the order
brms declares them; each backend (:mod:`bayeszoo.models.numpyro`, :mod:`bayeszoo.models.pymc`)
turns the sites into its random variables and hands their values to the pure functions of
:mod:`bayeszoo.models.likelihood`.

Per linear predictor (``mu``, then each distributional parameter with a formula): the
intercept of the *centered* fixed design (``Intercept``, ``Intercept_sigma``, as brms's),
groups of the other fixed coefficients sharing a prior (``b_0``, ``b_sigma_0``), each block's
scale parameters under their brms names (``sd_county__Intercept``, ``sds_stimes_1``) and
standardized coefficients (``z_0``, ``z_sigma_0``; the coefficients themselves when
centered). Then the family's auxiliary parameters that are constants (``sigma``, ``shape``,
``nu``, ``phi``).

Keys of ``priors=`` (most specific wins): ``"Intercept"`` (``"Intercept_<dpar>"``); ``"b"``
(every other fixed coefficient of ``mu``, smooth null-space columns included, as brms's class
``b``), ``"bs"`` (those of smooths), ``"b_<col>"`` / ``"bs_<col>"`` (``"b_<dpar>_<col>"``); each
block's keys (``"sd"``, ``"sd_<group>"``, ``"sd_<group>__<coef>"``; ``"sds"``,
``"sds_<name>"``; ``"sd_<dpar>"``, ``"sds_<dpar>"``; a categorical family's ``"b"``,
``"bs"`` and ``"Intercept"`` set those of every category's ``mu<c>``, as brms's rows without
``dpar``; a monotonic effect's ``"bsp_<name>"``
and ``"simo_<name>1"``, :mod:`bayeszoo.formula.mo_terms`); ``"ar"`` (``ar()``'s
coefficients, flat on ``(-1, 1)`` by default, :mod:`bayeszoo.formula.ar_terms`); a block's
fixed coefficient priors (a network's ``"nn_w1"``, ``"nn_<label>_w1"``, …: ``normal(0, s)``
only, see :mod:`bayeszoo.formula.nn_terms`); the family's constant auxiliary parameters.
Anything else raises ``ValueError`` before a model is compiled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayeszoo.design import Block, CoefficientPrior, Design, ScaleParam
from bayeszoo.models.autocorrelation import AR_SITE, MA_SITE, ar_state, check_family
from bayeszoo.models.priors import Prior, check_support, flat, log_mass_above, parse_prior

PARAMETERIZATIONS = ("noncentered", "centered")


@dataclass(frozen=True)
class Site:
    """One free parameter: ``name`` (the backend's variable name), ``prior``, ``shape`` and
    ``support`` (``"real"``, ``"positive"``, ``"greater_than_1"``, ``"unit"``,
    ``"correlation"``, ``"simplex"``)."""

    name: str
    prior: Prior
    shape: tuple[int, ...] = ()
    support: str = "real"
    #: ``(lb, ub)`` of a bounded coefficient (``None`` at an open end), or None
    bounds: tuple[float | None, float | None] | None = None


@dataclass(frozen=True)
class BlockSpec:
    """A block as the backends see it: its index in the predictor's ``Design.blocks``, the
    sites of its scales and of its standardized coefficients, and its structure.

    ``centered_on``: when sampled centered, the intercept site its draws are centered on. A
    random intercept (each row in one level, weight 1) in a predictor with an intercept is
    sampled as the levels' own intercepts, ``u_j ~ Normal(Intercept, sd)``, and its
    coefficients are ``u_j - Intercept`` (hierarchical centering, Gelfand, Sahu & Carlin 1995):
    with many rows per level, the data fix each ``u_j`` and ``Intercept`` is their mean, where
    ``r_j ~ Normal(0, sd)`` would leave a ridge along which ``Intercept`` and every ``r_j`` move
    together. The first such block of a predictor is centered on its intercept.

    ``on_threshold``: ``centered_on`` is an ordinal family's thresholds (which stand in for the
    intercept of ``mu``). The link sees ``thres_k - eta`` with ``r_j`` in ``eta``, so the data
    fix each level's own first threshold ``thres_1 - r_j``; the block is sampled as its
    negative, ``u_j = r_j - thres_1 ~ Normal(-thres_1, sd)``, and its coefficients are
    ``u_j + thres_1``. A shift by a sampled value (unit Jacobian): the same posterior as
    ``r_j ~ Normal(0, sd)``, without the ridge along which every threshold and every ``r_j``
    move together."""

    index: int
    scale_sites: tuple[str, ...]
    z_site: str
    structure: Any
    z_shape: tuple[int, ...]
    centered_on: str | None = None
    on_threshold: bool = False

    def centered_mean(self, values: dict[str, Any]):
        """The mean of the block's centered draws: the intercept's value, or minus the first
        threshold with ``on_threshold`` (a trailing axis of length 1, to broadcast over the
        levels), or 0."""
        if self.centered_on is None:
            return 0.0
        value = values[self.centered_on]
        return -value[..., :1] if self.on_threshold else value[..., None]

    def from_centered(self, values: dict[str, Any]):
        """The block's coefficients from its centered draws in ``values``."""
        return self.structure.from_centered(values[self.z_site] - self.centered_mean(values))


@dataclass(frozen=True)
class PredictorSpec:
    """One linear predictor: ``dpar`` (``None`` for ``mu``) and the inverse ``link`` turning it
    into that parameter (``None`` for ``mu``: the family applies its own link), the intercept
    site (``None`` without one), the non-intercept columns of ``X`` (``fixed_cols``, in ``X``
    order) with their brms names and means (for centering) and the sites of the coefficient
    groups sharing a prior (``fixed_groups``: site, positions in ``fixed_cols``), the blocks.
    ``thresholds``: the site of an ordinal family's thresholds (support ``"ordered"``, an
    increasing vector: :mod:`bayeszoo.models.ordered`), which take the place of ``mu``'s
    intercept (brms's ``Intercept[k]`` on the centered design); ``None`` otherwise."""

    dpar: str | None
    link: Any
    intercept: str | None
    fixed_cols: list[int]
    fixed_params: list[str]
    x_means: np.ndarray
    fixed_groups: list[tuple[str, list[int]]]
    blocks: list[BlockSpec]
    thresholds: str | None = None
    #: whether this predictor is a non-linear parameter's (:mod:`bayeszoo.models.nonlinear`)
    nlpar: bool = False
    #: the group blocks' monotonic columns, brms's ``(mo(x) | g)``
    #: (:mod:`bayeszoo.models.monotonic_groups`)
    mo_groups: tuple = ()


@dataclass(frozen=True)
class ModelSpec:
    """Everything a backend needs besides the arrays: the family, the linear predictors
    (``mu`` first), ``aux`` (each constant auxiliary parameter -> its site), every site in
    order, the parameterization and ``priors`` (brms name -> prior used)."""

    family: Any
    response: str
    predictors: list[PredictorSpec]
    aux: dict[str, str]
    sites: list[Site]
    parameterization: str
    priors: dict[str, str] = field(default_factory=dict)
    #: the site of ``ar()``'s coefficients (:mod:`bayeszoo.models.autocorrelation`), or None
    ar: str | None = None
    #: the site of ``ma()``'s (or ``arma()``'s) moving-average coefficients, or None
    ma: str | None = None
    #: a non-linear formula's expression (:mod:`bayeszoo.formula.nonlinear`), or None
    nonlinear: Any = None

    def priors_json(self) -> str:
        return json.dumps(self.priors)

    def site(self, name: str) -> Site:
        return next(s for s in self.sites if s.name == name)

    @property
    def centered(self) -> bool:
        return self.parameterization == "centered"

    @property
    def mu(self) -> PredictorSpec:
        return self.predictors[0]


def _parse_all(priors: dict | None) -> dict[str, Prior]:
    if priors is None:
        return {}
    if not isinstance(priors, dict):
        raise TypeError(f"priors must be a dict mapping parameter names to priors, got "
                        f"{type(priors).__name__} (e.g. priors={{'sigma': 'exponential(1)'}})")
    parsed: dict[str, Prior] = {}
    for k, v in priors.items():
        if not isinstance(k, str):
            raise ValueError(f"prior keys are parameter names (strings), got {k!r}")
        try:
            parsed[k] = parse_prior(v)
        except ValueError as e:
            raise ValueError(f"prior for {k!r}: {e}") from None
    return parsed


def _intercept_site(dpar: str | None) -> str:
    return "Intercept" if dpar is None else f"Intercept_{dpar}"


def valid_prior_keys(design: Design, family: Any) -> set[str]:
    """Every key ``priors=`` accepts for ``design`` with ``family``."""
    from bayeszoo.models.nonlinear import nlpar_prior_keys

    valid = {"b", "bs"}
    for d in design.predictors:
        if d.dpar in design.nlpars:
            valid |= nlpar_prior_keys(d)
        else:
            valid |= {p for p, c in zip(d.fixed_params, d.column_names, strict=True)
                      if c != "Intercept"}
        if d.has_intercept and d.dpar not in design.nlpars:
            valid |= {_intercept_site(d.dpar), d.fixed_params[d.column_names.index("Intercept")]}
        for blk in d.blocks:
            for sp in block_params(blk):
                valid |= set(sp.prior_keys)
            for cp in blk.names.coef_priors:
                valid |= set(cp.prior_keys)
    valid |= {a.name for a in family.aux_parameters(tuple(design.additions))
              if a.name not in design.dpars}
    ac = ar_state(design)
    if ac is not None:
        valid |= {site for site, k in ((AR_SITE, ac.p), (MA_SITE, ac.q)) if k}
    if family.thresholds or family.category_predictors:
        valid.add("Intercept")
    return valid


def threshold_count(design: Design, family: Any) -> int:
    """brms's ``nthres`` of an ordinal family: its categories (from the data's response
    column when the design has it, so that a Categorical's unobserved levels count) less one;
    0 for a family without thresholds."""
    if not family.thresholds:
        return 0
    data = design.data
    raw = data[design.response] if data is not None and design.response in data.columns \
        else design.y
    return len(family.categories(raw)) - 1


def model_spec(design: Design, priors: dict | None = None,
               parameterization: str = "noncentered", family: Any = None,
               require_nlpar_priors: bool = True) -> ModelSpec:
    """Resolve ``priors`` against ``design`` and its family: brms defaults, overrides, names.
    Raises ``ValueError`` for an unknown key, family or parameter, a prior that does not suit
    its parameter, an unknown parameterization, or (with ``require_nlpar_priors``, as brms's
    ``brm``; its ``get_prior`` does not ask) a non-linear parameter without a coefficient
    prior."""
    from bayeszoo.families import get as get_family

    if parameterization not in PARAMETERIZATIONS:
        raise ValueError(f"parameterization must be 'noncentered' or 'centered', "
                         f"got {parameterization!r}")
    if design.y is None:
        raise ValueError("the design has no response; sampling needs y")
    from bayeszoo.models import nonlinear

    family = get_family(family if family is not None else design.family or "gaussian")
    priors, bounds = nonlinear.split_bounds(priors)
    parsed = _parse_all(priors)
    valid = valid_prior_keys(design, family)
    unknown = sorted(set(parsed) - valid)
    if unknown:
        raise ValueError(
            f"unknown prior name(s) {unknown}; this model has: {', '.join(sorted(valid))}")
    nonlinear.check_bounds(bounds, design)
    if require_nlpar_priors:
        nonlinear.check_nlpar_priors(design, set(parsed))
    for d in design.predictors:
        if d.has_intercept and d.dpar not in design.nlpars:
            bname = d.fixed_params[d.column_names.index("Intercept")]
            site = _intercept_site(d.dpar)
            if bname in parsed and bname != site:
                if site in parsed:
                    raise ValueError(f"give the intercept prior once, as {site!r}")
                parsed[site] = parsed.pop(bname)
    offset = design.offset if design.offset is not None and np.any(design.offset) else None
    defaults = {k: parse_prior(v) for k, v in family.default_priors(
        design.y, dpars=tuple(design.dpars), offset=offset).items()}
    used: dict[str, str] = {}
    sites: list[Site] = []
    predictors = [nonlinear.nlpar_predictor(d, parsed, bounds, defaults, used, sites,
                                            parameterization) if d.dpar in design.nlpars else
                  _predictor(d, parsed, defaults, used, sites, parameterization,
                             threshold_count(design, family) if d.dpar is None else 0)
                  for d in design.predictors]
    check_family(design, family.name)
    ar = ar_state(design)
    for site, k in ((AR_SITE, 0 if ar is None else ar.p), (MA_SITE, 0 if ar is None else ar.q)):
        if k:  # brms's classes ar and ma, flat (here on (-1, 1))
            p = check_support(site, parsed.get(site, flat()), "ar")
            used[site] = str(p)
            sites.append(Site(site, p, (k,), "ar"))
    aux: dict[str, str] = {}
    for a in family.aux_parameters(tuple(design.additions)):
        if a.name in design.dpars:
            continue
        kind = a.support if a.support in ("real", "unit") else "positive"
        p = check_support(a.name, parsed.get(a.name, defaults[a.name]), kind)
        if a.lower > 0 and log_mass_above(p, a.lower) == -np.inf:
            raise ValueError(f"prior {p} for {a.name!r} puts no mass above {a.lower:g}, the "
                             "parameter's lower bound; give a prior with support there")
        used[a.name] = str(p)
        sites.append(Site(a.name, p, (), a.support))
        aux[a.name] = a.name
    return ModelSpec(family=family, response=design.response, predictors=predictors, aux=aux,
                     sites=sites, parameterization=parameterization, priors=used,
                     ar=AR_SITE if ar is not None and ar.p else None,
                     ma=MA_SITE if ar is not None and ar.q else None,
                     nonlinear=design.nonlinear)


def coefficient_sd(cp: CoefficientPrior, parsed: dict[str, Prior], intercept_scale: float,
                   used: dict[str, str]) -> float:
    """The standard deviation of the ``Normal(0, s)`` prior of a group of a block's
    coefficients: from ``priors=`` (its most specific key given) or its default."""
    key = next((k for k in cp.prior_keys if k in parsed), None)
    if key is None:
        sd = cp.sd * (intercept_scale if cp.intercept_scaled else 1.0)
    else:
        p = parsed[key]
        if p.family != "normal" or p.named["mu"] != 0:
            raise ValueError(f"prior {key!r} = {p}: the weights of {cp.name} take a "
                             "normal(0, s) prior")
        sd = p.named["sigma"]
    used[cp.name] = str(Prior("normal", (0.0, sd)))
    return float(sd)


def block_params(blk: Block) -> tuple[ScaleParam, ...]:
    """The parameters of ``blk`` that ``priors=`` sets by name: its scales, then its draws
    when they have a prior of their own (:attr:`~bayeszoo.design.BlockNames.z_param`)."""
    zp = blk.names.z_param
    return blk.names.scales if zp is None else (*blk.names.scales, zp)


def _block_param_prior(sp: ScaleParam, parsed: dict[str, Prior], defaults: dict[str, Prior],
                       used: dict[str, str]) -> Prior:
    """The prior of one of a block's parameters: its most specific key in ``priors=``, else
    its own default, else the family's ``sd`` default."""
    default = defaults["sd"] if sp.default is None else parse_prior(sp.default)
    p = next((parsed[k] for k in sp.prior_keys if k in parsed), default)
    p = check_support(sp.name, p, sp.support)
    used[sp.name] = str(p)
    return p


def _predictor(d: Design, parsed: dict[str, Prior], defaults: dict[str, Prior],
               used: dict[str, str], sites: list[Site], parameterization: str,
               thresholds: int = 0) -> PredictorSpec:
    tag = "" if d.dpar is None else f"{d.dpar}_"
    icol = d.column_names.index("Intercept") if d.has_intercept else None
    fixed_cols = [j for j in range(len(d.column_names)) if j != icol]
    fixed_params = [d.fixed_params[j] for j in fixed_cols]
    groups: list[tuple[str, list[int]]] = []
    group_priors: list[Prior] = []
    for pos, name in enumerate(fixed_params):
        p = parsed.get(name)
        if p is None and (d.dpar is None or d.family.category_predictors):
            p = parsed.get("bs") if name.startswith("bs_") else None
            p = p if p is not None else parsed.get("b")
        p = check_support(name, p if p is not None else flat(), "real")
        used[name] = str(p)
        for k, gp in enumerate(group_priors):
            if gp == p:
                groups[k][1].append(pos)
                break
        else:
            groups.append((f"b_{tag}{len(groups)}", [pos]))
            group_priors.append(p)
    for (site, members), p in zip(groups, group_priors, strict=True):
        sites.append(Site(site, p, (len(members),), "real"))
    intercept = None
    if icol is not None:
        intercept = _intercept_site(d.dpar)
        default = defaults["Intercept"] if d.dpar is None else defaults[intercept]
        if d.dpar is not None and d.family.category_predictors:  # brms: "Intercept" sets all
            default = parsed.get("Intercept", default)
        p = check_support(intercept, parsed.get(intercept, default), "real")
        used[intercept] = str(p)
        sites.append(Site(intercept, p))
    elif thresholds:
        p = check_support("Intercept", parsed.get("Intercept", defaults["Intercept"]), "real")
        used["Intercept"] = str(p)
        sites.append(Site("Intercept", p, (thresholds,), "ordered"))
    blocks: list[BlockSpec] = []
    center = intercept or ("Intercept" if thresholds else None)
    for j in range(len(d.blocks)):
        blocks.append(block_spec(d, j, parsed, defaults, used, sites, parameterization,
                                 None if any(b.centered_on for b in blocks) else center,
                                 on_threshold=intercept is None))
    X = np.asarray(d.X, dtype=float)
    x_means = X[:, fixed_cols].mean(axis=0) if fixed_cols else np.zeros(0)
    link = None if d.dpar is None else d.family.aux_parameter(d.dpar).link
    if link is not None:
        from bayeszoo.families.links import LINKS

        link = LINKS[link]
    from bayeszoo.models.monotonic_groups import mo_group_links

    return PredictorSpec(dpar=d.dpar, link=link, intercept=intercept, fixed_cols=fixed_cols,
                         fixed_params=fixed_params, x_means=x_means, fixed_groups=groups,
                         blocks=blocks, thresholds="Intercept" if thresholds else None,
                         mo_groups=mo_group_links(d))


def block_spec(d: Design, j: int, parsed: dict[str, Prior], defaults: dict[str, Prior],
               used: dict[str, str], sites: list[Site], parameterization: str,
               intercept: str | None, on_threshold: bool = False) -> BlockSpec:
    """The sites and :class:`BlockSpec` of block ``j`` of predictor design ``d`` (appended to
    ``sites``); ``intercept``: the predictor's intercept site a random intercept may be
    centered on (``None``: not centered on one), with ``on_threshold`` an ordinal family's
    thresholds (centered on minus the first, :class:`BlockSpec`)."""
    tag = "" if d.dpar is None else f"{d.dpar}_"
    blk = d.blocks[j]
    scale_sites = []
    for sp in blk.names.scales:
        p = _block_param_prior(sp, parsed, defaults, used)
        sites.append(Site(sp.name, p, sp.shape, sp.support))
        scale_sites.append(sp.name)
    if parameterization == "centered" and not blk.structure.can_center:
        raise ValueError(f"the centered parameterization needs iid or two-penalty blocks; "
                         f"{blk.term} is {blk.structure.kind}: use 'noncentered'")
    z_shape = tuple(blk.structure.z_shape(blk))
    zp = blk.names.z_param
    sites.append(Site(f"z_{tag}{j}", Prior("normal", (0.0, 1.0)), z_shape, "real")
                 if zp is None else
                 Site(f"z_{tag}{j}", _block_param_prior(zp, parsed, defaults, used), z_shape,
                      zp.support))
    structure = blk.structure
    if blk.names.coef_priors:
        scale = defaults[_intercept_site(d.dpar)].named["sigma"]
        structure = structure.with_prior_sd(tuple(
            coefficient_sd(cp, parsed, scale, used) for cp in blk.names.coef_priors))
    on_intercept = (parameterization == "centered" and intercept is not None
                    and structure.centers_on_intercept and blk.is_indicator
                    and blk.weights.ndim == 1 and bool(np.all(blk.weights == 1)))
    return BlockSpec(j, tuple(scale_sites), f"z_{tag}{j}", structure, z_shape,
                     intercept if on_intercept else None, on_intercept and on_threshold)
