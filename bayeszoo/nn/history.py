"""The per-epoch record of a training run, as Keras's ``History``, and its learning curve."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayeszoo.paths import write_text_atomically


@dataclass
class History:
    """Per-epoch figures, as Keras's ``History``: ``history["loss"]``, ``history["val_loss"]``,
    the metric (``accuracy`` or ``mae``) and ``val_`` metric, and ``time`` (seconds per epoch,
    validation included); ``params`` holds the settings.

    Parameters
    ----------
    history : dict of str to list of float
        Figure name -> one value per epoch.
    params : dict
        The training settings.

    Examples
    --------
    >>> from bayeszoo import nn
    >>> h = nn.History()
    >>> h.append({"loss": 0.9, "accuracy": 0.6})
    >>> h.append({"loss": 0.4, "accuracy": 0.8})
    >>> h.epoch, h.history["loss"]
    ([0, 1], [0.9, 0.4])
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def epoch(self) -> list[int]:
        return list(range(len(self.history.get("loss", []))))

    def append(self, row: dict[str, float]) -> None:
        for key, value in row.items():
            self.history.setdefault(key, []).append(float(value))

    def to_dict(self) -> dict[str, Any]:
        return {"history": self.history, "params": self.params}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls({k: list(v) for k, v in d["history"].items()}, dict(d.get("params", {})))

    def save_json(self, path: str | os.PathLike) -> None:
        """Write the history as JSON (atomically: a temporary file, renamed when complete)."""
        write_text_atomically(path, json.dumps(self.to_dict(), indent=1))

    def save_csv(self, path: str | os.PathLike) -> None:
        """One row per epoch (atomically, as :meth:`save_json`)."""
        keys = list(self.history)
        buf = io.StringIO(newline="")
        w = csv.writer(buf)
        w.writerow(["epoch", *keys])
        for i in self.epoch:
            w.writerow([i + 1, *(self.history[k][i] for k in keys)])
        write_text_atomically(path, buf.getvalue())

    def plot(self):
        return learning_curve(self)


def learning_curve(history: History, title: str | None = None):
    """A matplotlib figure: loss (left) and the metric (right) per epoch, training and
    validation.

    Parameters
    ----------
    history : History
        What :func:`bayeszoo.nn.train` returned.
    title : str, optional
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        One or two panels.

    Examples
    --------
    >>> from bayeszoo import nn
    >>> h = nn.History({"loss": [0.9, 0.4], "accuracy": [0.6, 0.8]})
    >>> len(nn.learning_curve(h, title="circle").axes)
    2
    """
    from matplotlib.figure import Figure

    h = history.history
    metrics = [k for k in h if not k.startswith("val_") and k not in ("loss", "time")]
    panels = ["loss", *metrics[:1]]
    fig = Figure(figsize=(5 * len(panels), 3.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    epochs = np.arange(1, len(h.get("loss", [])) + 1)
    for ax, key in zip(axes, panels, strict=True):
        ax.plot(epochs, h[key], "o-", label="training")
        if f"val_{key}" in h:
            ax.plot(epochs, h[f"val_{key}"], "o-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig
