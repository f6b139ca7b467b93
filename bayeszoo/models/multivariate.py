"""A multivariate formula as one backend-neutral model: brms's ``mvbrmsformula``.

Each response has its own univariate design and :class:`~bayeszoo.models.spec.ModelSpec`
(:func:`multivariate_spec`), whose sites enter the joint model under ``<response>__<site>``.
Two things tie the responses together:

* group-level terms written with one ID (``(1 | p | fosternest)`` in several responses): their
  coefficients are one correlated block, ``Normal(0, diag(sd)·Ω·diag(sd))`` over every
  response's coefficients (brms's ``sd_fosternest__tarsus_Intercept``,
  ``cor_fosternest__tarsus_Intercept__back_Intercept``), non-centered as brms's
  ``scale_r_cor`` (:class:`~bayeszoo.structures.unstructured.Unstructured`);
* ``rescor``: the responses' residuals are jointly normal (or Student-t with one ``nu``) with
  correlation matrix ``Lrescor·Lrescorᵀ`` under brms's ``lkj_corr_cholesky(1)`` default
  (:mod:`bayeszoo.models.multivariate_likelihood`).

brms names a response's parameters with the response inserted (:func:`mv_name`):
``b_tarsus_Intercept``, ``b_back_sexMale``, ``sigma_tarsus``, ``sd_fosternest__tarsus_Intercept``,
``r_fosternest__tarsus``, ``Intercept_tarsus``; ``priors=`` takes those names (``"b_tarsus"``,
``"sigma_back"``, ``"sd_tarsus"``), the class names without a response for every response
(``"b"``, ``"sd"``, ``"sigma"``), ``"rescor"`` and ``"cor"`` / ``"cor_<group>"`` (LKJ).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bayeszoo.design import Design
from bayeszoo.formula.multivariate import MultivariateFormula
from bayeszoo.models.priors import Prior, check_support, parse_prior
from bayeszoo.models.spec import ModelSpec, Site, model_spec, valid_prior_keys
from bayeszoo.structures.unstructured import Unstructured

#: the backends that sample multivariate models
SAMPLERS = ("numpyro", "pymc")
#: families whose responses may have residual correlations (brms's ``set_rescor``)
RESCOR_FAMILIES = ("gaussian", "student")
#: the residual correlations' Cholesky factor (brms's ``Lrescor``)
RESCOR_SITE = "Lrescor"
#: classes of parameters with a name ``<class>_<rest>`` that takes the response after it
PREFIXED = ("b", "bs", "bsp", "sds", "s", "simo", "Intercept")
#: keys of ``priors=`` that apply to every response when given without one
GENERIC_KEYS = ("b", "bs", "sd", "sds", "Intercept")


def insert_response(rest: str, resp: str, dpars: tuple[str, ...]) -> str:
    """``rest`` of a name with ``resp`` after its distributional parameter, if any:
    ``"sexMale"`` -> ``"tarsus_sexMale"``, ``"sigma_x"`` -> ``"sigma_tarsus_x"``."""
    for d in dpars:
        if rest == d:
            return f"{d}_{resp}"
        if rest.startswith(d + "_"):
            return f"{d}_{resp}_{rest[len(d) + 1:]}"
    return f"{resp}_{rest}" if rest else resp


def mv_name(name: str, resp: str, dpars: tuple[str, ...] = ()) -> str:
    """brms's name in a multivariate model of a univariate model's parameter (or ``priors=``
    key) ``name`` of response ``resp``: ``b_Intercept`` -> ``b_tarsus_Intercept``, ``sigma``
    -> ``sigma_tarsus``, ``sd_fosternest__Intercept`` -> ``sd_fosternest__tarsus_Intercept``,
    ``r_fosternest`` -> ``r_fosternest__tarsus``, ``cor_g__Intercept__x`` ->
    ``cor_g__tarsus_Intercept__tarsus_x``, ``Intercept`` -> ``Intercept_tarsus``, ``b`` ->
    ``b_tarsus``.

    Examples
    --------
    >>> mv_name("b_sexMale", "back"), mv_name("sd_fosternest__Intercept", "tarsus")
    ('b_back_sexMale', 'sd_fosternest__tarsus_Intercept')
    """
    if name == "L" or name.startswith("L_"):  # a grouping's correlations: not per response
        return name
    if name.startswith("sd_"):
        group, _, coef = name[3:].partition("__")
        return f"sd_{group}__{insert_response(coef, resp, dpars)}" if coef \
            else f"sd_{group}__{resp}"
    if name.startswith("r_"):
        group, _, dpar = name[2:].partition("__")
        return f"r_{group}__{insert_response(dpar, resp, dpars)}"
    if name.startswith("cor_"):
        group, *coefs = name[4:].split("__")
        return "__".join([f"cor_{group}", *(insert_response(c, resp, dpars) for c in coefs)])
    head, _, rest = name.partition("_")
    if head in PREFIXED or name in ("sd", "cor"):
        return f"{head}_{insert_response(rest, resp, dpars)}"
    return f"{name}_{resp}"


@dataclass(frozen=True)
class LinkedGroup:
    """Group-level terms of one grouping factor sharing an ID across responses: ``members``
    (response index, block index in its ``mu`` design, first column) in response order,
    ``coefs`` brms's names of the joint coefficients (``tarsus_Intercept``), the sites of their
    standard deviations, correlation Cholesky factor and standardized values (levels × coefs)."""

    group: str
    id: str
    coefs: tuple[str, ...]
    members: tuple[tuple[int, int, int], ...]
    sd_sites: tuple[str, ...]
    cor_site: str
    z_site: str
    levels: tuple[str, ...]

    @property
    def structure(self) -> Unstructured:
        return Unstructured(coefs=self.coefs)


@dataclass(frozen=True)
class MultivariateSpec:
    """The joint model: per response its design, its univariate spec (its own site names) and
    the joint site of each of its sites; the linked group-level terms; the residual correlation
    site (``None`` without ``rescor``) and the shared ``nu`` of Student-t responses with
    residual correlations; every joint site in order and ``priors`` (brms name -> prior)."""

    formula: MultivariateFormula
    responses: tuple[str, ...]
    designs: tuple[Design, ...]
    specs: tuple[ModelSpec, ...]
    site_of: tuple[dict[str, str], ...]
    linked: tuple[LinkedGroup, ...]
    rescor: str | None
    nu: str | None
    sites: tuple[Site, ...]
    priors: dict[str, str]

    @property
    def family(self) -> str:
        """The responses' family names, ``"gaussian"`` or ``"gaussian, student"``."""
        return ", ".join(dict.fromkeys(s.family.name for s in self.specs))

    def site(self, name: str) -> Site:
        return next(s for s in self.sites if s.name == name)

    def linked_blocks(self, r: int) -> dict[int, tuple[LinkedGroup, int]]:
        """Response ``r``'s linked blocks: block index -> (its group, its first column)."""
        return {b: (g, c) for g in self.linked for rr, b, c in g.members if rr == r}


