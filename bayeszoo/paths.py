"""Output files: check a path before the work that fills it, write it atomically."""

from __future__ import annotations

import os
import signal
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path


def check_writable(path: str | Path) -> Path:
    """``path`` as a :class:`Path` if a file can be written there, else ``ValueError`` naming it.

    Refused: an existing directory, a path below a regular file, a folder the process may not
    write into or that takes no new files (``/proc``, a read-only mount: tried with
    :func:`refusal_to_create`). Missing folders are fine (they are created when the file is
    written); nothing is left behind, so commands can call this before hours of sampling.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"cannot write {path}: it is a directory; give a file path inside it")
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ValueError(f"cannot write {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {path}: no permission to write into {folder}")
    refused = refusal_to_create(folder)
    if refused:
        raise ValueError(f"cannot write {path}: {folder} does not take new files ({refused}); "
                         "give a path in a folder you can write to")
    return path


def refusal_to_create(folder: str | Path) -> str | None:
    """Why a file cannot be created in ``folder`` (the system's reason), ``None`` if it can: a
    uniquely named empty file is created there and removed. Permission bits do not tell
    (``/proc`` and read-only mounts look writable to root)."""
    probe = Path(folder) / f".bayeszoo-write-check-{uuid.uuid4().hex}"
    try:
        with open(probe, "xb"):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    probe.unlink(missing_ok=True)
    return None


def write_text_atomically(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder, renamed
    over ``path`` once complete: readers see the old file or the new one, never a partial one.

    Missing parent folders are created. If anything fails, the temporary file and the folders
    created for it are removed and the error propagates.
    """
    return write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: str | Path, data: bytes) -> Path:
    """:func:`write_text_atomically` for bytes (a PNG, a msgpack file)."""
    path = check_writable(path)
    created = []
    folder = path.parent
    while not folder.exists():
        created.append(folder)
        folder = folder.parent
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for folder in created:  # deepest first
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    return path


@contextmanager
def deferred_interrupt():
    """Hold Ctrl-C (SIGINT) while the block runs, then raise ``KeyboardInterrupt`` if one came.

    For writes that must finish or be abandoned as a whole: interrupting netCDF/HDF5 in the
    middle of a write can leave its file lock held (a hang) and a partial file. Outside the main
    thread, where signal handlers cannot be set, the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
