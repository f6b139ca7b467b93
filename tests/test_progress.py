"""Progress bars: shown in a terminal, silent with ``progress=False``, in CI logs and when the
stream is not a terminal; a shown bar counts the units done."""

import io
import sys

import numpy as np
import pandas as pd
from conftest import well_mixed_refit

import bayeszoo as bz
from bayeszoo.inference import sbc as sbc_module
from bayeszoo.progress import bar, shown


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def terminal(monkeypatch) -> Terminal:
    """``sys.stderr`` as a terminal (set in the test: pytest resets it between setup and
    call)."""
    monkeypatch.delenv("CI", raising=False)
    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def test_no_bar_unless_a_terminal_watches(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert shown(True, io.StringIO()) is False
    assert shown(False, Terminal()) is False
    assert shown(True, Terminal()) is True
    monkeypatch.setenv("CI", "true")
    assert shown(True, Terminal()) is False


def test_a_bar_off_writes_nothing(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    stream = io.StringIO()
    with bar(3, "kfold", "refit", stream=stream) as meter:
        meter.update(3)
    assert stream.getvalue() == ""


def test_a_shown_bar_counts_the_units_done(monkeypatch):
    stream = terminal(monkeypatch)
    with bar(4, "kfold", "refit") as meter:
        for _ in range(3):
            meter.update(1)
    out = stream.getvalue()
    assert "kfold:" in out
    assert " 3/4 " in out.replace("\r", "\n")


def test_sbc_shows_the_simulations_done_in_a_terminal(monkeypatch):
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"x": rng.normal(size=20), "y": rng.normal(size=20)})
    monkeypatch.setattr(sbc_module, "fit_simulation", well_mixed_refit)
    stream = terminal(monkeypatch)
    bz.sbc("y ~ x", data, n_sims=5, chains=1, draws=50, tune=50,
           priors={"b": "normal(0, 1)", "Intercept": "normal(0, 1)",
                   "sigma": "exponential(1)"})
    out = stream.getvalue().replace("\r", "\n")
    assert "sbc y ~ x:" in out
    assert " 5/5 " in out