def response_families(formula: MultivariateFormula, family: Any) -> list[Any]:
    """Each response's family object: ``family`` one name or object for all, or a dict
    response -> family (default gaussian)."""
    from bayeszoo.families import get as get_family

    if isinstance(family, dict):
        unknown = sorted(set(family) - set(formula.responses))
        if unknown:
            raise ValueError(f"family given for {unknown}, which are not responses of "
                             f"{formula.responses}")
        return [get_family(family.get(r, "gaussian")) for r in formula.responses]
    return [get_family(family if family is not None else "gaussian")
            for _ in formula.responses]


def resolve_rescor(formula: MultivariateFormula, families: list[Any]) -> bool:
    """brms's ``rescor``: as given, or by default whether every family is Gaussian or
    Student-t; ``ValueError`` for residual correlations of other families or mixed ones."""
    names = [f.name for f in families]
    allowed = all(n in RESCOR_FAMILIES for n in names) and len(set(names)) == 1
    rescor = allowed if formula.rescor is None else formula.rescor
    if rescor and not allowed:
        raise ValueError(f"residual correlations (rescor=True) need every response Gaussian or "
                         f"every response Student-t (brms's set_rescor), got {names}")
    for f in families:
        if rescor and f.link_name != "identity":
            raise ValueError(f"residual correlations need the identity link, got {f.link_name}")
    return rescor


