"""``bz.sample(formula, data, xt=...)``: mgcv's ``xt`` reaches the sampler's design as it reaches
``bz.design`` and ``bz.reml`` (the neighbours of ``s(district, bs="mrf")`` on columbus)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.formula import FormulaError

FIXTURE = Path(__file__).parent / "fixtures" / "mgcv_bases.json"
FORMULA = "crime ~ s(district, bs='mrf', k=20)"


@pytest.fixture(scope="module")
def columb():
    cb = json.loads(FIXTURE.read_text())["columb"]
    df = pd.DataFrame({"crime": cb["crime"],
                       "district": pd.Categorical(cb["district"], categories=cb["levels"])})
    return df, {"district": {"nb": cb["nb"]}}


@pytest.mark.filterwarnings("ignore::UserWarning")  # a 60-draw chain warns about ESS/R-hat
def test_xt_in_sample_is_the_designs(columb):
    """Same seed: the formula with ``xt=`` samples the draws of the design built with it."""
    df, xt = columb
    kw = {"chains": 1, "draws": 60, "tune": 60, "progress": False, "seed": 2}
    from_formula = bz.sample(FORMULA, df, xt=xt, **kw).posterior
    from_design = bz.sample(bz.design(FORMULA, df, xt=xt), **kw).posterior
    for v in from_design.data_vars:
        np.testing.assert_array_equal(from_formula[v].to_numpy(), from_design[v].to_numpy())
    assert "sds_sdistrict_1" in from_formula.data_vars


def test_xt_is_needed_and_only_with_a_formula(columb, no_compile):
    df, xt = columb
    with pytest.raises(FormulaError, match="xt="):
        bz.sample(FORMULA, df, chains=1, draws=10, tune=10)
    with pytest.raises(ValueError, match="pass xt only with a formula"):
        bz.sample(bz.design(FORMULA, df, xt=xt), xt=xt)
