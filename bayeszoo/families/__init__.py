"""Response families: links, log densities on every array backend, brms's default priors,
predictive draws and what REML needs; one module per family.

``get("negbinomial")`` or ``get(bernoulli(link="probit"))`` (a family passes through),
``names()`` the names registered in :data:`FAMILIES`, and one constructor per family:
``gaussian``, ``student``, ``bernoulli``, ``binomial``, ``poisson``, ``negbinomial``,
``gamma``, ``beta`` (brms 2.18's names, links and parameterizations). R's spelling ``Gamma`` is
accepted by :func:`get`. Unknown names and links raise ``ValueError`` listing the valid ones.

This package is a leaf: it imports NumPy, SciPy and pandas, and JAX or PyTensor only inside
:mod:`~bayeszoo.families.ops` when those backends are asked for.
"""

from __future__ import annotations

from .base import AuxParameter, Family, Response
from .bernoulli import Bernoulli, bernoulli
from .beta import Beta, beta
from .binomial import Binomial, binomial
from .gamma import Gamma, gamma
from .gaussian import Gaussian, gaussian
from .links import LINKS, Link
from .negbinomial import NegBinomial, negbinomial
from .poisson import Poisson, poisson
from .student import Student, student

__all__ = [
    "FAMILIES", "LINKS", "AuxParameter", "Bernoulli", "Beta", "Binomial", "Family", "Gamma",
    "Gaussian", "Link", "NegBinomial", "Poisson", "Response", "Student", "bernoulli", "beta",
    "binomial", "gamma", "gaussian", "get", "names", "negbinomial", "poisson", "student",
]

#: Every family by its brms name: a new family (a :class:`Family` subclass, see its docstring)
#: is one more entry here.
FAMILIES: dict[str, type[Family]] = {cls.name: cls for cls in (
    Gaussian, Student, Bernoulli, Binomial, Poisson, NegBinomial, Gamma, Beta)}
_ALIASES = {"Gamma": "gamma"}


def names() -> list[str]:
    """The family names :func:`get` knows, in brms's spelling."""
    return list(FAMILIES)


def get(family: str | Family, link: str | None = None) -> Family:
    """A family by name (``link=None``: its default link), or a :class:`Family` unchanged.

    ``ValueError`` names an unknown family and lists the valid ones, or names a link the
    family lacks and lists its links.
    """
    if isinstance(family, Family):
        if link is not None and link != family.link_name:
            raise ValueError(f"family {family!r} already has the {family.link_name} link; "
                             f"got link={link!r} as well")
        return family
    if not isinstance(family, str):
        raise TypeError(f"a family is a name or a Family object, not {type(family).__name__}")
    key = _ALIASES.get(family, family)
    if key not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; valid families: {', '.join(FAMILIES)}")
    return FAMILIES[key](link)
