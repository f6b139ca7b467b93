import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

import bayeszoo as bz
from bayeszoo.datasets import mnist


def test_radon_facts():
    df = bz.datasets.load_radon()
    assert df.shape == (919, 4)
    assert list(df.county.cat.categories) == sorted(df.county.cat.categories)
    assert len(df.county.cat.categories) == 85
    assert df.log_radon.mean() == pytest.approx(1.264779, abs=1e-6)
    assert df.log_radon.median() == pytest.approx(1.308333, abs=1e-6)
    assert (df.floor == 1).mean() == pytest.approx(0.1665, abs=1e-4)
    assert df.floor.dtype.kind == "i"


def test_radon_full_contains_minnesota():
    full = bz.datasets.load_radon_full()
    assert full.shape[0] == 12_777
    assert full.state.nunique() == 8
    assert full.groupby(["state", "county"], observed=True).ngroups == 468
    mn = full[full.state == "MN"]
    assert len(mn) == 919
    radon = bz.datasets.load_radon()
    # radon.csv writes county names without spaces and orders rows differently within the state;
    # a stable sort on the county name puts both in the same order.
    mn = mn.assign(key=mn.county.astype(str).str.replace(" ", "")).sort_values("key", kind="stable")
    radon = radon.assign(key=radon.county.astype(str)).sort_values("key", kind="stable")
    assert (mn.key.to_numpy() == radon.key.to_numpy()).all()
    np.testing.assert_allclose(mn.log_radon.to_numpy(), np.log(mn.activity.to_numpy() + 0.1))
    np.testing.assert_allclose(mn.log_radon.to_numpy(), radon.log_radon.to_numpy(), atol=1e-12)
    np.testing.assert_allclose(mn.log_uranium.to_numpy(), radon.log_uranium.to_numpy(), atol=1e-4)


def test_mcycle_and_penguins():
    assert bz.datasets.load_mcycle().shape == (133, 2)
    penguins = bz.datasets.load_penguins()
    assert penguins.shape == (344, 8)
    assert penguins.isna().any(axis=1).sum() == 11
    complete = bz.datasets.load_penguins(dropna=True)
    assert complete.shape == (333, 8)
    assert list(penguins.species.cat.categories) == ["Adelie", "Chinstrap", "Gentoo"]


def test_mnist_counts_and_pixel_mean():
    images, labels = bz.datasets.load_mnist("train")
    assert images.shape == (60_000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                            5851, 5949]
    assert images.mean() == pytest.approx(33.3184, abs=1e-4)
    test_images, test_labels = bz.datasets.load_mnist("test")
    assert test_images.shape == (10_000, 28, 28)
    assert np.bincount(test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028,
                                                 974, 1009]


def _copy_test_split(src, dst):
    for name in mnist.FILES["test"]:
        shutil.copy(src / f"{name}.gz", dst / f"{name}.gz")


def test_mnist_reads_uncompressed_files(tmp_path, monkeypatch):
    src = mnist._candidates(None)[0]
    for name in mnist.FILES["test"]:
        with gzip.open(src / f"{name}.gz") as fh:
            (tmp_path / name).write_bytes(fh.read())
    images, labels = bz.datasets.load_mnist("test", data_dir=tmp_path)
    assert images.shape == (10_000, 28, 28) and labels.shape == (10_000,)


def test_mnist_download_is_verified_and_atomic(tmp_path, monkeypatch):
    """A missing file is fetched into the cache through a temporary file that is renamed only
    once its checksum holds; a corrupted download leaves nothing behind. (The mirror is replaced
    by the shared copies: the tests never touch the network.)"""
    src = mnist._candidates(None)[0]
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BAYESZOO_DATA", str(tmp_path / "empty"))
    fetched = []

    def fake_urlretrieve(url, filename):
        name = url.rsplit("/", 1)[1]
        assert url == mnist.MIRROR + name and Path(filename).name.endswith(".part")
        fetched.append(name)
        shutil.copy(src / name, filename)

    monkeypatch.setattr(mnist.urllib.request, "urlretrieve", fake_urlretrieve)
    images, labels = bz.datasets.load_mnist("test")
    assert images.shape == (10_000, 28, 28) and np.bincount(labels)[0] == 980
    cache = mnist.cache_dir()
    assert cache == tmp_path / "home" / ".cache" / "bayeszoo" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{n}.gz" for n in
                                                             mnist.FILES["test"])
    bz.datasets.load_mnist("test")  # cached now: no second download
    assert len(fetched) == 2

    def corrupted(url, filename):
        with gzip.open(filename, "wb") as fh:
            fh.write(b"\x00\x00\x08\x01" + bytes(12))

    monkeypatch.setattr(mnist.urllib.request, "urlretrieve", corrupted)
    url = mnist.MIRROR + "train-images-idx3-ubyte.gz"
    with pytest.raises(mnist.MnistError, match=f"^{url}: SHA-256"):
        bz.datasets.load_mnist("train")
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{n}.gz" for n in
                                                             mnist.FILES["test"])


