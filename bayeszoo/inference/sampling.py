"""NUTS on a :class:`~bayeszoo.design.Design` with NumPyro, PyMC or nutpie; brms names out.

:func:`sample` validates everything before a model is compiled, resolves the priors
(:func:`bayeszoo.models.spec.model_spec`), runs the backend (:mod:`bayeszoo.inference.backends`)
and assembles an :class:`arviz.InferenceData` (:mod:`bayeszoo.inference.idata`) whose names a brms
user recognizes. ``attrs``: ``formula``, ``response``, ``family``, ``link``, ``backend``,
``priors`` (JSON: brms name -> prior), ``seed``, ``chains``, ``draws``, ``tune``,
``target_accept``, ``dense_mass``, ``mass_matrix`` (what the sampler adapted),
``parameterization``, ``chain_method`` (NumPyro), ``versions`` (JSON), ``compile_seconds``,
``sampling_seconds``, ``total_seconds``, ``design`` and ``data_columns``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.checks.design import check_design
from bayeszoo.design import Design
from bayeszoo.diagnostics import MIN_DRAWS, warn_fit
from bayeszoo.formula import as_design
from bayeszoo.formula.bf import BrmsFormula
from bayeszoo.models.nonlinear import prior_text
from bayeszoo.models.spec import PARAMETERIZATIONS, ModelSpec, model_spec

from . import backends
from .fit_checks import idata_checks
from .idata import assemble
from .posterior import brms_posterior, design_info, pointwise_log_likelihood
from .prior_draws import (
    add_prior_predictive,
    check_proper,
    check_sample_prior,
    prior_draws,
    site_draws,
)
from .repeated import run_again
from .stored_frame import check_storable

#: The largest pointwise log-likelihood ``sample`` stores (chains × draws × rows doubles); a
#: larger one is refused before sampling, naming ``log_likelihood=False``.
MAX_LOG_LIKELIHOOD_BYTES = 4 * 2**30


def check_log_likelihood_size(n: int, chains: int, draws: int) -> None:
    """``ValueError`` when the pointwise log-likelihood of ``n`` rows would not fit in
    :data:`MAX_LOG_LIKELIHOOD_BYTES`."""
    size = 8 * n * chains * draws
    if size > MAX_LOG_LIKELIHOOD_BYTES:
        raise ValueError(f"the pointwise log-likelihood of {n:,} rows × {chains * draws:,} draws "
                         f"would take {size / 2**30:.1f} GiB; pass log_likelihood=False (no LOO) "
                         "or fewer draws")


def check_args(backend, chains, draws, tune, target_accept, seed, parameterization,
               dense_mass) -> None:
    """``ValueError`` naming the first invalid sampler argument."""
    backends.check_name(backend)
    for name, v, lo in (("chains", chains, 1), ("draws", draws, 1), ("tune", tune, 0)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    if draws < MIN_DRAWS:
        raise ValueError(f"draws={draws} per chain is too few: R-hat and ESS need at least "
                         f"{MIN_DRAWS} (ArviZ gives NaN below that); sample draws >= 100 for "
                         "estimates to rely on")
    if isinstance(target_accept, bool) or not (isinstance(target_accept, int | float)
                                               and 0 < target_accept < 1):
        raise ValueError(f"target_accept must lie in (0, 1), got {target_accept!r}")
    if not isinstance(dense_mass, bool):
        raise ValueError(f"dense_mass must be True or False, got {dense_mass!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if parameterization not in PARAMETERIZATIONS:
        raise ValueError(f"parameterization must be 'noncentered' or 'centered', "
                         f"got {parameterization!r}")


def check_finite(design: Design) -> None:
    """``ValueError`` naming a response or column with missing or non-finite values."""
    if design.y is None:
        raise ValueError("the design has no response; sampling needs one")
    y = np.asarray(design.y, dtype=float)
    if not np.all(np.isfinite(y)):
        bad = int(np.sum(~np.isfinite(y)))
        raise ValueError(f"response {design.response!r} has {bad} missing or non-finite "
                         f"value(s); drop those rows (na_action='drop') or impute them")
    X = np.asarray(design.X, dtype=float)
    if not np.all(np.isfinite(X)):
        cols = [c for j, c in enumerate(design.column_names) if not np.all(np.isfinite(X[:, j]))]
        raise ValueError(f"fixed-effect column(s) {cols} hold missing or non-finite values")
    for blk in design.blocks:
        vals = blk.weights if blk.is_indicator else blk.matrix
        if not np.all(np.isfinite(np.asarray(vals, dtype=float))):
            raise ValueError(f"block {blk.name!r} ({blk.term}) holds missing or non-finite "
                             "values")


def check_identifiable(design: Design, spec: ModelSpec) -> None:
    """A fixed column under a flat prior that is zero, constant beside the intercept, or a linear
    combination of the others leaves the posterior improper: refuse it before compiling, naming
    the column and the prior key that would make it proper."""
    flat = {name for name, p in spec.priors.items() if p == "flat()"}
    X = np.asarray(design.X, dtype=float)
    names = list(design.column_names)
    params = list(design.fixed_params)
    norms = np.sqrt(np.sum(X * X, axis=0))
    for j in np.flatnonzero(norms == 0):
        if params[j] in flat:
            raise ValueError(f"column {names[j]!r} of the fixed effects is zero in every row: its "
                             f"coefficient {params[j]} under a flat prior is not identified; drop "
                             "the term (an unused factor level?) or give it a proper prior, e.g. "
                             f"priors={{{params[j]!r}: 'normal(0, 5)'}}")
    if X.shape[1] == 0:
        return
    Xn = X / np.where(norms > 0, norms, 1.0)
    _, R = np.linalg.qr(Xn)
    dist = np.zeros(X.shape[1])  # beyond as many columns as rows, nothing is left to identify
    dist[: min(X.shape)] = np.abs(np.diag(R))
    for j in np.flatnonzero(dist < 1e-8):
        if norms[j] == 0 or params[j] not in flat:
            continue
        comb = np.linalg.lstsq(Xn[:, :j], Xn[:, j], rcond=None)[0]
        using = [names[i] for i in np.flatnonzero(np.abs(comb) > 1e-6)]
        raise ValueError(f"column {names[j]!r} of the fixed effects is a linear combination of "
                         f"{using} (a constant predictor, or more columns than rows): its "
                         f"coefficient {params[j]} under a flat prior is not identified; drop "
                         f"the term or give it a proper prior, e.g. priors={{{params[j]!r}: "
                         "'normal(0, 5)'}")


def model_formula(design: Design):
    """The formula a design was built from: its string, or :func:`bayeszoo.bf` of it and its
    auxiliary parameters' formulas."""
    from bayeszoo.formula import BrmsFormula

    if not design.dpars and design.nonlinear is None:
        return design.formula
    return BrmsFormula(design.formula, {k: d.formula for k, d in design.dpars.items()},
                       {k: d.formula for k, d in design.nlpars.items()},
                       nl=design.nonlinear is not None)


