"""Simulation-based calibration (:func:`sbc`): does the sampler recover what generated the data?

Talts, Betancourt, Simpson, Vehtari & Gelman (2018), "Validating Bayesian inference algorithms
with simulation-based calibration" (arXiv:1804.06788), and Modrák, Moon, Kim, Kucukelbir,
Bürkner & Vehtari (2023), "Simulation-based calibration checking for Bayesian computation"
(Bayesian Analysis): for each of ``n_sims`` simulations

1. draw every parameter (every site of the :class:`~bayeszoo.models.spec.ModelSpec`) from its
   prior, with NumPyro's ``Predictive`` on the sites alone;
2. compute the linear predictors on the model's own design with those values (the one
   :func:`~bayeszoo.design.linear_predictor`) and draw a response through the family
   (``family.draw``);
3. refit the model to that response with the chosen backend and the same, now fixed, priors;
4. rank the drawn value of every scalar parameter (brms's names: ``b_Intercept``,
   ``sd_county__Intercept``, ``sigma``...), of each ordinal threshold (``b_Intercept[k]``)
   and of the log-likelihood of the simulated data among the posterior draws, thinned to
   nearly independent draws by their ESS.

A response with ``trunc()`` is drawn within its bounds; one with ``cens()`` is censored at the
data's own censoring points (:func:`bayeszoo.families.censoring.censor`), each simulation
carrying its censoring codes into its refit.

If the sampler is calibrated the ranks are uniform; :class:`~.sbc_result.SbcResult` tests
that and draws their ECDF. The priors must be proper: the defaults brms sets from the data (a
``student_t`` intercept, ``half_student_t`` scales) are frozen at their values for the given
data, so every refit has the prior the parameters were drawn from; a flat prior is refused
naming the key to set. The refits run on ``executor=`` (:mod:`bayeszoo.inference.executors`).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Design, design_arrays
from bayeszoo.diagnostics import MAX_TREE_DEPTH, SamplerWarning
from bayeszoo.models.spec import PARAMETERIZATIONS, ModelSpec, model_spec
from bayeszoo.progress import bar

from .posterior import brms_posterior, design_info, family_parameters, pointwise_log_likelihood
from .sbc_result import DIAGNOSTICS, LOG_LIK, SbcResult


@dataclass(frozen=True)
class SbcProblem:
    """What every refit needs, sent once per task: the formula, data and family to rebuild the
    design on a worker, the frozen priors, backend and sampler settings; ``key`` names this
    model so that a worker builds its design once (and compiles its sampler once:
    :mod:`bayeszoo.inference.repeated`)."""

    key: str
    formula: Any
    data: pd.DataFrame
    family: Any
    priors: dict[str, str]
    parameterization: str
    backend: str
    sampler: dict[str, Any]
    max_rank: int
    #: mgcv's ``xt`` per column (an ``mrf`` smooth's neighbours), or None
    xt: dict[str, Any] | None = None


@dataclass(frozen=True)
class Simulation:
    """One simulated data set: its index, response, the true values of the ranked quantities,
    the seed of its refit and rank tie-breaking, and the response additions it changes (the
    censoring codes of a censored response, :func:`~bayeszoo.families.censoring.censor`)."""

    index: int
    y: np.ndarray
    truth: dict[str, float]
    seed: int
    additions: dict[str, np.ndarray] = field(default_factory=dict)


_PREPARED: dict[str, tuple[Design, ModelSpec, dict]] = {}


def prepared(problem: SbcProblem) -> tuple[Design, ModelSpec, dict]:
    """The problem's design, spec and naming, built once per process."""
    if problem.key not in _PREPARED:
        from .sampling import as_design

        design = as_design(problem.formula, problem.data, problem.family, xt=problem.xt)
        spec = model_spec(design, problem.priors, problem.parameterization)
        _PREPARED.clear()
        _PREPARED[problem.key] = (design, spec, design_info(design))
    return _PREPARED[problem.key]


