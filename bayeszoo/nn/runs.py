"""``bayeszoo train NAME``: train a recipe of :mod:`bayeszoo.nn.recipes`, score it on the test
set and write the run's folder (history, metrics, learning curve, weights, confusion matrix)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bayeszoo.nn import recipes
from bayeszoo.nn.checkpoint import save_weights
from bayeszoo.nn.checks import check_count, check_writable_dir
from bayeszoo.nn.history import learning_curve
from bayeszoo.nn.optimizers import check_lr
from bayeszoo.nn.training import confusion_matrix, evaluate, predict, predict_classes, train
from bayeszoo.paths import write_bytes_atomically, write_text_atomically


def _check_finite(result: dict[str, Any], losses: list[float]) -> None:
    """A run whose figures are not all finite (a diverged loss) is an error, not a result:
    JSON has no NaN or infinity, and such weights predict nothing."""
    bad = {k: v for k, v in result.items() if isinstance(v, float) and not math.isfinite(v)}
    if not bad:
        return
    first = next((i for i, v in enumerate(losses) if not math.isfinite(v)), None)
    when = ("" if first is None else
            f"; the training loss is {losses[first]} from epoch {first + 1} on")
    lr = "the optimizer's default" if result["lr"] is None else result["lr"]
    figures = ", ".join(f"{k}={v}" for k, v in bad.items())
    raise ValueError(f"training diverged (not finite: {figures}){when}; train again with a "
                     f"smaller lr than {lr}")


def run_recipe(name: str, epochs: int | None = None, limit: int | None = None,
               out: str | os.PathLike | None = None, seed: int = 0, progress: bool = True,
               checkpoint_dir: str | os.PathLike | None = None, optimizer: str | None = None,
               lr: float | None = None, batch_size: int | None = None) -> dict[str, Any]:
    """Train recipe ``name`` of :mod:`bayeszoo.nn.recipes` and score it on the test set.

    ``limit`` keeps the first ``limit`` training rows (and test images, for MNIST). With
    ``out``, writes ``history.json``, ``history.csv``, ``metrics.json``, ``learning_curve.png``,
    ``weights.msgpack`` and, for classifiers, ``confusion_matrix.csv`` there. Returns the
    headline figures: ``test_*`` metrics (regression errors also in the target's unit),
    ``epochs``, ``seconds`` (data preparation, training and scoring) and per-epoch seconds.

    ``epochs``, ``batch_size`` and ``limit`` must be whole numbers of at least 1, ``lr`` a
    positive finite number (``None``: the recipe's), and ``out`` and ``checkpoint_dir`` folders
    that can be written or created; a bad one is a ``ValueError`` before any data are loaded.
    A run whose test figures are not finite (the loss diverged) is a ``ValueError`` too, and
    writes nothing.

    Parameters
    ----------
    name : str
        A key of :data:`bayeszoo.nn.RECIPES`.
    epochs : int, optional
        Overrides the recipe's.
    limit : int, optional
        Training rows kept.
    out : str or os.PathLike, optional
        The folder for the files above.
    seed : int
        Seed of the data split, initialization, shuffling and dropout.
    progress : bool
        Whether to show progress.
    checkpoint_dir : str or os.PathLike, optional
        As in :func:`bayeszoo.nn.train`.
    optimizer : str, optional
        Overrides the recipe's.
    lr : float, optional
        Overrides the recipe's.
    batch_size : int, optional
        Overrides the recipe's.

    Returns
    -------
    dict
        The headline figures above.

    Raises
    ------
    KeyError
        For an unknown recipe.
    ValueError
        For the settings above, or a diverged run.

    Examples
    --------
    >>> from bayeszoo import nn
    >>> result = nn.run_recipe("circle", epochs=20, progress=False)  # doctest: +SKIP
    >>> result["test_accuracy"]  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    recipe = recipes.get(name)
    n_epochs = recipe.epochs if epochs is None else check_count("epochs", epochs)
    bs = recipe.batch_size if batch_size is None else check_count("batch_size", batch_size)
    limit = None if limit is None else check_count("limit", limit)
    check_lr(lr)
    for setting, folder in (("out", out), ("checkpoint_dir", checkpoint_dir)):
        if folder is not None:
            check_writable_dir(folder, setting)
    prep = recipe.prepare(limit, seed)
    model = recipe.build(prep, seed)
    name_opt = optimizer or recipe.optimizer
    opt, rate = recipes.recipe_optimizer(recipe, len(prep.x_train), n_epochs, bs, optimizer, lr)
    history = train(model, (prep.x_train, prep.y_train), loss=recipe.loss, optimizer=opt,
                    lr=rate, epochs=n_epochs, batch_size=bs,
                    validation_split=recipe.validation_split, seed=seed,
                    checkpoint_dir=checkpoint_dir, progress=progress)
    scores = evaluate(model, (prep.x_test, prep.y_test), loss=recipe.loss)
    result: dict[str, Any] = {"recipe": name}
    settings = {"optimizer": name_opt, "lr": lr if lr is not None else recipe.lr,
                "schedule": recipe.schedule, "batch_size": bs}
    result.update({f"test_{k}": v for k, v in scores.items()})
    cm = None
    if prep.classes is not None:
        pred = predict_classes(model, prep.x_test)
        cm = confusion_matrix(prep.y_test, pred, len(prep.classes))
    else:
        resid = (predict(model, prep.x_test).reshape(len(prep.y_test)) -
                 prep.y_test.reshape(-1)) * prep.y_scale
        unit = f"_{prep.unit}" if prep.unit else ""
        result[f"test_mae{unit}"] = float(np.mean(np.abs(resid)))
        result[f"test_rmse{unit}"] = float(np.sqrt(np.mean(resid**2)))
    times = history.history.get("time", [])
    result.update({
        "epochs": len(history.epoch),
        "n_train": int(len(prep.x_train)), "n_test": int(len(prep.x_test)),
        "epoch_seconds": float(np.mean(times)) if times else 0.0,
        "seconds": time.perf_counter() - t0,
        "devices": history.params.get("devices"),
        **settings,
    })
    _check_finite(result, history.history["loss"])
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        # every file through a temporary name, renamed when complete
        history.save_json(out / "history.json")
        history.save_csv(out / "history.csv")
        write_text_atomically(out / "metrics.json", json.dumps(result, indent=1))
        save_weights(model, out / "weights.msgpack")
        fig = learning_curve(history, title=name)
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=100)
        write_bytes_atomically(out / "learning_curve.png", png.getvalue())
        if cm is not None:
            buf = io.StringIO(newline="")
            w = csv.writer(buf)
            w.writerow(["true\\predicted", *prep.classes])
            for cls, row in zip(prep.classes, cm, strict=True):
                w.writerow([cls, *row.tolist()])
            write_text_atomically(out / "confusion_matrix.csv", buf.getvalue())
    if cm is not None and progress:
        print("Confusion matrix (rows: true, columns: predicted):")
        width = max(5, *(len(c) for c in prep.classes))
        print(" " * width + "".join(f"{c:>{width + 1}}" for c in prep.classes))
        for cls, row in zip(prep.classes, cm, strict=True):
            print(f"{cls:>{width}}" + "".join(f"{v:>{width + 1}d}" for v in row))
    return result
