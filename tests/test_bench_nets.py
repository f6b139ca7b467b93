"""benchmarks/bench_nets.py's PyTorch side from another interpreter: which interpreter runs the
PyTorch workers, and the images it is handed (the recipe's own, split as Keras does)."""

import importlib.util

import numpy as np
import pytest
from bench_scripts import bench_script


def test_torch_interpreter_from_option_then_environment(monkeypatch):
    bench = bench_script("bench_nets")
    if importlib.util.find_spec("torch") is not None:
        pytest.skip("torch is importable here: the workers run in this interpreter")
    monkeypatch.delenv("BAYESZOO_TORCH_PYTHON", raising=False)
    assert bench.torch_python(None) is None
    monkeypatch.setenv("BAYESZOO_TORCH_PYTHON", "/opt/torch/bin/python")
    assert bench.torch_python(None) == "/opt/torch/bin/python"
    assert bench.torch_python("/venv/bin/python") == "/venv/bin/python"


def test_saved_images_are_the_recipe_split(tmp_path):
    bench = bench_script("bench_nets")
    path = bench.save_mnist("mnist-cnn", 100, tmp_path / "cnn.npz")
    a = np.load(path)
    assert a["x"].shape == (80, 28, 28, 1) and a["xv"].shape == (20, 28, 28, 1)
    assert a["x"].dtype == np.float32 and a["y"].shape == (80,)
    from bayeszoo.nn import recipes

    prep = recipes.get("mnist-cnn").prepare(100, 0)
    np.testing.assert_array_equal(a["xv"], prep.x_train[80:])
    np.testing.assert_array_equal(a["y"], prep.y_train[:80])
