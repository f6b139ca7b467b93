"""The fenced code blocks of the project's Markdown (the README and the site's pages), and how a
test treats each.

A block runs in ``make test`` unless an HTML comment on the line above its fence (a blank line
between them is allowed) marks it, invisibly on the rendered page:

* ``<!-- code: slow -->``: it samples, trains or downloads; it runs in ``make test-slow`` only.
* ``<!-- code: fragment -->``: an illustrative fragment that does not run on its own; it is
  only compiled.

Every Python block stands alone (its own imports and data) and is checked, whatever its
marker, for names it uses without defining them.
"""

from __future__ import annotations

import builtins
import re
import symtable
from dataclasses import dataclass
from pathlib import Path

MARKS = ("", "slow", "fragment")
FENCE = re.compile(r"(?:^<!-- code: (?P<mark>[\w-]+) -->\n\n?)?"
                   r"^```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
#: Calls that sample, train or download: a block making one must be marked slow.
COSTLY = re.compile(r"\b(?:bz\.(?:sample|fit|sbc|kfold|pp_average)|train|load_mnist|run_recipe)\(")


@dataclass(frozen=True)
class Block:
    """One fenced block: its file, first line, language, text and marker (``""``: none)."""

    path: Path
    line: int
    language: str
    body: str
    mark: str

    @property
    def name(self) -> str:
        return f"{self.path.name}:{self.line}"


def blocks(path: Path, language: str | None = None) -> list[Block]:
    """The fenced blocks of the Markdown file ``path`` (those in ``language`` only, if given)."""
    text = path.read_text()
    out = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start("lang")) + 1
        block = Block(path, line, m.group("lang"), m.group("body"), m.group("mark") or "")
        if language is None or block.language == language:
            out.append(block)
    return out


def undefined_names(source: str) -> set[str]:
    """Names a module-level ``source`` reads (in any nested scope) that neither it binds at
    module level nor Python provides as a builtin."""
    top = symtable.symtable(source, "<block>", "exec")
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


def make_targets(root: Path) -> set[str]:
    """The targets the Makefile at ``root`` defines."""
    return set(re.findall(r"^([\w-]+):", (root / "Makefile").read_text(), re.MULTILINE))
