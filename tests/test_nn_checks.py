"""What training rejects before it starts: learning rates, counts, unusable output folders,
damaged checkpoint and weights files; and ``bayeszoo train`` never prints NaN in its JSON line."""

import dataclasses
import os
import re

import numpy as np
import pytest
from conftest import run_cli

from bayeszoo.nn import (
    CHECKPOINT_FILE,
    MLP,
    load_weights,
    recipe_optimizer,
    recipes,
    resolve_optimizer,
    run_recipe,
    save_weights,
    train,
    warmup_cosine,
)
from bayeszoo.nn import training as nn_training


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return (rng.normal(size=(n, 4)) + 3.0 * np.eye(3, 4)[y]).astype(np.float32), y


@pytest.fixture
def no_compiling(monkeypatch):
    """Building the compiled steps is an error: the checks must fail before it."""

    def compiled(*args, **kwargs):
        raise AssertionError("the steps were built before the settings were checked")

    monkeypatch.setattr(nn_training, "Steps", compiled)


@pytest.fixture
def no_data(monkeypatch):
    """``run_recipe("circle", ...)`` fails if it loads the data: the checks must come first."""

    def prepare(limit, seed):
        raise AssertionError("the data were loaded before the settings were checked")

    recipe = dataclasses.replace(recipes.get("circle"), prepare=prepare)
    monkeypatch.setattr(recipes, "get", lambda name: recipe)


@pytest.mark.parametrize("lr", [-1, 0.0, float("nan"), float("inf"), "0.1"])
def test_bad_learning_rate_fails_before_compiling(lr, no_compiling):
    message = re.escape(f"lr must be a positive finite number or an optax schedule, got {lr!r}")
    with pytest.raises(ValueError, match=message):
        train(MLP(4, (8,), 3, rngs=0), _blobs(), optimizer="adam", lr=lr, progress=False)
    with pytest.raises(ValueError, match=message):
        resolve_optimizer("sgd", lr)
    with pytest.raises(ValueError, match=message):  # a schedule's peak, named as the user's lr
        recipe_optimizer(recipes.get("mnist-mlp"), 1000, 2, lr=lr)
    with pytest.raises(ValueError, match=re.escape("peak must be a positive finite number")):
        warmup_cosine(1000, 2, peak=lr)


@pytest.mark.parametrize("setting,value,message", [
    ("epochs", 1.7, "epochs must be a whole number, got 1.7"),
    ("epochs", 0, "epochs must be at least 1, got 0"),
    ("epochs", True, "epochs must be a whole number, got True"),
    ("batch_size", 0, "batch_size must be at least 1, got 0"),
    ("batch_size", 2.5, "batch_size must be a whole number, got 2.5"),
    ("batch_size", "32", "batch_size must be a whole number, got '32'"),
])
def test_bad_counts_fail_before_compiling(setting, value, message, no_compiling):
    with pytest.raises(ValueError, match=re.escape(message)):
        train(MLP(4, (8,), 3, rngs=0), _blobs(), progress=False, **{setting: value})


def test_whole_float_counts_are_accepted():
    h = train(MLP(4, (8,), 3, rngs=0), _blobs(), epochs=2.0, batch_size=np.int64(40),
              progress=False)
    assert len(h.epoch) == 2 and h.params["epochs"] == 2 and h.params["steps"] == 3


@pytest.mark.parametrize("setting,value,message", [
    ("lr", -1.0, "lr must be a positive finite number or an optax schedule, got -1.0"),
    ("lr", float("nan"), "got nan"),
    ("batch_size", 0, "batch_size must be at least 1, got 0"),
    ("epochs", 1.7, "epochs must be a whole number, got 1.7"),
    ("limit", 0, "limit must be at least 1, got 0"),
])
def test_run_recipe_checks_settings_before_loading_data(setting, value, message, no_data):
    with pytest.raises(ValueError, match=re.escape(message)):
        run_recipe("circle", progress=False, **{setting: value})


def test_unusable_folders_fail_before_loading_data(tmp_path, no_data, no_compiling):
    a_file = tmp_path / "file"
    a_file.write_text("")
    for setting, path, what in [("out", a_file, "is a file"),
                                ("out", a_file / "run", f"lies under the file {a_file}"),
                                ("checkpoint_dir", a_file, "is a file")]:
        message = f"{setting} {path} {what}, not a folder; pass another {setting}"
        with pytest.raises(ValueError, match=re.escape(message)):
            run_recipe("circle", progress=False, **{setting: path})
    with pytest.raises(ValueError, match=re.escape(f"checkpoint_dir {a_file} is a file")):
        train(MLP(4, (8,), 3, rngs=0), _blobs(), checkpoint_dir=a_file, progress=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder")
def test_folder_without_write_permission_fails_before_loading_data(tmp_path, no_data):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ValueError, match=re.escape(f"no permission to write in {locked}")):
            run_recipe("circle", progress=False, out=locked / "run")
    finally:
        locked.chmod(0o700)