def split_priors(priors: dict | None, responses: tuple[str, ...], designs: list[Design],
                 families: list[Any]) -> tuple[list[dict], dict[str, Any]]:
    """``priors=`` of the joint model as each response's own keys, and the joint keys
    (``rescor``, ``cor``, ``cor_<group>``, ``nu``, ``sigma``; ``cor`` and ``sigma`` reach
    every response's own correlations and ``sigma`` too); ``ValueError`` for any other key."""
    priors = dict(priors or {})
    per: list[dict] = [{} for _ in responses]
    owner: dict[str, tuple[int, str]] = {}
    for r, (resp, d, fam) in enumerate(zip(responses, designs, families, strict=True)):
        dpars = tuple(d.dpars)
        for key in valid_prior_keys(d, fam):
            if key in ("cor", "L") or key.startswith(("cor_", "L_")):
                continue  # brms's correlations are not per response: the joint keys below
            owner[mv_name(key, resp, dpars)] = (r, key)
            if key in GENERIC_KEYS or key.startswith("sd_") and "__" not in key:
                owner.setdefault(key, (-1, key))
    joint_keys = {"rescor", "cor", "nu", "sigma"} | {f"cor_{g}" for d in designs
                                                       for g in d.groupings}
    unknown = sorted(k for k in priors if k not in owner and k not in joint_keys)
    if unknown:
        raise ValueError(f"unknown prior name(s) {unknown}; this model has: "
                         f"{', '.join(sorted(set(owner) | joint_keys))}")
    joint = {k: v for k, v in priors.items() if k in joint_keys}
    for k, v in priors.items():
        if k in owner and owner[k][0] == -1:
            for r in range(len(responses)):
                if k in valid_prior_keys(designs[r], families[r]):
                    per[r][k] = v
    for k in (k for k in joint if k == "sigma" or k.startswith("cor")):
        for r in range(len(responses)):
            if k in valid_prior_keys(designs[r], families[r]):
                per[r][k] = joint[k]
    for k, v in priors.items():
        if k in owner and owner[k][0] >= 0:
            per[owner[k][0]][owner[k][1]] = v
    return per, joint


def linked_groups(formula: MultivariateFormula, designs: list[Design]) -> list[LinkedGroup]:
    """The group-level terms sharing an ID and a grouping factor across two or more terms."""
    found: dict[tuple[str, str], list[tuple[int, int, tuple[str, ...]]]] = {}
    for r, (part, d) in enumerate(zip(formula.parts, designs, strict=True)):
        for text, id_ in part.ids.items():
            texts = [st.text for st in d.term_states]
            blocks = d.term_blocks[texts.index(text)] if text in texts else ()
            if len(blocks) != 1:
                _refuse(text)
            j = blocks[0]
            blk = d.blocks[j]
            if not blk.is_group_effect:
                _refuse(text)
            coefs = blk.coefs
            found.setdefault((id_, blk.name), []).append((r, j, coefs))
    out = []
    for (id_, group), members in found.items():
        if len(members) < 2:
            continue
        levels = {tuple(designs[r].blocks[j].labels) for r, j, _ in members}
        if len(levels) != 1:
            raise ValueError(f"terms of {group!r} with ID {id_!r} see different levels in "
                             "different responses; give every response the same rows")
        coefs, placed, col = [], [], 0
        for r, j, cs in members:
            resp = formula.responses[r]
            coefs += [f"{resp}_{c}" for c in cs]
            placed.append((r, j, col))
            col += len(cs)
        tag = f"{group}__{id_}"
        out.append(LinkedGroup(group, id_, tuple(coefs), tuple(placed),
                               tuple(f"sd_{group}__{c}" for c in coefs), f"L_{tag}",
                               f"z_{tag}", tuple(levels.pop())))
    return out


def _refuse(text: str):
    raise ValueError(f"{text}: a correlation ID ('|ID|') is supported on (lhs | g) terms of "
                     "random intercepts and slopes")


