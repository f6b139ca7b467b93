"""Nothing lost: every file the project writes goes through a temporary name and a rename, so an
interrupted write leaves the previous file or none, never a partial one; a truncated or foreign
file is refused with a message naming it."""

import json

import numpy as np
import pytest
from conftest import run_cli

import bayeszoo as bz
from bayeszoo import paths


@pytest.fixture
def interrupted_rename(monkeypatch):
    """Ctrl-C arriving just before the temporary file would be renamed."""

    def interrupt(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(paths.os, "replace", interrupt)


def listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_interrupted_write_leaves_no_file_and_no_folder(tmp_path, interrupted_rename):
    with pytest.raises(KeyboardInterrupt):
        paths.write_text_atomically(tmp_path / "new" / "deeper" / "out.txt", "text")
    with pytest.raises(KeyboardInterrupt):
        paths.write_bytes_atomically(tmp_path / "out.png", b"\x89PNG")
    assert listing(tmp_path) == []


def test_interrupted_write_keeps_the_previous_file(tmp_path, monkeypatch):
    target = paths.write_text_atomically(tmp_path / "out.json", '{"old": 1}')

    def interrupt(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(paths.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        paths.write_text_atomically(target, '{"new": 2}')
    assert listing(tmp_path) == ["out.json"]
    assert json.loads(target.read_text()) == {"old": 1}


def test_training_files_are_written_atomically(tmp_path, monkeypatch):
    from bayeszoo.nn.checkpoint import load_checkpoint, save_checkpoint
    from bayeszoo.nn.history import History

    history = History()
    history.append({"loss": 1.0, "val_loss": 2.0})
    state = {"fingerprint": "run", "epoch": 1, "batch": 0, "acc": np.zeros(3),
             "epoch_seconds": 0.5, "history": history, "params": {"w": np.ones(3)},
             "opt_state": [np.zeros(2)], "rest": []}
    ckpt = tmp_path / "ckpt" / "checkpoint.msgpack"
    save_checkpoint(ckpt, state)
    history.save_json(tmp_path / "history.json")

    def interrupt(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(paths.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(ckpt, {**state, "epoch": 2})
    for write in (history.save_json, history.save_csv):
        with pytest.raises(KeyboardInterrupt):
            write(tmp_path / "again.out")
    assert listing(tmp_path) == ["ckpt", "ckpt/checkpoint.msgpack", "history.json"]
    assert load_checkpoint(ckpt)["epoch"] == 1
    truncated = tmp_path / "ckpt" / "cut.msgpack"
    truncated.write_bytes(ckpt.read_bytes()[:40])
    with pytest.raises(ValueError, match="cut.msgpack"):
        load_checkpoint(truncated)


@pytest.mark.slow
def test_truncated_or_foreign_fit_files_are_refused_naming_them(small_fit, tmp_path, monkeypatch):
    import xarray as xr

    idata = small_fit("radon_pooled")
    good = bz.save(idata, tmp_path / "fit.nc")
    cut = tmp_path / "cut.nc"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="cut.nc.*truncated"):
        bz.load(cut)
    foreign = tmp_path / "foreign.nc"
    xr.Dataset({"x": ("i", np.arange(3.0))}).to_netcdf(foreign, engine="netcdf4")
    with pytest.raises(ValueError, match="foreign.nc"):
        bz.load(foreign)
    proc = run_cli("report", str(cut), "-o", str(tmp_path / "r.html"), check=False)
    assert proc.returncode == 1 and "cut.nc" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "r.html").exists()

    def interrupt(src, dst):
        raise KeyboardInterrupt

    from pathlib import Path

    monkeypatch.setattr(Path, "replace", lambda self, target: interrupt(self, target))
    with pytest.raises(KeyboardInterrupt):
        bz.save(idata, tmp_path / "second.nc")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.nc", "fit.nc", "foreign.nc"]
