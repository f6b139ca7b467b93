"""lme4's tables of a design's group-level terms, filled from given estimates.

The REML engine estimates standard deviations, correlations, the residual sd and the
conditional modes; these functions lay them out as lme4 shows them:

* :func:`varcorr_frame` is ``as.data.frame(VarCorr(m))`` (lme4's ``R/VarCorr.R``): columns
  ``grp``, ``var1``, ``var2``, ``vcov``, ``sdcor``; per random-effect term its sd rows
  (``var2`` missing) then its correlations (pairs in ``lower.tri`` order: ``(1, 2), (1, 3),
  (2, 3), ...``), then a ``Residual`` row. Coefficients are named as lme4 names them
  (``(Intercept)``, ``Days``, ``fb``), grouping factors too (``Subject``; nesting ``a/b`` gives
  ``b:a``), and duplicated term names are made unique as lme4's ``mkVarCorr`` does
  (``make.names(unique = TRUE)``: ``Subject``, ``Subject.1`` for ``(Days || Subject)``).
* :func:`ranef_frames` is ``ranef(m)``: one DataFrame per grouping factor (every term of a
  factor joined, as ``(1 | g) + (0 + x | g)``), rows the factor's levels (``b:a`` labels
  ``b1:a1`` in R's order of ``b:a``), columns the coefficients.

Terms appear in lme4's order: as written, ``||`` expanded to one term per coefficient,
``a/b`` to ``b:a`` then ``a``, and (``mkReTrms``, ``reorder.terms = TRUE``) reordered by
decreasing number of levels when some later term has more levels than an earlier one
(``rev(order(nl))``). Only the blocks of random-effect terms ``(lhs | g)`` are shown; smooths,
``s(g, bs = "re")`` included, have no lme4 counterpart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeszoo.design import Design
from bayeszoo.formula.columns import factor_levels
from bayeszoo.formula.grouping import Grouping

VARCORR_COLUMNS = ["grp", "var1", "var2", "vcov", "sdcor"]


@dataclass(frozen=True)
class Lme4Term:
    """One lme4 random-effect term of a design: the index of its block in ``Design.blocks``,
    the grouping factor's name as lme4 writes it (``flist`` name), its number of levels and
    the coefficient names (``cnms``)."""

    block: int
    group: str
    n_levels: int
    names: tuple[str, ...]


def _group_name(grouping: Grouping, nested: bool) -> str:
    variables = grouping.variables
    return ":".join(reversed(variables) if nested else variables)


def lme4_terms(design: Design) -> list[Lme4Term]:
    """The design's random-effect terms in lme4's order (see the module doc)."""
    reverse = design.column_aliases
    index = {(blk.name, coef): j for j, blk in enumerate(design.blocks) for coef in blk.coefs}
    terms = []
    for st in design.group_terms:
        names = st.lme4_coef_names(reverse)
        groups = list(reversed(st.groups)) if st.nested else list(st.groups)
        units = [st.coefs] if st.correlated else [(c,) for c in st.coefs]
        for coefs in units:
            for grp in groups:
                terms.append(Lme4Term(block=index[(grp.name, coefs[0])],
                                      group=_group_name(grp, st.nested),
                                      n_levels=len(grp.labels),
                                      names=tuple(names[c] for c in coefs)))
    nl = np.array([t.n_levels for t in terms])
    if np.any(np.diff(nl) > 0):
        terms = [terms[i] for i in np.argsort(nl, kind="stable")[::-1]]
    return terms


def r_make_names(names: Sequence[str]) -> list[str]:
    """R's ``make.names(names, unique = TRUE)``: characters other than letters, digits, ``.``
    and ``_`` become ``.``, an ``X`` goes before a name that does not start with a letter or a
    dot not followed by a digit, and repeats get ``.1``, ``.2``, ... (``make.unique``)."""
    valid = []
    for name in names:
        name = re.sub(r"[^A-Za-z0-9._]", ".", name)
        if not re.match(r"^([A-Za-z]|\.(?![0-9]))", name):
            name = "X" + name
        valid.append(name)
    seen: set[str] = set(valid)
    counts: dict[str, int] = {}
    out, used = [], set()
    for name in valid:
        if name not in used:
            out.append(name)
            used.add(name)
            continue
        k = counts.get(name, 0)
        while True:
            k += 1
            candidate = f"{name}.{k}"
            if candidate not in seen and candidate not in used:
                break
        counts[name] = k
        out.append(candidate)
        used.add(candidate)
    return out


def varcorr_frame(design: Design, sds: Sequence, correlations: Sequence,
                  sigma: float | None) -> pd.DataFrame:
    """lme4's ``as.data.frame(VarCorr(m))`` of ``design`` with the given estimates.

    ``sds[j]``: for block ``j`` of ``design.blocks``, its standard deviation (a number) or, for
    a correlated block, one per coefficient; ``correlations[j]``: a correlated block's ``k × k``
    correlation matrix (``None`` for the others). Entries of blocks that are not random-effect
    terms are ignored. ``sigma``: the residual sd (``None`` for a family without one: no
    ``Residual`` row, as lme4 for ``useSc = FALSE``). ``ValueError`` when the lengths do not
    match the blocks or a correlated block lacks its matrix.
    """
    if len(sds) != len(design.blocks) or len(correlations) != len(design.blocks):
        raise ValueError(f"give one sd entry and one correlation entry per block of the design "
                         f"({len(design.blocks)}), got {len(sds)} and {len(correlations)}")
    terms = lme4_terms(design)
    groups = r_make_names([t.group for t in terms]) \
        if len({t.group for t in terms}) < len(terms) else [t.group for t in terms]
    rows = []
    for term, grp in zip(terms, groups, strict=True):
        sd = np.atleast_1d(np.asarray(sds[term.block], dtype=float))
        k = len(term.names)
        if sd.shape != (k,):
            raise ValueError(f"block {term.block} ({design.blocks[term.block].term}) has {k} "
                             f"coefficient(s); got sds of shape {sd.shape}")
        for name, s in zip(term.names, sd, strict=True):
            rows.append((grp, name, None, s * s, s))
        if k > 1:
            cor = correlations[term.block]
            if cor is None or np.shape(cor) != (k, k):
                raise ValueError(f"block {term.block} ({design.blocks[term.block].term}) is "
                                 f"correlated: give its {k} x {k} correlation matrix")
            cor = np.asarray(cor, dtype=float)
            for a in range(k):
                for b in range(a + 1, k):
                    rows.append((grp, term.names[a], term.names[b], cor[b, a] * sd[a] * sd[b],
                                 cor[b, a]))
    if sigma is not None:
        rows.append(("Residual", None, None, float(sigma) ** 2, float(sigma)))
    return pd.DataFrame(rows, columns=VARCORR_COLUMNS)


def _level_labels(design: Design, grouping: Grouping,
                  nested: bool) -> tuple[list[str], np.ndarray]:
    """A grouping's level labels as lme4 writes them and the permutation from the design's
    level order to lme4's."""
    variables = grouping.variables
    if len(variables) == 1:
        return [str(v) for v in grouping.levels], np.arange(len(grouping.levels))
    order = list(reversed(range(len(variables)))) if nested else list(range(len(variables)))
    if design.data is None:
        raise ValueError("the design holds no data: the level order of an interaction of "
                         "grouping factors needs it")
    rank = [{v: i for i, v in enumerate(factor_levels(design.data[c]))} for c in variables]
    keys = [tuple(rank[m][lev[m]] for m in order) for lev in grouping.levels]
    perm = np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=int)
    labels = [":".join(str(grouping.levels[p][m]) for m in order) for p in perm]
    return labels, perm


