"""Right-censored survival times on kidney against brms 2.18 (``brms_wave3.json``, 4 × 3000
draws): ``time | cens(censored) ~ age + sex`` with the lognormal family and ``time |
cens(censored) ~ age + sex + disease + (1 | patient)`` with the Weibull. Every posterior mean
within 0.15 brms posterior sd, every sd within 15 %, LOO as brms reports it and
``posterior_epred`` per row.

Sampled once per model with NumPyro, 2 chains × 1000 draws (about 15 s each on 2 cores). The
Weibull fit has 8 observations with Pareto k above 0.7 in brms (its elpd and p_loo rest on
them): its p_loo is held to 2.5, as the lognormal's, and both elpd to the fixture's own
standard error over 10."""

import json

import numpy as np
import pandas as pd
import pytest
from agreement import assert_loo_agrees, assert_posterior_agrees
from conftest import FIXTURES, SHARED

import bayeszoo as bz
from bayeszoo.inference.compare import loo

pytestmark = pytest.mark.slow

CASES = {
    "kidney_lognormal_cens": ("time | cens(censored) ~ age + sex", "lognormal"),
    "kidney_weibull_cens_re": ("time | cens(censored) ~ age + sex + disease + (1 | patient)",
                               "weibull"),
}


def kidney(levels: dict) -> pd.DataFrame:
    d = pd.read_csv(SHARED / "data" / "kidney.csv")
    for col, spec in levels.items():
        d[col] = pd.Categorical(d[col].astype(str), categories=spec["levels"])
    return d


@pytest.fixture(scope="module", params=list(CASES))
def reference_fit(request):
    ref = json.loads((FIXTURES / "brms_wave3.json").read_text())[request.param]
    formula, family = CASES[request.param]
    # the weibull model's patient sd reaches near zero, a funnel: one transition in 2000
    # diverges at target_accept 0.8 with some seeds
    idata = bz.sample(formula, kidney(ref["levels"]), family=family, chains=2, draws=1000,
                      tune=1000, seed=1, target_accept=0.95, progress=False)
    return request.param, idata, ref


@pytest.mark.reference
def test_posteriors_match_brms(reference_fit):
    name, idata, ref = reference_fit
    assert int(idata.sample_stats["diverging"].sum()) == 0
    assert_posterior_agrees(name, lambda par: idata.posterior[par].values, ref["posterior"])


@pytest.mark.reference
def test_loo_matches_brms(reference_fit):
    """The pointwise log-likelihood LOO reads is the censored one: the lognormal model without
    censoring would put elpd near -390, not brms's -336."""
    name, idata, ref = reference_fit
    with np.errstate(all="ignore"):
        res = loo(idata)
    assert_loo_agrees(name, res, ref["loo"], p_loo=2.5, elpd_loo=ref["loo"]["elpd_loo_se"] / 10)


@pytest.mark.reference
def test_epred_matches_brms(reference_fit):
    """``bz.predict(kind="epred")``: brms's ``posterior_epred`` of the uncensored model
    (``exp(mu + sigma²/2)``; the Weibull mean ``exp(eta)``) averaged over draws, per row within
    8 % (the Weibull's group effects carry most of the Monte Carlo error)."""
    _, idata, ref = reference_fit
    epred = bz.predict(idata, kind="epred").mean(axis=0)
    np.testing.assert_allclose(epred, ref["epred_mean"], rtol=0.08)
