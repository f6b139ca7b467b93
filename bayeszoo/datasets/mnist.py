"""MNIST in its original IDX format, read from a folder, a cache, or a verified download."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"

FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

_MAGIC = {2049: 1, 2051: 3}  # IDX magic number of unsigned-byte labels and images -> ndim


class MnistError(ValueError):
    """A missing, corrupted or malformed MNIST file; the message names the file and the fix."""


def cache_dir() -> Path:
    """Where downloads go: ``~/.cache/bayeszoo/mnist``."""
    return Path.home() / ".cache" / "bayeszoo" / "mnist"


def _candidates(data_dir: str | os.PathLike | None) -> list[Path]:
    if data_dir is not None:
        return [Path(data_dir)]
    dirs = []
    if os.environ.get("BAYESZOO_DATA"):
        dirs.append(Path(os.environ["BAYESZOO_DATA"]) / "mnist")
    dirs.append(cache_dir())
    return dirs


def _find(name: str, folder: Path) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _raw_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError) as err:
        raise MnistError(
            f"{path}: cannot be read ({err}); delete it and load again to download a fresh copy"
        ) from err


def _verify(name: str, source: Path | str, raw: bytes) -> None:
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256[name]:
        raise MnistError(
            f"{source}: SHA-256 of the uncompressed content is {digest}, expected {SHA256[name]}; "
            "the file is corrupted or truncated: delete it and load again to download a fresh copy"
        )


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode an IDX file of unsigned bytes (magic 2049 for labels, 2051 for images)."""
    if len(raw) < 8:
        raise MnistError(f"{source}: too short for an IDX header ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in _MAGIC:
        raise MnistError(f"{source}: IDX magic number {magic} is neither 2049 (labels) nor 2051")
    ndim = _MAGIC[magic]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise MnistError(f"{source}: {len(raw)} bytes, the header announces {expected}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _download(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.gz"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    os.close(fd)
    try:
        urllib.request.urlretrieve(MIRROR + f"{name}.gz", tmp)
        with gzip.open(tmp, "rb") as fh:
            _verify(name, MIRROR + f"{name}.gz", fh.read())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _locate(name: str, data_dir, download: bool) -> Path:
    folders = _candidates(data_dir)
    for folder in folders:
        found = _find(name, folder)
        if found is not None:
            return found
    if download and data_dir is None:
        return _download(name, cache_dir())
    looked = ", ".join(str(f) for f in folders)
    raise FileNotFoundError(
        f"MNIST file {name}(.gz) not found in {looked}; pass data_dir= (the folder holding the "
        "four IDX files), set BAYESZOO_DATA to a data root containing mnist/, or call with "
        "download=True to fetch it into the cache"
    )


def load_mnist(
    split: str = "train", data_dir: str | os.PathLike | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images uint8 [n, 28, 28], labels uint8 [n])`` of the MNIST ``split``.

    The folder is ``data_dir`` if given, else ``$BAYESZOO_DATA/mnist``, else the cache
    ``~/.cache/bayeszoo/mnist`` (downloaded there when missing and ``download`` is true).
    Every file's uncompressed SHA-256 is checked against the published digest.

    Parameters
    ----------
    split : str
        ``"train"`` (60,000 images) or ``"test"`` (10,000).
    data_dir : str or os.PathLike, optional
        A folder holding the four IDX files (plain or ``.gz``).
    download : bool
        Whether to download missing files into the cache.

    Returns
    -------
    tuple of numpy.ndarray
        ``images`` (uint8, ``[n, 28, 28]``) and ``labels`` (uint8, ``[n]``).

    Raises
    ------
    ValueError
        For an unknown ``split``; :class:`MnistError` (a ``ValueError``) for a missing,
        corrupted or malformed file, naming the file and the fix.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> images, labels = bz.datasets.load_mnist("test")  # doctest: +SKIP
    >>> images.shape, labels.shape  # doctest: +SKIP
    ((10000, 28, 28), (10000,))
    """
    if split not in FILES:
        raise ValueError(f"unknown MNIST split {split!r}; use 'train' or 'test'")
    arrays = []
    for name in FILES[split]:
        path = _locate(name, data_dir, download)
        raw = _raw_bytes(path)
        _verify(name, path, raw)
        arrays.append(parse_idx(raw, str(path)))
    images, labels = arrays
    return images, labels
