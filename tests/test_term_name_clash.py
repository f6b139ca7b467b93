"""Two terms whose generated brms names coincide (``s(x, y)`` and ``s(xy)``: both ``sxy``) are
refused naming both terms and what to rename; a term given twice still says so."""

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz

CLASH = (r"get the same generated name, so {what} would be shared: a smooth, GP or network is "
         r"named after its call and its covariates' names pasted together \(s\(x, y\) and "
         r"s\(xy\) are both 'sxy'\); rename a column so that the pasted names differ \(e\.g\. xy "
         r"to x_y\), or drop one of the terms if they are the same$")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({c: rng.normal(size=60) for c in ("x", "y", "xy", "r")})
    df["g"] = pd.Categorical(rng.choice(list("abc"), 60))
    return df


@pytest.mark.parametrize("formula, first, second, what", [
    ("r ~ s(x, y) + s(xy)", "s(x, y)", "s(xy)", "the parameters s_sxy_1"),
    ("r ~ t2(xy) + t2(x, y)", "t2(xy)", "t2(x, y)", "the parameters s_t2xy_1"),
    ("r ~ s(x, y, fx=TRUE) + s(xy, fx=TRUE)", "s(x, y, fx=TRUE)", "s(xy, fx=TRUE)",
     r"the columns \['sxy_1', .*, 'sxy_9'\]"),
])
def test_smooths_whose_names_coincide_are_refused_naming_both(data, formula, first, second,
                                                              what):
    pattern = rf"^{first} and {second} ".replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(ValueError, match=pattern + CLASH.format(what=what)):
        bz.design(formula, data)


def test_a_term_given_twice_says_so_and_where(data):
    with pytest.raises(ValueError, match=r"^s\(x\): the block sx_1/None appears twice in the "
                       r"formula$"):
        bz.design("r ~ s(x) + s(x)", data)
    with pytest.raises(ValueError, match=r"^\(1 \|\| g\): the block g/Intercept appears twice in "
                       r"the formula \(also in \(1 \| g\)\)$"):
        bz.design("r ~ (1 | g) + (1 || g)", data)


def test_names_kept_apart_by_an_underscore_are_accepted(data):
    d = bz.design("r ~ s(x, y) + s(x_y)", data.rename(columns={"xy": "x_y"}))
    assert [b.name for b in d.blocks] == ["sxy_1", "sx_y_1"]
