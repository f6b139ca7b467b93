"""Every family as a model: the same joint log density in NumPyro and PyMC (Jacobians and the
truncated prior of Student-t's ``nu`` included), the collapsed likelihood of Poisson, binomial
and bernoulli equal to the row-wise one, the brms default priors of cbpp and epilepsy, and bad
input refused before anything compiles."""

import hashlib

import numpy as np
import pandas as pd
import pytest
from family_cases import CASE_IDS, CASES, case_design, simulated

import bayeszoo as bz
from bayeszoo.models.likelihood import ModelData
from bayeszoo.models.spec import model_spec


@pytest.fixture(scope="module")
def wave2():
    import json

    from conftest import FIXTURES

    return json.loads((FIXTURES / "brms_wave2.json").read_text())


FIXTURE_ROWS = {"cbpp": ("cbpp_binomial_re", "incidence | trials(size) ~ period + (1 | herd)",
                         "binomial"),
                "epilepsy": ("epilepsy_poisson_re", "count ~ zAge + zBase * Trt + (1 | patient)",
                             "poisson")}


def _numpyro_potential(design, priors=None, sufficient_stats=True):
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro

    built = build_numpyro(design, priors, sufficient_stats=sufficient_stats)
    info = initialize_model(jax.random.PRNGKey(0), built.model, model_args=(built.data,))
    return built, info.potential_fn


def _random_points(pm_model, spec, rng, k=3):
    """``k`` points of the unconstrained space, the intercept moved to its prior's location (a
    point where an inverse link is defined)."""
    out = []
    for _ in range(k):
        point = {}
        for rv in pm_model.free_RVs:
            shape = tuple(int(s) for s in rv.shape.eval())
            val = rng.normal(size=shape) * 0.3
            if rv.name == "Intercept":
                val = val * 0.1 + spec.site("Intercept").prior.named["mu"]
            point[rv.name] = val
        out.append(point)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_same_log_density_numpyro_pymc(case):
    """The joint log density (priors, Jacobians, likelihood) of NumPyro's model, collapsed or
    row by row, equals PyMC's at random points."""
    pytest.importorskip("pymc")
    from bayeszoo.models.pymc import build_pymc

    design = case_design(case)
    _, potential = _numpyro_potential(design)
    _, potential_rows = _numpyro_potential(design, sufficient_stats=False)
    pm_model = build_pymc(design).model
    logp = pm_model.compile_logp(jacobian=True)
    names = {rv.name: pm_model.rvs_to_values[rv].name for rv in pm_model.free_RVs}
    rng = np.random.default_rng(7)
    finite = 0
    for point in _random_points(pm_model, model_spec(design), rng):
        lp_pymc = float(logp({names[k]: v for k, v in point.items()}))
        lp_numpyro = -float(potential(point))
        lp_rows = -float(potential_rows(point))
        if not np.isfinite(lp_pymc):
            assert not np.isfinite(lp_numpyro)
            continue
        finite += 1
        assert lp_numpyro == pytest.approx(lp_pymc, rel=1e-9, abs=1e-6)
        assert lp_rows == pytest.approx(lp_pymc, rel=1e-9, abs=1e-6)
    assert finite >= 2


@pytest.mark.parametrize("prior", ["gamma(2, 0.1)", "exponential(0.5)", "half_normal(10)",
                                   "half_student_t(3, 10)", "lognormal(2, 1)",
                                   "uniform(0, 50)"])
def test_student_nu_is_truncated_at_one(prior):
    """``nu`` lives on (1, inf) with its prior renormalized there, as brms's
    ``gamma_lpdf(nu | 2, 0.1) - gamma_lccdf(1 | 2, 0.1)``: the prior's log density at nu
    (unconstrained u = log(nu - 1), Jacobian u) equals SciPy's truncated density, in both
    backends."""
    pytest.importorskip("pymc")
    from scipy import stats

    from bayeszoo.models.numpyro import prior_distribution
    from bayeszoo.models.priors import parse_prior
    from bayeszoo.models.pymc import prior_variable
    from bayeszoo.runtime import ensure_configured

    ensure_configured()  # double precision in JAX
    design = bz.design("yn ~ x", simulated(), family="student")
    spec = model_spec(design, {"nu": prior})
    assert spec.site("nu").support == "greater_than_1"
    p = parse_prior(prior)
    scipy_dist = {
        "gamma": lambda: stats.gamma(2, scale=10.0),
        "exponential": lambda: stats.expon(scale=2.0),
        "half_normal": lambda: stats.halfnorm(scale=10.0),
        "half_student_t": lambda: stats.t(3, scale=10.0),
        "lognormal": lambda: stats.lognorm(1.0, scale=np.exp(2.0)),
        "uniform": lambda: stats.uniform(0, 50),
    }[spec.site("nu").prior.family]()
    for nu in (1.05, 3.0, 17.0, 45.0):
        expected = scipy_dist.logpdf(nu) - scipy_dist.logsf(1.0)
        numpyro_lp = float(prior_distribution(p, "greater_than_1").log_prob(nu))
        assert numpyro_lp == pytest.approx(expected, rel=1e-10)
    import pymc as pm

    with pm.Model() as pm_model:
        nu_rv = prior_variable("nu", p, "greater_than_1")
    value_name = pm_model.rvs_to_values[nu_rv].name
    logp = pm_model.compile_logp(jacobian=True)
    for u in (-2.0, 0.5, 3.0):
        if p.family == "uniform":  # uniform(1, 50): PyMC's and NumPyro's interval transform
            nu = 1.0 + 49.0 / (1.0 + np.exp(-u))
            jacobian = np.log(49.0) - np.logaddexp(0, -u) - np.logaddexp(0, u)
        else:
            nu, jacobian = 1.0 + np.exp(u), u
        expected = scipy_dist.logpdf(nu) - scipy_dist.logsf(1.0) + jacobian
        # PyMC normalizes through its logcdf, accurate to about 1e-7 here
        assert float(logp({value_name: u})) == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_prior_without_mass_above_the_bound_is_refused():
    design = bz.design("yn ~ x", simulated(), family="student")
    with pytest.raises(ValueError, match="no mass above 1"):
        model_spec(design, {"nu": "uniform(0, 0.5)"})


