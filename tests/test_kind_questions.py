"""The questions blocks, structures, smooths and terms answer in place of their kind strings:
which blocks are group-level effects (``s(g, bs="re")`` among them), smooth parts or computed
contributions, which structures correlate a level's coefficients or centre on the intercept,
which terms are drawn from predictions, and the variables of brms's default effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayeszoo.design import is_group_effect_kind
from bayeszoo.formula import design, parse_formula
from bayeszoo.inference.conditional_effects import default_effects
from bayeszoo.reports.figures_distributional import has_curve_term
from bayeszoo.structures import STRUCTURES

FORMULA = ("y ~ x + (1 + x | g) + (1 | h) + s(t, k=5) + te(u, tr, k=4) + s(k, bs=\"re\") "
           "+ gp(t, k=5, c=5/4) + nn(x, u, hidden=3)")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 96
    return pd.DataFrame({
        "y": rng.normal(size=n), "x": rng.normal(size=n), "t": rng.uniform(0, 10, size=n),
        "u": rng.uniform(size=n), "tr": rng.uniform(0, 5, size=n),
        "g": pd.Categorical(np.repeat([f"g{i}" for i in range(8)], n // 8)),
        "h": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
        "k": pd.Categorical(rng.choice(["u", "v", "w", "z"], size=n))})


@pytest.fixture(scope="module")
def d(frame):
    return design(FORMULA, frame)


def test_blocks_say_what_they_are(d):
    got = [(b.term, b.is_group_effect, b.is_smooth, b.computes_contribution) for b in d.blocks]
    assert got == [
        ("(1 + x | g)", True, False, False),
        ("(1 | h)", True, False, False),
        ("s(t)", False, True, False),
        ("te(u,tr)", False, True, False),
        ("s(k)", True, False, False),
        ("gp(t, k=5, c=5/4)", False, False, False),
        ("nn(x,u)", False, False, True),
    ]
    assert [is_group_effect_kind(b.kind) for b in d.blocks] == [b.is_group_effect
                                                                 for b in d.blocks]


def test_structures_say_how_they_tie_coefficients(d):
    got = {b.term: (b.structure.correlates_coefficients, b.structure.centers_on_intercept)
           for b in d.blocks}
    assert got == {"(1 + x | g)": (True, False), "(1 | h)": (False, True),
                   "s(t)": (False, True), "te(u,tr)": (False, False), "s(k)": (False, True),
                   "gp(t, k=5, c=5/4)": (False, False), "nn(x,u)": (False, False)}
    assert sorted(k for k, c in STRUCTURES.items() if c.correlates_coefficients) \
        == ["unstructured"]
    assert sorted(k for k, c in STRUCTURES.items() if c.centers_on_intercept) == ["iid"]


def test_smooths_say_which_is_a_random_effect(d):
    assert [(sm.term, sm.is_random_effect) for sm in d.smooths] == [
        ("s(t)", False), ("te(u,tr)", False), ("s(k)", True)]


def test_terms_say_which_curves_are_drawn_from_predictions(d, frame):
    assert [(st.text, st.predicted_curve) for st in d.term_states] == [
        ("(1 + x | g)", False), ("(1 | h)", False), ("s(t, k=5)", False),
        ("te(u, tr, k=4)", False), ("s(k, bs=\"re\")", False),
        ("gp(t, k=5, c=5/4)", True), ("nn(x, u, hidden=3)", True)]
    assert has_curve_term(d)
    assert not has_curve_term(design("y ~ x + s(t, k=5) + (1 | g)", frame))


def test_terms_name_their_default_effect_variables(d, frame):
    columns = [c for c in frame.columns if c != "y"]
    pf = parse_formula(FORMULA)
    assert [t.effect_variables(columns) for t in pf.terms] == [
        (), (), ("t",), ("u", "tr"), ("k",), ("t",), ()]
    by = parse_formula("y ~ s(t, by=h, k=5) + gp(x, by=g)")
    assert [t.effect_variables(columns) for t in by.terms] == [("t", "h"), ("x", "g")]
    assert default_effects(d) == [
        "x", "t", "u:tr", "k"]
