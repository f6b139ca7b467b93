"""brms's default priors and the small prior vocabulary shared by every sampling backend.

Defaults (as brms sets them for a Gaussian model): with ``s = max(2.5, round(mad(y), 1))``
(R's ``mad``, constant 1.4826) and ``m = round(median(y), 1)``

* ``Intercept`` ~ ``student_t(3, m, s)``: the intercept of the *centered* fixed design
  (non-intercept columns of ``X`` minus their means); ``b_Intercept`` is recovered as
  ``Intercept - mean(X) · b``;
* every ``sd_*``, ``sds_*`` and ``sigma`` ~ ``half_student_t(3, 0, s)``;
* every other fixed coefficient (``b_*``, ``bs_*``) flat.

Vocabulary (strings such as ``"normal(0, 5)"`` or the dataclasses below):

===================================  ==========================================================
``normal(mu, sigma)``                 unbounded parameters; on a positive one only ``mu = 0``
                                      (then it is ``half_normal(sigma)``)
``student_t(df, mu, sigma)``          likewise (``mu = 0`` on a positive parameter)
``half_normal(sigma)``                positive parameters (``sd``, ``sds``, ``sigma``);
                                      ``half_normal(0, sigma)`` too
``half_student_t(df, sigma)``         positive parameters; ``half_student_t(df, 0, sigma)`` too
``exponential(rate)``                 positive parameters
``flat()`` / ``flat``                 improper uniform on the parameter's support
===================================  ==========================================================

Keys of ``priors=`` (most specific wins): ``"Intercept"``; ``"b"`` (all other fixed
coefficients, smooth null-space columns included, as brms's class ``b``), ``"bs"`` (only those
of smooths), ``"b_<col>"`` / ``"bs_<col>"``; ``"sd"`` (all random-effect SDs), ``"sd_<group>"``,
``"sd_<group>__<coef>"``; ``"sds"`` (all smooth SDs), ``"sds_<name>"``; ``"sigma"``.
Anything else raises ``ValueError`` before a model is compiled.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import numpy as np

from bayeszoo.design import Design

# --------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Prior:
    """A prior: ``family`` in :data:`FAMILIES` and its parameters in brms's order."""

    family: str
    params: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(
                f"unknown prior family {self.family!r}; use one of {', '.join(FAMILIES)}")
        names = FAMILIES[self.family]
        if len(self.params) != len(names):
            raise ValueError(
                f"{self.family} takes {len(names)} parameter(s) ({', '.join(names) or 'none'}), "
                f"got {len(self.params)}: {self.params}")
        vals = tuple(float(p) for p in self.params)
        object.__setattr__(self, "params", vals)
        for n, v in zip(names, vals, strict=True):
            if not math.isfinite(v):
                raise ValueError(f"{self.family}: parameter {n} must be finite, got {v}")
            if n in ("sigma", "df", "rate") and v <= 0:
                raise ValueError(f"{self.family}: parameter {n} must be > 0, got {v}")

    def __str__(self) -> str:
        return f"{self.family}({', '.join(_fmt(p) for p in self.params)})"

    @property
    def named(self) -> dict[str, float]:
        return dict(zip(FAMILIES[self.family], self.params, strict=True))


FAMILIES: dict[str, tuple[str, ...]] = {
    "normal": ("mu", "sigma"),
    "student_t": ("df", "mu", "sigma"),
    "half_normal": ("sigma",),
    "half_student_t": ("df", "sigma"),
    "exponential": ("rate",),
    "flat": (),
}


def normal(mu: float, sigma: float) -> Prior:
    return Prior("normal", (mu, sigma))


def student_t(df: float, mu: float, sigma: float) -> Prior:
    return Prior("student_t", (df, mu, sigma))


def half_normal(sigma: float) -> Prior:
    return Prior("half_normal", (sigma,))


def half_student_t(df: float, sigma: float) -> Prior:
    return Prior("half_student_t", (df, sigma))


def exponential(rate: float) -> Prior:
    return Prior("exponential", (rate,))


def flat() -> Prior:
    return Prior("flat", ())


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


_CALL = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*$")


