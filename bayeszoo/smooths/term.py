"""Term-level API: :func:`fit_smooth`, :class:`SmoothTerm`, :func:`evaluate_smooth`.

``fit_smooth(spec, data)`` builds a smooth term as mgcv's ``smoothCon(absorb.cons = TRUE,
scale.penalty = TRUE)`` (:mod:`bayeszoo.smooths.construct`) and splits it into the mixed-model
form (:mod:`bayeszoo.smooths.mixed`): unpenalized columns ``Xf`` for the fixed design and
penalized blocks (iid, or with a list of penalty matrices). Everything needed to evaluate the
same columns on new data is in ``SmoothTerm.state``, a JSON-serializable dict;
:func:`evaluate_smooth` and :meth:`SmoothTerm.from_state` use nothing else (no knots,
eigenvectors or subsamples are recomputed from data).

Names: ``fixed_names`` are brms's ``Xs`` column names (``rename(paste0(label, "_", j))``), block
names brms's ``sds`` suffixes (``sconcTypeQuebec_1``), ``term`` mgcv's labels
(``s(conc):TypeQuebec``), ``sp_labels`` mgcv's smoothing-parameter names. brms refuses ``te`` and
``ti``; they are named by the same rules (``teTempWind_1``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .columns import level_indicator, numeric_column
from .construct import SmoothCon, smooth_con, smooth_con_from_state
from .core import constraint_null_space
from .fs import expand_levels
from .mixed import BlockMap, MixedMaps, mixed_maps, reml_offset
from .side import by_pieces, delete_side_columns
from .spec import SmoothSpec, brms_rename
from .state import decode_array, encode_array

STATE_FORMAT = "bayeszoo.smooth/1"


@dataclass
class SmoothBlock:
    """A penalized block: ``Z`` (``n × q``), ``penalties`` (``None``: identity, the iid case;
    else ``q × q`` matrices, one per smoothing parameter), brms ``name``, mgcv ``term`` (for edf),
    mgcv ``sp_labels``, fixed ``sp`` or ``None``, and ``reml_offset`` (the smooth's null-space
    constant, carried by the first block of each smooth, 0 on the others).

    Parameters
    ----------
    name
        brms's ``sds`` suffix of the block (``sx_1``).
    term
        mgcv's label of the smooth it belongs to (``s(x)``).
    Z
        The block's ``n × q`` columns.
    penalties
        ``q × q`` penalty matrices, one per smoothing parameter; ``None`` for iid.
    sp_labels
        mgcv's smoothing-parameter names.
    reml_offset
        The smooth's null-space constant (first block only).
    sp
        Fixed smoothing parameters, or ``None`` to estimate them.
    """

    name: str
    term: str
    Z: np.ndarray
    penalties: list[np.ndarray] | None
    sp_labels: list[str]
    reml_offset: float = 0.0
    sp: list[float] | None = None


@dataclass
class SmoothTerm:
    """A fitted smooth term in mixed-model form.

    * ``Xf`` (``n × m0``), ``fixed_names`` (brms), ``fixed_terms`` (mgcv label of each column);
    * ``blocks``: :class:`SmoothBlock` list; ``reml_offset``: their sum;
    * ``coef_map``: ``beta = coef_map @ theta`` gives mgcv's coefficients of the term (in mgcv's
      order, names ``coef_names``) from ``theta = [fixed coefficients, block 1, block 2, ...]``;
      ``mgcv_coef_map``/``mgcv_intercept_shift``: the same for what ``coef()`` reports, which for
      ``t2`` is the prediction parameterization (``Cp``; mgcv's intercept changes by
      ``mgcv_intercept_shift @ theta``); for other terms ``mgcv_coef_map = coef_map``, shift 0;
    * ``S_scale``: mgcv's ``S.scale`` of each penalty; ``state``: JSON-serializable fitted state.

    Made by :func:`fit_smooth` or :meth:`from_state`, not by hand.

    Parameters
    ----------
    spec
        The term as the formula wrote it.
    Xf, fixed_names, fixed_terms
        Unpenalized columns, their brms names and mgcv labels.
    blocks
        The penalized :class:`SmoothBlock` s.
    coef_map, coef_names
        ``theta -> `` mgcv's coefficients of the term, and their names.
    mgcv_coef_map, mgcv_intercept_shift
        The same for what mgcv's ``coef()`` reports (``t2``'s prediction parameterization).
    S_scale
        mgcv's ``S.scale`` of each penalty.
    state
        The JSON-serializable fitted state (:func:`evaluate_smooth` reads it).

    Examples
    --------
    >>> import numpy as np
    >>> term = fit_smooth(SmoothSpec("s", ("x",), bs="cr", k=6), {"x": np.linspace(0, 1, 50)})
    >>> term.Xf.shape, term.fixed_names, [b.Z.shape for b in term.blocks]
    ((50, 1), ['sx_1'], [(50, 4)])
    >>> term.coef_map.shape  # mgcv's 5 coefficients from theta = [1 fixed, 4 penalized]
    (5, 5)
    """

    spec: SmoothSpec
    Xf: np.ndarray
    fixed_names: list[str]
    fixed_terms: list[str]
    blocks: list[SmoothBlock]
    coef_map: np.ndarray
    coef_names: list[str]
    mgcv_coef_map: np.ndarray
    mgcv_intercept_shift: np.ndarray
    S_scale: list[float]
    state: dict = field(repr=False)

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def reml_offset(self) -> float:
        return float(sum(b.reml_offset for b in self.blocks))

    def evaluate(self, data: Mapping) -> tuple[np.ndarray, list[np.ndarray]]:
        """``(Xf, [Z_1, ...])`` on new data (see :func:`evaluate_smooth`)."""
        return evaluate_smooth(self.state, data)

    @classmethod
    def from_state(cls, state: dict, data: Mapping) -> SmoothTerm:
        """The term rebuilt from ``state`` with its columns evaluated on ``data``."""
        Xf, Zs = evaluate_smooth(state, data)
        meta = state["term"]
        blocks = [SmoothBlock(name=b["name"], term=b["term"], Z=Z,
                              penalties=(None if b["penalties"] is None
                                         else [decode_array(P) for P in b["penalties"]]),
                              sp_labels=list(b["sp_labels"]), reml_offset=b["reml_offset"],
                              sp=b["sp"])
                  for b, Z in zip(meta["blocks"], Zs, strict=True)]
        return cls(spec=spec_from_state(state["spec"]), Xf=Xf,
                   fixed_names=list(meta["fixed_names"]), fixed_terms=list(meta["fixed_terms"]),
                   blocks=blocks, coef_map=decode_array(meta["coef_map"]),
                   coef_names=list(meta["coef_names"]),
                   mgcv_coef_map=decode_array(meta["mgcv_coef_map"]),
                   mgcv_intercept_shift=decode_array(meta["mgcv_intercept_shift"]),
                   S_scale=list(state["con"]["S_scale"]), state=state)


@dataclass(frozen=True)
class TermMaps:
    """What a fitted term says about mgcv's parameterization, read from its state alone
    (REML and reports): ``coef_map``/``coef_names``/``mgcv_coef_map``/``mgcv_intercept_shift``
    as in :class:`SmoothTerm`, ``fixed_terms``: mgcv's label of the smooth each unpenalized
    column belongs to (``s(conc):TypeQuebec``: edf per term), and ``S_scale``: mgcv's
    ``S.scale`` of every smoothing parameter, keyed by its label (``te(Temp,Wind)1``,
    ``s(conc):TypeQuebec``), in mgcv's order.

    Parameters
    ----------
    coef_map, coef_names, mgcv_coef_map, mgcv_intercept_shift
        As in :class:`SmoothTerm`.
    fixed_terms
        mgcv's label of the smooth of each unpenalized column.
    S_scale
        mgcv's ``S.scale`` by smoothing-parameter label.
    """

    coef_map: np.ndarray
    coef_names: list[str]
    mgcv_coef_map: np.ndarray
    mgcv_intercept_shift: np.ndarray
    fixed_terms: list[str]
    S_scale: dict[str, float]


def term_maps(state: dict) -> TermMaps:
    """The :class:`TermMaps` of a fitted term's ``state``.

    Parameters
    ----------
    state
        :attr:`SmoothTerm.state`.

    Returns
    -------
    TermMaps
        The maps to mgcv's coefficients and each smoothing parameter's ``S.scale``.

    Examples
    --------
    >>> import numpy as np
    >>> term = fit_smooth(SmoothSpec("s", ("x",), bs="cr", k=6), {"x": np.linspace(0, 1, 50)})
    >>> maps = term_maps(term.state)
    >>> list(maps.S_scale), maps.coef_names[:2]
    (['s(x)'], ['s(x).1', 's(x).2'])
    """
    meta = state["term"]
    scales = state["con"]["S_scale"]
    per_level = [b["penalty_index"] for b in state["maps"]["blocks"]]
    sp_scale: dict[str, float] = {}
    for j, b in enumerate(meta["blocks"]):
        for label, i in zip(b["sp_labels"], per_level[j % len(per_level)], strict=True):
            sp_scale[label] = float(scales[i])
    return TermMaps(coef_map=decode_array(meta["coef_map"]),
                    coef_names=list(meta["coef_names"]),
                    mgcv_coef_map=decode_array(meta["mgcv_coef_map"]),
                    mgcv_intercept_shift=decode_array(meta["mgcv_intercept_shift"]),
                    fixed_terms=list(meta["fixed_terms"]), S_scale=sp_scale)


# ---------------------------------------------------------------------------------------------
# spec <-> JSON
# ---------------------------------------------------------------------------------------------

def spec_to_state(spec: SmoothSpec) -> dict:
    def listify(v):
        return list(v) if isinstance(v, tuple) else v

    knots = None if spec.knots is None else {k: [float(x) for x in np.ravel(v)]
                                              for k, v in spec.knots.items()}
    return {"kind": spec.kind, "variables": list(spec.variables), "bs": listify(spec.bs),
            "k": listify(spec.k), "fx": spec.fx, "by": spec.by, "knots": knots,
            "sp": listify(spec.sp), "m": listify(spec.m)}


def spec_from_state(st: dict) -> SmoothSpec:
    def tuplify(v):
        return tuple(v) if isinstance(v, list) else v

    return SmoothSpec(kind=st["kind"], variables=tuple(st["variables"]), bs=tuplify(st["bs"]),
                      k=tuplify(st["k"]), fx=st["fx"], by=st["by"], knots=st["knots"],
                      sp=tuplify(st["sp"]), m=tuplify(st["m"]))


# ---------------------------------------------------------------------------------------------
# evaluation shared by fitting and new data
# ---------------------------------------------------------------------------------------------

def pieces(sc: SmoothCon) -> list:
    """The smooths a term makes: one per factor ``by`` level, else one (``None``)."""
    if sc.by is not None and sc.by.kind == "factor":
        return list(sc.by.levels)
    return [None]


def assemble(sc: SmoothCon, maps: MixedMaps, X_raw: np.ndarray,
             data: Mapping) -> tuple[np.ndarray, list[np.ndarray]]:
    """``(Xf, [Z ...])`` from the raw basis matrix of the rows of ``data``."""
    term = sc.spec.label
    if sc.kind == "fs":
        codes = sc.raw.level_codes(data, term)
        nlev = len(sc.raw.levels)
        Zs = [expand_levels(X_raw @ b.M, codes, nlev) for b in maps.blocks]
        return np.zeros((X_raw.shape[0], 0)), Zs
    Xc = sc.constrain(X_raw)
    if sc.by is not None and sc.by.kind == "numeric":
        Xc = Xc * numeric_column(data, sc.by.column, term, "by")[:, None]
    fixed, Zs = [], []
    for level in pieces(sc):
        Xp = Xc if level is None else Xc * level_indicator(data, sc.by.column, level,
                                                           term)[:, None]
        fixed.append(Xp @ maps.fixed)
        Zs.extend(Xp @ b.M for b in maps.blocks)
    return np.hstack(fixed), Zs


def evaluate_smooth(state: dict, data: Mapping) -> tuple[np.ndarray, list[np.ndarray]]:
    """The term's ``(Xf, [Z_1, ...])`` on the rows of ``data``, from its ``state`` alone.

    Parameters
    ----------
    state
        :attr:`SmoothTerm.state` (possibly read back from JSON).
    data
        Column name -> array or Series, holding the term's variables.

    Returns
    -------
    tuple
        ``(Xf, [Z_1, ...])``: the unpenalized columns and each block's columns, as
        :func:`fit_smooth` made them, on the new rows (mgcv's ``PredictMat``).

    Raises
    ------
    ValueError
        When ``state`` is not a smooth-term state.

    Examples
    --------
    >>> import numpy as np
    >>> term = fit_smooth(SmoothSpec("s", ("x",), bs="cr", k=6), {"x": np.linspace(0, 1, 50)})
    >>> Xf, Zs = evaluate_smooth(term.state, {"x": np.array([0.1, 0.5])})
    >>> Xf.shape, [Z.shape for Z in Zs]
    ((2, 1), [(2, 4)])
    """
    if state.get("format") != STATE_FORMAT:
        raise ValueError(f"not a smooth-term state (format {state.get('format')!r}, expected "
                         f"{STATE_FORMAT!r})")
    spec = spec_from_state(state["spec"])
    sc = smooth_con_from_state(spec, state["con"])
    maps = maps_from_state(state["maps"])
    if sc.kind == "fs":
        X_raw = sc.raw.base_matrix(data, spec.label)
    else:
        X_raw = sc.raw.matrix(data, spec.label)
    return assemble(sc, maps, X_raw, data)


def side_matrices(state: dict, data: Mapping) -> list[np.ndarray]:
    """mgcv's ``sm$X`` of each smooth the term makes on ``data`` (one per factor ``by`` level,
    else one): the constrained basis (after any side constraint) times the ``by`` variable, the
    matrices ``gam.side`` compares. Empty for ``fs``, which mgcv never side-constrains.

    Parameters
    ----------
    state
        :attr:`SmoothTerm.state`.
    data
        Column name -> array or Series.

    Returns
    -------
    list of numpy.ndarray
        One ``n × p`` matrix per smooth.

    Examples
    --------
    >>> import numpy as np
    >>> term = fit_smooth(SmoothSpec("s", ("x",), bs="cr", k=6), {"x": np.linspace(0, 1, 50)})
    >>> [X.shape for X in side_matrices(term.state, {"x": np.linspace(0, 1, 50)})]
    [(50, 5)]
    """
    spec = spec_from_state(state["spec"])
    sc = smooth_con_from_state(spec, state["con"])
    if sc.kind == "fs":
        return []
    return by_pieces(sc, sc.constrain(sc.raw.matrix(data, spec.label)), data)


def maps_to_state(maps: MixedMaps) -> dict:
    return {"fixed": encode_array(maps.fixed),
            "blocks": [{"M": encode_array(b.M), "penalty_index": list(b.penalty_index),
                        "penalties": (None if b.penalties is None
                                      else [encode_array(P) for P in b.penalties])}
                       for b in maps.blocks]}


def maps_from_state(st: dict) -> MixedMaps:
    return MixedMaps(fixed=decode_array(st["fixed"]),
                     blocks=[BlockMap(M=decode_array(b["M"]),
                                      penalties=(None if b["penalties"] is None
                                                 else [decode_array(P) for P in b["penalties"]]),
                                      penalty_index=list(b["penalty_index"]))
                             for b in st["blocks"]])


# ---------------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------------

def piece_labels(sc: SmoothCon, level) -> tuple[str, str]:
    """mgcv label and brms label of one smooth of the term."""
    spec = sc.spec
    if sc.by is None:
        return spec.label, spec.brms_label
    if sc.by.kind == "numeric":
        return f"{spec.label}:{sc.by.column}", spec.brms_label
    return (f"{spec.label}:{sc.by.column}{level}",
            spec.brms_label + brms_rename(str(level)))


def fs_base_penalties(sc: SmoothCon) -> list[np.ndarray]:
    """The fs penalties of one level's columns, scaled by mgcv's ``S.scale``."""
    raw = sc.raw
    p = raw.Xb.shape[1]
    out = [np.diag(np.r_[raw.D, np.zeros(p - raw.rank)]) / sc.S_scale[0]]
    for i in range(p - raw.rank):
        d = np.zeros(p)
        d[raw.rank + i] = 1.0
        out.append(np.diag(d) / sc.S_scale[i + 1])
    return out


def first_piece_matrix(sc: SmoothCon, data: Mapping) -> np.ndarray:
    """mgcv's ``sml[[1]]$X``: the first ``by`` level's (or the only) constrained matrix."""
    X = sc.Xc
    if sc.by is None:
        return X
    if sc.by.kind == "numeric":
        return X * numeric_column(data, sc.by.column, sc.spec.label, "by")[:, None]
    return X * level_indicator(data, sc.by.column, sc.by.levels[0], sc.spec.label)[:, None]


def t2_prediction_maps(sc: SmoothCon) -> tuple[np.ndarray, np.ndarray]:
    """``(G0, L)`` with ``[1, Xp] [a + G0 b; L b] = [1, X_c] [a; b]``: mgcv's map (``G$P`` in
    ``gam.setup``) from the fitting constraint to the prediction constraint ``Cp``."""
    X_raw = sc.raw.X
    Xp = X_raw @ constraint_null_space(X_raw.sum(axis=0))
    A = np.column_stack([np.ones(Xp.shape[0]), Xp])
    G = np.linalg.lstsq(A, sc.Xc, rcond=None)[0]
    return G[0], G[1:]


def fit_smooth(spec: SmoothSpec, data: Mapping, seed: int = 1,
               side_drop: Sequence[int] = ()) -> SmoothTerm:
    """Build ``spec`` on ``data`` (a mapping of column name -> array or Series).

    ``seed``: the knot subsample of a thin plate spline with more than 2000 unique covariate
    rows. ``side_drop``: columns (0-based) of the constrained basis that mgcv's ``gam.side``
    deletes because smooths earlier in the formula contain them (``attr(sm, "del.index")``
    minus 1; :mod:`.side`). Raises ``ValueError`` naming the term for bad input (missing or
    non-numeric columns, a factor inside te/ti/t2, too large ``k``, bad knots).

    Parameters
    ----------
    spec
        The term.
    data
        Column name -> array or Series.
    seed
        Seed of the thin plate knot subsample.
    side_drop
        Constrained-basis columns that ``gam.side`` deletes.

    Returns
    -------
    SmoothTerm
        The term in mixed-model form with its state.

    Raises
    ------
    ValueError
        For bad input, naming the term.

    Examples
    --------
    >>> import numpy as np
    >>> term = fit_smooth(SmoothSpec("s", ("x",), bs="cr", k=6), {"x": np.linspace(0, 1, 50)})
    >>> term.label, term.fixed_names, [b.name for b in term.blocks]
    ('s(x)', ['sx_1'], ['sx_1'])
    >>> fit_smooth(SmoothSpec("s", ("x",), k=6), {"z": np.arange(3.0)})
    Traceback (most recent call last):
    ...
    ValueError: ...
    """
    sc = delete_side_columns(smooth_con(spec, data, seed=seed), side_drop)
    if sc.kind == "fs":
        base_pens = fs_base_penalties(sc)
        maps = mixed_maps("fs", base_pens, 0, sc.raw.Xb)
        X_raw = sc.raw.Xb
    else:
        base_pens = sc.S
        maps = mixed_maps(sc.kind, sc.S, sc.null_space_dim, first_piece_matrix(sc, data))
        X_raw = sc.raw.X
    n_pen = len(base_pens)
    if spec.sp is not None and len(spec.sp) != n_pen:
        raise ValueError(f"{spec.label}: sp has {len(spec.sp)} values but the term has {n_pen} "
                         "smoothing parameters; give one per penalty in mgcv's order")
    Xf, Zs = assemble(sc, maps, X_raw, data)
    offset = reml_offset(maps, base_pens)
    T = maps.transform()
    fixed_names, fixed_terms, coef_names, blocks_meta = [], [], [], []
    levels = pieces(sc)
    for level in levels:
        mlabel, blabel = piece_labels(sc, level)
        m0 = maps.fixed.shape[1]
        fixed_names += [brms_rename(f"{mlabel}_{j + 1}") for j in range(m0)]
        fixed_terms += [mlabel] * m0
        for j, b in enumerate(maps.blocks):
            blocks_meta.append({
                "name": f"{blabel}_{j + 1}", "term": mlabel,
                "sp_labels": [mlabel + sc.penalty_suffixes[i] for i in b.penalty_index],
                "penalties": b.penalties, "reml_offset": offset if j == 0 else 0.0,
                "sp": None if spec.sp is None else [spec.sp[i] for i in b.penalty_index]})
    if sc.kind == "fs":
        coef_map, coef_names = fs_coef_map(sc, maps)
    else:
        coef_map = block_diagonal_coef_map(T, maps, len(levels))
        for level in levels:
            mlabel, _ = piece_labels(sc, level)
            coef_names += [f"{mlabel}.{j + 1}" for j in range(T.shape[0])]
    mgcv_map, shift = coef_map, np.zeros(coef_map.shape[1])
    if (sc.kind == "t2" and sc.Z is not None and len(levels) == 1 and sc.by is None
            and not len(side_drop)):
        G0, L = t2_prediction_maps(sc)
        mgcv_map, shift = L @ coef_map, G0 @ coef_map
    meta = {"fixed_names": fixed_names, "fixed_terms": fixed_terms, "coef_names": coef_names,
            "coef_map": encode_array(coef_map), "mgcv_coef_map": encode_array(mgcv_map),
            "mgcv_intercept_shift": encode_array(shift),
            "blocks": [{**b, "penalties": (None if b["penalties"] is None
                                           else [encode_array(P) for P in b["penalties"]])}
                       for b in blocks_meta]}
    state = {"format": STATE_FORMAT, "spec": spec_to_state(spec), "seed": int(seed),
             "con": sc.state(), "maps": maps_to_state(maps), "term": meta,
             "side_dropped": [int(i) for i in side_drop]}
    blocks = [SmoothBlock(name=b["name"], term=b["term"], Z=Z, penalties=b["penalties"],
                          sp_labels=b["sp_labels"], reml_offset=b["reml_offset"], sp=b["sp"])
              for b, Z in zip(blocks_meta, Zs, strict=True)]
    return SmoothTerm(spec=spec, Xf=Xf, fixed_names=fixed_names, fixed_terms=fixed_terms,
                      blocks=blocks, coef_map=coef_map, coef_names=coef_names,
                      mgcv_coef_map=mgcv_map, mgcv_intercept_shift=shift,
                      S_scale=list(sc.S_scale), state=state)


def block_diagonal_coef_map(T: np.ndarray, maps: MixedMaps, n_levels: int) -> np.ndarray:
    """``beta = [beta_level1; beta_level2; ...]`` from ``theta = [fixed of every level, blocks
    of level 1, blocks of level 2, ...]`` (the order of ``Xf`` and ``blocks``)."""
    p = T.shape[0]
    m0 = maps.fixed.shape[1]
    sizes = [b.M.shape[1] for b in maps.blocks]
    out = np.zeros((p * n_levels, p * n_levels))
    fixed_start = 0
    block_start = m0 * n_levels
    for lev in range(n_levels):
        rows = slice(lev * p, (lev + 1) * p)
        out[rows, fixed_start : fixed_start + m0] = maps.fixed
        fixed_start += m0
        for b, q in zip(maps.blocks, sizes, strict=True):
            out[rows, block_start : block_start + q] = b.M
            block_start += q
    return out


def fs_coef_map(sc: SmoothCon, maps: MixedMaps) -> tuple[np.ndarray, list[str]]:
    """fs: mgcv's coefficients (level-major, all base columns per level) from the blocks
    (each block level-major over its own columns)."""
    nlev = len(sc.raw.levels)
    p = maps.fixed.shape[0]
    out = np.zeros((p * nlev, p * nlev))
    col = 0
    for b in maps.blocks:
        q = b.M.shape[1]
        for lev in range(nlev):
            out[lev * p : (lev + 1) * p, col : col + q] = b.M
            col += q
    names = [f"{sc.spec.label}.{j + 1}" for j in range(p * nlev)]
    return out, names
