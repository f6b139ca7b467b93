"""``bayeszoo reml --engine bam``: the discretized fit from the command line, on a Parquet file
read into memory and on a directory of Parquet partitions read with Dask; both report the fit
of :func:`bayeszoo.bam` on the same rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

import bayeszoo as bz

FORMULA = "y ~ s(x, bs='cr') + s(g, bs='re')"


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture
def counts(tmp_path):
    rng = np.random.default_rng(11)
    n = 3000
    df = pd.DataFrame({"x": np.round(rng.uniform(0, 1, n), 2),
                       "g": rng.integers(0, 8, n).astype(str)})
    df["y"] = rng.poisson(np.exp(np.sin(5 * df.x) + 0.1 * df.g.astype(int)))
    df.to_parquet(tmp_path / "all.parquet")
    (tmp_path / "parts").mkdir()
    for i in range(3):
        df.iloc[i * 1000:(i + 1) * 1000].to_parquet(tmp_path / "parts" / f"part-{i}.parquet")
    return df, tmp_path


def test_bam_engine_in_memory_and_dask(counts):
    df, path = counts
    fit = bz.bam(FORMULA, df, family="poisson")
    mem = last_json(run_cli("reml", FORMULA, "--data", str(path / "all.parquet"), "--engine",
                            "bam", "--family", "poisson").stdout)
    part = last_json(run_cli("reml", FORMULA, "--data", str(path / "parts"), "--engine", "bam",
                             "--dask", "--family", "poisson", "-q").stdout)
    for head in (mem, part):
        assert head["engine"] == "bam" and head["n"] == 3000 and head["converged"]
        assert head["reml_score"] == pytest.approx(fit.reml_score, rel=1e-10)
        assert head["edf"]["s(x)"] == pytest.approx(fit.edf["s(x)"], rel=1e-8)
        assert head["edf_total"] == pytest.approx(fit.edf_total, rel=1e-8)
    coarse = last_json(run_cli("reml", FORMULA, "--data", str(path / "all.parquet"),
                               "--engine", "bam", "--m", "20", "--family", "poisson",
                               "-q").stdout)
    assert coarse["edf"]["s(x)"] == pytest.approx(bz.bam(FORMULA, df, family="poisson",
                                                         m=20).edf["s(x)"], rel=1e-8)


def test_bam_engine_option_errors(counts):
    df, path = counts
    df.to_csv(path / "all.csv", index=False)
    bad = run_cli("reml", FORMULA, "--data", str(path / "all.csv"), "--engine", "bam",
                  "--dask", check=False)
    assert bad.returncode == 1 and "Parquet file or a directory" in bad.stderr
    bad = run_cli("reml", FORMULA, "--data", str(path / "all.csv"), "--m", "20", check=False)
    assert bad.returncode == 1 and "options of --engine bam" in bad.stderr
    bad = run_cli("reml", FORMULA, "--data", str(path / "all.csv"), "--engine", "bam",
                  "--scheduler", "tcp://127.0.0.1:1", check=False)
    assert bad.returncode == 1 and "give --dask too" in bad.stderr
