"""One small math namespace per array backend, so that a family writes its log density once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Ops:
    name: str
    log: Any
    exp: Any
    sqrt: Any


NUMPY = Ops("numpy", np.log, np.exp, np.sqrt)
LOG_2PI = math.log(2 * math.pi)


def jax_ops() -> Ops:
    import jax.numpy as jnp

    return Ops("jax", jnp.log, jnp.exp, jnp.sqrt)


def pytensor_ops() -> Ops:
    import pytensor.tensor as pt

    return Ops("pytensor", pt.log, pt.exp, pt.sqrt)
