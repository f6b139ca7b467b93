"""brms's autoregressive term on LakeHuron, ``level ~ 1 + ar(time = year, p = 1)`` (Gaussian),
against brms 2.18 (``brms_wave3.json`` ``lakehuron_ar1``, 4 × 3000 draws): every posterior mean
(``b_Intercept``, ``ar[1]``, ``sigma``) within 0.15 brms posterior sd, every sd within 15 %,
p_loo within 2.5 and ``posterior_epred`` per row (the mean with its autoregressive part) within
0.05 feet; the summary lists ``ar[1]`` under brms's ``Correlation Structures``; predictions on
new data and K-fold refits are refused.

Sampled once with NumPyro, 4 chains × 1000 draws (about 10 s on 2 shared cores)."""

import json
import re

import numpy as np
import pytest
from agreement import assert_loo_agrees, assert_posterior_agrees
from conftest import FIXTURES

import bayeszoo as bz
from bayeszoo.inference.compare import loo
from bayeszoo.inference.refit import kfold

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference_fit():
    ref = json.loads((FIXTURES / "brms_wave3.json").read_text())["lakehuron_ar1"]
    d = bz.datasets.load_lakehuron()
    idata = bz.sample("level ~ 1 + ar(time = year, p = 1)", d, chains=4, draws=1000,
                      tune=500, seed=1, progress=False)
    return idata, ref, d


def _draws(idata, par: str) -> np.ndarray:
    """brms's ``ar[1]`` is the first entry of the variable ``ar``."""
    if par.endswith("]"):
        name, index = par[:-1].split("[")
        return np.asarray(idata.posterior[name].values)[..., int(index) - 1].ravel()
    return np.asarray(idata.posterior[par].values).ravel()


@pytest.mark.reference
def test_ar1_posterior_matches_brms(reference_fit):
    idata, ref, d = reference_fit
    assert int(idata.sample_stats["diverging"].sum()) == 0
    assert_posterior_agrees("lakehuron_ar1", lambda par: _draws(idata, par), ref["posterior"])
    assert_loo_agrees("lakehuron_ar1", loo(idata), ref["loo"], p_loo=2.5, elpd_loo=2.0)
    epred = bz.predict(idata, kind="epred").mean(axis=0)
    np.testing.assert_allclose(epred, ref["epred_mean"], rtol=0, atol=0.05)
    text = str(idata.summary())
    assert re.search(r"Correlation Structures:\n.*\nar\[1\] +0\.8[5-9] +0\.0[5-7] ", text)
    with pytest.raises(ValueError, match="continuing the series"):
        bz.predict(idata, newdata=d.head(), kind="epred")
    with pytest.raises(ValueError, match="do not refit ar"):
        kfold(idata, K=2, progress=False)
