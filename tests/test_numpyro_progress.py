"""NumPyro's sampler shows a progress bar where a terminal watches (warm-up, then sampling,
counting iterations), writes nothing otherwise, and the bar does not change the draws."""

import io
import sys
import warnings

import numpy as np
import pandas as pd

import bayeszoo as bz
from bayeszoo.inference.backends.numpyro import phases


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def data(n: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": 1.0 - x + rng.normal(size=n)})


def quiet_sample(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bz.sample("y ~ x", data(), chains=2, draws=30, tune=20, seed=4,
                         priors={"b": "normal(0, 5)"}, **kwargs)


def test_the_chunks_cover_warm_up_then_sampling_once():
    assert phases(20, 30, chunked=False) == [(0, 50, "sampling")]
    chunks = phases(20, 30, chunked=True)
    assert [c[2] for c in chunks] == ["warm-up"] * 10 + ["sampling"] * 10
    assert [c[0] for c in chunks[1:]] == [c[1] for c in chunks[:-1]]
    assert chunks[0][0] == 0 and chunks[9][1] == 20 and chunks[-1][1] == 50
    assert phases(3, 5, chunked=True) == [(0, 1, "warm-up"), (1, 2, "warm-up"),
                                          (2, 3, "warm-up"), *[(i, i + 1, "sampling")
                                                               for i in range(3, 8)]]


def test_a_bar_counts_the_iterations_in_a_terminal_and_keeps_the_draws(monkeypatch):
    silent = quiet_sample(progress=False)
    monkeypatch.delenv("CI", raising=False)
    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    shown = quiet_sample(progress=True)
    out = stream.getvalue().replace("\r", "\n")
    assert "NumPyro warm-up:" in out
    assert "NumPyro sampling:" in out
    assert " 50/50 " in out
    np.testing.assert_array_equal(shown.posterior["b_x"].values, silent.posterior["b_x"].values)
    np.testing.assert_array_equal(shown.sample_stats["n_steps"].values,
                                  silent.sample_stats["n_steps"].values)


def test_no_bar_without_a_terminal_or_in_ci(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    quiet_sample(progress=True)
    monkeypatch.setenv("CI", "true")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    quiet_sample(progress=True)
    assert stream.getvalue() == "" and terminal.getvalue() == ""
