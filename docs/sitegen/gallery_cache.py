"""Where the zoo gallery's figures are kept between builds, and when they are stale.

A model's figures come from a fit, so they are cached outside the repository (a fresh clone on
the same machine finds them): under ``$BAYESZOO_DOCS_GALLERY_CACHE`` when set, else
``$XDG_CACHE_HOME/bayeszoo/docs-gallery`` (``~/.cache/bayeszoo/docs-gallery``). Each model has
a directory ``<cache>/<model>/<key>/`` holding its figures and ``manifest.json``; the key is a
hash of what determines the figures (:func:`key_inputs`): the zoo entry's specification
(formula, family, link, parameterization, sampler options, knots, data options, grouping and
smooth), a checksum of its data, the gallery's sampler settings (:data:`SETTINGS`), the
package version and :data:`RECIPE`. A commit that changes none of these (a docs page, another
module) keeps every figure; a changed model, dataset or version is refitted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from public import version

#: The gallery's fits: NumPyro, 2 chains of 500 warm-up and 500 kept draws each, seed 0 (the
#: entry's own target_accept and priors apply). Modest draws: the figures show medians and 95 %
#: bands, which 1000 draws resolve.
SETTINGS: dict[str, Any] = {"backend": "numpyro", "chains": 2, "draws": 500, "tune": 500,
                            "seed": 0}

#: Bumped when what the figures show changes (a new figure, another plot), so that every model
#: is redrawn.
RECIPE = 1

MANIFEST = "manifest.json"

#: The entry's fields that decide its fit (its description and question do not).
SPEC_FIELDS = ("dataset", "formula", "family", "link", "parameterization", "sampler", "group",
               "smooth", "knots", "data_options")


def cache_root() -> Path:
    """The directory of the gallery cache (see the module's docstring)."""
    explicit = os.environ.get("BAYESZOO_DOCS_GALLERY_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bayeszoo" / "docs-gallery"


def _family(value: Any) -> str:
    if isinstance(value, str):
        return value
    return f"{value.name}({value.link_name})"


def data_checksum(entry) -> str:
    """SHA-256 of the entry's data frame: column names, dtypes and every value."""
    import pandas as pd

    frame = entry.load_data()
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def key_inputs(entry, settings: dict[str, Any] | None = None) -> dict[str, str]:
    """What the figures of ``entry`` depend on, each as text."""
    spec = {f: _family(getattr(entry, f)) if f == "family" else repr(getattr(entry, f))
            for f in SPEC_FIELDS}
    return {"spec": json.dumps(spec, sort_keys=True), "data": data_checksum(entry),
            "settings": json.dumps(settings or SETTINGS, sort_keys=True),
            "version": version(), "recipe": str(RECIPE)}


def cache_key(inputs: dict[str, str]) -> str:
    """A short hash of :func:`key_inputs`."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def model_dir(name: str, key: str) -> Path:
    """The cache directory of model ``name``'s figures under ``key``."""
    return cache_root() / name / key


def cached(name: str, key: str) -> dict[str, Any] | None:
    """The manifest of model ``name``'s figures under ``key``, or ``None`` when they were not
    made (or not finished)."""
    path = model_dir(name, key) / MANIFEST
    if not path.is_file():
        return None
    manifest = json.loads(path.read_text())
    if not all((path.parent / f).is_file() for f in manifest["figures"]):
        return None
    return manifest


def publish(staging: Path, name: str, key: str) -> Path:
    """Move the finished ``staging`` directory (figures and manifest) into place, replacing
    an older copy of the same key: a build interrupted while fitting leaves no half entry."""
    target = model_dir(name, key)
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, target)
    return target
