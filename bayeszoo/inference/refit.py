"""Exact cross-validation by refitting: where PSIS-LOO fails (:func:`reloo`) and K-fold
(:func:`kfold`), the refits on any executor (:mod:`bayeszoo.inference.executors`).

brms's ``reloo`` (``R/reloo.R``) refits the model without each observation whose Pareto k
exceeds ``k_threshold`` (0.7) and replaces that observation's PSIS estimate by the exact
``log p(y_i | y_-i) = log mean_s p(y_i | theta_s^(-i))``; ``kfold`` (``R/kfold.R``) refits
without each of K folds and scores the held-out rows the same way (Vehtari, Gelman & Gabry
2017, "Practical Bayesian model evaluation using leave-one-out cross-validation and WAIC",
Statistics and Computing 27, sections 2.1 and 4.5).

Everything a refit needs is in the fit: the formula's term states, family, priors (the ones
used, brms's data-dependent defaults included, so every refit has the original prior), sampler
settings (``attrs``) and the data (``constant_data``/``observed_data``). The model stays the
fitted one: the term states (knots, factor levels, constraints) are evaluated on the remaining
rows, not refitted, so only the likelihood loses the held-out rows, which is what PSIS-LOO
approximates (brms rebuilds the basis on the remaining data). The held-out rows' log
predictive density comes from the refit's posterior through the pointwise log-likelihood of
:mod:`bayeszoo.inference.posterior`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from bayeszoo.models.spec import model_spec

from .posterior import brms_posterior, design_info, pointwise_log_likelihood

#: ``attrs`` key under which :func:`reloo` stores its exact values (JSON), read by
#: :func:`apply_refits` whenever the fit's LOO is computed again (report, compare).
REFITS_ATTR = "loo_refits"


@dataclass(frozen=True)
class RefitProblem:
    """A fit's model without its posterior: term states, data, family, priors and sampler
    settings (a worker compiles the sampler of its structure once:
    :mod:`bayeszoo.inference.repeated`)."""

    states: dict
    data: pd.DataFrame
    family: Any
    priors: dict[str, str]
    parameterization: str
    backend: str
    sampler: dict[str, Any]


def refit_problem(idata) -> RefitProblem:
    """What refitting ``idata`` takes, from its ``attrs`` and stored data; ``ValueError`` when
    the fit does not carry them (not made by :func:`bayeszoo.sample`)."""
    from .predict import fit_family, stored_data, stored_states

    missing = [k for k in ("priors", "backend", "chains", "draws", "tune", "seed")
               if k not in idata.attrs]
    if missing:
        raise ValueError(f"this fit lacks attrs {missing}: refits need a fit made by "
                         "bayeszoo.sample or bayeszoo.fit (it stores the priors, sampler "
                         "settings and data)")
    data = stored_data(idata)
    if data is None:
        raise ValueError("this fit stores no data frame; refits need the data it was fitted to")
    a = idata.attrs
    sampler = {"chains": int(a["chains"]), "draws": int(a["draws"]), "tune": int(a["tune"]),
               "target_accept": float(a.get("target_accept", 0.8)),
               "dense_mass": bool(int(a.get("dense_mass", 0)))}
    priors = json.loads(a["priors"])
    family = fit_family(idata)
    return RefitProblem(states=stored_states(idata), data=data, family=family, priors=priors,
                        parameterization=str(a.get("parameterization", "noncentered")),
                        backend=str(a["backend"]), sampler=sampler)


def heldout_elpd(task: tuple[RefitProblem, np.ndarray, int]) -> np.ndarray:
    """Refit without ``rows`` and return each held-out row's ``log mean_s p(y_i | theta_s)``
    (runs on a worker)."""
    from bayeszoo.formula import evaluate_design
    from bayeszoo.models.autocorrelation import has_arma

    from .repeated import run_again
    from .sampling import check_identifiable

    problem, rows, seed = task
    rows = np.asarray(rows, dtype=np.int64)
    keep = np.setdiff1d(np.arange(len(problem.data)), rows)
    train = problem.data.iloc[keep].reset_index(drop=True)
    test = problem.data.iloc[rows].reset_index(drop=True)
    design = evaluate_design(problem.states, train, family=problem.family,
                             require_response=True)
    spec = model_spec(design, problem.priors, problem.parameterization)
    if has_arma(spec):
        raise ValueError("reloo and kfold do not refit ar() models: a held-out row's density "
                         "needs the residuals of its series, which the refit leaves out")
    try:  # a factor level whose rows are all held out, under a flat prior: name it
        check_identifiable(design, spec)
    except ValueError as exc:
        raise ValueError(f"refitting without rows {rows.tolist()[:10]}: {exc} (refit the "
                         "model with that prior first)") from None
    result = run_again(design, spec, backend=problem.backend, seed=seed, **problem.sampler)
    post = brms_posterior(spec, result.draws, design)
    held = evaluate_design(problem.states, test, family=problem.family, require_response=True)
    ll = pointwise_log_likelihood(post, design_info(design), held, problem.family)
    ll = ll.reshape(-1, ll.shape[-1])
    return logsumexp(ll, axis=0) - np.log(ll.shape[0])


def refit_rows(problem: RefitProblem, groups: list[np.ndarray], seed: int, executor: Any,
               workers: int | None, desc: str = "refits",
               progress: bool = True) -> list[np.ndarray]:
    """:func:`heldout_elpd` of every group of rows, on ``executor``; a progress bar
    (:mod:`bayeszoo.progress`) named ``desc`` counts the refits done."""
    from bayeszoo.progress import bar

    from .executors import map_ordered, opened

    tasks = [(problem, g, int(seed) * 1_000_003 + i + 1) for i, g in enumerate(groups)]
    with opened(executor, workers) as pool, bar(len(tasks), desc, "refit", progress) as meter:
        return map_ordered(heldout_elpd, tasks, pool, lambda i, out: meter.update(1))


def scale_factor(scale: str) -> float:
    """ArviZ's LOO scales: log (1), negative_log (-1), deviance (-2)."""
    return {"log": 1.0, "negative_log": -1.0, "deviance": -2.0}[str(scale).lower()]


