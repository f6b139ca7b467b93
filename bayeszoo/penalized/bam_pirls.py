"""Penalized IRLS of ``bam(discrete = TRUE)`` for the exponential families, on discretized
cross-products (Wood, Li, Shaddick & Augustin 2017, JASA 112:1199-1210, section 4; mgcv's
``bgam.fitd``).

mgcv's discrete ``bam`` uses *performance iteration* (Gu 1992; Wood 2011, section 4): each
PIRLS iteration forms the working model (weights ``W = w·mu'(eta)²/V(mu)``, working response
``z = eta + (y - mu)/mu'(eta)``, Fisher scoring), accumulates ``X'WX``, ``X'Wz`` and ``z'Wz``
from the discretized term matrices, and chooses the smoothing parameters by the fREML
criterion of that working *Gaussian* model (known scale for Poisson and binomial, estimated for
Gamma and the others), not by the Laplace approximation of the non-Gaussian likelihood that
:func:`bayeszoo.reml` optimizes (mgcv's ``gam(method = "REML")``). The two agree exactly at
given smoothing parameters (both are the penalized-likelihood fit) and closely otherwise.

``bgam.fitd`` takes one Newton step on the smoothing parameters per iteration; here the working
model's criterion is minimized at each iteration, starting from the previous smoothing
parameters. Both stop at the same fixed point: ``beta`` the penalized fit at ``sp``, ``sp`` the
optimum of the working model at ``beta``. Each iteration is one pass over the rows (one task per
partition of a Dask data frame: :func:`chunk_working`); when the penalized deviance rises the
coefficients are halved back towards the previous ones, as ``bgam.fitd``.

The reported score is mgcv's ``gcv.ubre`` of the fit::

    (Dp/phi - log|S| + log|X'WX + S| + (n - Mp)·log(2π phi)) / 2

``Dp`` the penalized deviance, ``phi`` the scale (1 when known).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.diagnostics import ConvergenceWarning
from bayeszoo.families.glm import GlmLikelihood

from .crossprod import Statistics, TermGroup, code_predictor, code_statistics, group_codes
from .discrete import Grid
from .gaussian import GaussianEngine, NotPositiveDefinite
from .problem import Layout

__all__ = ["Control", "PirlsResult", "ResponseSpec", "chunk_working", "chunk_likelihood",
           "pirls"]


NEWTON_STEPS = 2


@dataclass(frozen=True)
class Control:
    """Convergence of the iteration: the relative change of the penalized deviance below
    ``tol`` (mgcv's ``epsilon``, 1e-7, is the only criterion of ``bgam.fitd``) and the largest
    coefficient change below ``beta_tol·(1 + max|beta|)``; at most ``maxit`` iterations
    (mgcv's 200); at most ``newton_steps`` Newton steps on the working model's smoothing
    parameters per iteration (``bgam.fitd`` takes one), the iteration converging only once
    the working model's gradient vanishes."""

    tol: float = 1e-8
    beta_tol: float = 1e-7
    maxit: int = 200
    newton_steps: int = NEWTON_STEPS


@dataclass(frozen=True)
class ResponseSpec:
    """Where the response is: its column, the prior weights' and binomial trials' columns and
    the family."""

    response: str
    weights: str | None
    trials: str | None
    family: Any


def chunk_likelihood(frame: pd.DataFrame, spec: ResponseSpec) -> GlmLikelihood:
    """The family's likelihood on the rows of ``frame`` (mgcv's ``y`` and prior weights)."""
    fam = spec.family
    y = frame[spec.response].to_numpy()
    w = None if spec.weights is None else frame[spec.weights].to_numpy(dtype=float)
    trials = None if spec.trials is None else frame[spec.trials].to_numpy()
    lik = fam.reml_likelihood(fam.prepare(y, spec.response, trials=trials, weights=w))
    if not isinstance(lik, GlmLikelihood) or lik.theta_estimated:
        raise ValueError(f"bam's PIRLS fits exponential families (poisson, binomial, "
                         f"bernoulli, Gamma, gaussian with another link), not {fam.name}")
    return lik


def chunk_working(frame: pd.DataFrame, groups: list[TermGroup], grids: dict[str, Grid],
                  spec: ResponseSpec, beta: np.ndarray | None,
                  P: int) -> tuple[Statistics, float]:
    """The working model's :class:`Statistics` (``X'WX``, ``X'Wz``, ``z'Wz``) of a chunk at
    ``beta`` (``None``: at the family's starting ``mu``) and the deviance there."""
    lik = chunk_likelihood(frame, spec)
    ks = group_codes(groups, grids, frame)
    if beta is None:
        z, W = (a[:, 0] for a in lik.start())
        eta = lik.link(lik.mustart)
    else:
        eta = code_predictor(groups, ks, beta)
        mu = lik.mu(eta[:, None])
        m1 = lik.link.derivatives(eta)[1]
        v, _ = lik.fns.variance(mu, lik.fixed_theta)
        z = eta + (lik.y - mu) / m1
        W = lik.weights * m1**2 / v
    bad = ~(np.isfinite(z) & np.isfinite(W))
    z[bad], W[bad] = 0.0, 0.0
    stats = code_statistics(groups, ks, z, W, P)
    keep = lik.weights > 0
    stats.n_obs = int(np.sum(keep))
    deviance = float(np.sum(lik.deviance(eta[:, None], np.zeros(0))))
    return stats, deviance


@dataclass
class PirlsResult:
    """The end of the iteration: the working model's engine and its state at the final
    coefficients (``state.beta``), the last Newton run's info, the deviance there, the scale,
    mgcv's score, whether it converged and the iterations."""

    engine: GaussianEngine
    state: Any
    info: Any
    deviance: float
    scale: float
    score: float
    converged: bool
    iterations: int


def _penalized(dev: float, beta: np.ndarray, st) -> float:
    return dev + st.penalty.quadratic(beta)


def pirls(working, layout: Layout, psi0: np.ndarray, free: np.ndarray, lo: np.ndarray,
          hi: np.ndarray, method: str, known_scale: bool,
          control: Control = Control()) -> PirlsResult:
    """Performance iteration (see the module docstring); ``working(beta)`` the pass over the
    rows returning ``(Statistics, deviance)``."""
    stats, dev = working(None)
    psi = np.asarray(psi0, dtype=float)
    beta_old, dev_old, pdev_old = None, math.inf, math.inf
    converged = False
    iterations = 0
    for _ in range(control.maxit):
        iterations += 1
        engine = GaussianEngine.from_statistics(layout, stats.G, stats.c, stats.yy, stats.n_obs,
                                                stats.sum_log_w, method,
                                                1.0 if known_scale else None)
        with warnings.catch_warnings():  # a capped Newton run is expected to stop short
            warnings.simplefilter("ignore", ConvergenceWarning)
            try:
                st, info = engine.fit(psi, free, lo, hi, control.newton_steps)
            except FloatingPointError:  # the previous parameters fail the new working model
                st, info = engine.fit(np.asarray(psi0, dtype=float), free, lo, hi,
                                      control.newton_steps)
        psi = st.psi
        beta = st.beta
        stats_new, dev_new = working(beta)
        if beta_old is not None:
            ref = _penalized(dev_old, beta_old, st)
            for _ in range(30):
                if np.isfinite(dev_new) and _penalized(dev_new, beta, st) <= ref:
                    break
                beta = 0.5 * (beta + beta_old)
                stats_new, dev_new = working(beta)
        pdev = _penalized(dev_new, beta, st)
        if not np.isfinite(pdev):
            raise FloatingPointError("bam's PIRLS reached a non-finite deviance")
        step = math.inf if beta_old is None else float(np.max(np.abs(beta - beta_old)))
        if (info.converged and abs(pdev - pdev_old) <= control.tol * (0.1 + abs(pdev))
                and step <= control.beta_tol * (1.0 + float(np.max(np.abs(beta))))):
            converged = True
            break
        beta_old, dev_old, pdev_old, stats = beta, dev_new, pdev, stats_new
    # the working model at the final coefficients gives X'WX, the edf and the covariance
    engine = GaussianEngine.from_statistics(layout, stats_new.G, stats_new.c, stats_new.yy,
                                            stats_new.n_obs, stats_new.sum_log_w, method,
                                            1.0 if known_scale else None)
    try:
        st = engine.state(psi)
    except NotPositiveDefinite as e:
        raise FloatingPointError("the final working model of bam's PIRLS is singular") from e
    scale = engine.reml_scale(st)
    n = stats_new.n_obs
    logdet = 2.0 * float(np.log(st.R.diagonal()).sum() - np.log(st.d).sum())
    pdev_final = _penalized(dev_new, beta, st)
    score = 0.5 * (pdev_final / scale - st.log_det_S + logdet
                   + (n - layout.Mp) * math.log(2.0 * math.pi * scale))
    st.beta = beta
    return PirlsResult(engine, st, info, dev_new, scale, score, converged, iterations)
