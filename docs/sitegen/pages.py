"""The generated pages that are not the API reference or the gallery: the families table, the
command line (from ``bayeszoo CMD --help``), the validation table, the performance tables
(``benchmarks/RESULTS.md``), the changelog and the notebooks.

Each generator returns Markdown; guide pages written by hand include a generated block with a
marker line ``<!-- generated: NAME -->``, which :func:`pages` replaces.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import family_figures
import validation
from public import ROOT

DOCS = ROOT / "docs"
BRMS_FAMILIES = "https://paulbuerkner.com/brms/reference/brmsfamily.html"
MGCV_FAMILIES = "https://stat.ethz.ch/R-manual/R-devel/library/mgcv/html/family.mgcv.html"
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def families_table(static: dict[str, Path]) -> str:
    """One section per registered family: links, auxiliary parameters and their default
    priors, response additions, read from :mod:`bayeszoo.families`, and its figure
    (:mod:`family_figures`)."""
    sys.path.insert(0, str(ROOT))
    from bayeszoo import families

    out = ["| family | links (first: default) | auxiliary parameters | additions |",
           "|---|---|---|---|"]
    sections = []
    for name in families.names():
        fam = families.get(name)
        aux = ", ".join(f"`{a.name}`" for a in fam.aux) or "none"
        adds = ", ".join(f"`{a}()`" + (" (required)" if a in fam.requires else "")
                         for a in fam.accepts)
        out.append(f"| [{name}](#{name}) | {', '.join(fam.links)} | {aux} | {adds} |")
        doc = (sys.modules[type(fam).__module__].__doc__ or "").strip()
        rows = "\n".join(
            f"| `{a.name}` | ({a.lower:g}, ∞) | {a.link} | "
            f"`{a.prior}` |" if a.prior else
            f"| `{a.name}` | ({a.lower:g}, ∞) | {a.link} | "
            "`half_student_t(3, s)`, `s = max(2.5, mad(y))` rounded as brms rounds it |"
            for a in fam.aux)
        table = ("| parameter | support | link of its own formula | default prior |\n"
                 "|---|---|---|---|\n" + rows) if rows else "No auxiliary parameter."
        figure = family_figures.draw(name)
        if figure is not None:
            static[f"guide/families/{name}.png"] = figure
            doc += f"\n\n![the {name} family at a few parameter values](families/{name}.png)"
        sections.append(f"### {name}\n\n{doc}\n\n{table}\n\n"
                        f"Constructor: `bayeszoo.families.{name}` (see the "
                        "[reference](../reference/families.md)); "
                        f"brms: [`{name}()`]({BRMS_FAMILIES}).\n")
    return "\n".join(out) + "\n\n" + "\n".join(sections)


def _help(args: list[str]) -> str:
    env = {**os.environ, "COLUMNS": "100", "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "bayeszoo", *args, "--help"], env=env,
                          capture_output=True, text=True, timeout=120, check=True, cwd=ROOT)
    return done.stdout.rstrip()


def cli_reference() -> str:
    """``bayeszoo --help`` and the help of every command, as the installed parser prints it."""
    top = _help([])
    match = re.search(r"\{([a-z,-]+)\}", top)
    commands = match.group(1).split(",") if match else []
    parts = [f"```text\n$ bayeszoo --help\n{top}\n```\n"]
    for cmd in commands:
        parts.append(f"### `bayeszoo {cmd}`\n\n```text\n$ bayeszoo {cmd} --help\n"
                     f"{_help([cmd])}\n```\n")
    return "\n".join(parts)


def performance(static: dict[str, Path]) -> str:
    """``benchmarks/RESULTS.md`` one heading level down, its figures carried along (the
    ``RESULTS_*.md`` files are its sections, written by each benchmark)."""
    bench = ROOT / "benchmarks"
    text = (bench / "RESULTS.md").read_text()
    text = re.sub(r"^(#{1,5}) ", r"#\1 ", text, flags=re.MULTILINE)

    def relink(m: re.Match) -> str:
        bang, label, target = m.groups()
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            return m.group(0)
        source = (bench / target).resolve()
        if source.is_file() and source.suffix in (".png", ".svg", ".jpg"):
            static[f"guide/{target}"] = source
            return m.group(0)
        return f"{label} (`benchmarks/{target}`)" if not bang else f"`benchmarks/{target}`"

    return LINK.sub(relink, text)


def changelog() -> str:
    """``CHANGELOG.md`` as it is."""
    return (ROOT / "CHANGELOG.md").read_text()


def _fill(page: str, blocks: dict[str, object]) -> str:
    text = (DOCS / page).read_text()

    def block(m: re.Match) -> str:
        make = blocks[m.group(1)]
        return make() if callable(make) else str(make)

    return re.sub(r"^<!-- generated: ([a-z-]+) -->$", block, text, flags=re.MULTILINE)


STATIC: dict[str, Path] = {}


def pages() -> dict[str, str]:
    """``{path under docs/: Markdown}``: hand-written pages with their generated blocks filled,
    and the wholly generated ones."""
    STATIC.clear()
    blocks = {"families-table": lambda: families_table(STATIC), "cli-reference": cli_reference,
              "performance": lambda: performance(STATIC),
              "validation-table": validation.table}
    filled = {page: _fill(page, blocks)
              for page in ("guide/families.md", "guide/cli.md", "guide/performance.md",
                           "validation.md")}
    return {**filled, "changelog.md": changelog()}


def static() -> dict[str, Path]:
    """Files the generated pages link to (benchmark figures), after :func:`pages`."""
    return dict(STATIC)


def _notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def _title(path: Path) -> str:
    return path.stem.split("_", 1)[1].replace("_", " ").capitalize() \
        if "_" in path.stem else path.stem


def notebooks() -> dict[str, Path]:
    """``{notebooks/NAME.ipynb: the notebook}``: rendered with their stored outputs."""
    return {f"notebooks/{p.name}": p for p in _notebooks()}


def notebook_nav() -> list:
    """The notebooks section of the navigation, the index first."""
    return ["notebooks/index.md", *({_title(p): f"notebooks/{p.name}"} for p in _notebooks())]
