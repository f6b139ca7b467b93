"""``bam(formula, data, discrete=True)``: discretized REML for data too large for one model
matrix, as ``mgcv::bam(..., method = "fREML", discrete = TRUE)`` (Wood, Goude & Shaw 2015;
Wood, Li, Shaddick & Augustin 2017).

Gaussian identity-link models are fitted by fREML on the cross-products; the exponential
families (Poisson, binomial, Gamma, ...) by mgcv's performance iteration on them
(:mod:`.bam_pirls`). The fit makes passes over the rows, each one
chunk (a pandas frame, or each partition of a ``dask.dataframe``: :mod:`.partitions`) at a time:

1. the covariates' ranges and distinct values decide their discretization (:mod:`.discrete`);
2. the term states (knots, constraints, factor levels) are fitted by :func:`bayeszoo.design` on
   every ``stride``-th row, ``stride = ceil(n / state_rows)`` (every row up to ``state_rows``),
   with its covariates discretized, plus one row for each factor level and covariate range end
   those rows miss;
3. each term's columns are evaluated on the distinct (discretized) values of its covariates
   only, and ``X'WX``, ``X'Wy``, ``y'Wy`` are accumulated from index vectors
   (:mod:`.crossprod`) without forming ``X``;
4. the exact Gaussian REML engine runs on those cross-products
   (:meth:`.gaussian.GaussianEngine.from_statistics`); the fitted values are ``X beta`` looked
   up per row.

Gaussian models may have AR(1) residuals (``rho=``, ``ar_start=``): the whitened
cross-products come from lag moments of the rows (:mod:`.bam_ar`).

With every covariate value kept (at most ``m`` distinct values each) and ``n <= state_rows``,
the Gaussian fit is the exact fit of :func:`bayeszoo.reml` (AR(1) residuals included); the
other families' fit is mgcv's discrete ``bam`` (performance iteration), which equals
:func:`bayeszoo.reml` at given smoothing parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sps

from bayeszoo.checks.design import check_design
from bayeszoo.families import get as get_family
from bayeszoo.formula import design as build_design
from bayeszoo.formula.build import evaluate_design
from bayeszoo.formula.columns import alias_expr, column_map
from bayeszoo.formula.parse import parse_formula
from bayeszoo.formula.term_types import term_type

from .api import METHODS, engine_block, make_fit, reml
from .ar1 import ar_starts, check_rho
from .ar1_fit import profile_rho
from .bam_pirls import Control, ResponseSpec, chunk_likelihood, pirls
from .checks import check_blocks, check_identifiable, check_not_saturated, resolve_sp
from .crossprod import TermGroup, linear_predictor
from .discrete import Grid, default_m, grids
from .engine import EngineResult, single_threaded_blas
from .gaussian import GaussianEngine
from .partitions import make_source, scheduler_address, stride_for
from .problem import Layout, Predictor
from .result import RemlFit

__all__ = ["SUPPORTED", "DiscreteState", "bam", "discretized_state"]

AR_COLUMN = "(AR.start)"  # the column an ar_start array is put in

SUPPORTED = ("the gaussian family (fREML) and the other exponential families (poisson, "
             "binomial, bernoulli, Gamma, gaussian with another link; PIRLS); parametric "
             "terms, smooths s(), te(), "
             "ti(), t2() (any basis, by= variables), s(g, bs='re') and random effects (1 | g), "
             "(x | g); weights(), trials(); one formula for the mean")


@scheduler_address
def bam(formula: str, data: Any, method: str = "REML", sp: float | dict[str, float] | None = None,
        family: Any = None, *, discrete: bool = True, m: int | None = None,
        knots: dict[str, Any] | None = None, client: Any = None,
        state_rows: int = 10_000, control: Control | None = None,
        rho: float | str | None = None, ar_start: Any = None, keep_rows: bool = True,
        state_m: int | None = None) -> RemlFit:
    """Fit an additive mixed model by REML (or ML) from discretized covariates, as
    ``mgcv::bam(formula, data, family, method = "fREML", discrete = TRUE)``: Gaussian models by
    fREML on the cross-products (with AR(1) residuals if asked), the other exponential families
    by mgcv's performance iteration (:mod:`.bam_pirls`).

    ``data``: a pandas DataFrame or a ``dask.dataframe`` (Parquet, CSV partitions); the
    cross-products of a Dask frame are computed partition by partition on ``client`` (a
    ``distributed.Client``; ``None``: Dask's current scheduler) and summed. ``m``: values kept
    per covariate (mgcv's ``compress.df``: by default 1000 for a covariate of a one-covariate
    term, 100 for two, 25 for more; see :mod:`.discrete`). ``discrete=False``: the exact fit of
    :func:`bayeszoo.reml` (pandas data only). ``state_rows``: at most this many rows (every
    ``ceil(n / state_rows)``-th one) fit the term states. ``control``: the PIRLS convergence
    of the non-Gaussian families. ``method``, ``sp``, ``knots``: as
    :func:`bayeszoo.reml`. Supported: see :data:`SUPPORTED`; anything else raises naming it.

    The result is a :class:`~bayeszoo.penalized.RemlFit` whose ``fitted``, ``residuals`` and
    ``n`` cover every row (``fitted`` at the rounded covariates, as mgcv's; the fitted values
    at the data's own covariates are ``predict(data)``, which also takes a Dask frame); its
    ``design`` holds the rows the term states were fitted on, so ``predict()`` takes
    ``newdata``. BLAS runs on one thread during the fit: the cores go to the partitions'
    passes (Dask's threads), and the dense factorizations of the Newton steps gain less from
    a second thread than they lose to contention (benchmarks/RESULTS_bam.md: at 10⁷ rows one
    thread was 1.6 to 2.1 times faster on an idle 2-core machine).

    Parameters
    ----------
    formula
        An mgcv formula (one, for the mean).
    data
        A pandas DataFrame or a ``dask.dataframe``.
    method
        ``"REML"`` or ``"ML"``.
    sp
        Fixed smoothing parameters (one value, or by mgcv label), as :func:`bayeszoo.reml`.
    family
        A family name or object (``None``: gaussian). The gaussian identity-link model is
        fitted by fREML on the cross-products; other exponential families by mgcv's
        performance iteration (:mod:`.bam_pirls`), with ``method="REML"`` only (mgcv's
        discrete ``bam`` is fREML).
    discrete
        Discretize the covariates; ``False``: the exact fit of :func:`bayeszoo.reml`.
    m
        Values kept per covariate (``None``: mgcv's ``compress.df`` defaults).
    knots
        Column -> knot values for the smooths, as :func:`bayeszoo.reml`.
    client
        A ``distributed.Client`` for a Dask frame, or a Dask scheduler's address
        (``"tcp://host:8786"``; connected for the call); ``None``: Dask's current scheduler
        (a client made active with ``with Client(...)``, else its local threads: no process
        start-up, one partition per thread in memory).
    state_rows
        The most rows the term states are fitted on.
    control
        Convergence of the PIRLS iteration of a non-Gaussian family
        (:class:`~.bam_pirls.Control`; ``None``: its defaults).
    rho
        AR(1) residuals (Gaussian identity link, no weights), as ``bam(rho =)``: a number in
        (-1, 1), or ``"estimate"`` to profile the score over ``rho`` as
        :func:`bayeszoo.reml` does; the whitened cross-products come from one pass
        (:mod:`.bam_ar`).
    ar_start
        mgcv's ``AR.start``: the name of a boolean column, True where a series starts (or, for
        a pandas frame, a boolean array); ``None``: one series.
    state_m
        Values kept per covariate of the rows the term states (tp knots and bases, constraints)
        are fitted on (``None``: ``m``'s). ``m`` above every covariate's number of distinct
        values with ``state_m=None`` keeps every value for the states too (``tp`` bases on
        their own knots); with ``state_m`` at mgcv's default the fit keeps every value but
        builds the bases of the default discretization: the exact fit of the model that
        ``discrete=True`` approximates (as mgcv's ``bam(discrete = n, knots = grid)``).
    keep_rows
        ``False`` (Gaussian identity link, independent residuals): gather nothing per row,
        so that the memory of the process that calls ``bam`` does not grow with the rows
        (10⁸ rows would need several GB per vector kept); the fit's ``fitted``,
        ``residuals`` and ``linear_predictors`` are then those of the state rows
        (``fit.design``), while ``deviance``, ``scale`` and ``null_deviance`` come from the
        statistics of every row and are those of ``keep_rows=True``.

    Returns
    -------
    RemlFit
        The fit, as :func:`bayeszoo.reml` returns it.

    Raises
    ------
    ValueError
        For an unknown ``method``, a family outside :data:`SUPPORTED`, ``"ML"`` with a
        non-Gaussian family, a formula that is not a string,
        ``discrete=False`` with a Dask frame, ``keep_rows=False`` outside the Gaussian
        identity-link fit with independent residuals, or a term outside :data:`SUPPORTED`.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fit = bz.bam("accel ~ s(times, k=10)", bz.datasets.load_mcycle())
    >>> fit.n, round(fit.edf_total, 2)
    (133, 9.62)
    """
    method = str(method).upper()
    if method not in METHODS:
        raise ValueError(f"method must be 'REML' or 'ML', not {method!r}")
    fam = get_family(family if family is not None else "gaussian")
    additive = fam.name == "gaussian" and fam.link_name == "identity"
    if not additive and method != "REML":
        raise ValueError("bam fits a non-Gaussian family by fREML within PIRLS (mgcv's "
                         f"discrete bam); method must be 'REML', not {method!r}")
    if not isinstance(formula, str):
        raise ValueError(f"bam takes a formula string ({SUPPORTED}), not "
                         f"{type(formula).__name__}")
    if ar_start is not None and rho is None:
        raise ValueError("ar_start marks the series of AR(1) residuals: give rho as well (a "
                         "number in (-1, 1) or 'estimate')")
    if not keep_rows and (not additive or rho is not None or not discrete
                          or state_m is not None):
        raise ValueError("keep_rows=False is available for the discretized gaussian "
                         "identity-link fit with independent residuals (and no state_m) "
                         "only")
    if rho is not None:
        rho = rho if isinstance(rho, str) and rho == "estimate" else check_rho(rho)
        if not additive:
            raise ValueError(f"AR(1) residuals (rho) are available for the gaussian family "
                             f"with the identity link only, not {fam.name}")
    if not discrete:
        if not isinstance(data, pd.DataFrame):
            raise ValueError("discrete=False (the exact fit) needs a pandas DataFrame; a Dask "
                             "data frame is fitted with discrete=True")
        return reml(formula, data, method, sp, fam, knots=knots, rho=rho, ar_start=ar_start)
    if ar_start is not None and not isinstance(ar_start, str):
        if not isinstance(data, pd.DataFrame):
            raise ValueError("with a Dask data frame ar_start names a boolean column")
        data = data.assign(**{AR_COLUMN: ar_starts(ar_start, None, len(data))})
        ar_start = AR_COLUMN
    with single_threaded_blas():  # the cores go to the partitions' passes (RESULTS_bam.md)
        ds = discretized_state(formula, data, fam, m=m, knots=knots, client=client,
                               state_rows=state_rows, state_m=state_m)
        source, grid, d, rows, reads = ds.source, ds.grid, ds.design, ds.rows, ds.reads
        response, weights, trials = ds.response, ds.weights, ds.trials
        state = ds.state
        spec = ResponseSpec(response, weights, trials, fam)
        if not additive:
            chunk_likelihood(state, spec)
        fixed = resolve_sp(d, sp)
        X = np.asarray(d.X, dtype=float)
        check_identifiable(d, X)
        blocks = [engine_block(b, d.n, None if f is None else np.log(np.atleast_1d(f)))
                  for b, f in zip(d.blocks, fixed[0], strict=True)]
        layout = Layout([Predictor(X, blocks, name=d.response)])
        groups = _groups(d, layout, reads, grid, source, (weights, trials))
        if not additive:
            return _fit_pirls(d, layout, blocks, groups, grid, source, spec, fixed, rows,
                              control or Control())
        if rho is not None:
            if weights is not None:
                raise ValueError("AR(1) residuals (rho) are not available with weights(): the "
                                 "whitening assumes equal variances")
            fit = _fit_ar(d, layout, blocks, groups, grid, source, rho, ar_start, method, fixed)
            fit.n_rows = int(rows)
            return fit
        stats = source.statistics(groups, grid, response, weights, layout.P)
        check_not_saturated(d, stats.n_obs, True, method)
        _check_response_varies(stats, layout.fixed_slices[0].start + d.column_names.index(
            "Intercept"), response)
        engine = GaussianEngine.from_statistics(layout, stats.G, stats.c, stats.yy,
                                                stats.n_obs, stats.sum_log_w, method)
        psi0, lo, hi, free = _start(layout, np.diag(stats.G), blocks)
        st, info = engine.fit(psi0, free, lo, hi)
        if keep_rows:
            y, w = source.response(response, weights)
            eta = source.eta(groups, grid, st.beta)[:, None]
        else:
            y = ds.state[response].to_numpy(dtype=float)
            w = np.ones_like(y) if weights is None else ds.state[weights].to_numpy(dtype=float)
            eta = linear_predictor(groups, grid, ds.state, st.beta)[:, None]
        result, lik = _result(layout, engine, st, info, free, fam, y, w, eta, response, method)
        if not keep_rows:
            rss = (stats.yy - 2.0 * float(st.beta @ stats.c)
                   + float(st.beta @ stats.G @ st.beta))
            result = replace(result, deviance=rss,
                             scale=rss / (stats.n_obs - float(np.sum(result.edf))))
        fit = make_fit(d, lik, result, fixed)
        fit.n_rows = int(stats.rows)
        if not keep_rows:
            i = layout.fixed_slices[0].start + d.column_names.index("Intercept")
            fit.null_deviance = float(stats.yy - stats.c[i]**2 / stats.G[i, i])
        return fit


@dataclass
class DiscreteState:
    """The first passes of a discretized fit: the rows' ``source``, each covariate's ``grid``,
    the ``design`` of the rows the term states were fitted on (covariates discretized), the
    number of ``rows``, the columns each term ``reads``, the response, weights and trials
    columns, and the ``state`` rows themselves."""

    source: Any
    grid: dict[str, Grid]
    design: Any
    rows: int
    reads: dict[Any, tuple[str, ...]]
    response: str
    weights: str | None
    trials: str | None
    state: pd.DataFrame


def discretized_state(formula: str, data: Any, family: Any = None, *, m: int | None = None,
                      knots: dict[str, Any] | None = None, client: Any = None,
                      state_rows: int = 10_000, state_m: int | None = None) -> DiscreteState:
    """Steps 1 and 2 of :func:`bam`: the covariates' discretization (mgcv's ``compress.df``)
    decided from every row of ``data`` (pandas or Dask) and the term states fitted on at most
    ``state_rows`` of them, discretized (onto ``state_m`` values per covariate if given)."""
    fam = get_family(family if family is not None else "gaussian")
    source = make_source(data, client)
    pf = parse_formula(formula)
    response, weights, trials = _response(pf, source.meta)
    reads, caps = _reads(pf, source.meta, m)
    summary = source.summary(caps)
    rows = next(iter(summary.values())).rows if summary else None
    grid = grids(summary, caps)
    state_grid = grid if state_m is None else grids(summary, _reads(pf, source.meta,
                                                                    state_m)[1])
    if rows is None:
        rows = len(source.response(response, weights)[0])
    state = _state_frame(source.every(stride_for(rows, state_rows)), state_grid)
    d = build_design(formula, state, family=fam, knots=knots)
    _check_model(d)
    return DiscreteState(source, grid, d, int(rows), reads, response, weights, trials,
                         state)


def _response(pf, meta: pd.DataFrame) -> tuple[str, str | None, str | None]:
    """The response column and the columns of the prior weights and binomial trials
    (``None`` without ``weights()``, ``trials()``)."""
    if pf.response is None or pf.response_expr is not None or pf.response not in meta.columns:
        raise ValueError(f"bam needs the response to be a column of data ({pf.formula!r})")
    if pf.offsets:
        raise ValueError(f"bam has no offset() terms in this version ({SUPPORTED})")
    extra = sorted(set(pf.additions) - {"weights", "trials"})
    if extra:
        raise ValueError(f"bam takes the response additions trials() and weights() only, not "
                         f"{extra} ({SUPPORTED})")
    for key in ("weights", "trials"):
        col = pf.additions.get(key)
        if col is not None and col not in meta.columns:
            raise ValueError(f"bam needs {key}() to name a column of data, not {col!r}")
    return pf.response, pf.additions.get("weights"), pf.additions.get("trials")


def _reads(pf, meta: pd.DataFrame, m: int | None) -> tuple[dict[Any, tuple[str, ...]],
                                                          dict[str, int]]:
    """The columns read by the parametric part (key ``None``) and by each term (its position in
    the formula), and the values kept per covariate."""
    columns = column_map(meta)
    reads: dict[Any, tuple[str, ...]] = {}
    caps: dict[str, int] = {}
    aliases: dict[str, str] = {}
    for t in pf.fixed:
        alias_expr(t, 0, columns, aliases, t, pf.formula)
    reads[None] = tuple(aliases)
    for c in reads[None]:
        caps[c] = max(caps.get(c, 0), default_m(1, m))
    for i, t in enumerate(pf.terms):
        if not t.discretizable:
            raise ValueError(f"bam does not fit {t.text} in this version ({SUPPORTED})")
        need: list[str] = []
        local: dict[str, str] = {}
        term_type(t.term_kind).plan(
            t, lambda col, term, need=need: need.append(col),
            lambda text, pos, term, local=local: alias_expr(text, pos, columns, local, term,
                                                            pf.formula), pf.formula)
        reads[i] = tuple(dict.fromkeys([*need, *local]))
        dim = t.joint_covariates()
        for c in reads[i]:
            caps[c] = max(caps.get(c, 0), default_m(dim, m))
    return reads, caps


def _state_frame(rows: pd.DataFrame, grid: dict[str, Grid]) -> pd.DataFrame:
    """The rows the term states are fitted on, covariates discretized, with a row added for
    each factor level and range end they miss (a copy of the first row with that value)."""
    state = rows.reset_index(drop=True).copy()
    extra = []
    for col, g in grid.items():
        codes = g.codes(state[col])
        state[col] = g.column(codes).array
        want = [0, g.size - 1] if g.numeric else list(range(g.size))
        missing = sorted(set(want) - set(np.unique(codes).tolist()))
        for k in missing:
            row = state.iloc[[0]].copy()
            row[col] = g.column(np.array([k])).array
            extra.append(row)
    return pd.concat([state, *extra], ignore_index=True) if extra else state


def _check_model(d) -> None:
    if d.dpars:
        raise ValueError(f"bam fits one formula for the mean ({SUPPORTED})")
    if d.aliased:
        raise ValueError(f"the design of {d.formula!r} has aliased columns {list(d.aliased)}; "
                         "bam needs every column identifiable")
    if not d.has_intercept:
        raise ValueError(f"bam needs an intercept in {d.formula!r} in this version")
    for b in d.blocks:
        if not (b.is_smooth or b.is_group_effect):
            raise ValueError(f"bam does not fit {b.term} ({SUPPORTED})")
    check_design(d)
    check_blocks(d)


def _check_response_varies(stats, intercept: int, response: str) -> None:
    """An estimated scale needs a response that varies: ``Σw(y - ȳ)² > 0``, from the
    statistics (the intercept's entries of ``X'Wy`` and ``X'WX`` are ``Σwy`` and ``Σw``)."""
    sw, swy = stats.G[intercept, intercept], stats.c[intercept]
    if sw > 0 and stats.yy - swy**2 / sw <= 1e-12 * max(stats.yy, 1e-300):
        raise ValueError(f"response {response!r} is constant: there is no variance to "
                         "decompose")


def _groups(d, layout: Layout, reads, grid: dict[str, Grid], source,
            additions: tuple[str | None, ...]) -> list[TermGroup]:
    """Each term's columns on the distinct values of its covariates (see :mod:`.crossprod`)."""
    fixed0 = layout.fixed_slices[0].start
    p0 = len(d.states["fixed"]["names"])
    owned = {st.text: list(sm.fixed_columns) for st in d.term_states for sm in d.smooths
             if sm.text == st.text}
    parts: list[tuple[str, tuple[str, ...], list[int], list[int]]] = [
        ("the parametric terms", reads[None], list(range(p0)), [])]
    for i, st in enumerate(d.term_states):
        parts.append((st.text, reads[i], owned.get(st.text, []), list(d.term_blocks[i])))
    cols = sorted(c for _, _, fc, _ in parts for c in fc)
    if cols != list(range(d.X.shape[1])):
        raise ValueError(f"bam cannot place every column of {d.formula!r} in a term "
                         f"({SUPPORTED})")
    multi = [cov for _, cov, _, _ in parts if len(cov) > 1]
    found = dict(zip(multi, source.combos(grid, multi), strict=True)) if multi else {}
    groups = []
    for label, cov, fc, bj in parts:
        shape = tuple(grid[c].size for c in cov)
        combos = found.get(cov) if len(cov) > 1 else None
        if len(cov) > 1:
            codes = np.unravel_index(combos, shape)
        elif cov:
            codes = (np.arange(shape[0]),)
        else:
            codes = ()
        u = len(codes[0]) if codes else 1
        frame = pd.DataFrame({c: g.column(np.zeros(u, dtype=np.int64)).array
                              for c, g in grid.items()})
        for c, k in zip(cov, codes, strict=True):
            frame[c] = grid[c].column(k).array
        for col in additions:
            if col is not None and col not in frame:
                frame[col] = 1.0
        e = evaluate_design(d.states, frame, family=d.family, terms=d.terms)
        mats = [np.asarray(e.X[:, fc], dtype=float)] + [
            engine_block(e.blocks[j], u, None).matrix for j in bj]
        positions = [fixed0 + c for c in fc] + [i for j in bj for i in
                                                 range(layout.block_slices[j].start,
                                                       layout.block_slices[j].stop)]
        if any(sps.issparse(M) for M in mats):
            matrix = sps.hstack([sps.csr_matrix(M) for M in mats], format="csr")
        else:
            matrix = np.hstack(mats)
        groups.append(TermGroup(label, cov, np.asarray(positions, dtype=np.int64), shape,
                                combos, matrix))
    return groups


def _start(layout: Layout, gram_diag: np.ndarray, blocks) -> tuple[np.ndarray, ...]:
    """Starting penalty parameters, their box and the free ones, from ``diag(X'WX)`` (as
    :func:`.engine.start_parameters` from the block matrices)."""
    psi0, lo, hi, free = [np.zeros(0)], [np.zeros(0)], [np.zeros(0)], []
    for j, b in enumerate(blocks):
        sl = layout.block_slices[j]
        start = b.penalty.start(gram_diag[sl]) if b.fixed is None else np.asarray(b.fixed, float)
        lower, upper = b.penalty.bounds(start)
        psi0.append(start)
        lo.append(lower)
        hi.append(upper)
        if b.fixed is None:
            ps = layout.param_slices[j]
            free.extend(range(ps.start, ps.stop))
    return (np.concatenate(psi0), np.concatenate(lo), np.concatenate(hi),
            np.array(free, dtype=int))


def _labels(layout: Layout, free: np.ndarray) -> list[tuple[int | None, str]]:
    out: list[tuple[int | None, str]] = []
    for i in free:
        j = next(j for j, ps in enumerate(layout.param_slices) if ps.start <= i < ps.stop)
        out.append((j, layout.blocks[j].penalty.param_labels[i - layout.param_slices[j].start]))
    return out


def _result(layout, engine, st, info, free, fam, y, w, eta, response,
            method) -> tuple[EngineResult, Any]:
    """The engine result on every row, as the exact Gaussian path's."""
    lik = fam.reml_likelihood(fam.prepare(y, response, weights=None if np.all(w == 1.0) else w))
    Ainv = st.inverse()
    edf = st.penalty.edf(Ainv)
    resid = y - eta[:, 0]
    offsets = sum(b.reml_offset for b in layout.blocks) if method == "REML" else 0.0
    labels = _labels(layout, free)
    r = EngineResult(
        layout=layout, method=method, family_label=lik.family_label, beta=st.beta, eta=eta,
        fitted=lik.fitted(eta), psi=st.psi, params=np.array([np.log(engine.reml_scale(st))]),
        param_names=("log_scale",), score=st.score + offsets, criterion=2.0 * st.score,
        scale=lik.scale_estimate(eta, float(np.sum(edf))), reml_scale=engine.reml_scale(st),
        cov=Ainv, edf=edf, hessian=engine.full_hessian(st, free),
        hessian_labels=[*labels, (None, "log_scale")], deviance=float((w * resid) @ resid),
        converged=info.converged, iterations=info.iterations, gradient=info.gradient)
    return r, lik


def _fit_pirls(d, layout: Layout, blocks, groups: list[TermGroup], grid: dict[str, Grid],
               source, spec: ResponseSpec, fixed, rows: int, control: Control) -> RemlFit:
    """The exponential-family fit by performance iteration (:mod:`.bam_pirls`)."""
    P = layout.P
    lik = chunk_likelihood(source.columns(
        [c for c in (spec.response, spec.weights, spec.trials) if c is not None]), spec)
    known = lik.scale_param is None
    check_not_saturated(d, int(np.sum(lik.weights > 0)), not known, "REML")

    def working(beta):
        return source.working(groups, grid, spec, beta, P)

    first, _ = working(None)
    psi0, lo, hi, free = _start(layout, np.diag(first.G), blocks)
    res = pirls(working, layout, psi0, free, lo, hi, "REML", known, control)
    st = res.state
    Ainv = st.inverse()
    eta = source.eta(groups, grid, st.beta)[:, None]
    offsets = sum(b.reml_offset for b in layout.blocks)
    labels = _labels(layout, free)
    if known:
        hessian = res.engine.profile_grad_hess(st, free)[1]
        params, names = np.zeros(0), ()
    else:
        hessian = res.engine.full_hessian(st, free)
        params, names = np.array([np.log(res.scale)]), ("log_scale",)
        labels.append((None, "log_scale"))
    r = EngineResult(
        layout=layout, method="REML", family_label=lik.family_label, beta=st.beta, eta=eta,
        fitted=lik.fitted(eta), psi=st.psi, params=params, param_names=names,
        score=res.score + offsets, criterion=2.0 * res.score, scale=res.scale,
        reml_scale=res.scale, cov=Ainv, edf=st.penalty.edf(Ainv), hessian=hessian,
        hessian_labels=labels, deviance=res.deviance, converged=res.converged,
        iterations=res.iterations, gradient=res.info.gradient)
    fit = make_fit(d, lik, r, fixed)
    fit.n_rows = int(rows)
    return fit


@dataclass
class _ArFit:
    score: float
    rho: float
    engine: GaussianEngine
    state: Any
    info: Any
    stats: Any


def _fit_ar(d, layout: Layout, blocks, groups: list[TermGroup], grid: dict[str, Grid], source,
            rho: float | str, starts: str | None, method: str, fixed) -> RemlFit:
    """The Gaussian fit with AR(1) residuals from the lag moments (:mod:`.bam_ar`), reported
    on the original rows as :func:`.ar1_fit.fit_ar1`."""
    moments = source.ar_moments(groups, grid, d.response, starts, layout.P)
    check_not_saturated(d, moments.rows, True, method)
    psi0, lo, hi, free = _start(layout, np.diag(moments.statistics(0.0).G), blocks)
    offsets = sum(b.reml_offset for b in layout.blocks) if method == "REML" else 0.0

    def fit_at(r: float) -> _ArFit:
        stats = moments.statistics(r)
        engine = GaussianEngine.from_statistics(layout, stats.G, stats.c, stats.yy, stats.n_obs,
                                                0.0, method)
        st, info = engine.fit(psi0, free, lo, hi)
        return _ArFit(st.score + offsets - moments.log_det(r), r, engine, st, info, stats)

    profile = None
    if rho == "estimate":
        rho, best, profile = profile_rho(fit_at)
    else:
        best = fit_at(float(rho))
    st, stats = best.state, best.stats
    y, w = source.response(d.response, None)
    eta = source.eta(groups, grid, st.beta)[:, None]
    result, lik = _result(layout, best.engine, st, best.info, free, d.family, y, w, eta,
                          d.response, method)
    log_det = moments.log_det(float(rho))
    rss = stats.yy - 2.0 * float(st.beta @ stats.c) + float(st.beta @ stats.G @ st.beta)
    result = replace(result, score=result.score - log_det,
                     criterion=result.criterion - 2.0 * log_det,
                     scale=rss / (moments.rows - float(np.sum(result.edf))))
    fit = make_fit(d, lik, result, fixed)
    flags = None if starts is None else source.columns([starts])[starts].to_numpy(dtype=bool)
    fit.rho, fit.ar_start, fit.rho_profile = float(rho), ar_starts(flags, None, len(y)), profile
    return fit
