"""brms's names, in one place: coefficient columns, block scales and coefficient arrays.

* ``rename`` is brms's ``rename()`` of coefficient names (R/misc.R): spaces, brackets, commas and
  quotes removed; ``+`` -> ``P``, ``-`` -> ``M``, ``*`` -> ``MU``, ``/`` -> ``D``, ``^`` -> ``E``,
  ``=`` -> ``EQ``.
* A response written as an expression: ``log(earn)`` -> ``logearn`` (:func:`response_name`).
* Fixed columns: ``Intercept``, ``floor``, ``countyANOKA`` (formulaic's ``county[T.ANOKA]``),
  ``floor:log_uranium``; parameters ``b_<col>`` (``bs_<col>`` for a smooth's unpenalized
  columns), with the distributional parameter after the class: ``b_sigma_Intercept``.
* Blocks: ``sd_<group>__<coef>`` and ``r_<group>`` (``r_<group>__<coef>`` for a slope);
  smooths ``sds_<label>_<j>`` and ``s_<label>_<j>``; again with ``<dpar>_`` after the class or
  before the coefficient: ``sd_g__sigma_Intercept``, ``sds_sigma_stimes_1``.
"""

from __future__ import annotations

import re

_PATTERN = [" ", "(", ")", "[", "]", ",", '"', "'", "?", "+", "-", "*", "/", "^", "="]
_REPL = [""] * 9 + ["P", "M", "MU", "D", "E", "EQ"]


def brms_name(name: str) -> str:
    """brms's ``rename()`` of a coefficient name."""
    for p, r in zip(_PATTERN, _REPL, strict=True):
        name = name.replace(p, r)
    return name


def response_name(expression: str) -> str:
    """brms's name of a response written as an expression (``terms_resp``): R's
    ``make.names`` of its text (an ``X`` before a text that does not start with a letter or a
    dot, every other character not a letter, digit, dot or underscore made a dot), then
    ``make_stan_names``'s removal of dots and underscores: ``log(earn)`` -> ``logearn``,
    ``log(y + 1)`` -> ``logy1``, ``(y - 1)`` -> ``Xy1``."""
    text = expression.strip()
    if not re.match(r"[^\W\d_]|\.(?!\d)", text):
        text = "X" + text
    return re.sub(r"[^\w.]|[._]", "", text)


def smooth_label(kind: str, variables: tuple[str, ...] | list[str]) -> str:
    """brms's label of a smooth or GP term (``tidy_smef``/``tidy_gpef``): the call name followed
    by :func:`brms_name` of the covariates pasted together (``stimes``, ``t2TempWind``,
    ``slog_uranium``, ``gptimes``)."""
    return f"{kind}{brms_name(''.join(variables))}"


def split_colon(name: str) -> list[str]:
    """``a:b[T.x]:c`` -> ``["a", "b[T.x]", "c"]`` (colons inside brackets kept)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(name):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == ":" and depth == 0:
            out.append(name[start:i])
            start = i + 1
    out.append(name[start:])
    return out


def unalias(text: str, reverse: dict[str, str]) -> str:
    """Text written on aliased columns (``_bzv0_``) in the user's names, without formulaic's
    terminal colours and markers."""
    text = re.sub(r"_bzv\d+_", lambda m: reverse.get(m.group(0), m.group(0)), text)
    text = re.sub(r"\x1b\[[0-9;]*m|[⧛⧚]", "", text)
    return text.replace("**", "^")


def model_matrix_name(name: str, reverse: dict[str, str]) -> str:
    """formulaic's column name on aliased columns -> R's ``model.matrix`` name (what lme4
    prints), without brms's renaming: ``_bzv0_[T.ANOKA]`` -> ``countyANOKA``;
    ``_bzv1_:_bzv2_`` -> ``floor:log_uranium``."""
    return ":".join(_column_parts(name, reverse))


def fixed_column_name(name: str, reverse: dict[str, str]) -> str:
    """formulaic's column name on aliased columns -> brms's: ``_bzv0_[T.ANOKA]`` ->
    ``countyANOKA``; ``_bzv1_:_bzv2_`` -> ``floor:log_uranium``."""
    return ":".join(brms_name(part) for part in _column_parts(name, reverse))


def _column_parts(name: str, reverse: dict[str, str]) -> list[str]:
    parts = []
    for part in split_colon(name):
        m = re.match(r"^(.*?)\[(?:T\.)?(.*)\]$", part, re.S)
        if m and m.group(1):
            part = unalias(m.group(1), reverse) + m.group(2)
        else:
            part = unalias(part, reverse)
        parts.append(part)
    return parts


def _dp(dpar: str | None) -> str:
    return f"{dpar}_" if dpar else ""


def fixed_param(column: str, smooth: bool = False, dpar: str | None = None) -> str:
    """``b_floor``, ``bs_stimes_1``, ``b_sigma_Intercept``."""
    return f"{'bs' if smooth else 'b'}_{_dp(dpar)}{column}"


def re_sd_param(group: str, coef: str, dpar: str | None = None) -> str:
    """``sd_county__Intercept``, ``sd_g__sigma_Intercept``."""
    return f"sd_{group}__{_dp(dpar)}{coef}"


def re_coef_param(group: str, coef: str | None, dpar: str | None = None) -> str:
    """``r_county`` (intercept or several coefficients), ``r_county__floor`` (one slope),
    ``r_county__sigma`` (a distributional parameter's intercept)."""
    tail = (f"__{dpar}" if dpar else "") + (f"_{coef}" if dpar and coef else
                                            f"__{coef}" if coef else "")
    return f"r_{group}{tail}"


def cor_param(group: str, a: str, b: str, dpar: str | None = None) -> str:
    """``cor_g__Intercept__x``."""
    return f"cor_{group}__{_dp(dpar)}{a}__{_dp(dpar)}{b}"


def smooth_sd_param(label: str, dpar: str | None = None) -> str:
    """``sds_stimes_1``, ``sds_sigma_stimes_1``."""
    return f"sds_{_dp(dpar)}{label}"


def smooth_coef_param(label: str, dpar: str | None = None) -> str:
    """``s_stimes_1``, ``s_sigma_stimes_1``."""
    return f"s_{_dp(dpar)}{label}"


def name_clash(first: str, second: str, what: str) -> str:
    """The message for two terms whose generated names coincide: brms names a smooth, GP or
    network after its call and its covariates' names pasted together, so ``s(x, y)`` and
    ``s(xy)`` are both ``sxy`` and ``what`` (their parameters or columns) would be shared."""
    return (f"{first} and {second} get the same generated name, so {what} would be shared: "
            "a smooth, GP or network is named after its call and its covariates' names pasted "
            "together (s(x, y) and s(xy) are both 'sxy'); rename a column so that the pasted "
            "names differ (e.g. xy to x_y), or drop one of the terms if they are the same")
