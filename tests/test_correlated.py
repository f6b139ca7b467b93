"""Correlated group-level effects ``(1 + x | g)``: the design's one block per grouping factor,
the unstructured structure, brms's names and LKJ prior, one log density in NumPyro and PyMC
for every family, and the errors raised before anything compiles."""

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY
from bayeszoo.formula import design as make_design
from bayeszoo.inference.posterior import brms_posterior
from bayeszoo.inference.sampling import sample
from bayeszoo.models.spec import model_spec
from bayeszoo.structures import Unstructured

SLEEP = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def sleep():
    return bz.datasets.load_sleepstudy()


@pytest.fixture(scope="module")
def synth():
    rng = np.random.default_rng(0)
    n = 240
    df = pd.DataFrame({
        "g": pd.Categorical(rng.choice(list("abcdefgh"), n)),
        "h": pd.Categorical(rng.choice(list("uvw"), n)),
        "x": rng.normal(size=n),
        "z": rng.normal(size=n),
        "f": pd.Categorical(rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi"]),
    })
    df["y"] = 1 + df["x"] + rng.normal(size=n)
    df["count"] = rng.poisson(np.exp(0.5 + 0.3 * df["x"]))
    df["trials"] = 10
    df["successes"] = rng.binomial(10, 0.4, n)
    df["positive"] = np.exp(rng.normal(size=n))
    df["unit"] = rng.uniform(0.05, 0.95, n)
    df["binary"] = rng.integers(0, 2, n)
    return df


# --------------------------------------------------------------------------- the design


def test_one_block_per_grouping_factor(sleep):
    d = make_design(SLEEP, sleep)
    (b,) = d.blocks
    assert (b.name, b.coef, b.term, b.kind) == ("Subject", None, "(Days | Subject)", "re")
    assert b.structure == Unstructured(("Intercept", "Days"))
    assert b.labels == list(sleep["Subject"].cat.categories)
    np.testing.assert_array_equal(b.weights, np.column_stack([np.ones(180), sleep["Days"]]))
    np.testing.assert_array_equal(b.index, sleep["Subject"].cat.codes)
    # level-major Z: level g's intercept and slope are columns 2g and 2g + 1
    Z = b.Z
    assert Z.shape == (180, 36) and b.size == 36
    rows = np.arange(180)
    np.testing.assert_array_equal(Z[rows, 2 * b.index], 1.0)
    np.testing.assert_array_equal(Z[rows, 2 * b.index + 1], sleep["Days"])
    assert Z.sum() == 180 + sleep["Days"].sum()
    names = b.names
    assert [s.name for s in names.scales] == ["sd_Subject__Intercept", "sd_Subject__Days",
                                              "L_Subject"]
    assert [s.support for s in names.scales] == ["positive", "positive", "correlation"]
    assert names.scales[2].shape == (2, 2)
    assert (names.coef, names.dims) == ("r_Subject", ("Subject", "Subject__coef"))
    assert names.coords[1] == ("Intercept", "Days")


@pytest.mark.parametrize("formula, coefs", [
    ("y ~ x + (1 + x | g)", ("Intercept", "x")),
    ("y ~ x + (x | g)", ("Intercept", "x")),
    ("y ~ (1 + x + z | g)", ("Intercept", "x", "z")),
    ("y ~ (1 + f | g)", ("Intercept", "fmid", "fhi")),
    ("y ~ (0 + f | g)", ("flo", "fmid", "fhi")),
    ("y ~ (0 + x + z | g)", ("x", "z")),
])
def test_left_side_as_model_matrix(synth, formula, coefs):
    (b,) = make_design(formula, synth).blocks
    assert b.structure.coefs == coefs
    assert b.weights.shape == (len(synth), len(coefs))
    f = synth["f"].to_numpy()
    expected = {"Intercept": np.ones(len(synth)), "x": synth["x"], "z": synth["z"],
                "flo": f == "lo", "fmid": f == "mid", "fhi": f == "hi"}
    for j, c in enumerate(coefs):
        np.testing.assert_array_equal(b.weights[:, j], expected[c])


def test_several_crossed_and_nested_terms(synth):
    d = make_design("y ~ x + (1 + x | g) + (1 + z | h)", synth)
    assert [(b.name, b.names.coef, b.structure.coefs) for b in d.blocks] == [
        ("g", "r_g", ("Intercept", "x")), ("h", "r_h", ("Intercept", "z"))]
    d = make_design("y ~ x + (1 + x | h/g)", synth)
    assert [(b.name, b.term) for b in d.blocks] == [("h", "(1 + x | h)"),
                                                    ("h:g", "(1 + x | h:g)")]
    assert d.blocks[1].labels[0] == "u_a" and d.blocks[1].names.coef == "r_h:g"
    crossed = make_design("y ~ (1 + x | g:h)", synth).blocks[0]
    assert crossed.name == "g:h" and len(crossed.labels) == len(
        set(zip(synth["g"], synth["h"], strict=True)))
    # a correlated term beside an independent slope of the same factor
    d = make_design("y ~ (1 + x | g) + (0 + z | g)", synth)
    assert [b.names.coef for b in d.blocks] == ["r_g", "r_g__z"]


def test_double_bar_keeps_independent_blocks(synth):
    d = make_design("y ~ x + (1 + x || g)", synth)
    assert [(b.coef, b.term, b.structure.kind) for b in d.blocks] == [
        ("Intercept", "(1 | g)", "iid"), ("x", "(0 + x | g)", "iid")]
    d = make_design("y ~ (1 + f || g)", synth)
    assert [b.coef for b in d.blocks] == ["Intercept", "fmid", "fhi"]


def test_new_levels_get_zero_weights(sleep):
    d = make_design(SLEEP, sleep)
    new = pd.DataFrame({"Days": [1.0, 2.0], "Subject": ["308", "999"]})
    with pytest.raises(ValueError, match="999"):
        d.for_newdata(new)
    nd = d.for_newdata(new, allow_new_levels=True)
    np.testing.assert_array_equal(nd.blocks[0].weights, [[1.0, 1.0], [0.0, 0.0]])


def test_unstructured_coefficients():
    """``z (diag(sd) L)ᵀ`` batched over chains and draws: each level's coefficients have
    covariance ``diag(sd) L Lᵀ diag(sd)`` (with the rows of the identity as ``z``, ``rᵀr`` is
    that covariance exactly)."""
    rng = np.random.default_rng(1)
    sd = np.array([2.0, 0.5, 1.5])
    C = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
    L = np.linalg.cholesky(C)
    r = Unstructured(("a", "b", "c")).coefficients([sd[0], sd[1], sd[2], L], np.eye(3), NUMPY)
    np.testing.assert_allclose(r.T @ r, np.outer(sd, sd) * C, atol=1e-14)
    z = rng.normal(size=(5, 3))
    batch = Unstructured(("a", "b", "c")).coefficients(
        [np.full((2, 4), s) for s in sd] + [np.broadcast_to(L, (2, 4, 3, 3))],
        np.broadcast_to(z, (2, 4, 5, 3)), NUMPY)
    np.testing.assert_allclose(batch[1, 3], (z @ L.T) * sd)


def test_posterior_names_and_correlations(sleep):
    """brms's names: one sd per coefficient, ``cor_Subject__Intercept__Days`` from the
    Cholesky factor (``L_Subject`` itself stays out), ``r_Subject[level, coef]``."""
    d = make_design(SLEEP, sleep)
    spec = model_spec(d)
    rng = np.random.default_rng(2)
    rho = rng.uniform(-0.9, 0.9, (2, 3))
    L = np.zeros((2, 3, 2, 2))
    L[..., 0, 0] = 1
    L[..., 1, 0] = rho
    L[..., 1, 1] = np.sqrt(1 - rho**2)
    draws = {s.name: rng.normal(size=(2, 3, *s.shape)) for s in spec.sites}
    draws["L_Subject"] = L
    for s in ("sd_Subject__Intercept", "sd_Subject__Days", "sigma"):
        draws[s] = np.abs(draws[s])
    post = brms_posterior(spec, draws, d)
    assert list(post) == ["b_Intercept", "b_Days", "sd_Subject__Intercept", "sd_Subject__Days",
                          "cor_Subject__Intercept__Days", "sigma", "Intercept", "r_Subject"]
    np.testing.assert_allclose(post["cor_Subject__Intercept__Days"], rho)
    r = post["r_Subject"]
    assert r.shape == (2, 3, 18, 2)
    z = draws["z_0"]
    np.testing.assert_allclose(r[..., 0], draws["sd_Subject__Intercept"][..., None] * z[..., 0])
    np.testing.assert_allclose(
        r[..., 1], draws["sd_Subject__Days"][..., None]
        * (rho[..., None] * z[..., 0] + np.sqrt(1 - rho**2)[..., None] * z[..., 1]))


def test_sufficient_statistics_of_correlated_blocks():
    """The Gaussian log likelihood from sufficient statistics equals the row-wise one, value and
    gradient, with blocks of k weights per row crossed with each other and with a plain one."""
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    import jax
    import jax.numpy as jnp

    from bayeszoo.families.gaussian_stats import gaussian_stats, normal_loglik

    rng = np.random.default_rng(5)
    n = 300
    D = np.column_stack([np.ones(n), rng.normal(size=n)])
    g, h = rng.integers(0, 9, n), rng.integers(0, 4, n)
    w2 = np.column_stack([np.ones(n), D[:, 1]])
    w3 = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(size=n)])
    blocks = [(g, w2, 9), (h, np.ones(n), 4), (h, w3, 4)]
    y = 20 + rng.normal(size=n)
    stats = gaussian_stats(y, D, blocks)
    assert stats.block_sq[0].shape == (9, 2, 2) and stats.dense_block[2].shape == (2, 4, 3)
    assert stats.pairs[(0, 2)][2].shape[1:] == (2, 3) and stats.pairs[(0, 1)][2].shape[1:] == (2, 1)

    def rowwise(a, r0, r1, r2, sigma):
        mu = D @ a + (r0[g] * w2).sum(-1) + r1[h] + (r2[h] * w3).sum(-1)
        return jnp.sum(jax.scipy.stats.norm.logpdf(y, mu, sigma))

    def summarized(a, r0, r1, r2, sigma):
        return normal_loglik(stats, a, [r0, r1, r2], sigma)

    for _ in range(3):
        args = (rng.normal(size=2) + [20, 0], rng.normal(size=(9, 2)), rng.normal(size=4),
                rng.normal(size=(4, 3)), rng.uniform(0.5, 2))
        assert float(summarized(*args)) == pytest.approx(float(rowwise(*args)), rel=1e-10)
        for ga, gb in zip(jax.grad(summarized, argnums=(0, 1, 2, 3))(*args),
                          jax.grad(rowwise, argnums=(0, 1, 2, 3))(*args), strict=True):
            np.testing.assert_allclose(ga, gb, rtol=1e-8, atol=1e-8)


