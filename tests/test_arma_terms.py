"""brms's ``ma(time =, gr =, q =)`` and ``arma(time =, gr =, p =, q =)`` for Gaussian and
Student-t responses: the terms as parsed and stored, their sites, priors and prior-table rows,
and the log density against brms's Stan recursion written out by hand (row by row in series
order) in NumPy, JAX and PyMC; NumPyro's and PyMC's joint densities agree."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY, jax_ops
from bayeszoo.formula import FormulaError
from bayeszoo.formula.ar_terms import ArState, lag_rows
from bayeszoo.formula.term_types import UNSUPPORTED, recognise, state_from_dict
from bayeszoo.models.likelihood import model_data, pointwise_log_likelihood
from bayeszoo.models.spec import model_spec


def _panel(seed: int = 0) -> pd.DataFrame:
    """Three series of unequal length (``g``), times with gaps, rows shuffled."""
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"g": ["a"] * 7 + ["b"] * 5 + ["c"] * 9,
                      "t": [*range(0, 14, 2), *range(5), *range(3, 12)]})
    d["x"] = rng.normal(size=len(d))
    d["y"] = 0.5 + 0.8 * d["x"] + rng.normal(size=len(d))
    return d.sample(frac=1.0, random_state=1).reset_index(drop=True)


def hand_arma_mu(d: pd.DataFrame, eta: np.ndarray, ar: np.ndarray, ma: np.ndarray
                 ) -> np.ndarray:
    """brms 2.18's Stan loop, one row at a time in series then time order::

        mu[n] += Err[n, 1:Kma] * ma; err[n] = Y[n] - mu[n];
        Err[n + 1, i] = err[n + 1 - i]; mu[n] += Err[n, 1:Kar] * ar;
    """
    order = np.lexsort((d["t"].to_numpy(), d["g"].to_numpy()))
    y, g = d["y"].to_numpy()[order], d["g"].to_numpy()[order]
    mu = eta[order].astype(float).copy()
    N, p, q = len(y), len(ar), len(ma)
    max_lag = max(p, q)
    Err = np.zeros((N + 1, max_lag))
    err = np.zeros(N)
    for n in range(N):
        mu[n] += Err[n, :q] @ ma
        err[n] = y[n] - mu[n]
        for i in range(1, max_lag + 1):  # J_lag: the earlier rows of the next row's series
            if n + 1 < N and n + 1 - i >= 0 and g[n + 1 - i] == g[(n + 1) % N]:
                Err[n + 1, i - 1] = err[n + 1 - i]
        mu[n] += Err[n, :p] @ ar
    out = np.empty(N)
    out[order] = mu
    return out


VALUES = {"Intercept": np.array(0.4), "b_0": np.array([0.7]), "ar": np.array([0.5, -0.2]),
          "ma": np.array([0.3, 0.25, -0.1]), "sigma": np.array(0.9), "nu": np.array(6.0)}


def test_ma_and_arma_parse_and_round_trip():
    assert "ma" not in UNSUPPORTED and "arma" not in UNSUPPORTED
    text = "arma(time = t, gr = g, p = 2, q = 3)"
    term = recognise(text).parse(text, 4, f"y ~ {text}")
    assert (term.time, term.group, term.p, term.q) == ("t", "g", 2, 3)
    assert term.to_string() == text
    ma = recognise("ma(t, g, 2)").parse("ma(t, g, 2)", 4, "y ~ ma(t, g, 2)")
    assert (ma.time, ma.group, ma.p, ma.q) == ("t", "g", 0, 2)
    assert ma.to_string() == "ma(time = t, gr = g, q = 2)"
    default = recognise("arma(t)").parse("arma(t)", 4, "y ~ arma(t)")
    assert (default.p, default.q) == (1, 1)
    d = bz.design(f"y ~ x + {text}", _panel())
    (st,) = d.term_states
    assert st == ArState(text=text, time="t", group="g", p=2, q=3) and st.max_lag == 3
    assert state_from_dict(json.loads(json.dumps(st.to_dict()))) == st
    assert lag_rows(st, _panel()).shape == (21, 3)
    with pytest.raises(FormulaError, match="q must be a positive integer"):
        bz.design("y ~ ma(time = t, gr = g, q = 0)", _panel())
    with pytest.raises(FormulaError, match="unknown or repeated argument 'p' of ma"):
        bz.design("y ~ ma(time = t, p = 1)", _panel())
    with pytest.raises(FormulaError, match="not supported"):
        bz.design("y ~ ma(time = t, gr = g, cov = TRUE)", _panel())


def test_sites_priors_and_prior_table():
    d = _panel()
    spec = model_spec(bz.design("y ~ x + arma(time = t, gr = g, p = 2, q = 3)", d))
    assert [s.name for s in spec.sites] == ["b_0", "Intercept", "ar", "ma", "sigma"]
    assert spec.site("ma").shape == (3,) and spec.site("ma").support == "ar"
    assert (spec.ar, spec.ma) == ("ar", "ma")
    assert spec.priors["ar"] == spec.priors["ma"] == "flat()"
    only_ma = model_spec(bz.design("y ~ 1 + ma(time = t, gr = g)", d),
                         {"ma": "uniform(-0.5, 0.5)"})
    assert [s.name for s in only_ma.sites] == ["Intercept", "ma", "sigma"]
    assert only_ma.ar is None and only_ma.priors["ma"] == "uniform(-0.5, 0.5)"
    with pytest.raises(ValueError, match="unknown prior name"):
        model_spec(bz.design("y ~ 1 + ma(time = t, gr = g)", d), {"ar": "uniform(-1, 1)"})
    table = bz.get_prior("y ~ x + arma(time = t, gr = g, p = 2, q = 3)", d)
    rows = table[table["class"].isin(["ar", "ma"])]
    assert list(rows["class"]) == ["ar", "ma"] and list(rows["prior"]) == ["", ""]


@pytest.mark.parametrize("family", ["gaussian", "student"])
@pytest.mark.parametrize("formula", ["arma(time = t, gr = g, p = 2, q = 3)",
                                     "ma(time = t, gr = g, q = 2)",
                                     "arma(time = t, gr = g, p = 1, q = 1)"])
def test_log_likelihood_is_brms_recursion(family, formula):
    d = _panel()
    design = bz.design(f"y ~ x + {formula}", d, family=family)
    spec = model_spec(design)
    values = {s.name: VALUES[s.name][:s.shape[0]] if s.shape else VALUES[s.name]
              for s in spec.sites}
    data = model_data(design, spec)
    eta = 0.4 + 0.7 * (d["x"].to_numpy() - d["x"].mean())
    p = spec.site("ar").shape[0] if spec.ar else 0
    mu = hand_arma_mu(d, eta, values["ar"] if p else np.zeros(0), values["ma"])
    y = d["y"].to_numpy()
    expected = stats.norm.logpdf(y, mu, 0.9) if family == "gaussian" else \
        stats.t.logpdf(y, 6.0, mu, 0.9)
    lp = pointwise_log_likelihood(spec, values, data, NUMPY, np.concatenate)
    np.testing.assert_allclose(lp, expected, rtol=0, atol=1e-10)
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    import jax.numpy as jnp

    lj = pointwise_log_likelihood(spec, {k: jnp.asarray(v) for k, v in values.items()},
                                  data, jax_ops(), jnp.concatenate)
    np.testing.assert_allclose(np.asarray(lj), expected, rtol=0, atol=1e-10)


def test_numpy_recursion_takes_draws_on_leading_axes():
    d = _panel()
    design = bz.design("y ~ x + arma(time = t, gr = g, p = 2, q = 3)", d)
    spec = model_spec(design)
    data = model_data(design, spec)
    rng = np.random.default_rng(5)
    draws = {"ar": rng.uniform(-0.5, 0.5, (2, 3, 2)), "ma": rng.uniform(-0.5, 0.5, (2, 3, 3))}
    from bayeszoo.models.autocorrelation import arma_effect

    eta = rng.normal(size=(2, 3, len(d)))
    got = arma_effect(draws["ar"], draws["ma"], data.y, eta, data.lags, NUMPY)
    for c in range(2):
        for k in range(3):
            want = hand_arma_mu(d, eta[c, k], draws["ar"][c, k], draws["ma"][c, k]) - eta[c, k]
            np.testing.assert_allclose(got[c, k], want, rtol=0, atol=1e-12)


def test_numpyro_and_pymc_give_the_same_log_density():
    pytest.importorskip("pymc")
    import jax.numpy as jnp
    from numpyro.infer.util import log_density

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    d = _panel()
    design = bz.design("y ~ x + arma(time = t, gr = g, p = 2, q = 3)", d, family="student")
    priors = {"ma": "uniform(-0.9, 0.9)"}
    nm = build_numpyro(design, priors)
    pm_model = build_pymc(design, priors).model
    logp = pm_model.compile_logp(jacobian=False)
    values = {k: v for k, v in VALUES.items() if k in {s.name for s in nm.spec.sites}}
    lp_numpyro = float(log_density(nm.model, (nm.data,), {},
                                   {k: jnp.asarray(v) for k, v in values.items()})[0])
    point = {}
    for rv in pm_model.free_RVs:
        vv = pm_model.rvs_to_values[rv]
        tr = pm_model.rvs_to_transforms.get(rv)
        v = values[rv.name]
        point[vv.name] = v if tr is None else tr.forward(v, *rv.owner.inputs).eval()
    assert lp_numpyro == pytest.approx(float(logp(point)), rel=1e-9)
    f = pm_model.compile_fn(pm_model.potentials[0], inputs=[pm_model[k] for k in values],
                            on_unused_input="ignore")
    mu = hand_arma_mu(d, 0.4 + 0.7 * (d["x"].to_numpy() - d["x"].mean()), VALUES["ar"],
                      VALUES["ma"])
    expected = stats.t.logpdf(d["y"].to_numpy(), 6.0, mu, 0.9).sum()
    assert float(f(values)) == pytest.approx(expected, rel=0, abs=1e-10)


def test_pymc_and_jax_gradients_agree():
    """The triangular solve of the moving-average residuals is differentiated alike by JAX and
    PyTensor: PyMC's gradient on the interval scale of ``ar``/``ma`` is JAX's times
    ``dx/du = (1 - x)(1 + x) / 2``."""
    pytest.importorskip("pymc")
    import jax
    import jax.numpy as jnp
    from numpyro.infer.util import log_density

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    design = bz.design("y ~ x + arma(time = t, gr = g, p = 2, q = 3)", _panel())
    m = build_pymc(design).model
    values = {k: v for k, v in VALUES.items() if k in {rv.name for rv in m.free_RVs}}
    point = {}
    for rv in m.free_RVs:
        tr = m.rvs_to_transforms.get(rv)
        v = values[rv.name]
        point[m.rvs_to_values[rv].name] = v if tr is None else \
            tr.forward(v, *rv.owner.inputs).eval()
    grad_pm = dict(zip([v.name for v in m.value_vars],
                       np.split(m.compile_dlogp(jacobian=False)(point),
                                np.cumsum([np.size(point[v.name]) for v in m.value_vars])[:-1]),
                       strict=True))
    nm = build_numpyro(design)
    grad_jax = jax.grad(lambda v: log_density(nm.model, (nm.data,), {}, v)[0])(
        {k: jnp.asarray(v) for k, v in values.items()})
    for name in ("ar", "ma"):
        x = values[name]
        np.testing.assert_allclose(grad_pm[f"{name}_interval__"],
                                   np.asarray(grad_jax[name]) * (1 - x) * (1 + x) / 2,
                                   rtol=1e-9)
    np.testing.assert_allclose(grad_pm["b_0"], np.asarray(grad_jax["b_0"]), rtol=1e-9)
