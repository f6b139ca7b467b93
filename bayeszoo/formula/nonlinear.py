"""brms's non-linear formulas: ``bf(cum ~ ult * (1 - exp(-(dev / theta)^omega)), ult ~ 1 +
(1 | AY), omega ~ 1, theta ~ 1, nl = TRUE)``.

The right-hand side of the main formula is an arithmetic expression of named parameters
(brms's ``nlpars``, each with a linear formula of its own) and numeric data columns
(covariates). :func:`parse_nonlinear` reads it with Python's :mod:`ast` and accepts only
numbers, names, ``+ - * /``, ``^`` (R's power, as ``**``) and the functions of
:data:`FUNCTIONS`: nothing is evaluated by Python itself, so a formula cannot run code.
:meth:`NonlinearExpression.evaluate` computes it with a backend's math
(:mod:`bayeszoo.families.ops`: NumPy, JAX or PyTensor), as brms's Stan code computes
``mu[n]`` from ``nlp_<nlpar>[n]`` and ``C_<k>[n]``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from .errors import FormulaError


def _inv_logit(ops, x):
    return ops.exp(ops.log_sigmoid(x))


def _logit(ops, x):
    return ops.log(x) - ops.log1p(-x)


#: function name in a non-linear formula -> its value from the backend's ops (Stan's names)
FUNCTIONS: dict[str, Any] = {
    "exp": lambda ops, x: ops.exp(x),
    "log": lambda ops, x: ops.log(x),
    "sqrt": lambda ops, x: ops.sqrt(x),
    "log1p": lambda ops, x: ops.log1p(x),
    "expm1": lambda ops, x: ops.expm1(x),
    "abs": lambda ops, x: ops.abs(x),
    "square": lambda ops, x: ops.square(x),
    "tanh": lambda ops, x: ops.tanh(x),
    "cos": lambda ops, x: ops.cos(x),
    "inv_logit": _inv_logit,
    "logit": _logit,
    "log1p_exp": lambda ops, x: ops.softplus(x),
}

_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
           ast.Pow: lambda a, b: a ** b}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")


@dataclass(frozen=True)
class NonlinearExpression:
    """A parsed non-linear right-hand side: its ``text``, the ``nlpars`` it uses (in the order
    of the formulas given to ``bf``) and the data columns it reads (``covariates``, in order
    of first appearance)."""

    text: str
    nlpars: tuple[str, ...]
    covariates: tuple[str, ...]

    @property
    def tree(self) -> ast.Expression:
        return ast.parse(_python_text(self.text), mode="eval")

    def evaluate(self, values: dict[str, Any], ops) -> Any:
        """The expression with each name replaced by ``values[name]`` (an nlpar's predictor or
        a covariate's column; arrays of one backend, broadcasting as that backend does)."""
        return _eval(self.tree.body, values, ops)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "nlpars": list(self.nlpars),
                "covariates": list(self.covariates)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NonlinearExpression:
        return cls(d["text"], tuple(d["nlpars"]), tuple(d["covariates"]))


def _python_text(text: str) -> str:
    return text.replace("^", "**")


def _eval(node: ast.AST, values: dict[str, Any], ops) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values, ops)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, values, ops),
                                      _eval(node.right, values, ops))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return FUNCTIONS[node.func.id](ops, _eval(node.args[0], values, ops))


def _check(node: ast.AST, text: str, names: list[str]) -> None:
    """Raise :class:`FormulaError` for anything outside the whitelist; collect the names."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"non-linear formula {text!r}: {node.value!r} is not a number")
        return
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise FormulaError(f"non-linear formula {text!r}: {node.id} is a function; call it "
                               f"as {node.id}(...)")
        names.append(node.id)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, text, names)
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text, names)
        _check(node.right, text, names)
        return
    if isinstance(node, ast.Call):
        fname = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
        if fname not in FUNCTIONS:
            raise FormulaError(f"non-linear formula {text!r}: unknown function {fname!r}; "
                               f"use {', '.join(FUNCTIONS)}")
        if node.keywords or len(node.args) != 1:
            raise FormulaError(f"non-linear formula {text!r}: {fname}() takes one argument")
        _check(node.args[0], text, names)
        return
    raise FormulaError(f"non-linear formula {text!r}: {ast.unparse(node)!r} is not allowed; use "
                       f"numbers, parameters, data columns, + - * / ^ and the functions "
                       f"{', '.join(FUNCTIONS)}")


def parse_nonlinear(text: str, nlpars: list[str] | tuple[str, ...],
                    columns: list[str] | None = None) -> NonlinearExpression:
    """Parse the right-hand side ``text`` of a non-linear formula whose parameters are
    ``nlpars``; every other name must be a data column (of ``columns``, when given).

    Raises
    ------
    FormulaError
        For syntax outside the whitelist, an unknown function or name, or an nlpar that the
        expression does not use (brms refuses those too).

    Examples
    --------
    >>> e = parse_nonlinear("ult * (1 - exp(-(dev / theta)^omega))", ["ult", "omega", "theta"])
    >>> e.nlpars, e.covariates
    (('ult', 'omega', 'theta'), ('dev',))
    >>> import numpy as np
    >>> from bayeszoo.families.ops import NUMPY
    >>> float(e.evaluate({"ult": 2.0, "omega": 1.0, "theta": 1.0, "dev": np.log(2.0)}, NUMPY))
    1.0
    """
    text = text.strip()
    try:
        tree = ast.parse(_python_text(text), mode="eval")
    except SyntaxError:
        raise FormulaError(f"cannot parse the non-linear formula {text!r}") from None
    names: list[str] = []
    _check(tree.body, text, names)
    for name in names:
        if not _NAME.match(name):
            raise FormulaError(f"non-linear formula {text!r}: {name!r} is not a valid name")
    used = set(names)
    unused = [p for p in nlpars if p not in used]
    if unused:
        raise FormulaError(f"the non-linear parameter(s) {unused} have a formula but do not "
                           f"appear in {text!r}")
    covariates = tuple(dict.fromkeys(n for n in names if n not in nlpars))
    if columns is not None:
        unknown = [c for c in covariates if c not in columns]
        if unknown:
            raise FormulaError(f"non-linear formula {text!r}: {unknown} are neither parameters "
                               f"(which have formulas: {list(nlpars)}) nor data columns")
    return NonlinearExpression(text, tuple(nlpars), covariates)


def split_formula(formula: str) -> tuple[str, str]:
    """``"cum ~ ult * dev"`` -> ``("cum", "ult * dev")``: the response side (with brms's
    additions) and the non-linear expression."""
    if "~" not in formula:
        raise FormulaError(f"a non-linear formula needs a response: 'y ~ <expression>', got "
                           f"{formula!r}")
    lhs, rhs = formula.split("~", 1)
    if not lhs.strip():
        raise FormulaError(f"the non-linear formula {formula!r} has no response")
    return lhs.strip(), rhs.strip()


def expression_names(formula: str) -> set[str]:
    """The names a non-linear formula's expression uses (parameters and covariates alike)."""
    text = split_formula(formula)[1]
    try:
        tree = ast.parse(_python_text(text), mode="eval")
    except SyntaxError:
        raise FormulaError(f"cannot parse the non-linear formula {text!r}") from None
    names: list[str] = []
    _check(tree.body, text, names)
    return set(names)
