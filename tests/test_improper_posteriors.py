"""Posteriors that do not exist (or barely do), refused or warned of before anything compiles:
separation under flat priors, rows without information, a mean a positive family cannot have,
a response fitted exactly, a flat sd prior with two groups. REML says the same about its
estimates."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY


@pytest.fixture(scope="module")
def separated():
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    df = pd.DataFrame({"x": x, "y": (x > 0).astype(int), "n": 5,
                       "g": np.where(np.arange(40) < 15, "a", "b")})
    df["k"] = np.where(x > 0, 5, 0)
    return df


# -- separation --------------------------------------------------------------------------------

def test_complete_separation_under_flat_priors_is_refused(separated, no_compile):
    msg = (r"the fixed effects separate response 'y' of the bernoulli model: along Intercept "
           r"-> \+inf, b_x -> \+inf, 40 of its 40 rows are predicted with certainty.*nothing in "
           r"the data bounds b_x under a flat prior.*priors=\{'b_x': 'normal\(0, 2.5\)'\}")
    with pytest.raises(ValueError, match=msg):
        bz.sample("y ~ x", separated, family="bernoulli")
    with pytest.raises(ValueError, match=r"separate response 'k' of the binomial model.*b_x"):
        bz.sample("k | trials(n) ~ x", separated, family="binomial")


def test_quasi_complete_separation_by_a_factor_level_is_refused(separated, no_compile):
    """Level 'a' is all zeros: its contrast runs to -inf (quasi-complete: level 'b' overlaps)."""
    df = separated.assign(z=np.where(separated["g"] == "a", 0, np.arange(40) % 2))
    with pytest.raises(ValueError, match=r"along Intercept -> -inf, b_gb -> \+inf, 15 of its "
                                         r"40 rows.*bounds b_gb under a flat prior"):
        bz.sample("z ~ g", df, family="bernoulli")
    counts = separated.assign(c=np.where(separated["g"] == "a", 0, 1 + np.arange(40) % 3))
    with pytest.raises(ValueError, match=r"response 'c' of the poisson model.*b_gb"):
        bz.sample("c ~ g", counts, family="poisson")


def test_separation_under_proper_priors_warns(separated, no_compile):
    with pytest.warns(UserWarning, match=r"along Intercept -> \+inf, b_x -> \+inf.*posterior "
                                         r"of Intercept ~ student_t\(3, 0, 2.5\), b_x ~ "
                                         r"normal\(0, 2.5\) is its prior's tail"):
        with pytest.raises(AssertionError, match="sampler was started"):
            bz.sample("y ~ x", separated, family="bernoulli", priors={"b": "normal(0, 2.5)"})
    with pytest.warns(UserWarning, match=r"response 'o'.*along Intercept -> \+inf, 40 of its "
                                         r"40 rows"):
        with pytest.raises(AssertionError, match="sampler was started"):
            bz.sample("o ~ 1", separated.assign(o=1), family="bernoulli")


def test_zero_trial_rows_carry_nothing(separated, no_compile):
    """Rows without trials (y = 0 of 0) neither separate nor overlap: the data stay separated."""
    extra = pd.DataFrame({"x": [-1.5, -0.7], "k": [0, 0], "n": [0, 0]})
    df = pd.concat([separated[["x", "k", "n"]], extra], ignore_index=True)
    with pytest.raises(ValueError, match=r"'k' of the binomial model.*40 of its 40 rows"):
        bz.sample("k | trials(n) ~ x", df, family="binomial")


def test_a_rare_all_zero_level_among_many_rows_is_found():
    """Three rows of 30 000 hold the level that separates: the program's working set must
    grow to see them."""
    from bayeszoo.checks.design import check_separation

    rng = np.random.default_rng(2)
    n = 30_000
    g = np.where(np.arange(n) < 3, "rare", rng.choice(["p", "q"], n))
    x = rng.normal(size=n)
    y = np.where(g == "rare", 0, (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int))
    d = bz.design("y ~ x + g", pd.DataFrame({"y": y, "x": x, "g": g}), family="bernoulli")
    with pytest.raises(ValueError, match=r"b_grare -> -inf, 3 of its 30000 rows.*b_grare"):
        check_separation(d, {"Intercept": "student_t(3, 0, 2.5)", "b_x": "flat()",
                             "b_gq": "flat()", "b_grare": "flat()"})
    d = bz.design("y ~ x + g", pd.DataFrame({"y": np.where(g == "rare", 1 - y, y), "x": x,
                                             "g": np.where(g == "rare", "p", g)}),
                  family="bernoulli")
    check_separation(d, {})  # overlapping everywhere: nothing to say


def test_the_cone_of_separating_directions():
    from bayeszoo.checks.separation import separation_cone

    x = np.array([-2.0, -1.0, 1.0, 2.0])
    X = np.column_stack([np.ones(4), x])
    assert separation_cone(X, np.array([-1.0, 1.0, -1.0, 1.0])).direction() is None
    assert separation_cone(X, np.zeros(4)) is None  # every row pins the direction
    cone = separation_cone(X, np.ones(4))  # all ones: the intercept, and x a little, separate
    assert cone.direction()[0] > 0 and cone.separated_rows(cone.direction()) == 4
    assert cone.moves(1) and cone.moves(0)
    cone = separation_cone(X, np.array([-1.0, -1.0, 1.0, 1.0]))
    d = cone.direction()
    assert d[1] > 0 and d[0] == pytest.approx(0.0, abs=1e-9)  # the split at x = 0
    assert separation_cone(X, np.array([-1.0, np.nan, 0.0, 0.0])) is None  # two counts pin it
    quasi = separation_cone(X, np.array([-1.0, np.nan, 0.0, np.nan]))  # a zero, a count, two out
    assert quasi.direction() is not None and quasi.separated_rows(quasi.direction()) == 1


def test_reml_refuses_separated_data(separated):
    with pytest.raises(ValueError, match=r"separate response 'y'.*REML/ML estimate of "
                                         r"\['Intercept', 'x'\] does not exist"):
        bz.reml("y ~ x", separated, family="bernoulli")
    with pytest.raises(ValueError, match=r"estimate of \['Intercept', 'gb'\] does not exist"):
        bz.reml("c ~ g", separated.assign(c=np.where(separated["g"] == "a", 0, 2)),
                family="poisson")


def test_zoo_count_and_binary_models_pass_the_checks():
    """pima's bernoulli smooths and epilepsy's counts overlap: no warning, no error."""
    from bayeszoo.checks.design import check_design
    from bayeszoo.models.spec import model_spec

    cases = [('type ~ s(glu, bs="cr", k=10) + s(bmi, bs="cr", k=10)', bz.datasets.load_pima(),
              "bernoulli")]
    cases += [("count ~ zAge + zBase * Trt + (1 | patient)", bz.datasets.load_epilepsy(), fam)
              for fam in ("poisson", "negbinomial")]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for formula, data, fam in cases:
            d = bz.design(formula, data, family=fam)
            check_design(d, model_spec(d).priors)
            check_design(d)


# -- rows without information -------------------------------------------------------------------

def test_no_trials_or_no_weight_anywhere_is_refused(separated, no_compile):
    df = separated.assign(z=0, k0=0, w=0.0)
    with pytest.raises(ValueError, match=r"trials\(z\) is zero in every row of response 'k0': "
                                         "no row carries information"):
        bz.sample("k0 | trials(z) ~ x", df, family="binomial")
    with pytest.raises(ValueError, match=r"weights\(w\) is zero in every row of response 'x'"):
        bz.sample("x | weights(w) ~ 1", df)
    with pytest.raises(ValueError, match=r"weights\(w\) is zero in every row of response 'y'"):
        bz.reml("y | weights(w) ~ x", df, family="bernoulli")
    with pytest.raises(ValueError, match=r"trials\(z\) is zero in every row"):
        bz.reml("k0 | trials(z) ~ x", df, family="binomial")


# -- a positive mean on an identity or inverse link ------------------------------------------

def test_a_negative_mean_has_no_likelihood():
    """brms's Stan code rejects a negative Poisson rate: a zero count no longer scores
    ``-mu > 0`` there."""
    lp = bz.families.poisson("identity").log_prob(NUMPY, np.array([0.0, 0.0, 2.0]),
                                                  np.array([-0.5, 0.5, -1.0]), {}, {})
    assert lp[0] == -np.inf and lp[1] == pytest.approx(-0.5) and lp[2] == -np.inf
    shape = {"shape": np.array(2.0)}
    assert bz.families.negbinomial("identity").log_prob(
        NUMPY, np.array([0.0]), np.array([-0.5]), shape, {})[0] == -np.inf
    assert bz.families.gamma("inverse").log_prob(
        NUMPY, np.array([1.0]), np.array([-0.5]), shape, {})[0] == -np.inf
    assert np.isfinite(bz.families.gamma("inverse").log_prob(
        NUMPY, np.array([1.0]), np.array([0.5]), shape, {})[0])


@pytest.fixture(scope="module")
def pulled_below_zero():
    """Counts that a straight line fits below zero at small x (zeros there)."""
    rng = np.random.default_rng(3)
    x = np.repeat(np.linspace(0.0, 1.0, 6), 10)
    return pd.DataFrame({"x": x, "c": rng.poisson(np.maximum(0.0, -1.0 + 8.0 * x))})


def test_the_collapsed_likelihood_rejects_a_negative_mean(pulled_below_zero):
    """Repeated rows are summed per pattern (:mod:`bayeszoo.families.patterns`): that sum
    rejects a negative mean as the row-wise density does."""
    import jax.numpy as jnp

    from bayeszoo.design import design_arrays, linear_predictor

    fam = bz.families.poisson("identity")
    d = bz.design("c ~ x", pulled_below_zero, family=fam)
    stats = fam.summarize(d.y, design_arrays(d), {}, [])
    assert stats.arrays.X.shape[0] == 6

    def total(intercept, slope):
        return float(fam.summary_log_likelihood(stats, jnp.array([intercept, slope]), [], {},
                                                [], linear_predictor))

    assert total(-0.5, 8.0) == -np.inf  # the mean at x = 0 is -0.5
    rows = fam.log_prob(NUMPY, d.y, -0.1 + 8.0 * pulled_below_zero["x"].to_numpy(), {}, {})
    assert total(-0.1, 8.0) == -np.inf == rows.sum()
    assert total(0.1, 8.0) == pytest.approx(fam.log_prob(
        NUMPY, d.y, 0.1 + 8.0 * pulled_below_zero["x"].to_numpy(), {}, {}).sum(), rel=1e-6)


@pytest.mark.slow
def test_identity_link_poisson_samples_no_negative_mean(pulled_below_zero):
    """brms's constraint end to end: before it, 12 % of these draws had a negative mean."""
    idata = bz.sample("c ~ x", pulled_below_zero, family=bz.families.poisson("identity"),
                      chains=1, draws=150, tune=150, seed=1, progress=False)
    post = idata.posterior
    mu = post["b_Intercept"].values.ravel()[:, None] + post["b_x"].values.ravel()[:, None] \
        * np.linspace(0.0, 1.0, 6)[None, :]
    assert np.all(mu > 0)


