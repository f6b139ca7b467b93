"""lme4-shaped results of a fitted engine: ``VarCorr``, ``ranef``, ``fixef`` with standard errors,
``theta`` and the criterion (Bates, Mächler, Bolker & Walker 2015, JSS 67(1)).

For a Gaussian model the engine's REML (ML) score is half lme4's REML criterion (deviance):
both are the profiled restricted (full) likelihood of the same mixed model, and the penalty
``S = phi·Σ⁻¹`` of a block is lme4's ``(Λ Λ')⁻¹``. Variances use the scale at the optimum
(``reml_scale``: ``Dp/(n - p)`` for REML, ``Dp/n`` for ML), as lme4's ``sigma``.

Blocks are read through their ``group``, ``coefs`` and ``levels`` (see
:class:`~.problem.PenalizedBlock`); a block without them is named by its label. Each block's
penalty gives its covariance, ``theta`` and default coefficient names, or ``None`` when it has
no lme4 variance components (:class:`~.penalties.Penalty`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .engine import EngineResult

__all__ = ["fixef", "lme4_theta", "ranef", "varcorr"]


def _group_names(result: EngineResult) -> list[str]:
    """Each block's grouping name, repeated groups suffixed ``.1``, ``.2`` as lme4 does."""
    seen: dict[str, int] = {}
    out = []
    for b in result.layout.blocks:
        g = b.group or b.label
        k = seen.get(g, 0)
        out.append(g if k == 0 else f"{g}.{k}")
        seen[g] = k + 1
    return out


def _block_covariance(result: EngineResult, j: int) -> tuple[np.ndarray, list[str]]:
    b = result.layout.blocks[j]
    Sigma = b.penalty.lme4_covariance(result.block_params(j), result.reml_scale)
    if Sigma is None:
        raise ValueError(f"block {b.label!r} has no lme4 variance components (a smooth or "
                         "multi-penalty block); use vcomp()")
    return Sigma, list(b.coefs or b.penalty.coef_labels)


def varcorr(result: EngineResult, blocks: list[int] | None = None) -> pd.DataFrame:
    """``as.data.frame(VarCorr(fit))``: columns ``grp, var1, var2, vcov, sdcor``; per block its
    variances, then its covariances (``sdcor`` the correlations), then ``Residual``.
    ``blocks``: the engine blocks to list (default every one; a smooth block raises)."""
    rows = []
    for j, grp in enumerate(_group_names(result)):
        if blocks is not None and j not in blocks:
            continue
        Sigma, names = _block_covariance(result, j)
        sds = np.sqrt(np.diag(Sigma))
        for i, v in enumerate(names):
            rows.append((grp, v, None, Sigma[i, i], sds[i]))
        for a in range(len(names)):
            for c in range(a + 1, len(names)):
                rows.append((grp, names[a], names[c], Sigma[a, c],
                             Sigma[a, c] / (sds[a] * sds[c])))
    if "log_scale" in result.param_names:
        rows.append(("Residual", None, None, result.reml_scale, math.sqrt(result.reml_scale)))
    return pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])


def ranef(result: EngineResult) -> dict[str, pd.DataFrame]:
    """``ranef(fit)``: per grouping factor a DataFrame of conditional modes, one row per level
    and one column per varying coefficient (blocks of the same factor side by side)."""
    out: dict[str, pd.DataFrame] = {}
    for j, b in enumerate(result.layout.blocks):
        if b.penalty.coef_labels is None:
            continue
        coefs = list(b.coefs or b.penalty.coef_labels)
        values = result.beta[result.layout.block_slices[j]].reshape(-1, len(coefs))
        levels = b.levels or [str(i + 1) for i in range(values.shape[0])]
        frame = pd.DataFrame(values, index=pd.Index(levels, name=b.group), columns=coefs)
        g = b.group or b.label
        out[g] = frame if g not in out else out[g].join(frame, how="outer")
    return out


def fixef(result: EngineResult, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fixed effects of predictor ``k`` and lme4's standard errors
    (``sqrt(diag(sigma² (R_X'R_X)⁻¹))``, the fixed block of ``reml_scale·A⁻¹``)."""
    sl = result.layout.fixed_slices[k]
    return result.beta[sl], np.sqrt(result.reml_scale * result.cov[sl, sl].diagonal())


def lme4_theta(result: EngineResult) -> np.ndarray:
    """lme4's ``theta``: per block the relative Cholesky factor ``Λ`` (column-major lower
    triangle); ``1/sqrt(sp)`` for a scalar block."""
    parts = []
    for j, b in enumerate(result.layout.blocks):
        theta = b.penalty.lme4_theta(result.block_params(j))
        if theta is None:
            raise ValueError(f"block {b.label!r} has no lme4 theta")
        parts.append(theta)
    return np.concatenate(parts) if parts else np.zeros(0)
