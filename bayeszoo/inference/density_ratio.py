"""brms's ``density_ratio``: the Savage–Dickey ratio of a two-sided point hypothesis.

brms's ``hypothesis`` takes the evidence ratio of ``h = 0`` as the density of the posterior
draws of ``h`` at 0 over the density of its prior draws at 0 (Wagenmakers et al. 2010), each
from R's ``density`` (a Gaussian kernel with the bandwidth ``bw.nrd0``). Here the same kernel
estimate is evaluated at the point directly; R interpolates it from a 4096-point grid, which
moves the ratio by far less than its Monte Carlo error.
"""

from __future__ import annotations

import numpy as np


def bw_nrd0(x: np.ndarray) -> float:
    """R's ``bw.nrd0(x)``: Silverman's rule, ``0.9 · min(sd, IQR / 1.34) · n^(-1/5)``."""
    x = np.asarray(x, dtype=float)
    hi = float(np.std(x, ddof=1))
    q1, q3 = np.quantile(x, [0.25, 0.75])
    lo = min(hi, float(q3 - q1) / 1.34)
    if not lo > 0:
        lo = hi or abs(float(x[0])) or 1.0
    return 0.9 * lo * x.size ** -0.2


def kernel_density(x: np.ndarray, point: float) -> float:
    """The Gaussian kernel density estimate of the draws ``x`` at ``point`` (bandwidth
    :func:`bw_nrd0`), as R's ``density(x)`` estimates it."""
    x = np.asarray(x, dtype=float)
    h = bw_nrd0(x)
    u = (point - x) / h
    return float(np.mean(np.exp(-0.5 * u * u)) / (h * np.sqrt(2 * np.pi)))


def savage_dickey(posterior: np.ndarray, prior: np.ndarray, point: float = 0.0) -> float:
    """brms's ``density_ratio(posterior, prior, point)``: the evidence for ``h = point``,
    posterior density over prior density at ``point``."""
    return kernel_density(posterior, point) / kernel_density(prior, point)
