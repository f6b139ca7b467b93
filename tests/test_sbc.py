"""Simulation-based calibration: the rank statistic and the ECDF test on known answers, SBC
passing for a correct model and failing for a wrong likelihood scale, the same ranks serial and
on a Dask cluster, the command, the result file."""

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

import bayeszoo as bz
from bayeszoo.families.gaussian import Gaussian
from bayeszoo.inference.executors import check_executor
from bayeszoo.inference.ranks import ecdf_band, ecdf_values, rank_statistic, uniformity_pvalue
from bayeszoo.inference.sbc_result import SbcResult


class HalvedScaleGaussian(Gaussian):
    """A wrong likelihood: the model's sd is twice its sigma, the simulated data's is sigma."""

    def summarize(self, y, arrays, extras, sizes):
        return None

    def log_prob(self, ops, y, eta, aux, extras):
        return super().log_prob(ops, y, eta, {**aux, "sigma": 2.0 * aux["sigma"]}, extras)


# ----------------------------------------------------------------------------- rank statistics


def test_ranks_of_exact_posterior_draws_are_uniform_and_of_a_biased_one_are_not():
    rng = np.random.default_rng(0)
    good, biased = [], []
    for _ in range(400):
        theta = rng.normal()
        y = theta + rng.normal(size=4)  # normal prior, normal likelihood, sd 1: exact posterior
        mean, sd = y.sum() / 5, 1 / np.sqrt(5)
        draws = rng.normal(mean, sd, size=(2, 150))
        good.append(rank_statistic(theta, draws, 300.0, 99, rng)[0])
        biased.append(rank_statistic(theta, draws + 0.3 * sd, 300.0, 99, rng)[0])
    assert uniformity_pvalue(np.array(good), 99) > 0.05
    assert uniformity_pvalue(np.array(biased), 99) < 1e-3


def test_rank_statistic_thins_by_ess():
    rng = np.random.default_rng(1)
    draws = rng.normal(size=(4, 100))
    assert rank_statistic(0.0, draws, 400.0, 99, rng)[1] == 400
    assert rank_statistic(0.0, draws, 40.0, 99, rng)[1] == 40  # every 10th draw per chain
    assert rank_statistic(0.0, draws, float("nan"), 99, rng)[1] == 4
    r, _ = rank_statistic(10.0, draws, 400.0, 99, rng)
    assert r >= 99 * 400 / 401 - 1  # above every draw: the top of the scale


def test_ecdf_band_has_its_simultaneous_coverage():
    rng = np.random.default_rng(2)
    band = ecdf_band(100, 19)
    outside = 0
    pvalues = []
    for _ in range(1000):
        ranks = rng.integers(0, 20, size=100)
        f = ecdf_values(ranks, 19)
        outside += not np.all((f >= band.lower) & (f <= band.upper))
        pvalues.append(uniformity_pvalue(ranks, 19))
    assert 0.03 < outside / 1000 < 0.075  # simultaneous 95%
    assert 0.03 < np.mean(np.array(pvalues) < 0.05) < 0.075
    assert band.gamma < 0.05 / 2  # the pointwise level is adjusted below alpha


# ----------------------------------------------------------------------------- refusals


def test_flat_prior_is_refused_naming_the_key():
    with pytest.raises(ValueError, match=r"b_countyAITKIN.*flat.*priors=\{'b_countyAITKIN': "
                                         r"'normal\(0, 1\)'\}"):
        bz.sbc("radon_unpooled", n_sims=10)
    df = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [0.1, 0.9, 2.2, 2.8]})
    with pytest.raises(ValueError, match="b_x"):
        bz.sbc("y ~ x", df, n_sims=10)


def test_bad_arguments_and_executors_are_refused():
    with pytest.raises(KeyError, match="no_such_model"):
        bz.sbc("no_such_model")
    with pytest.raises(ValueError, match="n_sims"):
        bz.sbc("radon_pooled", n_sims=1)
    with pytest.raises(TypeError, match="executor"):
        bz.sbc("radon_pooled", n_sims=5, executor=42)
    with pytest.raises(ValueError, match="scheduler address"):
        bz.sbc("radon_pooled", n_sims=5, executor="not an address")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as ex, \
            pytest.raises(ValueError, match="spawn"):
        check_executor(ex)
    with ThreadPoolExecutor(1) as ex:
        check_executor(ex)


# ----------------------------------------------------------------------------- result file


def small_result() -> SbcResult:
    rng = np.random.default_rng(3)
    idx = pd.Index(range(30), name="sim")
    ranks = pd.DataFrame({"b_Intercept": rng.integers(0, 100, 30),
                          "sigma": np.r_[np.full(25, 99), rng.integers(0, 100, 5)]}, index=idx)
    return SbcResult(ranks=ranks, max_rank=99, ess=ranks * 0.0 + 300.0, kept=ranks * 0 + 300,
                     diagnostics=pd.DataFrame({"divergences": np.zeros(30),
                                               "max_rhat": np.ones(30)}, index=idx),
                     settings={"model": "toy", "backend": "numpyro", "priors": {}})


