"""The :class:`Family` base every family module subclasses, the validated :class:`Response`
it prepares, and the pieces of brms's default priors that do not depend on the family.

A family owns everything that depends on which family it is: its links, auxiliary
parameters, the response additions it accepts (``trials``, ``se``, ``weights``), response
validation, brms 2.18's default priors, the pointwise log density written once for every
array backend (:mod:`bayeszoo.families.ops`), ``posterior_epred``-style means, predictive
draws, and what REML needs. Code outside the family modules never asks which family it has.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .links import Link, get_link

__all__ = ["ADDITIONS", "REML_TWINS", "AuxParameter", "Family", "Response", "brms_scale_prior",
           "reml_refusal", "r_mad",
           "r_round1", "format_number"]

#: Response additions a family may accept (brms's ``y | trials(n)``, ``y | se(s)``,
#: ``y | weights(w)``) plus the ``offset`` every linear predictor may carry.
ADDITIONS = ("trials", "se", "weights")


@dataclass(frozen=True)
class AuxParameter:
    """An auxiliary (distributional) parameter under its brms name.

    ``lower``, ``upper``: its support is ``(lower, upper)`` (``-inf`` for a real parameter,
    ``upper = 1`` for a probability such as ``zi`` and ``hu``); ``link``: the link brms uses
    when the parameter gets its own formula (``bf(y ~ ..., sigma ~ ...)``); ``prior``: brms
    2.18's default prior when it is estimated as one constant; ``formula_intercept_prior``:
    brms's default prior of that formula's intercept when it has one (``None``: computed from
    the response, ``sigma``).

    Parameters
    ----------
    name
        brms's name of the parameter (``"sigma"``, ``"shape"``, ``"zi"``, ...).
    lower
        The lower end of its support.
    link
        brms's link of the parameter in its own formula.
    prior
        brms 2.18's default prior of the parameter as one constant (``None``: from the response).
    formula_intercept_prior
        brms's default prior of its formula's intercept (``None``: from the response).
    upper
        The upper end of its support.

    Examples
    --------
    >>> AuxParameter("zi", 0.0, "logit", "beta(1, 1)", "logistic(0, 1)", upper=1.0).support
    'unit'
    """

    name: str
    lower: float
    link: str
    prior: str | None
    formula_intercept_prior: str | None
    upper: float = float("inf")

    @property
    def support(self) -> str:
        """The kind of parameter, as a model site names it: ``"real"``, ``"unit"`` (a
        probability), ``"positive"`` or ``"greater_than_<lower>"``."""
        if self.lower == -np.inf:
            return "real"
        if self.lower == 0 and self.upper == 1:
            return "unit"
        return "positive" if self.lower == 0 else f"greater_than_{self.lower:g}"


@dataclass(frozen=True)
class Response:
    """A validated response and its additions, as a family's ``log_prob`` reads them.

    ``y`` is float (counts and 0/1 included); ``levels``: for a two-level factor response of
    ``bernoulli``, ``(level coded 0, level coded 1)``; ``None`` otherwise.

    Parameters
    ----------
    y
        The response as float.
    column
        Its name in the data, for messages.
    trials, weights, se, offset
        brms's ``y | trials(n)``, ``y | weights(w)``, ``y | se(s)`` and the linear
        predictor's offset, one value per row; ``None`` when absent.
    levels
        The two levels of a factor ``bernoulli`` response, else ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> r = Response(np.array([1.0, 0.0]), "y", weights=np.array([2.0, 1.0]))
    >>> r.n, sorted(r.extras())
    (2, ['weights'])
    """

    y: np.ndarray
    column: str
    trials: np.ndarray | None = None
    weights: np.ndarray | None = None
    se: np.ndarray | None = None
    offset: np.ndarray | None = None
    levels: tuple | None = None

    @property
    def n(self) -> int:
        return self.y.shape[0]

    def extras(self) -> dict[str, np.ndarray]:
        """The additions present, keyed as ``log_prob``'s ``extras`` expects them."""
        return {k: v for k, v in (("trials", self.trials), ("weights", self.weights),
                                  ("se", self.se)) if v is not None}

    def prior_weights(self) -> np.ndarray:
        return np.ones(self.n) if self.weights is None else self.weights