# --------------------------------------------------------------------------- priors


def test_default_and_overridden_priors(sleep):
    spec = model_spec(make_design(SLEEP, sleep))
    assert spec.priors == {"b_Days": "flat()", "Intercept": "student_t(3, 288.7, 59.3)",
                           "sd_Subject__Intercept": "half_student_t(3, 59.3)",
                           "sd_Subject__Days": "half_student_t(3, 59.3)",
                           "L_Subject": "lkj(1)", "sigma": "half_student_t(3, 59.3)"}
    assert [(s.name, s.shape, s.support) for s in spec.sites if s.name.startswith(("L", "z"))] \
        == [("L_Subject", (2, 2), "correlation"), ("z_0", (18, 2), "real")]
    d = make_design(SLEEP, sleep)
    for key in ("cor", "cor_Subject", "L", "L_Subject"):
        assert model_spec(d, {key: "lkj(2)"}).priors["L_Subject"] == "lkj(2)"
    spec = model_spec(d, {"cor": "lkj(4)", "cor_Subject": "lkj_corr_cholesky(2)",
                          "sd": "exponential(1)", "sd_Subject__Days": "half_normal(5)"})
    assert spec.priors["L_Subject"] == "lkj(2)"
    assert spec.priors["sd_Subject__Intercept"] == "exponential(1)"
    assert spec.priors["sd_Subject__Days"] == "half_normal(5)"
    assert model_spec(d, {"sd_Subject": "half_normal(9)"}).priors["sd_Subject__Days"] \
        == "half_normal(9)"


