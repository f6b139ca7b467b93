"""The likelihood statistics of a NumPyro model accumulated chunk by chunk (a pandas frame in
pieces, or the partitions of a Dask data frame), so that the model of 10⁷ rows samples from
statistics whose size does not grow with the rows.

Each chunk's covariates are discretized onto the grids of :mod:`bayeszoo.penalized.discrete`
and its statistics are merged exactly with the other chunks':

* Gaussian (identity link, no ``se``/``weights``): the sufficient statistics of
  :mod:`bayeszoo.families.gaussian_stats` add up once they refer to the same response shift
  (each chunk's is moved to the rows' mean, an exact change of variables). When every column
  of the model is a function of one term's covariates (:func:`coded_groups`) they come from
  the covariates' codes as :func:`bayeszoo.bam`'s cross-products do (each term evaluated once
  per distinct value, ``W'W`` from pair tables of the codes,
  :mod:`bayeszoo.penalized.crossprod`); otherwise the chunk's design is evaluated row by row
  (:func:`bayeszoo.formula.build.evaluate_design`) and summarized by the family.
* Poisson, binomial, bernoulli: the distinct design rows of every chunk, with their summed
  response statistics (:mod:`bayeszoo.families.patterns`), collapsed again over the chunks.
* Poisson on rows that do not collapse (:func:`laplace_statistics`): the second-order
  expansion of the log-likelihood in the linear predictor at its maximum, whose statistics
  are the Gaussian ones of the working response with weights ``mu`` (an approximation,
  :class:`LaplacePoisson`).

The Gaussian statistics are ``p × p`` plus per-level sums whatever the rows; the counting
families' are one row per distinct discretized design row, at most the product of the
covariates' grid sizes (and at most the rows).
"""

from __future__ import annotations

from functools import reduce
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sps
from scipy import special

from bayeszoo.design import DesignArrays
from bayeszoo.families.gaussian_stats import GaussianStats
from bayeszoo.families.patterns import PatternStats, distinct_rows, pattern_sums
from bayeszoo.formula.build import evaluate_design
from bayeszoo.models.likelihood import model_data
from bayeszoo.models.spec import ModelSpec
from bayeszoo.penalized.crossprod import (
    Statistics,
    TermGroup,
    code_predictor,
    code_statistics,
    group_codes,
)
from bayeszoo.penalized.partitions import add_pairs

__all__ = ["PATTERN_FAMILIES", "CodedColumns", "chunk_statistics", "coded_gaussian",
           "coded_groups", "coded_laplace", "gaussian_from_products",
           "intercept_column", "LaplacePoisson", "LaplaceStats", "laplace_statistics",
           "merge_gaussian", "merge_patterns", "statistics"]

PATTERN_FAMILIES = ("poisson", "binomial", "bernoulli")


def _discretized(frame: pd.DataFrame, grid: dict) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for col, g in grid.items():
        out[col] = g.column(g.codes(out[col])).array
    return out


def _response_sums(family: str, y: np.ndarray, extras: dict) -> tuple[tuple, float]:
    """Per row, the response statistics the family's log density is linear in, and the
    parameter-free part of the log-likelihood summed (as the families' ``summarize``)."""
    w = extras.get("weights", np.ones_like(y))
    if family == "poisson":
        return (w * y, w), -float(np.sum(w * special.gammaln(y + 1.0)))
    trials = extras["trials"] if family == "binomial" else np.ones_like(y)
    lchoose = (special.gammaln(trials + 1.0) - special.gammaln(y + 1.0)
               - special.gammaln(trials - y + 1.0))
    return (w * y, w * (trials - y)), float(np.sum(w * lchoose))


