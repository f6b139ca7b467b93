"""One small math namespace per array backend, so that a family writes its log density once.

``NUMPY`` (NumPy/SciPy), ``jax_ops()`` (``jax.numpy``/``jax.scipy``) and ``pytensor_ops()``
(``pytensor.tensor``) expose the same functions with the same meaning; a family's
``log_prob(ops, ...)`` calls only these, and every backend evaluates the same formula. JAX and
PyTensor are imported on first use only (call :func:`bayeszoo.runtime.ensure_configured` before
:func:`jax_ops` when double precision matters).

Functions: ``log exp log1p expm1 sqrt square abs gammaln softplus log_sigmoid log1mexp
logaddexp log_ndtr log_i0 arctan cos where asarray`` and, for structured coefficient blocks,
``cholesky`` (lower factor) and ``solve_upper(U, b)`` (``U x = b``, ``U`` upper triangular;
NumPy's batched over leading dimensions; JAX's Cholesky factor is differentiated by matrix
products, :mod:`.jax_cholesky`). ``softplus(x) = log(1 + e^x)``; ``log_sigmoid(x) =
-softplus(-x)``; ``log1mexp(x) = log(1 - e^x)`` for ``x < 0``; ``logaddexp(a, b) = log(e^a +
e^b)``; ``log_i0(x) = log I_0(x)`` of the modified Bessel function of the first kind, from the
exponentially scaled ``i0e`` (``log i0e(x) + |x|``, finite for every ``x``); ``log_ndtr`` is
``log Φ(x)`` of the standard normal CDF; ``gammainc(a, x)`` and ``gammaincc(a, x)`` are the
regularized lower and upper incomplete gamma functions ``P(a, x)`` and ``Q(a, x)`` (the gamma
and Poisson distribution functions, for censored and truncated responses); ``betainc(a, b, x)``
is the regularized incomplete beta function ``I_x(a, b)`` (the Student-t, negative binomial,
binomial and beta distribution functions; JAX's is differentiated in ``a`` and ``b`` by
:mod:`.jax_betainc`). PyTensor has no
``log_ndtr``: it is built from
``erfcx`` as ``log(erfcx(-x/√2)/2) - x²/2`` below ``x = -1`` and ``log1p(-erfc(x/√2)/2)`` above
(the split PyMC's ``normal_lcdf`` uses). ``stack(arrays, axis)`` joins arrays along a new axis (a
correlated block's standard deviations into one vector); ``tanh`` maps the unconstrained
coordinates of a correlation matrix to partial correlations (:mod:`bayeszoo.models.lkj`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

__all__ = ["NUMPY", "Ops", "by_name", "jax_ops", "pytensor_ops"]


@dataclass(frozen=True)
class Ops:
    """The backend-neutral math a log density may use (each field a function)."""

    name: str
    asarray: Callable[..., Any]
    log: Callable[..., Any]
    exp: Callable[..., Any]
    log1p: Callable[..., Any]
    expm1: Callable[..., Any]
    sqrt: Callable[..., Any]
    square: Callable[..., Any]
    abs: Callable[..., Any]
    gammaln: Callable[..., Any]
    softplus: Callable[..., Any]
    log_sigmoid: Callable[..., Any]
    log1mexp: Callable[..., Any]
    logaddexp: Callable[..., Any]
    log_ndtr: Callable[..., Any]
    log_i0: Callable[..., Any]
    arctan: Callable[..., Any]
    cos: Callable[..., Any]
    where: Callable[..., Any]
    cholesky: Callable[..., Any]
    solve_upper: Callable[..., Any]
    stack: Callable[..., Any]
    tanh: Callable[..., Any]
    gammainc: Callable[..., Any]
    gammaincc: Callable[..., Any]
    betainc: Callable[..., Any]


def _np_log1mexp(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -math.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


NUMPY = Ops(
    name="numpy",
    asarray=lambda x: np.asarray(x, dtype=float),
    log=np.log, exp=np.exp, log1p=np.log1p, expm1=np.expm1, sqrt=np.sqrt, square=np.square,
    abs=np.abs, gammaln=special.gammaln,
    softplus=lambda x: np.logaddexp(0.0, x),
    log_sigmoid=lambda x: -np.logaddexp(0.0, -np.asarray(x, dtype=float)),
    log1mexp=_np_log1mexp,
    logaddexp=np.logaddexp,
    log_ndtr=special.log_ndtr,
    log_i0=lambda x: np.log(special.i0e(x)) + np.abs(x),
    arctan=np.arctan, cos=np.cos,
    where=np.where,
    cholesky=np.linalg.cholesky,
    solve_upper=lambda U, b: np.linalg.solve(U, b[..., None])[..., 0],
    stack=np.stack,
    tanh=np.tanh,
    gammainc=special.gammainc,
    gammaincc=special.gammaincc,
    betainc=special.betainc,
)

_cache: dict[str, Ops] = {}


def jax_ops() -> Ops:
    """The namespace on ``jax.numpy`` / ``jax.scipy.special`` / ``jax.nn``."""
    if "jax" not in _cache:
        import jax
        import jax.numpy as jnp
        from jax.scipy import special as jsp

        from . import jax_betainc, jax_cholesky

        def log1mexp(x):
            return jnp.where(x > -math.log(2.0), jnp.log(-jnp.expm1(x)),
                             jnp.log1p(-jnp.exp(x)))

        _cache["jax"] = Ops(
            name="jax", asarray=jnp.asarray, log=jnp.log, exp=jnp.exp, log1p=jnp.log1p,
            expm1=jnp.expm1, sqrt=jnp.sqrt, square=jnp.square, abs=jnp.abs,
            gammaln=jsp.gammaln, softplus=jax.nn.softplus, log_sigmoid=jax.nn.log_sigmoid,
            log1mexp=log1mexp, logaddexp=jnp.logaddexp, log_ndtr=jsp.log_ndtr,
            log_i0=lambda x: jnp.log(jsp.i0e(x)) + jnp.abs(x), arctan=jnp.arctan, cos=jnp.cos,
            where=jnp.where,
            cholesky=jax_cholesky.cholesky,
            solve_upper=lambda U, b: jax.scipy.linalg.solve_triangular(U, b, lower=False),
            stack=jnp.stack, tanh=jnp.tanh, gammainc=jsp.gammainc, gammaincc=jsp.gammaincc,
            betainc=jax_betainc.betainc)
    return _cache["jax"]


def pytensor_ops() -> Ops:
    """The namespace on ``pytensor.tensor``."""
    if "pytensor" not in _cache:
        import pytensor.tensor as pt
        from pytensor.tensor import slinalg

        def log_ndtr(x):
            low = pt.log(pt.erfcx(-x / math.sqrt(2.0)) / 2.0) - pt.square(x) / 2.0
            high = pt.log1p(-pt.erfc(x / math.sqrt(2.0)) / 2.0)
            return pt.switch(pt.lt(x, -1.0), low, high)

        _cache["pytensor"] = Ops(
            name="pytensor", asarray=pt.as_tensor_variable, log=pt.log, exp=pt.exp,
            log1p=pt.log1p, expm1=pt.expm1, sqrt=pt.sqrt, square=pt.square, abs=pt.abs,
            gammaln=pt.gammaln, softplus=pt.softplus, log_sigmoid=lambda x: -pt.softplus(-x),
            log1mexp=pt.log1mexp, logaddexp=pt.logaddexp, log_ndtr=log_ndtr,
            log_i0=lambda x: pt.log(pt.ive(0, x)) + pt.abs(x), arctan=pt.arctan, cos=pt.cos,
            where=pt.where, cholesky=slinalg.cholesky,
            solve_upper=lambda U, b: slinalg.solve_triangular(U, b, lower=False),
            stack=pt.stack, tanh=pt.tanh, gammainc=pt.gammainc, gammaincc=pt.gammaincc,
            betainc=pt.betainc)
    return _cache["pytensor"]


def by_name(name: str) -> Ops:
    """``"numpy"``, ``"jax"`` or ``"pytensor"``."""
    if name == "numpy":
        return NUMPY
    if name == "jax":
        return jax_ops()
    if name == "pytensor":
        return pytensor_ops()
    raise ValueError(f"unknown array backend {name!r}; use 'numpy', 'jax' or 'pytensor'")
