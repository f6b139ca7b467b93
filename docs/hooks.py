"""MkDocs hooks: the pages generated from the package at build time.

``on_config`` runs the generators of :mod:`sitegen` (API reference, zoo gallery, families table,
command line, validation table, performance tables, changelog) and fills the navigation entries
``mkdocs.yml`` marks ``generated``; ``on_files`` adds the pages, the cached gallery figures and
the notebooks (rendered by mkdocs-jupyter with their stored outputs) to the build.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

sys.path.insert(0, str(Path(__file__).parent / "sitegen"))

import api  # noqa: E402
import gallery  # noqa: E402
import pages  # noqa: E402

GENERATED: dict[str, str] = {}
STATIC: dict[str, Path] = {}


def on_config(config):
    GENERATED.clear()
    STATIC.clear()
    GENERATED.update(api.pages())
    GENERATED.update(gallery.pages())
    GENERATED.update(pages.pages())
    STATIC.update(gallery.figures())
    STATIC.update(pages.static())
    sections = {"API reference": api.nav(), "Zoo gallery": gallery.nav(),
                "Notebooks": pages.notebook_nav()}
    config["nav"] = [
        {title: sections[title]} if target == "generated" else {title: target}
        for entry in config["nav"] for title, target in entry.items()
    ]
    return config


def _replace(files: Files, new: File) -> None:
    """Add ``new``; a hand-written page of the same path (one with generated blocks) gives way
    to its filled version."""
    old = files.get_file_from_path(new.src_uri)
    if old is not None:
        files.remove(old)
    files.append(new)


@event_priority(100)
def on_files(files: Files, config) -> Files:
    for src_uri, text in GENERATED.items():
        _replace(files, File.generated(config, src_uri, content=text))
    for src_uri, path in STATIC.items():
        _replace(files, File.generated(config, src_uri, abs_src_path=str(path)))
    for src_uri in pages.notebooks():
        # a File read from the repository root (not a generated one): mkdocs-jupyter reads the
        # notebook from the file's source directory
        _replace(files, File(src_uri, src_dir=str(pages.ROOT), dest_dir=config["site_dir"],
                             use_directory_urls=config["use_directory_urls"]))
    return files


ROLE_HTML = re.compile(r":(?:func|class|meth|mod|data|attr|exc|obj):(<code>)~?")


def on_page_content(html: str, page, config, files) -> str:
    """Docstrings write Sphinx roles (``:func:`name```); the rendered page shows the code."""
    return ROLE_HTML.sub(r"\1", html)
