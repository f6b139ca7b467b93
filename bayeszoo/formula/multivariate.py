"""brms's multivariate formulas: ``mvbind(y1, y2) ~ ...``, ``mvbf(...)`` and the ``|ID|`` syntax.

``bz.bf("mvbind(tarsus, back) ~ sex + (1 | p | fosternest)")`` is brms's
``bf(mvbind(tarsus, back) ~ sex + (1 | p | fosternest)) + set_rescor(TRUE)``: one formula per
response with the same right-hand side. ``bz.mvbf(bz.bf("tarsus ~ sex + (1 | p | fosternest)"),
bz.bf("back ~ hatchdate + (1 | p | fosternest)"), rescor=True)`` gives each response its own.
A group-level term ``(lhs | ID | g)`` correlates its coefficients with those of every other
term of grouping ``g`` written with the same ``ID``, in any response (brms's ``cor_g__...``
across responses); ``rescor`` adds brms's residual correlations ``rescor__y1__y2`` (Gaussian and
Student-t responses only). Each response's formula is an ordinary formula once the IDs are
taken out (:attr:`ResponseFormula.formula`), so that it builds a univariate design.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .bf import BrmsFormula
from .errors import FormulaError

#: ``(lhs | ID | g)``: a group-level term with brms's correlation ID (no nested parentheses).
ID_TERM = re.compile(r"\(([^()|]+?)\|\s*([A-Za-z][\w.]*)\s*\|\s*([^()|]+?)\)")
MVBIND = re.compile(r"^\s*mvbind\s*\((?P<resp>[^()]*)\)\s*~(?P<rhs>.*)$", re.S)


@dataclass(frozen=True)
class ResponseFormula:
    """One response's formula with the IDs taken out: ``formula`` (``"tarsus ~ sex + (1 |
    fosternest)"``), ``dpars`` (its distributional parameters' formulas), ``ids``: the text
    of each group-level term written with an ID (``"(1 | fosternest)"``) -> that ID, and
    ``written``: the formula as given."""

    response: str
    formula: str
    dpars: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    written: str = ""

    def as_bf(self) -> BrmsFormula | str:
        """The univariate formula a design is built from."""
        return BrmsFormula(self.formula, dict(self.dpars)) if self.dpars else self.formula


@dataclass(frozen=True)
class MultivariateFormula:
    """brms's ``mvbrmsformula``: the responses' formulas in order and ``rescor`` (``None``:
    brms's default, residual correlations when every response is Gaussian or Student-t)."""

    parts: tuple[ResponseFormula, ...]
    rescor: bool | None = None
    #: the ``mvbind(...) ~ ...`` formula it was read from, else empty
    written: str = ""

    @property
    def responses(self) -> tuple[str, ...]:
        return tuple(p.response for p in self.parts)

    @property
    def formula(self) -> str:
        """The formula as text (:meth:`__str__`)."""
        return str(self)

    def __str__(self) -> str:
        """brms's spelling: ``bf(mvbind(tarsus, back) ~ sex) + set_rescor(TRUE)``, or
        ``mvbf(tarsus ~ sex, back ~ hatchdate) + set_rescor(TRUE)``."""
        rescor = "" if self.rescor is None else f" + set_rescor({str(self.rescor).upper()})"
        if self.written:
            return f"bf({self.written}){rescor}"
        inner = ", ".join(p.written or p.formula for p in self.parts)
        return f"mvbf({inner}){rescor}"


def strip_ids(formula: str) -> tuple[str, dict[str, str]]:
    """``formula`` with every ``(lhs | ID | g)`` written ``(lhs | g)``, and each such term's
    text -> its ID."""
    ids: dict[str, str] = {}

    def plain(m: re.Match) -> str:
        term = f"({m.group(1).strip()} | {m.group(3).strip()})"
        ids[term] = m.group(2)
        return term

    return ID_TERM.sub(plain, formula), ids


def response_formula(formula: str | BrmsFormula) -> ResponseFormula:
    """One response of :func:`mvbf` from a formula string or :func:`bayeszoo.bf`."""
    main, dpars = (formula.formula, formula.dpars) if isinstance(formula, BrmsFormula) \
        else (formula, {})
    if not isinstance(main, str) or "~" not in main:
        raise FormulaError(f"mvbf(): each part is a formula 'y ~ ...', got {formula!r}")
    text, ids = strip_ids(main)
    response = text.split("~", 1)[0].strip()
    if not re.fullmatch(r"[A-Za-z.][\w.]*", response):
        raise FormulaError(f"mvbf(): the response of {main!r} must be one column name "
                           "(response additions such as '| cens()' are not supported in "
                           "multivariate models)")
    for name, f in dpars.items():
        if "|" in f and ID_TERM.search(f):
            raise FormulaError(f"mvbf(): the '|ID|' syntax in the formula of {name} is not "
                               "supported; use it in the main formula")
    return ResponseFormula(response, text, dict(dpars), ids, main.strip())


def mvbind(formula: str, rescor: bool | None = None) -> MultivariateFormula:
    """``mvbind(y1, y2) ~ rhs``: one :class:`ResponseFormula` per response, all with ``rhs``."""
    m = MVBIND.match(formula)
    if m is None:
        raise FormulaError(f"not a multivariate formula 'mvbind(y1, y2) ~ ...': {formula!r}")
    responses = [r.strip() for r in m.group("resp").split(",") if r.strip()]
    if len(responses) < 2 or len(set(responses)) != len(responses):
        raise FormulaError(f"mvbind() needs two or more distinct response columns, got "
                           f"{responses}")
    rhs = m.group("rhs").strip()
    return MultivariateFormula(tuple(response_formula(f"{r} ~ {rhs}") for r in responses),
                               check_rescor(rescor), formula.strip())


def check_rescor(rescor: Any) -> bool | None:
    if rescor is not None and not isinstance(rescor, bool):
        raise FormulaError(f"rescor must be True, False or None (brms's default), got "
                           f"{rescor!r}")
    return rescor


def mvbf(*formulas: str | BrmsFormula, rescor: bool | None = None) -> MultivariateFormula:
    """brms's ``mvbf(bf(y1 ~ ...), bf(y2 ~ ...)) + set_rescor(rescor)``: a formula per response.

    Parameters
    ----------
    *formulas
        Two or more formula strings or :func:`bayeszoo.bf`, one per response.
    rescor
        Residual correlations between the responses (brms's ``set_rescor``); ``None``:
        brms's default, ``True`` when every response is Gaussian or Student-t.

    Returns
    -------
    MultivariateFormula
        Accepted by :func:`bayeszoo.sample` and :func:`bayeszoo.get_prior`.

    Raises
    ------
    FormulaError
        Fewer than two formulas, a response given twice, or a formula that is not ``y ~ ...``.

    Examples
    --------
    >>> f = mvbf("tarsus ~ sex + (1 | p | fosternest)", "back ~ hatchdate + (1 | p | fosternest)",
    ...          rescor=True)
    >>> f.responses
    ('tarsus', 'back')
    >>> f.parts[0].formula, f.parts[0].ids
    ('tarsus ~ sex + (1 | fosternest)', {'(1 | fosternest)': 'p'})
    """
    parts = tuple(response_formula(f) for f in formulas)
    if len(parts) < 2:
        raise FormulaError("mvbf() needs a formula for each of two or more responses")
    responses = [p.response for p in parts]
    if len(set(responses)) != len(responses):
        raise FormulaError(f"mvbf(): each response once, got {responses}")
    return MultivariateFormula(parts, check_rescor(rescor))


def is_multivariate(formula: Any) -> bool:
    """Whether ``formula`` is a :class:`MultivariateFormula`."""
    return isinstance(formula, MultivariateFormula)