def multivariate_spec(formula: MultivariateFormula, data: Any, family: Any = None,
                      priors: dict | None = None, na_action: str = "raise") -> MultivariateSpec:
    """The joint model of ``formula`` on ``data`` (see the module doc)."""
    from bayeszoo.formula import as_design

    families = response_families(formula, family)
    rescor = resolve_rescor(formula, families)
    designs = [as_design(p.as_bf(), data, fam, na_action, None)
               for p, fam in zip(formula.parts, families, strict=True)]
    if len({d.n for d in designs}) != 1:
        raise ValueError("every response must keep the same rows (missing values differ "
                         "between the responses' columns)")
    for d in designs:
        if any(b.computes_contribution for b in d.blocks) or d.states.get("ar"):
            raise ValueError("nn() and ar() terms are not supported in multivariate models")
        if any(getattr(st, "mo", ()) for st in d.term_states):
            raise ValueError("monotonic effects varying by group ((mo(x) | g)) are not "
                             "supported in multivariate models")
    per, joint = split_priors(priors, formula.responses, designs, families)
    specs = [model_spec(d, p, "noncentered", fam)
             for d, p, fam in zip(designs, per, families, strict=True)]
    for s in specs:
        if s.ar is not None:
            raise ValueError("ar() terms are not supported in multivariate models")
    linked = linked_groups(formula, designs)
    skip: list[set[str]] = [set() for _ in specs]
    for g in linked:
        for r, j, _ in g.members:
            bs = specs[r].mu.blocks[j]
            skip[r] |= {*bs.scale_sites, bs.z_site}
    student_rescor = rescor and families[0].name == "student"
    sites: list[Site] = []
    used: dict[str, str] = {}
    site_of: list[dict[str, str]] = []
    for r, (resp, d, s) in enumerate(zip(formula.responses, designs, specs, strict=True)):
        mapping = {}
        for site in s.sites:
            if site.name in skip[r] or (student_rescor and site.name == "nu"):
                continue
            mapping[site.name] = f"{resp}__{site.name}"
            sites.append(Site(mapping[site.name], site.prior, site.shape, site.support))
        site_of.append(mapping)
        used.update({mv_name(k, resp, tuple(d.dpars)): v for k, v in s.priors.items()})
    for g in linked:
        for (r, _, _), sd_names in zip(g.members, _member_sds(g, specs), strict=True):
            for sd_site, name in sd_names:
                prior = specs[r].site(sd_site).prior
                sites.append(Site(name, prior, (), "positive"))
                used[name] = str(prior)
        p = _lkj(joint, f"cor_{g.group}", "cor")
        sites.append(Site(g.cor_site, p, (len(g.coefs), len(g.coefs)), "correlation"))
        used[f"L_{g.group}"] = str(p)
        sites.append(Site(g.z_site, Prior("normal", (0.0, 1.0)), (len(g.levels), len(g.coefs))))
    nu = None
    if student_rescor:
        nu = "nu"
        prior = check_support("nu", parse_prior(joint["nu"]) if "nu" in joint
                              else specs[0].site("nu").prior, "positive")
        sites.append(Site(nu, prior, (), "greater_than_1"))
        used["nu"] = str(prior)
        for resp in formula.responses:
            used.pop(f"nu_{resp}", None)
    elif "nu" in joint:
        raise ValueError("prior 'nu': give each Student-t response's as 'nu_<response>'")
    site = None
    if rescor:
        site = RESCOR_SITE
        p = _lkj(joint, "rescor")
        sites.append(Site(site, p, (len(designs),) * 2, "correlation"))
        used["Lrescor"] = str(p)
    elif "rescor" in joint:
        raise ValueError("prior 'rescor' given for a model without residual correlations")
    return MultivariateSpec(formula, formula.responses, tuple(designs), tuple(specs),
                            tuple(site_of), tuple(linked), site, nu, tuple(sites), used)


def _member_sds(g: LinkedGroup, specs: list[ModelSpec]) -> list[list[tuple[str, str]]]:
    """Per member of ``g``: (its response's sd site, the joint sd site) of each coefficient."""
    out, k = [], 0
    for r, j, _ in g.members:
        bs = specs[r].mu.blocks[j]
        sds = [s for s in bs.scale_sites if specs[r].site(s).support == "positive"]
        out.append([(s, g.sd_sites[k + i]) for i, s in enumerate(sds)])
        k += len(sds)
    return out


def _lkj(joint: dict[str, Any], *keys: str) -> Prior:
    """The LKJ prior of the first of ``keys`` in ``joint``, else brms's ``lkj(1)``."""
    key = next((k for k in keys if k in joint), None)
    p = parse_prior(joint[key]) if key is not None else Prior("lkj", (1.0,))
    if p.family != "lkj":
        raise ValueError(f"prior {key!r} = {p}: correlations take an lkj(eta) prior")
    return p


def linked_coefficients(g: LinkedGroup, values: dict[str, Any], ops) -> Any:
    """The joint coefficients of ``g`` (``(..., levels, coefs)``): ``z·(diag(sd)·L)ᵀ``."""
    return g.structure.coefficients([*(values[s] for s in g.sd_sites), values[g.cor_site]],
                                    values[g.z_site], ops)


def member_coefficients(coefs: Any, block, first: int) -> Any:
    """One member block's share of the joint coefficients: a column for a random intercept
    (``(..., levels)``), ``k`` columns for a correlated term (``(..., levels, k)``)."""
    if not block.structure.correlates_coefficients:
        return coefs[..., first]
    return coefs[..., first:first + len(block.structure.coefs)]
