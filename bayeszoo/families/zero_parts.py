"""What the zero-inflated and hurdle families share: their ``zi`` and ``hu`` parameters and
the two ways of adding a point mass at zero to a distribution (brms 2.18's Stan functions
``zero_inflated_*_lpmf`` and ``hurdle_*_lpmf``, ``inst/chunks/fun_*.stan``).

* **Zero inflation** mixes: ``p(0) = zi + (1 - zi) f(0)`` and ``p(y) = (1 - zi) f(y)`` for
  ``y != 0``; the mean is ``(1 - zi) E_f[y]``.
* **A hurdle** splits: ``p(0) = hu`` and ``p(y) = (1 - hu) f(y) / (1 - f(0))`` for ``y > 0``
  (for a continuous ``f``, ``f(0) = 0``: the density itself).

The responses are non-negative (the families check it), so ``y > 0`` tells the parts apart on
every backend (PyTensor has no elementwise ``==`` on variables).

``zi`` and ``hu`` are probabilities: brms's default prior is ``beta(1, 1)`` when one constant,
and a formula (``bf(y ~ ..., hu ~ x)``) is on the logit link with a ``logistic(0, 1)``
intercept.
"""

from __future__ import annotations

import numpy as np

from .base import AuxParameter

__all__ = ["HU", "ZI", "hurdle_log_prob", "positive_part", "zero_draws",
           "zero_inflated_log_prob"]

ZI = AuxParameter("zi", 0.0, "logit", "beta(1, 1)", "logistic(0, 1)", upper=1.0)
HU = AuxParameter("hu", 0.0, "logit", "beta(1, 1)", "logistic(0, 1)", upper=1.0)


def zero_inflated_log_prob(ops, y, log_f, log_f0, zi):
    """``log p(y)`` of zero inflation: ``log(zi + (1 - zi) e^log_f0)`` where ``y = 0``, else
    ``log(1 - zi) + log_f`` (``log_f`` the density of ``y``, ``log_f0`` that of zero)."""
    log_1m_zi = ops.log1p(-zi)
    return ops.where(y > 0, log_1m_zi + log_f, ops.logaddexp(ops.log(zi), log_1m_zi + log_f0))


def hurdle_log_prob(ops, y, log_f_positive, hu):
    """``log p(y)`` of a hurdle: ``log hu`` where ``y = 0``, else ``log(1 - hu) +
    log_f_positive`` (the density of ``y`` given ``y > 0``)."""
    return ops.where(y > 0, ops.log1p(-hu) + log_f_positive, ops.log(hu))


def positive_part(ops, y, fill: float = 1.0):
    """``y`` with its zeros replaced by ``fill`` (a point inside the support), for the density
    of the non-zero part: both branches of ``where`` are evaluated, and ``log 0`` in the one
    not taken would turn the gradient into NaN."""
    return ops.where(y > 0, y, fill)


def zero_draws(rng: np.random.Generator, draws: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """``draws`` set to zero with probability ``prob`` each (the zero part of either model)."""
    draws, prob = np.broadcast_arrays(draws, np.asarray(prob, dtype=float))
    return np.where(rng.uniform(size=draws.shape) < prob, 0.0 * draws, draws)