@pytest.mark.parametrize("case", [c for c in CASES if c.collapses],
                         ids=[c.id for c in CASES if c.collapses])
def test_collapsed_likelihood_equals_row_wise(case):
    """Rows sharing a design row (and exposure) collapse into one weighted row: the NumPyro
    potential and its gradient are those of the row-wise likelihood, with fewer rows."""
    import jax

    design = case_design(case)
    built, potential = _numpyro_potential(design)
    assert not isinstance(built.data, ModelData)
    assert built.data.arrays.X.shape[0] < 0.7 * design.n
    assert built.data.n_rows == design.n
    rows, potential_rows = _numpyro_potential(design, sufficient_stats=False)
    assert isinstance(rows.data, ModelData)
    rng = np.random.default_rng(3)
    from bayeszoo.models.pymc import build_pymc

    for point in _random_points(build_pymc(design).model, built.spec, rng):
        assert float(potential(point)) == pytest.approx(float(potential_rows(point)), rel=1e-12)
        g, g_rows = jax.grad(potential)(point), jax.grad(potential_rows)(point)
        for k in point:
            np.testing.assert_allclose(np.asarray(g[k]), np.asarray(g_rows[k]), rtol=1e-10,
                                       atol=1e-10)


def test_distinct_rows_of_a_design():
    """Patterns are the distinct (X, offset, block level and weight) rows; the sums of the
    response statistics over them add up to the totals."""
    from bayeszoo.design import design_arrays
    from bayeszoo.families.patterns import distinct_rows, pattern_sums

    df = simulated()
    d = bz.design("yc ~ x + offset(log(expo)) + (1 | g)", df, family="poisson")
    arrays = design_arrays(d)
    patterns, inverse = distinct_rows(arrays)
    key = pd.DataFrame({"x": df.x, "expo": df.expo, "g": df.g.cat.codes})
    assert patterns.X.shape[0] == len(key.drop_duplicates())
    np.testing.assert_array_equal(patterns.X[inverse], arrays.X)
    np.testing.assert_array_equal(patterns.offset[inverse], arrays.offset)
    np.testing.assert_array_equal(patterns.blocks[0].index[inverse], arrays.blocks[0].index)
    (total,) = pattern_sums(inverse, patterns.X.shape[0], df.yc)
    assert total.sum() == df.yc.sum()


def test_no_collapse_when_every_row_is_distinct():
    df = simulated()
    df["x"] = np.arange(len(df), dtype=float)
    from bayeszoo.models.numpyro import build_numpyro

    assert isinstance(build_numpyro(bz.design("yc ~ x", df, family="poisson")).data, ModelData)


@pytest.mark.parametrize("dataset", ["cbpp", "epilepsy"])
def test_default_priors_equal_the_fixture_rows(dataset, wave2):
    """brms's prior rows of the reference fits (``prior_summary``): the intercept's and the sd's
    Student-t, flat slopes."""
    key, formula, family = FIXTURE_ROWS[dataset]
    fixture = wave2[key]
    data = getattr(bz.datasets, f"load_{dataset}")()
    spec = model_spec(bz.design(formula, data, family=family))
    rows = {(r["class"], r["coef"], r["group"]): r["prior"] for r in fixture["priors"]}
    assert spec.priors["Intercept"] == rows[("Intercept", "", "")]
    group = next(g for (cls, _, g) in rows if cls == "sd" and g)
    t = rows[("sd", "", "")]
    assert t.startswith("student_t(3, 0, ")
    assert spec.priors[f"sd_{group}__Intercept"] == "half_" + t.replace("(3, 0, ", "(3, ")
    slopes = [f"b_{c}" for (cls, c, _) in rows if cls == "b" and c]
    assert slopes and all(spec.priors[s] == "flat()" for s in slopes)
    assert set(spec.priors) == {"Intercept", f"sd_{group}__Intercept", *slopes}