def test_brms_default_priors_match_the_fixture(sleep):
    import json

    from conftest import FIXTURES

    ref = json.loads((FIXTURES / "brms_wave2.json").read_text())["sleep_corr"]["priors"]
    brms = {(r["class"], r["group"]): r["prior"] for r in ref if r["prior"]}
    spec = model_spec(make_design(SLEEP, sleep))
    assert brms[("Intercept", "")] == "student_t(3, 288.7, 59.3)" == spec.priors["Intercept"]
    assert brms[("L", "")] == "lkj_corr_cholesky(1)"
    assert spec.priors["L_Subject"] == "lkj(1)"
    assert brms[("sd", "")] == "student_t(3, 0, 59.3)"
    assert spec.priors["sd_Subject__Days"] == "half_student_t(3, 59.3)"


def test_correlation_prior_keys_of_a_distributional_term(synth):
    d = make_design(bz.bf("y ~ x + (1 + x | g)", sigma="~ (1 + x | g)"), synth)
    (b,) = d.dpars["sigma"].blocks
    assert [s.name for s in b.names.scales] == ["sd_g__sigma_Intercept", "sd_g__sigma_x",
                                                "L_sigma_g"]
    spec = model_spec(d, {"cor_sigma": "lkj(3)", "cor": "lkj(2)"})
    assert (spec.priors["L_sigma_g"], spec.priors["L_g"]) == ("lkj(3)", "lkj(2)")