def fit_simulation(task: tuple[SbcProblem, Simulation]) -> dict[str, Any]:
    """Refit one simulation and rank its true values (runs on a worker): the ranks, the bulk
    ESS that thinned them (ArviZ's, :mod:`.convergence`) and the refit's diagnostics."""
    from .convergence import ess_bulk, rhat
    from .fit_checks import extreme
    from .ranks import rank_statistic
    from .repeated import run_again

    problem, sim = task
    t0 = time.perf_counter()
    design, spec, info = prepared(problem)
    sim_design = replace(design, y=np.asarray(sim.y, dtype=float),
                         additions={**design.additions, **sim.additions})
    result = run_again(sim_design, spec, backend=problem.backend, seed=sim.seed,
                       **problem.sampler)
    post = brms_posterior(spec, result.draws, sim_design)
    draws = {q: quantity(post, q) for q in sim.truth if q != LOG_LIK}
    draws[LOG_LIK] = pointwise_log_likelihood(post, info, sim_design, spec.family).sum(axis=-1)
    rng = np.random.default_rng([sim.seed, 1])
    ranks, kept, ess_out = {}, {}, {}
    for q in sim.truth:
        ess_out[q] = float(ess_bulk(draws[q]))
        ranks[q], kept[q] = rank_statistic(sim.truth[q], draws[q], ess_out[q],
                                           problem.max_rank, rng)
    return {"index": sim.index, "ranks": ranks, "kept": kept, "ess": ess_out,
            "divergences": int(np.sum(result.stats["diverging"])),
            "tree_depth_hits": int(np.sum(result.stats["tree_depth"] >= MAX_TREE_DEPTH)),
            "max_rhat": extreme([float(rhat(draws[q])) for q in sim.truth], np.nanmax),
            "min_ess": extreme(list(ess_out.values()), np.nanmin),
            "seconds": time.perf_counter() - t0}


def check_proper(spec: ModelSpec) -> None:
    """``ValueError`` naming the parameters whose prior is flat (SBC draws from the prior) and
    the key to set."""
    bounded = {site.name for site in spec.sites if site.support == "ar"}  # uniform there
    flat = [name for name, p in spec.priors.items() if p == "flat()" and name not in bounded]
    if flat:
        names = ", ".join(flat[:5]) + (f" and {len(flat) - 5} more" if len(flat) > 5 else "")
        every = (" or, for every fixed coefficient at once, priors={'b': 'normal(0, 1)'}"
                 if any(n.startswith("b_") for n in flat) else "")
        raise ValueError(
            f"simulation-based calibration draws the parameters from their priors, and the "
            f"prior of {names} is flat (improper); give proper priors scaled to the values the "
            f"data make plausible, e.g. priors={{{flat[0]!r}: 'normal(0, 1)'}}{every} "
            "(command line: --prior KEY=PRIOR)")


#: Simulations drawn (and held in memory) at a time: the prior draws of one chunk are one
#: array per site, and a chunk's refits are sent before the next chunk is drawn.
SIM_CHUNK = 1000
#: The least time one sampler iteration of one chain has been seen to take (a two-parameter
#: model on one CPU core, chains vectorized, takes about 45 µs): what the up-front estimate of
#: an SBC run's duration counts per refit, so that a refused run surely cannot finish in time.
MIN_ITERATION_SECONDS = 1e-5
#: The longest SBC run started: one day.
MAX_SECONDS = 86_400


def prior_draws(spec: ModelSpec, n_sims: int, seed: int, chunk: int = 0
                ) -> dict[str, np.ndarray]:
    """``n_sims`` draws of every site from its prior: ``(1, n_sims, ...)`` per site. ``chunk``
    numbers the draws of one seed made in pieces (chunk 0 from the seed's key itself)."""
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    import jax
    from numpyro.infer import Predictive

    from bayeszoo.models.numpyro import sample_sites

    key = jax.random.PRNGKey(seed)
    if chunk:
        key = jax.random.fold_in(key, chunk)
    out = Predictive(lambda: sample_sites(spec), num_samples=n_sims)(key)
    return {k: np.asarray(v, dtype=float)[None] for k, v in out.items()}