def parse_prior(spec: str | Prior) -> Prior:
    """``"normal(0, 5)"`` -> ``Prior("normal", (0, 5))``; a :class:`Prior` passes through.

    ``half_student_t(3, 0, 2.5)`` (brms's spelling with a location) is accepted when the
    location is 0. Keyword arguments (``normal(mu=0, sigma=5)``) use the names in
    :data:`FAMILIES`.
    """
    if isinstance(spec, Prior):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"a prior is a string like 'normal(0, 5)' or a Prior, got {spec!r}")
    m = _CALL.match(spec)
    if not m:
        raise ValueError(f"cannot parse prior {spec!r}; write e.g. 'normal(0, 5)'")
    family, body = m.group(1).lower(), (m.group(2) or "").strip()
    aliases = {"halfnormal": "half_normal", "half_t": "half_student_t",
               "halfstudentt": "half_student_t", "studentt": "student_t",
               "student": "student_t", "uniform_flat": "flat"}
    family = aliases.get(family, family)
    if family not in FAMILIES:
        raise ValueError(f"unknown prior family {family!r} in {spec!r}; "
                         f"use one of {', '.join(FAMILIES)}")
    args: list[float] = []
    kwargs: dict[str, float] = {}
    if body:
        for part in body.split(","):
            part = part.strip()
            try:
                if "=" in part:
                    k, v = (s.strip() for s in part.split("=", 1))
                    kwargs[k] = float(v)
                else:
                    if kwargs:
                        raise ValueError
                    args.append(float(part))
            except ValueError:
                raise ValueError(f"cannot parse parameter {part!r} of prior {spec!r}") from None
    names = FAMILIES[family]
    if family in ("half_normal", "half_student_t") and len(args) + len(kwargs) == len(names) + 1:
        # brms/Stan write half priors with a location: student_t(3, 0, s), normal(0, s)
        long = ("df", "mu", "sigma") if family == "half_student_t" else ("mu", "sigma")
        full = dict(zip(long, args, strict=False)) | kwargs
        if set(full) != set(long) or len(args) > len(long):
            raise ValueError(f"cannot read {spec!r}; {family} takes {', '.join(names)} "
                             "(optionally a location 0 before sigma)")
        if full["mu"] != 0:
            raise ValueError(f"{spec!r}: a half distribution's location must be 0")
        return Prior(family, tuple(full[n] for n in names))
    unknown = set(kwargs) - set(names)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)} in prior {spec!r}; "
                         f"{family} takes {', '.join(names) or 'none'}")
    full = dict(zip(names, args, strict=False))
    if len(args) > len(names):
        raise ValueError(f"{spec!r}: {family} takes {len(names)} parameter(s) "
                         f"({', '.join(names) or 'none'}), got {len(args)}")
    dup = set(full) & set(kwargs)
    if dup:
        raise ValueError(f"{spec!r}: parameter(s) {sorted(dup)} given twice")
    full |= kwargs
    missing = [n for n in names if n not in full]
    if missing:
        raise ValueError(f"{spec!r}: missing parameter(s) {missing} of {family}")
    return Prior(family, tuple(full[n] for n in names))


# --------------------------------------------------------------------------- brms defaults


def r_mad(y: np.ndarray) -> float:
    """R's ``mad(y)``: median absolute deviation times 1.4826."""
    y = np.asarray(y, dtype=float)
    return float(1.4826 * np.median(np.abs(y - np.median(y))))


def _r_round1(x: float) -> float:
    # R's round(x, 1) (IEC 60559: the representable value nearest, ties to even)
    return float(np.round(x, 1)) + 0.0


def default_scale(y: np.ndarray) -> tuple[float, float]:
    """``(m, s)`` of brms's defaults: ``round(median(y), 1)`` and ``max(2.5, round(mad(y), 1))``."""
    y = np.asarray(y, dtype=float)
    return _r_round1(float(np.median(y))), max(2.5, _r_round1(r_mad(y)))


# --------------------------------------------------------------------------- model spec