@pytest.mark.parametrize("priors, match", [
    ({"cor": "lkj(0)"}, "eta must be > 0"),
    ({"cor_Subject": "lkj(-1)"}, "eta must be > 0"),
    ({"cor": "normal(0, 1)"}, "correlation matrix"),
    ({"sd_Subject__Days": "lkj(2)"}, "not allowed"),
    ({"cor_Days": "lkj(2)"}, "unknown prior name"),
])
def test_bad_correlation_priors(sleep, priors, match):
    with pytest.raises(ValueError, match=match):
        model_spec(make_design(SLEEP, sleep), priors)


# --------------------------------------------------------------------------- log density


def _random_points(pymc_model, rng, n=3):
    """Random unconstrained points: ``{value variable: array}`` and the same by free RV."""
    start = pymc_model.initial_point()
    for _ in range(n):
        point, by_rv = {}, {}
        for rv in pymc_model.free_RVs:
            vv = pymc_model.rvs_to_values[rv]
            point[vv.name] = rng.normal(size=np.shape(start[vv.name])) * 0.5
            by_rv[rv.name] = point[vv.name]
        yield point, by_rv


def _assert_same_log_density(d, priors=None, sufficient_stats=True):
    import jax
    from numpyro.infer.util import initialize_model

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    nm = build_numpyro(d, priors, sufficient_stats=sufficient_stats)
    pm_model = build_pymc(d, priors).model
    potential = initialize_model(jax.random.PRNGKey(0), nm.model,
                                 model_args=(nm.data,)).potential_fn
    logp = pm_model.compile_logp(jacobian=True)
    for point, by_rv in _random_points(pm_model, np.random.default_rng(1)):
        assert -float(potential(by_rv)) == pytest.approx(float(logp(point)), rel=1e-9,
                                                         abs=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("sufficient_stats", [True, False])
def test_same_log_density_numpyro_pymc(sleep, sufficient_stats):
    """The same joint log density, Jacobians included, at random unconstrained points: the
    Gaussian likelihood through NumPyro's sufficient statistics and row by row."""
    _assert_same_log_density(make_design(SLEEP, sleep), {"cor": "lkj(2)"}, sufficient_stats)


@pytest.mark.slow
@pytest.mark.parametrize("k, eta", [(2, 1.0), (3, 0.5), (4, 2.5), (5, 1.0)])
def test_lkj_prior_equals_numpyros_own(k, eta):
    """The LKJ Cholesky prior of both backends (PyMC's variable, NumPyro's distribution with
    its transform) is NumPyro's ``LKJCholesky`` log density plus the log Jacobian of its
    ``CorrCholeskyTransform``, on the same map between ``L`` and the unconstrained vector."""
    import jax
    import jax.numpy as jnp
    import numpyro.distributions as dist
    import pymc as pm
    from numpyro.distributions.transforms import CorrCholeskyTransform, biject_to

    from bayeszoo.models.numpyro_lkj import lkj_cholesky_distribution
    from bayeszoo.models.pymc_lkj import lkj_cholesky_variable

    with pm.Model() as m:
        rv = lkj_cholesky_variable("L", k, eta)
    logp = m.compile_logp(jacobian=True)
    transform = m.rvs_to_transforms[rv]
    value = m.rvs_to_values[rv].name
    ours = lkj_cholesky_distribution(k, eta)
    ours_transform = biject_to(ours.support)
    rng = np.random.default_rng(k)
    for _ in range(3):
        x = jnp.asarray(rng.normal(size=k * (k - 1) // 2))
        L = CorrCholeskyTransform()(x)
        ref = float(dist.LKJCholesky(k, eta).log_prob(L)
                    + CorrCholeskyTransform().log_abs_det_jacobian(x, L))
        assert float(logp({value: np.asarray(x)})) == pytest.approx(ref, rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(transform.backward(np.asarray(x)).eval(), L, atol=1e-14)
        np.testing.assert_allclose(transform.forward(np.asarray(L)).eval(), x, atol=1e-10)
        np.testing.assert_allclose(ours_transform(x), L, atol=1e-14)
        np.testing.assert_allclose(ours_transform.inv(L), x, atol=1e-10)
        assert float(ours.log_prob(L) + ours_transform.log_abs_det_jacobian(x, L)) \
            == pytest.approx(ref, rel=1e-12, abs=1e-12)
    draws = ours.sample(jax.random.PRNGKey(0), (2000,))
    omega = np.asarray(draws @ np.swapaxes(draws, -1, -2))
    np.testing.assert_allclose(np.diagonal(omega, axis1=-2, axis2=-1), 1.0, atol=1e-12)
    # each correlation's marginal: (r + 1)/2 ~ Beta(eta - 1 + k/2, eta - 1 + k/2), var 1/(2a+1)
    a = eta - 1 + k / 2
    assert omega[:, 1, 0].var() == pytest.approx(1 / (2 * a + 1), rel=0.15)


@pytest.mark.slow
@pytest.mark.parametrize("family, formula", [
    ("student", "y ~ x + (1 + x | g)"),
    ("poisson", "count ~ x + (1 + x | g)"),
    ("binomial", "successes | trials(trials) ~ x + (1 + x + z | g)"),
    ("bernoulli", "binary ~ (1 + x | h)"),
    ("negbinomial", "count ~ (0 + x + z | g)"),
    ("gamma(log)", "positive ~ x + (1 + x | g)"),
    ("beta", "unit ~ (1 + f | g)"),
])
def test_same_log_density_every_family(synth, family, formula):
    name, _, link = family.rstrip(")").partition("(")
    d = make_design(formula, synth, family=bz.families.get(name, link=link or None))
    _assert_same_log_density(d, {"cor": "lkj(1.5)"})


@pytest.mark.slow
def test_same_log_density_distributional_term(synth):
    d = make_design(bz.bf("y ~ x + (1 + x | g)", sigma="~ (1 + x | g)"), synth)
    _assert_same_log_density(d)


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


def test_more_coefficients_than_levels(synth, no_compile):
    with pytest.raises(ValueError, match=r"5 correlated varying coefficients but grouping "
                                         r"factor 'h' has only 3 levels.*\|\| h\)"):
        sample("y ~ (1 + x + z + f | h)", synth)
    with pytest.raises(ValueError, match="only 3 levels"):
        sample("y ~ (1 + x + f | h)", synth)


def test_single_level_grouping(synth, no_compile):
    one = synth.assign(k=pd.Categorical(["only"] * len(synth)))
    with pytest.raises(ValueError, match=r"\(1 \+ x \| k\): grouping factor 'k' has a single "
                                         r"level \('only'\)"):
        sample("y ~ (1 + x | k)", one)
    with pytest.raises(ValueError, match="single level"):
        sample("y ~ (1 | k)", one)


def test_nan_in_a_slope_column(synth, no_compile):
    df = synth.copy()
    df.loc[[4, 9], "x"] = np.nan
    with pytest.raises(ValueError, match=r"'x' \(2 rows, term \(1 \+ x \| g\)\)"):
        sample("y ~ (1 + x | g)", df)


@pytest.mark.parametrize("prior", ["lkj(0)", "lkj(-0.5)", "lkj_corr_cholesky(0)", "lkj(inf)"])
def test_lkj_eta_must_be_positive(sleep, no_compile, prior):
    with pytest.raises(ValueError, match="eta must be"):
        sample(SLEEP, sleep, priors={"cor": prior})


def test_duplicated_and_split_correlated_terms(synth, no_compile):
    with pytest.raises(ValueError, match=r"g/Intercept appears twice"):
        sample("y ~ (1 + x | g) + (1 | g)", synth)
    with pytest.raises(ValueError, match="second correlated term of grouping factor 'g'"):
        sample("y ~ (1 + x | g) + (0 + z + f | g)", synth)


def test_centered_refuses_correlated_blocks(sleep, no_compile):
    with pytest.raises(ValueError, match="centered parameterization needs iid"):
        sample(SLEEP, sleep, parameterization="centered")