def chunk_statistics(frame: pd.DataFrame, grid: dict, states: dict, family: Any, terms: Any,
                     spec: ModelSpec) -> GaussianStats | PatternStats:
    """The statistics of one chunk of rows: covariates discretized onto ``grid``, the design
    evaluated with the fitted term ``states``."""
    e = evaluate_design(states, _discretized(frame, grid), family=family, terms=terms,
                        require_response=True)
    md = model_data(e, spec)
    arrays = md.predictors[0]
    if spec.family.name == "gaussian":
        stats = spec.family.summarize(md.y, arrays, md.additions,
                                      [int(np.prod(bs.z_shape)) for bs in spec.mu.blocks])
        if stats is None:
            raise ValueError("the discretized Gaussian model needs the identity link and no "
                             "se()/weights()")
        return stats
    patterns, inverse = distinct_rows(arrays)
    sums, constant = _response_sums(spec.family.name, md.y, md.additions)
    return PatternStats(patterns, pattern_sums(inverse, patterns.X.shape[0], *sums), constant,
                        len(md.y))


def _shifted(s: GaussianStats, shift: np.ndarray) -> GaussianStats:
    """``s`` with the response entering as ``y − D·shift`` instead of ``y − D·s.dense_shift``:
    ``yc' = yc + D·δ``, ``δ = s.dense_shift − shift``."""
    d = s.dense_shift - shift
    dense_y = s.dense_y + s.dense_gram @ d
    block_y = tuple(by + np.tensordot(d, db, axes=(0, 0))
                    for by, db in zip(s.block_y, s.dense_block, strict=True))
    yy = s.yy + 2.0 * d @ s.dense_y + d @ s.dense_gram @ d
    return s._replace(dense_shift=shift, dense_y=dense_y, block_y=block_y, yy=float(yy))


def _merge_pairs(a: tuple, b: tuple, size_m: int) -> tuple:
    la, ma, va = a
    lb, mb, vb = b
    code = np.concatenate([la * size_m + ma, lb * size_m + mb])
    levels, inverse = np.unique(code, return_inverse=True)
    v = np.concatenate([va, vb])
    sums = np.zeros((len(levels), *v.shape[1:]))
    np.add.at(sums, inverse.ravel(), v)
    return levels // size_m, levels % size_m, sums


def merge_gaussian(*parts: GaussianStats) -> GaussianStats:
    """The sufficient statistics of the rows of all ``parts`` together (each moved to the
    shift ``Σ n_k·shift_k / n``, the rows' mean at the intercept)."""
    n = sum(p.n for p in parts)
    shift = sum(p.n * p.dense_shift for p in parts) / max(n, 1)
    moved = [_shifted(p, shift) for p in parts]
    sizes = [len(sq) for sq in moved[0].block_sq]

    def add(a: GaussianStats, b: GaussianStats) -> GaussianStats:
        pairs = {k: _merge_pairs(a.pairs[k], b.pairs[k], sizes[k[1]]) for k in a.pairs}
        return GaussianStats(
            n=a.n + b.n, dense_shift=shift, yy=a.yy + b.yy, dense_gram=a.dense_gram + b.dense_gram,
            dense_y=a.dense_y + b.dense_y,
            block_sq=tuple(x + y for x, y in zip(a.block_sq, b.block_sq, strict=True)),
            block_y=tuple(x + y for x, y in zip(a.block_y, b.block_y, strict=True)),
            dense_block=tuple(x + y for x, y in zip(a.dense_block, b.dense_block, strict=True)),
            pairs=pairs)

    return reduce(add, moved)


def _concat_arrays(parts: list[DesignArrays]) -> DesignArrays:
    first = parts[0]
    blocks = []
    for j, b in enumerate(first.blocks):
        if b.matrix.shape[0]:
            blocks.append(b._replace(matrix=np.concatenate([p.blocks[j].matrix for p in parts])))
        else:
            blocks.append(b._replace(
                index=np.concatenate([p.blocks[j].index for p in parts]),
                weights=np.concatenate([p.blocks[j].weights for p in parts])))
    return first._replace(X=np.concatenate([p.X for p in parts]),
                          offset=np.concatenate([p.offset for p in parts]), blocks=tuple(blocks))


