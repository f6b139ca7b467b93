"""The prior vocabulary every sampling backend shares, and brms's scale defaults.

Priors are strings such as ``"normal(0, 5)"`` or :class:`Prior` objects, parameters in Stan's
(and brms's) order:

=====================================  ===================================================
``normal(mu, sigma)``                   ``student_t(df, mu, sigma)``   ``cauchy(mu, sigma)``
``half_normal(sigma)``                  ``half_student_t(df, sigma)``  ``half_cauchy(sigma)``
``exponential(rate)``                   ``gamma(alpha, beta)`` (rate)  ``inv_gamma(alpha, beta)``
``lognormal(mu, sigma)``                ``uniform(lower, upper)``      ``beta(a, b)``
``logistic(mu, sigma)``                 ``lkj(eta)`` (correlations)    ``flat()`` / ``flat``
``dirichlet(alpha)`` (simplexes)
=====================================  ===================================================

brms's spellings are accepted: a half prior written with its location (``student_t(3, 0, 2.5)``
or ``half_student_t(3, 0, 2.5)`` on a positive parameter), ``lkj_corr_cholesky(eta)``.
Which families suit which parameter is checked by :func:`check_support`: unbounded parameters
(``b``, ``Intercept``) take ``normal``, ``student_t``, ``cauchy``, ``logistic`` (brms's
default intercept of a ``zi``/``hu`` formula), ``uniform`` and ``flat``; positive ones (``sd``,
``sds``, ``sigma``, ``shape``, ``phi``, ``nu``) the half and positive families (a location-0
``normal``/``student_t``/``cauchy`` becomes its half version, as in brms); probabilities
(``zi``, ``hu``) ``beta`` and ``uniform`` within ``[0, 1]``; correlation matrices ``lkj``;
simplexes (brms's ``simo`` of a monotonic effect) the symmetric ``dirichlet(alpha)``, every
concentration ``alpha`` (brms recycles a single one over the simplex, as here).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np


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
            if n in POSITIVE_PARAMS and v <= 0:
                raise ValueError(f"{self.family}: parameter {n} must be > 0, got {v}")
        if self.family == "uniform" and not vals[0] < vals[1]:
            raise ValueError(f"uniform: lower must be below upper, got {vals}")

    def __str__(self) -> str:
        return f"{self.family}({', '.join(_fmt(p) for p in self.params)})"

    @property
    def named(self) -> dict[str, float]:
        return dict(zip(FAMILIES[self.family], self.params, strict=True))


FAMILIES: dict[str, tuple[str, ...]] = {
    "normal": ("mu", "sigma"),
    "student_t": ("df", "mu", "sigma"),
    "cauchy": ("mu", "sigma"),
    "half_normal": ("sigma",),
    "half_student_t": ("df", "sigma"),
    "half_cauchy": ("sigma",),
    "exponential": ("rate",),
    "gamma": ("alpha", "beta"),
    "inv_gamma": ("alpha", "beta"),
    "lognormal": ("mu", "sigma"),
    "uniform": ("lower", "upper"),
    "beta": ("a", "b"),
    "logistic": ("mu", "sigma"),
    "lkj": ("eta",),
    "dirichlet": ("alpha",),
    "flat": (),
}
POSITIVE_PARAMS = ("sigma", "df", "rate", "alpha", "beta", "a", "b", "eta")
_ALIASES = {"halfnormal": "half_normal", "half_t": "half_student_t",
            "halfstudentt": "half_student_t", "studentt": "student_t", "student": "student_t",
            "halfcauchy": "half_cauchy", "invgamma": "inv_gamma", "inverse_gamma": "inv_gamma",
            "lkj_corr_cholesky": "lkj", "lkj_corr": "lkj"}
#: Prior families per kind of parameter.
SUPPORTS: dict[str, tuple[str, ...]] = {
    "real": ("normal", "student_t", "cauchy", "logistic", "uniform", "flat"),
    "positive": ("half_normal", "half_student_t", "half_cauchy", "exponential", "gamma",
                 "inv_gamma", "lognormal", "uniform", "flat", "normal", "student_t", "cauchy"),
    "unit": ("beta", "uniform"),
    "correlation": ("lkj",),
    "simplex": ("dirichlet",),
    "ar": ("flat", "uniform"),
}
_HALF = {"normal": "half_normal", "student_t": "half_student_t", "cauchy": "half_cauchy"}


def normal(mu: float, sigma: float) -> Prior:
    return Prior("normal", (mu, sigma))


def half_student_t(df: float, sigma: float) -> Prior:
    return Prior("half_student_t", (df, sigma))


def flat() -> Prior:
    return Prior("flat", ())


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


_CALL = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*$")


def parse_prior(spec: str | Prior) -> Prior:
    """``"normal(0, 5)"`` -> ``Prior("normal", (0, 5))``; a :class:`Prior` passes through.

    Keyword arguments (``normal(mu=0, sigma=5)``) use the names in :data:`FAMILIES`; a half
    prior may carry brms's location 0 (``half_student_t(3, 0, 2.5)``).
    """
    if isinstance(spec, Prior):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"a prior is a string like 'normal(0, 5)' or a Prior, got {spec!r}")
    m = _CALL.match(spec)
    if not m:
        raise ValueError(f"cannot parse prior {spec!r}; write e.g. 'normal(0, 5)'")
    family, body = m.group(1).lower(), (m.group(2) or "").strip()
    family = _ALIASES.get(family, family)
    if family not in FAMILIES:
        raise ValueError(f"unknown prior family {family!r} in {spec!r}; "
                         f"use one of {', '.join(FAMILIES)}")
    args: list[float] = []
    kwargs: dict[str, float] = {}
    for part in (p.strip() for p in body.split(",")) if body else ():
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
    if family.startswith("half_") and len(args) + len(kwargs) == len(names) + 1:
        long = (*names[:-1], "mu", "sigma")
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
    if len(args) > len(names):
        raise ValueError(f"{spec!r}: {family} takes {len(names)} parameter(s) "
                         f"({', '.join(names) or 'none'}), got {len(args)}")
    full = dict(zip(names, args, strict=False))
    dup = set(full) & set(kwargs)
    if dup:
        raise ValueError(f"{spec!r}: parameter(s) {sorted(dup)} given twice")
    full |= kwargs
    missing = [n for n in names if n not in full]
    if missing:
        raise ValueError(f"{spec!r}: missing parameter(s) {missing} of {family}")
    return Prior(family, tuple(full[n] for n in names))


def check_support(key: str, prior: Prior, support: str) -> Prior:
    """``prior`` for the parameter ``key`` of kind ``support`` (``"real"``, ``"positive"``,
    ``"unit"``, ``"correlation"``, ``"simplex"``, ``"ar"``: ``(-1, 1)``); a location-0
    ``normal``/``student_t``/``cauchy`` on a positive parameter becomes its half version.
    Anything else unsuitable raises ``ValueError``."""
    allowed = SUPPORTS[support]
    if prior.family not in allowed:
        kind = {"real": "unbounded", "positive": "positive", "unit": "a probability",
                "correlation": "a correlation matrix", "simplex": "a simplex",
                "ar": "an autoregressive coefficient in (-1, 1)"}[support]
        raise ValueError(f"prior {prior} is not allowed for {key!r}, which is {kind}: use one of "
                         f"{', '.join(allowed)}"
                         + (" (the others are for positive parameters)"
                            if support == "real" else ""))
    if support == "positive" and prior.family in _HALF:
        p = prior.named
        if p["mu"] != 0:
            raise ValueError(f"prior {prior} for {key!r}: a positive parameter takes a "
                             f"location-0 prior (it becomes the half distribution); use "
                             f"{_HALF[prior.family]}")
        rest = tuple(v for k, v in p.items() if k != "mu")
        return Prior(_HALF[prior.family], rest)
    if support == "positive" and prior.family == "uniform" and prior.params[0] < 0:
        raise ValueError(f"prior {prior} for {key!r}: the parameter is positive, so the lower "
                         "bound must be >= 0")
    if support == "unit" and prior.family == "uniform" and not (
            prior.params[0] >= 0 and prior.params[1] <= 1):
        raise ValueError(f"prior {prior} for {key!r}: the parameter is a probability, so the "
                         "bounds must lie within [0, 1]")
    if support == "ar" and prior.family == "uniform" and not (
            prior.params[0] >= -1 and prior.params[1] <= 1):
        raise ValueError(f"prior {prior} for {key!r}: an autoregressive coefficient lies in "
                         "(-1, 1), so the bounds must lie within [-1, 1]")
    return prior


def support_lower_bound(support: str) -> float | None:
    """The lower end of a parameter's support: ``None`` for ``"real"``/``"correlation"``, 0 for
    ``"positive"``, ``b`` for ``"greater_than_<b>"`` (Student-t's ``nu``: 1)."""
    if support == "positive":
        return 0.0
    if support.startswith("greater_than_"):
        return float(support.removeprefix("greater_than_"))
    return None


def log_mass_above(prior: Prior, lower: float) -> float:
    """``log P(X > lower)`` for ``X`` drawn from ``prior`` (a prior of a positive parameter):
    the constant brms subtracts when a bounded parameter's prior is truncated at its bound
    (Stan code ``- 1 * gamma_lccdf(1 | 2, 0.1)`` for ``nu``), so that the prior is a density
    on ``(lower, inf)``. 0 for ``flat`` (improper, nothing to normalize); ``-inf`` when the
    prior puts no mass above ``lower``."""
    from scipy import stats

    p = prior.named
    f = prior.family
    if f == "flat" or (lower <= 0 and f != "uniform"):
        return 0.0
    if f == "half_normal":
        return math.log(2.0) + float(stats.norm.logsf(lower / p["sigma"]))
    if f == "half_student_t":
        return math.log(2.0) + float(stats.t.logsf(lower / p["sigma"], p["df"]))
    if f == "half_cauchy":
        return math.log(2.0) + float(stats.cauchy.logsf(lower / p["sigma"]))
    if f == "exponential":
        return -p["rate"] * lower
    if f == "gamma":
        return float(stats.gamma.logsf(lower, p["alpha"], scale=1.0 / p["beta"]))
    if f == "inv_gamma":
        return float(stats.invgamma.logsf(lower, p["alpha"], scale=p["beta"]))
    if f == "lognormal":
        return float(stats.lognorm.logsf(lower, p["sigma"], scale=math.exp(p["mu"])))
    if f == "uniform":
        lo, hi = p["lower"], p["upper"]
        return math.log((hi - max(lo, lower)) / (hi - lo)) if hi > lower else -math.inf
    raise ValueError(f"prior {prior} has no mass above {lower:g} that this module knows")


def is_proper(prior: Prior) -> bool:
    """Whether ``prior`` integrates to one (``flat`` does not)."""
    return prior.family != "flat"


# --------------------------------------------------------------------------- brms defaults


def r_mad(y: np.ndarray) -> float:
    """R's ``mad(y)``: median absolute deviation times 1.4826."""
    y = np.asarray(y, dtype=float)
    return float(1.4826 * np.median(np.abs(y - np.median(y))))


def r_round1(x: float) -> float:
    """R's ``round(x, 1)`` (IEC 60559: the representable value nearest, ties to even)."""
    return float(np.round(x, 1)) + 0.0


def default_scale(y: np.ndarray) -> tuple[float, float]:
    """``(m, s)`` of brms's defaults: ``round(median(y), 1)`` and ``max(2.5, round(mad(y), 1))``."""
    y = np.asarray(y, dtype=float)
    return r_round1(float(np.median(y))), max(2.5, r_round1(r_mad(y)))
