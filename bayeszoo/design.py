"""The model design every inference path consumes: ``y``, fixed columns ``X`` and blocks.

Every model of the zoo is ``mu = X·beta + Σ_j Z_j·b_j`` with ``b_j ~ Normal(0, sd_j² I)``.
A random intercept ``(1 | county)`` is a block whose ``Z`` holds county indicators; a penalized
smooth, after mgcv's ``smooth2random``, contributes unpenalized columns to ``X`` and one block
``Zr`` with identity penalty. REML estimates ``sd_j`` (mgcv's ``sp_j = scale / sd_j²``);
the Bayesian backends put brms priors on ``sd_j`` and sample ``b_j = sd_j · z_j``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Block:
    """One block of coefficients tied by a learned standard deviation.

    * ``name``: brms's label. Random effects: the grouping factor (``"county"``,
      ``"state:county"``); smooths: ``"s" + variable + "_1"`` (``"stimes_1"``).
    * ``kind``: ``"re"`` (random effect of a grouping factor) or ``"smooth"``.
    * ``coef``: for ``"re"`` the varying coefficient (``"Intercept"`` or a column name);
      ``None`` for smooths.
    * ``term``: the term as mgcv labels it in ``summary.gam`` (``"s(times)"``, ``"s(county)"``)
      or as written for lme4-style terms (``"(1 | county)"``); REML's edf and sp are keyed by it.
    * ``Z``: dense ``n × q`` model matrix of the block.
    * ``labels``: ``q`` column labels (factor levels for ``"re"``, ``"1".."q"`` for smooths).
    * ``index``/``weights``: for ``"re"`` blocks ``Z[i, index[i]] == weights[i]`` and every other
      entry of row ``i`` is zero (indicator or random-slope structure); samplers gather with them
      instead of multiplying by ``Z``. ``None`` for smooths.
    * ``sp``: a smoothing parameter fixed by the user (mgcv scale), else ``None``.
    * ``reml_offset``: ``−log|det C_f|`` where a smooth's unpenalized columns are
      ``Xf = X_s·U_f·C_f`` (``X_s`` the constrained basis, ``U_f`` an orthonormal basis of its
      penalty's null space): mgcv's REML score equals the restricted likelihood criterion of the
      mixed-model form plus the sum of the blocks' offsets (0 for random effects).
    """

    name: str
    kind: str
    coef: str | None
    term: str
    Z: np.ndarray
    labels: list[str]
    index: np.ndarray | None = None
    weights: np.ndarray | None = None
    sp: float | None = None
    reml_offset: float = 0.0

    @property
    def size(self) -> int:
        return self.Z.shape[1]


@dataclass(frozen=True)
class SmoothInfo:
    """What a smooth term needs beyond its block: for plots of basis functions and new data.

    ``fixed_columns`` are the indices in ``Design.X`` of the unpenalized columns (``Xf``);
    ``block`` is the index in ``Design.blocks`` of the penalized part (``None`` when ``fx=True``);
    ``variable`` is the covariate; ``basis`` is the fitted basis object (knots, constraint,
    reparameterization) that ``Design.for_newdata`` evaluates on new covariate values.
    """

    term: str
    variable: str
    bs: str
    fixed_columns: list[int]
    block: int | None
    basis: object


@dataclass(frozen=True)
class Design:
    """A parsed formula evaluated on data.

    ``y`` is ``None`` for a prediction design built by :meth:`for_newdata` without the response.
    ``column_names`` name the columns of ``X`` brms-style: ``"Intercept"``, ``"floor"``,
    ``"countyANOKA"`` (treatment contrasts), ``"floor:log_uranium"``, ``"stimes_1"`` (a smooth's
    unpenalized column). ``terms`` is the parsed formula (:class:`bayeszoo.formula.ParsedFormula`:
    response, intercept, fixed, random and smooth terms in the order written; ``None`` for a
    Design built by hand). ``rebuild`` maps a new DataFrame to a Design with the same columns,
    knots, constraints and factor levels.
    """

    formula: str
    response: str
    y: np.ndarray | None
    X: np.ndarray
    column_names: list[str]
    blocks: list[Block]
    smooths: list[SmoothInfo] = field(default_factory=list)
    data: pd.DataFrame | None = None
    terms: Any = field(default=None, repr=False)
    rebuild: Callable[..., Design] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def has_intercept(self) -> bool:
        return "Intercept" in self.column_names

    def for_newdata(self, data: pd.DataFrame, allow_new_levels: bool = False) -> Design:
        """The same model evaluated on ``data`` (response optional).

        An unseen factor level raises ``ValueError`` naming it and the term, unless
        ``allow_new_levels`` (as brms's), which gives such rows zeros in that block's ``Z``.
        """
        if self.rebuild is None:
            raise ValueError("this Design was built by hand and cannot be evaluated on new data")
        return self.rebuild(data, allow_new_levels=allow_new_levels)
