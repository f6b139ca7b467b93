"""brms's LKJ prior on the Cholesky factor of a correlation matrix, as a PyMC random variable.

Stan's (and brms's) ``lkj_corr_cholesky(eta)`` on a ``k × k`` lower Cholesky factor ``L`` is

    log p(L) = Σ_{i=2..k} (k − i + 2·eta − 2)·log L_ii − log c_k(eta)

(Lewandowski, Kurowicka & Joe 2009, "Generating random correlation matrices based on vines and
extended onion method", J. Multivariate Anal. 100:1989–2001; Stan Functions Reference,
"Cholesky LKJ correlation distribution"). NumPyro's ``LKJCholesky`` is the same density. PyMC
has no such distribution (its ``LKJCorr`` samples the correlations one by one through an
interval transform, which leaves the positive definite set), so it is written here with the
unconstrained coordinates NumPyro uses (its ``CorrCholeskyTransform``, Stan's too): a vector
``x`` of ``k(k−1)/2`` reals filling the strict lower triangle row by row, ``t = tanh(x)`` the
partial correlations, and a signed stick-breaking of each row,

    L_ij = t_ij · Π_{l<j} √(1 − t_il²)  (j < i),   L_ii = Π_{l<i} √(1 − t_il²),

whose log Jacobian (on the strict lower triangle of ``L``) is
``Σ log(1 − t_ij²) + ½ Σ_i Σ_{j ≤ i−2} log(1 − Σ_{l ≤ j} L_il²)``. The PyMC and NumPyro models
therefore have the same log density at the same unconstrained point, Jacobian included.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special


def lkj_log_normalizer(eta: float, k: int) -> float:
    """``log c_k(eta)`` of the LKJ density over ``k × k`` correlation matrices (the constant
    NumPyro's ``LKJCholesky.log_prob`` subtracts)."""
    dm1 = k - 1
    alpha = eta + 0.5 * dm1
    return float(0.5 * dm1 * math.log(math.pi) + special.multigammaln(alpha - 0.5, dm1)
                 - dm1 * special.gammaln(alpha))


def lkj_cholesky_log_density(L, eta: float, k: int):
    """The LKJ log density of PyTensor Cholesky factors ``L`` (``k × k``)."""
    import pytensor.tensor as pt

    order = np.array([2.0 * eta - 3.0 + k - i for i in range(1, k)])
    diag = pt.stack([L[i, i] for i in range(1, k)])
    return pt.sum(order * pt.log(diag)) - lkj_log_normalizer(eta, k)


def _log1m_tanh_sq(x):
    """``log(1 − tanh(x)²)`` without cancellation: ``2·(log 2 − x − softplus(−2x))``."""
    import pytensor.tensor as pt

    return 2.0 * (math.log(2.0) - x - pt.softplus(-2.0 * x))


def _lower_positions(k: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(1, k) for j in range(i)]


def corr_cholesky_transform(k: int):
    """The PyMC transform between ``L`` and NumPyro's unconstrained vector (see the module
    doc), as an instance of a ``pymc.logprob.transforms.Transform`` subclass."""
    import pytensor.tensor as pt
    from pymc.logprob.transforms import Transform

    positions = _lower_positions(k)

    class CorrCholesky(Transform):
        name = "corrcholesky"  # no underscore: PyMC splits value names on "_"
        ndim_supp = 2

        def backward(self, value, *inputs):
            t = pt.tanh(value)
            rows = [pt.concatenate([pt.ones(1), pt.zeros(k - 1)])]
            for i in range(1, k):
                remaining = pt.ones(())
                row = []
                for j in range(i):
                    tij = t[positions.index((i, j))]
                    row.append(tij * pt.sqrt(remaining))
                    remaining = remaining * (1.0 - tij * tij)
                row.append(pt.sqrt(remaining))
                row += [pt.zeros(())] * (k - 1 - i)
                rows.append(pt.stack(row))
            return pt.stack(rows)

        def forward(self, value, *inputs):
            out = []
            for i, j in positions:
                used = sum((value[i, m] ** 2 for m in range(j)), pt.zeros(()))
                out.append(pt.arctanh(value[i, j] / pt.sqrt(1.0 - used)))
            return pt.stack(out)

        def log_jac_det(self, value, *inputs):
            s = [_log1m_tanh_sq(value[p]) for p in range(len(positions))]
            total = sum(s, pt.zeros(()))
            for i in range(2, k):
                for j in range(i - 1):
                    total = total + 0.5 * sum(s[positions.index((i, m))] for m in range(j + 1))
            return total

    return CorrCholesky()


def lkj_cholesky_variable(name: str, k: int, eta: float):
    """The PyMC random variable ``name``: a ``k × k`` correlation Cholesky factor with brms's
    ``lkj_corr_cholesky(eta)`` prior, sampled on NumPyro's unconstrained coordinates; its
    initial value is the identity (no correlation)."""
    import pymc as pm
    import pytensor.tensor as pt

    if k < 2:
        raise ValueError(f"{name}: an LKJ prior needs a correlation matrix of size >= 2, got {k}")

    def logp(value, identity):
        return lkj_cholesky_log_density(value, eta, k)

    def support_point(rv, size, identity):
        return identity

    # the identity enters as a parameter so that the signature fixes the support's shape
    return pm.CustomDist(name, pt.eye(k), logp=logp, support_point=support_point,
                         signature="(n,n)->(n,n)", transform=corr_cholesky_transform(k))
