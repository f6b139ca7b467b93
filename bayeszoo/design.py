"""The model design every inference path consumes, and the one linear predictor.

Every model of the zoo is ``eta = offset + X·beta + Σ_j Z_j·r_j``: fixed columns ``X`` and
blocks of coefficients ``r_j`` tied by a structure (:mod:`bayeszoo.structures`). A random
intercept ``(1 | county)`` is a block whose ``Z`` holds county indicators; a penalized smooth,
after mgcv's ``smooth2random``, contributes unpenalized columns to ``X`` and one block with an
identity penalty. REML estimates the blocks' scales (mgcv's ``sp_j = scale / sd_j²``); the
Bayesian backends put brms priors on them and sample ``r_j = sd_j · z_j``.

:func:`design_arrays` turns a :class:`Design` into plain arrays and :func:`linear_predictor`
computes ``eta`` from those arrays and coefficients, for NumPy, JAX and PyTensor alike (it uses
only ``@``, indexing, ``*``, ``+`` and ``sum``); every sampler, ``predict`` and REML use it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from bayeszoo.structures import IID, Structure

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ScaleParam:
    """One scale parameter of a block under its brms name (``sd_county__Intercept``,
    ``sds_stimes_1``), the ``priors=`` keys that set its prior, most specific first
    (``("sd_county__Intercept", "sd_county", "sd")``), its support (``"positive"`` or
    ``"correlation"``), its shape, and its default prior (``None``: the family's default for
    ``sd``/``sds``)."""

    name: str
    prior_keys: tuple[str, ...]
    support: str = "positive"
    shape: tuple[int, ...] = ()
    default: str | None = None


@dataclass(frozen=True)
class CoefficientPrior:
    """A fixed ``Normal(0, s)`` prior on one group of a block's coefficients (a network's
    ``w1``, ``b1``, …): its name (``nn_nntimes_w1``), the ``priors=`` keys that set it, most
    specific first (``("nn_nntimes_w1", "nn_w1")``), and the default ``s``, times the scale of
    the default prior of its linear predictor's intercept when ``intercept_scaled`` (brms's
    ``2.5·mad(y)``-like scale of ``mu``, 2.5 on a log link)."""

    name: str
    prior_keys: tuple[str, ...]
    sd: float
    intercept_scaled: bool = False


@dataclass(frozen=True)
class BlockNames:
    """A block's brms names: its scale parameters, its coefficient array (``r_county``,
    ``s_stimes_1``) with that array's dimensions (``("county",)``, ``("stimes_1_basis",)``)
    and their coordinates; ``z``: the name under which brms reports the block's standardized
    draws too (``zgp_gptimes``), else ``None``; ``coef_priors``: fixed priors of groups of its
    coefficients (a network's weights), empty for blocks whose coefficients only have learned
    scales; ``z_param``: the prior of the block's draws ``z`` when they are not standard normal
    (a monotonic effect's simplex, brms's ``simo_moperiod1`` with its ``dirichlet`` prior),
    named, keyed and with its support as a scale parameter is, else ``None``."""

    scales: tuple[ScaleParam, ...]
    coef: str
    dims: tuple[str, ...]
    coords: tuple[tuple[str, ...], ...]
    z: str | None = None
    coef_priors: tuple[CoefficientPrior, ...] = ()
    z_param: ScaleParam | None = None


#: :attr:`Block.kind` of a grouping factor's varying coefficients.
GROUP_EFFECT_KIND = "re"
#: :attr:`Block.kind` of a smooth's penalized part.
SMOOTH_KIND = "smooth"


def is_group_effect_kind(kind: str) -> bool:
    """Whether a block of ``kind`` (a stored :attr:`Block.kind`) holds a grouping factor's
    varying coefficients (see :attr:`Block.is_group_effect`)."""
    return kind == GROUP_EFFECT_KIND


@dataclass(frozen=True)
class Block:
    """One block of coefficients tied by a learned scale.

    * ``name``: brms's label: the grouping factor (``"county"``, ``"state:county"``) for random
      effects, ``label_j`` (``"stimes_1"``) for a smooth's penalized part.
    * ``kind``: ``"re"`` (random effect of a grouping factor), ``"smooth"``, ``"gp"``
      (a Gaussian process; ``name`` its brms label, ``gptimes``), ``"nn"`` (a neural
      network: ``matrix`` holds its standardized inputs, the structure computes its
      contribution, :mod:`bayeszoo.structures.network`) or ``"mo"`` (brms's monotonic effect,
      ``moperiod``: cumulative indicator columns, :mod:`bayeszoo.structures.monotonic`).
      Callers ask the block
      (:attr:`is_group_effect`, :attr:`is_smooth`, :attr:`computes_contribution`) or its
      structure rather than compare ``kind``.
    * ``coef``: for ``"re"`` the varying coefficient (``"Intercept"`` or a column name);
      ``None`` for smooths.
    * ``term``: the term as mgcv labels it in ``summary.gam`` (``"s(times)"``, ``"s(county)"``)
      or as written for lme4-style terms (``"(1 | county)"``); REML's edf and sp are keyed by it.
    * ``labels``: the coefficients' rows: factor levels, or ``"1".."q"`` for smooths.
    * Columns: either ``index``/``weights`` (an indicator block: row ``i`` has ``weights[i]`` in
      column ``index[i]`` and zeros elsewhere; ``weights`` ``n × k`` when each level has ``k``
      coefficients, as a correlated term's) or ``matrix``
      (dense ``n × q``). :attr:`Z` gives the dense matrix either way.
    * ``structure``: how the coefficients are tied (:mod:`bayeszoo.structures`); ``names``:
      brms's names of its parameters.
    * ``sp``: smoothing parameters fixed by the user (mgcv scale; one per penalty), else
      ``None``.
    * ``reml_offset``: the constant that makes the mixed-model REML criterion equal mgcv's REML
      score for a smooth (see :mod:`bayeszoo.smooths.mixed`); 0 for random effects.
    * ``sp_labels``: for a smooth, mgcv's name of each smoothing parameter, one per scale in
      ``names.scales`` (``("te(Temp,Wind)1", "te(Temp,Wind)2")``, ``("t2(Temp,Wind)rr",)``);
      ``sp`` then holds one value per label (a tuple when there are several). Empty for random
      effects.

    Parameters
    ----------
    name, kind, coef, term, labels, names, index, weights, matrix, structure, sp
        As listed above; a formula makes blocks (:func:`bayeszoo.design`), code rarely does.

    Examples
    --------
    >>> import pandas as pd
    >>> from bayeszoo.formula import design
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [0.0, 1, 2, 3], "g": list("aabb")})
    >>> block = design("y ~ x + (1 | g)", df).blocks[0]
    >>> block.name, block.kind, block.coef, block.term, block.labels, block.Z.shape
    ('g', 're', 'Intercept', '(1 | g)', ['a', 'b'], (4, 2))
    """

    name: str
    kind: str
    coef: str | None
    term: str
    labels: list[str]
    names: BlockNames
    index: np.ndarray | None = None
    weights: np.ndarray | None = None
    matrix: np.ndarray | None = None
    structure: Structure = IID
    sp: float | tuple[float, ...] | None = None
    reml_offset: float = 0.0
    sp_labels: tuple[str, ...] = ()

    @property
    def is_group_effect(self) -> bool:
        """Whether the block holds a grouping factor's varying coefficients (``(… | g)``,
        ``s(g, bs="re")``: lme4's random effects, brms's ``r_g``)."""
        return is_group_effect_kind(self.kind)

    @property
    def is_smooth(self) -> bool:
        """Whether the block is the penalized part of an mgcv smooth (brms's ``sds``)."""
        return self.kind == SMOOTH_KIND

    @property
    def computes_contribution(self) -> bool:
        """Whether the block contributes a function of its matrix (its structure's
        :meth:`~bayeszoo.structures.Structure.contribution`, a network's output) rather than
        ``Z·r``; its matrix then holds the function's inputs, not one column per
        coefficient."""
        return self.structure.computes_contribution

    @property
    def coefs(self) -> tuple[str | None, ...]:
        """The varying coefficients the block holds: a correlated block's several (its
        structure's), else its one ``coef``."""
        return tuple(self.structure.level_coefficients(self))

    @property
    def smoothing_labels(self) -> tuple[str, ...]:
        """mgcv's names of the block's smoothing parameters (``sp_labels``, else the term)."""
        return self.sp_labels or (self.term,)

    @property
    def size(self) -> int:
        """The number of coefficients."""
        return int(np.prod(self.structure.z_shape(self)))

    @property
    def n_rows(self) -> int:
        return int((self.index if self.matrix is None else self.matrix).shape[0])

    @property
    def is_indicator(self) -> bool:
        return self.matrix is None

    @property
    def Z(self) -> np.ndarray:
        """The dense ``n × q`` model matrix of the block (level-major for several coefficients
        per level: level ``g``'s coefficients are columns ``g·k … g·k + k - 1``)."""
        if self.matrix is not None:
            return self.matrix
        n = self.n_rows
        w = self.weights.reshape(n, -1)
        k = w.shape[1]
        Z = np.zeros((n, len(self.labels) * k))
        for c in range(k):
            Z[np.arange(n), self.index * k + c] = w[:, c]
        return Z


@dataclass(frozen=True)
class SmoothInfo:
    """A smooth term's place in the design: ``term`` its mgcv label (``s(times)``,
    ``te(Temp,Wind)``), ``variables`` its covariates and ``bs`` its basis (per margin for tensor
    products), ``fixed_columns`` the indices in ``Design.X`` of its unpenalized columns
    (``Xf``), ``blocks`` the indices in ``Design.blocks`` of its penalized parts, ``state`` the
    fitted smooth (:func:`bayeszoo.smooths.evaluate_smooth`; ``None`` for ``s(g, bs="re")``,
    which is a random intercept).

    The map back to mgcv's basis (:func:`bayeszoo.smooths.term_maps`; empty for
    ``s(g, bs="re")``): ``coef_map @ theta`` are mgcv's coefficients of the term, named
    ``coef_names`` (``te(Temp,Wind).1`` ...), from ``theta`` = the coefficients of
    ``fixed_columns`` then of ``blocks`` in order; ``mgcv_coef_map``/``mgcv_intercept_shift``
    give what mgcv's ``coef()`` reports (``t2``: the prediction parameterization, the intercept
    moving by ``mgcv_intercept_shift @ theta``); ``fixed_terms``: mgcv's label of the smooth
    (by-level) each of ``fixed_columns`` belongs to; ``S_scale``: mgcv's ``S.scale`` of each
    smoothing parameter by label (``gam.vcomp`` reports ``sqrt(scale · S.scale / sp)``);
    ``text``: the term as written in the formula (``s(times, bs="cr", k=20)``)."""

    term: str
    variables: tuple[str, ...]
    bs: str | tuple[str, ...]
    fixed_columns: list[int]
    blocks: list[int]
    state: dict | None = field(default=None, repr=False)
    coef_names: list[str] = field(default_factory=list)
    coef_map: np.ndarray | None = field(default=None, repr=False)
    mgcv_coef_map: np.ndarray | None = field(default=None, repr=False)
    mgcv_intercept_shift: np.ndarray | None = field(default=None, repr=False)
    fixed_terms: list[str] = field(default_factory=list)
    S_scale: dict[str, float] = field(default_factory=dict)
    text: str = ""

    @property
    def is_random_effect(self) -> bool:
        """Whether the smooth is mgcv's random effect (``bs="re"``): coefficients of factor
        levels, with no curve to draw."""
        return self.bs == "re"


@dataclass(frozen=True)
class Design:
    """A parsed formula evaluated on data.

    ``y`` is ``None`` for a prediction design built by :meth:`for_newdata` without the response.
    ``column_names`` name the columns of ``X`` brms-style (``"Intercept"``, ``"floor"``,
    ``"countyANOKA"``, ``"floor:log_uranium"``, ``"stimes_1"``) and ``fixed_params`` the brms
    parameter of each (``"b_floor"``, ``"bs_stimes_1"``). ``offset`` holds the summed
    ``offset()`` terms (zeros without any) and ``additions`` brms's response additions
    (``trials``, ``se``, ``weights``) as arrays. ``dpars`` holds the designs of the family's
    auxiliary parameters that have a formula of their own (brms's ``bf(y ~ ..., sigma ~ ...)``:
    no response, ``dpar`` set to the parameter's name). ``terms`` is the parsed formula
    (:class:`bayeszoo.formula.ParsedFormula`) and ``states`` the JSON-serializable states its
    terms were fitted to (levels, knots, constraints), as a fit stores them; ``term_states``
    the fitted state of each non-fixed term (typed, frozen: :mod:`bayeszoo.formula.term_types`)
    in formula order and ``term_blocks`` the indices in ``blocks`` of each one's blocks; ask
    the design about its terms (:meth:`blocks_of`, :attr:`group_terms`, :meth:`grouping`,
    :attr:`curve_covariates`) rather than reading ``states``. ``evaluator`` is the function
    that evaluates them (:func:`bayeszoo.formula.evaluate_design`), which :meth:`for_newdata`
    calls on new data without fitting anything again. ``aliased`` names the columns left out of
    ``X`` because they duplicate others in a way mgcv resolves by zeroing their coefficients
    (:mod:`bayeszoo.formula.aliasing`; an ``"Intercept"`` there means the model keeps its
    intercept through those columns).

    Parameters
    ----------
    formula, response
        The formula as given and the response column's name.
    y, X, column_names, fixed_params
        The response, the fixed-effects matrix, its brms column names and parameters.
    blocks
        The :class:`Block` s of random effects, smooths, GPs and networks.
    family
        The response family.
    smooths
        mgcv's view of each smooth term.
    offset, additions, data
        The summed offsets, brms's response additions, and the data.
    terms, states, evaluator, term_states, term_blocks
        The parsed formula, its fitted states and the function that evaluates them.
    dpars, dpar
        The designs of modelled auxiliary parameters; the parameter this design is for.
    nlpars, nonlinear
        With a non-linear formula (``bf(..., nl=True)``): the design of each non-linear
        parameter (``dpar`` set to its name, which names its coefficients as brms's
        ``b_<nlpar>_<coef>``) and the parsed expression
        (:class:`bayeszoo.formula.nonlinear.NonlinearExpression`). ``X`` then holds the
        expression's covariates, one column each in its order, and ``column_names`` is empty:
        ``mu`` has no coefficients of its own.
    aliased
        Columns left out of ``X``.
    statistics
        The family's likelihood statistics of rows other than ``data``'s (the sufficient
        statistics or distinct rows of a discretized data set,
        :mod:`bayeszoo.inference.big_stats`), which NumPyro's model uses in place of the
        design's rows; ``None``: the design's own rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from bayeszoo.formula import design
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [0.0, 1, 2, 3], "g": list("aabb")})
    >>> d = design("y ~ x + (1 | g)", df)
    >>> d.column_names, d.fixed_params, d.n
    (['Intercept', 'x'], ['b_Intercept', 'b_x'], 4)
    >>> d.for_newdata(df.iloc[:2]).X.shape
    (2, 2)
    """

    formula: str
    response: str
    y: np.ndarray | None
    X: np.ndarray
    column_names: list[str]
    blocks: list[Block]
    family: Any = None
    fixed_params: list[str] = field(default_factory=list)
    smooths: list[SmoothInfo] = field(default_factory=list)
    offset: np.ndarray | None = None
    additions: dict[str, np.ndarray] = field(default_factory=dict)
    data: pd.DataFrame | None = None
    terms: Any = field(default=None, repr=False)
    states: dict[str, Any] = field(default_factory=dict, repr=False)
    dpars: dict[str, Design] = field(default_factory=dict)
    dpar: str | None = None
    evaluator: Callable[..., Design] | None = field(default=None, repr=False)
    aliased: tuple[str, ...] = ()
    term_states: tuple[Any, ...] = field(default=(), repr=False)
    term_blocks: tuple[tuple[int, ...], ...] = field(default=(), repr=False)
    nlpars: dict[str, Design] = field(default_factory=dict)
    nonlinear: Any = None
    statistics: Any = field(default=None, repr=False, compare=False)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def has_intercept(self) -> bool:
        return "Intercept" in self.column_names

    def for_newdata(self, data: pd.DataFrame, allow_new_levels: bool = False) -> Design:
        """The same model evaluated on ``data`` (response optional) from the fitted term states.

        An unseen factor level raises ``ValueError`` naming it and the term, unless
        ``allow_new_levels`` (as brms's), which gives such rows zeros in that block.
        """
        if self.evaluator is None:
            raise ValueError("this Design was built by hand and cannot be evaluated on new data")
        return self.evaluator(self.states, data, family=self.family, terms=self.terms,
                              allow_new_levels=allow_new_levels)

    def _term_index(self, term: Any) -> int:
        if isinstance(term, int):
            return term
        text = term if isinstance(term, str) else term.text
        for i, st in enumerate(self.term_states):
            if st.text == text:
                return i
        raise KeyError(f"{term!r} is not a term of {self.formula!r}; its terms are "
                       f"{[st.text for st in self.term_states]}")

    def blocks_of(self, term: Any) -> list[Block]:
        """The blocks of one term: its state in :attr:`term_states`, its position there or its
        text as written (``"(1 + x | g)"``)."""
        return [self.blocks[j] for j in self.term_blocks[self._term_index(term)]]

    @property
    def group_terms(self) -> list[Any]:
        """The fitted group-level terms (``(lhs | g)``; lme4's random-effect terms), in
        formula order."""
        return [st for st in self.term_states if st.groupings]

    @property
    def groupings(self) -> dict[str, Any]:
        """Every grouping factor of the group-level terms by brms's name (``county``,
        ``state:county``): its variables, levels and labels."""
        return {g.name: g for st in self.group_terms for g in st.groupings}

    def grouping(self, name: str) -> Any:
        """The grouping factor ``name`` of a group-level term."""
        groups = self.groupings
        if name not in groups:
            raise KeyError(f"no grouping factor {name!r} in {self.formula!r}; it has "
                           f"{sorted(groups) or 'none'}")
        return groups[name]

    def covariates_of(self, term: Any) -> tuple[str, ...]:
        """The columns one term is a function of (see :meth:`blocks_of` for ``term``)."""
        return self.term_states[self._term_index(term)].covariates

    @property
    def curve_covariates(self) -> list[str]:
        """The covariate of each one-covariate smooth, ``gp()`` or ``nn()`` term, in formula
        order."""
        return [st.curve_covariates[0] for st in self.term_states
                if len(st.curve_covariates) == 1]

    @property
    def column_aliases(self) -> dict[str, str]:
        """formulaic's alias of each column (``_bzv0_``) -> the column, for names written on
        aliases (a group-level term's coefficients)."""
        return {a: c for c, a in self.states["columns"]["aliases"].items()}

    @property
    def predictors(self) -> list[Design]:
        """The designs of every linear predictor: this one (``mu``), each of ``dpars``, then
        each of ``nlpars``."""
        return [self, *self.dpars.values(), *self.nlpars.values()]


# --------------------------------------------------------------------------- arrays


class BlockArrays(NamedTuple):
    """One block's columns as arrays: an indicator block has ``index`` (int64, ``n``) and
    ``weights`` (``n``) and an empty ``matrix``; a dense block has ``matrix`` (``n × q``) and
    empty ``index``/``weights``."""

    index: np.ndarray
    weights: np.ndarray
    matrix: np.ndarray


class DesignArrays(NamedTuple):
    """The numeric inputs of a linear predictor: ``X`` (``n × p``), ``offset`` (``n``) and one
    :class:`BlockArrays` per block. A named tuple of arrays, so it enters a compiled JAX function
    as an argument."""

    X: np.ndarray
    offset: np.ndarray
    blocks: tuple[BlockArrays, ...]


def block_arrays(block: Block) -> BlockArrays:
    if block.is_indicator:
        return BlockArrays(index=np.asarray(block.index, dtype=np.int64),
                           weights=np.asarray(block.weights, dtype=float),
                           matrix=np.zeros((0, 0)))
    return BlockArrays(index=np.zeros(0, dtype=np.int64), weights=np.zeros(0),
                       matrix=np.asarray(block.matrix, dtype=float))


def design_arrays(design: Design, X: np.ndarray | None = None) -> DesignArrays:
    """The arrays of ``design`` (``X`` replaces the fixed columns, e.g. by a centered copy)."""
    n = design.n
    off = np.zeros(n) if design.offset is None else np.asarray(design.offset, dtype=float)
    return DesignArrays(X=np.asarray(design.X if X is None else X, dtype=float), offset=off,
                        blocks=tuple(block_arrays(b) for b in design.blocks))


def linear_predictor(arrays: DesignArrays, beta, coefs: Sequence):
    """``offset + X·beta + Σ_j Z_j·r_j`` for NumPy, JAX or PyTensor values.

    ``beta`` has shape ``(..., p)`` and each ``coefs[j]`` ``(..., q_j)`` (``(..., levels, k)``
    for an indicator block with ``k`` coefficients per level); leading dimensions (chains,
    draws) broadcast, giving ``eta`` of shape ``(..., n)``. Indicator blocks are gathered
    (``r[..., index] · weights``), dense ones multiplied. A block whose structure computes its
    contribution (a neural network) passes, instead of coefficients, the function of its matrix
    that gives it (:func:`bayeszoo.structures.network.block_contribution`).
    """
    if isinstance(beta, np.ndarray) and beta.ndim > 2:
        # one matrix product over all draws: NumPy multiplies a stack of (1, p) rows one by one
        rows = int(np.prod(beta.shape[:-1]))
        eta = (beta.reshape(rows, beta.shape[-1]) @ arrays.X.T).reshape(*beta.shape[:-1],
                                                                          arrays.X.shape[0])
        eta = eta + arrays.offset
    else:
        eta = beta @ arrays.X.T + arrays.offset
    for blk, r in zip(arrays.blocks, coefs, strict=True):
        if callable(r):
            eta = eta + r(blk.matrix)
        elif blk.matrix.shape[0] != 0:
            eta = eta + r @ blk.matrix.T
        elif blk.weights.ndim == 1:
            eta = eta + r[..., blk.index] * blk.weights
        else:
            eta = eta + (r[..., blk.index, :] * blk.weights).sum(axis=-1)
    return eta
