"""The term-type registry (:mod:`bayeszoo.formula.term_types`): every type's state survives JSON,
the registry alone decides how a term is parsed and built, and a design answers questions about
its terms from their typed states."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bayeszoo.design import Block, BlockNames, ScaleParam
from bayeszoo.formula import (
    TERM_TYPES,
    FormulaError,
    design,
    evaluate_design,
    parse_formula,
    register,
    unregister,
)
from bayeszoo.formula.state import decode, encode
from bayeszoo.formula.term_base import (
    CallTerm,
    TermColumns,
    TermState,
    TermType,
    parse_call,
)
from bayeszoo.formula.term_types import UNSUPPORTED, state_from_dict


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 120
    g = np.repeat([f"g{i}" for i in range(8)], n // 8)
    return pd.DataFrame({
        "y": rng.normal(size=n), "x": rng.normal(size=n), "t": rng.uniform(0, 10, size=n),
        "u": rng.uniform(size=n), "g": pd.Categorical(g),
        "h": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
        "f": pd.Categorical(rng.choice(["p", "q"], size=n)),
        "k": pd.Categorical(rng.choice(["u", "v", "w", "z"], size=n)),
        "tr": np.round(rng.uniform(0, 5, size=n), 1)})


#: at least one term of every registered type, in the variants whose states differ in layout
EVERY_TYPE = ("y ~ x + (1 + x | g) + (1 + x || h) + (1 | f/g) + s(t, k=5) + te(u, tr, k=4) "
              "+ s(k, bs=\"re\") + s(u, by=f, k=4) + gp(t, k=5, c=5/4) + gp(tr, by=f) "
              "+ nn(x, u, hidden=3) + mo(k) + ar(time = t, gr = g, p = 2)")


def _json(state: TermState) -> str:
    return json.dumps(encode(state.to_dict()), sort_keys=True)


def test_every_registered_type_round_trips_its_state_through_json(frame):
    with pytest.warns(UserWarning, match="linear combinations"):  # stored as "aliased" too
        d = design(EVERY_TYPE, frame)
    assert d.aliased
    # cs() needs an ordinal response: its round trip is in test_category_specific.py
    assert {st.kind for st in d.term_states} == set(TERM_TYPES) - {"cs"}
    for st, stored in zip(d.term_states, d.states["terms"], strict=True):
        text = _json(st)
        back = state_from_dict(decode(json.loads(text)))
        assert type(back) is type(st) and back.text == st.text
        assert _json(back) == text
        assert json.dumps(encode(stored), sort_keys=True) == text  # the stored layout
    stored = decode(json.loads(json.dumps(encode(d.states))))
    again = evaluate_design(stored, frame, require_response=True)
    np.testing.assert_allclose(again.X, d.X, rtol=0, atol=1e-12)
    assert again.column_names == d.column_names
    assert [b.names for b in again.blocks] == [b.names for b in d.blocks]
    for a, b in zip(again.blocks, d.blocks, strict=True):
        np.testing.assert_allclose(a.Z, b.Z, rtol=0, atol=1e-12)
    assert again.term_blocks == d.term_blocks


def test_design_answers_questions_about_its_terms(frame):
    d = design("y ~ x + (1 + x | g) + s(t, k=5) + gp(t, k=5, c=5/4)", frame)
    rt, sm, gp = d.term_states
    assert [st.kind for st in d.term_states] == ["random", "smooth", "gp"]
    (blk,) = d.blocks_of("(1 + x | g)")
    assert blk is d.blocks[0] and blk.name == "g" and blk.coefs == ("Intercept", "x")
    assert [b.name for b in d.blocks_of(sm)] == ["st_1"]
    assert [b.name for b in d.blocks_of(2)] == ["gpt"]
    assert d.blocks_of(sm)[0].coefs == (None,)
    assert d.group_terms == [rt]
    g = d.grouping("g")
    assert g.variables == ("g",) and g.labels == tuple(f"g{i}" for i in range(8))
    assert list(d.groupings) == ["g"]
    assert d.covariates_of("(1 + x | g)") == ("g",)
    assert d.covariates_of(sm) == ("t",) and d.covariates_of(gp) == ("t",)
    assert d.curve_covariates == ["t", "t"]
    assert rt.correlated and rt.coefs == ("Intercept", "x")
    with pytest.raises(KeyError, match="no grouping factor 'h'"):
        d.grouping("h")
    with pytest.raises(KeyError, match="not a term"):
        d.blocks_of("(1 | h)")
    iid = design("y ~ (1 | g) + (0 + x | g)", frame)
    assert [b.coefs for b in iid.blocks] == [("Intercept",), ("x",)]
    nested = design("y ~ (1 | h/g)", frame)
    assert list(nested.groupings) == ["h", "h:g"]
    assert nested.grouping("h:g").variables == ("h", "g")
    assert len(nested.blocks_of(0)) == 2


@dataclass
class SquareTerm(CallTerm):
    term_kind = "square"
    function = "sq"


@dataclass(frozen=True)
class SquareState(TermState):
    kind = "square"
    variable: str = ""
    center: float = 0.0

    @property
    def covariates(self) -> tuple[str, ...]:
        return (self.variable,)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "variable": self.variable,
                "center": self.center}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SquareState:
        return cls(text=d["text"], variable=d["variable"], center=d["center"])


class SquareType(TermType):
    """A toy term ``sq(x)``: the column ``(x - mean(x))²`` centred at the training mean, plus
    one iid block over those squares."""

    kind = "square"
    calls = ("sq",)
    state = SquareState

    def parse(self, text, pos, formula):
        variables, args = parse_call(text, pos, formula)
        return SquareTerm(text=text, variables=variables, args=args, pos=pos)

    def plan(self, term, need, alias, formula):
        need(term.variables[0], term.text)

    def fit(self, term, planned, ctx):
        v = term.variables[0]
        return SquareState(text=term.text, variable=v,
                           center=float(np.mean(ctx.data[ctx.columns[v]])))

    def build(self, state, ctx):
        x = np.asarray(ctx.data[ctx.columns[state.variable]], dtype=float)
        col = (x - state.center) ** 2
        names = BlockNames(scales=(ScaleParam("sd_sq", ("sd_sq",)),), coef="r_sq",
                           dims=("sq_basis",), coords=(("1",),))
        blk = Block(name="sq", kind="square", coef=None, term=state.text, labels=["1"],
                    names=names, matrix=col[:, None])
        return TermColumns(blocks=[blk], fixed=col[:, None], fixed_names=[f"sq{state.variable}"])


def test_a_registered_term_type_parses_and_builds_then_leaves(frame):
    register(SquareType())
    try:
        pf = parse_formula("y ~ x + sq(x) + s(t, k=5)")
        assert [t.term_kind for t in pf.terms] == ["square", "smooth"] and pf.fixed == ["x"]
        assert pf.to_string() == "y ~ 1 + x + sq(x) + s(t, k=5)"
        d = design("y ~ x + sq(x) + s(t, k=5)", frame)
        x = frame["x"].to_numpy()
        j = d.column_names.index("sqx")
        np.testing.assert_allclose(d.X[:, j], (x - x.mean()) ** 2, rtol=0, atol=1e-12)
        assert d.fixed_params[j] == "bs_sqx"
        (blk,) = d.blocks_of("sq(x)")
        assert blk.kind == "square" and d.covariates_of("sq(x)") == ("x",)
        new = d.for_newdata(frame.iloc[:5])
        np.testing.assert_allclose(new.X[:, j], (x[:5] - x.mean()) ** 2, rtol=0, atol=1e-12)
        with pytest.raises(ValueError, match="clashes"):
            register(SquareType())
    finally:
        unregister("square")
    assert "square" not in TERM_TYPES
    assert parse_formula("y ~ sq(x)").fixed == ["sq(x)"]


@pytest.mark.parametrize("name", UNSUPPORTED)
def test_unsupported_kinds_are_refused_with_the_supported_list(name):
    with pytest.raises(FormulaError, match=rf"{name}\(\) is not supported; supported: fixed "
                       r"terms, \(lhs \| group\), mo\(\), cs\(\), s\(\), te\(\), ti\(\), "
                       r"t2\(\), gp\(\), nn\(\), ar\(\), ma\(\), arma\(\), offset\(\)"):
        parse_formula(f"y ~ x + {name}(z)")
