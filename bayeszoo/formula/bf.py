"""brms's ``bf()``: a formula for the mean and one for each distributional parameter.

``bz.bf("accel ~ s(times)", sigma="~ s(times)")`` is brms's
``bf(accel ~ s(times), sigma ~ s(times))``: every auxiliary parameter of the family may get its
own linear predictor (fixed, random and smooth terms alike), on the link brms uses for it (log
for ``sigma``, ``shape``, ``phi``). Accepted wherever a formula string is.

With ``nl=True`` the main formula's right-hand side is a non-linear expression
(:mod:`bayeszoo.formula.nonlinear`) and every named formula whose name appears in it is a
non-linear parameter (brms's ``nlpar``) with its own linear formula; the others stay
distributional parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import FormulaError


@dataclass(frozen=True)
class BrmsFormula:
    """The main formula and ``dpars``: distributional parameter -> its formula."""

    formula: str
    dpars: dict[str, str] = field(default_factory=dict)
    #: non-linear parameter -> its formula (with ``nl=True``)
    nlpars: dict[str, str] = field(default_factory=dict)
    nl: bool = False

    def parts(self) -> list[str]:
        """The formulas as brms prints them one per line: ``accel ~ s(times)``,
        ``sigma ~ s(times)``."""
        parts = [self.formula]
        for name, f in (self.nlpars | self.dpars).items():
            rhs = f.split("~", 1)[1].strip() if "~" in f else f.strip()
            parts.append(f"{name} ~ {rhs}")
        return parts

    def __str__(self) -> str:
        """brms's spelling: ``bf(accel ~ s(times), sigma ~ s(times))``."""
        return f"bf({', '.join(self.parts())}{', nl = TRUE' if self.nl else ''})"


def bf(formula: str, nl: bool = False, **dpars: Any) -> Any:
    """``bf("y ~ x", sigma="~ x")``: formulas for ``mu`` and for auxiliary parameters;
    ``bf("mvbind(y1, y2) ~ x", rescor=True)``: a multivariate formula
    (:func:`bayeszoo.formula.multivariate.mvbind`).

    Parameters
    ----------
    formula
        The main formula (``mu``), ``"y ~ ..."``.
    nl
        brms's ``nl = TRUE``: the main formula is non-linear, and the formulas named for the
        names it uses are those of its non-linear parameters.
    **dpars
        Auxiliary (or, with ``nl``, non-linear) parameter name -> its one-sided formula
        (``sigma="~ s(times)"``).

    Returns
    -------
    BrmsFormula or MultivariateFormula
        Accepted wherever a formula string is (a multivariate one by the samplers and
        ``get_prior``).

    Raises
    ------
    FormulaError
        When a formula is not a string.

    Examples
    --------
    >>> f = bf("accel ~ s(times)", sigma="~ s(times)")
    >>> str(f)
    'bf(accel ~ s(times), sigma ~ s(times))'
    >>> f.dpars
    {'sigma': '~ s(times)'}
    >>> g = bf("y ~ a * exp(b * x)", a="~ 1", b="~ 1", nl=True)
    >>> g.nlpars, str(g)
    ({'a': '~ 1', 'b': '~ 1'}, 'bf(y ~ a * exp(b * x), a ~ 1, b ~ 1, nl = TRUE)')
    """
    if not isinstance(formula, str):
        raise FormulaError(f"bf(): the main formula must be a string, got "
                           f"{type(formula).__name__}")
    if formula.lstrip().startswith("mvbind("):
        from .multivariate import mvbind

        rescor = dpars.pop("rescor", None)
        if dpars or nl:
            raise FormulaError(f"bf(mvbind(...)): give distributional formulas per response "
                               f"through mvbf(), got {sorted(dpars)}")
        return mvbind(formula, rescor)
    for name, f in dpars.items():
        if not isinstance(f, str):
            raise FormulaError(f"bf(): the formula of {name} must be a string such as "
                               f"'~ s(times)', got {type(f).__name__}")
    if not nl:
        return BrmsFormula(formula, dict(dpars))
    from .nonlinear import expression_names

    used = expression_names(formula)
    nlpars = {k: v for k, v in dpars.items() if k in used}
    return BrmsFormula(formula, {k: v for k, v in dpars.items() if k not in nlpars}, nlpars,
                       nl=True)
