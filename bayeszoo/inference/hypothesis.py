"""brms's ``hypothesis``: posterior summaries of expressions of the parameters, tested against
zero.

A hypothesis is ``left (= or < or >) right`` (``"floor < 0"``, ``"b_a - b_b = 0"``,
``"exp(Intercept) > 1"``); as brms's ``eval_hypothesis`` (``R/hypothesis.R``) it is evaluated
as ``(left) - (right)`` per draw and summarized by ``Estimate`` (mean), ``Est.Error`` (sd), a
credible interval (``CI.Lower``/``CI.Upper``: the ``alpha``/``1 - alpha`` quantiles for a
one-sided hypothesis, ``alpha/2``/``1 - alpha/2`` for a two-sided one), ``Evid.Ratio`` and
``Post.Prob``. One-sided: the evidence ratio is the posterior odds of the hypothesis (draws on
its side over draws on the other) and ``Post.Prob`` its posterior probability. Two-sided: the
Savage–Dickey density ratio at zero (:mod:`bayeszoo.inference.density_ratio`), the posterior
density of the expression over its prior density, from prior draws of every parameter it
names (a fit sampled with ``sample_prior="yes"``), and ``Post.Prob = ER / (1 + ER)``; without
such prior draws both are NaN, as brms reports them. ``Star`` marks a one-sided hypothesis
whose posterior probability exceeds ``1 - alpha``, a two-sided one whose interval excludes
zero.

Variable names are looked up with the class prefix first (``class_="b"``: ``floor`` means
``b_floor``) and then as written (``b_floor``); ``name[label]`` picks an element of an array
variable by its coordinate labels (``r_county[ANOKA]``, ``r_Subject[308,Days]``). Functions:
``exp``, ``log``, ``sqrt``, ``abs``; ``^`` is a power.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .density_ratio import savage_dickey

COLUMNS = ["Hypothesis", "Estimate", "Est.Error", "CI.Lower", "CI.Upper", "Evid.Ratio",
           "Post.Prob", "Star"]
FUNCTIONS = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs}
#: brms's ``find_vars``: a name starts with a letter (or a dot not before a digit), goes on
#: with letters, digits, ``_``, ``:`` and ``.``, and may end in ``[label, ...]``.
VARIABLE = re.compile(r"(?<![\w.])(?:[A-Za-z]|\.(?!\d))[\w:.]*(?:\[[^\],]+(?:,[^\],]+)*\])?")
OPERATORS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
             ast.Div: np.divide, ast.Pow: np.power}


def split_hypothesis(h: str) -> tuple[str, str]:
    """``"a - b > 1"`` -> (``"(a-b)-(1)"``, ``">"``): brms's parsing, whitespace removed."""
    text = re.sub(r"\s", "", h)
    signs = re.findall(r"[=<>]", text)
    sides = re.findall(r"[^=<>]+", text)
    if len(signs) != 1 or len(sides) != 2:
        raise ValueError(f"hypothesis {h!r} must be of the form 'left (= or < or >) right', "
                         "e.g. 'floor < 0' or 'b_a - b_b = 0'")
    expr = f"({sides[0]})" + (f"-({sides[1]})" if sides[1] != "0" else "")
    return expr, signs[0]


def variable_draws(posterior: Mapping[str, Any], token: str, prefix: str) -> np.ndarray:
    """The draws (``chain·draw``) of ``token``: ``prefix + name`` or ``name``, an element
    ``name[label, ...]`` of an array variable picked by its coordinate labels."""
    name, _, rest = token.partition("[")
    found = next((n for n in (prefix + name, name) if n in posterior), None)
    if found is None:
        raise ValueError(f"hypothesis: no parameter {prefix + name!r} or {name!r} in the "
                         f"posterior; have {', '.join(map(str, list(posterior)[:12]))} ...")
    da = posterior[found]
    x = np.asarray(da, dtype=float)
    labels = [s.strip() for s in rest.rstrip("]").split(",")] if rest else []
    if len(labels) != x.ndim - 2:
        raise ValueError(f"hypothesis: {found!r} has {x.ndim - 2} dimension(s) beyond chain "
                         f"and draw; write it with as many labels in brackets "
                         f"(got {token!r})")
    for dim, label in zip(da.dims[2:], labels, strict=True):
        coords = [str(v) for v in np.asarray(da[dim].values)]
        if label not in coords:
            raise ValueError(f"hypothesis: {label!r} is not a label of {dim!r} of {found!r}; "
                             f"have {', '.join(coords[:10])}{' ...' if len(coords) > 10 else ''}")
        x = np.take(x, coords.index(label), axis=2)
    return x.reshape(-1)


