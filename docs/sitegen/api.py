"""The API reference pages: one per public name of ``bayeszoo``, one for ``bayeszoo.nn``.

Each page is a mkdocstrings directive on the object's defining path, found from the package's
lazy-import tables and its ``from ... import`` lines (:mod:`public`); the page's title is the
public name users write. A module's page shows its docstring and then each of its public
names; a function that shares its name with a submodule (``bayeszoo.design``) is shown from
its source, since documentation tools resolve such a name to the module.
"""

from __future__ import annotations

import re

from public import (
    PublicName,
    defining_path,
    docstring_of,
    exports,
    module_docstring,
    nn_names,
    shadowed,
    top_level,
)

ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|exc|obj):`~?([^`]+)`")


SECTIONS = ("Parameters", "Returns", "Raises", "Examples")


def sections(text: str) -> str:
    """numpydoc sections as Markdown: each heading in bold, the ``name : type`` items of the
    listing sections a definition list (their indented descriptions the definitions)."""
    lines, out, items = text.splitlines(), [], False
    for i, line in enumerate(lines):
        if line.strip() in SECTIONS and i + 1 < len(lines) and set(lines[i + 1]) == {"-"}:
            out += [f"**{line.strip()}**", ""]
            items = line.strip() != "Examples"
        elif set(line) == {"-"} and i and lines[i - 1].strip() in SECTIONS:
            continue
        elif items and line and not line.startswith(" "):
            out += ["", f"`{line}`"]
        elif items and line.startswith(" ") and out[-1].startswith("`"):
            out.append(f":   {line.strip()}")
        elif items and line.startswith(" "):
            out.append(f"    {line.strip()}")
        else:
            out.append(line)
    return "\n".join(out)


def plain(text: str) -> str:
    """A docstring as Markdown: Sphinx roles become code, numpydoc sections headings and
    definition lists (:func:`sections`), doctest lines a ``pycon`` block."""
    text = sections(ROLE.sub(r"`\1`", text))
    out, in_doctest = [], False
    for line in text.splitlines():
        is_doctest = line.startswith((">>> ", "... ")) or (in_doctest and line.strip())
        if is_doctest and not in_doctest:
            out.append("```pycon")
        if in_doctest and not is_doctest:
            out.append("```")
        out.append(line)
        in_doctest = bool(is_doctest)
    if in_doctest:
        out.append("```")
    return "\n".join(out)


def slugs(names: list[PublicName]) -> dict[str, str]:
    """Public name -> page name; names equal but for case (``Design``, ``design``) get the
    class one a suffix, so that the pages differ on case-insensitive file systems too."""
    seen: dict[str, int] = {}
    for n in names:
        key = n.public.removeprefix("bayeszoo.").lower()
        seen[key] = seen.get(key, 0) + 1
    out = {}
    for n in names:
        short = n.public.removeprefix("bayeszoo.")
        out[n.public] = f"{short}-class" if seen[short.lower()] > 1 and short[0].isupper() \
            else short
    return out


def _directive(target: str, heading_level: int = 2, **options: object) -> str:
    lines = [f"::: {target}", "    options:", f"      heading_level: {heading_level}"]
    lines += [f"      {k}: {str(v).lower() if isinstance(v, bool) else v}"
              for k, v in options.items()]
    return "\n".join(lines)


def _member(module: str, name: str) -> str:
    target = f"{module}.{name}"
    if shadowed(defining_path(target)):
        return _from_source(defining_path(target), level=2)
    return _directive(defining_path(target), heading_level=2, show_root_heading=True,
                      show_root_full_path=False)


def _from_source(target: str, level: int) -> str:
    signature, doc = docstring_of(target)
    heading = "#" * level + f" `{target.rpartition('.')[2]}`\n\n" if level else ""
    return f"{heading}```python\n{signature}\n```\n\n{plain(doc)}\n"


def _page(name: PublicName) -> str:
    target = name.target
    head = f"# `{name.public}`\n\n"
    if name.is_module:
        members = "\n\n".join(_member(target, m) for m in exports(target))
        return f"{head}Module `{target}`.\n\n{plain(module_docstring(target))}\n\n{members}\n"
    path = defining_path(target)
    if shadowed(path):
        return head + _from_source(path, level=0)
    body = _directive(path, heading_level=2, show_root_heading=False,
                      **({"inherited_members": False, "summary": True}
                         if name.public == "bayeszoo.Fit" else {}))
    return f"{head}Defined in `{path}`; import it as `{name.public}`.\n\n{body}\n"


def _nn_page() -> str:
    parts = ["# `bayeszoo.nn`\n",
             "Neural networks on the runtime's JAX (Flax NNX and Optax). Every name below is "
             "importable as `from bayeszoo.nn import NAME`.\n"]
    for name in nn_names():
        parts.append(f"## `{name.public}`\n\n"
                     + _directive(defining_path(name.target), heading_level=3,
                                  show_root_heading=False) + "\n")
    return "\n".join(parts)


def _index(names: list[PublicName], slug: dict[str, str]) -> str:
    rows = "\n".join(f"| [`{n.public}`]({slug[n.public]}.md) | "
                     f"{'module' if n.is_module else 'name'} |" for n in names)
    return ("# API reference\n\n"
            "The public names, as `import bayeszoo as bz` gives them. Each page is generated "
            "from the docstrings at build time; the list of names comes from the package's "
            "own lazy-import tables, so the pages follow the code when modules move. Names not "
            "listed here are internal and may change without notice (see the "
            "[changelog](../changelog.md)).\n\n"
            "| name | kind |\n|---|---|\n" + rows
            + "\n| [`bayeszoo.nn`](nn.md) | the networks' names, one section each |\n")


def pages() -> dict[str, str]:
    """``{path under docs/: Markdown}`` of every reference page, the index first."""
    names = top_level()
    slug = slugs(names)
    out = {"reference/index.md": _index(names, slug)}
    out.update({f"reference/{slug[n.public]}.md": _page(n) for n in names})
    out["reference/nn.md"] = _nn_page()
    return out


def nav() -> list:
    """The reference section of the navigation."""
    names = top_level()
    slug = slugs(names)
    return ["reference/index.md", *({n.public: f"reference/{slug[n.public]}.md"} for n in names),
            {"bayeszoo.nn": "reference/nn.md"}]