def test_reml_says_why_an_identity_link_fails(pulled_below_zero):
    with pytest.raises(ValueError, match=r"the poisson mean must be positive, but on the "
                                         r"identity link the fit of 'c ~ x' cannot keep it so.*"
                                         r"least-squares fit.*gives a mean of -.*use the log "
                                         r"link \(family=bz.families.poisson\('log'\)\)"):
        bz.reml("c ~ x", pulled_below_zero, family=bz.families.poisson("identity"))


# -- a response fitted exactly ------------------------------------------------------------------

@pytest.mark.parametrize("family", ["gaussian", "student"])
def test_a_constant_response_is_refused(separated, no_compile, family):
    with pytest.raises(ValueError, match=rf"response 'c' is constant \(2.5\) in every row: a "
                                         rf"{family} model fits it exactly"):
        bz.sample("c ~ x", separated.assign(c=2.5), family=family)


def test_the_response_as_a_predictor_is_refused(separated, no_compile):
    msg = r"response 'x' is a linear function of the fixed-effect column\(s\) \['{}'\]"
    with pytest.raises(ValueError, match=msg.format("x")):
        bz.sample("x ~ x", separated)
    copy = separated.assign(x2=2 * separated["x"] + 1)
    with pytest.raises(ValueError, match=msg.format("x2") + ".*essentially perfect fit"):
        bz.sample("x ~ x2 + g", copy, family="student")
    with pytest.raises(ValueError, match=msg.format("x2")):
        bz.reml("x ~ x2", copy)


# -- a flat sd prior with two groups ------------------------------------------------------------

def test_a_flat_sd_prior_with_two_groups(separated, no_compile):
    with pytest.warns(UserWarning, match=r"sd_g__Intercept has a flat prior and \(1 \| g\) has "
                                         r"only 2 levels of 'g'.*barely proper"):
        with pytest.raises(AssertionError, match="sampler was started"):
            bz.sample("x ~ (1 | g)", separated, priors={"sd": "flat()"})
    with pytest.raises(ValueError, match=r"sd_g__Intercept has a flat prior, Intercept too.*"
                                         r"improper.*priors=\{'sd_g__Intercept': "
                                         r"'half_student_t\(3, 2.5\)'\}"):
        bz.sample("x ~ (1 | g)", separated, priors={"sd": "flat()", "Intercept": "flat()"})
