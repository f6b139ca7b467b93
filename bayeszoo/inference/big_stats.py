"""The likelihood statistics of a NumPyro model accumulated chunk by chunk (a pandas frame in
pieces, or the partitions of a Dask data frame), so that the model of 10⁷ rows samples from
statistics whose size does not grow with the rows.

Each chunk's covariates are discretized onto the grids of :mod:`bayeszoo.penalized.discrete`
and evaluated with fixed term states (:func:`bayeszoo.formula.build.evaluate_design`); the
chunk's statistics are those the family's ``summarize`` computes for an in-memory design, and
the chunks' statistics are merged exactly:

* Gaussian (identity link, no ``se``/``weights``): the sufficient statistics of
  :mod:`bayeszoo.families.gaussian_stats` add up once they refer to the same response shift
  (each chunk's is moved to the rows' mean, an exact change of variables);
* Poisson, binomial, bernoulli: the distinct design rows of every chunk, with their summed
  response statistics (:mod:`bayeszoo.families.patterns`), collapsed again over the chunks.

The Gaussian statistics are ``p × p`` plus per-level sums whatever the rows; the counting
families' are one row per distinct discretized design row, at most the product of the
covariates' grid sizes (and at most the rows).
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from bayeszoo.design import DesignArrays
from bayeszoo.families.gaussian_stats import GaussianStats
from bayeszoo.families.patterns import PatternStats, distinct_rows, pattern_sums
from bayeszoo.formula.build import evaluate_design
from bayeszoo.models.likelihood import model_data
from bayeszoo.models.spec import ModelSpec

__all__ = ["PATTERN_FAMILIES", "chunk_statistics", "merge_gaussian", "merge_patterns",
           "statistics"]

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


def merge_gaussian(parts: list[GaussianStats]) -> GaussianStats:
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


def merge_patterns(parts: list[PatternStats]) -> PatternStats:
    """The distinct rows of all ``parts`` together, their sums added."""
    arrays = _concat_arrays([p.arrays for p in parts])
    patterns, inverse = distinct_rows(arrays)
    columns = [np.concatenate([p.sums[k] for p in parts]) for k in range(len(parts[0].sums))]
    return PatternStats(patterns, pattern_sums(inverse, patterns.X.shape[0], *columns),
                        float(sum(p.constant for p in parts)), int(sum(p.n_rows for p in parts)))


def statistics(source: Any, grid: dict, design: Any,
               spec: ModelSpec) -> GaussianStats | PatternStats:
    """The statistics of every row of ``source`` (:mod:`bayeszoo.penalized.partitions`), one
    chunk or partition at a time, for the model ``spec`` of the state ``design``."""
    name = spec.family.name
    if name != "gaussian" and name not in PATTERN_FAMILIES:
        raise ValueError(f"NUTS on discretized statistics covers the gaussian family and "
                         f"{', '.join(PATTERN_FAMILIES)}, not {name}")
    parts = source.map(chunk_statistics, grid, design.states, design.family, design.terms, spec)
    return merge_gaussian(parts) if name == "gaussian" else merge_patterns(parts)
