"""brms's ``fixef``, ``ranef``, ``coef`` and ``VarCorr`` of a sampled fit, from its brms-named
draws.

Each summarizes draws as brms's ``posterior_summary``: ``Estimate`` (mean), ``Est.Error`` (sd),
``Q2.5`` and ``Q97.5`` (R's type-7 quantiles). brms's matrices are DataFrames (rows the
coefficients); its 3-D arrays (``ranef(fit)$Subject`` is levels × statistic × coefficient) are
DataFrames with the first dimension as rows and columns ``(coefficient, statistic)``, so that
``ranef["Subject"]["Days"]`` is brms's ``ranef(fit)$Subject[, , "Days"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Design

from .brms_summary import FIXEF_PATTERN, threshold_elements, variable_order

STATS = ["Estimate", "Est.Error", "Q2.5", "Q97.5"]


def posterior_summary(draws: np.ndarray) -> np.ndarray:
    """brms's ``posterior_summary`` of ``draws`` (``S × ...``): ``... × 4`` (mean, sd,
    2.5 % and 97.5 % quantiles)."""
    x = np.asarray(draws, dtype=float)
    q = np.quantile(x, [0.025, 0.975], axis=0)
    sd = np.std(x, axis=0, ddof=1) if x.shape[0] > 1 else np.full(x.shape[1:], np.nan)
    return np.stack([x.mean(axis=0), sd, q[0], q[1]], axis=-1)


def flat(posterior: Mapping[str, Any], name: str) -> np.ndarray:
    """A variable's draws with chains and draws merged: ``(chain·draw, ...)``."""
    x = np.asarray(posterior[name], dtype=float)
    return x.reshape(-1, *x.shape[2:])


def summary_frame(draws: np.ndarray, index: list[str]) -> pd.DataFrame:
    """A matrix of draws (``S × k``) summarized, one row per column."""
    return pd.DataFrame(posterior_summary(draws), index=pd.Index(index), columns=STATS)


def array_frame(draws: np.ndarray, rows: list[str], coefs: list[str],
                row_name: str | None = None) -> pd.DataFrame:
    """A 3-D array of draws (``S × rows × coefs``) summarized as brms's 3-D arrays: rows
    ``rows``, columns ``(coefficient, statistic)``."""
    s = posterior_summary(draws)  # rows × coefs × 4
    cols = pd.MultiIndex.from_product([coefs, STATS], names=["coefficient", "statistic"])
    return pd.DataFrame(s.reshape(len(rows), -1), index=pd.Index(rows, name=row_name),
                        columns=cols)


def fixef_draws(posterior: Mapping[str, Any], dpars: tuple[str, ...]) -> pd.DataFrame:
    """Draws of the population-level coefficients (``b_``, ``bs_``, ...), named without the
    prefix as brms's ``fixef(summary = FALSE)``: one column each, in brms's order."""
    posterior = threshold_elements(posterior)  # an ordinal family's Intercept[k]
    names = variable_order([str(n) for n in posterior if FIXEF_PATTERN.match(str(n))
                            and np.ndim(posterior[n]) == 2], dpars)
    return pd.DataFrame({FIXEF_PATTERN.sub("", n): flat(posterior, n) for n in names})


@dataclass(frozen=True)
class GroupTerms:
    """One grouping factor's varying coefficients: its level labels, the coefficients (brms's
    names: ``Intercept``, ``Days``, ``sigma_Intercept``) and where each one's draws are
    (posterior variable, column of its last dimension or ``None``)."""

    levels: list[str]
    coefs: list[str]
    sources: list[tuple[str, int | None]]


def group_terms(design: Design) -> dict[str, GroupTerms]:
    """The design's grouping factors in brms's order (terms as written, ``mu``'s first)."""
    out: dict[str, GroupTerms] = {}
    for d in design.predictors:
        for blk in d.blocks:
            if not blk.is_group_effect:
                continue
            prefix = f"sd_{blk.name}__"
            coefs = [s.name[len(prefix):] for s in blk.names.scales if s.support == "positive"]
            columns = [None] if len(blk.names.dims) == 1 else list(range(len(coefs)))
            g = out.setdefault(blk.name, GroupTerms([str(v) for v in blk.names.coords[0]],
                                                    [], []))
            g.coefs.extend(coefs)
            g.sources.extend((blk.names.coef, j) for j in columns)
    return out


def ranef_draws(posterior: Mapping[str, Any], terms: GroupTerms) -> np.ndarray:
    """One grouping factor's varying coefficients: ``S × levels × coefficients``."""
    cols = []
    for name, j in terms.sources:
        x = flat(posterior, name)
        cols.append(x if j is None else x[..., j])
    return np.stack(cols, axis=-1)


