"""Neural-network terms ``nn(x1, x2, ..., hidden=20, activation="tanh")``: a multilayer
perceptron of the covariates added to a linear predictor, beside the formula's other terms.

The term is fitted once to the training data (each covariate's mean and standard deviation,
as R's ``scale()``: inputs are standardized with them on any data, so that one weight prior
suits every covariate) and evaluated as one block (:class:`bayeszoo.design.Block`, kind
``"nn"``) whose matrix holds the standardized inputs and whose structure,
:class:`bayeszoo.structures.network.Network`, computes the network's output from its weights.
The network is :class:`bayeszoo.nn.MLP` with ``out_features=1`` and a linear output; its
output bias is the formula's intercept (``0 + nn(...)`` leaves it out).

Names (for ``nn(times)`` in the formula of ``mu``): the block ``nntimes``, the weights
``nn_nntimes`` (one vector, coordinates ``w1[times,1]``, ``b1[1]``, …, ``w2[1]``), the prior
groups ``nn_nntimes_w1``, ``nn_nntimes_b1``, ``nn_nntimes_w2`` with the class keys ``nn_w1``,
``nn_b1``, ``nn_w2`` (``nn_sigma_...`` in the formula of ``sigma``).

Default priors (Normal, mean 0; ``priors=`` sets each group with ``normal(0, s)``): weights
into hidden layer ``k`` ``2.5/√fan_in`` and its biases 2.5 (the scale of rstanarm's default
``normal(0, 2.5)`` for coefficients of standardized predictors, Gelman, Jakulin, Pittau & Su
2008, Ann. Appl. Stat. 2(4)); the output weights ``S/√H`` with ``H`` the last hidden layer's
size and ``S`` the scale of the default prior of the predictor's intercept (brms's
``mad(y)``-based scale for ``mu`` with an identity link, 2.5 on other links): Neal's (1996)
``1/√H`` scaling, under which the prior standard deviation of the network's output stays near
``S`` whatever the width.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Block, BlockNames, CoefficientPrior
from bayeszoo.structures.network import ACTIVATIONS, Network

from .columns import is_numeric
from .errors import FormulaError, unknown_column
from .naming import brms_name, smooth_label
from .term_base import (
    BuildContext,
    CallTerm,
    FitContext,
    TermColumns,
    TermState,
    TermType,
    parse_call,
)

SUPPORTED_ARGS = ("hidden", "activation")
DEFAULT_HIDDEN = (20,)
DEFAULT_ACTIVATION = "tanh"
#: Prior standard deviation of hidden-layer biases and (times √fan_in) of their weights.
HIDDEN_PRIOR_SD = 2.5


@dataclass
class NnTerm(CallTerm):
    """``nn(x1, x2, ..., hidden=20, activation="tanh")``: a neural network of the covariates
    (bayeszoo's own term; neither brms nor mgcv has one) with its arguments as R values."""

    term_kind = "nn"
    function = "nn"
    is_network = True


@dataclass(frozen=True)
class NnState(TermState):
    """A fitted ``nn()``: its brms-style label (``nntimes``) and term (``nn(times)``), the
    covariates with their means and standard deviations, the hidden layers' sizes and the
    activation."""

    kind = "nn"
    predicted_curve = True
    label: str = ""
    term: str = ""
    variables: tuple[str, ...] = ()
    center: tuple[float, ...] = ()
    scale: tuple[float, ...] = ()
    hidden: tuple[int, ...] = ()
    activation: str = DEFAULT_ACTIVATION

    @property
    def covariates(self) -> tuple[str, ...]:
        return self.variables

    @property
    def curve_covariates(self) -> tuple[str, ...]:
        return self.variables

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "label": self.label, "term": self.term,
                "variables": list(self.variables), "center": list(self.center),
                "scale": list(self.scale), "hidden": list(self.hidden),
                "activation": self.activation}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NnState:
        return cls(text=d["text"], label=d["label"], term=d["term"],
                   variables=tuple(d["variables"]), center=tuple(d["center"]),
                   scale=tuple(d["scale"]), hidden=tuple(d["hidden"]),
                   activation=d["activation"])


def _hidden(value, nt: NnTerm) -> tuple[int, ...]:
    vals = value if isinstance(value, tuple) else (value,)
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v or v < 1:
            raise FormulaError(f"{nt.text}: hidden must be a positive integer or c(...) of "
                               f"them (one per hidden layer), got {v!r}")
    return tuple(int(v) for v in vals)


def _activation(value, nt: NnTerm) -> str:
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise FormulaError(f'{nt.text}: activation must be one of '
                           f'{", ".join(repr(a) for a in ACTIVATIONS)} (quoted, e.g. '
                           f'activation="tanh"), got {value!r}')
    return str(value)


def _numeric_column(var: str, data: pd.DataFrame, columns: dict[str, object],
                    text: str) -> np.ndarray:
    if var not in columns:
        raise unknown_column(var, columns, text)
    s = data[columns[var]]
    if not is_numeric(s):
        raise FormulaError(f"{text}: covariate {var!r} is not numeric (dtype {s.dtype}); a "
                           "network takes numeric inputs: put factors beside it as fixed terms")
    return np.asarray(s, dtype=float)


