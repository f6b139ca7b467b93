"""List the public names whose docstrings lack numpydoc ``Parameters`` / ``Returns`` sections.

``python docs/sitegen/docstring_audit.py`` prints one line per such name (the top-level names
of ``bayeszoo``, the public names of its public modules, the methods of ``bayeszoo.Fit`` and the
names of ``bayeszoo.nn``) and exits 1 when there is any. Classes need ``Parameters`` only,
and only those that define a constructor taking arguments (an ``__init__`` or a dataclass's
fields; one inherited from another library, as ``Fit``'s from ArviZ, is documented there);
functions and properties that take no argument (but ``self`` or ``cls``) need ``Returns``
only, as numpydoc omits an empty ``Parameters`` section. It reads the source; nothing is imported.
"""

from __future__ import annotations

import ast
import sys

from public import defining_path, exports, module_file, nn_names, top_level

SECTIONS = ("Parameters", "Returns")


def _node(target: str) -> ast.FunctionDef | ast.ClassDef | None:
    module, _, name = target.rpartition(".")
    path = module_file(module)
    if path is None:
        return None
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return node
    return None


def _defines_constructor(node: ast.ClassDef) -> bool:
    decorators = [ast.unparse(d) for d in node.decorator_list]
    return any("dataclass" in d for d in decorators) or any(
        isinstance(n, ast.FunctionDef) and n.name == "__init__" and _takes_arguments(n)
        for n in node.body)


def _takes_arguments(node: ast.FunctionDef) -> bool:
    args = node.args
    named = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    return bool([a for a in named if a not in ("self", "cls")] or args.vararg or args.kwarg)


def missing_sections(node: ast.FunctionDef | ast.ClassDef) -> list[str]:
    doc = ast.get_docstring(node) or ""
    if not doc:
        return ["docstring"]
    if isinstance(node, ast.ClassDef):
        wanted = SECTIONS[:1] if _defines_constructor(node) else []
    elif _takes_arguments(node):
        wanted = SECTIONS
    else:
        wanted = SECTIONS[1:]
    return [s for s in wanted if f"{s}\n{'-' * len(s)}" not in doc]


def _candidates() -> list[tuple[str, str]]:
    out = []
    for name in top_level():
        if name.is_module:
            out += [(f"{name.public}.{m}", defining_path(f"{name.target}.{m}"))
                    for m in exports(name.target)]
        else:
            out.append((name.public, defining_path(name.target)))
    return out + [(n.public, defining_path(n.target)) for n in nn_names()]


def audit() -> list[tuple[str, list[str]]]:
    """``(public name, missing sections)`` for every public name that lacks any."""
    found = []
    for public, target in _candidates():
        node = _node(target)
        if node is None:
            continue
        if missing := missing_sections(node):
            found.append((public, missing))
        if public == "bayeszoo.Fit" and isinstance(node, ast.ClassDef):
            for method in node.body:
                if isinstance(method, ast.FunctionDef) and not method.name.startswith("_") \
                        and (missing := missing_sections(method)):
                    found.append((f"{public}.{method.name}", missing))
    return found


def main() -> int:
    found = audit()
    for public, missing in found:
        print(f"{public}: no {', '.join(missing)}")
    print(f"{len(found)} public names lack numpydoc sections")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