def test_result_file_round_trip_and_damaged_files(tmp_path):
    r = small_result()
    assert not r.inside_band()["sigma"] and r.pvalues["sigma"] < 1e-3
    assert r.familywise_pvalue() == pytest.approx(2 * r.pvalues["sigma"])
    calibrated = SbcResult(ranks=r.ranks[["b_Intercept"]], max_rank=99, ess=r.ess, kept=r.kept,
                           diagnostics=r.diagnostics)
    assert calibrated.familywise_pvalue() == min(1.0, calibrated.pvalues.iloc[0]) > 0.05
    path = r.save(tmp_path / "out" / "sbc.json")
    back = SbcResult.load(path)
    pd.testing.assert_frame_equal(back.ranks, r.ranks, check_dtype=False)
    assert back.max_rank == 99 and back.settings == r.settings
    assert back.pvalues.equals(r.pvalues)
    assert [p.name for p in path.parent.iterdir()] == ["sbc.json"]  # no temporary file left
    text = path.read_text()
    truncated = tmp_path / "truncated.json"
    truncated.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError, match="truncated.json"):
        SbcResult.load(truncated)
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ValueError, match="foreign.json.*not an SBC result"):
        SbcResult.load(foreign)
    damaged = tmp_path / "damaged.json"
    raw = json.loads(text)
    del raw["ranks"]["values"]
    damaged.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="damaged.json.*damaged"):
        SbcResult.load(damaged)


