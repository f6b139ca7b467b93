"""Response families: links, log densities on every array backend, brms's default priors,
predictive draws and what REML needs; one module per family.

``get("negbinomial")`` or ``get(bernoulli(link="probit"))`` (a family passes through),
``names()`` the names registered in :data:`FAMILIES`, and one constructor per family:
``gaussian``, ``student``, ``bernoulli``, ``binomial``, ``poisson``, ``negbinomial``,
``gamma``, ``beta``; counts and proportions with extra zeros, ``zero_inflated_poisson``,
``zero_inflated_negbinomial``, ``zero_inflated_binomial``, ``zero_inflated_beta``,
``hurdle_poisson``, ``hurdle_negbinomial``, ``hurdle_gamma``, ``hurdle_lognormal`` (``zi`` /
``hu`` distributional on the logit link); positive and circular responses, ``lognormal``,
``exponential``, ``weibull``, ``skew_normal``, ``von_mises``; ordered ratings, ``cumulative``,
``sratio``, ``cratio``, ``acat`` (thresholds in place of the intercept,
:mod:`~bayeszoo.families.ordinal`); unordered categories, ``categorical`` (one linear
predictor per category but the first, :mod:`~bayeszoo.families.categorical`) (brms 2.18's
names, links and parameterizations). R's spelling ``Gamma`` is accepted by :func:`get`.
Unknown names and links raise ``ValueError`` listing the valid ones.

This package is a leaf: it imports NumPy, SciPy and pandas, and JAX or PyTensor only inside
:mod:`~bayeszoo.families.ops` when those backends are asked for.
"""

from __future__ import annotations

from .acat import ACat, acat
from .base import AuxParameter, Family, Response
from .bernoulli import Bernoulli, bernoulli
from .beta import Beta, beta
from .binomial import Binomial, binomial
from .categorical import Categorical, categorical
from .cox_ph import SAMPLER_ADVICE as COX_PH_ADVICE
from .cratio import CRatio, cratio
from .cumulative import Cumulative, cumulative
from .exponential import Exponential, exponential
from .gamma import Gamma, gamma
from .gaussian import Gaussian, gaussian
from .hurdle_gamma import HurdleGamma, hurdle_gamma
from .hurdle_lognormal import HurdleLognormal, hurdle_lognormal
from .hurdle_negbinomial import HurdleNegBinomial, hurdle_negbinomial
from .hurdle_poisson import HurdlePoisson, hurdle_poisson
from .links import LINKS, Link
from .lognormal import Lognormal, lognormal
from .multinom import SAMPLER_ADVICE as MULTINOM_ADVICE
from .negbinomial import NegBinomial, negbinomial
from .ocat import SAMPLER_ADVICE as OCAT_ADVICE
from .poisson import Poisson, poisson
from .skew_normal import SkewNormal, skew_normal
from .sratio import SRatio, sratio
from .student import Student, student
from .von_mises import VonMises, von_mises
from .weibull import Weibull, weibull
from .zero_inflated_beta import ZeroInflatedBeta, zero_inflated_beta
from .zero_inflated_binomial import ZeroInflatedBinomial, zero_inflated_binomial
from .zero_inflated_negbinomial import ZeroInflatedNegBinomial, zero_inflated_negbinomial
from .zero_inflated_poisson import ZeroInflatedPoisson, zero_inflated_poisson
from .zip_mgcv import SAMPLER_ADVICE as ZIP_ADVICE

__all__ = [
    "ACat", "AuxParameter", "Bernoulli", "Beta", "Binomial", "CRatio", "Categorical",
    "Cumulative",
    "Exponential", "FAMILIES", "Family", "Gamma", "Gaussian", "HurdleGamma", "HurdleLognormal",
    "HurdleNegBinomial", "HurdlePoisson", "LINKS", "Link", "Lognormal", "NegBinomial",
    "Poisson", "Response", "SRatio", "SkewNormal", "Student", "VonMises", "Weibull",
    "ZeroInflatedBeta", "ZeroInflatedBinomial", "ZeroInflatedNegBinomial",
    "ZeroInflatedPoisson", "acat", "bernoulli", "beta", "binomial", "categorical", "cratio",
    "cumulative",
    "exponential", "gamma", "gaussian", "get", "hurdle_gamma", "hurdle_lognormal",
    "hurdle_negbinomial", "hurdle_poisson", "lognormal", "names", "negbinomial", "poisson",
    "skew_normal", "sratio", "student", "von_mises", "weibull", "zero_inflated_beta",
    "zero_inflated_binomial", "zero_inflated_negbinomial", "zero_inflated_poisson",
]

#: Every family by its brms name: a new family (a :class:`Family` subclass, see its docstring)
#: is one more entry here.
FAMILIES: dict[str, type[Family]] = {cls.name: cls for cls in (
    Gaussian, Student, Bernoulli, Binomial, Poisson, NegBinomial, Gamma, Beta,
    ZeroInflatedPoisson, ZeroInflatedNegBinomial, ZeroInflatedBinomial, ZeroInflatedBeta,
    HurdlePoisson, HurdleNegBinomial, HurdleGamma, HurdleLognormal,
    Lognormal, Exponential, Weibull, SkewNormal, VonMises,
    Cumulative, SRatio, CRatio, ACat, Categorical)}
_ALIASES = {"Gamma": "gamma"}
#: mgcv's families that only ``bz.reml`` fits, each with the advice naming its sampler twin.
REML_ONLY = {"ocat": OCAT_ADVICE, "ziP": ZIP_ADVICE, "multinom": MULTINOM_ADVICE,
             "cox.ph": COX_PH_ADVICE}


def names() -> list[str]:
    """The family names :func:`get` knows, in brms's spelling.

    Returns
    -------
    list of str
        The keys of :data:`FAMILIES`, in registration order.

    Examples
    --------
    >>> names()[:4]
    ['gaussian', 'student', 'bernoulli', 'binomial']
    """
    return list(FAMILIES)


def get(family: str | Family, link: str | None = None) -> Family:
    """A family by name (``link=None``: its default link), or a :class:`Family` unchanged.

    Parameters
    ----------
    family
        A brms family name (one of :func:`names`, or R's spelling ``"Gamma"``) or a
        :class:`Family`, returned as it is.
    link
        The link; ``None`` takes the family's default. With a :class:`Family` it must be
        that family's link or ``None``.

    Returns
    -------
    Family
        The family with that link.

    Raises
    ------
    ValueError
        For an unknown family (the message lists the valid ones), a link the family lacks
        (it lists its links), or a link that contradicts a given :class:`Family`'s.
    TypeError
        When ``family`` is neither a name nor a :class:`Family`.

    Examples
    --------
    >>> get("negbinomial")
    negbinomial(link='log')
    >>> get("Gamma", link="log")
    gamma(link='log')
    >>> get(bernoulli(link="probit"))
    bernoulli(link='probit')
    >>> get("gaussain")
    Traceback (most recent call last):
    ...
    ValueError: unknown family 'gaussain'; valid families: gaussian, student, ...
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
        if key in REML_ONLY:
            raise ValueError(REML_ONLY[key])
        raise ValueError(f"unknown family {family!r}; valid families: {', '.join(FAMILIES)}")
    return FAMILIES[key](link)