@dataclass(frozen=True)
class BlockSpec:
    """One block as the builders see it: internal site names and the brms output names."""

    index: int  # position in Design.blocks
    name: str  # Design block name ("county", "stimes_1")
    kind: str  # "re" | "smooth"
    sd_name: str  # "sd_county__Intercept" | "sds_stimes_1"
    coef_name: str  # "r_county" | "r_county__floor" | "s_stimes_1"
    dim: str  # "county" | "stimes_1_basis"
    labels: list[str]
    z_site: str  # internal site of the standardized (or centered) coefficients
    prior: Prior


@dataclass(frozen=True)
class ModelSpec:
    """Everything a backend needs besides the arrays: resolved priors and the naming.

    Internal sites (identical in every backend): ``Intercept`` (centered intercept),
    ``b_<k>`` groups of non-intercept fixed coefficients sharing a prior (``fixed_groups``),
    each block's SD under its brms name (``sd_county__Intercept``, ``sds_stimes_1``), each
    block's coefficients ``z_<j>`` (standardized; centered: the coefficients themselves) and
    ``sigma``. :func:`bayeszoo.inference.sampling.sample` maps them to brms's names.
    """

    response: str
    has_intercept: bool
    intercept_col: int | None
    fixed_cols: list[int]  # non-intercept columns of X, in X order
    fixed_names: list[str]  # brms names of those columns (b_floor, bs_stimes_1)
    x_means: np.ndarray  # means of the non-intercept columns (centering)
    fixed_groups: list[tuple[str, list[int], Prior]]  # (site, positions in fixed_cols, prior)
    intercept_prior: Prior | None
    blocks: list[BlockSpec]
    sigma_prior: Prior
    parameterization: str
    m: float
    s: float
    priors: dict[str, str] = field(default_factory=dict)  # brms name -> prior, as used

    def priors_json(self) -> str:
        return json.dumps(self.priors)


POSITIVE_OK = ("half_normal", "half_student_t", "exponential", "flat", "normal", "student_t")
REAL_OK = ("normal", "student_t", "flat")


def fixed_brms_names(design: Design) -> list[str]:
    """brms names of every column of ``X``: ``b_Intercept``, ``b_<col>``, ``bs_<col>``."""
    smooth_cols = {c for sm in design.smooths for c in sm.fixed_columns}
    out = []
    for j, col in enumerate(design.column_names):
        if col == "Intercept":
            out.append("b_Intercept")
        elif j in smooth_cols:
            out.append(f"bs_{col}")
        else:
            out.append(f"b_{col}")
    return out


def block_names(design: Design) -> list[tuple[str, str, str]]:
    """``(sd name, coefficient name, dim)`` of each block, brms-style."""
    out = []
    for blk in design.blocks:
        if blk.kind == "re":
            coef = blk.coef or "Intercept"
            sd = f"sd_{blk.name}__{coef}"
            r = f"r_{blk.name}" if coef == "Intercept" else f"r_{blk.name}__{coef}"
            out.append((sd, r, blk.name))
        elif blk.kind == "smooth":
            out.append((f"sds_{blk.name}", f"s_{blk.name}", f"{blk.name}_basis"))
        else:
            raise ValueError(f"block {blk.name!r} has unknown kind {blk.kind!r} "
                             "(expected 're' or 'smooth')")
    return out


def _check_support(key: str, prior: Prior, positive: bool) -> Prior:
    if positive:
        if prior.family not in POSITIVE_OK:
            raise ValueError(f"prior {prior} is not allowed for {key!r}")
        if prior.family in ("normal", "student_t"):
            if prior.named["mu"] != 0:
                raise ValueError(
                    f"prior {prior} for {key!r}: a positive parameter takes a location-0 prior "
                    f"(it becomes the half distribution); use half_normal / half_student_t")
            if prior.family == "normal":
                return half_normal(prior.named["sigma"])
            return half_student_t(prior.named["df"], prior.named["sigma"])
        return prior
    if prior.family not in REAL_OK:
        raise ValueError(f"prior {prior} is for positive parameters; {key!r} is unbounded: "
                         f"use one of {', '.join(REAL_OK)}")
    return prior


