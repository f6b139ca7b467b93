"""The zoo gallery's figure cache (``docs/sitegen/gallery_cache.py``, ``gallery_fit.py``): a
model's key changes with its formula, data and the gallery's settings but not with an unrelated
file or its description; ``make docs`` refits only the models missing from the cache, and a
failed fit fails it, naming the model."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs" / "sitegen"))

import gallery  # noqa: E402
import gallery_cache as gc  # noqa: E402
import gallery_fit  # noqa: E402

from bayeszoo import zoo  # noqa: E402

KEYS = ("import sys, json; sys.path.insert(0, 'docs/sitegen'); import gallery_cache as gc; "
        "from bayeszoo import zoo; print(json.dumps({n: gc.cache_key(gc.key_inputs(zoo.get(n))) "
        "for n in ('mcycle_cr20', 'mcycle_cr50', 'radon_pooled')}))")
CR20 = """name="mcycle_cr20",
        dataset="mcycle",
        formula='accel ~ 1 + s(times, bs="cr", k=20)',"""


def key(entry) -> str:
    return gc.cache_key(gc.key_inputs(entry))


def keys_of(tree) -> dict[str, str]:
    done = subprocess.run([sys.executable, "-c", KEYS], cwd=tree, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(tree)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def copy_tree(dest):
    for part in ("bayeszoo", "docs/sitegen"):
        shutil.copytree(ROOT / part, dest / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_a_formula_edit_changes_that_models_key_and_an_unrelated_edit_none(tmp_path):
    before = {n: key(zoo.get(n)) for n in ("mcycle_cr20", "mcycle_cr50", "radon_pooled")}
    after = copy_tree(tmp_path)
    entries = after / "bayeszoo" / "models" / "zoo_entries.py"
    text = entries.read_text()
    assert text.count(CR20) == 1
    entries.write_text(text.replace(CR20, CR20.replace("k=20", "k=25")))
    page = after / "bayeszoo" / "reports" / "page.py"
    page.write_text(page.read_text() + "\n# an unrelated edit\n")
    (after / "docs" / "sitegen" / "api.py").write_text("")
    changed = keys_of(after)
    assert changed["mcycle_cr20"] != before["mcycle_cr20"]
    assert changed["mcycle_cr50"] == before["mcycle_cr50"]
    assert changed["radon_pooled"] == before["radon_pooled"]


def test_the_key_follows_the_spec_and_settings_not_the_prose(monkeypatch):
    entry = zoo.get("mcycle_cr20")
    base = key(entry)
    assert key(dataclasses.replace(entry, description="another text", question="why?")) == base
    assert key(dataclasses.replace(entry, formula='accel ~ 1 + s(times, bs="cr", k=10)')) != base
    assert key(dataclasses.replace(entry, sampler={"target_accept": 0.8})) != base
    monkeypatch.setattr(gc, "SETTINGS", {**gc.SETTINGS, "draws": 600})
    assert key(entry) != base


class Frame:
    """A stand-in entry whose data is the given frame."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def load_data(self) -> pd.DataFrame:
        return self.frame


def test_the_data_checksum_sees_a_changed_value_and_dtype():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "g": ["a", "b", "a"]})
    base = gc.data_checksum(Frame(frame))
    assert gc.data_checksum(Frame(frame.copy())) == base
    assert gc.data_checksum(Frame(frame.assign(y=[1.0, 2.0, 3.5]))) != base
    assert gc.data_checksum(Frame(frame.astype({"g": "category"}))) != base


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYESZOO_DOCS_GALLERY_CACHE", str(tmp_path / "gallery"))
    gallery.cached.cache_clear()
    yield tmp_path / "gallery"
    gallery.cached.cache_clear()


def fake_fits(monkeypatch, fail: str | None = None) -> list[str]:
    """Replace the fit-and-draw step by one that writes placeholder figures; returns the list
    of models it was called for."""
    calls: list[str] = []

    def draw(name, settings, out):
        calls.append(name)
        assert settings == gc.SETTINGS
        if name == fail:
            raise RuntimeError("the sampler diverged")
        (out / "ppc.png").write_bytes(b"png of " + name.encode())
        return {"figures": ["ppc.png"], "sampler_warnings": []}

    monkeypatch.setattr(gallery_fit, "draw_figures", draw)
    return calls


def test_a_cached_model_is_not_refit(cache, monkeypatch, capsys):
    calls = fake_fits(monkeypatch)
    names = ["radon_pooled", "mcycle_cr20"]
    gallery_fit.ensure(names, workers=1)
    assert calls == names
    out = capsys.readouterr().out
    assert "0 of 2 models cached" in out and "[2/2] mcycle_cr20:" in out
    found = gallery.cached("mcycle_cr20")
    assert found is not None and found[0].parent == cache / "mcycle_cr20"
    assert (found[0] / "ppc.png").read_bytes() == b"png of mcycle_cr20"
    assert found[1]["key"] == key(zoo.get("mcycle_cr20"))
    assert not [p for p in (cache / "mcycle_cr20").iterdir() if p.name.startswith(".staging")]
    shown = gallery.figures()
    assert shown == {"zoo/radon_pooled/ppc.png": gallery.cached("radon_pooled")[0] / "ppc.png",
                     "zoo/mcycle_cr20/ppc.png": found[0] / "ppc.png"}

    calls.clear()
    gallery_fit.ensure(names, workers=1)
    assert calls == []
    assert "2 of 2 models cached" in capsys.readouterr().out

    monkeypatch.setattr(gc, "SETTINGS", {**gc.SETTINGS, "chains": 3})
    gallery_fit.ensure(names, workers=1)
    assert calls == names


def test_a_failed_fit_fails_the_build_naming_the_model(cache, monkeypatch, capsys):
    calls = fake_fits(monkeypatch, fail="mcycle_cr20")
    with pytest.raises(SystemExit, match="the figures of mcycle_cr20 failed"):
        gallery_fit.ensure(["mcycle_cr20", "radon_pooled"], workers=1)
    assert calls == ["mcycle_cr20", "radon_pooled"]
    assert "mcycle_cr20: FAILED: RuntimeError: the sampler diverged" in capsys.readouterr().out
    gallery.cached.cache_clear()
    assert gallery.cached("mcycle_cr20") is None
    assert gallery.cached("radon_pooled") is not None
    assert list((cache / "mcycle_cr20").iterdir()) == []


def test_the_cache_lives_in_the_user_cache_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("BAYESZOO_DOCS_GALLERY_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert gc.cache_root() == tmp_path / "bayeszoo" / "docs-gallery"
    monkeypatch.setenv("BAYESZOO_DOCS_GALLERY_CACHE", str(tmp_path / "elsewhere"))
    assert gc.cache_root() == tmp_path / "elsewhere"
