"""Monotonic effects varying by group, brms's ``(mo(x) | g)`` (:mod:`bayeszoo.formula.mo_terms`).

brms 2.18 (``stan_sp`` in ``R/stan-predictor.R``) adds the group's coefficient to the
population one and multiplies the sum by the one monotonic transform of ``x``:

    eta_n += (bsp_mox + r_g[g_n, mox]) · mo(simo_mox1, x_n),   mo(ζ, x) = D · Σ_{i ≤ x} ζ_i.

The population part is the ``mo`` block (its matrix ``M`` holds the cumulative indicators,
``M_n·(D·bsp·ζ)``); the group part is a column of the group block whose weights, ones in the
design, are multiplied here by ``D · M_n·ζ`` at the simplex's value before the linear
predictor gathers ``r_g[g_n]·w_n`` (:func:`monotonic_weights`). A :class:`MoGroupLink` ties the
group block's column to the ``mo`` block whose simplex it shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayeszoo.design import Design, DesignArrays


@dataclass(frozen=True)
class MoGroupLink:
    """Column ``column`` of the weights of block ``block`` (a group block) is the monotonic
    transform of block ``mo_block``'s predictor (a ``mo`` block of the same linear predictor,
    ``steps`` its ``D``)."""

    block: int
    column: int
    mo_block: int
    steps: int

    def to_list(self) -> list[int]:
        return [self.block, self.column, self.mo_block, self.steps]

    @classmethod
    def from_list(cls, v: list[int]) -> MoGroupLink:
        return cls(*(int(x) for x in v))


def mo_group_links(design: Design) -> tuple[MoGroupLink, ...]:
    """The group blocks' monotonic columns of one linear predictor's ``design``, each with the
    population ``mo`` block of the same label (brms's ``mox``)."""
    mo_blocks = {b.name: j for j, b in enumerate(design.blocks)
                 if b.structure.monotonic}
    links = []
    for st, blocks in zip(design.term_states, design.term_blocks, strict=True):
        for label in getattr(st, "mo", ()):
            if label not in mo_blocks:
                raise ValueError(f"{st.text}: no population-level mo() term for {label!r}")
            j = mo_blocks[label]
            for b in blocks:
                coefs = design.blocks[b].coefs
                if label in coefs:
                    links.append(MoGroupLink(b, coefs.index(label), j,
                                             len(design.blocks[j].labels)))
    return tuple(links)


def monotonic_weights(arrays: DesignArrays, links: tuple[MoGroupLink, ...],
                      simplexes: Mapping[int, Any]) -> DesignArrays:
    """``arrays`` with each linked column of a group block's weights multiplied by
    ``D · M·ζ`` (``simplexes``: the ``mo`` block's index -> its simplex ``ζ``, ``(..., D)``;
    NumPy, JAX or PyTensor). The weights gain the simplex's leading dimensions (``(..., n)``
    or ``(..., n, k)``), which :func:`~bayeszoo.design.linear_predictor` broadcasts."""
    if not links:
        return arrays
    blocks = list(arrays.blocks)
    for link in links:
        blk = blocks[link.block]
        value = link.steps * (simplexes[link.mo_block] @ arrays.blocks[link.mo_block].matrix.T)
        w, design_w = blk.weights, arrays.blocks[link.block].weights
        if design_w.ndim == 1:
            new = w * value
        else:
            pick = np.zeros(design_w.shape[-1])
            pick[link.column] = 1.0
            new = w * ((1.0 - pick) + pick * value[..., None])
        blocks[link.block] = blk._replace(weights=new)
    return arrays._replace(blocks=tuple(blocks))


def group_links_info(design: Design) -> dict[str, Any]:
    """What a fit stores of one linear predictor's links (``{}`` without any): each link and
    the brms name of its simplex (``simo_mox1``)."""
    links = mo_group_links(design)
    if not links:
        return {}
    return {"mo_groups": [{"link": link.to_list(),
                           "simplex": design.blocks[link.mo_block].names.z} for link in links]}


def posterior_monotonic_weights(post: Any, pinfo: Mapping[str, Any],
                                arrays: DesignArrays) -> DesignArrays:
    """:func:`monotonic_weights` of every draw: ``post`` maps brms names to draws (the
    simplexes ``(chain, draw, D)``), ``pinfo`` is the predictor's stored information
    (:func:`group_links_info`)."""
    stored = pinfo.get("mo_groups", ())
    if not stored:
        return arrays
    links = tuple(MoGroupLink.from_list(s["link"]) for s in stored)
    simplexes = {link.mo_block: np.asarray(getattr(post[s["simplex"]], "values",
                                                   post[s["simplex"]]), dtype=float)
                 for link, s in zip(links, stored, strict=True)}
    return monotonic_weights(arrays, links, simplexes)
