"""NUTS for every family: cbpp (binomial) and epilepsy (Poisson) against brms, NumPyro, PyMC and
nutpie in agreement within Monte Carlo error for every family, ``bz.predict`` with each family's
meaning, and the stored pointwise log-likelihood against SciPy row by row.

All of it samples, so all of it is ``slow``; fits are shared through module fixtures and kept
lean (4 chains × 500 draws for the cross-backend cases).
"""

import json

import arviz as az
import numpy as np
import pytest
from agreement import assert_loo_agrees, assert_posterior_agrees
from family_cases import CASES, case_data, case_design
from scipy import stats

import bayeszoo as bz
from bayeszoo.inference.compare import loo

pytestmark = pytest.mark.slow

BACKENDS = ["numpyro", "pymc", "nutpie"]
#: one case per family (the links and additions are covered by the log-density tests)
AGREEMENT = ["gaussian_se", "student", "bernoulli_logit", "binomial", "poisson_offset",
             "negbinomial", "gamma_log", "beta"]
REFERENCE = {
    "cbpp_binomial_re": ("cbpp", "incidence | trials(size) ~ period + (1 | herd)", "binomial"),
    "epilepsy_poisson_re": ("epilepsy", "count ~ zAge + zBase * Trt + (1 | patient)",
                            "poisson"),
}


@pytest.fixture(scope="module")
def wave2():
    from conftest import FIXTURES

    return json.loads((FIXTURES / "brms_wave2.json").read_text())


@pytest.fixture(scope="module", params=list(REFERENCE))
def reference_fit(request, wave2):
    dataset, formula, family = REFERENCE[request.param]
    data = getattr(bz.datasets, f"load_{dataset}")()
    idata = bz.sample(formula, data, family=family, chains=4, draws=1000, tune=1000, seed=1,
                      progress=False)
    return request.param, idata, wave2[request.param]


@pytest.mark.reference
def test_reference_posteriors_match_brms(reference_fit):
    """Every parameter's posterior mean within 0.1 brms posterior sd, its sd within 10 %,
    p_loo within 2 and elpd_loo within 1.5 of brms's (4 × 3000 draws)."""
    name, idata, ref = reference_fit
    assert int(idata.sample_stats["diverging"].sum()) == 0
    assert_posterior_agrees(name, lambda par: idata.posterior[par].values, ref["posterior"],
                            mean_sd=0.1, sd_rel=0.1)
    assert_loo_agrees(name, loo(idata), ref["loo"], p_loo=2.0, elpd_loo=1.5)


@pytest.mark.reference
def test_reference_epred_matches_brms(reference_fit):
    """``bz.predict(kind="epred")``'s posterior mean per row against brms's
    ``posterior_epred`` (within 5 % or 0.05 counts)."""
    _, idata, ref = reference_fit
    epred = bz.predict(idata, kind="epred").mean(axis=0)
    np.testing.assert_allclose(epred, ref["epred_mean"], rtol=0.05, atol=0.05)


@pytest.fixture(scope="module", params=AGREEMENT)
def backend_fits(request):
    case = next(c for c in CASES if c.id == request.param)
    design = case_design(case)
    fits = {}
    for backend in BACKENDS:
        if backend == "nutpie":
            pytest.importorskip("nutpie")
        fits[backend] = bz.sample(design, backend=backend, chains=4, draws=500, tune=500,
                                  seed=2, target_accept=0.9, progress=False)
    return case, fits


def _scalars(idata):
    return [v for v, da in idata.posterior.data_vars.items()
            if set(da.dims) <= {"chain", "draw"} and v != "Intercept"]


def test_backends_agree_within_monte_carlo_error(backend_fits):
    """Every scalar parameter's posterior mean agrees between each pair of backends within 4
    Monte Carlo standard errors; divergences (a few, where six groups leave the group sd near
    zero) stay below 1 % of the draws."""
    case, fits = backend_fits
    names = _scalars(fits["numpyro"])
    assert names
    means = {b: {n: float(f.posterior[n].mean()) for n in names} for b, f in fits.items()}
    mcse = {b: az.mcse(f.posterior[names], method="mean") for b, f in fits.items()}
    for b, f in fits.items():
        assert set(_scalars(f)) == set(names), b
    for i, a in enumerate(BACKENDS):
        for b in BACKENDS[i + 1:]:
            for n in names:
                tol = 4.0 * np.hypot(float(mcse[a][n]), float(mcse[b][n]))
                assert abs(means[a][n] - means[b][n]) < tol, (case.id, a, b, n)
    for b, f in fits.items():
        assert int(f.sample_stats["diverging"].sum()) < 20, (case.id, b)


