"""SBC runs of any size: a run that cannot finish in a day is refused before anything is drawn,
with its estimated duration; the simulations are drawn and refitted a chunk at a time; a long
run reports its progress and the time left."""

import numpy as np
import pandas as pd
import pytest
from conftest import well_mixed_refit

import bayeszoo as bz
from bayeszoo import cli
from bayeszoo.inference import sbc as sbc_module

PRIORS = {"Intercept": "normal(0, 1)", "b": "normal(0, 1)", "sigma": "normal(0, 1)"}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x": rng.normal(size=12)})
    df["y"] = 1 + 0.5 * df.x + rng.normal(size=12)
    return df


@pytest.fixture
def nothing_drawn(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the prior was drawn before the size was checked")

    monkeypatch.setattr(sbc_module, "prior_draws", refuse)


def test_a_run_of_a_trillion_simulations_is_refused_up_front_with_its_duration(
        data, nothing_drawn):
    with pytest.raises(ValueError, match=(
            r"^n_sims=1,000,000,000,000 would take at least 925,926 days \(1,000,000,000,000 "
            r"refits of 4 chains × 2000 iterations, 1 at a time\), more than the one day an SBC "
            r"run may take; give at most n_sims=1,080,000 ")):
        bz.sbc("y ~ x", data, n_sims=10**12, priors=PRIORS)


def test_the_estimate_counts_the_sampler_settings_and_the_workers(data, nothing_drawn):
    with pytest.raises(ValueError, match=r"at least 35 hours .* 4 at a time\), more than the "):
        sbc_module.check_duration(10**8, {"chains": 2, "tune": 100, "draws": 150}, 4)
    sbc_module.check_duration(10**7, {"chains": 2, "tune": 100, "draws": 150}, 4)  # 3.5 h
    with pytest.raises(ValueError, match=r"^n_sims=1,000,000,000 would take at least 4 days "
                       r".* 6 at a time\)"):
        bz.sbc("y ~ x", data, n_sims=10**9, priors=PRIORS, chains=1, draws=100, tune=100,
               executor="dask", workers=6)


def test_the_sbc_command_refuses_a_huge_run_in_one_line(capsys, nothing_drawn):
    code = cli.main(["sbc", "radon_pooled", "--n-sims", "1000000000000",
                     "--prior", "Intercept=normal(1.3, 1)"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith("bayeszoo sbc: n_sims=1,000,000,000,000 would take at least ")


def test_simulations_are_drawn_a_chunk_at_a_time_and_keep_their_seeds(data, monkeypatch):
    from bayeszoo.inference.sampling import as_design
    from bayeszoo.models.spec import model_spec

    design = as_design("y ~ x", data, None)
    spec = model_spec(design, PRIORS, "noncentered")
    whole = sbc_module.simulate(design, spec, 7, seed=3)
    sizes = []
    draws = sbc_module.prior_draws

    def counted(spec, n_sims, seed, chunk=0):
        sizes.append((n_sims, chunk))
        return draws(spec, n_sims, seed, chunk)

    monkeypatch.setattr(sbc_module, "prior_draws", counted)
    monkeypatch.setattr(sbc_module, "SIM_CHUNK", 3)
    chunks = list(sbc_module.simulation_chunks(design, spec, 7, seed=3))
    assert sizes == [(3, 0), (3, 1), (1, 2)]
    assert [[s.index for s in c] for c in chunks] == [[0, 1, 2], [3, 4, 5], [6]]
    # the first chunk is what a run of at most SIM_CHUNK simulations draws
    np.testing.assert_array_equal(chunks[0][1].y, whole[1].y)
    assert chunks[0][2].truth == whole[2].truth
    assert len({tuple(s.y) for c in chunks for s in c}) == 7


def test_a_long_run_reports_each_chunk_and_the_time_left(data, monkeypatch, capsys):
    monkeypatch.setattr(sbc_module, "fit_simulation", well_mixed_refit)
    monkeypatch.setattr(sbc_module, "SIM_CHUNK", 3)
    result = bz.sbc("y ~ x", data, n_sims=5, priors=PRIORS, chains=1, draws=50, tune=50,
                    progress=True)
    assert result.n_sims == 5 and list(result.ranks.index) == [0, 1, 2, 3, 4]
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "sbc y ~ x: simulations 1-3 of 5 drawn from the prior"
    assert lines[1].startswith("sbc y ~ x: simulation 1/5 refitted in 0.5 s (1 done, about ")
    assert lines[1].endswith(" left)")
    assert lines[4] == "sbc y ~ x: simulations 4-5 of 5 drawn from the prior"
    assert lines[-1] == "sbc y ~ x: simulation 5/5 refitted in 0.5 s (5 done)"
