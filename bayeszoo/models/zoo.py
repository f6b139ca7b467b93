"""The zoo: named models, each a dataset, a formula and the question it answers.

Pure data plus :func:`describe`; nothing here samples or fits. :func:`bayeszoo.fit` joins an
entry with a sampler and :func:`bayeszoo.reml` fits an entry's ``reml_formula`` (its REML twin:
the same model and family, estimated by mgcv-equivalent restricted maximum likelihood).

>>> from bayeszoo import zoo
>>> zoo.names()[:3]
['radon_pooled', 'radon_unpooled', 'radon_intercept']
>>> zoo.get("radon_intercept").formula
'log_radon ~ 1 + (1 | county)'
"""

from __future__ import annotations

import textwrap

from . import (
    zoo_entries,
    zoo_entries_multivariate,
    zoo_entries_nonlinear,
    zoo_entries_ordinal_censored_serial,
)
from .zoo_entry import DEFAULT_SAMPLER, ZooEntry

__all__ = ["DEFAULT_SAMPLER", "RUN_MODELS", "ZooEntry", "describe", "entries", "get", "names",
           "run_models"]

_ENTRIES: list[ZooEntry] = [*zoo_entries.ENTRIES, *zoo_entries_ordinal_censored_serial.ENTRIES,
                             *zoo_entries_nonlinear.ENTRIES,
                             *zoo_entries_multivariate.ENTRIES]

_REGISTRY: dict[str, ZooEntry] = {e.name: e for e in _ENTRIES}

#: The models ``bayeszoo run`` fits (with their REML twins).
RUN_MODELS: tuple[str, ...] = (
    "radon_pooled",
    "radon_intercept",
    "radon_re_smooth",
    "mcycle_cr20",
    "mcycle_cr50",
    "mcycle_cr20_fx",
    "epilepsy_poisson",
    "epilepsy_negbinomial",
    "mcycle_distributional",
    "mcycle_gp",
    "mcycle_bnn",
    "biochemists_zip",
    "biochemists_hurdle_nb",
)


def run_models(backend: str) -> list[str]:
    """The models of :data:`RUN_MODELS` that ``backend`` can fit.

    Parameters
    ----------
    backend : str
        ``"numpyro"``, ``"pymc"`` or ``"nutpie"``.

    Returns
    -------
    list of str
        The names, in the order ``bayeszoo run`` fits them.
    """
    return [n for n in RUN_MODELS if backend in _REGISTRY[n].backends]


def names() -> list[str]:
    """The names of all models, in the zoo's order.

    Returns
    -------
    list of str
        Every model's name.
    """
    return list(_REGISTRY)


def get(name: str) -> ZooEntry:
    """The entry called ``name``.

    Parameters
    ----------
    name : str
        A name of :func:`names`.

    Returns
    -------
    ZooEntry
        The model.

    Raises
    ------
    KeyError
        Listing the known names, when ``name`` is not one of them.

    Examples
    --------
    >>> from bayeszoo import zoo
    >>> zoo.get("radon")
    Traceback (most recent call last):
    ...
    KeyError: "unknown model 'radon'; the zoo has: radon_pooled, ..."
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown model {name!r}; the zoo has: {', '.join(_REGISTRY)}"
        ) from None


def entries() -> list[ZooEntry]:
    """All entries, in the zoo's order.

    Returns
    -------
    list of ZooEntry
        Every model.
    """
    return list(_ENTRIES)


def describe(name: str) -> str:
    """A few lines on ``name``: dataset, formula, REML twin, question, sampler defaults.

    Parameters
    ----------
    name : str
        A name of :func:`names`.

    Returns
    -------
    str
        The description, one field a line.

    Examples
    --------
    >>> from bayeszoo import zoo
    >>> print(zoo.describe("radon_intercept").splitlines()[2])
      formula:          log_radon ~ 1 + (1 | county)
    """
    e = get(name)
    opts = ", ".join(f"{k}={v}" for k, v in e.sampler_options.items())
    lines = [
        f"{e.name}",
        f"  dataset:          {e.dataset}",
        f"  formula:          {e.formula}",
        f"  family:           {e.family}" + (f" (link {e.link})" if e.link else ""),
        f"  parameterization: {e.parameterization}",
        f"  REML twin:        {e.reml_formula or '(none)'}",
        *([f"  knots:            {e.knots}"] if e.knots else []),
        f"  sampler defaults: {opts}",
        "  description:",
        textwrap.indent(textwrap.fill(e.description, 76), "    "),
        "  question:",
        textwrap.indent(textwrap.fill(e.question, 76), "    "),
    ]
    return "\n".join(lines)