#: vector parameters ranked element by element as brms names them: an ordinal family's
#: thresholds (``b_Intercept[k]``, and ``Intercept[k]`` on the centered design), the
#: ``ar()``/``ma()`` coefficients (``ar[1]``) and, by prefix, the simplexes of monotonic effects
#: (``simo_mox1[2]``)
ELEMENT_RANKED = ("b_Intercept", "Intercept", "ar", "ma")
SIMPLEX_PREFIX = "simo_"


def scalar_quantities(posterior: dict[str, np.ndarray]) -> list[str]:
    """The brms-named quantities ranked, in the posterior's order: the parameters that are
    one number per draw (``chain × draw`` arrays), and each element of the vectors of
    :data:`ELEMENT_RANKED` (``chain × draw × K`` arrays) as ``name[k]``, ``k`` from 1."""
    out = []
    for name, v in posterior.items():
        if np.ndim(v) == 2:
            out.append(name)
        elif np.ndim(v) == 3 and (name in ELEMENT_RANKED or name.startswith(SIMPLEX_PREFIX)):
            out += [f"{name}[{k + 1}]" for k in range(np.shape(v)[-1])]
    return out


def quantity(posterior: Any, name: str) -> np.ndarray:
    """The ``chain × draw`` draws of a quantity of :func:`scalar_quantities`."""
    if name.endswith("]") and "[" in name:
        base, k = name[:-1].split("[")
        return np.asarray(posterior[base])[..., int(k) - 1]
    return np.asarray(posterior[name])


def simulate(design: Design, spec: ModelSpec, n_sims: int, seed: int) -> list[Simulation]:
    """Every simulation of :func:`simulation_chunks`, in one list."""
    return [sim for chunk in simulation_chunks(design, spec, n_sims, seed) for sim in chunk]


def simulation_chunks(design: Design, spec: ModelSpec, n_sims: int, seed: int
                      ) -> Iterator[list[Simulation]]:
    """The simulations ``0..n_sims-1`` drawn :data:`SIM_CHUNK` at a time, so that memory holds
    one chunk of prior draws and responses, whatever ``n_sims``."""
    for chunk, start in enumerate(range(0, n_sims, SIM_CHUNK)):
        yield simulate_chunk(design, spec, min(SIM_CHUNK, n_sims - start), seed, chunk, start)


def simulate_chunk(design: Design, spec: ModelSpec, n_sims: int, seed: int, chunk: int = 0,
                   start: int = 0) -> list[Simulation]:
    """Draw parameters from the prior and a response through the family for simulations
    ``start..start+n_sims-1`` (the prior draws of ``chunk``), within ``trunc()``'s bounds and
    censored at the data's censoring points (:func:`~bayeszoo.families.censoring.censor`).
    A draw the family cannot represent (an overflowing count, a non-finite value) is a
    ``ValueError`` naming the simulation and the parameter values: the priors are too wide."""
    from bayeszoo.families import censoring
    from bayeszoo.families.ops import NUMPY
    from bayeszoo.models.autocorrelation import design_lags, has_arma

    lags = design_lags(design) if has_arma(spec) else None
    truth = brms_posterior(spec, prior_draws(spec, n_sims, seed, chunk), design)
    names = scalar_quantities(truth)
    info = design_info(design)
    arrays = [design_arrays(d) for d in design.predictors]
    eta, aux = family_parameters(truth, info, arrays, spec.family, design.additions)
    family, extras = spec.family, design.additions
    sims = []
    for j in range(n_sims):
        s = start + j
        eta_s = eta[0, j]
        aux_s = {k: v[0, j] for k, v in aux.items()}
        values = {q: float(quantity(truth, q)[0, j]) for q in names}
        rng = np.random.default_rng([seed, s])
        try:
            with np.errstate(all="ignore"):
                if lags is None:
                    y = censoring.draw(family, rng, eta_s[None],
                                       {k: v[None] for k, v in aux_s.items()}, extras)[0]
                else:
                    eta_s, y = draw_series(spec, truth, j, eta_s, aux_s, extras, lags, rng)
            y = family.prepare(y, design.response, trials=extras.get("trials"),
                               weights=extras.get("weights"), se=extras.get("se")).y
        except ValueError as exc:
            raise ValueError(f"simulation {s} drew an unusable response ({exc}) from the "
                             f"parameters {_short(values)}: the priors allow values too extreme "
                             "for this family; give tighter priors") from None
        y, coded = censoring.censor(y, design.y, extras)
        lp = float(np.sum(censoring.log_likelihood(family, NUMPY, y, eta_s, aux_s,
                                                   {**extras, **coded})))
        if not np.isfinite(lp):
            raise ValueError(f"simulation {s}: the log-likelihood of the simulated response is "
                             f"not finite at the parameters {_short(values)}; give tighter "
                             "priors")
        sims.append(Simulation(index=s, y=y, truth={**values, LOG_LIK: lp},
                               seed=int(seed) * 100_003 + s + 1, additions=coded))
    return sims


