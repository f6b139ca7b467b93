"""The hurdle negative binomial's simulator, density and hu prior, checked without sampling.

Simulation-based calibration of ``hurdle_negbinomial`` (benchmarks/sbc_families.py) leaned on
``hu`` in both backends. These checks pin down everything the two backends share: the draws
of ``family.draw`` follow ``exp(log_prob)`` (``P(y = 0) = hu``, the rest the zero-truncated
NB2 of brms, mean ``mu`` of the untruncated NegBinomial, shape ``phi``), ``log_prob`` is brms's
``hurdle_neg_binomial_lpmf``, and the SBC draws ``hu`` from the model's prior, ``beta(1, 1)``.
With ``hu`` constant its posterior is conjugate, ``Beta(1 + zeros, 1 + n - zeros)``, so the
calibration of ``hu`` is checked exactly over many simulations. ``hurdle_poisson`` is the
control of the simulator check."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bayeszoo.families import hurdle_negbinomial, hurdle_poisson
from bayeszoo.families.ops import NUMPY, jax_ops
from bayeszoo.inference.sampling import as_design
from bayeszoo.inference.sbc import prior_draws, simulate_chunk
from bayeszoo.models.spec import model_spec
from bayeszoo.runtime import ensure_configured

N_DRAWS = 10**6
#: the benchmark's priors for hurdle_negbinomial (hu keeps brms's default)
PRIORS = {"Intercept": "normal(1, 0.5)", "b": "normal(0, 0.5)", "sd": "normal(0, 0.5)",
          "shape": "gamma(4, 1)"}


def brms_hurdle_negbinomial_lpmf(y, mu, phi, hu):
    """brms's ``hurdle_neg_binomial_lpmf``: ``log(hu)`` at zero, else ``log1m(hu) +
    neg_binomial_2_lpmf(y | mu, phi) - log1m_exp(neg_binomial_2_lpmf(0 | mu, phi))``."""
    p = phi / (phi + mu)
    positive = (np.log1p(-hu) + stats.nbinom.logpmf(y, phi, p)
                - np.log(-np.expm1(stats.nbinom.logpmf(0, phi, p))))
    return np.where(y == 0, np.log(hu), positive)


def frequencies_against_pmf(family, mu, aux, seed):
    """``(P(0) drawn, chi-square p, max |frequency - pmf|, total pmf)`` of ``N_DRAWS`` draws at
    fixed parameters against ``exp(log_prob)``, bins of expected count under 5 pooled."""
    rng = np.random.default_rng(seed)
    y = family.draw(rng, np.full(N_DRAWS, np.log(mu)), {k: np.full(N_DRAWS, v)
                                                       for k, v in aux.items()})
    ks = np.arange(int(y.max()) + 1, dtype=float)
    pmf = np.exp(family.log_prob(NUMPY, ks, np.full(ks.shape, np.log(mu)),
                                 {k: np.full(ks.shape, v) for k, v in aux.items()}, {}))
    counts = np.bincount(y.astype(int), minlength=ks.size)
    expected = pmf * N_DRAWS
    big = expected >= 5
    obs = np.append(counts[big], counts[~big].sum())
    exp_ = np.append(expected[big], N_DRAWS - expected[big].sum())
    chi2 = float(np.sum((obs - exp_) ** 2 / exp_))
    return (counts[0] / N_DRAWS, stats.chi2.sf(chi2, obs.size - 1),
            float(np.abs(counts / N_DRAWS - pmf).max()), float(pmf.sum()))


@pytest.mark.parametrize(("family", "mu", "aux", "seed"), [
    (hurdle_negbinomial(), 2.7, {"shape": 4.0, "hu": 0.3}, 0),
    (hurdle_negbinomial(), 0.5, {"shape": 1.0, "hu": 0.7}, 1),
    (hurdle_negbinomial(), 10.0, {"shape": 0.8, "hu": 0.1}, 2),
    (hurdle_negbinomial(), 0.05, {"shape": 5.0, "hu": 0.5}, 3),
    (hurdle_poisson(), 2.7, {"hu": 0.3}, 4),
    (hurdle_poisson(), 0.3, {"hu": 0.6}, 5),
])
def test_draws_follow_the_log_pmf(family, mu, aux, seed):
    p0, chi2_p, max_diff, total = frequencies_against_pmf(family, mu, aux, seed)
    hu = aux["hu"]
    assert abs(p0 - hu) < 4 * np.sqrt(hu * (1 - hu) / N_DRAWS)
    assert chi2_p > 0.001
    assert max_diff < 2e-3
    assert total == pytest.approx(1.0, abs=1e-5)


def test_positive_part_is_brms_zero_truncated_nb2():
    """Given ``y > 0``, the draws are NB2(mu, phi) truncated at zero: their mean is
    ``mu / (1 - P(0))`` with ``P(0) = (phi / (mu + phi))^phi``, not ``mu``."""
    mu, phi = 0.8, 1.5
    rng = np.random.default_rng(6)
    y = hurdle_negbinomial().draw(rng, np.full(N_DRAWS, np.log(mu)),
                                  {"shape": np.full(N_DRAWS, phi), "hu": np.zeros(N_DRAWS)})
    p0 = (phi / (mu + phi)) ** phi
    var = mu + mu**2 / phi
    truncated_mean = mu / (1 - p0)
    truncated_var = (var + mu**2) / (1 - p0) - truncated_mean**2
    assert y.min() == 1.0
    assert abs(y.mean() - truncated_mean) < 4 * np.sqrt(truncated_var / N_DRAWS)


def test_log_pmf_is_brms_hurdle_neg_binomial_lpmf():
    ensure_configured()
    rng = np.random.default_rng(7)
    n = 2000
    y = rng.integers(0, 40, n).astype(float)
    mu = np.exp(rng.uniform(-3, 4, n))
    phi = np.exp(rng.uniform(-2, 4, n))
    hu = rng.uniform(0.01, 0.99, n)
    want = brms_hurdle_negbinomial_lpmf(y, mu, phi, hu)
    for ops in (NUMPY, jax_ops()):
        got = hurdle_negbinomial().log_prob(ops, ops.asarray(y), ops.asarray(np.log(mu)),
                                            {"shape": ops.asarray(phi), "hu": ops.asarray(hu)},
                                            {})
        np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=1e-10)


@pytest.fixture(scope="module")
def benchmark_model():
    """benchmarks/sbc_families.py's hurdle_negbinomial model: ``y ~ x + (1 | g)``, 60 rows."""
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"x": rng.normal(size=60), "g": np.repeat([f"g{i}" for i in range(6)], 10),
                      "y": rng.poisson(2.0, 60)})
    design = as_design("y ~ x + (1 | g)", d, hurdle_negbinomial())
    return design, model_spec(design, PRIORS, "noncentered")


def test_sbc_draws_hu_from_its_beta_1_1_prior(benchmark_model):
    _, spec = benchmark_model
    assert spec.priors["hu"] == "beta(1, 1)"
    hu = prior_draws(spec, 4000, 1)["hu"].ravel()
    assert stats.kstest(hu, "uniform").pvalue > 0.01
    assert hu.mean() == pytest.approx(0.5, abs=0.015)


def test_hu_is_calibrated_under_its_exact_posterior(benchmark_model):
    """The posterior of a constant ``hu`` is ``Beta(1 + zeros, 1 + n - zeros)`` whatever the
    rest of the model, so ``F(hu drawn)`` under it is uniform over simulations when the
    simulator's zeros come with probability ``hu``: SBC of ``hu`` without a sampler."""
    design, spec = benchmark_model
    sims = simulate_chunk(design, spec, 1000, 5)
    hu = np.array([s.truth["hu"] for s in sims])
    zeros = np.array([np.sum(s.y == 0) for s in sims])
    u = stats.beta.cdf(hu, 1 + zeros, 1 + 60 - zeros)
    assert stats.kstest(u, "uniform").pvalue > 0.01
    assert u.mean() == pytest.approx(0.5, abs=0.03)
