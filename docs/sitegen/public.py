"""The public names of bayeszoo and where each one lives, read from the package's own tables.

``bayeszoo/__init__.py`` and ``bayeszoo/nn/__init__.py`` map each public name to the module that
defines it (their lazy-import tables). Reading those tables from the source, without importing
the package, keeps the API reference in step with the code: a module renamed inside the
package moves its entry in the table, and the reference follows.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bayeszoo"


@dataclass(frozen=True)
class PublicName:
    """A public name (``bayeszoo.fit``) and the object's defining path (``bayeszoo.api.fit``)."""

    public: str
    target: str
    is_module: bool


def _table(path: Path, variable: str) -> dict:
    """The dictionary assigned to ``variable`` in the module at ``path``, evaluated with no
    builtins but ``dict`` (the tables are literals and ``dict.fromkeys`` calls)."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        if any(isinstance(t, ast.Name) and t.id == variable for t in targets):
            code = compile(ast.Expression(node.value), str(path), "eval")
            return eval(code, {"__builtins__": {}, "dict": dict})  # noqa: S307
    raise LookupError(f"{path} assigns no {variable}")


def _functions(path: Path) -> list[str]:
    """Public functions defined at the top level of the module at ``path``."""
    tree = ast.parse(path.read_text())
    return [n.name for n in tree.body
            if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]


def top_level() -> list[PublicName]:
    """Every name of ``bayeszoo.__all__`` with the path mkdocstrings resolves it by."""
    init = PACKAGE / "__init__.py"
    names = [PublicName(f"bayeszoo.{name}", module if attr is None else f"{module}.{attr}",
                        attr is None)
             for name, (module, attr) in _table(init, "_LAZY").items()]
    names += [PublicName(f"bayeszoo.{f}", f"bayeszoo.{f}", False) for f in _functions(init)]
    return sorted(names, key=lambda n: n.public.lower())


def nn_names() -> list[PublicName]:
    """Every name of ``bayeszoo.nn.__all__`` with its defining module."""
    table = _table(PACKAGE / "nn" / "__init__.py", "_LAZY")
    return [PublicName(f"bayeszoo.nn.{name}", f"{module}.{name}", False)
            for name, module in sorted(table.items(), key=lambda kv: kv[0].lower())]


def families_all() -> list[str]:
    """``bayeszoo.families.__all__`` as its ``__init__`` writes it."""
    tree = ast.parse((PACKAGE / "families" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise LookupError("bayeszoo.families has no __all__")


def version() -> str:
    """``bayeszoo.__version__`` read from the source."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets):
            return str(ast.literal_eval(node.value))
    raise LookupError("bayeszoo has no __version__")


def module_file(module: str) -> Path | None:
    """The source file of ``module`` (a package's ``__init__.py``), or ``None``."""
    base = ROOT / module.replace(".", "/")
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _imported(module: str, path: Path) -> dict[str, str]:
    """Name -> the module it is imported from, for the ``from ... import`` lines of ``path``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            source = (f"{base}.{node.module}" if node.module else base) if node.level \
                else node.module
            out.update({a.asname or a.name: source for a in node.names})
    return out


def exports(module: str) -> list[str]:
    """The public names of ``module``: its ``__all__``, else its public top-level functions,
    classes and upper-case constants."""
    path = module_file(module)
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            names.append(node.name)
        target = node.target if isinstance(node, ast.AnnAssign) else \
            node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id.isupper():
            names.append(target.id)
    return names


def defining_path(target: str) -> str:
    """The path of the module that defines ``target`` (``bayeszoo.penalized.reml`` ->
    ``bayeszoo.penalized.api.reml``), following ``from ... import`` re-exports."""
    module, _, name = target.rpartition(".")
    path = module_file(module)
    if path is None:
        return target
    source = _imported(module, path).get(name)
    if source is None or module_file(source) is None:
        return target
    return defining_path(f"{source}.{name}")


def shadowed(target: str) -> bool:
    """Whether a function ``target`` defined in a package shares its name with a submodule
    (``bayeszoo.design``): documentation tools resolve the name to the module."""
    module, _, name = target.rpartition(".")
    path = module_file(module)
    return path is not None and path.name == "__init__.py" and module_file(target) is not None


def docstring_of(target: str) -> tuple[str, str]:
    """``(signature, docstring)`` of the function ``target``, read from its source."""
    module, _, name = target.rpartition(".")
    source = module_file(module).read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            signature = f"{name}({ast.unparse(node.args)})"
            if node.returns is not None:
                signature += f" -> {ast.unparse(node.returns)}"
            return signature, ast.get_docstring(node) or ""
    raise LookupError(f"{target} is not a function of {module}")


def module_docstring(module: str) -> str:
    """The docstring of ``module``."""
    return ast.get_docstring(ast.parse(module_file(module).read_text())) or ""
