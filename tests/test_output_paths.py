"""Output paths: a folder that takes no new files (``/proc``, a read-only mount) is refused
before any sampling, though its permission bits look writable to root; a fit is saved under a
temporary name of its own, so that two writers of one path do not collide."""

import json
import os
import sys

import arviz as az
import numpy as np
import pytest

import bayeszoo as bz
from bayeszoo import api, cli, paths
from bayeszoo.inference import sbc as sbc_module

needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="/proc is Linux's")


@pytest.fixture
def never_sampled(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("sampled before the output path was checked")

    monkeypatch.setattr(api, "fit_draws", refuse)
    monkeypatch.setattr(sbc_module, "prior_draws", refuse)


@needs_proc
def test_a_folder_that_takes_no_files_is_refused_naming_the_path():
    with pytest.raises(ValueError, match=r"^cannot write /proc/x.nc: /proc does not take new "
                       r"files \(.+\); give a path in a folder you can write to$"):
        paths.check_writable("/proc/x.nc")
    with pytest.raises(ValueError, match=r"^cannot write /proc/new/x.nc: /proc does not take "):
        paths.check_writable("/proc/new/x.nc")


def test_checking_a_writable_folder_leaves_nothing_behind(tmp_path):
    assert paths.check_writable(tmp_path / "sub" / "fit.nc") == tmp_path / "sub" / "fit.nc"
    assert paths.refusal_to_create(tmp_path) is None
    assert list(tmp_path.iterdir()) == []


@needs_proc
@pytest.mark.parametrize("argv", [
    ["fit", "radon_pooled", "-o", "/proc/x.nc"],
    ["compare", "radon_pooled", "radon_intercept", "-o", "/proc/x.html"],
    ["sbc", "radon_pooled", "--n-sims", "10", "--prior", "Intercept=normal(1.3, 1)", "-o",
     "/proc/x.json"],
    ["report", "missing.nc", "-o", "/proc/x.html"],
], ids=["fit", "compare", "sbc", "report"])
def test_commands_check_their_output_before_sampling(argv, never_sampled, capsys):
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"bayeszoo {argv[0]}: cannot write {argv[-1]}: /proc does not take "
                          "new files (")
    assert len(err.splitlines()) == 1


@needs_proc
def test_training_refuses_an_output_folder_that_takes_no_files():
    from bayeszoo.nn.checks import check_writable_dir

    with pytest.raises(ValueError, match=r"^--out /proc/run: /proc does not take new files "
                       r"\(.+\); pass another --out$"):
        check_writable_dir("/proc/run", "--out")


def saveable() -> az.InferenceData:
    idata = az.from_dict(posterior={"b_Intercept": np.zeros((1, 5))})
    idata.attrs.update(formula="y ~ 1", design=json.dumps({"predictors": []}),
                       data_columns=json.dumps({}))
    return idata


def test_save_writes_through_a_temporary_name_of_its_own(tmp_path):
    """Another process saving to the same path has its temporary file beside it: a writer
    that took the same name would overwrite that file and rename it away."""
    others = tmp_path / ".fit.nc.tmp"
    others.write_bytes(b"another writer's half-written file")
    path = bz.save(saveable(), tmp_path / "fit.nc")
    assert others.read_bytes() == b"another writer's half-written file"
    assert sorted(os.listdir(tmp_path)) == [".fit.nc.tmp", "fit.nc"]
    assert float(az.from_netcdf(path).posterior["b_Intercept"].sum()) == 0.0
