"""The documentation site builds in strict mode, its internal links and images resolve, and its
search index finds a family by name; the examples in the docstrings of the public names run.

The build needs the ``docs`` extra (MkDocs, Material, mkdocstrings, mkdocs-jupyter); without it
the test is skipped with the reason (``make test`` installs only ``.[test]``; ``make docs``
installs the extra).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import ROOT

DOCS_TOOLS = ("mkdocs", "material", "mkdocstrings_handlers.python", "mkdocs_jupyter")
MISSING = [m for m in DOCS_TOOLS if importlib.util.find_spec(m.split(".")[0]) is None
           or importlib.util.find_spec(m) is None]

needs_docs = pytest.mark.skipif(
    bool(MISSING), reason=f"the docs extra is not installed ({', '.join(MISSING)} missing): "
    "`pip install -e '.[docs]'` or `make docs`")


class Links(HTMLParser):
    """Every ``href`` and ``src`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.targets.append(value)


def internal_target(page: Path, link: str) -> Path | None:
    """The file ``link`` on ``page`` points to, or ``None`` for an external or in-page link."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith(("#", "mailto:", "data:", "javascript:")):
        return None
    if not parts.path:
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    return target / "index.html" if link.split("#")[0].endswith("/") or target.is_dir() \
        else target


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=tmp_path_factory.mktemp("cwd"), capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-4000:]
    return out


@needs_docs
def test_every_internal_link_and_image_resolves(site):
    broken = []
    # 404.html links from the site root, wherever the server shows it
    pages = sorted(p for p in site.rglob("*.html") if p.name != "404.html")
    assert len(pages) > 60  # guide, gallery, reference and notebook pages
    for page in pages:
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.targets:
            target = internal_target(page, link)
            if target is not None and not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
    assert not broken, "\n".join(broken[:40])


@needs_docs
def test_search_index_finds_negbinomial(site):
    index = json.loads((site / "search" / "search_index.json").read_text())
    hits = [doc["location"] for doc in index["docs"]
            if "negbinomial" in doc["title"] + doc["text"]]
    assert any(h.startswith("guide/families/") for h in hits), hits[:10]
    assert any(h.startswith("zoo/epilepsy_negbinomial/") for h in hits), hits[:10]


@needs_docs
def test_generated_pages_follow_the_registries(site):
    sys.path.insert(0, str(ROOT))
    from bayeszoo import families, zoo

    for name in zoo.names():
        assert (site / "zoo" / name / "index.html").is_file(), name
    table = (site / "guide" / "families" / "index.html").read_text()
    for name in families.names():
        assert f'id="{name}"' in table, name
        assert (site / "guide" / "families" / f"{name}.png").stat().st_size > 5_000, name
    validation = (site / "validation" / "index.html").read_text()
    assert validation.count("<tr>") > 25
    assert "mgcv 1.8-41" in validation and "lme4" in validation and "brms 2.18" in validation


def console_errors(events: list[dict]) -> list[dict]:
    """The console errors, uncaught exceptions and failed loads among DevTools events."""
    errors = []
    for ev in events:
        method, params = ev.get("method"), ev.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(params)
        elif method == "Runtime.exceptionThrown":
            errors.append(params)
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            errors.append(params["entry"])
    return errors


@pytest.fixture()
def served(site):
    """The built site over HTTP (its search runs in a web worker, which file:// URLs block)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


SEARCH = """(async () => {
    const input = document.querySelector('input.md-search__input');
    input.focus();
    input.value = 'negbinomial';
    input.dispatchEvent(new Event('input', {bubbles: true}));
    input.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true, key: 'l'}));
    for (let i = 0; i < 100; i++) {
        const hits = Array.from(document.querySelectorAll('.md-search-result__link'))
            .map(a => a.getAttribute('href'));
        if (hits.length) return hits;
        await new Promise(r => setTimeout(r, 100));
    }
    return [];
})()"""


@needs_docs
def test_every_page_in_headless_chromium(site, served, tmp_path):
    """Every page loads without a console error, and the search box finds negbinomial."""
    from cdp import Chrome, find_chromium

    binary = find_chromium()
    if binary is None:
        pytest.skip("no chromium binary on PATH (`make browser` installs Debian's chromium): "
                    "the site was not checked in a real browser")
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("index.html"))
    chrome = Chrome(binary, str(tmp_path / "chromium-profile"))
    failures = {}
    try:
        session = chrome.open_page(f"{served}/")
        for page in pages:
            chrome.events.clear()
            chrome.send("Page.navigate", {"url": f"{served}/{page}"}, session=session)
            chrome.wait_event("Page.loadEventFired")
            chrome.evaluate("new Promise(r => setTimeout(r, 100))", session)
            if errors := console_errors(chrome.events):
                failures[page] = errors[:3]
        chrome.events.clear()
        chrome.send("Page.navigate", {"url": f"{served}/"}, session=session)
        chrome.wait_event("Page.loadEventFired")
        hits = chrome.evaluate(SEARCH, session)
    finally:
        chrome.close()
    assert not failures, failures
    assert any("families" in h for h in hits), hits


def public_modules() -> list[str]:
    """The modules that define bayeszoo's public names (as the API reference finds them)."""
    sys.path.insert(0, str(ROOT / "docs" / "sitegen"))
    from public import defining_path, exports, nn_names, top_level

    modules = set()
    for name in top_level():
        if name.is_module:
            modules.add(name.target)
            modules.update(defining_path(f"{name.target}.{m}").rpartition(".")[0]
                           for m in exports(name.target))
        else:
            modules.add(defining_path(name.target).rpartition(".")[0])
    modules.update(defining_path(n.target).rpartition(".")[0] for n in nn_names())
    return sorted(modules)


def test_docstring_examples_run():
    """Every ``>>>`` example in the modules behind the public names runs as written."""
    import doctest
    import importlib

    modules = public_modules()
    assert "bayeszoo.models.zoo" in modules and "bayeszoo.api" in modules
    tried = 0
    for name in modules:
        module = importlib.import_module(name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS
                                 | doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, name
        tried += result.attempted
    assert tried >= 150  # the datasets, zoo, REML, runtime and nn examples at least
