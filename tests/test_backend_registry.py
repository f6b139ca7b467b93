"""One registry of sampling backends: a backend registered in one place is offered by the command
line, validated and recorded by bz.sample, and chosen by the zoo, and it is gone once removed."""

import importlib.metadata as md
import json
import sys
import types
import warnings

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo.inference import backends
from bayeszoo.inference.sampling import versions
from bayeszoo.models import zoo


class ToyBackend:
    """Samples with NumPyro's program and records the version of pytest."""

    name = "toy"
    packages = ("pytest",)

    def __init__(self, samples_networks: bool) -> None:
        self.samples_networks = samples_networks

    def compile(self, design, spec, settings):
        return backends.get("numpyro").compile(design, spec, settings)

    def program_key(self, design, spec, settings):
        return None


def register_toy(monkeypatch, samples_networks: bool = False) -> None:
    module = types.ModuleType("toy_backend")
    module.BACKEND = ToyBackend(samples_networks)
    monkeypatch.setitem(sys.modules, "toy_backend", module)
    monkeypatch.setitem(backends.BACKENDS, "toy", "toy_backend")


def backend_choices() -> list[str]:
    from bayeszoo.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and "fit" in a.choices)
    return list(next(a for a in sub.choices["fit"]._actions if a.dest == "backend").choices)


def data(n: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": 0.5 + x + rng.normal(size=n)})


def test_a_registered_backend_is_offered_recorded_and_removed(monkeypatch):
    assert backend_choices() == ["numpyro", "pymc", "nutpie", "blackjax"]
    with monkeypatch.context() as m:
        register_toy(m)
        assert backend_choices() == ["numpyro", "pymc", "nutpie", "blackjax", "toy"]
        assert list(versions("toy")) == ["bayeszoo", "numpy", "arviz", "pytest"]
        assert versions("toy")["pytest"] == md.version("pytest")
        assert zoo.get("mcycle_cr20").backends == ("numpyro", "pymc", "nutpie", "blackjax",
                                                    "toy")
        assert zoo.get("mcycle_bnn").backends == ("numpyro",)
    assert backend_choices() == ["numpyro", "pymc", "nutpie", "blackjax"]
    assert "toy" not in backends.names()
    with pytest.raises(ValueError, match="unknown backend 'toy'"):
        versions("toy")


def test_an_unknown_backend_error_lists_the_registered_names(monkeypatch, no_compile):
    register_toy(monkeypatch)
    with pytest.raises(ValueError, match="^unknown backend 'stan'; use one of numpyro, pymc, "
                                         "nutpie, blackjax, toy$"):
        bz.sample("y ~ x", data(), backend="stan", chains=1, draws=10, tune=10, progress=False)


def test_a_fit_records_the_versions_its_backend_declares(monkeypatch):
    register_toy(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bz.sample("y ~ x", data(), backend="toy", chains=1, draws=30, tune=30, seed=2,
                        progress=False, priors={"b": "normal(0, 5)"})
    recorded = json.loads(fit.attrs["versions"])
    assert fit.attrs["backend"] == "toy"
    assert recorded == {"bayeszoo": md.version("bayeszoo"), "numpy": md.version("numpy"),
                        "arviz": md.version("arviz"), "pytest": md.version("pytest")}
    assert fit.posterior.sizes["draw"] == 30
    assert 0.3 < float(fit.posterior["b_x"].mean()) < 1.8
    assert list(versions("numpyro")) == ["bayeszoo", "numpy", "arviz", "numpyro", "jax",
                                         "jaxlib"]


def test_the_zoo_offers_a_network_to_every_backend_that_samples_networks(monkeypatch):
    register_toy(monkeypatch, samples_networks=True)
    assert zoo.get("mcycle_bnn").backends == ("numpyro", "toy")
    assert zoo.get("mcycle_bnn_distributional").backends == ("numpyro", "toy")
    assert "mcycle_bnn" in zoo.run_models("toy")


def test_a_backend_that_cannot_sample_a_network_refuses_it_before_compiling(monkeypatch):
    register_toy(monkeypatch, samples_networks=False)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=30), "y": rng.normal(size=30)})

    def refuse(*args, **kwargs):
        raise AssertionError("the toy backend compiled a model it cannot sample")

    monkeypatch.setattr(ToyBackend, "compile", refuse)
    with pytest.raises(ValueError, match=r"^nn\(x\): backend 'toy' cannot sample a "
                                         r"neural-network term; sample it with "
                                         r"backend='numpyro'$"):
        bz.sample("y ~ 1 + nn(x, hidden=3)", df, backend="toy", chains=1, draws=10, tune=10,
                  progress=False)