def ranef_frames(design: Design, coefficients: np.ndarray) -> dict[str, pd.DataFrame]:
    """lme4's ``ranef(m)`` of ``design`` with conditional modes ``coefficients``: every block's
    coefficients in ``design.blocks`` order, concatenated (a correlated block's level-major:
    level 1's ``k`` coefficients, then level 2's). Returns ``{grouping factor: DataFrame}``
    in lme4's order (rows: levels, columns: coefficients as lme4 names them)."""
    coefficients = np.asarray(coefficients, dtype=float).ravel()
    sizes = [b.size for b in design.blocks]
    if coefficients.size != sum(sizes):
        raise ValueError(f"the design's blocks have {sum(sizes)} coefficients, got "
                         f"{coefficients.size}")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    groupings = {grp.name: (grp, st.nested) for st in design.group_terms for grp in st.groups}
    frames: dict[str, pd.DataFrame] = {}
    for term in lme4_terms(design):
        blk = design.blocks[term.block]
        grouping, nested = groupings[blk.name]
        labels, perm = _level_labels(design, grouping, nested)
        values = coefficients[starts[term.block]:starts[term.block + 1]]
        values = values.reshape(len(blk.labels), len(term.names))[perm]
        part = pd.DataFrame(values, index=pd.Index(labels), columns=list(term.names))
        frames[term.group] = pd.concat([frames[term.group], part], axis=1) \
            if term.group in frames else part
    return frames