def with_exact(elpd, observations: list[int], exact: list[float]):
    """A copy of ArviZ's ``ELPDData`` with the pointwise values of ``observations`` replaced by
    their exact elpd (on the log scale), totals, SE and p_loo recomputed as ArviZ's ``reloo``
    and brms's do; their Pareto k set to 0 (PSIS was not used there)."""
    out = elpd.copy()
    if not observations:
        return out
    f = scale_factor(out.scale)
    lppd = float(elpd.p_loo) + float(elpd.elpd_loo) / f
    loo_i = out.loo_i.copy()
    k = out.pareto_k.copy()
    loo_i[np.asarray(observations)] = f * np.asarray(exact, dtype=float)
    k[np.asarray(observations)] = 0.0
    out.loo_i, out.pareto_k = loo_i, k
    out.elpd_loo = float(loo_i.values.sum())
    out.se = float(np.sqrt(loo_i.size * np.var(loo_i.values)))
    out.p_loo = lppd - out.elpd_loo / f
    out.warning = bool(np.any(k.values > 0.7))
    return out


def stored_refits(idata) -> dict | None:
    """The exact refits :func:`reloo` stored in the fit's ``attrs`` (``None`` without)."""
    raw = idata.attrs.get(REFITS_ATTR)
    return json.loads(raw) if raw else None


def apply_refits(idata, elpd):
    """``elpd`` with the exact values stored in the fit (if any) in place of PSIS's."""
    refits = stored_refits(idata)
    if not refits or "pareto_k" not in elpd:
        return elpd
    return with_exact(elpd, refits["observations"], refits["elpd_exact"])


def reloo(idata, elpd, k_threshold: float = 0.7, executor: Any = None,
          workers: int | None = None, progress: bool = True):
    """brms's ``reloo``: refit without each observation whose Pareto k in ``elpd`` (a pointwise
    PSIS-LOO of ``idata``) exceeds ``k_threshold``, store the exact values in
    ``idata.attrs["loo_refits"]`` (with the observations, their Pareto k and PSIS elpd) and
    return ``elpd`` with them in place."""
    if not (isinstance(k_threshold, int | float) and not isinstance(k_threshold, bool)
            and np.isfinite(k_threshold)):
        raise ValueError(f"k_threshold must be a number, got {k_threshold!r}")
    k = np.asarray(elpd.pareto_k.values, dtype=float)
    bad = [int(i) for i in np.flatnonzero(k > k_threshold)]
    exact: list[float] = []
    if bad:
        problem = refit_problem(idata)
        exact = [float(v[0]) for v in refit_rows(problem, [np.array([i]) for i in bad],
                                                 int(idata.attrs["seed"]), executor, workers,
                                                 "reloo", progress)]
    f = scale_factor(elpd.scale)
    idata.attrs[REFITS_ATTR] = json.dumps({
        "method": "reloo", "k_threshold": float(k_threshold), "observations": bad,
        "pareto_k": [float(k[i]) for i in bad],
        "elpd_psis": [float(elpd.loo_i.values[i]) / f for i in bad], "elpd_exact": exact})
    return with_exact(elpd, bad, exact)


@dataclass
class KFoldResult:
    """brms's ``kfold``: ``elpd_kfold`` (sum of the held-out rows' log predictive densities),
    its ``se``, ``p_kfold`` (the fit's lppd minus elpd_kfold), ``pointwise`` (fold and
    elpd of every row) and ``K``."""

    elpd_kfold: float
    se: float
    p_kfold: float
    pointwise: pd.DataFrame
    K: int

    @property
    def kfoldic(self) -> float:
        return -2.0 * self.elpd_kfold

    def table(self) -> pd.DataFrame:
        """Estimates and standard errors as R loo's print of a kfold object."""
        return pd.DataFrame({"Estimate": [self.elpd_kfold, self.p_kfold, self.kfoldic],
                             "SE": [self.se, np.nan, 2 * self.se]},
                            index=["elpd_kfold", "p_kfold", "kfoldic"])

    def __str__(self) -> str:
        return f"Based on {self.K}-fold cross-validation\n{self.table().round(1)}"


