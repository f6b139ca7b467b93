"""Response families: each owns its link, auxiliary parameters, default priors, log density,
mean and predictive draws (one module per family)."""

from __future__ import annotations

from typing import Any

from .gaussian import Gaussian

FAMILIES = {"gaussian": Gaussian}


def get(family: Any = None):
    """A family object from a name (``"gaussian"``) or a family object (passed through);
    ``None`` is gaussian."""
    if family is None:
        return Gaussian()
    if isinstance(family, str):
        if family not in FAMILIES:
            raise ValueError(f"unknown family {family!r}; use one of {', '.join(FAMILIES)}")
        return FAMILIES[family]()
    return family


def names() -> list[str]:
    return list(FAMILIES)
