"""bayeszoo: hierarchical models and smooths as one design, fitted by mgcv-equivalent REML,
NumPyro and PyMC, compared by LOO, diagnosed in one HTML report; neural nets on the same JAX.

Importing the package is cheap: it imports nothing but the standard library; NumPy, pandas,
SciPy, JAX, PyMC, ArviZ and Flax load on first use of what needs them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bayeszoo.design import Design

__version__ = "0.1.0"

_LAZY: dict[str, tuple[str, str | None]] = {
    "Block": ("bayeszoo.design", "Block"),
    "Design": ("bayeszoo.design", "Design"),
    "datasets": ("bayeszoo.datasets", None),
    "families": ("bayeszoo.families", None),
    "runtime": ("bayeszoo.runtime", None),
    "smooths": ("bayeszoo.smooths", None),
    "reml": ("bayeszoo.penalized", "reml"),
    "bam": ("bayeszoo.penalized.bam", "bam"),
    "RemlFit": ("bayeszoo.penalized", "RemlFit"),
    "sample": ("bayeszoo.inference.sampling", "sample"),
    "sample_big": ("bayeszoo.inference.big_data", "sample_big"),
    "Fit": ("bayeszoo.inference.fit", "Fit"),
    "predict": ("bayeszoo.inference.predict", "predict"),
    "bf": ("bayeszoo.formula", "bf"),
    "mvbf": ("bayeszoo.formula", "mvbf"),
    "loo": ("bayeszoo.inference.compare", "loo"),
    "compare": ("bayeszoo.inference.compare", "compare"),
    "pp_average": ("bayeszoo.inference.averaging", "pp_average"),
    "kfold": ("bayeszoo.inference.refit", "kfold"),
    "sbc": ("bayeszoo.inference.sbc", "sbc"),
    "SbcResult": ("bayeszoo.inference.sbc_result", "SbcResult"),
    "SamplerWarning": ("bayeszoo.diagnostics", "SamplerWarning"),
    "ConvergenceWarning": ("bayeszoo.diagnostics", "ConvergenceWarning"),
    "zoo": ("bayeszoo.models.zoo", None),
    "fit": ("bayeszoo.api", "fit"),
    "get_prior": ("bayeszoo.models.prior_table", "get_prior"),
    "save": ("bayeszoo.api", "save"),
    "load": ("bayeszoo.api", "load"),
    "report": ("bayeszoo.reports", "report"),
    "headline": ("bayeszoo.api", "headline"),
    "NUMPY": ("bayeszoo.families.ops", "NUMPY"),
}

__all__ = sorted([*_LAZY, "design"])


def design(formula: Any, data: Any, **kwargs: Any) -> Design:
    """Parse ``formula`` (a string or :func:`bayeszoo.bf`) against the DataFrame ``data`` into
    a :class:`Design` (see :func:`bayeszoo.formula.design` for the syntax and options).

    Parameters
    ----------
    formula : str or BrmsFormula
        The model's formula in brms's syntax, with mgcv's smooths.
    data : pandas.DataFrame
        The data.
    **kwargs : Any
        Options of :func:`bayeszoo.formula.design` (``family``, ``knots``, ``na_action``, ...).

    Returns
    -------
    Design
        The response, the fixed-effect matrix ``X`` and one block per random or smooth term.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> d = bz.design("log_radon ~ 1 + (1 | county)", bz.datasets.load_radon())
    >>> d.X.shape, [block.size for block in d.blocks]
    ((919, 1), [85])
    """
    from bayeszoo.formula import design as build

    return build(formula, data, **kwargs)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'bayeszoo' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))


class Package(types.ModuleType):
    """The package module: importing the submodule ``bayeszoo.design`` (which Python binds as the
    package's attribute ``design``) leaves the function :func:`design` in place; the module
    stays reachable as ``sys.modules["bayeszoo.design"]`` and through ``from bayeszoo.design
    import ...``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "design" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = Package
