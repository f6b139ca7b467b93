"""Predictions of ``arma()`` fits at later time points continue each series: the fitted rows'
observed residuals feed the ARMA recursion (brms's ``.predictor_arma``), checked against the
recursion written out by hand on the posterior draws; new rows must come after the fitted
ones. A slow test recovers simulated ARMA(1, 1) coefficients."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.diagnostics import SamplerWarning
from bayeszoo.formula.ar_terms import ArState
from bayeszoo.inference.arma_forecast import arma_recursion, combined_frame
from bayeszoo.models.autocorrelation import series_lags


def simulate(n_per: int, ar: float, ma: float, seed: int) -> pd.DataFrame:
    """Two series ``g`` of ``y = 1 + 0.5 x + e``, ``e`` brms's ARMA(1, 1) with sd 0.5."""
    rng = np.random.default_rng(seed)
    frames = []
    for g in ("a", "b"):
        x = rng.normal(size=n_per)
        eps = rng.normal(0, 0.5, n_per)
        y = np.empty(n_per)
        err_prev, e_prev = 0.0, 0.0
        for t in range(n_per):
            eta = 1.0 + 0.5 * x[t]
            before = eta + ma * e_prev
            y[t] = before + ar * err_prev + eps[t]
            err_prev = e_prev = y[t] - before
        frames.append(pd.DataFrame({"g": g, "t": np.arange(n_per), "x": x, "y": y}))
    return pd.concat(frames, ignore_index=True)


def hand_forecast(d: pd.DataFrame, new: pd.DataFrame, b0: float, b1: float, ar: float,
                  ma: float) -> np.ndarray:
    """The expected continuation of each series, one draw: the observed residuals, then at
    each new time ``mu = eta + (ar + ma) err_prev`` with ``err = mu - (eta + ma err_prev)``
    (the filled response is the mean)."""
    out = np.empty(len(new))
    for g in new["g"].unique():
        obs = d[d["g"] == g].sort_values("t")
        err = 0.0
        for x, y in zip(obs["x"], obs["y"], strict=True):
            before = b0 + b1 * x + ma * err
            err = y - before
        rows = new.index[new["g"] == g][np.argsort(new.loc[new["g"] == g, "t"].to_numpy())]
        for i in rows:
            eta = b0 + b1 * new.loc[i, "x"]
            mu = eta + (ar + ma) * err
            err = mu - (eta + ma * err)
            out[i] = mu
    return out


@pytest.fixture(scope="module")
def small_fit():
    d = simulate(30, 0.6, 0.3, seed=2)
    with warnings.catch_warnings():  # a short chain: R-hat and ESS warnings
        warnings.simplefilter("ignore", SamplerWarning)
        idata = bz.sample("y ~ x + arma(time = t, gr = g, p = 1, q = 1)", d, chains=1, draws=60,
                          tune=100, seed=3, progress=False)
    return idata, d


def test_recursion_fills_unknown_rows_in_series_order():
    d = pd.DataFrame({"t": [2, 0, 1, 3, 4], "g": "a"})
    lags = series_lags(ArState(text="ar(time = t)", time="t", group="g", p=1, q=0), d)
    y = np.array([1.0, 0.5, -0.5, np.nan, np.nan])
    eta = np.zeros((1, 5))
    mu, filled = arma_recursion(np.array([[0.5]]), None, y, eta, lags, lambda m, rows: m)
    # t=0: 0; t=1: 0.5*0.5; t=2: 0.5*(-0.5); t=3: 0.5*1.0; t=4: 0.5*0.5 (t=3 filled at 0.5)
    np.testing.assert_allclose(mu[0], [-0.25, 0.0, 0.25, 0.5, 0.25])
    np.testing.assert_allclose(filled[0, 3:], [0.5, 0.25])