def evaluate(node: ast.AST, values: dict[str, np.ndarray], h: str) -> Any:
    """The arithmetic expression ``node`` on the draws ``values`` (placeholders -> draws)."""
    if isinstance(node, ast.Expression):
        return evaluate(node.body, values, h)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](evaluate(node.left, values, h),
                                        evaluate(node.right, values, h))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        v = evaluate(node.operand, values, h)
        return -v if isinstance(node.op, ast.USub) else v
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in FUNCTIONS and len(node.args) == 1 and not node.keywords):
        return FUNCTIONS[node.func.id](evaluate(node.args[0], values, h))
    raise ValueError(f"hypothesis {h!r}: only numbers, parameters, + - * / ^ and "
                     f"{', '.join(FUNCTIONS)} are allowed")


def hypothesis_draws(posterior: Mapping[str, Any], expr: str, prefix: str) -> np.ndarray:
    """Draws of the expression ``expr`` (from :func:`split_hypothesis`)."""
    tokens: dict[str, str] = {}

    def swap(m: re.Match) -> str:
        token = m.group(0)
        end = m.end()
        if token in FUNCTIONS and end < len(expr) and expr[end] == "(":
            return token
        return tokens.setdefault(token, f"_v{len(tokens)}")

    code = VARIABLE.sub(swap, expr).replace("^", "**")
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        raise ValueError(f"hypothesis {expr!r} is not a valid expression") from None
    if not tokens:
        raise ValueError(f"hypothesis {expr!r} names no parameter")
    evaluate(tree, dict.fromkeys(tokens.values(), np.ones(1)), expr)  # only allowed syntax
    values = {v: variable_draws(posterior, t, prefix) for t, v in tokens.items()}
    result = evaluate(tree, values, expr)
    return np.broadcast_to(result, next(iter(values.values())).shape).astype(float)


def prior_expression_draws(prior: Mapping[str, Any] | None, expr: str,
                           prefix: str) -> np.ndarray | None:
    """Prior draws of ``expr``, or ``None`` when ``prior`` lacks a parameter it names (brms's
    ``prior_draws`` of all of them or none)."""
    if prior is None:
        return None
    try:
        return hypothesis_draws(prior, expr, prefix)
    except ValueError:
        return None


def hypothesis(posterior: Mapping[str, Any], hypotheses: str | list[str], class_: str = "b",
               alpha: float = 0.05, prior: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """brms's ``hypothesis(fit, hypotheses, class = class_, alpha = alpha)$hypothesis``: one row
    per hypothesis (see the module doc); ``posterior``: brms name -> ``chain × draw × ...``
    DataArray (an InferenceData's ``posterior``); ``prior``: the same for prior draws (an
    InferenceData's ``prior`` group), for the evidence ratio of two-sided hypotheses."""
    if isinstance(hypotheses, str):
        hypotheses = [hypotheses]
    if not hypotheses or not all(isinstance(h, str) for h in hypotheses):
        raise ValueError("hypothesis: give a string such as 'floor < 0' or a list of them")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    prefix = f"{class_}_" if class_ else ""
    rows = []
    for h in hypotheses:
        expr, sign = split_hypothesis(h)
        x = hypothesis_draws(posterior, expr, prefix)
        probs = [alpha / 2, 1 - alpha / 2] if sign == "=" else [alpha, 1 - alpha]
        lo, hi = np.quantile(x, probs)
        if sign == "=":
            x_prior = prior_expression_draws(prior, expr, prefix)
            ratio = float("nan") if x_prior is None else savage_dickey(x, x_prior)
        else:
            inside = int(np.sum(x < 0 if sign == "<" else x > 0))
            ratio = inside / (x.size - inside) if inside < x.size else float("inf")
        prob = 1.0 if np.isinf(ratio) else ratio / (1 + ratio)
        star = not lo <= 0 <= hi if sign == "=" else prob > 1 - alpha
        rows.append([f"{expr} {sign} 0", float(np.mean(x)), float(np.std(x, ddof=1)),
                     float(lo), float(hi), ratio, prob, "*" if star else ""])
    return pd.DataFrame(rows, columns=COLUMNS)
