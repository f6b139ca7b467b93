"""A fit that did not converge says so in its JSON line (``"converged": false``) and exit status
(3): ``bayeszoo fit`` on chains stuck apart, ``bayeszoo reml`` when the smoothing-parameter
iteration stops short; SBC counts its refits that did not mix; refits start where
``bz.sample`` starts."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from bayeszoo.cli import main


def last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def stuck_draws():
    """Two chains, each stuck near its own value, every transition divergent."""
    from bayeszoo.inference.sampling import PosteriorDraws

    noise = np.random.default_rng(8).normal(scale=0.01, size=(2, 50))
    b = np.array([[1.0], [2.0]]) + noise
    design = SimpleNamespace(X=np.ones((10, 1)), column_names=["Intercept"], predictors=[])
    stats = {"diverging": np.ones((2, 50), bool), "tree_depth": np.ones((2, 50), int)}
    return PosteriorDraws(design=design, spec=None, posterior={"b_Intercept": b}, stats=stats,
                          attrs={"parameterization": "noncentered", "target_accept": 0.8},
                          log_likelihood=False)


def test_fit_of_stuck_chains_exits_3_and_says_not_converged(monkeypatch, capsys):
    import bayeszoo.api

    monkeypatch.setattr(bayeszoo.api, "fit_draws", lambda *a, **k: stuck_draws())
    code = main(["fit", "radon_pooled", "-q"])
    out, err = capsys.readouterr()
    line = last_json(out)
    assert code == 3
    assert line["converged"] is False and line["max_rhat"] == pytest.approx(1.8221, abs=1e-4)
    assert line["divergences"] == 100 and line["tree_depth_hits"] == 0
    assert err.splitlines()[0] == (
        "WARNING: radon_pooled: 100 divergent transition(s) after warm-up, of 100 (100.0%): "
        "the posterior has regions NUTS cannot follow; with most transitions divergent no "
        "sampler setting helps: check the model (a link that lets the mean leave the family's "
        "support, such as identity for counts; priors far from the data's scale)")
    assert f"WARNING: radon_pooled: max R-hat {line['max_rhat']:.3f} > 1.01: the 2 chain(s) " \
        "have not mixed" in err


def test_cli_help_documents_the_exit_status():
    from bayeszoo.cli import build_parser

    assert "3: a fit that did not converge" in build_parser().format_help()


@pytest.mark.slow
def test_degenerate_fit_exits_non_zero():
    """The identity link on counts: every transition divergent, R-hat infinite."""
    res = run_cli("fit", "epilepsy_poisson", "--family", "negbinomial", "--link", "identity",
                  "--chains", "2", "--draws", "50", "--tune", "50", "-q", check=False)
    line = last_json(res.stdout)
    assert res.returncode == 3, res.stderr
    assert line["converged"] is False and line["divergences"] == 100
    assert line["max_rhat"] == "inf"
    assert "100 divergent transition(s) after warm-up, of 100" in res.stderr


def short_newton(monkeypatch):
    """REML's outer Newton iteration stopped after 1 iteration (the Gaussian engine passes
    its own iteration limit on)."""
    from bayeszoo.penalized import newton
    from bayeszoo.penalized.gaussian import GaussianEngine

    monkeypatch.setattr(newton.minimize, "__defaults__", (1, "REML"))
    monkeypatch.setattr(GaussianEngine.fit, "__defaults__", (1,))


def test_reml_that_did_not_converge_says_so(monkeypatch, capsys):
    import warnings

    from bayeszoo.datasets import DATASETS
    from bayeszoo.diagnostics import ConvergenceWarning
    from bayeszoo.penalized import reml

    short_newton(monkeypatch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = reml('accel ~ s(times, bs="cr", k=20)', DATASETS["mcycle"]["loader"]())
    assert not fit.converged
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert fit.convergence_message.startswith(
        "the REML smoothing-parameter iteration did not converge in 1 iterations (max "
        "|gradient| ")
    assert f"Convergence warning: {fit.convergence_message}" in fit.summary()

    code = main(["reml", 'accel ~ s(times, bs="cr", k=20)', "--data", "mcycle"])
    out, err = capsys.readouterr()
    assert code == 3 and last_json(out)["converged"] is False
    assert "Convergence warning: the REML smoothing-parameter iteration" in out
    assert err == f"WARNING: {fit.convergence_message}\n"  # no raw RuntimeWarning


def test_converged_reml_exits_0(capsys):
    code = main(["reml", 'accel ~ s(times, bs="cr", k=20)', "--data", "mcycle", "-q"])
    assert code == 0 and last_json(capsys.readouterr().out)["converged"] is True


def test_sbc_counts_refits_that_did_not_mix():
    from bayeszoo.inference.sbc_result import SbcResult

    idx = pd.Index(range(5), name="sim")
    diagnostics = pd.DataFrame({"divergences": [0, 3, 0, 0, 0],
                                "tree_depth_hits": [0, 0, 0, 2, 0],
                                "max_rhat": [1.0, 1.17, 1.0, 1.0, 1.005],
                                "min_ess": [800, 17, 90, 800, 700], "seconds": 1.0},
                               index=idx)
    ones = pd.DataFrame({"a": [1] * 5}, index=idx)
    result = SbcResult(ranks=ones, max_rank=99, ess=ones.astype(float), kept=ones,
                       diagnostics=diagnostics, settings={"chains": 4, "draws": 1000})
    assert result.problems() == {"unmixed": 2, "divergent": 1, "max_tree_depth": 1}
    assert result.warnings()[0] == (
        "2 of 5 refits did not mix (max R-hat > 1.01 or bulk ESS < 100): their ranks rest on "
        "unconverged chains; refit with more tune and draws (now 4 chain(s) x 1000 draws)")


@pytest.mark.slow
def test_sbc_warns_and_reports_unmixed_refits(capsys):
    import warnings

    import bayeszoo as bz
    from bayeszoo.diagnostics import SamplerWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = bz.sbc("radon_pooled", n_sims=3, chains=1, draws=20, tune=20,
                        priors={"Intercept": "normal(1.3, 1)"})
    assert set(result.diagnostics.columns) == {"divergences", "tree_depth_hits", "max_rhat",
                                               "min_ess", "seconds"}
    assert result.problems()["unmixed"] == 3  # 20 draws: bulk ESS below 100
    lines = [str(w.message) for w in caught if issubclass(w.category, SamplerWarning)]
    assert lines[0].startswith("sbc radon_pooled: 3 of 3 refits did not mix")

    code = main(["sbc", "radon_pooled", "--n-sims", "3", "--chains", "1", "--draws", "20",
                 "--tune", "20", "--prior", "Intercept=normal(1.3, 1)", "-q"])
    out, err = capsys.readouterr()
    assert code == 0 and last_json(out)["problems"]["unmixed"] == 3
    assert "WARNING: radon_pooled: 3 of 3 refits did not mix" in err


def test_refits_start_where_sample_starts(monkeypatch):
    """A distributional model's refits start within (-1, 1), as bz.sample's chains do."""
    import numpyro.infer.util

    from bayeszoo import bf
    from bayeszoo.formula import as_design
    from bayeszoo.inference.backends import SamplerSettings
    from bayeszoo.inference.backends.numpyro import (
        INIT_RADIUS_DISTRIBUTIONAL,
        init_strategy,
        nuts_program,
    )
    from bayeszoo.models.spec import model_spec

    rng = np.random.default_rng(7)
    df = pd.DataFrame({"x": rng.normal(size=30)})
    df["y"] = df["x"] + rng.normal(size=30)
    design = as_design(bf("y ~ x", sigma="~ x"), df, None, "raise", None)
    spec = model_spec(design, None, "noncentered")
    seen = []
    original = numpyro.infer.util.find_valid_initial_params

    def spy(*args, **kwargs):
        seen.append(kwargs.get("init_strategy"))
        return original(*args, **kwargs)

    monkeypatch.setattr(numpyro.infer.util, "find_valid_initial_params", spy)
    import jax

    program = nuts_program(design, spec, SamplerSettings(chains=1, draws=2, tune=2,
                                                         target_accept=0.8, dense_mass=False))
    program.start.lower(jax.random.split(jax.random.PRNGKey(0), 1),
                        program.data)  # traced, not run
    assert len(seen) == 1  # the chains' start (the prototype is traced for its shapes only)
    assert [s.keywords for s in seen] == [{"radius": INIT_RADIUS_DISTRIBUTIONAL}]
    assert init_strategy(spec).keywords == {"radius": 1.0}
