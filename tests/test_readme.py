"""The README is a landing page whose code runs as printed and whose links resolve.

It opens with the two commands (``make run``, ``make test``), then a first model in five lines
and the way to the documentation site (``make docs``, ``make docs-serve``). The fast checks
compile the Python block and find the names it uses without defining them, check the ``make``
targets and the links; the slow one executes the block verbatim (it samples).
"""

from __future__ import annotations

import re

import pytest
from code_blocks import blocks, make_targets, undefined_names
from conftest import ROOT

README = ROOT / "README.md"
PYTHON = blocks(README, "python")


def test_undefined_names_are_found():
    assert undefined_names("import numpy as np\nf = lambda t: np.exp(t) + a\n"
                           "[b * i for i in range(3)]\nprint(f(1), c)") == {"a", "b", "c"}


def test_the_two_commands_come_first():
    first = blocks(README)[0]
    assert first.language == "sh"
    assert README.read_text().split("```")[0].strip() == "# bayeszoo"  # nothing before them
    lines = [line for line in first.body.splitlines() if line.startswith("make")]
    assert [line.split()[1] for line in lines] == ["run", "test"]


def test_the_readme_has_a_five_line_example():
    (block,) = PYTHON
    assert len([line for line in block.body.splitlines() if line.strip()]) == 5


@pytest.mark.parametrize("block", PYTHON, ids=[b.name for b in PYTHON])
def test_every_python_block_compiles_and_defines_what_it_uses(block):
    compile(block.body, "<README>", "exec")
    assert undefined_names(block.body) == set()


def test_the_shell_blocks_name_make_targets_that_exist():
    named = {t for b in blocks(README, "sh") for t in re.findall(r"make ([\w-]+)", b.body)}
    assert named == {"run", "test", "test-slow", "docs", "docs-serve"}
    assert named <= make_targets(ROOT)


def test_every_link_points_to_a_file_of_the_repository():
    links = re.findall(r"\]\(([^)#]+)\)", README.read_text())
    assert len(links) >= 15
    assert [link for link in links if not (ROOT / link).is_file()] == []


@pytest.mark.slow
@pytest.mark.parametrize("block", PYTHON, ids=[b.name for b in PYTHON])
def test_every_python_block_runs_verbatim(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(block.body, "<README>", "exec"), {"__name__": "__readme__"})
