"""How ``benchmarks/sbc_terms.py`` and ``benchmarks/sbc_families.py`` name and list repeated
runs: a ``--target-accept`` run of sbc_terms gets its own file and a backend label naming the
rate; a ``--seed`` run of sbc_families gets its own row, and a model counts as having enough
simulations when its largest run has."""

from pathlib import Path

import numpy as np
import pandas as pd
from bench_scripts import bench_script

from bayeszoo import SbcResult


def _saved(path: Path, n_sims: int, seed: int, target_accept: float = 0.8) -> Path:
    rng = np.random.default_rng(seed)
    ranks = pd.DataFrame({"b_x": rng.integers(0, 100, n_sims)})
    diagnostics = pd.DataFrame({"divergences": np.zeros(n_sims, int),
                                "tree_depth_hits": np.zeros(n_sims, int),
                                "max_rhat": np.ones(n_sims), "min_ess": np.full(n_sims, 300.0),
                                "seconds": np.ones(n_sims)})
    SbcResult(ranks=ranks, max_rank=99, ess=ranks * 0 + 300.0, kept=ranks * 0 + 600,
              diagnostics=diagnostics,
              settings={"seed": seed, "target_accept": target_accept, "chains": 2,
                        "draws": 300, "tune": 300}).save(path)
    return path


def test_target_accept_runs_have_their_own_file_and_label(tmp_path, monkeypatch):
    terms = bench_script("sbc_terms")
    monkeypatch.setattr(terms, "OUT", tmp_path)
    assert terms.result_path("nonlinear", 1).name == "nonlinear__numpyro.json"
    assert terms.result_path("nonlinear", 4).name == "nonlinear__numpyro__seed4.json"
    path = terms.result_path("nonlinear", 4, 0.95)
    assert path.name == "nonlinear__numpyro__seed4__ta0.95.json"
    assert terms.run_label(_saved(path, 5, 4, 0.95)) == "numpyro, seed 4, target_accept 0.95"
    plain = _saved(terms.result_path("nonlinear", 4), 5, 4)
    assert terms.run_label(plain) == "numpyro, seed 4"
    rows = terms.with_run_columns(terms.sbc_module().table({("nonlinear", "x"): path}),
                                  {("nonlinear", "x"): path})
    assert rows[0].split(" | ")[4:6] == ["target_accept", "load before → after"]
    assert rows[2].split(" | ")[4:6] == ["0.95", "– → –"]


def test_a_seed_repeat_is_a_row_of_its_own_and_lifts_the_few_simulations_note(
        tmp_path, monkeypatch):
    families = bench_script("sbc_families")
    monkeypatch.setattr(families, "OUT", tmp_path)
    assert families.result_path("cratio", "pymc", 2).name == "cratio__pymc__seed2.json"
    _saved(families.result_path("cratio", "pymc"), 6, 1)
    _saved(families.result_path("cumulative", "pymc"), 6, 1)
    _saved(families.result_path("cratio", "pymc", 2), 30, 2)
    results = families.saved_results()
    assert list(results) == [("cumulative", "pymc", 1), ("cratio", "pymc", 1),
                             ("cratio", "pymc", 2)]
    assert families.few_simulations(results) == [
        "Rows on fewer than 20 simulations (a coarse check only): cumulative (pymc, 6).", ""]
    rows = families.table(results)
    assert [r.split(" | ")[3:5] for r in rows[2:]] == [["1", "6"], ["1", "6"], ["2", "30"]]