def fold_ids(n: int, K: int, seed: int) -> np.ndarray:
    """Random, balanced fold ids ``0..K-1`` of ``n`` rows (R loo's ``kfold_split_random``):
    a seeded permutation of ``0, 1, ..., K-1, 0, 1, ...``."""
    return np.random.default_rng(seed).permutation(np.arange(n) % K)


def check_folds(folds, n: int) -> np.ndarray:
    """``folds`` as an array of one fold id per row, with no missing id and at least two
    folds (each refit leaves one out and is scored on it); else ``ValueError`` naming the
    rows or the id."""
    folds = np.asarray(folds)
    if folds.shape != (n,):
        raise ValueError(f"folds must hold one fold id per row ({n}), got shape {folds.shape}")
    missing = np.flatnonzero(pd.isna(folds))
    if missing.size:
        rows = ", ".join(str(i) for i in missing[:10]) + (" ..." if missing.size > 10 else "")
        raise ValueError(f"folds has no fold id at rows {rows} ({missing.size} missing); give "
                         "every row a fold id")
    labels = np.unique(folds)
    if labels.size < 2:
        only = labels[0].item() if isinstance(labels[0], np.generic) else labels[0]
        raise ValueError(f"folds puts all {n} rows in the one fold {only!r}: a refit without "
                         "it has no data; give at least two fold ids, or K= instead of folds=")
    return folds


def kfold(idata, K: int = 10, seed: int = 0, executor: Any = None,
          workers: int | None = None, folds: np.ndarray | None = None,
          progress: bool = True) -> KFoldResult:
    """K-fold cross-validation of a fit (brms's ``kfold``): ``K`` refits, each without one
    fold (``folds``: a fold id per row, else random balanced folds seeded by ``seed``), with
    the fit's formula, priors and sampler settings, on ``executor``; ``progress``: a bar of the
    refits in a terminal or notebook (:mod:`bayeszoo.progress`).

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit of :func:`bayeszoo.sample` (or :func:`bayeszoo.fit`).
    K : int
        The number of folds (2 to the number of rows).
    seed : int
        Seed of the random folds.
    executor : str or Executor, optional
        Where the refits run (:mod:`bayeszoo.inference.executors`).
    workers : int, optional
        Processes of a ``"dask"`` executor.
    folds : numpy.ndarray, optional
        A fold id per row, in place of random folds.
    progress : bool
        Whether to show a progress bar.

    Returns
    -------
    KFoldResult
        ``elpd_kfold``, ``se``, ``p_kfold``, ``pointwise`` and ``K``.

    Raises
    ------
    TypeError
        When ``idata`` is not an InferenceData.
    ValueError
        For ``K`` outside 2 to the number of rows, or bad ``folds``.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fit = bz.fit("radon_intercept")  # doctest: +SKIP
    >>> bz.kfold(fit, K=10).elpd_kfold  # doctest: +SKIP
    >>> bz.kfold(["not a fit"], K=10)
    Traceback (most recent call last):
    ...
    TypeError: kfold() takes a fit (an arviz.InferenceData from bayeszoo.sample), got a list
    """
    import arviz as az

    if not isinstance(idata, az.InferenceData):
        raise TypeError(f"kfold() takes a fit (an arviz.InferenceData from bayeszoo.sample), "
                        f"got a {type(idata).__name__}")
    problem = refit_problem(idata)
    n = len(problem.data)
    if folds is None:
        if isinstance(K, bool) or not isinstance(K, int | np.integer) or not 2 <= K <= n:
            raise ValueError(f"K must be a whole number from 2 to the {n} rows, got {K!r}")
        folds = fold_ids(n, int(K), seed)
    folds = check_folds(folds, n)
    labels = np.unique(folds)
    groups = [np.flatnonzero(folds == f) for f in labels]
    out = refit_rows(problem, groups, int(idata.attrs["seed"]), executor, workers, "kfold",
                     progress)
    elpd = np.empty(n)
    for g, values in zip(groups, out, strict=True):
        elpd[g] = values
    ll = np.asarray(next(iter(idata.log_likelihood.data_vars.values())).values, dtype=float)
    ll = ll.reshape(-1, ll.shape[-1])
    lppd = float(np.sum(logsumexp(ll, axis=0) - np.log(ll.shape[0])))
    total = float(elpd.sum())
    return KFoldResult(elpd_kfold=total, se=float(np.sqrt(n * np.var(elpd))),
                       p_kfold=lppd - total,
                       pointwise=pd.DataFrame({"fold": folds, "elpd_kfold": elpd}),
                       K=len(labels))