def merge_patterns(*parts: PatternStats) -> PatternStats:
    """The distinct rows of all ``parts`` together, their sums added."""
    arrays = _concat_arrays([p.arrays for p in parts])
    patterns, inverse = distinct_rows(arrays)
    columns = [np.concatenate([p.sums[k] for p in parts]) for k in range(len(parts[0].sums))]
    return PatternStats(patterns, pattern_sums(inverse, patterns.X.shape[0], *columns),
                        float(sum(p.constant for p in parts)), int(sum(p.n_rows for p in parts)))


def statistics(ds: Any, spec: ModelSpec) -> GaussianStats | PatternStats:
    """The statistics of every row of the discretized state ``ds``'s source
    (:func:`bayeszoo.penalized.bam.discretized_state`), one chunk or partition at a time, for
    the model ``spec`` of its state design: the Gaussian identity-link model without
    ``weights()`` from the covariates' codes (:func:`coded_groups`, each term evaluated once
    per distinct value), else row by row."""
    name = spec.family.name
    if name != "gaussian" and name not in PATTERN_FAMILIES:
        raise ValueError(f"NUTS on discretized statistics covers the gaussian family and "
                         f"{', '.join(PATTERN_FAMILIES)}, not {name}")
    design = ds.design
    if name == "gaussian" and spec.family.link_name == "identity" and ds.weights is None:
        coded = coded_groups(ds, spec)
        if coded is not None:
            return ds.source.reduce(coded_gaussian, merge_gaussian, coded.groups, ds.grid,
                                    ds.response, coded.p, coded.sizes, coded.ones)
    return ds.source.reduce(chunk_statistics,
                            merge_gaussian if name == "gaussian" else merge_patterns,
                            ds.grid, design.states, design.family, design.terms, spec)


def _frame_arrays(frame: pd.DataFrame, design: Any, spec: ModelSpec,
                  response: str) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """The dense columns ``D`` and the indicator blocks' ``(index, weights)`` of ``frame``."""
    frame = frame.assign(**{response: 0.0}) if response not in frame else frame
    e = evaluate_design(design.states, frame, family=design.family, terms=design.terms,
                        require_response=True)
    arrays = model_data(e, spec).predictors[0]
    dense = np.hstack([arrays.X] + [b.matrix for b in arrays.blocks if b.matrix.shape[0]])
    return dense, [(b.index, b.weights) for b in arrays.blocks if not b.matrix.shape[0]]


def _part_frame(grid: dict, cov: tuple[str, ...], codes: tuple[np.ndarray, ...]) -> pd.DataFrame:
    """Rows at code 0 of every covariate but ``cov``, which takes ``codes``."""
    u = len(codes[0]) if codes else 1
    frame = pd.DataFrame({c: g.column(np.zeros(u, dtype=np.int64)).array
                          for c, g in grid.items()})
    for c, k in zip(cov, codes, strict=True):
        frame[c] = grid[c].column(k).array
    return frame


def _indicator_matrix(index: np.ndarray, weights: np.ndarray, size: int) -> sps.csr_matrix:
    rows = np.arange(len(index))
    return sps.csr_matrix((weights, (rows, index)), shape=(len(index), size))


def _group_matrix(dense: np.ndarray, cols: list[int], ind: list, blocks: list[int],
                  sizes: list[int]):
    mats = [dense[:, cols]] + [_indicator_matrix(*ind[j], sizes[j]) for j in blocks]
    if blocks:
        return sps.hstack([sps.csr_matrix(m) for m in mats], format="csr")
    return mats[0]


class CodedColumns(NamedTuple):
    """The model's columns ``W = [D, Z_1, …]`` as term groups: ``p`` dense columns, the
    indicator blocks' ``sizes`` (levels) and the position of the column of ones (``None``:
    none)."""

    groups: list[TermGroup]
    p: int
    sizes: list[int]
    ones: int | None


