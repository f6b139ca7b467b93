"""What a smooth term asks for (:class:`SmoothSpec`), its defaults and its names.

The defaults are mgcv 1.8-41's (``s``, ``te``, ``ti``, ``t2`` in ``R/smooth.r``): ``s()`` is a
thin plate spline with ``k = -1`` (the basis's own default: 10 for one covariate, 30 for two,
110 for three; 10 for ``cr``/``cc``/``ps``); ``te``/``ti``/``t2`` take one ``cr`` margin of
``k = 5`` per covariate. Labels follow mgcv (``s(x,z)``, ``te(x,z)``, ``s(x):fA``; smoothing
parameters ``te(x,z)1``, ``t2(x,z)rr``) and brms (``rename()`` of ``R/misc.R`` and
``tidy_smef`` of ``R/formula-sm.R`` in brms 2.18: ``sds_<sfun><vars><by><level>_<j>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("s", "te", "ti", "t2")
S_BASES = ("tp", "cr", "cc", "ps", "re", "fs", "gp", "mrf", "ad")
MARGIN_BASES = ("cr", "cc", "ps", "tp")

# brms's default renaming (R/misc.R, rename()): characters dropped, then replaced
_BRMS_DROP = (" ", "(", ")", "[", "]", ",", '"', "'", "?")
_BRMS_REPLACE = (("+", "P"), ("-", "M"), ("*", "MU"), ("/", "D"), ("^", "E"), ("=", "EQ"))


def brms_rename(text: str) -> str:
    """brms's ``rename()`` with its default patterns (names of ``Xs`` columns, ``sds``)."""
    for ch in _BRMS_DROP:
        text = text.replace(ch, "")
    for ch, rep in _BRMS_REPLACE:
        text = text.replace(ch, rep)
    return text


def _as_tuple(value, n: int, what: str, term: str) -> tuple:
    if isinstance(value, list | tuple):
        if len(value) == 1:
            return tuple(value) * n
        if len(value) != n:
            raise ValueError(f"{term}: {what} has {len(value)} values for {n} margins; give one "
                             "value or one per covariate")
        return tuple(value)
    return (value,) * n


