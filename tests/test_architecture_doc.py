"""docs/architecture.md against the tree: every module it names exists, every subpackage of
``bayeszoo`` is named, and every registry it names is defined where it says.

Names are read from the document's backticked spans (``formula/parse.py``,
``bayeszoo/structures/base.py``, dotted ``bayeszoo.inference.fit`` or ``inference.fit.Fit``)
and from its indented diagram (dotted names only). A span holding ``<`` is a placeholder
(``families/<name>.py``) and is not resolved. Files are read, never imported.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bayeszoo"
DOC = ROOT / "docs" / "architecture.md"
REGISTRIES = ("TERM_TYPES", "FAMILIES", "STRUCTURES", "BACKENDS", "ENGINE_PENALTIES")

SPAN = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"^(?:bayeszoo\.)?[a-z_][a-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
DIAGRAM_DOTTED = re.compile(r"(?<![\w.])(?:bayeszoo\.)?[a-z_][a-z0-9_]*(?:\.[A-Za-z_]\w*)+")


def spans(text: str) -> list[str]:
    """The backticked spans of ``text``, placeholders left out."""
    return [s for s in SPAN.findall(text) if "<" not in s]


def diagram_lines(text: str) -> list[str]:
    """The lines of the indented (code) blocks of ``text``."""
    return [line for line in text.splitlines() if line.startswith("    ")
            and not line.lstrip().startswith(("*", "-", "|"))]


def top_names() -> set[str]:
    """The top-level modules and subpackages of ``bayeszoo``."""
    return ({p.stem for p in PACKAGE.glob("*.py")}
            | {p.parent.name for p in PACKAGE.glob("*/__init__.py")})


def subpackages() -> list[str]:
    """Every subpackage of ``bayeszoo``, as a path relative to it (``inference/backends``)."""
    return sorted(p.parent.relative_to(PACKAGE).as_posix()
                  for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE)


def defined_names(tree: ast.Module | ast.ClassDef) -> set[str]:
    """Names a module (or class body) binds at its top level."""
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            out |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return out


def assigned_names(file: Path) -> set[str]:
    """Names ``file`` assigns at its top level (``X = ...``, ``X: T = ...``)."""
    tree = ast.parse(file.read_text())
    return {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
            if isinstance(t, ast.Name)} | {n.target.id for n in tree.body
                                           if isinstance(n, ast.AnnAssign)
                                           and isinstance(n.target, ast.Name)}


def module_file(parts: list[str]) -> tuple[Path | None, list[str]]:
    """The file of the longest module prefix of ``parts`` (relative to ``bayeszoo``) and the
    attribute names left over."""
    path, found, rest = PACKAGE, None, list(parts)
    while rest:
        head = rest[0]
        if (path / head / "__init__.py").exists():
            path, found = path / head, path / head / "__init__.py"
        elif (path / f"{head}.py").exists():
            return path / f"{head}.py", rest[1:]
        else:
            break
        rest = rest[1:]
    return found, rest


def dotted_problem(name: str) -> str | None:
    """Why the dotted ``name`` does not resolve, ``None`` if it does: its module exists, and
    its first attribute (and a second one, on a class of that module) is defined there."""
    parts = name.split(".")
    if parts[0] == "bayeszoo":
        parts = parts[1:]
    if not parts or parts[0] not in top_names():
        return None
    file, rest = module_file(parts)
    if file is None:
        return f"{name}: no module"
    if not rest:
        return None
    tree = ast.parse(file.read_text())
    if rest[0] not in defined_names(tree):
        return f"{name}: {rest[0]} is not defined in {file.relative_to(ROOT)}"
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    if len(rest) > 1 and rest[0] in classes and rest[1] not in defined_names(classes[rest[0]]):
        return f"{name}: {rest[0]} has no {rest[1]} in {file.relative_to(ROOT)}"
    return None


def path_problem(span: str) -> str | None:
    """Why the file path ``span`` names nothing, ``None`` if it exists (relative to the
    package, to the repository, or a bare file name somewhere in the package)."""
    rel = span.rstrip("/")
    if "/" not in rel:
        return None if (ROOT / rel).exists() or any(PACKAGE.rglob(rel)) else \
            f"{span}: no such file"
    candidates = [ROOT / rel] if rel.startswith("bayeszoo/") else [PACKAGE / rel, ROOT / rel]
    return None if any(c.exists() for c in candidates) else f"{span}: no such path"


def problems(text: str) -> list[str]:
    """Every name of the document that the tree does not have."""
    out = []
    for s in spans(text):
        token = s.split("(")[0].strip()
        if re.fullmatch(r"[\w./-]+\.(py|R|yml|md)|(bayeszoo/)?[\w/]+/", token):
            out.append(path_problem(token))
        elif DOTTED.fullmatch(token):
            out.append(dotted_problem(token))
    for line in diagram_lines(text):
        out += [dotted_problem(m.rstrip(".")) for m in DIAGRAM_DOTTED.findall(line)]
    return [p for p in out if p]


def unnamed_subpackages(text: str) -> list[str]:
    """The subpackages the document never names as ``pkg/``, ``bayeszoo/pkg/`` or
    ``bayeszoo.pkg``."""
    named = set()
    for s in spans(text):
        s = s.strip()
        if s.startswith("bayeszoo."):
            named.add(s.split("(")[0][len("bayeszoo."):].replace(".", "/"))
        elif s.endswith("/"):
            named.add(s.removeprefix("bayeszoo/").rstrip("/"))
    return [p for p in subpackages() if p not in named]


def registry_problems(text: str) -> list[str]:
    """Each registry the document must place: named qualified (``module.REGISTRY``) at least
    once, and defined at the top level of every module it is placed in."""
    out = []
    for reg in REGISTRIES:
        placed = [s for s in spans(text) if re.fullmatch(rf"(?:bayeszoo\.)?[\w.]+\.{reg}", s)]
        if not placed:
            out.append(f"{reg}: never placed in a module")
        for s in placed:
            parts = s.split(".")
            file, rest = module_file(parts[1:] if parts[0] == "bayeszoo" else parts)
            if file is None or rest != [reg] or reg not in assigned_names(file):
                out.append(f"{s}: {reg} is not assigned at the top level of that module")
    return out


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text()


def test_every_module_named_exists(doc):
    assert problems(doc) == []


def test_every_subpackage_is_named(doc):
    assert unnamed_subpackages(doc) == []


def test_every_registry_is_where_the_document_says(doc):
    assert registry_problems(doc) == []


def test_the_document_names_modules_of_every_subpackage(doc):
    for pkg in subpackages():
        assert re.search(rf"`(bayeszoo/)?{re.escape(pkg)}/\w+\.py`", doc), pkg


OLD = """Parsing is in `formula/parse.py`. The REML engine is `inference.reml.reml`; its
penalties live in `inference/reml/penalties.py` and in `reml`. The registry is `BACKENDS`.

    Design ──► inference.reml.reml(design) ──► RemlFit
"""


def test_the_checks_catch_a_stale_document():
    stale = "inference.reml.reml: reml is not defined in bayeszoo/inference/__init__.py"
    assert problems(OLD) == [stale, "inference/reml/penalties.py: no such path", stale]
    assert "penalized/penalties" in unnamed_subpackages(OLD)
    assert "BACKENDS: never placed in a module" in registry_problems(OLD)
    misplaced = registry_problems("`formula.term_types.FAMILIES` `families.FAMILIES`")
    assert "formula.term_types.FAMILIES: FAMILIES is not assigned at the top level of that " \
        "module" in misplaced
    assert not any(p.startswith("families.FAMILIES") for p in misplaced)
