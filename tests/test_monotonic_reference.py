"""brms's monotonic effect on cbpp, ``incidence | trials(size) ~ mo(period) + (1 | herd)``
(binomial), against brms 2.18 (``brms_wave3.json`` ``cbpp_monotonic_re``, 4 × 3000 draws):
every posterior mean (``b_Intercept``, ``bsp_moperiod``, ``sd_herd__Intercept`` and the simplex
``simo_moperiod1[1..3]``) within 0.15 brms posterior sd, every sd within 15 %, p_loo within 2.5
and ``posterior_epred`` per row within 3 %.

Sampled once with NumPyro, 2 chains × 1000 draws (about 20 s on 2 shared cores); the data are
read from the shared folder with the factor levels brms had (period ordered 1 < 2 < 3 < 4)."""

import json

import numpy as np
import pytest
from agreement import assert_loo_agrees, assert_posterior_agrees
from conftest import FIXTURES
from reference_data import load

import bayeszoo as bz
from bayeszoo.inference.compare import loo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference_fit():
    ref = json.loads((FIXTURES / "brms_wave3.json").read_text())["cbpp_monotonic_re"]
    d = load("cbpp")
    d["period"] = d["period"].cat.as_ordered()
    assert list(d["period"].cat.categories) == ref["levels"]["period"]["levels"]
    idata = bz.sample("incidence | trials(size) ~ mo(period) + (1 | herd)", d,
                      family="binomial", chains=2, draws=1000, tune=500, seed=1, progress=False)
    return idata, ref


def _draws(idata, par: str) -> np.ndarray:
    """brms's ``simo_moperiod1[2]`` is the second entry of the variable ``simo_moperiod1``."""
    if par.endswith("]"):
        name, index = par[:-1].split("[")
        return np.asarray(idata.posterior[name].values)[..., int(index) - 1].ravel()
    return np.asarray(idata.posterior[par].values).ravel()


@pytest.mark.reference
def test_monotonic_posterior_matches_brms(reference_fit):
    idata, ref = reference_fit
    assert int(idata.sample_stats["diverging"].sum()) == 0
    assert idata.posterior["simo_moperiod1"].dims == ("chain", "draw", "moperiod_step")
    simplex = np.asarray(idata.posterior["simo_moperiod1"].values)
    np.testing.assert_allclose(simplex.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    assert_posterior_agrees("cbpp_monotonic_re", lambda par: _draws(idata, par), ref["posterior"])
    steps = np.asarray(idata.posterior["mo_moperiod"].values)
    bsp = np.asarray(idata.posterior["bsp_moperiod"].values)
    np.testing.assert_allclose(steps, 3 * bsp[..., None] * simplex, rtol=1e-12)
    assert_loo_agrees("cbpp_monotonic_re", loo(idata), ref["loo"], p_loo=2.5, elpd_loo=2.0)
    epred = bz.predict(idata, kind="epred").mean(axis=0)
    np.testing.assert_allclose(epred, ref["epred_mean"], rtol=0.03)