def draw_series(spec: ModelSpec, truth: dict, j: int, eta: np.ndarray, aux: dict,
                extras: dict, lags: Any, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """Simulation ``j``'s response of a model with ``ar()``/``ma()``/``arma()``, drawn row
    after row along each series (brms's recursion,
    :func:`bayeszoo.inference.arma_forecast.arma_recursion`), and its mean with the ARMA
    part: ``(mu, y)``, each ``(n,)``."""
    from .arma_forecast import arma_recursion

    n = eta.shape[-1]
    coefs = [None if site is None else np.asarray(truth[site][0, j], dtype=float)[None]
             for site in (spec.ar, spec.ma)]

    def fill(mu: np.ndarray, rows: np.ndarray) -> np.ndarray:
        at = {k: (v[rows] if np.shape(v)[-1:] == (n,) and n > 1 else v)[None]
              for k, v in aux.items()}
        return spec.family.draw(rng, mu, at, {k: v[rows] for k, v in extras.items()})

    mu, y = arma_recursion(*coefs, np.full(n, np.nan), eta[None], lags, fill)
    return mu[0], y[0]


def _short(values: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in list(values.items())[:6])


def parallel_refits(executor: Any, workers: int | None) -> int:
    """How many refits run at once: 1 here, ``workers`` (else the cores) on a LocalCluster or
    an executor, a Dask client's threads."""
    import os

    if executor is None:
        return 1
    if type(executor).__name__ == "Client" and hasattr(executor, "nthreads"):
        return max(1, sum(executor.nthreads().values()))
    return int(workers or os.cpu_count() or 1)


def duration_text(seconds: float) -> str:
    """``seconds`` in days, hours or minutes, whichever reads best."""
    for unit, size in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:.0f} s"


def check_duration(n_sims: int, sampler: dict[str, Any], parallel: int) -> None:
    """``ValueError`` for a run that cannot finish in a day (:data:`MAX_SECONDS`): ``n_sims``
    refits of ``chains × (tune + draws)`` iterations each, at :data:`MIN_ITERATION_SECONDS`
    at the very least, ``parallel`` at a time. The estimate is a lower bound: a refused run
    would take longer still."""
    per_refit = sampler["chains"] * (sampler["tune"] + sampler["draws"]) * MIN_ITERATION_SECONDS
    seconds = n_sims * per_refit / parallel
    if seconds > MAX_SECONDS:
        most = int(MAX_SECONDS * parallel / per_refit)
        raise ValueError(
            f"n_sims={n_sims:,} would take at least {duration_text(seconds)} ({n_sims:,} refits "
            f"of {sampler['chains']} chains × {sampler['tune'] + sampler['draws']} iterations, "
            f"{parallel} at a time), more than the one day an SBC run may take; give at most "
            f"n_sims={most:,} (a few hundred simulations show a miscalibration), fewer draws, "
            "or more workers")


def resolve_model(model_or_formula: Any, data: pd.DataFrame | None, family: Any,
                  parameterization: str | None) -> tuple[Any, pd.DataFrame, Any, str, dict, str]:
    """A zoo name or a formula with data as (formula, data, family, parameterization, zoo
    sampler options, label)."""
    from bayeszoo.formula import BrmsFormula

    if isinstance(model_or_formula, str) and "~" not in model_or_formula:
        from bayeszoo.models import zoo

        entry = zoo.get(model_or_formula)
        return (entry.formula, entry.load_data() if data is None else data,
                entry.family_object() if family is None else family,
                parameterization or entry.parameterization, dict(entry.sampler_options),
                entry.name)
    if not isinstance(model_or_formula, str | BrmsFormula):
        raise TypeError(f"sbc() takes a zoo model name or a formula (string or bz.bf) with "
                        f"data, got {type(model_or_formula).__name__}")
    if data is None:
        raise ValueError("a formula needs data= (a pandas DataFrame) to simulate on")
    return (model_or_formula, data, family, parameterization or "noncentered", {},
            str(model_or_formula))


