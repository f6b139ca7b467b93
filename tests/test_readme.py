"""Every code block of README.md runs as printed.

Each Python block stands alone (its own imports and data). The fast checks compile every block
and find the names it uses without defining them; the slow one executes every block verbatim
(they sample with the defaults and train on MNIST, minutes in all).
"""

from __future__ import annotations

import builtins
import re
import symtable

import pytest
from conftest import ROOT

README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README.read_text()) if lang == language]


def undefined_names(source: str) -> set[str]:
    """Names a module-level ``source`` reads (in any nested scope) that neither it binds at
    module level nor Python provides as a builtin."""
    top = symtable.symtable(source, "<README>", "exec")
    bound = {s.get_name() for s in top.get_symbols()
             if s.is_assigned() or s.is_imported() or s.is_namespace()}
    read: set[str] = set()
    tables = [top]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        read |= {s.get_name() for s in table.get_symbols()
                 if s.is_referenced() and (table is top or s.is_global())}
    return read - bound - set(dir(builtins))


def test_undefined_names_are_found():
    assert undefined_names("import numpy as np\nf = lambda t: np.exp(t) + a\n"
                           "[b * i for i in range(3)]\nprint(f(1), c)") == {"a", "b", "c"}


PYTHON = blocks("python")


def test_the_readme_has_its_python_blocks():
    assert len(PYTHON) == 5


@pytest.mark.parametrize("source", PYTHON, ids=[f"block{i}" for i in range(len(PYTHON))])
def test_every_python_block_compiles_and_defines_what_it_uses(source):
    compile(source, "<README>", "exec")
    assert undefined_names(source) == set()


def test_the_shell_block_names_make_targets_that_exist():
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    (shell,) = blocks("sh")
    named = set(re.findall(r"make ([\w-]+)", shell))
    assert named == {"run", "test", "test-slow"}
    assert named <= targets


@pytest.mark.slow
@pytest.mark.parametrize("source", PYTHON, ids=[f"block{i}" for i in range(len(PYTHON))])
def test_every_python_block_runs_verbatim(source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the blocks write report.html and ckpt/ where they run
    exec(compile(source, "<README>", "exec"), {"__name__": "__readme__"})