def fixef(posterior: Mapping[str, Any], dpars: tuple[str, ...]) -> pd.DataFrame:
    """brms's ``fixef``: one row per population-level coefficient (``Intercept``, ``Days``,
    ``sigma_Intercept``, ``stimes_1``), columns ``Estimate, Est.Error, Q2.5, Q97.5``."""
    draws = fixef_draws(posterior, dpars)
    return summary_frame(draws.to_numpy(), list(draws.columns))


def ranef(posterior: Mapping[str, Any], design: Design) -> dict[str, pd.DataFrame]:
    """brms's ``ranef``: per grouping factor, rows its levels, columns
    ``(coefficient, statistic)``. ``ValueError`` when the model has no group-level terms."""
    return ranef_of(posterior, group_terms(design))


def ranef_of(posterior: Mapping[str, Any], groups: dict[str, GroupTerms]
             ) -> dict[str, pd.DataFrame]:
    """:func:`ranef` of the grouping factors ``groups``."""
    if not groups:
        raise ValueError("the model has no group-level effects ((... | g) terms); use fixef()")
    return {g: array_frame(ranef_draws(posterior, t), t.levels, t.coefs, g)
            for g, t in groups.items()}


def coef(posterior: Mapping[str, Any], design: Design,
         dpars: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """brms's ``coef``: per grouping factor, the population-level plus the group-level draws
    of each coefficient per level (the varying coefficients first, then the population-level
    ones that do not vary by this factor), shaped as :func:`ranef`."""
    return coef_of(posterior, group_terms(design), fixef_draws(posterior, dpars))


def coef_of(posterior: Mapping[str, Any], groups: dict[str, GroupTerms],
            fe: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """:func:`coef` of the grouping factors ``groups`` and population-level draws ``fe``
    (:func:`fixef_draws`, columns named as the groups' coefficients)."""
    if not groups:
        raise ValueError("the model has no group-level effects ((... | g) terms); use fixef() "
                         "for the population-level ones")
    out = {}
    for g, t in groups.items():
        r = ranef_draws(posterior, t)
        names = t.coefs + [c for c in fe.columns if c not in t.coefs]
        total = np.zeros((r.shape[0], r.shape[1], len(names)))
        total[..., :len(t.coefs)] = r
        for k, c in enumerate(names):
            if c in fe.columns:
                total[..., k] += fe[c].to_numpy()[:, None]
        out[g] = array_frame(total, t.levels, names, g)
    return out


def varcorr(posterior: Mapping[str, Any], design: Design) -> dict[str, dict[str, pd.DataFrame]]:
    """brms's ``VarCorr``: per grouping factor ``{"sd": coefficients × statistics}`` and, when
    the factor has correlations, ``"cor"`` and ``"cov"`` (coefficients × (coefficient,
    statistic); correlations the model leaves out are 0); ``"residual__"`` holds the residual
    sd (``sigma``, row the response) when the family has one without a formula of its own.
    ``ValueError`` when there is neither."""
    out = group_varcorr(posterior, group_terms(design))
    if "sigma" in posterior and "sigma" not in design.dpars:
        out["residual__"] = {"sd": summary_frame(flat(posterior, "sigma")[:, None],
                                                 [design.response])}
    if not out:
        raise ValueError("the model has neither group-level effects nor a residual sd "
                         "(sigma): there is no variance to show")
    return out


def group_varcorr(posterior: Mapping[str, Any], groups: dict[str, GroupTerms]
                  ) -> dict[str, dict[str, pd.DataFrame]]:
    """:func:`varcorr`'s entries of the grouping factors ``groups``: the sds
    ``sd_<g>__<coef>`` and correlations ``cor_<g>__<coef>__<coef>``."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for g, t in groups.items():
        sd = np.stack([flat(posterior, f"sd_{g}__{c}") for c in t.coefs], axis=-1)
        out[g] = sd_cor_entry(posterior, sd, t.coefs, f"cor_{g}")
    return out


def sd_cor_entry(posterior: Mapping[str, Any], sd: np.ndarray, names: list[str],
                 prefix: str) -> dict[str, pd.DataFrame]:
    """``{"sd": ...}`` of the draws ``sd`` (``S × k``) of ``names`` and, when the posterior
    holds any ``<prefix>__<a>__<b>``, ``"cor"`` and ``"cov"`` (pairs it lacks are 0)."""
    entry = {"sd": summary_frame(sd, names)}
    k = len(names)
    pairs = {(i, j): f"{prefix}__{names[i]}__{names[j]}" for j in range(k) for i in range(j)}
    if any(name in posterior for name in pairs.values()):
        cor = np.broadcast_to(np.eye(k), (sd.shape[0], k, k)).copy()
        for (i, j), name in pairs.items():
            if name in posterior:
                cor[:, i, j] = cor[:, j, i] = flat(posterior, name)
        cov = cor * sd[:, :, None] * sd[:, None, :]
        entry["cor"] = array_frame(cor, names, names)
        entry["cov"] = array_frame(cov, names, names)
    return entry
