"""One small model per family, link and response addition, on simulated data (and Rubin's eight
schools): the cases the family tests build, compare across backends and sample."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import bayeszoo as bz


@dataclass(frozen=True)
class Case:
    id: str
    formula: str
    family: Any
    collapses: bool = False  # rows share design rows and the family sums them


def simulated(n: int = 60, seed: int = 3) -> pd.DataFrame:
    """Responses of every kind beside a discrete covariate ``x`` and a group ``g`` (6 levels):
    ``yn`` real, ``yb`` 0/1, ``yk`` successes out of ``t``, ``yc`` counts with exposure
    ``expo``, ``ypos`` positive, ``yp`` in (0, 1), prior weights ``w``."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, n).astype(float)
    g = rng.integers(0, 6, n)
    u = rng.normal(0, 0.4, 6)[g]
    eta = -0.3 + 0.5 * x + u
    p = 1.0 / (1.0 + np.exp(-eta))
    t = rng.integers(1, 6, n).astype(float)
    expo = rng.choice([1.0, 2.0, 4.0], n)
    mu_pos = np.exp(0.5 + 0.3 * x + u)
    return pd.DataFrame({
        "x": x, "g": pd.Categorical(g.astype(str)),
        "yn": eta + rng.standard_t(4, n) * 0.5,
        "yb": rng.binomial(1, p).astype(float),
        "t": t, "yk": rng.binomial(t.astype(int), p).astype(float),
        "expo": expo, "yc": rng.poisson(np.exp(eta) * expo).astype(float),
        "ypos": rng.gamma(3.0, mu_pos / 3.0),
        "yp": np.clip(rng.beta(p * 8, (1 - p) * 8), 1e-4, 1 - 1e-4),
        "w": rng.choice([0.5, 1.0, 2.0], n),
    })


CASES = [
    Case("gaussian_se", "y | se(sigma) ~ 1 + (1 | school)", "gaussian"),
    Case("gaussian_weights", "yn | weights(w) ~ x + (1 | g)", "gaussian"),
    Case("student", "yn ~ x + (1 | g)", "student"),
    Case("bernoulli_logit", "yb ~ x + (1 | g)", "bernoulli", collapses=True),
    Case("bernoulli_probit", "yb ~ x + (1 | g)", bz.families.bernoulli(link="probit"),
         collapses=True),
    Case("bernoulli_cloglog", "yb ~ x + (1 | g)", bz.families.bernoulli(link="cloglog"),
         collapses=True),
    Case("binomial", "yk | trials(t) + weights(w) ~ x + (1 | g)", "binomial", collapses=True),
    Case("poisson_offset", "yc | weights(w) ~ x + offset(log(expo)) + (1 | g)", "poisson",
         collapses=True),
    Case("negbinomial", "yc ~ x + offset(log(expo)) + (1 | g)", "negbinomial"),
    Case("gamma_inverse", "ypos ~ x", "gamma"),
    Case("gamma_log", "ypos ~ x + (1 | g)", bz.families.gamma(link="log")),
    Case("beta", "yp ~ x + (1 | g)", "beta"),
]
CASE_IDS = [c.id for c in CASES]


def case_data(case: Case) -> pd.DataFrame:
    return bz.datasets.load_eight_schools() if case.id == "gaussian_se" else simulated()


def case_design(case: Case):
    return bz.design(case.formula, case_data(case), family=case.family)
