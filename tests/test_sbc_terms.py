"""Simulation-based calibration of ``ar()`` and ``mo()`` models: the coefficients of ``ar()``
(flat on (-1, 1), a proper prior there) and each element of a monotonic simplex are ranked
as brms names them, and an SBC of an ``ar()`` model runs end to end with a few
simulations."""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.diagnostics import SamplerWarning
from bayeszoo.inference.sbc import check_proper, quantity, scalar_quantities, simulate_chunk
from bayeszoo.models.spec import model_spec


def _series(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"t": np.arange(n), "y": rng.normal(size=n)})


def test_vector_parameters_of_ar_ma_and_mo_are_ranked_by_element():
    post = {"b_Intercept": np.zeros((1, 4)), "ar": np.arange(8.0).reshape(1, 4, 2),
            "ma": np.ones((1, 4, 1)), "simo_mox1": np.full((1, 4, 3), 1 / 3),
            "r_g": np.zeros((1, 4, 5))}
    assert scalar_quantities(post) == ["b_Intercept", "ar[1]", "ar[2]", "ma[1]",
                                       "simo_mox1[1]", "simo_mox1[2]", "simo_mox1[3]"]
    np.testing.assert_array_equal(quantity(post, "ar[2]"), [[1.0, 3.0, 5.0, 7.0]])


def test_the_bounded_flat_prior_of_ar_and_ma_is_proper():
    design = bz.design("y ~ 1 + arma(time = t, p = 1, q = 1)", _series())
    check_proper(model_spec(design, {"Intercept": "normal(0, 1)", "sigma": "normal(0, 1)"}))
    with pytest.raises(ValueError, match="prior of Intercept is flat"):
        check_proper(model_spec(design, {"Intercept": "flat()", "sigma": "normal(0, 1)"}))


def test_simulated_arma_truth_names_every_coefficient():
    design = bz.design("y ~ 1 + arma(time = t, p = 2, q = 1)", _series())
    spec = model_spec(design, {"Intercept": "normal(0, 1)", "sigma": "normal(0, 1)"})
    sims = simulate_chunk(design, spec, 3, seed=4)
    assert set(sims[0].truth) == {"b_Intercept", "Intercept", "sigma", "ar[1]", "ar[2]",
                                  "ma[1]", "log_lik"}
    assert all(-1 < s.truth["ar[2]"] < 1 and np.isfinite(s.y).all() for s in sims)
    assert sims[0].y.tolist() != sims[1].y.tolist()


def test_sbc_of_an_ar_model_runs_with_few_simulations():
    with warnings.catch_warnings():  # short refits: their mixing is not the point here
        warnings.simplefilter("ignore", SamplerWarning)
        r = bz.sbc("y ~ 1 + ar(time = t, p = 1)", _series(), n_sims=3, chains=1, draws=40,
                   tune=40, priors={"Intercept": "normal(0, 1)", "sigma": "normal(0, 1)"},
                   seed=2, progress=False)
    assert list(r.ranks.columns) == ["b_Intercept", "ar[1]", "sigma", "Intercept", "log_lik"]
    assert r.ranks.shape == (3, 5)
    assert ((r.ranks >= 0) & (r.ranks <= 99)).all().all()