def test_mnist_rejects_corrupted_copy(tmp_path):
    src = mnist._candidates(None)[0]
    _copy_test_split(src, tmp_path)
    name = "t10k-labels-idx1-ubyte"
    with gzip.open(tmp_path / f"{name}.gz") as fh:
        raw = bytearray(fh.read())
    raw[100] ^= 0xFF
    with gzip.open(tmp_path / f"{name}.gz", "wb") as fh:
        fh.write(bytes(raw))
    with pytest.raises(mnist.MnistError, match=f"{name}.*SHA-256.*delete it"):
        bz.datasets.load_mnist("test", data_dir=tmp_path)


def test_mnist_rejects_truncated_gzip(tmp_path):
    src = mnist._candidates(None)[0]
    _copy_test_split(src, tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(mnist.MnistError, match="t10k-images-idx3-ubyte.gz"):
        bz.datasets.load_mnist("test", data_dir=tmp_path)


def test_idx_magic_and_length_checked():
    with pytest.raises(mnist.MnistError, match="magic number 1234"):
        mnist.parse_idx((1234).to_bytes(4, "big") + bytes(8), "x.idx")
    header = (2049).to_bytes(4, "big") + (10).to_bytes(4, "big")
    with pytest.raises(mnist.MnistError, match="announces 18"):
        mnist.parse_idx(header + bytes(5), "y.idx")
    assert mnist.parse_idx(header + bytes(range(10))).tolist() == list(range(10))


def test_mnist_bad_split_and_missing_dir(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown MNIST split 'validation'"):
        bz.datasets.load_mnist("validation")
    monkeypatch.setenv("BAYESZOO_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setattr(mnist, "cache_dir", lambda: tmp_path / "cache")
    with pytest.raises(FileNotFoundError, match="nowhere.*data_dir=.*BAYESZOO_DATA"):
        bz.datasets.load_mnist("test", download=False)


def test_synthetic_sets():
    circle = bz.datasets.make_circle(n=1000, seed=0)
    assert list(circle.columns) == ["x1", "x2", "y"]
    assert 0.55 <= circle.y.mean() <= 0.66
    assert circle.equals(bz.datasets.make_circle(n=1000, seed=0))
    flower = bz.datasets.make_flower(n=400, seed=1)
    assert flower.shape == (400, 3) and flower.y.mean() == 0.5
    radius = np.hypot(flower.x1, flower.x2)
    assert radius.max() < 5.0
    # every point lies on the rose r = 4·sin(4t) at its own angle t = atan2(x1, x2), up to the
    # N(0, 0.2) noise of the radius (a point with r < 0 sits at t + π, where |sin 4t| is the same)
    off = radius - 4.0 * np.abs(np.sin(4.0 * np.arctan2(flower.x1, flower.x2)))
    assert np.abs(off).mean() < 0.2 and np.abs(off).max() < 1.0
    sig = bz.datasets.make_sigmoid_boundary(n=1000, seed=0)
    boundary = 2.0 * (1.0 / (1.0 + np.exp(-4.0 * sig.x1)) - 0.5)
    assert ((sig.x2 > boundary).astype(int) == sig.y).all()


def test_import_is_lazy():
    import subprocess
    import sys

    code = ("import sys, bayeszoo; bayeszoo.datasets.load_radon(); "
            "print(sorted(m for m in ('pymc', 'flax', 'jax', 'numpyro') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_datasets():
    out = run_cli("datasets")
    lines = {ln.split()[0]: ln.split()[1:3] for ln in out.stdout.splitlines()
             if ln and not ln.startswith(" ")}
    assert lines["radon"] == ["919", "4"] and lines["radon_full"][0] == "12777"
    assert lines["mcycle"] == ["133", "2"] and lines["penguins"] == ["344", "8"]
    assert lines["mnist"] == ["70000", "784"]
    for name in ("sigmoid_boundary", "circle", "flower"):
        assert lines[name] == ["1000", "3"], name