def coded_groups(ds: Any, spec: ModelSpec) -> CodedColumns | None:
    """The columns ``W = [D, Z_1, …]`` of the NUMPyro model (dense columns, then each
    indicator block's levels) as :class:`~bayeszoo.penalized.crossprod.TermGroup` s of the
    discretized covariates, as :func:`bayeszoo.bam` groups its model matrix: each column is
    evaluated once per distinct value (or combination) of the covariates of the term it
    belongs to, found by varying one term's covariates at a time (a column varies when it
    moves by more than ``1e-10`` relative: the same values evaluated in batches of other sizes
    differ in the last bits). ``None`` when a column
    varies with the covariates of two terms, a block has several weights per row, or the
    decomposition does not reproduce the state rows' design exactly (the row-wise
    :func:`chunk_statistics` is used then)."""
    sizes = [int(np.prod(bs.z_shape)) for bs, b in zip(spec.mu.blocks, ds.design.blocks,
                                                     strict=True) if b.is_indicator]
    base, base_ind = _frame_arrays(_part_frame(ds.grid, (), ()), ds.design, spec, ds.response)
    if any(np.ndim(w) != 1 for _, w in base_ind):
        return None
    p = base.shape[1]
    scale = max(1.0, float(np.max(np.abs(base)))) if base.size else 1.0
    offsets = np.concatenate([[p], p + np.cumsum(sizes)]).astype(np.int64)
    parts = [("the parametric terms", ds.reads[None])] + [
        (st.text, ds.reads[i]) for i, st in enumerate(ds.design.term_states)]
    multi = [cov for _, cov in parts if len(cov) > 1]
    found = dict(zip(multi, ds.source.combos(ds.grid, multi), strict=True)) if multi else {}
    owner_col: dict[int, int] = {}
    owner_ind: dict[int, int] = {}
    evaluated = []
    for a, (_, cov) in enumerate(parts):
        shape = tuple(ds.grid[c].size for c in cov)
        combos = found.get(cov)
        codes = np.unravel_index(combos, shape) if combos is not None else (
            (np.arange(shape[0]),) if cov else ())
        dense, ind = _frame_arrays(_part_frame(ds.grid, cov, codes), ds.design, spec,
                                   ds.response)
        evaluated.append((cov, shape, combos, dense, ind))
        varies = ~np.isclose(dense, base[0], rtol=1e-10, atol=1e-10 * scale)
        for k in np.flatnonzero(np.any(varies, axis=0)).tolist():
            if owner_col.setdefault(k, a) != a:
                return None
        for j, (ix, w) in enumerate(ind):
            if np.any(ix != base_ind[j][0][0]) or np.any(w != base_ind[j][1][0]):
                if owner_ind.setdefault(j, a) != a:
                    return None
    groups = []
    for a, (label, _) in enumerate(parts):
        cov, shape, combos, dense, ind = evaluated[a]
        cols = sorted(k for k, o in owner_col.items() if o == a)
        blocks = sorted(j for j, o in owner_ind.items() if o == a)
        if not cols and not blocks:
            continue
        positions = np.concatenate([np.asarray(cols, dtype=np.int64)] + [
            np.arange(offsets[j], offsets[j + 1]) for j in blocks])
        groups.append(TermGroup(label, cov, positions, shape,
                                combos if len(cov) > 1 else None,
                                _group_matrix(dense, cols, ind, blocks, sizes)))
    cols = [k for k in range(p) if k not in owner_col]
    blocks = [j for j in range(len(sizes)) if j not in owner_ind]
    if cols or blocks:
        groups.append(TermGroup("the constant columns", (), np.concatenate(
            [np.asarray(cols, dtype=np.int64)] + [np.arange(offsets[j], offsets[j + 1])
                                                 for j in blocks]), (), None,
            _group_matrix(base, cols, base_ind, blocks, sizes)))
    if not _reproduces(groups, ds, spec, sizes):
        return None
    return CodedColumns(groups, p, sizes, intercept_column(groups))


def _gathered(groups: list[TermGroup], ks: list[np.ndarray], n: int, P: int) -> np.ndarray:
    W = np.zeros((n, P))
    for g, k in zip(groups, ks, strict=True):
        M = g.matrix[k]
        W[:, g.positions] = M.toarray() if sps.issparse(M) else M
    return W