def _scipy_log_density(case_id, data, mu, post, d):
    """``log p(y_i | draw d)`` with SciPy, weighted as brms weights."""
    def aux(name):
        return float(np.asarray(post[name].values).reshape(-1)[d])

    if case_id == "gaussian_se":
        return stats.norm(mu, data["sigma"]).logpdf(data["y"])
    if case_id == "gaussian_weights":
        return data["w"] * stats.norm(mu, aux("sigma")).logpdf(data["yn"])
    if case_id == "student":
        return stats.t(aux("nu"), mu, aux("sigma")).logpdf(data["yn"])
    if case_id.startswith("bernoulli"):
        return stats.bernoulli(mu).logpmf(data["yb"])
    if case_id == "binomial":
        return data["w"] * stats.binom(data["t"], mu / data["t"]).logpmf(data["yk"])
    if case_id == "poisson_offset":
        return data["w"] * stats.poisson(mu).logpmf(data["yc"])
    if case_id == "negbinomial":
        shape = aux("shape")
        return stats.nbinom(shape, shape / (shape + mu)).logpmf(data["yc"])
    if case_id.startswith("gamma"):
        shape = aux("shape")
        return stats.gamma(shape, scale=mu / shape).logpdf(data["ypos"])
    if case_id == "beta":
        phi = aux("phi")
        return stats.beta(mu * phi, (1 - mu) * phi).logpdf(data["yp"])
    raise AssertionError(case_id)


def test_pointwise_log_likelihood_equals_scipy(backend_fits):
    """The stored ``log_likelihood`` of a few draws equals SciPy's log density per row, from
    ``bz.predict(kind="epred")`` (mean, trials times probability for binomial) and the
    auxiliary parameters."""
    case, fits = backend_fits
    idata = fits["numpyro"]
    data = case_data(case)
    epred = bz.predict(idata, kind="epred")
    loglik = np.asarray(idata.log_likelihood[idata.attrs["response"]].values)
    loglik = loglik.reshape(-1, loglik.shape[-1])
    for d in (0, 17, 999):
        expected = _scipy_log_density(case.id, data, epred[d], idata.posterior, d)
        np.testing.assert_allclose(loglik[d], expected, rtol=1e-9, atol=1e-9)


def test_predict_kinds_have_the_family_meaning(backend_fits):
    """``linpred`` is the linear predictor, ``epred`` its inverse link (times trials for
    binomial), ``pp`` draws of the response: integers for counts, within the family's support,
    whose average over draws tracks ``epred``."""
    case, fits = backend_fits
    idata = fits["numpyro"]
    family = bz.families.get(idata.attrs["family"], link=idata.attrs["link"])
    data = case_data(case)
    eta = bz.predict(idata, kind="linpred")
    epred = bz.predict(idata, kind="epred")
    pp = bz.predict(idata, kind="pp", seed=4)
    assert eta.shape == epred.shape == pp.shape == (2000, len(data))
    trials = data["t"].to_numpy() if case.id == "binomial" else 1.0
    np.testing.assert_allclose(epred, family.link.inverse_np(eta) * trials, rtol=1e-12)
    if family.discrete:
        assert pp.dtype.kind == "i"
        assert pp.min() >= 0
        if case.id.startswith("bernoulli"):
            assert set(np.unique(pp)) <= {0, 1}
        if case.id == "binomial":
            assert np.all(pp <= data["t"].to_numpy())
    if case.id.startswith("gamma"):
        assert pp.min() > 0
    if case.id == "beta":
        assert 0 < pp.min() and pp.max() < 1
    # E[y] = E[epred]: the replicated data's mean over all rows tracks the expected mean
    assert abs(pp.mean() - epred.mean()) < 5 * pp.std() / np.sqrt(pp.size) + 0.02 * abs(
        epred.mean())

