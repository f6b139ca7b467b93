"""Outside the modules that define them, nothing compares a block's, term's or structure's kind
with a string or tests its class: callers ask the Block, the Structure or the term state."""

import ast
from pathlib import Path

import pytest

import bayeszoo
from bayeszoo.design import GROUP_EFFECT_KIND, SMOOTH_KIND
from bayeszoo.formula.term_base import ParsedTerm, TermState, TermType
from bayeszoo.formula.term_types import TERM_TYPES
from bayeszoo.structures import STRUCTURES, Structure

PACKAGE = Path(bayeszoo.__file__).parent

OWNERS = (
    "design.py",
    "structures/",
    "formula/term_base.py",
    "formula/term_types.py",
    "formula/random_terms.py",
    "formula/smooth_terms.py",
    "formula/gp_terms.py",
    "formula/nn_terms.py",
    "formula/side.py",
    "smooths/",
)

KINDS = {*TERM_TYPES, *STRUCTURES, GROUP_EFFECT_KIND, SMOOTH_KIND}
KIND_NAMES = {"kind", "term_kind"}


def _subclasses(cls: type) -> set[str]:
    out = {cls.__name__}
    for sub in cls.__subclasses__():
        out |= _subclasses(sub)
    return out


CLASSES = set().union(*(_subclasses(c) for c in (Structure, TermState, ParsedTerm, TermType)))


def _is_kind(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in KIND_NAMES
    if isinstance(node, ast.Name):
        return node.id in KIND_NAMES
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and key.value == "kind"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "get" and node.args:
        first = node.args[0]
        return isinstance(first, ast.Constant) and first.value == "kind"
    return False


def _literals(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return set().union(*(_literals(e) for e in node.elts)) if node.elts else set()
    return set()


def _class_names(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, ast.Attribute):
        return {node.attr}
    if isinstance(node, ast.Tuple):
        return set().union(*(_class_names(e) for e in node.elts)) if node.elts else set()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _class_names(node.left) | _class_names(node.right)
    return set()


def chains(source: str) -> list[tuple[int, str]]:
    """The kind-string comparisons and class tests over kinds in ``source``: (line, code)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_kind(o) for o in operands) \
                    and any(_literals(o) & KINDS for o in operands):
                out.append((node.lineno, ast.unparse(node)))
            if any(isinstance(o, ast.Call) and isinstance(o.func, ast.Name)
                   and o.func.id == "type" for o in operands) \
                    and any(_class_names(o) & CLASSES for o in operands):
                out.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("isinstance", "issubclass") and len(node.args) == 2 \
                and _class_names(node.args[1]) & CLASSES:
            out.append((node.lineno, ast.unparse(node)))
    return sorted(out)


def _module(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _listed(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or (m.endswith("/") and name.startswith(m)) for m in modules)


def test_the_scan_finds_the_chains_callers_used_to_write():
    old = '''
if blk.kind == "re" and blk.names.coef in post: pass
inputs = blk.kind == "nn"
curve = any(b.kind in ("gp", "nn") for b in blocks)
wanted = [b for b in blocks if b.structure.kind == "unstructured"]
fitted = [b for b in blocks if b["kind"] != "re"]
other = info.get("kind") == "smooth"
terms = [t for t in pf.terms if t.term_kind == "smooth"]
net = isinstance(blk.structure, (Iid, Network))
state = type(st) is GpState
'''
    found = chains(old)
    assert [line for line, _ in found] == [2, 3, 4, 5, 6, 7, 8, 9, 10]


def test_the_scan_leaves_other_kinds_alone():
    fine = '''
numeric = dt.kind in "biuf"
linpred = kind == "linpred"
stat = isinstance(value, float | np.floating)
flag = blk.is_group_effect and structure.correlates_coefficients
'''
    assert chains(fine) == []


def test_no_kind_chains_outside_their_modules():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module(path)
        if _listed(name, OWNERS):
            continue
        hits = chains(path.read_text(encoding="utf-8"))
        if hits:
            found[name] = hits
    assert found == {}


@pytest.mark.parametrize("name", OWNERS)
def test_listed_modules_exist(name):
    assert (PACKAGE / name).exists()
