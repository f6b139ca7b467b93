"""Neural networks on the runtime's JAX, apart from the statistical models.

* :mod:`~bayeszoo.nn.modules` -- Flax NNX networks (:class:`Perceptron`, :class:`MLP`,
  :class:`CNN`) and :func:`count_params`;
* :mod:`~bayeszoo.nn.training` -- :func:`train`, :func:`evaluate`, :func:`predict`,
  :func:`predict_classes`, :func:`confusion_matrix`, on the losses of
  :mod:`~bayeszoo.nn.losses` and the optimizers of :mod:`~bayeszoo.nn.optimizers`;
* :mod:`~bayeszoo.nn.history` -- :class:`History` and :func:`learning_curve`;
* :mod:`~bayeszoo.nn.checkpoint` -- checkpoints and weights as msgpack;
* :mod:`~bayeszoo.nn.recipes` and :mod:`~bayeszoo.nn.runs` -- the lecture's networks and
  :func:`run_recipe` (``bayeszoo train``);
* :mod:`~bayeszoo.nn.backprop` -- backpropagation by hand in numpy.

Importing this package is cheap: each name loads its module (and JAX) on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, str] = {
    **dict.fromkeys(("Perceptron", "MLP", "CNN", "count_params", "output_activation", "max_pool",
                     "ACTIVATIONS", "OUTPUTS"), "bayeszoo.nn.modules"),
    **dict.fromkeys(("Loss", "LOSSES", "resolve_loss"), "bayeszoo.nn.losses"),
    **dict.fromkeys(("resolve_optimizer", "warmup_cosine"), "bayeszoo.nn.optimizers"),
    **dict.fromkeys(("History", "learning_curve"), "bayeszoo.nn.history"),
    **dict.fromkeys(("CHECKPOINT_FILE", "save_checkpoint", "load_checkpoint", "save_weights",
                     "load_weights"), "bayeszoo.nn.checkpoint"),
    **dict.fromkeys(("train", "evaluate", "predict", "predict_classes", "confusion_matrix"),
                    "bayeszoo.nn.training"),
    **dict.fromkeys(("RECIPES", "Recipe", "Prepared", "recipe_optimizer"),
                    "bayeszoo.nn.recipes"),
    "run_recipe": "bayeszoo.nn.runs",
    **dict.fromkeys(("ChainRuleNet", "LinearPerceptron", "SigmoidNetwork"),
                    "bayeszoo.nn.backprop"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'bayeszoo.nn' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