def test_eight_schools_dataset():
    df = bz.datasets.load_eight_schools()
    assert list(df.y) == [28, 8, -3, 7, -1, 1, 18, 12]
    assert list(df.sigma) == [15, 10, 16, 11, 9, 11, 10, 18]
    assert list(df.school.cat.categories) == list("ABCDEFGH")
    from importlib import resources

    raw = (resources.files("bayeszoo.datasets") / "data" / "eight_schools.csv").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == \
        "a1c28881a82a652fba1d3afc6254761fa95fd7f16f2ccab1fc7a7075dc8a8a0e"


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def no_compile(monkeypatch):
    """Fail if any backend would be built."""
    import bayeszoo.models.numpyro as bn
    import bayeszoo.models.pymc as bp

    def boom(*a, **k):
        raise AssertionError("a model was built before the input was validated")

    monkeypatch.setattr(bn, "build_numpyro", boom)
    monkeypatch.setattr(bp, "build_pymc", boom)


def _with(column, value, row=3):
    df = simulated()
    df[column] = df[column].astype(float)
    df.loc[row, column] = value
    return df


BAD_INPUT = [
    ("yb ~ x", "bernoulli", _with("yb", 0.5), r"'yb'.*0 or 1.*row 3 has 0\.5"),
    ("yb ~ x", "bernoulli", _with("yb", 2.0), r"'yb'.*row 3 has 2"),
    ("yc ~ x", "poisson", _with("yc", -1.0), r"'yc'.*non-negative whole.*row 3 has -1"),
    ("yc ~ x", "negbinomial", _with("yc", 2.5), r"'yc'.*row 3 has 2\.5"),
    ("yk | trials(t) ~ x", "binomial", _with("yk", 9.0), r"'yk'.*9 successes at row 3"),
    ("yk | trials(t) ~ x", "binomial", _with("yk", 1.5), r"'yk'.*whole counts.*row 3"),
    ("ypos ~ x", "gamma", _with("ypos", 0.0), r"'ypos'.*row 3"),
    ("ypos ~ x", "gamma", _with("ypos", -2.0), r"'ypos'.*row 3"),
    ("yp ~ x", "beta", _with("yp", 1.0), r"'yp'.*row 3"),
    ("yp ~ x", "beta", _with("yp", 0.0), r"'yp'.*row 3"),
    ("yn | se(w) ~ x", "gaussian", _with("w", 0.0), r"se must be positive.*row 3"),
    ("yn | weights(w) ~ x", "gaussian", _with("w", -1.0), r"weights.*non-negative.*row 3"),
    ("yc ~ x + offset(log(expo))", "poisson", _with("expo", np.nan),
     r"NaN.*'expo'.*offset\(log\(expo\)\)"),
    ("yc ~ x + offset(expo)", "poisson", _with("expo", np.inf),
     r"'expo' of offset\(expo\).*row 3: inf"),
    ("yc ~ x + offset(log(expo))", "poisson", _with("expo", -1.0),
     r"cannot evaluate offset\(log\(expo\)\).*null values"),
    ("yc ~ x", "zeroinflated_poisson", simulated(), r"unknown family 'zeroinflated_poisson'"),
    ("yk ~ x", "binomial", simulated(), r"needs trials\(\)"),
]


@pytest.mark.parametrize("formula, family, data, match", BAD_INPUT,
                         ids=[f"{i}" for i in range(len(BAD_INPUT))])
def test_bad_input_named_before_compiling(no_compile, formula, family, data, match):
    with pytest.raises(ValueError, match=match):
        bz.sample(formula, data, family=family, progress=False)
    with pytest.raises(ValueError, match=match):
        bz.design(formula, data, family=family)


def test_huge_log_likelihood_is_refused_before_sampling(no_compile):
    df = pd.DataFrame({"y": np.zeros(200_000), "x": np.tile([0.0, 1.0], 100_000)})
    with pytest.raises(ValueError, match=r"200,000 rows × 4,000 draws would take 6\.0 GiB; "
                                         r"pass log_likelihood=False"):
        bz.sample("y ~ x", df, family="poisson")
    with pytest.raises(ValueError, match="log_likelihood must be True or False"):
        bz.sample("y ~ x", df, family="poisson", log_likelihood="no")


@pytest.mark.parametrize("family, link, match", [
    ("poisson", "logit", r"'poisson' has no link 'logit'; valid links: log, identity"),
    ("gamma", "probit", r"'gamma' has no link 'probit'"),
    ("frechet", None, r"unknown family 'frechet'.*valid families"),
])
def test_unknown_family_or_link(no_compile, family, link, match):
    with pytest.raises(ValueError, match=match):
        bz.sample("yc ~ x", simulated(), family=bz.families.get(family, link=link)
                  if link else family)
