"""The Optax training loop: data parallelism, checkpoints and resume, reproducibility, input
checks, the recipes on small subsets and the ``bayeszoo train`` command."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import run_cli

from bayeszoo.nn import (
    CHECKPOINT_FILE,
    CNN,
    MLP,
    confusion_matrix,
    evaluate,
    learning_curve,
    load_checkpoint,
    load_weights,
    predict,
    predict_classes,
    recipe_optimizer,
    recipes,
    save_weights,
    train,
    warmup_cosine,
)


def _blobs(n=240, seed=0):
    """Three Gaussian classes in 4-D."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 4)) + 3.0 * np.eye(3, 4)[y]
    return x.astype(np.float32), y


def _weights(model):
    import jax
    from flax import nnx

    return [np.asarray(a) for a in jax.tree_util.tree_leaves(nnx.state(model, nnx.Param))]


def _fit(seed=0, **kw):
    model = MLP(4, (16,), 3, dropout=0.3, rngs=seed)
    kw = {"epochs": 3, "batch_size": 32, "validation_split": 0.25, "seed": seed,
          "progress": False, **kw}
    return model, train(model, _blobs(), optimizer="adam", lr=0.01, **kw)


def test_train_history_and_scores():
    model, h = _fit()
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "time"}
    assert len(h.epoch) == 3 and all(t > 0 for t in h.history["time"])
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert h.history["val_accuracy"][-1] > 0.8
    assert {w.dtype for w in _weights(model)} == {np.dtype("float32")}
    x, y = _blobs(120, seed=1)
    scores = evaluate(model, (x, y))
    proba = predict(model, x)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    pred = predict_classes(model, x)
    np.testing.assert_array_equal(pred, proba.argmax(axis=1))
    assert scores["accuracy"] == pytest.approx(np.mean(pred == y))
    cm = confusion_matrix(y, pred, 3)
    assert cm.shape == (3, 3) and cm.sum() == 120 and np.trace(cm) == np.sum(pred == y)
    fig = learning_curve(h)
    assert len(fig.axes) == 2


