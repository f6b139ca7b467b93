"""The SBC models of ``benchmarks/sbc_terms.py`` added for mgcv's ``mrf`` smooth and the
multivariate model: ``bz.sbc`` passes ``xt=`` (an ``mrf`` smooth's neighbours) to every
design it builds, and ``benchmarks/sbc_multivariate.py`` draws the responses of a
``rescor`` model with the residual correlation and scales of the drawn parameters."""

import warnings

import numpy as np
import pandas as pd
import pytest
from bench_scripts import bench_script

import bayeszoo as bz
from bayeszoo.diagnostics import SamplerWarning
from bayeszoo.formula.multivariate import mvbind
from bayeszoo.models.multivariate import multivariate_spec


def test_grid_neighbours_are_symmetric_rook_neighbours():
    terms = bench_script("sbc_terms")
    nb = terms.neighbours()
    assert len(nb) == 12 and nb["r00"] == ["r10", "r01"] and len(nb["r11"]) == 4
    assert all(a in nb[b] for a, near in nb.items() for b in near)


def test_sbc_of_an_mrf_smooth_needs_its_neighbours():
    terms = bench_script("sbc_terms")
    with pytest.raises(Exception, match="neighbourhood structure"):
        bz.sbc("y ~ s(region, bs = 'mrf')", terms.region_grid(), n_sims=2, chains=1,
               draws=30, tune=30, priors=terms.PRIORS["mrf_smooth"], progress=False)


@pytest.mark.slow
def test_sbc_of_an_mrf_smooth_takes_its_neighbours():
    terms = bench_script("sbc_terms")
    with warnings.catch_warnings():  # short refits: their mixing is not the point here
        warnings.simplefilter("ignore", SamplerWarning)
        r = bz.sbc("y ~ s(region, bs = 'mrf')", terms.region_grid(), n_sims=2, chains=1,
                   draws=30, tune=30, priors=terms.PRIORS["mrf_smooth"], seed=2,
                   progress=False, xt=terms.XT["mrf_smooth"])
    assert list(r.ranks.columns) == ["b_Intercept", "sds_sregion_1", "sigma", "Intercept",
                                     "log_lik"]
    assert r.settings["n_sims"] == 2 and ((r.ranks >= 0) & (r.ranks <= 99)).all().all()


def test_simulated_responses_have_the_drawn_residual_correlation():
    mv = bench_script("sbc_multivariate")
    rng = np.random.default_rng(0)
    n = 4000
    data = pd.DataFrame({"x": rng.normal(size=n), "y1": 0.0, "y2": 0.0})
    mspec = multivariate_spec(mvbind("mvbind(y1, y2) ~ x"), data, None,
                              {"Intercept": "normal(0, 1)", "b": "normal(0, 1)",
                               "sigma": "normal(0, 1)"})
    rho, s1, s2 = -0.6, 0.5, 2.0
    values = {"y1__Intercept": np.array(1.0), "y1__b_0": np.array([0.5]),
              "y1__sigma": np.array(s1), "y2__Intercept": np.array(-1.0),
              "y2__b_0": np.array([2.0]), "y2__sigma": np.array(s2),
              "Lrescor": np.array([[1.0, 0.0], [rho, np.sqrt(1 - rho**2)]])}
    assert {s.name for s in mspec.sites} == set(values)
    y1, y2 = mv.simulate_responses(mspec, values, np.random.default_rng(1))
    x = data["x"].to_numpy()
    e1 = y1 - (1.0 + 0.5 * (x - x.mean()))
    e2 = y2 - (-1.0 + 2.0 * (x - x.mean()))
    assert np.std(e1) == pytest.approx(s1, rel=0.05)
    assert np.std(e2) == pytest.approx(s2, rel=0.05)
    assert np.corrcoef(e1, e2)[0, 1] == pytest.approx(rho, abs=0.03)