def problem_key(formula: Any, data: pd.DataFrame, family: Any, fixed: dict) -> str:
    """A name for the model structure: formula, family (its class too: a subclass with another
    likelihood is another model), priors, settings and data."""
    h = hashlib.sha256()
    cls = type(family)
    h.update(json.dumps({"formula": str(formula), "family": repr(family),
                         "family_class": f"{cls.__module__}.{cls.__qualname__}", **fixed},
                        sort_keys=True, default=str).encode())
    h.update(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def sbc(model_or_formula: Any, data: pd.DataFrame | None = None, n_sims: int = 200,
        backend: str = "numpyro", priors: dict[str, Any] | None = None, seed: int = 0,
        executor: Any = None, *, family: Any = None, workers: int | None = None,
        max_rank: int = 99, chains: int | None = None, draws: int | None = None,
        tune: int | None = None, target_accept: float | None = None, dense_mass: bool = False,
        parameterization: str | None = None, progress: bool | None = None,
        xt: dict[str, Any] | None = None) -> SbcResult:
    """Simulation-based calibration of a zoo model (by name: its formula, data and family) or
    of a formula (string or :func:`bayeszoo.bf`) with ``data`` and ``family``.

    ``n_sims`` simulations from the prior (``priors=`` overrides brms's defaults and must leave
    none flat), each refitted with ``backend`` (chains, draws, tune, target_accept: the zoo
    entry's or :func:`bayeszoo.sample`'s defaults unless given). Ranks lie on
    ``0..max_rank``. ``executor``: see :mod:`bayeszoo.inference.executors` (``"dask"`` starts
    a LocalCluster of ``workers`` processes). Same ``seed``: the same ranks, serial or
    distributed. ``progress``: ``None`` (the default) shows a bar of the simulations done with
    the time left in a terminal or notebook (:mod:`bayeszoo.progress`), ``True`` prints one line
    per finished refit to stderr instead (for logs), ``False`` neither. The simulations are
    drawn and refitted :data:`SIM_CHUNK` at a time; a run that cannot finish in a day is
    refused up front with its estimated duration (:func:`check_duration`). Refits that did not
    mix, or had divergences or transitions at the maximum tree depth, are counted
    (:meth:`~.sbc_result.SbcResult.problems`) and warned about
    (:class:`~bayeszoo.diagnostics.SamplerWarning`).

    Parameters
    ----------
    model_or_formula : str or BrmsFormula
        A zoo model's name or a formula.
    data : pandas.DataFrame, optional
        The data of a formula (its predictors are kept, its response simulated).
    n_sims : int
        Simulations (at least 2).
    backend : str
        ``"numpyro"``, ``"pymc"`` or ``"nutpie"``.
    priors : dict, optional
        Proper priors replacing brms's defaults.
    seed : int
        Seed of the simulations and refits.
    executor : str or Executor, optional
        Where the refits run.
    family : str or Family, optional
        The family of a formula.
    workers : int, optional
        Processes of a ``"dask"`` executor.
    max_rank : int
        Ranks lie on ``0..max_rank``.
    chains, draws, tune : int, optional
        Sampler settings of each refit.
    target_accept : float, optional
        NUTS's target acceptance rate.
    dense_mass : bool
        Whether NUTS adapts a dense mass matrix.
    parameterization : str, optional
        ``"noncentered"`` or ``"centered"``.
    progress : bool, optional
        As above.
    xt : dict, optional
        Column -> mgcv's ``xt`` for the formula's smooths of that column (an ``mrf`` smooth's
        neighbourhood), as :func:`bayeszoo.sample`'s.

    Returns
    -------
    SbcResult
        The ranks, their uniformity tests and each refit's diagnostics.

    Raises
    ------
    ValueError
        For bad settings, a flat prior, or a run estimated to take more than a day.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> result = bz.sbc("radon_intercept", n_sims=100, seed=1)  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    >>> bz.sbc("radon_intercept", n_sims=1)
    Traceback (most recent call last):
    ...
    ValueError: n_sims must be an integer >= 2, got 1
    """
    from .executors import check_executor, map_ordered, opened
    from .sampling import as_design, check_args, check_finite

    formula, data, family, param, defaults, label = resolve_model(
        model_or_formula, data, family, parameterization)
    opts = {"chains": 4, "draws": 1000, "tune": 1000, "target_accept": 0.8, **defaults}
    opts.update({k: v for k, v in (("chains", chains), ("draws", draws), ("tune", tune),
                                   ("target_accept", target_accept)) if v is not None})
    sampler = {k: opts[k] for k in ("chains", "draws", "tune", "target_accept")}
    sampler["dense_mass"] = dense_mass
    check_args(backend, seed=seed, parameterization=param, **sampler)
    for name, v, lo in (("n_sims", n_sims, 2), ("max_rank", max_rank, 1)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    if param not in PARAMETERIZATIONS:
        raise ValueError(f"parameterization must be one of {PARAMETERIZATIONS}, got {param!r}")
    check_executor(executor)
    check_duration(int(n_sims), sampler, parallel_refits(executor, workers))
    design = as_design(formula, data, family, xt=xt)
    check_finite(design)
    spec = model_spec(design, priors, param)
    check_proper(spec)
    fixed_priors = dict(spec.priors)
    key = problem_key(formula, data, design.family, {
        "priors": fixed_priors, "parameterization": param, "backend": backend, "xt": xt,
        **sampler})
    problem = SbcProblem(key=key, formula=formula, data=data, family=design.family,
                         priors=fixed_priors, parameterization=param, backend=backend,
                         sampler=sampler, max_rank=int(max_rank), xt=xt)
    t0 = time.perf_counter()
    results: list[dict[str, Any]] = []
    finished = [0]

    def report(i: int, out: dict) -> None:
        finished[0] += 1
        meter.update(1)
        if progress:
            done = finished[0]
            left = (time.perf_counter() - t0) / done * (n_sims - done)
            eta = f", about {duration_text(left)} left" if done < n_sims else ""
            print(f"sbc {label}: simulation {out['index'] + 1}/{n_sims} refitted in "
                  f"{out['seconds']:.1f} s ({done} done{eta})", file=sys.stderr, flush=True)

    with opened(executor, workers) as pool, bar(int(n_sims), f"sbc {label}", "sim",
                                                progress is None) as meter:
        for sims in simulation_chunks(design, spec, int(n_sims), int(seed)):
            if progress and n_sims > SIM_CHUNK:
                print(f"sbc {label}: simulations {sims[0].index + 1}-{sims[-1].index + 1} of "
                      f"{n_sims} drawn from the prior", file=sys.stderr, flush=True)
            results += map_ordered(fit_simulation, [(problem, s) for s in sims], pool, report)
    index = pd.Index([r["index"] for r in results], name="sim")
    frame = {k: pd.DataFrame([r[k] for r in results], index=index)
             for k in ("ranks", "kept", "ess")}
    diagnostics = pd.DataFrame([{k: r[k] for k in DIAGNOSTICS} for r in results], index=index)
    settings = {"model": label, "formula": str(formula), "family": str(design.family.name),
                "link": design.family.link_name, "backend": backend, "priors": fixed_priors,
                "n_sims": int(n_sims), "seed": int(seed), "parameterization": param, **sampler,
                "wall_seconds": round(time.perf_counter() - t0, 2)}
    result = SbcResult(ranks=frame["ranks"].astype(np.int64), max_rank=int(max_rank),
                       ess=frame["ess"], kept=frame["kept"].astype(np.int64),
                       diagnostics=diagnostics, settings=settings)
    for line in result.warnings():
        warnings.warn(f"sbc {label}: {line}", SamplerWarning, stacklevel=2)
    return result