def _reproduces(groups: list[TermGroup], ds: Any, spec: ModelSpec, sizes: list[int]) -> bool:
    """Whether the groups give the state rows' design, evaluated row by row."""
    dense, ind = _frame_arrays(ds.state, ds.design, spec, ds.response)
    W = np.hstack([dense] + [_indicator_matrix(ix, w, s).toarray()
                             for (ix, w), s in zip(ind, sizes, strict=True)])
    G = _gathered(groups, group_codes(groups, ds.grid, ds.state), len(ds.state), W.shape[1])
    return bool(np.allclose(G, W, rtol=1e-12, atol=1e-12 * max(1.0, np.max(np.abs(W)))))


def intercept_column(groups: list[TermGroup]) -> int | None:
    """The first column of ones (brms's centered intercept), constant across the rows."""
    for g in groups:
        if g.covariates:
            continue
        row = np.asarray(g.matrix[:1].toarray() if sps.issparse(g.matrix) else g.matrix[:1])[0]
        ones = sorted(int(pos) for pos, v in zip(g.positions, row, strict=True) if v == 1.0)
        if ones:
            return ones[0]
    return None


def gaussian_from_products(G: np.ndarray, c: np.ndarray, yy: float, n: int, p: int,
                           sizes: list[int], ones: int | None, shift: float) -> GaussianStats:
    """:class:`~bayeszoo.families.gaussian_stats.GaussianStats` from ``G = W'ΩW``,
    ``c = W'Ωy`` (``W = [D, Z_1, …]``, ``p`` dense columns, indicator blocks of ``sizes``
    levels, ``Ω`` row weights) and ``yy = Σ ω (y − shift)²``, the response moved by ``shift``
    at the column of ones ``ones`` (``W'Ω(y − shift·1) = c − shift·G[:, ones]``)."""
    if ones is not None:
        c = c - shift * G[:, ones]
    dense_shift = np.zeros(p)
    if ones is not None:
        dense_shift[ones] = shift
    edges = np.concatenate([[p], p + np.cumsum(sizes)]).astype(int)
    sl = [slice(edges[j], edges[j + 1]) for j in range(len(sizes))]
    pairs = {}
    for j in range(len(sizes)):
        for m in range(j + 1, len(sizes)):
            lj, lm = np.nonzero(G[sl[j], sl[m]])
            pairs[(j, m)] = (lj, lm, G[sl[j], sl[m]][lj, lm])
    return GaussianStats(
        n=int(n), dense_shift=dense_shift, yy=float(yy), dense_gram=G[:p, :p].copy(),
        dense_y=c[:p].copy(), block_sq=tuple(np.diag(G[s, s]).copy() for s in sl),
        block_y=tuple(c[s].copy() for s in sl), dense_block=tuple(G[:p, s].copy() for s in sl),
        pairs=pairs)


def coded_gaussian(frame: pd.DataFrame, groups: list[TermGroup], grid: dict, response: str,
                   p: int, sizes: list[int], ones: int | None) -> GaussianStats:
    """The Gaussian statistics of one chunk from the discretized covariates' codes
    (:func:`bayeszoo.penalized.crossprod.code_statistics`), the response moved to its mean."""
    y = frame[response].to_numpy(dtype=float)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"response {response!r} has missing or non-finite values")
    shift = float(np.mean(y)) if ones is not None and len(y) else 0.0
    s = code_statistics(groups, group_codes(groups, grid, frame), y, np.ones(len(y)),
                        p + sum(sizes))
    yc = y - shift
    return gaussian_from_products(s.G, s.c, float(yc @ yc), len(y), p, sizes, ones, shift)


class LaplaceStats(NamedTuple):
    """The second-order expansion of a Poisson log-likelihood at ``eta_hat``: the weighted
    Gaussian statistics of the working response ``z = eta_hat + (y − mu_hat)/mu_hat`` with
    weights ``mu_hat``, and ``constant`` making it equal the exact log-likelihood at
    ``eta_hat``."""

    gaussian: GaussianStats
    constant: float


