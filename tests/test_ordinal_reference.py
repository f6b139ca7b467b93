"""The cumulative logit model with a random intercept on inhaler against brms 2.18
(``brms_wave3.json`` ``inhaler_cumulative_re``, 4 × 3000 draws): the thresholds
``b_Intercept[1..3]`` (element ``k`` of the variable ``b_Intercept``, dimension
``threshold``), the coefficients and ``sd_subject__Intercept`` within 0.15 brms posterior sd in
mean and 15 % in sd, p_loo within 2.5, and ``posterior_epred``'s category probabilities.

Sampled once with NumPyro, 2 chains × 1000 draws."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from agreement import assert_loo_agrees, assert_posterior_agrees
from conftest import FIXTURES, SHARED

import bayeszoo as bz
from bayeszoo.inference.compare import loo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference_fit():
    ref = json.loads((FIXTURES / "brms_wave3.json").read_text())["inhaler_cumulative_re"]
    d = pd.read_csv(SHARED / "data" / "inhaler.csv")
    d["subject"] = pd.Categorical(d["subject"].astype(str),
                                  categories=ref["levels"]["subject"]["levels"])
    idata = bz.sample("rating ~ treat + period + carry + (1 | subject)", d,
                      family="cumulative", chains=2, draws=1000, tune=600, seed=1,
                      progress=False)
    return idata, ref


def element(idata, par: str) -> np.ndarray:
    """brms's ``b_Intercept[k]`` as element ``k`` of ``b_Intercept``, other names as they are."""
    m = re.fullmatch(r"(\w+)\[(\d+)\]", par)
    if m is None:
        return np.asarray(idata.posterior[par].values).ravel()
    return np.asarray(idata.posterior[m[1]].sel(threshold=int(m[2])).values).ravel()


@pytest.mark.reference
def test_posteriors_match_brms(reference_fit):
    idata, ref = reference_fit
    assert int(idata.sample_stats["diverging"].sum()) == 0
    # disc is fixed at 1 in brms, not a parameter here
    posterior = {par: r for par, r in ref["posterior"].items() if par != "disc"}
    assert_posterior_agrees("inhaler_cumulative_re", lambda par: element(idata, par), posterior)
    assert_loo_agrees("inhaler_cumulative_re", loo(idata), ref["loo"], p_loo=2.5, elpd_loo=2.0)


@pytest.mark.reference
def test_epred_and_pp_are_categories(reference_fit):
    """``kind="epred"``: draws × rows × categories, brms's mean per row and category within
    0.03 (each row carries its subject's intercept, known from two ratings: the Monte Carlo
    error of 2000 draws is near 0.01) and 0.003 on average; ``kind="pp"``: ratings 1..4."""
    idata, ref = reference_fit
    epred = bz.predict(idata, kind="epred")
    assert epred.shape == (2000, 572, 4)
    np.testing.assert_allclose(epred.sum(axis=-1), 1.0, atol=1e-12)
    diff = np.abs(epred.mean(axis=0) - np.asarray(ref["epred_mean"]))
    assert diff.max() < 0.03
    assert diff.mean() < 0.003
    pp = bz.predict(idata, kind="pp", seed=1)
    assert pp.shape == (2000, 572)
    assert set(np.unique(pp)) <= {1.0, 2.0, 3.0, 4.0}