def formula_text(design: Design) -> str:
    """The model's formula as written: the formula string, or brms's ``bf(y ~ ...,
    sigma ~ ...)`` spelling when auxiliary parameters have formulas of their own."""
    return str(model_formula(design))


def versions(backend: str) -> dict[str, str]:
    """The installed versions of the packages a fit by ``backend`` records
    (:func:`bayeszoo.inference.backends.packages`); ``"unknown"`` for one not installed."""
    import importlib.metadata as md

    out = {}
    for n in backends.packages(backend):
        try:
            out[n] = md.version(n)
        except md.PackageNotFoundError:
            out[n] = "unknown"
    return out


def sample(
    formula_or_design: str | BrmsFormula | Design,
    data: pd.DataFrame | None = None,
    backend: str = "numpyro",
    chains: int = 4,
    draws: int = 1000,
    tune: int = 1000,
    seed: int = 0,
    target_accept: float = 0.8,
    dense_mass: bool = False,
    progress: bool = True,
    priors: dict[str, Any] | None = None,
    parameterization: str = "noncentered",
    family: Any = None,
    na_action: str = "raise",
    knots: dict[str, Any] | None = None,
    xt: dict[str, Any] | None = None,
    log_likelihood: bool = True,
    sample_prior: str = "no",
):
    """Sample the posterior of a formula or :func:`bayeszoo.bf` (with ``data``) or a
    :class:`Design` with NUTS, under brms's default priors (brms's ``brm``).

    Same ``seed`` and backend: identical draws.

    Parameters
    ----------
    formula_or_design
        A formula string, :func:`bayeszoo.bf`, or a :class:`Design`.
    data
        The data frame of a formula; ``None`` with a :class:`Design`.
    backend
        ``"numpyro"`` (JAX; chains in parallel across devices when there are as many devices
        as chains, else vectorized), ``"pymc"`` (``pm.sample``, one process per core) or
        ``"nutpie"`` (nutpie on the same PyMC model), ``"blackjax"`` (BlackJAX's NUTS on the
        NumPyro model with nutpie's gradient-based warm-up of a diagonal mass matrix:
        :mod:`bayeszoo.inference.backends.blackjax`), or another backend registered in
        :data:`bayeszoo.inference.backends.BACKENDS`.
    chains, draws, tune
        Chains, kept draws per chain and warm-up iterations per chain.
    seed
        The random seed.
    target_accept
        NUTS's target acceptance rate (brms's ``adapt_delta``).
    dense_mass
        Adapt a dense mass matrix (NumPyro's ``dense_mass``, PyMC's ``jitter+adapt_full``,
        nutpie's low-rank modified mass matrix) for posteriors whose correlations a diagonal
        one cannot follow, such as an intercept and the effects of a few data-rich groups; its
        cost grows with the square of the number of parameters.
    progress
        A progress bar where one is watched (:mod:`bayeszoo.progress`).
    priors
        Overrides of brms's default priors (see :mod:`bayeszoo.models.spec`).
    parameterization
        ``"noncentered"`` or ``"centered"`` group effects.
    family
        A name or object of :mod:`bayeszoo.families` (default gaussian).
    na_action
        ``"raise"``, or ``"drop"`` to drop rows with missing values (with a warning).
    knots
        Column -> knot values for the formula's smooths (mgcv's and brms's ``knots``; for
        ``bs="cc"`` the two ends of the period, e.g. ``{"month": [0.5, 12.5]}``).
    xt
        Column -> mgcv's ``xt`` for the formula's smooths of that column, as
        :func:`bayeszoo.design` takes it (``s(district, bs="mrf")``'s neighbours:
        ``{"district": {"nb": {...}}}``).
    log_likelihood
        ``False`` leaves out the pointwise log-likelihood (``chains·draws × rows`` numbers:
        32 GB for 10⁶ rows and 4000 draws), and with it LOO; predictions and the posterior are
        unaffected. With ``True`` a log-likelihood over :data:`MAX_LOG_LIKELIHOOD_BYTES`
        (4 GiB) is refused before sampling.
    sample_prior
        brms's ``"no"``, ``"yes"`` (prior draws of every parameter with a proper prior beside
        the posterior, in the InferenceData's ``prior`` group, for
        :meth:`~bayeszoo.inference.fit.Fit.hypothesis`'s Savage–Dickey ratio and
        prior/posterior plots) or ``"only"`` (the ``posterior`` group holds draws from the
        priors and ``posterior_predictive`` the prior predictive draws of the response; no
        sampler, no log-likelihood; every prior must be proper), see
        :mod:`bayeszoo.inference.prior_draws`.

    Returns
    -------
    Fit
        A :class:`~bayeszoo.inference.fit.Fit`: an :class:`arviz.InferenceData`
        (:mod:`bayeszoo.inference.idata`) with brms's methods (``print(fit)``, ``fixef``,
        ``ranef``, ``hypothesis``, ``bayes_R2``, ...).

    Raises
    ------
    ValueError
        Before anything is compiled: invalid arguments, an unknown prior, missing values, a
        coefficient a flat prior leaves unidentified, a posterior that does not exist
        (separation under a flat prior, no informative rows, a perfect fit:
        :mod:`bayeszoo.checks.design`), or fewer than :data:`~bayeszoo.diagnostics.MIN_DRAWS`
        draws.

    Warns
    -----
    SamplerWarning
        Divergent transitions, transitions at the maximum tree depth, an R-hat above 1.01 and
        a bulk ESS below 400, each in one line with the count and what to try
        (:class:`~bayeszoo.diagnostics.SamplerWarning`, the lines ``bayeszoo fit`` prints).

    Examples
    --------
    >>> import bayeszoo as bz
    >>> radon = bz.datasets.load_radon()
    >>> fit = bz.sample("log_radon ~ floor + (1 | county)", radon, chains=2,
    ...                 seed=1)  # doctest: +SKIP
    >>> fit.fixef()  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    draws_ = draw_posterior(formula_or_design, data, backend=backend, chains=chains, draws=draws,
                            tune=tune, seed=seed, target_accept=target_accept,
                            dense_mass=dense_mass, progress=progress, priors=priors,
                            parameterization=parameterization, family=family,
                            na_action=na_action, knots=knots, xt=xt,
                            log_likelihood=log_likelihood,
                            sample_prior=sample_prior)
    idata = draws_.inference_data()
    if sample_prior == "only":
        add_prior_predictive(idata, seed)
    else:
        warn_fit(idata_checks(idata))
    idata.attrs["total_seconds"] = round(time.perf_counter() - t0, 3)
    return idata


@dataclass
class PosteriorDraws:
    """A sampled design before it becomes an InferenceData: the brms-named ``posterior``
    (``chain × draw × ...`` arrays), the sample ``stats``, and the ``attrs``
    :func:`sample` gives the InferenceData. The command line summarizes these arrays directly
    (:mod:`bayeszoo.inference.draws_summary`) and builds the InferenceData only to save it."""

    design: Design
    spec: ModelSpec
    posterior: dict[str, np.ndarray]
    stats: dict[str, np.ndarray]
    attrs: dict[str, Any]
    log_likelihood: bool = True
    pointwise: np.ndarray | None = field(default=None, repr=False)
    prior: dict[str, np.ndarray] | None = field(default=None, repr=False)

    def pointwise_log_likelihood(self) -> np.ndarray:
        """``log p(y_i | draw)`` (``chain × draw × n``), computed once."""
        if self.pointwise is None:
            self.pointwise = pointwise_log_likelihood(self.posterior, design_info(self.design),
                                                      self.design, self.spec.family)
        return self.pointwise

    def inference_data(self):
        """The :class:`~bayeszoo.inference.fit.Fit` of :func:`sample`: an
        :class:`arviz.InferenceData` (see :mod:`bayeszoo.inference.idata`) with brms's
        methods."""
        from .fit import Fit

        loglik = self.pointwise_log_likelihood() if self.log_likelihood else None
        idata = assemble(self.design, self.spec, self.posterior, self.stats,
                         log_likelihood=self.log_likelihood, pointwise=loglik, prior=self.prior)
        idata.attrs.update(self.attrs)
        return Fit.of(idata, self.design)

    def summary(self, data_name: str | None = None):
        """brms's summary of these draws
        (:func:`bayeszoo.inference.brms_summary.summarize`), without an InferenceData."""
        from .brms_summary import summarize

        return summarize(self.posterior, self.stats, self.design, self.attrs, data_name)


def draw_posterior(
    formula_or_design: str | BrmsFormula | Design,
    data: pd.DataFrame | None = None,
    backend: str = "numpyro",
    chains: int = 4,
    draws: int = 1000,
    tune: int = 1000,
    seed: int = 0,
    target_accept: float = 0.8,
    dense_mass: bool = False,
    progress: bool = True,
    priors: dict[str, Any] | None = None,
    parameterization: str = "noncentered",
    family: Any = None,
    na_action: str = "raise",
    knots: dict[str, Any] | None = None,
    xt: dict[str, Any] | None = None,
    log_likelihood: bool = True,
    sample_prior: str = "no",
) -> PosteriorDraws:
    """:func:`sample` up to the draws: the same checks, sampler and brms names, returned as
    :class:`PosteriorDraws` (plain arrays) instead of an InferenceData; a multivariate formula
    (:func:`bayeszoo.mvbf`) goes to :func:`bayeszoo.inference.multivariate.draw_multivariate`."""
    from bayeszoo.formula.multivariate import is_multivariate, mvbind

    if isinstance(formula_or_design, str) and formula_or_design.lstrip().startswith("mvbind("):
        formula_or_design = mvbind(formula_or_design)
    if is_multivariate(formula_or_design):
        from .multivariate import draw_multivariate

        return draw_multivariate(formula_or_design, data, backend, chains, draws, tune, seed,
                                 target_accept, dense_mass, progress, priors, parameterization,
                                 family, na_action, knots, log_likelihood, sample_prior)
    check_args(backend, chains, draws, tune, target_accept, seed, parameterization, dense_mass)
    check_sample_prior(sample_prior)
    if not isinstance(log_likelihood, bool):
        raise ValueError(f"log_likelihood must be True or False, got {log_likelihood!r}")
    t0 = time.perf_counter()
    design = as_design(formula_or_design, data, family, na_action, knots, xt)
    spec = checked_spec(design, priors, parameterization, chains, draws, log_likelihood)
    settings = {"backend": backend, "chains": int(chains), "draws": int(draws),
                "tune": int(tune), "seed": int(seed), "target_accept": float(target_accept),
                "dense_mass": dense_mass}
    if sample_prior == "only":
        check_proper(spec)
        t1 = time.perf_counter()
        result = backends.SamplerResult(site_draws(spec, int(chains), int(draws), int(seed)), {},
                                        0.0, time.perf_counter() - t1, "none")
        log_likelihood = False
    else:
        backends.check_fits(backend, design)
        result = run_again(design, spec, **settings, progress=progress)
    prior = (prior_draws(spec, design, int(chains), int(draws), int(seed))
             if sample_prior == "yes" else None)
    return named_draws(design, spec, result, settings, log_likelihood, t0, priors=priors,
                       sample_prior=sample_prior, prior=prior)


def checked_spec(design: Design, priors: dict[str, Any] | None, parameterization: str,
                 chains: int, draws: int, log_likelihood: bool) -> ModelSpec:
    """The :class:`ModelSpec` of ``design`` after :func:`sample`'s checks of the data (missing
    values, the log-likelihood's size, identifiability under flat priors, storability)."""
    check_finite(design)
    if log_likelihood:
        check_log_likelihood_size(design.n, int(chains), int(draws))
    spec = model_spec(design, priors, parameterization)
    check_identifiable(design, spec)
    check_storable(design.data)
    check_design(design, spec.priors)
    return spec