def test_damaged_checkpoint_names_the_file_and_what_to_do(tmp_path):
    from flax import serialization

    folder = tmp_path / "ckpt"
    model = MLP(4, (8,), 3, rngs=0)
    train(model, _blobs(), epochs=1, checkpoint_dir=folder, progress=False)
    path = folder / CHECKPOINT_FILE
    whole = path.read_bytes()
    damaged = {"random bytes": np.random.default_rng(0).bytes(300),
               "truncated": whole[: len(whole) // 2], "empty": b"",
               "not a mapping": serialization.msgpack_serialize([1, 2]),
               "foreign mapping": serialization.msgpack_serialize({"format": 1})}
    for case, content in damaged.items():
        path.write_bytes(content)
        with pytest.raises(ValueError, match=re.escape(str(path))) as err:
            train(MLP(4, (8,), 3, rngs=0), _blobs(), epochs=2, checkpoint_dir=folder,
                  progress=False)
        assert "delete it or pass another checkpoint_dir" in str(err.value), case


def test_damaged_or_foreign_weights_name_the_file(tmp_path):
    from flax import serialization

    good = tmp_path / "weights.msgpack"
    save_weights(MLP(4, (8,), 3, rngs=0), good)
    files = {"random.msgpack": np.random.default_rng(1).bytes(300),
             "truncated.msgpack": good.read_bytes()[:50],
             "foreign.msgpack": serialization.msgpack_serialize({"weights": [1.0, 2.0]})}
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError, match=re.escape(str(path))) as err:
            load_weights(MLP(4, (8,), 3, rngs=0), path)
        assert "save_weights" in str(err.value), name
    with pytest.raises(ValueError, match=re.escape(str(good)) + ".*parameter arrays"):
        load_weights(MLP(4, (8, 8), 3, rngs=0), good)


def test_cli_train_rejects_bad_counts_and_rates_as_usage_errors(tmp_path):
    out = tmp_path / "run"
    for args, message in [(["--lr", "-1"], "argument --lr: must be a positive finite number, "
                                           "got -1"),
                          (["--lr", "nan"], "argument --lr: must be a positive finite number"),
                          (["--batch-size", "0"], "argument --batch-size: must be at least 1, "
                                                  "got 0"),
                          (["--epochs", "0"], "argument --epochs: must be at least 1, got 0")]:
        epochs = [] if "--epochs" in args else ["--epochs", "1"]
        r = run_cli("train", "circle", "-q", "--out", str(out), *epochs, *args, check=False)
        assert r.returncode == 2 and message in r.stderr, (args, r.returncode, r.stderr)
        assert not out.exists()


@pytest.mark.slow
def test_cli_train_unusable_folders_fail_in_one_line_before_training(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("")
    for args, message in [
        (["--out", str(a_file)], f"--out {a_file} is a file, not a folder; pass another --out"),
        (["--out", str(a_file / "run")],
         f"--out {a_file / 'run'} lies under the file {a_file}, not a folder; pass another --out"),
        (["--out", str(tmp_path / "run"), "--checkpoint-dir", str(a_file)],
         f"--checkpoint-dir {a_file} is a file, not a folder; pass another --checkpoint-dir"),
    ]:
        r = run_cli("train", "circle", "--epochs", "1", *args, check=False)
        assert r.returncode == 1 and r.stdout == "", (args, r.stdout)
        assert r.stderr.strip().splitlines() == [f"bayeszoo train: {message}"], r.stderr
        assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_cli_train_exits_1_instead_of_printing_nan(tmp_path):
    """SGD at lr 1e30 overflows float32 in the first steps: the loss becomes NaN."""
    out = tmp_path / "run"
    r = run_cli("train", "penguins-reg", "--epochs", "1", "--optimizer", "sgd", "--lr", "1e30",
                "-q", "--out", str(out), check=False)
    assert r.returncode == 1 and r.stdout == "", r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "not finite" in lines[0] and "lr" in lines[0], r.stderr
    assert not (out / "metrics.json").exists()