def model_spec(design: Design, priors: dict | None = None,
               parameterization: str = "noncentered") -> ModelSpec:
    """Resolve ``priors`` against ``design``: brms defaults, overrides, names. Raises
    ``ValueError`` for an unknown key, family or parameter, or an unknown parameterization."""
    if parameterization not in ("noncentered", "centered"):
        raise ValueError(f"parameterization must be 'noncentered' or 'centered', "
                         f"got {parameterization!r}")
    if design.y is None:
        raise ValueError("the design has no response; sampling needs y")
    priors = dict(priors or {})
    parsed: dict[str, Prior] = {}
    for k, v in priors.items():
        if not isinstance(k, str):
            raise ValueError(f"prior keys are parameter names (strings), got {k!r}")
        try:
            parsed[k] = parse_prior(v)
        except ValueError as e:
            raise ValueError(f"prior for {k!r}: {e}") from None

    m, s = default_scale(design.y)
    names = fixed_brms_names(design)
    bnames = block_names(design)
    icol = design.column_names.index("Intercept") if design.has_intercept else None
    fixed_cols = [j for j in range(len(names)) if j != icol]
    fixed_names = [names[j] for j in fixed_cols]

    # every key a user may write
    valid: set[str] = {"b", "bs", "sigma"} | set(fixed_names)
    if icol is not None:
        valid |= {"Intercept", "b_Intercept"}
    groups_re = {blk.name for blk in design.blocks if blk.kind == "re"}
    if groups_re:
        valid |= {"sd"} | {f"sd_{g}" for g in groups_re}
    if any(blk.kind == "smooth" for blk in design.blocks):
        valid |= {"sds"}
    valid |= {sd for sd, _, _ in bnames}
    unknown = sorted(set(parsed) - valid)
    if unknown:
        raise ValueError(
            f"unknown prior name(s) {unknown}; this model has: {', '.join(sorted(valid))}")
    if "b_Intercept" in parsed:
        if "Intercept" in parsed:
            raise ValueError("give the intercept prior once, as 'Intercept'")
        parsed["Intercept"] = parsed.pop("b_Intercept")

    used: dict[str, str] = {}
    default_pos = half_student_t(3, s)

    intercept_prior = None
    if icol is not None:
        intercept_prior = _check_support(
            "Intercept", parsed.get("Intercept", student_t(3, m, s)), positive=False)
        used["Intercept"] = str(intercept_prior)

    col_priors: list[Prior] = []
    for name in fixed_names:
        p = parsed.get(name)
        if p is None and name.startswith("bs_"):
            p = parsed.get("bs")
        if p is None:
            p = parsed.get("b", flat())
        p = _check_support(name, p, positive=False)
        col_priors.append(p)
        used[name] = str(p)
    groups: list[tuple[str, list[int], Prior]] = []
    for pos, p in enumerate(col_priors):
        for _site, members, gp in groups:
            if gp == p:
                members.append(pos)
                break
        else:
            groups.append((f"b_{len(groups)}", [pos], p))

    blocks: list[BlockSpec] = []
    for j, (blk, (sd, coef, dim)) in enumerate(zip(design.blocks, bnames, strict=True)):
        if blk.kind == "re":
            p = parsed.get(sd) or parsed.get(f"sd_{blk.name}") or parsed.get("sd") or default_pos
        else:
            p = parsed.get(sd) or parsed.get("sds") or default_pos
        p = _check_support(sd, p, positive=True)
        used[sd] = str(p)
        blocks.append(BlockSpec(j, blk.name, blk.kind, sd, coef, dim,
                                [str(x) for x in blk.labels], f"z_{j}", p))
    sigma_prior = _check_support("sigma", parsed.get("sigma", default_pos), positive=True)
    used["sigma"] = str(sigma_prior)

    X = np.asarray(design.X, dtype=float)
    x_means = X[:, fixed_cols].mean(axis=0) if fixed_cols else np.zeros(0)
    return ModelSpec(
        response=design.response, has_intercept=icol is not None, intercept_col=icol,
        fixed_cols=fixed_cols, fixed_names=fixed_names, x_means=x_means, fixed_groups=groups,
        intercept_prior=intercept_prior, blocks=blocks, sigma_prior=sigma_prior,
        parameterization=parameterization, m=m, s=s, priors=used)
