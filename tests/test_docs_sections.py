"""The API reference renders the numpydoc sections of a docstring shown from its source (the
function ``bayeszoo.design``, which shares its name with a module) as headings and definition
lists, not as one run-on paragraph; and the docstring audit asks each kind of name for the
sections numpydoc gives it."""

from __future__ import annotations

import ast
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs" / "sitegen"))

from api import plain  # noqa: E402
from docstring_audit import missing_sections  # noqa: E402


def node(source: str):
    return ast.parse(source).body[0]


def test_numpydoc_sections_become_a_definition_list():
    doc = ("Do it.\n\nParameters\n----------\nx : int\n    The input,\n    twice.\n\n"
           "Returns\n-------\nint\n    The output.\n\nExamples\n--------\n>>> 1 + 1\n2")
    text = plain(doc)
    assert "**Parameters**" in text and "----------" not in text
    assert "`x : int`\n:   The input,\n    twice." in text
    assert "`int`\n:   The output." in text
    assert "**Examples**\n\n```pycon\n>>> 1 + 1\n2\n```" in text


def test_module_text_without_sections_is_left_as_it_is():
    assert plain("A module.\n\n* a list\n  continued") == "A module.\n\n* a list\n  continued"


def test_the_audit_asks_what_numpydoc_gives_each_kind_of_name():
    full = '"""Do.\n\nParameters\n----------\nx : int\n    X.\n\nReturns\n-------\nint\n    Y."""'
    assert missing_sections(node(f"def f(x):\n    {full}")) == []
    assert missing_sections(node('def f(x):\n    """Do."""')) == ["Parameters", "Returns"]
    # no arguments: no Parameters section to ask for
    returns_only = 'def f(self):\n    """Do.\n\n    Returns\n    -------\n    int"""'
    assert missing_sections(node(returns_only)) == []
    # a constructor inherited from another library: documented there
    assert missing_sections(node('class C(Base):\n    """A C."""')) == []
    dataclass = '@dataclass\nclass C:\n    """A C."""\n    x: int'
    assert missing_sections(node(dataclass)) == ["Parameters"]