def test_same_seed_same_weights_other_seed_differs():
    a, ha = _fit(seed=0)
    b, hb = _fit(seed=0)
    c, _ = _fit(seed=1)
    for wa, wb in zip(_weights(a), _weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert ha.history["loss"] == hb.history["loss"]
    assert not np.allclose(_weights(a)[0], _weights(c)[0])


def test_optax_transform_and_weights_roundtrip(tmp_path):
    import optax

    model = MLP(4, (8,), 3, rngs=0)
    train(model, _blobs(), optimizer=optax.sgd(0.1, momentum=0.9), epochs=2, progress=False)
    save_weights(model, tmp_path / "w.msgpack")
    other = load_weights(MLP(4, (8,), 3, rngs=5), tmp_path / "w.msgpack")
    x = _blobs(10, seed=2)[0]
    np.testing.assert_array_equal(predict(model, x), predict(other, x))
    with pytest.raises(ValueError, match="lr"):
        train(model, _blobs(), optimizer=optax.sgd(0.1), lr=0.1, progress=False)


def test_resume_after_interrupt_gives_uninterrupted_weights(tmp_path):
    full, h_full = _fit()

    def interrupt(epoch, batch):
        if (epoch, batch) == (1, 2):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fit(checkpoint_dir=tmp_path / "a", callback=interrupt)
    saved = load_checkpoint(tmp_path / "a" / CHECKPOINT_FILE)
    assert (saved["epoch"], saved["batch"]) == (1, 3)  # saved mid-epoch, before exiting
    resumed, h_res = _fit(checkpoint_dir=tmp_path / "a")
    for wa, wb in zip(_weights(full), _weights(resumed), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h_res.history["loss"], h_full.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(h_res.history["val_loss"], h_full.history["val_loss"], rtol=1e-6)

    # at an epoch boundary: one epoch now, the rest later
    _fit(epochs=1, checkpoint_dir=tmp_path / "b")
    later, _ = _fit(checkpoint_dir=tmp_path / "b")
    for wa, wb in zip(_weights(full), _weights(later), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)

    with pytest.raises(ValueError, match="other data or settings"):
        _fit(batch_size=16, checkpoint_dir=tmp_path / "b")


def test_bad_input_fails_before_training():
    calls = []

    def cb(epoch, batch):
        calls.append((epoch, batch))

    x, y = _blobs()
    mlp = MLP(4, (8,), 3, rngs=0)
    with pytest.raises(ValueError, match="input shape"):
        train(mlp, (np.zeros((10, 5)), np.zeros(10)), progress=False, callback=cb)
    with pytest.raises(ValueError, match="input shape"):
        train(CNN(rngs=0), (np.zeros((4, 28, 28)), np.zeros(4)), progress=False, callback=cb)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\]"):
        train(mlp, (x, np.where(y == 2, 3, y)), progress=False, callback=cb)
    with pytest.raises(ValueError, match=r"labels must lie"):
        train(mlp, (x, y - 1), progress=False, callback=cb)
    with pytest.raises(ValueError, match="integers"):
        train(mlp, (x, y + 0.5), progress=False, callback=cb)
    with pytest.raises(ValueError, match="integer class indices, got dtype <U"):
        train(mlp, (x, np.array(["a", "b", "c"])[y]), progress=False, callback=cb)
    with pytest.raises(ValueError, match="empty"):
        train(mlp, (np.zeros((0, 4)), np.zeros(0)), progress=False, callback=cb)
    with pytest.raises(ValueError, match="rows but y has"):
        train(mlp, (x, y[:-1]), progress=False, callback=cb)
    for bad in (0.0, 1.0, 1.5, -0.2):
        with pytest.raises(ValueError, match=r"validation_split must lie in \(0, 1\)"):
            train(mlp, (x, y), validation_split=bad, progress=False, callback=cb)
    with pytest.raises(ValueError, match="NaN"):
        train(mlp, (np.full_like(x, np.nan), y), progress=False, callback=cb)
    binary = MLP(4, (8,), 1, output="sigmoid", rngs=0)
    with pytest.raises(ValueError, match="0 or 1"):
        train(binary, (x, y), progress=False, callback=cb)
    with pytest.raises(ValueError, match="unknown loss"):
        train(mlp, (x, y), loss="hinge", progress=False, callback=cb)
    assert calls == []


DP_SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    from bayeszoo.nn import MLP, train
    import jax
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    x = (rng.normal(size=(200, 4)) + 2.0 * np.eye(3, 4)[y]).astype(np.float32)
    model = MLP(4, (16,), 3, dropout=0.3, rngs=0)
    h = train(model, (x, y), optimizer="adam", lr=0.01, epochs=3, batch_size=32,
              validation_split=0.25, progress=False, devices=jax.devices())
    print(json.dumps({"devices": jax.device_count(), "mesh": h.params["devices"],
                      "loss": h.history["loss"],
                      "val_loss": h.history["val_loss"],
                      "kernel": np.asarray(model.layers[0].kernel[...]).ravel().tolist()}))
""")


def _dp_run(n_devices):
    env = {**os.environ, "BAYESZOO_PLATFORM": "cpu", "BAYESZOO_HOST_DEVICES": str(n_devices)}
    out = subprocess.run([sys.executable, "-c", DP_SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_data_parallel_matches_single_device():
    one, two = _dp_run(1), _dp_run(2)
    assert (one["devices"], two["devices"]) == (1, 2)
    assert (one["mesh"], two["mesh"]) == (1, 2)  # the second run did split every batch
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-5)
    np.testing.assert_allclose(two["val_loss"], one["val_loss"], rtol=1e-5)
    np.testing.assert_allclose(two["kernel"], one["kernel"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name,limit,epochs", [
    ("mnist-mlp", 2000, 2),
    ("mnist-cnn", 2000, 1),
    ("penguins-reg", None, 1),
    ("penguins-cls", None, 1),
    ("circle", None, 1),
])
def test_recipe_on_a_subset_lowers_the_loss(name, limit, epochs):
    recipe = recipes.get(name)
    prep = recipe.prepare(limit, 0)
    model = recipe.build(prep, 0)
    before = evaluate(model, (prep.x_test, prep.y_test), loss=recipe.loss)
    opt, lr = recipe_optimizer(recipe, len(prep.x_train), epochs)
    h = train(model, (prep.x_train, prep.y_train), loss=recipe.loss, optimizer=opt,
              lr=lr, epochs=epochs, batch_size=recipe.batch_size,
              validation_split=recipe.validation_split, progress=False)
    after = evaluate(model, (prep.x_test, prep.y_test), loss=recipe.loss)
    assert np.isfinite(h.history["loss"]).all()
    assert after["loss"] < 0.9 * before["loss"], (before, after)
    if name == "mnist-mlp":
        assert after["accuracy"] > 0.7  # 26 steps of 128 images, the first 13 warming up
    # (the CNN's one epoch here is all warm-up: the loss drops, the accuracy is still low)


def test_recipe_data_preparation():
    reg = recipes.get("penguins-reg").prepare(None, 0)
    assert reg.x_train.shape == (266, 11) and reg.x_test.shape == (67, 11)
    assert "year" not in " ".join(reg.columns) and "body_mass_g" not in reg.columns
    np.testing.assert_allclose(reg.x_train.mean(axis=0), 0.0, atol=1e-5)
    assert abs(reg.y_train.mean()) < 1e-5 and 700 < reg.y_scale < 900
    cls = recipes.get("penguins-cls").prepare(None, 0)
    assert cls.classes == ["Adelie", "Chinstrap", "Gentoo"] and cls.x_train.shape[1] == 9
    # the same seed gives the same split; the test rows are not training rows
    again = recipes.get("penguins-cls").prepare(None, 0)
    np.testing.assert_array_equal(cls.x_test, again.x_test)
    with pytest.raises(KeyError, match="unknown recipe"):
        recipes.get("resnet")


def test_cli_train_writes_results_and_ends_with_json(tmp_path):
    out = run_cli("train", "mnist-mlp", "--limit", "2000", "--epochs", "2", "--out",
                  str(tmp_path))
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("Epoch 1/2 - 13 steps - ")
    assert "val_loss" in lines[0] and "val_accuracy" in lines[0]
    result = json.loads(lines[-1])
    assert result["epochs"] == 2 and result["n_train"] == 2000 and result["seconds"] > 0
    assert result["test_accuracy"] > 0.7
    for f in ("history.json", "history.csv", "metrics.json", "confusion_matrix.csv",
              "learning_curve.png", "weights.msgpack"):
        assert (tmp_path / f).exists(), f
    assert json.loads((tmp_path / "metrics.json").read_text()) == result
    rows = (tmp_path / "confusion_matrix.csv").read_text().strip().splitlines()
    assert sum(sum(map(int, r.split(",")[1:])) for r in rows[1:]) == 2000
    history = json.loads((tmp_path / "history.json").read_text())["history"]
    assert len(history["val_accuracy"]) == 2

    bad = run_cli("train", "nope", check=False)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr


def test_warmup_cosine_schedule():
    """1,000 rows, 20% held out, batches of 128: 7 steps an epoch; 0 -> peak over the first
    epoch, then a cosine to 0 by the last of 3 epochs (half-way down at step 7 + 7)."""
    sched = warmup_cosine(1000, 3, peak=0.01)
    assert float(sched(0)) == 0.0 and float(sched(7)) == pytest.approx(0.01)
    assert float(sched(14)) == pytest.approx(0.005) and float(sched(21)) == pytest.approx(0.0)
