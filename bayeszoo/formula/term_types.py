"""The registry of formula term types: the one place :mod:`.parse` and :mod:`.build` look a term
up, by the text written (:func:`recognise`) or by a fitted state's ``kind``
(:func:`term_type`, :func:`state_from_dict`).

Each type is one module (:mod:`.random_terms`, :mod:`.smooth_terms`, :mod:`.gp_terms`,
:mod:`.nn_terms`, :mod:`.mo_terms`, :mod:`.cs_terms`,
:mod:`.ar_terms`) that defines its parsed term, its frozen
state and a :class:`~bayeszoo.formula.term_base.TermType` instance ``TERM_TYPE``; adding a type
is one such module and one line in :data:`TERM_TYPES`. Calls that brms writes but bayeszoo does
not model (:data:`UNSUPPORTED`) are refused with the list of supported terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import ar_terms, cs_terms, gp_terms, mo_terms, nn_terms, random_terms, smooth_terms
from .errors import FormulaError
from .term_base import CALL, TermState, TermType

#: kind -> term type, in the order they are tried on a term's text.
TERM_TYPES: dict[str, TermType] = {
    mo_terms.TERM_TYPE.kind: mo_terms.TERM_TYPE,
    cs_terms.TERM_TYPE.kind: cs_terms.TERM_TYPE,
    random_terms.TERM_TYPE.kind: random_terms.TERM_TYPE,
    smooth_terms.TERM_TYPE.kind: smooth_terms.TERM_TYPE,
    gp_terms.TERM_TYPE.kind: gp_terms.TERM_TYPE,
    nn_terms.TERM_TYPE.kind: nn_terms.TERM_TYPE,
    ar_terms.TERM_TYPE.kind: ar_terms.TERM_TYPE,
}

#: brms's special terms that bayeszoo does not model.
UNSUPPORTED = ("me", "mi", "mm", "car", "cosy")


def register(term_type: TermType) -> None:
    """Add ``term_type`` to the registry (``ValueError`` if its kind or a call name is taken)."""
    taken = {c for t in TERM_TYPES.values() for c in t.calls} | {"offset"}
    clash = sorted(set(term_type.calls) & taken)
    if term_type.kind in TERM_TYPES or clash:
        raise ValueError(f"term type {term_type.kind!r} clashes with a registered one "
                         f"({clash or term_type.kind})")
    TERM_TYPES[term_type.kind] = term_type


def unregister(kind: str) -> None:
    """Remove the term type ``kind`` from the registry."""
    del TERM_TYPES[kind]


def supported() -> str:
    """The supported terms, for error messages."""
    calls = [f"{c}()" for t in TERM_TYPES.values() for c in t.calls]
    return ", ".join(["fixed terms", "(lhs | group)", *calls, "offset()"])


def recognise(text: str) -> TermType | None:
    """The term type of one term's ``text``, ``None`` for a fixed term or an offset;
    :class:`FormulaError` for a call brms knows but bayeszoo does not model."""
    for term_type in TERM_TYPES.values():
        if term_type.recognises(text):
            return term_type
    call = CALL.match(text)
    if call and call.group(1) in UNSUPPORTED:
        raise FormulaError(f"{text}: term type {call.group(1)}() is not supported; supported: "
                           f"{supported()}")
    return None


def term_type(kind: str) -> TermType:
    """The registered term type ``kind``."""
    if kind not in TERM_TYPES:
        raise FormulaError(f"no term type {kind!r} is registered (known: "
                           f"{', '.join(TERM_TYPES)})")
    return TERM_TYPES[kind]


def state_from_dict(d: Mapping[str, Any]) -> TermState:
    """A fitted term's typed state from its stored JSON dict (``{"kind": ..., ...}``)."""
    return term_type(d["kind"]).state.from_dict(d)


def stored_term_states(states: Mapping[str, Any]) -> dict[str | None, tuple[TermState, ...]]:
    """The typed term states of every linear predictor of a fit's stored ``states``
    (``Design.states``, as a fit keeps them): ``None`` for the mean's formula, then each
    distributional (and non-linear) parameter's by name."""
    out = {None: tuple(state_from_dict(d) for d in states["terms"])}
    for name, sub in (states.get("dpars", {}) | states.get("nlpars", {})).items():
        out[name] = tuple(state_from_dict(d) for d in sub["terms"])
    return out