def fit_nn_term(nt: NnTerm, data: pd.DataFrame, columns: dict[str, object]) -> NnState:
    """The state of ``nn(...)`` fitted to ``data``: covariates, their means and standard
    deviations (R's ``scale()``: ``n - 1`` in the denominator), layer sizes, activation."""
    hidden, activation = DEFAULT_HIDDEN, DEFAULT_ACTIVATION
    for key, val in nt.args.items():
        if key == "hidden":
            hidden = _hidden(val, nt)
        elif key == "activation":
            activation = _activation(val, nt)
        else:
            raise FormulaError(f"{nt.text}: unsupported argument {key!r} (supported: "
                               + ", ".join(SUPPORTED_ARGS) + ")")
    if len(set(nt.variables)) != len(nt.variables):
        raise FormulaError(f"{nt.text}: a covariate is given twice")
    center, scale = [], []
    for var in nt.variables:
        x = _numeric_column(var, data, columns, nt.text)
        sd = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
        if not sd > 0 or not math.isfinite(sd):
            raise FormulaError(f"{nt.text}: covariate {var!r} is constant in the data; a "
                               "network cannot standardize it: drop it from the term")
        center.append(float(np.mean(x)))
        scale.append(sd)
    label = smooth_label("nn", nt.variables)
    return NnState(text=nt.text, label=label, term=f"nn({','.join(nt.variables)})",
                   variables=tuple(nt.variables), center=tuple(center), scale=tuple(scale),
                   hidden=tuple(hidden), activation=activation)


def weight_labels(network: Network, variables: list[str]) -> list[str]:
    """Coordinates of the flat weight vector: ``w1[times,1]``, ``b1[1]``, ``w2[1,3]``, …,
    ``w<L+1>[j]`` (units numbered from 1)."""
    labels: list[str] = []
    for name, shape in network.groups():
        if name == "w1":
            labels += [f"w1[{brms_name(v)},{u + 1}]" for v in variables for u in range(shape[1])]
        elif len(shape) == 2:
            labels += [f"{name}[{i + 1},{u + 1}]" for i in range(shape[0])
                       for u in range(shape[1])]
        else:
            labels += [f"{name}[{u + 1}]" for u in range(shape[0])]
    return labels


def coefficient_priors(network: Network, coef: str, dpar: str | None
                       ) -> tuple[CoefficientPrior, ...]:
    """One prior per weight group (see the module doc for the defaults)."""
    cls = f"nn_{dpar}_" if dpar else "nn_"
    n_layers = len(network.hidden)
    out = []
    for name, shape in network.groups():
        if name == f"w{n_layers + 1}":
            sd, scaled = 1.0 / math.sqrt(shape[0]), True
        elif name.startswith("w"):
            sd, scaled = HIDDEN_PRIOR_SD / math.sqrt(shape[0]), False
        else:
            sd, scaled = HIDDEN_PRIOR_SD, False
        out.append(CoefficientPrior(f"{coef}_{name}", (f"{coef}_{name}", f"{cls}{name}"), sd,
                                    scaled))
    return tuple(out)


def nn_inputs(state: NnState, data: pd.DataFrame,
              columns: dict[str, object]) -> np.ndarray:
    """The standardized inputs (``n × covariates``) of a fitted ``nn()`` term on ``data``."""
    x = np.column_stack([_numeric_column(v, data, columns, state.text)
                         for v in state.variables])
    return (x - np.asarray(state.center)) / np.asarray(state.scale)


def nn_block(state: NnState, data: pd.DataFrame, columns: dict[str, object],
             dpar: str | None = None) -> Block:
    """The block of a fitted ``nn()`` term on ``data``."""
    network = Network(in_features=len(state.variables), hidden=state.hidden,
                      activation=state.activation)
    coef = f"nn_{dpar}_{state.label}" if dpar else f"nn_{state.label}"
    labels = weight_labels(network, list(state.variables))
    names = BlockNames(scales=(), coef=coef, dims=(f"{coef[3:]}_weight",),
                       coords=(tuple(labels),),
                       coef_priors=coefficient_priors(network, coef, dpar))
    return Block(name=state.label, kind="nn", coef=None, term=state.term, labels=labels,
                 names=names, matrix=nn_inputs(state, data, columns), structure=network)


class NnType(TermType):
    """bayeszoo's ``nn()``."""

    kind = "nn"
    calls = ("nn",)
    state = NnState

    def parse(self, text: str, pos: int, formula: str) -> NnTerm:
        variables, args = parse_call(text, pos, formula)
        return NnTerm(text=text, variables=variables, args=args, pos=pos)

    def fit(self, term: NnTerm, planned: None, ctx: FitContext) -> NnState:
        return fit_nn_term(term, ctx.data, ctx.columns)

    def build(self, state: NnState, ctx: BuildContext) -> TermColumns:
        return TermColumns(blocks=[nn_block(state, ctx.data, ctx.columns, ctx.dpar)])


TERM_TYPE = NnType()
