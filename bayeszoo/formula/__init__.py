"""Formula string + DataFrame -> :class:`bayeszoo.design.Design`.

Syntax (mgcv and brms formulas paste in unchanged)::

    response [| trials(n) | se(s) | weights(w)] ~ [1 | 0 | -1] + fixed terms + offset(expr)
        + (lhs | group) + (lhs || group) + s(x, bs=..., k=...) + gp(x, k=..., c=...)
        + nn(x1, x2, hidden=20, activation="tanh")

* The response: a column, or an expression of columns in the fixed terms' vocabulary
  (``log(earn) ~ log(height) + male``, as brms, mgcv and lme4 take it), modelled on the
  transformed scale under brms's name (``logearn``); predictions stay on that scale, and new
  data need the response's columns only where the response itself is wanted.
* Fixed terms (numeric columns, factors, interactions ``a:b``, ``a*b``, transforms such as
  ``log(x)``, ``scale(x)``) are evaluated by `formulaic <https://matthewwardrop.github.io/formulaic/>`_:
  factors get treatment contrasts with the first observed level as reference and unused levels
  are dropped, as R's model frame does. Column names follow brms: ``Intercept``, ``floor``,
  ``countyANOKA``, ``floor:log_uranium``.
* ``(1 | g)``: random intercepts; ``(0 + x | g)``: a random slope; ``(1 + x || g)``:
  independent intercept and slope (one block each). Grouping ``a:b`` (levels ``a_b`` as brms)
  and nesting ``a/b`` (= ``(1 | a) + (1 | a:b)``).
* ``s(x, bs="cr"|"tp"|"ps"|"cc"|"re", k=, fx=, sp=, by=, m=)``, ``s(x, z)``,
  ``s(x, g, bs="fs")``, ``te(x, z, k=c(5, 4), bs=c("cr", "tp"))``, ``ti(...)``, ``t2(...)``: mgcv
  smooths via :mod:`bayeszoo.smooths` (``knots=`` of :func:`design` as mgcv's
  ``knots = list(...)``); ``s(g, bs="re")`` builds exactly the block of ``(1 | g)`` (term
  ``"s(g)"``).
* ``gp(x, ..., k=, c=, by=, scale=, iso=, gr=)``: brms's Gaussian processes
  (:mod:`.gp_terms`): the Hilbert-space approximation with ``k`` basis functions per dimension
  on ``c`` times the scaled range, or the exact GP without ``k``; ``by=`` a factor (one GP per
  level) or a numeric multiplier.
* ``nn(x1, ..., hidden=, activation=)``: a Bayesian neural network of numeric covariates
  (bayeszoo's own term, :mod:`.nn_terms`): a multilayer perceptron of the standardized inputs
  with Normal priors on its weights, one block whose structure computes its output
  (:class:`bayeszoo.structures.network.Network`); NumPyro samples it, PyMC, nutpie and REML
  refuse it.
* :func:`bf` gives auxiliary parameters formulas of their own (any of the terms above):
  ``bf("accel ~ s(times)", sigma="~ s(times)")``.
* Column names are R's syntactic names with Unicode letters allowed (``été``); others go in
  backticks: ``` `my col` ```.

Layout: :mod:`.parse` (text -> terms), :mod:`.naming` (brms's names), :mod:`.columns` (checks on
the data), :mod:`.expressions`, :mod:`.grouping`; the term types :mod:`.random_terms`,
:mod:`.smooth_terms`, :mod:`.gp_terms`, :mod:`.nn_terms` (each parses its term, fits a frozen
state that serializes to JSON through :mod:`.state`, and builds its columns; the interface is
:mod:`.term_base`), registered in :mod:`.term_types`; and :mod:`.build` (the design).
Every error is a :class:`FormulaError` (a ``ValueError``) naming the term, or for a malformed
formula showing the position; an unknown column is :class:`UnknownColumnError` (both a
``ValueError`` and a ``KeyError``).
"""

from .bf import BrmsFormula, bf
from .build import as_design, design, evaluate_design
from .errors import FormulaError, UnknownColumnError
from .gp_terms import GpTerm
from .multivariate import MultivariateFormula, mvbf
from .naming import brms_name, smooth_label
from .parse import ParsedFormula, parse_formula
from .random_terms import RandomTerm
from .smooth_terms import SmoothTerm
from .term_types import TERM_TYPES, register, unregister

__all__ = [
    "BrmsFormula",
    "FormulaError",
    "GpTerm",
    "MultivariateFormula",
    "ParsedFormula",
    "RandomTerm",
    "SmoothTerm",
    "TERM_TYPES",
    "UnknownColumnError",
    "as_design",
    "bf",
    "brms_name",
    "design",
    "evaluate_design",
    "mvbf",
    "parse_formula",
    "register",
    "smooth_label",
    "unregister",
]