@dataclass(frozen=True)
class SmoothSpec:
    """One smooth term of a formula, as written (R's ``s(...)``, ``te(...)`` etc.).

    * ``kind``: ``"s"``, ``"te"``, ``"ti"`` or ``"t2"``; ``variables``: column names in order.
    * ``bs``, ``k``: one value or a tuple with one value per margin (``te``/``ti``/``t2``;
      R's ``bs = c("cr", "tp")``, ``k = c(5, 4)``); ``None`` means mgcv's default.
      ``k = -1`` is the basis's default; ``0`` and values below ``-1`` are errors.
    * ``fx``: unpenalized (regression spline) term; ``by``: a factor column (one smooth per
      level) or a numeric column (the basis multiplied by it, no centring constraint);
    * ``knots``: column name -> knot values (for ``cc``, the two ends of the period);
    * ``sp``: fixed smoothing parameters in mgcv's order, or ``None`` to estimate them;
    * ``m``: penalty order (``tp``: derivative order; ``ps``: difference order); per margin for
      tensor products; for ``gp`` R's ``m = c(type, range, kappa)`` as a tuple; for ``ad`` the
      number of penalties;
    * ``xt``: mgcv's ``xt`` of the term, a dict (``mrf``: ``{"nb": {region: [neighbours]}}`` or
      ``{"penalty": S}``). It is not part of the saved state: the basis keeps what it built.

    Parameters
    ----------
    kind, variables, bs, k, fx, by, knots, sp, m, xt
        As listed above.

    Raises
    ------
    ValueError
        For an unknown ``kind``, no variables or repeated variables; a bad ``bs`` or ``k`` is
        reported when the term is built (:meth:`basis`, :meth:`basis_k`).

    Examples
    --------
    >>> spec = SmoothSpec("te", ("Temp", "Wind"), bs=("cr", "tp"), k=(5, 4))
    >>> spec.label
    'te(Temp,Wind)'
    >>> SmoothSpec("s", ("x", "x"))
    Traceback (most recent call last):
    ...
    ValueError: s(x,x): repeated variables as arguments of a smooth are not permitted
    """

    kind: str
    variables: tuple[str, ...]
    bs: str | tuple[str, ...] | None = None
    k: int | tuple[int, ...] | None = None
    fx: bool = False
    by: str | None = None
    knots: dict | None = field(default=None, hash=False)
    sp: tuple[float, ...] | None = None
    m: int | float | tuple | None = None
    xt: dict | None = field(default=None, hash=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown smooth kind {self.kind!r}: use one of {KINDS}")
        if isinstance(self.variables, str):
            object.__setattr__(self, "variables", (self.variables,))
        object.__setattr__(self, "variables", tuple(self.variables))
        if not self.variables:
            raise ValueError(f"{self.kind}(): no covariate given")
        if len(set(self.variables)) != len(self.variables):
            raise ValueError(f"{self.label}: repeated variables as arguments of a smooth are "
                             "not permitted")
        if self.sp is not None and not isinstance(self.sp, tuple):
            sp = self.sp if isinstance(self.sp, list) else [self.sp]
            object.__setattr__(self, "sp", tuple(float(v) for v in sp))

    # labels ---------------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """mgcv's label of the term (before any ``by``): ``s(x,z)``, ``te(x,z)``."""
        return f"{self.kind}({','.join(self.variables)})"

    @property
    def brms_label(self) -> str:
        """brms's label (``tidy_smef``): ``sfun`` + renamed variables and ``by`` column."""
        names = list(self.variables) + ([self.by] if self.by else [])
        return self.kind + brms_rename("".join(names))

    @property
    def n_margins(self) -> int:
        return 1 if self.kind == "s" else len(self.variables)

    # resolved options -----------------------------------------------------------------------
    def basis(self) -> str:
        """The basis of an ``s()`` term (``tp`` by default)."""
        if self.kind != "s":
            raise ValueError(f"{self.label}: a tensor product has one basis per margin; use "
                             "margin_bases()")
        bs = self.bs[0] if isinstance(self.bs, tuple) and len(self.bs) == 1 else self.bs
        bs = "tp" if bs is None else bs
        if bs not in S_BASES:
            raise ValueError(f"{self.label}: unknown basis bs={bs!r}; supported: "
                             + ", ".join(repr(b) for b in S_BASES))
        return bs

    def basis_k(self) -> int:
        """``k`` of an ``s()`` term, validated (``-1`` = default)."""
        k = self.k[0] if isinstance(self.k, tuple) and len(self.k) == 1 else self.k
        return check_k(-1 if k is None else k, self.label)

    def margin_bases(self) -> tuple[str, ...]:
        bs = _as_tuple("cr" if self.bs is None else self.bs, self.n_margins, "bs", self.label)
        for b in bs:
            if b not in MARGIN_BASES:
                raise ValueError(f"{self.label}: bs={b!r} is not available as a tensor product "
                                 "margin; use one of " + ", ".join(map(repr, MARGIN_BASES)))
        return bs

    def margin_k(self) -> tuple[int, ...]:
        """Per-margin ``k`` as mgcv's ``te()``: default 5; any ``k < 3`` resets all to 5 with a
        warning (mgcv's behaviour), after rejecting ``0`` and values below ``-1``."""
        import warnings

        ks = _as_tuple(-1 if self.k is None else self.k, self.n_margins, "k", self.label)
        ks = tuple(check_k(k, self.label) for k in ks)
        if any(k == -1 for k in ks):
            ks = tuple(5 if k == -1 else k for k in ks)
        if any(k < 3 for k in ks):
            warnings.warn(f"{self.label}: one or more supplied k too small (k = {list(ks)}) - "
                          "reset to the default 5 per margin (as mgcv does)", stacklevel=3)
            ks = (5,) * self.n_margins
        return ks

    def margin_m(self) -> tuple[int | None, ...]:
        return _as_tuple(self.m, self.n_margins, "m", self.label)


def check_k(k, term: str) -> int:
    """Validate a basis dimension: ``-1`` (default) or a positive integer."""
    if isinstance(k, bool) or int(k) != k:
        raise ValueError(f"{term}: k must be an integer, got k={k!r}")
    k = int(k)
    if k == 0 or k < -1:
        raise ValueError(f"{term}: k={k} is not a basis dimension; give a positive k or -1 "
                         "for the default")
    return k