class LaplacePoisson:
    """The Poisson family (log link) whose summed log-likelihood is replaced by its
    second-order expansion in the linear predictor at ``eta_hat`` (:class:`LaplaceStats`):

        Σ_i [y_i η_i − exp(η_i) − log y_i!]
          ≈ constant − ½ Σ_i mu_hat_i (z_i − η_i)²,

    exact in value, gradient and Hessian at ``eta_hat`` (the Hessian of the exact one is
    ``−W'diag(mu_hat)W``), off by ``Σ_i mu_hat_i (η_i − eta_hat_i)³/6`` and higher terms
    elsewhere. Everything else (priors, names, links, draws) is the wrapped family's."""

    def __init__(self, family: Any) -> None:
        if family.name != "poisson" or family.link_name != "log":
            raise ValueError(f"the Laplace expansion covers the poisson family with the log "
                             f"link, not {family.name} ({family.link_name})")
        self.family = family

    def __getattr__(self, name: str) -> Any:
        return getattr(self.family, name)

    def summary_log_likelihood(self, stats: LaplaceStats, beta, coefs, aux, indicator,
                               linear_predictor):
        """``constant − RSS_ω/2`` (:func:`bayeszoo.families.gaussian_stats.
        residual_sum_of_squares` of the weighted statistics; JAX)."""
        import jax.numpy as jnp

        from bayeszoo.families.gaussian_stats import residual_sum_of_squares

        dense = [beta] + [c for c, ind in zip(coefs, indicator, strict=True) if not ind]
        blocks = [c for c, ind in zip(coefs, indicator, strict=True) if ind]
        rss = residual_sum_of_squares(stats.gaussian, jnp.concatenate(dense), blocks)
        return stats.constant - 0.5 * rss


def coded_laplace(frame: pd.DataFrame, groups: list[TermGroup], grid: dict, response: str,
                  P: int, theta: np.ndarray) -> tuple[Statistics, float]:
    """One chunk's weighted products at ``eta_hat = W theta`` (the codes' columns): ``W'ΩW``,
    ``W'Ωz``, ``z'Ωz`` of the working response ``z`` with weights ``Ω = mu_hat``, and the
    constant ``Σ [y eta_hat − mu_hat − log y! + (y − mu_hat)²/(2 mu_hat)]``."""
    y = frame[response].to_numpy(dtype=float)
    if not np.all(np.isfinite(y)) or np.any(y < 0):
        raise ValueError(f"response {response!r} must be finite non-negative counts")
    ks = group_codes(groups, grid, frame)
    eta = code_predictor(groups, ks, theta)
    mu = np.exp(eta)
    z = eta + (y - mu) / mu
    constant = float(np.sum(y * eta - mu - special.gammaln(y + 1.0) + 0.5 * (y - mu)**2 / mu))
    return code_statistics(groups, ks, z, mu, P), constant


def _structured_solve(G: np.ndarray, c: np.ndarray, theta: np.ndarray, coded: CodedColumns
                      ) -> np.ndarray | None:
    """A solution of ``G x = c`` with the column of ones held at ``theta``'s value, through
    the Schur complement of the largest indicator block (whose ``G`` block is diagonal: each
    row in one level): ``O(q·m²)`` for ``q`` levels and ``m`` other columns, where a dense
    solve of the ``(q + m)²`` system costs ``O((q + m)³)``. ``None`` when there is no such
    block or the rest is singular."""
    if not coded.sizes or coded.ones is None:
        return None
    j = int(np.argmax(coded.sizes))
    lo = coded.p + sum(coded.sizes[:j])
    K = np.arange(lo, lo + coded.sizes[j])
    E = np.setdiff1d(np.arange(len(c)), np.concatenate([K, [coded.ones]]))
    d = np.diag(G)[K]
    if np.any(d <= 0):
        return None
    r = c - G[:, coded.ones] * theta[coded.ones]
    B = G[np.ix_(E, K)]
    try:
        S = scipy.linalg.cho_factor(G[np.ix_(E, E)] - (B / d) @ B.T)
    except np.linalg.LinAlgError:
        return None
    x = np.empty_like(c)
    x[coded.ones] = theta[coded.ones]
    x[E] = scipy.linalg.cho_solve(S, r[E] - B @ (r[K] / d))
    x[K] = (r[K] - B.T @ x[E]) / d
    return x