def r_mad(y: np.ndarray) -> float:
    """R's ``mad(y)`` (constant 1.4826); NaN when ``y`` holds a NaN, as R's ``NA``."""
    y = np.asarray(y, dtype=float)
    if np.any(np.isnan(y)):
        return float("nan")
    return float(1.4826 * np.median(np.abs(y - np.median(y))))


def r_round1(x: float) -> float:
    """R's ``round(x, 1)``."""
    return float(np.round(x, 1)) + 0.0


def format_number(v: float) -> str:
    """A number as R's ``paste`` prints it (15 significant digits): ``0``, ``2.5``, ``0.1``."""
    return f"{float(v) + 0.0:.15g}"


def brms_scale_prior(y: np.ndarray, link: str, center: bool,
                     offset: np.ndarray | None = None) -> tuple[float, float]:
    """``(location, scale)`` of brms 2.18's ``def_scale_prior`` (``R/priors.R``).

    For the links ``identity``, ``log`` and ``inverse``: ``y`` is moved to the link scale (zeros
    replaced by 0.1 first for ``log``/``inverse``), ``scale = max(2.5, round(mad(link(y)), 1))``
    and, when not ``center`` (an intercept), ``location = round(median(link(y)), 1)`` minus the
    mean offset. Other links keep ``(0, 2.5)``; a non-finite value (``log`` of a negative
    ``y``) keeps the default too.
    """
    location, scale = 0.0, 2.5
    if link not in ("identity", "log", "inverse"):
        return location, scale
    y = np.asarray(y, dtype=float)
    if link in ("log", "inverse"):
        y = np.where(y == 0, y + 0.1, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        y_link = np.log(y) if link == "log" else 1.0 / y if link == "inverse" else y
    scale_y = r_round1(r_mad(y_link))
    if np.isfinite(scale_y):
        scale = max(scale, scale_y)
    if not center:
        loc_y = float("nan") if np.any(np.isnan(y_link)) else r_round1(float(np.median(y_link)))
        if np.isfinite(loc_y):
            location = loc_y
        if offset is not None and len(offset):
            mean_offset = float(np.mean(offset))
            if np.isfinite(mean_offset):
                location -= mean_offset
    return location, scale


def student_t_string(location: float, scale: float) -> str:
    return f"student_t(3, {format_number(location)}, {format_number(scale)})"


def _row_of(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _as_array(values: Any, what: str, n: int | None) -> np.ndarray:
    arr = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{what} is not numeric (dtype {arr.dtype}); give numbers")
    arr = arr.astype(float).ravel()
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{what} has {arr.shape[0]} values, the response {n}")
    return arr


#: brms families whose model (or its nearest semi-parametric relative) mgcv fits under another
#: name, which ``bz.reml`` takes: brms name -> (mgcv name, what it is).
REML_TWINS = {
    "zero_inflated_poisson": ("ziP", "mgcv's zero-inflated Poisson, its zero probability tied "
                                     "to the mean"),
    "cumulative": ("ocat", "mgcv's ordered categorical, the cumulative logit model"),
    "categorical": ("multinom", "mgcv's multinomial logit, a list of formulas, one per "
                                "non-reference category"),
    "weibull": ("cox.ph", "mgcv's Cox proportional hazards model, right censoring"),
    "exponential": ("cox.ph", "mgcv's Cox proportional hazards model, right censoring"),
}


def reml_refusal(name: str) -> str:
    """Why ``bz.reml`` refuses family ``name``: mgcv has no such family; the samplers take it,
    and mgcv's twin where there is one."""
    twin = ""
    if name in REML_TWINS:
        mgcv_name, what = REML_TWINS[name]
        twin = f"; or fit mgcv's twin by REML, bz.reml(..., family={mgcv_name!r}) ({what})"
    return (f"REML is not available for family {name!r} (mgcv has no such family): sample it "
            f"with bz.sample, whose NumPyro, PyMC and nutpie samplers take it{twin}. bz.reml "
            "fits gaussian, bernoulli, binomial, poisson, negbinomial and gamma, and mgcv's "
            "ocat, ziP, multinom and cox.ph")


class Family(ABC):
    """Base of every family: subclasses set the class attributes and the density methods.

    Class attributes: ``name`` (brms's), ``links`` (allowed, the first is the default),
    ``aux`` (auxiliary parameters), ``accepts`` (response additions), ``requires`` (additions
    that must be given), ``discrete`` (integer-valued response), ``binary`` (0/1 response: the
    report checks it by calibration), ``least_squares`` (on the identity link its maximum
    likelihood estimate is least squares), ``positive_mean`` (its mean must be positive: on a
    link that does not keep it so, :meth:`with_positive_mean` rejects a non-positive one),
    ``thresholds`` (ordered thresholds replace the intercept of ``mu``: the ordinal families of
    :mod:`~bayeszoo.families.ordinal`, which receive them as ``aux["thresholds"]``),
    ``drop_intercept`` (``mu`` has no intercept column, mgcv's ``family$drop.intercept``:
    ``cox.ph``), ``category_predictors`` (one linear predictor ``mu<c>`` per category but the
    first, as distributional parameters: :mod:`~bayeszoo.families.categorical`). An
    instance is the family with one link: ``Family(link=None)`` takes the default.

    A family must give :meth:`log_prob` (the pointwise log density, written once with
    :mod:`~bayeszoo.families.ops` for every backend) and :meth:`draw` (predictive draws); the
    rest has defaults: the mean is the inverse link, no REML (:meth:`reml_likelihood`), no
    summary statistics (:meth:`summarize`), no response checks (:meth:`check_values`). A
    complete family, the exponential distribution with mean ``exp(eta)``:

    >>> import numpy as np
    >>> from bayeszoo.families.ops import NUMPY
    >>> class Exponential(Family):
    ...     name = "exponential"
    ...     links = ("log",)
    ...     positive_mean = True
    ...
    ...     def check_values(self, y, column, trials):
    ...         if np.any(y < 0):
    ...             raise ValueError(f"response {column!r} must be non-negative")
    ...
    ...     def log_prob(self, ops, y, eta, aux, extras):
    ...         log_mu = self.log_mu(ops, eta)
    ...         return self.weighted(ops, -log_mu - y * ops.exp(-log_mu), extras)
    ...
    ...     def draw(self, rng, eta, aux=None, extras=None):
    ...         return rng.exponential(self.mean(eta, aux, extras))
    >>> fam = Exponential()
    >>> fam
    exponential(link='log')
    >>> r = fam.prepare([0.5, 2.0], "y", weights=[1.0, 2.0])
    >>> fam.log_prob(NUMPY, r.y, np.log([1.0, 2.0]), {}, r.extras()).round(4)
    array([-0.5   , -3.3863])
    >>> fam.mean(np.log([1.0, 2.0]))
    array([1., 2.])
    >>> fam.draw(np.random.default_rng(0), np.zeros(3)).shape
    (3,)
    >>> fam.default_priors(r.y)
    {'Intercept': 'student_t(3, 0, 2.5)', 'sd': 'half_student_t(3, 2.5)'}
    >>> fam.prepare([-1.0], "y")
    Traceback (most recent call last):
    ...
    ValueError: response 'y' must be non-negative

    Registering it (one entry of :data:`bayeszoo.families.FAMILIES`) makes it a ``family=``
    of every formula, sampler and report. A family without a density cannot be made:

    >>> class Incomplete(Family):
    ...     name = "incomplete"
    >>> Incomplete()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: Can't instantiate abstract class Incomplete ...

    Parameters
    ----------
    link
        One of the class's ``links``; ``None`` takes the first. An unknown link raises
        ``ValueError`` listing the valid ones.
    """

    name: ClassVar[str] = "family"
    links: ClassVar[tuple[str, ...]] = ("identity",)
    aux: ClassVar[tuple[AuxParameter, ...]] = ()
    accepts: ClassVar[tuple[str, ...]] = ("weights",)
    requires: ClassVar[tuple[str, ...]] = ()
    discrete: ClassVar[bool] = False
    binary: ClassVar[bool] = False
    least_squares: ClassVar[bool] = False
    positive_mean: ClassVar[bool] = False
    thresholds: ClassVar[bool] = False
    drop_intercept: ClassVar[bool] = False
    category_predictors: ClassVar[bool] = False

    def __init__(self, link: str | None = None) -> None:
        self.link_name = self.links[0] if link is None else link
        self.link: Link = get_link(self.link_name, self.links, self.name)

    def __repr__(self) -> str:
        return f"{self.name}(link={self.link_name!r})"

    def __str__(self) -> str:
        return f"{self.name} ({self.link_name} link)"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Family) and other.name == self.name
                and other.link_name == self.link_name)

    def __hash__(self) -> int:
        return hash((self.name, self.link_name))

    def __reduce__(self):
        """Pickled as its class and link name (its links hold lambdas): a family travels to
        worker processes (:mod:`bayeszoo.inference.executors`)."""
        return (type(self), (self.link_name,))

    # -- parameters ---------------------------------------------------------------------------
    def aux_parameters(self, additions: tuple[str, ...] | frozenset = ()) -> tuple[AuxParameter,
                                                                                  ...]:
        """The auxiliary parameters estimated given the response additions in use."""
        return self.aux

    def aux_parameter(self, name: str) -> AuxParameter:
        for a in self.aux:
            if a.name == name:
                return a
        raise ValueError(f"family {self.name!r} has no auxiliary parameter {name!r}; "
                         f"it has: {', '.join(a.name for a in self.aux) or 'none'}")

    # -- response -----------------------------------------------------------------------------
    def prepare(self, y: Any, column: str = "y", *, trials: Any = None, weights: Any = None,
                se: Any = None, offset: Any = None) -> Response:
        """Validate the response and its additions; errors name the column and the value."""
        given = {"trials": trials, "se": se, "weights": weights}
        for key, value in given.items():
            if value is not None and key not in self.accepts:
                raise ValueError(f"family {self.name!r} does not take {key}(); it accepts: "
                                 f"{', '.join(self.accepts)}")
        for key in self.requires:
            if given[key] is None:
                raise ValueError(f"family {self.name!r} needs {key}() for response {column!r}: "
                                 f"write '{column} | {key}(column) ~ ...' or pass {key}=")
        yv, levels = self.response_values(y, column)
        n = yv.shape[0]
        if not np.all(np.isfinite(yv)):
            i = _row_of(~np.isfinite(yv))
            raise ValueError(f"response {column!r} has a missing or infinite value at row {i} "
                             f"({yv[i]}); drop or impute those rows")
        tr = None if trials is None else self._trials(trials, column, n)
        w = None if weights is None else self._weights(weights, n)
        s = None if se is None else self._se(se, n)
        off = None if offset is None else self._offset(offset, n)
        self.check_values(yv, column, tr)
        return Response(y=yv, column=column, trials=tr, weights=w, se=s, offset=off,
                        levels=levels)

    def response_values(self, y: Any, column: str) -> tuple[np.ndarray, tuple | None]:
        """``y`` as floats (subclasses with factor responses override)."""
        return _as_array(y, f"response {column!r}", None), None

    def response_labels(self, y: Any) -> tuple | None:
        """The label of each response code ``1..K`` (a factor response's categories), in which
        predictive draws are returned; ``None``: draws are returned as numbers."""
        return None

    def check_values(self, y: np.ndarray, column: str, trials: np.ndarray | None) -> None:
        """Family-specific support checks (subclasses override); none by default."""
        return None

    @staticmethod
    def _trials(trials: Any, column: str, n: int) -> np.ndarray:
        t = _as_array(trials, "trials", n)
        bad = ~np.isfinite(t) | (t < 0) | (t != np.round(t))
        if np.any(bad):
            i = _row_of(bad)
            raise ValueError(f"trials of response {column!r} must be non-negative whole numbers; "
                             f"row {i} has {t[i]}")
        return t

    @staticmethod
    def _weights(weights: Any, n: int) -> np.ndarray:
        w = _as_array(weights, "weights", n)
        bad = ~np.isfinite(w) | (w < 0)
        if np.any(bad):
            i = _row_of(bad)
            raise ValueError(f"weights must be finite and non-negative; row {i} has {w[i]}")
        return w

    @staticmethod
    def _se(se: Any, n: int) -> np.ndarray:
        s = _as_array(se, "se", n)
        bad = ~np.isfinite(s) | (s <= 0)
        if np.any(bad):
            i = _row_of(bad)
            raise ValueError(f"se must be positive (a known standard deviation per row); row {i} "
                             f"has {s[i]}")
        return s

    @staticmethod
    def _offset(offset: Any, n: int) -> np.ndarray:
        o = _as_array(offset, "offset", n)
        bad = ~np.isfinite(o)
        if np.any(bad):
            i = _row_of(bad)
            raise ValueError(f"offset has a missing or infinite value at row {i} ({o[i]}); drop "
                             "or impute those rows")
        return o

    # -- priors -------------------------------------------------------------------------------
    def default_priors(self, y: Any, dpars: tuple[str, ...] = (),
                       offset: np.ndarray | None = None) -> dict[str, str]:
        """brms 2.18's default priors given the response (``get_prior``'s non-empty rows).

        Keys: ``"Intercept"`` (of ``mu``), ``"sd"`` (every ``sd``/``sds``, any formula), each
        auxiliary parameter estimated as a constant under its name, and for each parameter in
        ``dpars`` (given its own formula) ``"Intercept_<dpar>"``. Values are prior strings:
        ``student_t(3, m, s)`` for intercepts, ``half_student_t(3, s)`` for ``sd`` and
        ``sigma`` (brms's ``student_t(3, 0, s)`` on a positive parameter), ``gamma(a, b)``.
        """
        yv = self.prior_response(y)
        loc, scale = brms_scale_prior(yv, self.scale_link(self.link_name), center=False,
                                      offset=offset)
        out = {"Intercept": student_t_string(loc, scale)}
        _, sd_scale = brms_scale_prior(yv, self.scale_link(self.link_name), center=True)
        out["sd"] = f"half_student_t(3, {format_number(sd_scale)})"
        for a in self.aux:
            if a.name in dpars:
                if a.formula_intercept_prior is not None:
                    out[f"Intercept_{a.name}"] = a.formula_intercept_prior
                else:
                    _, s = brms_scale_prior(yv, self.scale_link(a.link), center=True)
                    out[f"Intercept_{a.name}"] = student_t_string(0.0, s)
            elif a.prior is not None:
                out[a.name] = a.prior
            else:  # sigma: scale of y itself (brms's identity link for a constant dpar)
                _, s = brms_scale_prior(yv, self.scale_link("identity"), center=True)
                out[a.name] = f"half_student_t(3, {format_number(s)})"
        unknown = set(dpars) - {a.name for a in self.aux}
        if unknown:
            raise ValueError(f"family {self.name!r} has no auxiliary parameter(s) "
                             f"{sorted(unknown)}; it has: "
                             f"{', '.join(a.name for a in self.aux) or 'none'}")
        return out

    def scale_link(self, link: str) -> str:
        """The link brms's ``def_scale_prior`` moves the response to for a prior computed on
        ``link``: ``link`` itself, ``"log"`` for a family whose ``mu`` lives on the log scale
        of the response (brms's ``logscale`` families: ``lognormal``, ``hurdle_lognormal``)."""
        return link

    def prior_response(self, y: Any) -> np.ndarray:
        """The response brms's default priors read (factor responses coded as numbers)."""
        return self.response_values(y, "y")[0]

    # -- densities (subclasses) ------------------------------------------------------------------
    @abstractmethod
    def log_prob(self, ops, y, eta, aux: dict, extras: dict):
        """Pointwise log density of ``y`` given the linear predictor ``eta`` of ``mu``,
        auxiliary parameters ``aux`` (natural scale) and additions ``extras``; with
        ``extras["weights"]`` the log density is multiplied by the weights (brms's weighted
        likelihood)."""

    def mean(self, eta: np.ndarray, aux: dict | None = None,
             extras: dict | None = None) -> np.ndarray:
        """The expected response (brms's ``posterior_epred``)."""
        return self.link.inverse_np(np.asarray(eta, dtype=float))

    @abstractmethod
    def draw(self, rng: np.random.Generator, eta: np.ndarray, aux: dict | None = None,
             extras: dict | None = None) -> np.ndarray:
        """Draws from the predictive distribution (integers for counts)."""

    def lccdf(self, ops, y, eta, aux: dict, extras: dict | None = None):
        """``log P(Y > y)`` (Stan's ``_lccdf``: right censoring and lower truncation, brms's
        ``cens()`` and ``trunc()``), ``extras`` the response additions (``se``); the families
        with a closed form override this (:mod:`bayeszoo.families.censoring`)."""
        raise ValueError(f"family {self.name!r} has no log survival function here, so its "
                         "responses cannot be censored")

    def lcdf(self, ops, y, eta, aux: dict, extras: dict | None = None):
        """``log P(Y <= y)`` (Stan's ``_lcdf``: left and interval censoring, upper
        truncation); the families with a closed form override this."""
        raise ValueError(f"family {self.name!r} has no log distribution function here, so its "
                         "responses cannot be censored")

    def reml_likelihood(self, response: Response, dpars: tuple[str, ...] = (),
                        theta: float | None = None):
        """What the REML engine needs (see :mod:`bayeszoo.families.glm`); subclasses override.
        A family without it is refused by :func:`reml_refusal`'s message."""
        raise ValueError(reml_refusal(self.name))

    def summarize(self, y, arrays, extras: dict, sizes) -> Any:
        """Statistics of the response and the design arrays from which the summed
        log-likelihood costs less than row by row (with :meth:`summary_log_likelihood`), or
        ``None``: then the likelihood is evaluated row by row. ``arrays`` are the design's
        arrays (:class:`bayeszoo.design.DesignArrays`), ``extras`` the response additions,
        ``sizes`` the blocks' coefficient counts. Families with such statistics override this:
        the Gaussian's sufficient statistics (:mod:`bayeszoo.families.gaussian_stats`), the
        distinct design rows of Poisson, binomial and bernoulli
        (:mod:`bayeszoo.families.patterns`)."""
        return None

    def summary_log_likelihood(self, stats, beta, coefs, aux: dict, indicator,
                               linear_predictor):
        """``Σ_i log p(y_i | θ)`` from :meth:`summarize`'s ``stats`` (JAX-traceable):
        ``beta`` the fixed coefficients of the (centered) design, ``coefs`` each block's,
        ``indicator[j]`` whether block ``j`` is an indicator block, ``linear_predictor`` the
        design's one linear predictor (:func:`bayeszoo.design.linear_predictor`), for
        statistics that keep design rows."""
        raise NotImplementedError

    def boundary_sides(self, y: np.ndarray, trials: np.ndarray | None) -> np.ndarray | None:
        """Per row, where its likelihood reaches its supremum: ``+1`` as ``eta -> +inf`` (a
        success with every trial), ``-1`` as ``eta -> -inf`` (no success, a zero count), ``0``
        at a finite ``eta``, ``nan`` for a row without likelihood (no trials); ``None`` when no
        row's supremum lies at an infinite ``eta`` (no separation to look for): the families
        whose likelihood can grow without bound along a direction of the coefficients override
        this (:mod:`bayeszoo.checks.separation`)."""
        return None

    def with_positive_mean(self, ops, eta, log_density):
        """``log_density(eta)`` where the mean is positive and ``-inf`` elsewhere, as Stan's
        ``poisson_lpmf``/``gamma_lpdf`` reject a negative mean under brms's identity or inverse
        link (a row with ``y = 0`` would otherwise score ``-mu > 0``). A no-op for a family
        without ``positive_mean`` or a link that keeps the mean positive (log)."""
        if not self.positive_mean or self.link.positive:
            return log_density(eta)
        ok = self.link.inverse(ops, eta) > 0
        return ops.where(ok, log_density(ops.where(ok, eta, 1.0)), -np.inf)

    def weighted(self, ops, lp, extras: dict):
        w = extras.get("weights")
        return lp if w is None else lp * w

    def log_mu(self, ops, eta):
        """``log(mu)`` on any backend (exact ``eta`` under the log link)."""
        return eta if self.link_name == "log" else ops.log(self.link.inverse(ops, eta))
