"""``sample_big``: NUTS on data too large for one design matrix (a pandas or Dask data frame),
from statistics of the discretized rows.

The covariates are discretized and the term states fitted as :func:`bayeszoo.bam` does
(:func:`bayeszoo.penalized.bam.discretized_state`: mgcv's ``compress.df`` grids from every row,
states from at most ``state_rows`` rows); the family's likelihood statistics are accumulated
chunk by chunk (:mod:`.big_stats`); NUTS then runs in NumPyro on the model of the state rows'
design with those statistics in place of its rows, under brms's default priors, names and
summaries: by default on the variance parameters only, the coefficients integrated out and
drawn exactly given them (:mod:`.big_collapsed_nuts`), else on every parameter. The
posterior is that of the discretized data; with every covariate value kept (at most ``m`` of
each) and at most ``state_rows`` rows it is :func:`bayeszoo.sample`'s.

Data-dependent parts of the model come from the state rows: brms's default priors that read
the response (``student_t(3, median(y), mad(y))`` and the scales) and the column means the
fixed effects are centered at (which define ``b_Intercept``). There is no pointwise
log-likelihood (it would be per row): LOO and WAIC are not available on such a fit.

NumPy's BLAS runs on one thread during the call: OpenBLAS's idle threads spin on the cores
XLA's threads sample on (at 10⁷ rows the Poisson model's statistics and sampling took 25 %
less time with one thread; benchmarks/RESULTS_bam.md).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from bayeszoo.diagnostics import warn_fit
from bayeszoo.penalized.partitions import scheduler_address

from .backends import SamplerSettings
from .fit_checks import idata_checks
from .repeated import run_again
from .sampling import check_args, checked_spec, named_draws

__all__ = ["sample_big"]


@scheduler_address
def sample_big(formula: str, data: Any, family: Any = None, *, m: int | None = None,
               client: Any = None, state_rows: int = 10_000,
               knots: dict[str, Any] | None = None, chains: int = 4, draws: int = 1000,
               tune: int = 1000, seed: int = 0, target_accept: float = 0.8,
               dense_mass: bool = False, progress: bool = True,
               priors: dict[str, Any] | None = None, parameterization: str = "noncentered",
               log_likelihood: bool = False, approximation: str | None = None,
               sampler: str = "auto"):
    """Sample the posterior of ``formula`` on the discretized rows of ``data`` (a pandas or
    ``dask.dataframe`` DataFrame) with NumPyro's NUTS, from the Gaussian family's sufficient
    statistics or the distinct rows of the Poisson, binomial and bernoulli families
    (:mod:`.big_stats`), accumulated one chunk (partition, on ``client`` for Dask) at a time.

    Parameters
    ----------
    formula
        A formula string, as :func:`bayeszoo.bam` takes it.
    data
        A pandas or ``dask.dataframe`` DataFrame.
    family
        ``gaussian`` (identity link), ``poisson``, ``binomial`` or ``bernoulli``.
    m, client, state_rows, knots
        As :func:`bayeszoo.bam`: values kept per covariate, the Dask client (or a
        scheduler's address), the rows the term states are fitted on, the smooths' knots.
    chains, draws, tune, seed, target_accept, dense_mass, progress, priors, parameterization
        The sampler's arguments, as :func:`bayeszoo.sample`.
    log_likelihood
        Must stay ``False``: the pointwise log-likelihood is per row, which these statistics
        do not keep.
    approximation
        ``None``: the exact likelihood of the discretized rows. ``"laplace"`` (Poisson, log
        link): its second-order expansion in the linear predictor at the likelihood's maximum
        (:class:`~.big_stats.LaplacePoisson`; Newton's iterations, one pass each), for counts
        whose discretized rows do not collapse (three covariates on 1000 values and 1000
        groups leave about every row distinct): Gaussian statistics of fixed size whatever
        the rows, exact in value, gradient and Hessian at the expansion point.
    sampler
        ``"collapsed"``: NUTS on the intercept, the blocks' sds and ``sigma`` only, every
        other coefficient integrated out and drawn exactly from its Gaussian conditional
        (:mod:`.big_collapsed_nuts`; the Gaussian family and the Laplace expansion, iid
        blocks, flat or normal priors on the fixed coefficients). ``"joint"``: NUTS on
        every parameter, as :func:`bayeszoo.sample`. ``"auto"`` (default): collapsed where
        the model allows it, else joint. Both sample the same posterior.

    Returns
    -------
    Fit
        The fit of :func:`bayeszoo.sample`; its ``attrs`` add ``n_rows`` (the rows
        summarized), ``statistics_rows`` (the rows of the statistics: distinct rows, or the
        Gaussian's ``p``), ``statistics_seconds`` and ``approximation`` (``"none"`` or
        ``"laplace"``, with ``newton_passes``) and ``sampler`` (``"collapsed"`` or
        ``"joint"``).

    Raises
    ------
    ValueError
        ``log_likelihood=True``; ``approximation`` other than ``None`` or ``"laplace"``, or
        ``"laplace"`` with a family other than poisson (log link); ``sampler`` not one of
        ``"auto"``, ``"collapsed"``, ``"joint"``, or ``"collapsed"`` for a model that does not
        collapse; a family other than
        gaussian (identity link, no ``se``/``weights``), poisson, binomial, bernoulli;
        anything :func:`bayeszoo.bam` refuses.
    """
    from bayeszoo.penalized.bam import discretized_state
    from bayeszoo.penalized.engine import single_threaded_blas

    from .big_collapsed_nuts import collapse_plan, sample_collapsed
    from .big_stats import LaplacePoisson, laplace_statistics, statistics

    if sampler not in ("auto", "collapsed", "joint"):
        raise ValueError(f"sampler must be 'auto', 'collapsed' or 'joint', not {sampler!r}")
    if approximation not in (None, "laplace"):
        raise ValueError(f"approximation must be None or 'laplace', not {approximation!r}")
    if log_likelihood:
        raise ValueError("sample_big keeps no per-row log-likelihood (the rows are summarized "
                         "by their statistics), so LOO/WAIC are not available: use "
                         "log_likelihood=False, or bayeszoo.sample on a subset for LOO")
    check_args("numpyro", chains, draws, tune, target_accept, seed, parameterization,
               dense_mass)
    t0 = time.perf_counter()
    with single_threaded_blas():  # OpenBLAS threads spin against XLA's (RESULTS_bam.md)
        ds = discretized_state(formula, data, family, m=m, knots=knots, client=client,
                               state_rows=state_rows)
        spec = checked_spec(ds.design, priors, parameterization, chains, draws, False)
        passes = None
        if approximation == "laplace":
            family = LaplacePoisson(spec.family)
            stats, passes = laplace_statistics(ds, spec)
            spec = dataclasses.replace(spec, family=family)
        else:
            stats = statistics(ds, spec)
        t_stats = time.perf_counter() - t0
        design = dataclasses.replace(ds.design, statistics=stats)
        settings = {"backend": "numpyro", "chains": int(chains), "draws": int(draws),
                    "tune": int(tune), "seed": int(seed), "target_accept": float(target_accept),
                    "dense_mass": dense_mass}
        plan = collapse_plan(design, spec, stats) if sampler != "joint" else "joint requested"
        if isinstance(plan, str):
            if sampler == "collapsed":
                raise ValueError(f"sampler='collapsed' cannot integrate this model's "
                                 f"coefficients out: {plan}")
            result = run_again(design, spec, **settings, progress=progress)
        else:
            result = sample_collapsed(design, spec, plan, SamplerSettings(**{
                k: v for k, v in settings.items() if k not in ("backend", "seed")}), seed,
                progress)
    draws_ = named_draws(design, spec, result, settings, False, t0, priors=priors)
    idata = draws_.inference_data()
    idata.attrs["n_rows"] = int(ds.rows)
    gram = stats.gaussian.dense_gram if passes is not None else getattr(stats, "dense_gram", None)
    idata.attrs["statistics_rows"] = int(stats.arrays.X.shape[0] if gram is None
                                         else gram.shape[0])
    idata.attrs["approximation"] = approximation or "none"
    idata.attrs["sampler"] = "joint" if isinstance(plan, str) else "collapsed"
    if passes is not None:
        idata.attrs["newton_passes"] = int(passes)
    idata.attrs["statistics_seconds"] = round(t_stats, 3)
    warn_fit(idata_checks(idata))
    idata.attrs["total_seconds"] = round(time.perf_counter() - t0, 3)
    return idata