def test_ecdf_difference_figure_draws_every_quantity(tmp_path):
    from bayeszoo.reports.figures_sbc import save_png, sbc_figure

    r = small_result()
    fig = r.plot()
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    png = save_png(fig, tmp_path / "sbc.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    emb = sbc_figure(r)
    assert "sigma" in emb.caption and emb.width > 100


# ----------------------------------------------------------------------------- simulation


#: log sigma kept within a few units (brms's default sds would simulate sigmas of e^100)
MCYCLE_SIGMA_PRIORS = {"Intercept_sigma": "normal(3, 0.5)", "sds_sigma_stimes_1": "normal(0, 0.2)",
                       "sds_stimes_1": "normal(0, 5)"}


@pytest.mark.parametrize("name, priors", [
    ("airquality_t2", {}), ("mcycle_cr20_fx", {}), ("mcycle_distributional", MCYCLE_SIGMA_PRIORS),
    ("sleepstudy_slope", {}), ("cbpp_binomial", {})])
def test_simulated_truth_has_the_model_log_likelihood(name, priors):
    """The simulation draws from the model itself: at each simulation's parameters, the
    NumPyro model's log-likelihood of the simulated response (through the family's
    sufficient statistics and row by row) is the ranked ``log_lik`` truth. A smooth, a
    distributional parameter, correlated effects or a family the simulation built otherwise
    than the model would show here, and as lopsided ranks only after hundreds of refits."""
    from dataclasses import replace

    from numpyro.infer.util import log_density

    from bayeszoo.inference.sampling import as_design
    from bayeszoo.inference.sbc import prior_draws, simulate
    from bayeszoo.models import zoo
    from bayeszoo.models.numpyro import build_numpyro, sample_sites
    from bayeszoo.models.spec import model_spec

    entry = zoo.get(name)
    design = as_design(entry.formula, entry.load_data(), entry.family_object())
    flat = model_spec(design, None, entry.parameterization).priors
    priors = {**{k: "normal(0, 1)" for k, p in flat.items() if p == "flat()"}, **priors}
    spec = model_spec(design, priors, entry.parameterization)
    sims = simulate(design, spec, 3, seed=2)
    draws = prior_draws(spec, 3, seed=2)
    for s, sim in enumerate(sims):
        at = {k: v[0, s] for k, v in draws.items()}
        prior, _ = log_density(lambda: sample_sites(spec), (), {}, at)
        for stats in (True, False):
            built = build_numpyro(replace(design, y=sim.y), spec=spec, sufficient_stats=stats)
            joint, _ = log_density(built.model, (built.data,), {}, at)
            # 1e-6: this sigma prior reaches sigma = 1e-9 at mu = 50, where the last bit of mu
            # (NumPy's against XLA's sum order) moves (y - mu) / sigma by 1e-5
            assert float(joint - prior) == pytest.approx(sim.truth["log_lik"], rel=1e-6)


# ----------------------------------------------------------------------------- SBC runs


@pytest.fixture(scope="module")
def tiny_data() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x": rng.normal(size=25)})
    df["y"] = 1 + 0.5 * df.x + rng.normal(size=25)
    return df


TINY_PRIORS = {"Intercept": "normal(0, 1)", "b": "normal(0, 1)", "sigma": "normal(0, 1)"}
TINY_SAMPLER = {"chains": 2, "draws": 200, "tune": 200}


@pytest.mark.reference
@pytest.mark.slow
def test_sbc_passes_for_the_model_and_fails_for_a_wrong_likelihood_scale(tiny_data):
    good = bz.sbc("y ~ 1 + x", tiny_data, n_sims=80, priors=TINY_PRIORS, seed=5, **TINY_SAMPLER)
    assert list(good.ranks.columns) == ["b_Intercept", "b_x", "sigma", "Intercept", "log_lik"]
    assert good.ranks.shape == (80, 5)
    assert good.pvalues.min() > 0.01 and good.inside_band().all()
    assert good.diagnostics["divergences"].sum() == 0
    assert (good.ess.median() > 100).all()
    bad = bz.sbc("y ~ 1 + x", tiny_data, n_sims=80, priors=TINY_PRIORS, seed=5,
                 family=HalvedScaleGaussian(), **TINY_SAMPLER)
    assert bad.pvalues["sigma"] < 1e-3 and not bad.inside_band()["sigma"]
    assert bad.ranks["sigma"].mean() > 80  # the data's sigma lies above the model's


RADON_PRIORS = {"Intercept": "normal(1.3, 1)", "sd": "normal(0, 1)", "sigma": "normal(0, 1)"}
RADON_SAMPLER = {"chains": 2, "draws": 150, "tune": 150, "n_sims": 30, "seed": 7}


@pytest.mark.reference
@pytest.mark.slow
def test_radon_sbc_on_a_dask_cluster_equals_the_serial_run():
    import dask
    from dask.distributed import Client, LocalCluster

    from bayeszoo.inference.executors import DASK_CONFIG

    serial = bz.sbc("radon_intercept", priors=RADON_PRIORS, **RADON_SAMPLER)
    wrong_serial = bz.sbc("radon_intercept", priors=RADON_PRIORS, family=HalvedScaleGaussian(),
                          **RADON_SAMPLER)
    with dask.config.set(DASK_CONFIG), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None) as cluster, Client(cluster) as client:
        distributed = bz.sbc("radon_intercept", priors=RADON_PRIORS, executor=client,
                             **RADON_SAMPLER)
        wrong = bz.sbc("radon_intercept", priors=RADON_PRIORS, family=HalvedScaleGaussian(),
                       executor=client, **RADON_SAMPLER)
    pd.testing.assert_frame_equal(distributed.ranks, serial.ranks)
    pd.testing.assert_frame_equal(wrong.ranks, wrong_serial.ranks)
    assert list(serial.ranks.columns) == ["b_Intercept", "sd_county__Intercept", "sigma",
                                          "Intercept", "log_lik"]
    assert serial.pvalues.min() > 0.01 and serial.inside_band().all()
    assert wrong.pvalues["sigma"] < 1e-3 and not wrong.inside_band()["sigma"]


@pytest.mark.reference
@pytest.mark.slow
def test_sbc_command_writes_the_result_and_ends_with_json(tmp_path):
    out = tmp_path / "sbc.json"
    proc = run_cli("sbc", "radon_pooled", "--n-sims", "8", "--chains", "1", "--draws", "100",
                   "--tune", "100", "--prior", "Intercept=normal(1.3, 1)", "-q", "-o", str(out))
    line = json.loads(proc.stdout.strip().splitlines()[-1])
    assert line["n_sims"] == 8 and set(line["pvalues"]) == {"b_Intercept", "sigma", "Intercept",
                                                            "log_lik"}
    saved = SbcResult.load(out)
    assert line["familywise_p"] == round(saved.familywise_pvalue(), 4)
    assert line["calibrated"] == (saved.familywise_pvalue() >= 0.05)
    assert saved.settings["priors"]["Intercept"] == "normal(1.3, 1)"


@pytest.mark.slow
def test_sbc_command_refuses_flat_priors_and_unknown_models():
    proc = run_cli("sbc", "radon_unpooled", "--n-sims", "5", check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "b_countyAITKIN" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("sbc", "no_such_model", check=False)
    assert proc.returncode == 2 and "radon_intercept" in proc.stderr
    proc = run_cli("sbc", "radon_pooled", "--workers", "2", "--scheduler", "tcp://x:1",
                   check=False)
    assert proc.returncode == 2 and "not allowed with" in proc.stderr
    proc = run_cli("sbc", "radon_pooled", "--prior", "sigma", check=False)
    assert proc.returncode == 1 and "KEY=PRIOR" in proc.stderr
