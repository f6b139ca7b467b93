"""A design and a family as a backend-neutral model: its free parameters (sites) with their
priors, and how they make the linear predictor.

:func:`model_spec` resolves ``priors=`` against the design and the family's brms defaults. The
result lists every free parameter as a :class:`Site` (name, prior, shape, support) in the order
brms declares them; each backend (:mod:`bayeszoo.models.numpyro`, :mod:`bayeszoo.models.pymc`)
turns the sites into its random variables and hands their values to the pure functions of
:mod:`bayeszoo.models.likelihood`.

Sites: ``Intercept`` (the intercept of the *centered* fixed design, as brms's), ``b_<k>`` groups
of the other fixed coefficients sharing a prior, each block's scales under their brms names
(``sd_county__Intercept``, ``sds_stimes_1``) and standardized coefficients ``z_<j>`` (the
coefficients themselves when centered), then the family's auxiliary parameters (``sigma``,
``shape``, ``nu``, ``phi``).

Keys of ``priors=`` (most specific wins): ``"Intercept"``; ``"b"`` (every other fixed
coefficient, smooth null-space columns included, as brms's class ``b``), ``"bs"`` (those of
smooths), ``"b_<col>"`` / ``"bs_<col>"``; each block's keys (``"sd"``, ``"sd_<group>"``,
``"sd_<group>__<coef>"``; ``"sds"``, ``"sds_<name>"``); the family's auxiliary parameters.
Anything else raises ``ValueError`` before a model is compiled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayeszoo.design import Design
from bayeszoo.models.priors import (
    Prior,
    check_support,
    flat,
    parse_prior,
)

PARAMETERIZATIONS = ("noncentered", "centered")


@dataclass(frozen=True)
class Site:
    """One free parameter: ``name`` (the backend's variable name), ``prior``, ``shape`` and
    ``support`` (``"real"``, ``"positive"``, ``"greater_than_one"``, ``"correlation"``)."""

    name: str
    prior: Prior
    shape: tuple[int, ...] = ()
    support: str = "real"


@dataclass(frozen=True)
class BlockSpec:
    """A block as the backends see it: its index in ``Design.blocks``, the sites of its scales
    and of its standardized coefficients, and its structure."""

    index: int
    scale_sites: tuple[str, ...]
    z_site: str
    structure: Any
    size: int


@dataclass(frozen=True)
class ModelSpec:
    """Everything a backend needs besides the arrays.

    ``fixed_cols`` are the non-intercept columns of ``X`` (in ``X`` order) and ``fixed_groups``
    ``(site, positions in fixed_cols)`` of the coefficients sharing a prior; ``x_means`` centre
    them when there is an intercept. ``aux`` maps each of the family's auxiliary parameters to
    its site; ``priors`` maps brms names to the priors used.
    """

    family: Any
    response: str
    has_intercept: bool
    fixed_cols: list[int]
    fixed_params: list[str]
    x_means: np.ndarray
    fixed_groups: list[tuple[str, list[int]]]
    blocks: list[BlockSpec]
    aux: dict[str, str]
    sites: list[Site]
    parameterization: str
    priors: dict[str, str] = field(default_factory=dict)

    def priors_json(self) -> str:
        return json.dumps(self.priors)

    def site(self, name: str) -> Site:
        return next(s for s in self.sites if s.name == name)

    @property
    def centered(self) -> bool:
        return self.parameterization == "centered"


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


def valid_prior_keys(design: Design, family: Any) -> set[str]:
    """Every key ``priors=`` accepts for ``design`` with ``family``."""
    fixed = [p for p, c in zip(design.fixed_params, design.column_names, strict=True)
             if c != "Intercept"]
    valid = {"b", "bs"} | set(fixed)
    if design.has_intercept:
        valid |= {"Intercept", "b_Intercept"}
    for blk in design.blocks:
        for keys in blk.names.prior_keys:
            valid |= set(keys)
    valid |= {a.name for a in family.aux_parameters(tuple(design.additions))}
    return valid


def model_spec(design: Design, priors: dict | None = None,
               parameterization: str = "noncentered", family: Any = None) -> ModelSpec:
    """Resolve ``priors`` against ``design`` and its family: brms defaults, overrides, names.
    Raises ``ValueError`` for an unknown key, family or parameter, a prior that does not suit
    its parameter, or an unknown parameterization."""
    from bayeszoo.families import get as get_family

    if parameterization not in PARAMETERIZATIONS:
        raise ValueError(f"parameterization must be 'noncentered' or 'centered', "
                         f"got {parameterization!r}")
    if design.y is None:
        raise ValueError("the design has no response; sampling needs y")
    family = get_family(family if family is not None else design.family or "gaussian")
    parsed = _parse_all(priors)
    valid = valid_prior_keys(design, family)
    unknown = sorted(set(parsed) - valid)
    if unknown:
        raise ValueError(
            f"unknown prior name(s) {unknown}; this model has: {', '.join(sorted(valid))}")
    if "b_Intercept" in parsed:
        if "Intercept" in parsed:
            raise ValueError("give the intercept prior once, as 'Intercept'")
        parsed["Intercept"] = parsed.pop("b_Intercept")
    offset = design.offset if design.offset is not None and np.any(design.offset) else None
    defaults = {k: parse_prior(v) for k, v in
                family.default_priors(design.y, offset=offset).items()}
    used: dict[str, str] = {}
    sites: list[Site] = []

    icol = design.column_names.index("Intercept") if design.has_intercept else None
    fixed_cols = [j for j in range(len(design.column_names)) if j != icol]
    fixed_params = [design.fixed_params[j] for j in fixed_cols]
    groups: list[tuple[str, list[int]]] = []
    group_priors: list[Prior] = []
    for pos, name in enumerate(fixed_params):
        p = parsed.get(name)
        if p is None and name.startswith("bs_"):
            p = parsed.get("bs")
        p = check_support(name, p if p is not None else parsed.get("b", flat()), "real")
        used[name] = str(p)
        for k, gp in enumerate(group_priors):
            if gp == p:
                groups[k][1].append(pos)
                break
        else:
            groups.append((f"b_{len(groups)}", [pos]))
            group_priors.append(p)
    for (site, members), p in zip(groups, group_priors, strict=True):
        sites.append(Site(site, p, (len(members),), "real"))
    if icol is not None:
        p = check_support("Intercept", parsed.get("Intercept", defaults["Intercept"]), "real")
        used["Intercept"] = str(p)
        sites.append(Site("Intercept", p))

    blocks: list[BlockSpec] = []
    for j, blk in enumerate(design.blocks):
        scale_sites = []
        for name, keys in zip(blk.names.scales, blk.names.prior_keys, strict=True):
            p = next((parsed[k] for k in keys if k in parsed), defaults["sd"])
            p = check_support(name, p, "positive")
            used[name] = str(p)
            sites.append(Site(name, p, (), "positive"))
            scale_sites.append(name)
        if parameterization == "centered" and blk.structure.kind != "iid":
            raise ValueError(f"the centered parameterization needs iid blocks; {blk.term} is "
                             f"{blk.structure.kind}")
        sites.append(Site(f"z_{j}", Prior("normal", (0.0, 1.0)), (blk.size,), "real"))
        blocks.append(BlockSpec(j, tuple(scale_sites), f"z_{j}", blk.structure, blk.size))

    aux: dict[str, str] = {}
    for a in family.aux_parameters(tuple(design.additions)):
        p = check_support(a.name, parsed.get(a.name, defaults[a.name]), "positive")
        used[a.name] = str(p)
        sites.append(Site(a.name, p, (), "positive" if a.lower == 0 else
                          f"greater_than_{a.lower:g}"))
        aux[a.name] = a.name

    X = np.asarray(design.X, dtype=float)
    x_means = X[:, fixed_cols].mean(axis=0) if fixed_cols else np.zeros(0)
    return ModelSpec(family=family, response=design.response, has_intercept=icol is not None,
                     fixed_cols=fixed_cols, fixed_params=fixed_params, x_means=x_means,
                     fixed_groups=groups, blocks=blocks, aux=aux, sites=sites,
                     parameterization=parameterization, priors=used)
