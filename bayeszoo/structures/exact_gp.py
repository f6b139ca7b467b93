"""The exact Gaussian process: ``r = chol(K(x; sdgp, lscale) + nugget·I) · z``.

brms's ``gp()`` without ``k`` (``inst/chunks/fun_gaussian_process.stan``): the latent function at
the ``m`` distinct covariate points is ``Normal(0, K)``, ``K_ij = sdgp² · exp(-|x_i - x_j|² /
(2 lscale²))`` (one length-scale per axis: ``exp(-Σ_d (x_id - x_jd)² / (2 lscale_d²))``);
non-centered, ``r = L z`` with ``L Lᵀ = K + nugget·I``: one ``m × m`` Cholesky factor per
evaluation (``O(m³/3)``).

The nugget is brms's ``1e-12`` plus ``1e-9 · sdgp²``. brms's absolute ``1e-12`` alone leaves
``K`` numerically indefinite once the points lie closer than about a tenth of the length-scale
(on ``mcycle``, ``sdgp = 50, lscale = 0.08``, the bulk of the posterior, fails to factor; Stan
rejects such proposals); the relative part, white noise of sd ``3·10⁻⁵ · sdgp``, keeps the
factor defined without changing the model measurably.

At covariate points the model was not fitted to, the function's posterior draw is the
conditional normal given its values ``r`` at the fitted points (brms's ``.predictor_gp_new``,
``R/predictor.R``): mean ``K_*ᵀ K⁻¹ r``, covariance ``K_** - K_*ᵀ K⁻¹ K_*``;
:meth:`ExactGp.predictive_coefficients` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import Structure

NUGGET = 1e-12
RELATIVE_NUGGET = 1e-9
#: Posterior draws per batch of conditional draws (bounds memory at ``O(chunk · m²)``).
_CHUNK = 128


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(|a_i - b_j|²)`` per axis: ``len(a) × len(b) × D``."""
    return (a[:, None, :] - b[None, :, :]) ** 2


@dataclass(frozen=True)
class ExactGp(Structure):
    """``points``: the fitted distinct covariate points (scaled as the term scales them),
    ``m × D``; ``new_points``: further points of a prediction design (``0 × D`` when fitting);
    ``iso``: one length-scale (scales ``[sdgp, lscale]``) or one per axis."""

    points: np.ndarray = field(repr=False)
    new_points: np.ndarray = field(repr=False)
    iso: bool = True
    kind: str = "exact_gp"
    #: on a prediction design the function at new points is drawn from its conditional normal
    draws_predictive_coefficients = True

    def z_shape(self, block) -> tuple[int, ...]:
        return (int(self.points.shape[0]),)

    def _kernel(self, d2: np.ndarray, scales, ops, nugget: bool = False):
        """``sdgp² · (exp(-Σ_d d2_d / (2 lscale_d²)) + 1e-9·I) + 1e-12·I`` (the nuggets only
        with ``nugget``, for a square ``d2``) with batch dimensions in front; ``ops`` an
        :class:`~bayeszoo.families.ops.Ops` or NumPy itself."""
        sdgp = scales[0][..., None, None]
        if self.iso:
            lscale = scales[1][..., None, None]
            corr = ops.exp(-0.5 * d2.sum(axis=-1) / ops.square(lscale))
        else:
            expo = 0.0
            for d in range(d2.shape[-1]):
                expo = expo - 0.5 * d2[..., d] / ops.square(scales[1 + d][..., None, None])
            corr = ops.exp(expo)
        if not nugget:
            return ops.square(sdgp) * corr
        eye = np.eye(d2.shape[0])
        return ops.square(sdgp) * (corr + RELATIVE_NUGGET * eye) + NUGGET * eye

    def coefficients(self, scales, z, ops):
        """``L z`` with ``L Lᵀ = K + nugget·I`` (NumPy batched over leading dimensions, in
        chunks of draws to bound memory; JAX and PyTensor one draw)."""
        d2 = squared_distances(self.points, self.points)
        if ops.name != "numpy":
            L = ops.cholesky(self._kernel(d2, scales, ops, nugget=True))
            return (L * z[..., None, :]).sum(axis=-1)
        z = np.asarray(z, dtype=float)
        batch = np.broadcast_shapes(*(np.shape(s) for s in scales), z.shape[:-1])
        flat_scales = [np.broadcast_to(s, batch).reshape(-1) for s in scales]
        flat_z = np.broadcast_to(z, (*batch, z.shape[-1])).reshape(-1, z.shape[-1])
        out = np.empty_like(flat_z)
        for start in range(0, flat_z.shape[0], _CHUNK):
            rows = slice(start, start + _CHUNK)
            K = self._kernel(d2, [s[rows] for s in flat_scales], np, nugget=True)
            out[rows] = np.einsum("sij,sj->si", np.linalg.cholesky(K), flat_z[rows])
        return out.reshape(*batch, z.shape[-1])

    def predictive_coefficients(self, scales, coef: np.ndarray,
                                rng: np.random.Generator) -> np.ndarray:
        """The block's coefficients on a prediction design: ``coef`` (draws of the function at
        :attr:`points`, ``S × m``) followed by one draw per posterior draw of the function at
        :attr:`new_points` from its conditional normal (``S × (m + m_new)``); ``scales`` hold
        ``S`` draws each. Returns ``coef`` unchanged without new points."""
        if self.new_points.shape[0] == 0:
            return coef
        m_new = self.new_points.shape[0]
        d_old = squared_distances(self.points, self.points)
        d_cross = squared_distances(self.points, self.new_points)
        d_new = squared_distances(self.new_points, self.new_points)
        out = np.empty((coef.shape[0], m_new))
        for start in range(0, coef.shape[0], _CHUNK):
            rows = slice(start, start + _CHUNK)
            sc = [np.asarray(v, dtype=float)[rows] for v in scales]
            L = np.linalg.cholesky(self._kernel(d_old, sc, np, nugget=True))
            cross = self._kernel(d_cross, sc, np)
            v = np.linalg.solve(L, cross)
            alpha = np.linalg.solve(L, coef[rows][..., None])[..., 0]
            mean = np.einsum("sij,si->sj", v, alpha)
            cov = self._kernel(d_new, sc, np, nugget=True) - np.swapaxes(v, -1, -2) @ v
            noise = rng.standard_normal((mean.shape[0], m_new))
            out[rows] = mean + np.einsum("sij,sj->si", _psd_root(cov), noise)
        return np.concatenate([coef, out], axis=1)


def _psd_root(cov: np.ndarray) -> np.ndarray:
    """Square roots ``A`` with ``A Aᵀ = cov`` of covariances (batched over the leading
    dimension) that rounding may have made slightly indefinite (negative eigenvalues set to
    zero)."""
    vals, vecs = np.linalg.eigh((cov + np.swapaxes(cov, -1, -2)) / 2.0)
    return vecs * np.sqrt(np.clip(vals, 0.0, None))[..., None, :]
