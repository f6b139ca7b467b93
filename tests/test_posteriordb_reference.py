"""Posteriors against posteriordb's reference posteriors (Stan, 10 chains × 1000 kept draws):
models whose Stan program a bayeszoo formula and prior state exactly, the fixture made by
``tests/fixtures/posteriordb_reference.py``. Every parameter's mean within 0.1 reference sd and
its sd within 10 %.

* eight schools, non-centered: ``y | se(sigma) ~ 1 + (1 | school)`` with ``mu ~ normal(0, 5)``
  and ``tau ~ cauchy(0, 5)``; ``theta[j]`` is ``b_Intercept + r_school[j]``.
* three linear regressions with flat coefficient priors (a flat prior on brms's centered
  intercept is a flat prior on Stan's ``beta[1]``): kidiq (``sigma ~ cauchy(0, 2.5)``), earnings
  and mesquite (flat ``sigma``), on the variables the Stan programs' transformed data compute.
"""

import json

import numpy as np
import pandas as pd
import pytest
from agreement import assert_posterior_agrees
from conftest import ROOT

import bayeszoo as bz

REF = json.loads((ROOT / "tests" / "fixtures" / "posteriordb_reference.json").read_text())
FLAT = {"Intercept": "flat", "b": "flat"}


def _eight_schools(data: dict) -> tuple:
    d = pd.DataFrame({"y": data["y"], "s": data["sigma"],
                      "school": pd.Categorical([f"school{j + 1}" for j in range(8)])})
    return ("y | se(s) ~ 1 + (1 | school)", d, {"Intercept": "normal(0, 5)",
                                                 "sd": "cauchy(0, 5)"})


def _kidiq(data: dict) -> tuple:
    return ("kid_score ~ mom_iq", pd.DataFrame(data), {**FLAT, "sigma": "cauchy(0, 2.5)"})


def _earnings(data: dict) -> tuple:
    d = pd.DataFrame({"log_earn": np.log(data["earn"]), "height": data["height"]})
    return "log_earn ~ height", d, {**FLAT, "sigma": "flat"}


def _mesquite(data: dict) -> tuple:
    d = pd.DataFrame({"log_weight": np.log(data["weight"]),
                      "log_canopy_volume": np.log(np.asarray(data["diam1"]) * data["diam2"]
                                                  * data["canopy_height"])})
    return "log_weight ~ log_canopy_volume", d, {**FLAT, "sigma": "flat"}


MODELS = {"eight_schools-eight_schools_noncentered": _eight_schools,
          "kidiq-kidscore_momiq": _kidiq, "earnings-logearn_height": _earnings,
          "mesquite-logmesquite_logvolume": _mesquite}


def _draws_of(post):
    """posteriordb's parameter name -> the same quantity's draws from bayeszoo's posterior."""
    coefs = [v for v in post.data_vars if v.startswith("b_") and v != "b_Intercept"]

    def draws(name: str) -> np.ndarray:
        if name == "mu" or name == "beta[1]":
            return post["b_Intercept"].values.ravel()
        if name == "tau":
            return post["sd_school__Intercept"].values.ravel()
        if name.startswith("theta["):
            j = int(name[6:-1]) - 1
            return (post["b_Intercept"] + post["r_school"].isel(school=j)).values.ravel()
        if name == "beta[2]":
            return post[coefs[0]].values.ravel()
        return post[name].values.ravel()

    return draws


@pytest.mark.reference
@pytest.mark.parametrize("name", list(MODELS))
def test_posterior_matches_posteriordb(name):
    formula, data, priors = MODELS[name](REF[name]["data"])
    fit = bz.sample(formula, data, priors=priors, chains=4, draws=1000, tune=1000, seed=1,
                    target_accept=0.95, progress=False)
    assert int(fit.sample_stats["diverging"].sum()) == 0
    assert_posterior_agrees(name, _draws_of(fit.posterior), REF[name]["posterior"],
                            mean_sd=0.1, sd_rel=0.1)


def test_the_models_are_the_fixtures_stan_programs():
    """The priors the tests give are those the Stan programs state."""
    assert "mu ~ normal(0, 5)" in REF["eight_schools-eight_schools_noncentered"]["stan"]
    assert "tau ~ cauchy(0, 5)" in REF["eight_schools-eight_schools_noncentered"]["stan"]
    assert "sigma ~ cauchy(0, 2.5)" in REF["kidiq-kidscore_momiq"]["stan"]
    for name in ("earnings-logearn_height", "mesquite-logmesquite_logvolume"):
        assert "~" in REF[name]["stan"] and "sigma ~" not in REF[name]["stan"]
