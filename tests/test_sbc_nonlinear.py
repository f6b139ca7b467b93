"""The ``nonlinear`` SBC model of ``benchmarks/sbc_terms.py``: a ``bf(..., nl = TRUE)`` growth
curve with a group-level ultimate, whose every coefficient has a proper prior, so that
``bz.sbc`` draws it, refits it and ranks each non-linear parameter's coefficient (brms's
``b_ult_Intercept``, ``b_omega_Intercept``, ``b_theta_Intercept``, ``sd_g__ult_Intercept``)."""

import warnings

import numpy as np
from bench_scripts import bench_script

import bayeszoo as bz
from bayeszoo.diagnostics import SamplerWarning


def test_growth_panel_and_formula():
    terms = bench_script("sbc_terms")
    data = terms.growth_panel()
    assert data.shape == (60, 3) and data["g"].nunique() == 6
    assert np.array_equal(np.unique(data["x"]), np.arange(1.0, 11.0))
    formula = terms.model_formula("nonlinear")
    assert str(formula) == ("bf(y ~ ult * (1 - exp(-(x / theta)^omega)), ult ~ 1 + (1 | g), "
                            "omega ~ 1, theta ~ 1, nl = TRUE)")


def test_two_simulations_of_the_nonlinear_model_give_ranks_in_range():
    terms = bench_script("sbc_terms")
    with warnings.catch_warnings():  # short refits: their mixing is not the point here
        warnings.simplefilter("ignore", SamplerWarning)
        r = bz.sbc(terms.model_formula("nonlinear"), terms.growth_panel(), n_sims=2, chains=1,
                   draws=100, tune=100, priors=terms.PRIORS["nonlinear"], seed=3,
                   progress=False)
    assert list(r.ranks.columns) == ["b_ult_Intercept", "b_omega_Intercept",
                                     "b_theta_Intercept", "sd_g__ult_Intercept", "sigma",
                                     "log_lik"]
    assert r.settings["n_sims"] == 2 and r.ranks.shape == (2, 6)
    assert ((r.ranks >= 0) & (r.ranks <= 99)).all().all()
    assert r.settings["priors"]["b_omega_Intercept"] == "normal(1.5, 0.3) lb=0"
