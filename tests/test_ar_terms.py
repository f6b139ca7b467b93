"""brms's ``ar(time =, gr =, p =)`` for Gaussian and Student-t responses: the term as parsed and
stored, its lag rows per series, the conditional (residual) AR log density in NumPy and JAX,
brms's ``get_prior`` row, and the refusals."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES
from scipy import stats

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY, jax_ops
from bayeszoo.formula import FormulaError
from bayeszoo.formula.ar_terms import ArState, lag_rows
from bayeszoo.formula.term_types import UNSUPPORTED, recognise, state_from_dict
from bayeszoo.models.likelihood import model_data, pointwise_log_likelihood
from bayeszoo.models.prior_table import COLUMNS
from bayeszoo.models.spec import model_spec

WAVE3 = json.loads((FIXTURES / "brms_wave3.json").read_text())


def _toy() -> pd.DataFrame:
    """Two series (``g``), rows not in time order."""
    return pd.DataFrame({"y": [1.0, 2.5, 0.5, 3.0, 2.0, 1.5, 4.0],
                         "t": [3, 1, 2, 2, 1, 4, 3],
                         "g": ["a", "b", "a", "b", "a", "a", "b"]})


def test_ar_parses_and_round_trips_through_json():
    assert "ar" not in UNSUPPORTED
    term = recognise("ar(time = t, gr = g, p = 2)").parse("ar(time = t, gr = g, p = 2)", 4,
                                                           "y ~ ar(time = t, gr = g, p = 2)")
    assert (term.time, term.group, term.p) == ("t", "g", 2)
    assert term.to_string() == "ar(time = t, gr = g, p = 2)"
    positional = recognise("ar(t)").parse("ar(t)", 4, "y ~ ar(t)")
    assert (positional.time, positional.group, positional.p) == ("t", None, 1)
    d = bz.design("y ~ 1 + ar(time = t, gr = g, p = 2)", _toy())
    (st,) = d.term_states
    assert st == ArState(text="ar(time = t, gr = g, p = 2)", time="t", group="g", p=2)
    assert state_from_dict(json.loads(json.dumps(st.to_dict()))) == st
    assert d.blocks == [] and d.column_names == ["Intercept"]


def test_lag_rows_follow_time_within_each_series():
    st = ArState(text="ar(time = t, gr = g, p = 2)", time="t", group="g", p=2)
    # series a: rows 4 (t=1), 2 (t=2), 0 (t=3), 5 (t=4); series b: rows 1 (t=1), 3, 6
    expected = np.array([[2, 4], [-1, -1], [4, -1], [1, -1], [-1, -1], [0, 2], [3, 1]])
    np.testing.assert_array_equal(lag_rows(st, _toy()), expected)
    one = ArState(text="ar(time = t)", time="t", group=None, p=1)
    d = _toy()[_toy()["g"] == "a"].sort_values("t").reset_index(drop=True)
    np.testing.assert_array_equal(lag_rows(one, d)[:, 0], [-1, 0, 1, 2])
    rowwise = ArState(text="ar(p = 1)", time=None, group=None, p=1)
    np.testing.assert_array_equal(lag_rows(rowwise, _toy())[:, 0], [-1, 0, 1, 2, 3, 4, 5])


def _hand_ar1(y: np.ndarray, b: float, phi: float, sigma: float) -> np.ndarray:
    """The conditional Gaussian AR(1) density brms scores: row 1 with mean ``b``, row ``t``
    with mean ``b + phi (y[t-1] - b)``."""
    mu = np.full_like(y, b)
    mu[1:] += phi * (y[:-1] - b)
    return stats.norm.logpdf(y, mu, sigma)


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_log_likelihood_is_the_conditional_ar1_density(backend):
    y = np.array([0.3, 1.1, 0.7, -0.4, 0.2, 0.9])
    d = pd.DataFrame({"y": y[::-1], "year": np.arange(6)[::-1] + 2000})
    design = bz.design("y ~ 1 + ar(time = year)", d)
    spec = model_spec(design)
    assert [s.name for s in spec.sites] == ["Intercept", "ar", "sigma"]
    assert spec.site("ar").shape == (1,) and spec.site("ar").support == "ar"
    data = model_data(design, spec)
    values = {"Intercept": np.array(0.4), "ar": np.array([0.6]), "sigma": np.array(0.8)}
    if backend == "numpy":
        lp = pointwise_log_likelihood(spec, values, data, NUMPY, np.concatenate)
    else:
        from bayeszoo.runtime import ensure_configured

        ensure_configured()
        import jax.numpy as jnp

        jv = {k: jnp.asarray(v) for k, v in values.items()}
        lp = np.asarray(pointwise_log_likelihood(spec, jv, data, jax_ops(), jnp.concatenate))
    np.testing.assert_allclose(lp, _hand_ar1(y, 0.4, 0.6, 0.8)[::-1], rtol=1e-12)


def test_ar2_by_group_log_likelihood():
    d = _toy()
    design = bz.design("y ~ 1 + ar(time = t, gr = g, p = 2)", d)
    spec = model_spec(design)
    values = {"Intercept": np.array(1.0), "ar": np.array([0.5, -0.2]), "sigma": np.array(1.3)}
    lp = pointwise_log_likelihood(spec, values, model_data(design, spec), NUMPY, np.concatenate)
    y = d["y"].to_numpy()
    lags = np.array([[2, 4], [-1, -1], [4, -1], [1, -1], [-1, -1], [0, 2], [3, 1]])
    mu = np.ones(7)
    for n in range(7):
        for i, phi in enumerate([0.5, -0.2]):
            if lags[n, i] >= 0:
                mu[n] += phi * (y[lags[n, i]] - 1.0)
    np.testing.assert_allclose(lp, stats.norm.logpdf(y, mu, 1.3), rtol=1e-12)


def test_get_prior_lists_class_ar_as_brms():
    ref = WAVE3["default_priors"]["ar1_lakehuron"]["rows"]
    table = bz.get_prior("level ~ 1 + ar(time = year, p = 1)", bz.datasets.load_lakehuron())
    assert table[COLUMNS].to_dict("records") == [{c: r[c] for c in COLUMNS} for r in ref]
    user = bz.get_prior("level ~ 1 + ar(time = year, p = 2)", bz.datasets.load_lakehuron(),
                        priors={"ar": "uniform(-0.5, 0.9)"})
    row = user[user["class"] == "ar"].iloc[0]
    assert (row["prior"], row["source"]) == ("uniform(-0.5, 0.9)", "user")


def test_ar_prior_must_lie_in_the_unit_interval():
    design = bz.design("level ~ 1 + ar(time = year)", bz.datasets.load_lakehuron())
    assert model_spec(design).priors["ar"] == "flat()"
    with pytest.raises(ValueError, match=r"within \[-1, 1\]"):
        model_spec(design, {"ar": "uniform(-2, 1)"})
    with pytest.raises(ValueError, match="autoregressive coefficient"):
        model_spec(design, {"ar": "normal(0, 0.5)"})


def test_refusals():
    d = bz.datasets.load_lakehuron()
    counts = d.assign(level=d["level"].round().astype(int))
    with pytest.raises(ValueError, match="gaussian and student families, not poisson"):
        model_spec(bz.design("level ~ 1 + ar(time = year)", counts, family="poisson"))
    assert model_spec(bz.design("level ~ 1 + ar(time = year)", d,
                                family="student")).site("ar").shape == (1,)
    with pytest.raises(ValueError, match=r"rho=, ar_start="):
        bz.reml("level ~ 1 + ar(time = year)", d)
    with pytest.raises(FormulaError, match="cov = TRUE"):
        bz.design("level ~ 1 + ar(time = year, cov = TRUE)", d)
    with pytest.raises(FormulaError, match="positive integer"):
        bz.design("level ~ 1 + ar(time = year, p = 0)", d)
    with pytest.raises(FormulaError, match="must be unique"):
        bz.design("y ~ 1 + ar(time = t)", _toy())
    with pytest.raises(FormulaError, match="not of sigma"):
        bz.design(bz.bf("level ~ 1", sigma="~ ar(time = year)"), d)
    with pytest.raises(FormulaError, match="arma"):
        bz.design("level ~ 1 + arma(time = year, cov = TRUE)", d)


def _series() -> tuple[np.ndarray, pd.DataFrame]:
    y = np.array([0.3, 1.1, 0.7, -0.4, 0.2, 0.9])
    return y, pd.DataFrame({"y": y[::-1], "year": np.arange(6)[::-1] + 2000})


def test_pymc_potential_is_the_conditional_ar1_density():
    from bayeszoo.models.pymc import build_pymc

    y, d = _series()
    m = build_pymc(bz.design("y ~ 1 + ar(time = year)", d)).model
    f = m.compile_fn(m.potentials[0], inputs=[m["Intercept"], m["ar"], m["sigma"]],
                     on_unused_input="ignore")
    got = f({"Intercept": 0.4, "ar": np.array([0.6]), "sigma": 0.8})
    np.testing.assert_allclose(got, _hand_ar1(y, 0.4, 0.6, 0.8).sum(), rtol=1e-12)


def test_student_ar1_log_likelihood():
    y, d = _series()
    design = bz.design("y ~ 1 + ar(time = year)", d, family="student")
    spec = model_spec(design)
    values = {"Intercept": np.array(0.4), "ar": np.array([-0.3]), "sigma": np.array(0.8),
              "nu": np.array(5.0)}
    lp = pointwise_log_likelihood(spec, values, model_data(design, spec), NUMPY, np.concatenate)
    mu = np.full_like(y, 0.4)
    mu[1:] += -0.3 * (y[:-1] - 0.4)
    np.testing.assert_allclose(lp, stats.t.logpdf(y, 5.0, mu, 0.8)[::-1], rtol=1e-12)


def test_sbc_simulates_ar_series():
    from bayeszoo.inference.sbc import simulate_chunk

    _, d = _series()
    design = bz.design("y ~ 1 + ar(time = year)", d)
    sims = simulate_chunk(design, model_spec(design, {"Intercept": "normal(0, 1)",
                                                      "sigma": "exponential(1)"}), 2, 1)
    assert [s.y.shape for s in sims] == [(6,), (6,)]
