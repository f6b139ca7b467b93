"""Every code block of the site's pages (``docs/*.md``, ``docs/guide/*.md``) runs as printed.

The markers of :mod:`code_blocks` decide how: an unmarked Python block runs here in
``make test`` (it must be quick: REML, designs, tables), a block marked ``slow`` runs under
``-m slow`` (it samples, trains or downloads MNIST), a ``fragment`` is only compiled. Every
Python block compiles and defines what it uses; every ``make`` target a shell block names
exists.
"""

from __future__ import annotations

import pytest
from code_blocks import COSTLY, MARKS, blocks, make_targets, undefined_names
from conftest import ROOT

PAGES = sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "docs" / "guide").glob("*.md"))
PYTHON = [b for page in PAGES for b in blocks(page, "python")]
SHELL = [b for page in PAGES for b in blocks(page) if b.language in ("sh", "bash", "console")]


def params(selected):
    return [pytest.param(b, id=b.name,
                         marks=[pytest.mark.slow] if b.mark == "slow" else [])
            for b in selected]


def test_the_pages_have_python_blocks_of_each_kind():
    assert len(PYTHON) >= 12
    assert {b.mark for b in PYTHON} >= {"", "slow"}
    assert all(b.mark in MARKS for page in PAGES for b in blocks(page)), \
        [(b.name, b.mark) for page in PAGES for b in blocks(page) if b.mark not in MARKS]


@pytest.mark.parametrize("block", PYTHON, ids=[b.name for b in PYTHON])
def test_every_python_block_compiles_and_defines_what_it_uses(block):
    compile(block.body, block.name, "exec")
    assert undefined_names(block.body) == set()


@pytest.mark.parametrize("block", PYTHON, ids=[b.name for b in PYTHON])
def test_a_block_that_samples_is_marked_slow(block):
    if block.mark == "":
        assert not COSTLY.search(block.body), \
            f"{block.name} samples, trains or downloads: mark it <!-- code: slow -->"


@pytest.mark.parametrize("block", params([b for b in PYTHON if b.mark != "fragment"]))
def test_every_python_block_runs(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks write report.html and ckpt/ where they run
    exec(compile(block.body, block.name, "exec"), {"__name__": "__docs__"})


@pytest.mark.parametrize("block", SHELL, ids=[b.name for b in SHELL])
def test_shell_blocks_name_make_targets_that_exist(block):
    import re

    named = set(re.findall(r"^make ([\w-]+)", block.body, re.MULTILINE))
    assert named <= make_targets(ROOT), named - make_targets(ROOT)