def _newton_step(stats: Statistics, theta: np.ndarray,
                 coded: CodedColumns) -> tuple[np.ndarray, float]:
    """Newton's next point from the weighted products at ``theta`` (:func:`_structured_solve`,
    else the least-norm solution), and the largest move (relative to the coefficient's size,
    at least 1)."""
    new = _structured_solve(stats.G, stats.c, theta, coded)
    if new is None:
        new = np.linalg.lstsq(stats.G, stats.c, rcond=1e-13)[0]
    return new, float(np.max(np.abs(new - theta) / np.maximum(1.0, np.abs(new))))


def _newton_start(coded: CodedColumns, ds: Any, P: int, tol: float, max_iter: int,
                  warm: bool) -> np.ndarray:
    """The intercept at ``log(mean(y))`` of the state rows, the rest 0; with ``warm`` and
    state rows that are a subset of the rows, the maximum on the state rows (in memory), from
    which the passes over every row need fewer iterations."""
    theta = np.zeros(P)
    if coded.ones is not None:
        y = ds.state[ds.response].to_numpy(dtype=float)
        theta[coded.ones] = np.log(max(float(np.mean(y)), 1e-10))
    if not warm or len(ds.state) >= ds.rows:
        return theta
    start = theta
    for _ in range(max_iter):
        new, moved = _newton_step(coded_laplace(ds.state, coded.groups, ds.grid, ds.response,
                                                P, start)[0], start, coded)
        if not np.all(np.isfinite(new)):
            return theta
        if moved <= tol:
            return new
        start = new
    return theta


def laplace_statistics(ds: Any, spec: ModelSpec, tol: float = 1e-8, max_iter: int = 25,
                       warm: bool = True) -> tuple[LaplaceStats, int]:
    """:class:`LaplaceStats` of every row of ``ds``'s source, expanded at the maximum of the
    Poisson likelihood (the posterior mode up to ``O(1/n)``): Newton's iterations, each one
    pass, until no coefficient moves by more than ``tol`` (relative to its size, at least
    1); the statistics at the last point and the passes made. With ``warm`` the iterations
    start at the maximum on the state rows when they are a subset (:func:`_newton_start`),
    else at the intercept alone. Directions the likelihood does not see (a random
    intercept's levels against the intercept) are fixed by holding the intercept where it
    starts (:func:`_structured_solve`), or else at the least-norm solution: the expansion
    depends on ``eta_hat`` only."""
    coded = coded_groups(ds, spec)
    if coded is None:
        raise ValueError("the Laplace expansion needs every column to be a function of one "
                         "term's covariates (no correlated blocks)")
    if ds.weights is not None or ds.trials is not None:
        raise ValueError("the Laplace expansion takes no weights() or trials()")
    P = coded.p + sum(coded.sizes)
    theta = _newton_start(coded, ds, P, tol, max_iter, warm)
    passes = 0
    for passes in range(1, max_iter + 1):  # noqa: B007 - the passes made are returned
        stats, constant = ds.source.reduce(coded_laplace, add_pairs, coded.groups, ds.grid,
                                           ds.response, P, theta)
        new, moved = _newton_step(stats, theta, coded)
        if moved <= tol:
            break
        theta = new
    else:
        raise ValueError(f"Newton's iterations for the Laplace expansion did not converge in "
                         f"{max_iter} passes (last move {moved:.3g})")
    ones = coded.ones
    shift = float(stats.c[ones] / stats.G[ones, ones]) if ones is not None else 0.0
    yy = stats.yy - 2.0 * shift * (stats.c[ones] if ones is not None else 0.0) + (
        shift**2 * stats.G[ones, ones] if ones is not None else 0.0)
    return LaplaceStats(gaussian_from_products(stats.G, stats.c, yy, stats.rows, coded.p,
                                               coded.sizes, ones, shift), constant), passes