def test_a_single_series_continues_after_its_last_time():
    state = ArState(text="ar(time = year)", time="year", group=None, p=1, q=0)
    fitted = pd.DataFrame({"year": [1875, 1876, 1877]})
    both = combined_frame(state, fitted, pd.DataFrame({"year": [1879, 1878]}))
    assert both["year"].tolist() == [1875, 1876, 1877, 1879, 1878]
    lags = series_lags(state, both)
    np.testing.assert_array_equal(lags.rows[:, 0], [-1, 0, 1, 4, 2])
    with pytest.raises(ValueError, match="row 1 does not"):
        combined_frame(state, fitted, pd.DataFrame({"year": [1878, 1877]}))


def test_epred_at_later_times_continues_each_series(small_fit):
    idata, d = small_fit
    rng = np.random.default_rng(9)
    new = pd.DataFrame({"g": ["b", "a", "a", "b", "a"], "t": [30, 31, 30, 31, 32],
                        "x": rng.normal(size=5)})
    got = bz.predict(idata, newdata=new, kind="epred")
    assert got.shape == (60, 5)
    post = idata.posterior
    b0 = post["b_Intercept"].values.ravel()
    b1 = post["b_x"].values.ravel()
    ar, ma = post["ar"].values[..., 0].ravel(), post["ma"].values[..., 0].ravel()
    for s in (0, 17, 59):
        np.testing.assert_allclose(got[s], hand_forecast(d, new, b0[s], b1[s], ar[s], ma[s]),
                                   rtol=0, atol=1e-10)
    lin = bz.predict(idata, newdata=new, kind="linpred")
    np.testing.assert_allclose(lin, got, rtol=0, atol=1e-12)
    pp = bz.predict(idata, newdata=new, kind="pp", seed=4)
    assert pp.shape == (60, 5) and np.isfinite(pp).all()
    np.testing.assert_array_equal(pp, bz.predict(idata, newdata=new, kind="pp", seed=4))
    # one step ahead the draw is the shifted mean plus noise of scale sigma
    z = (pp[:, [0, 2]] - got[:, [0, 2]]) / post["sigma"].values.ravel()[:, None]
    assert abs(z.mean()) < 0.4 and 0.7 < z.std() < 1.3


def test_fitted_rows_and_summary(small_fit):
    from test_arma_terms import hand_arma_mu

    idata, d = small_fit
    post = idata.posterior
    epred = bz.predict(idata, kind="epred")
    for s in (0, 33):
        b0, b1 = (post[k].values.ravel()[s] for k in ("b_Intercept", "b_x"))
        mu = hand_arma_mu(d, b0 + b1 * d["x"].to_numpy(), post["ar"].values[0, s],
                          post["ma"].values[0, s])
        np.testing.assert_allclose(epred[s], mu, rtol=0, atol=1e-10)
    assert re.search(r"Correlation Structures:\n.*\nar\[1\] .*\nma\[1\] ",
                     str(idata.summary()))


def test_new_rows_must_follow_the_fitted_ones(small_fit):
    idata, d = small_fit
    with pytest.raises(ValueError, match="continuing the series"):
        bz.predict(idata, newdata=d.head(2), kind="epred")
    with pytest.raises(ValueError, match="unknown column 'g'"):
        bz.predict(idata, newdata=pd.DataFrame({"x": [0.0], "t": [40]}), kind="epred")


@pytest.mark.slow
def test_simulated_arma_coefficients_are_recovered():
    d = simulate(200, 0.6, 0.3, seed=5)
    idata = bz.sample("y ~ x + arma(time = t, gr = g, p = 1, q = 1)", d, chains=2, draws=500,
                      tune=600, seed=1, progress=False)
    post = idata.posterior
    for name, truth in (("ar", 0.6), ("ma", 0.3), ("b_x", 0.5), ("sigma", 0.5)):
        v = post[name].values.reshape(-1)
        assert abs(v.mean() - truth) < 3 * v.std() + 0.02, (name, v.mean(), v.std())
