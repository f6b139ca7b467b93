"""Zero-inflated Poisson and hurdle negative binomial (with a ``hu`` formula) on bioChemists
against brms 2.18 (``brms_wave3.json``, 4 × 3000 draws): every posterior mean within 0.15
brms posterior sd, every sd within 15 %, p_loo within 2.5, and ``posterior_epred`` per row.

Sampled once per model with NumPyro, 2 chains × 1000 draws (about 10 s and 20 s on 2 cores);
the data are the bundled ``load_biochemists()``, whose factor levels are the ones brms had."""

import json

import numpy as np
import pandas as pd
import pytest
from agreement import assert_loo_agrees, assert_posterior_agrees
from conftest import FIXTURES

import bayeszoo as bz
from bayeszoo.inference.compare import loo

pytestmark = pytest.mark.slow

FORMULA = "art ~ fem + mar + kid5 + phd + ment"
CASES = {
    "biochemists_zip": (FORMULA, "zero_inflated_poisson"),
    "biochemists_hurdle_nb_hu": (bz.bf(FORMULA, hu="~ fem + ment"), "hurdle_negbinomial"),
}


def biochemists(levels: dict) -> pd.DataFrame:
    d = bz.datasets.load_biochemists()
    for col, spec in levels.items():
        assert list(d[col].cat.categories) == spec["levels"], col
    return d


@pytest.fixture(scope="module", params=list(CASES))
def reference_fit(request):
    ref = json.loads((FIXTURES / "brms_wave3.json").read_text())[request.param]
    formula, family = CASES[request.param]
    idata = bz.sample(formula, biochemists(ref["levels"]), family=family, chains=2, draws=1000,
                      tune=500, seed=1, progress=False)
    return request.param, idata, ref


@pytest.mark.reference
def test_posteriors_match_brms(reference_fit):
    name, idata, ref = reference_fit
    assert int(idata.sample_stats["diverging"].sum()) == 0
    assert set(ref["posterior"]) <= set(idata.posterior.data_vars)
    assert_posterior_agrees(name, lambda par: idata.posterior[par].values, ref["posterior"])
    assert_loo_agrees(name, loo(idata), ref["loo"], p_loo=2.5, elpd_loo=2.0)


@pytest.mark.reference
def test_epred_matches_brms(reference_fit):
    """``bz.predict(kind="epred")``: brms's ``posterior_epred`` (``mu (1 - zi)``; ``mu / (1 -
    P(0)) (1 - hu)``) averaged over draws, per row within 3 %."""
    _, idata, ref = reference_fit
    epred = bz.predict(idata, kind="epred").mean(axis=0)
    np.testing.assert_allclose(epred, ref["epred_mean"], rtol=0.03)