def named_draws(design: Design, spec: ModelSpec, result: backends.SamplerResult,
                settings: dict[str, Any], log_likelihood: bool, started: float,
                priors: dict[str, Any] | None = None, sample_prior: str = "no",
                prior: dict[str, np.ndarray] | None = None) -> PosteriorDraws:
    """The :class:`PosteriorDraws` of a sampler's ``result``: brms names and :func:`sample`'s
    ``attrs``; ``settings``: ``backend``, ``chains``, ``draws``, ``tune``, ``seed``,
    ``target_accept``, ``dense_mass``; ``started``: ``time.perf_counter()`` at the start;
    ``priors``: those given (``attrs["priors_given"]``); ``prior``: prior draws of
    ``sample_prior="yes"``."""
    posterior = brms_posterior(spec, result.draws, design)
    attrs = {
        "formula": formula_text(design),
        "response": design.response,
        "family": spec.family.name,
        "link": spec.family.link_name,
        "backend": settings["backend"],
        "priors": spec.priors_json(),
        "priors_given": json.dumps({k: prior_text(v) for k, v in (priors or {}).items()}),
        "sample_prior": sample_prior,
        "seed": int(settings["seed"]),
        "chains": int(settings["chains"]),
        "draws": int(settings["draws"]),
        "tune": int(settings["tune"]) if sample_prior != "only" else 0,
        "target_accept": float(settings["target_accept"]),
        "dense_mass": int(settings["dense_mass"]),
        "mass_matrix": result.mass_matrix,
        "parameterization": spec.parameterization,
        "versions": json.dumps(versions(settings["backend"])),
        "compile_seconds": round(result.compile_seconds, 3),
        "sampling_seconds": round(result.sampling_seconds, 3),
        "total_seconds": round(time.perf_counter() - started, 3),
        **result.info,
    }
    return PosteriorDraws(design, spec, posterior, result.stats, attrs, log_likelihood,
                          prior=prior)
