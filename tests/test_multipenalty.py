"""The MultiPenalty structure of te/ti blocks, ``r ~ Normal(0, (Σ_k S_k / sds_k²)⁻¹)``: its
covariance, in NumPy, JAX and PyTensor, non-centered and centered, and the same log density in
the NumPyro and PyMC models."""

from __future__ import annotations

import numpy as np
import pytest

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY, jax_ops, pytensor_ops
from bayeszoo.models.spec import model_spec
from bayeszoo.structures import MultiPenalty
from bayeszoo.structures.multipenalty import cholesky_coefficients, joint_diagonalization

AIR_TE = "Ozone ~ te(Temp, Wind, k=5)"
AIR_TE3 = "Ozone ~ te(Temp, Wind, Solar.R, k=4)"
SDS = [(1.0, 1.0), (0.05, 40.0), (30.0, 2.0)]


@pytest.fixture(scope="module")
def air():
    return bz.datasets.load_airquality(dropna=True)


@pytest.fixture(scope="module")
def te_block(air):
    (block,) = bz.design(AIR_TE, air).blocks
    return block


def covariance(structure, sds, q: int, *, centered: bool = False) -> np.ndarray:
    """``C Cᵀ`` of ``r = C z`` (``z`` the identity: one draw per unit vector)."""
    scales = [np.asarray(s, dtype=float) for s in sds]
    if centered:
        C = structure.from_centered(np.eye(q) * structure.centered_scale(scales, NUMPY)).T
    else:
        C = structure.coefficients(scales, np.eye(q), NUMPY).T
    return C @ C.T


def inverse_precision(penalties, sds) -> np.ndarray:
    return np.linalg.inv(sum(S / s**2 for S, s in zip(penalties, sds, strict=True)))


def test_te_block_is_multipenalty_on_the_penalized_space(te_block):
    st = te_block.structure
    assert st.kind == "multipenalty" and len(st.penalties) == 2 and te_block.size == 21
    assert te_block.sp_labels == ("te(Temp,Wind)1", "te(Temp,Wind)2")
    assert np.linalg.eigvalsh(sum(st.penalties))[0] > 1e-6  # full rank: null space in X


def test_joint_diagonalization(te_block):
    S1, S2 = te_block.structure.penalties
    W, a = joint_diagonalization(S1, S2)
    assert np.allclose(W.T @ S1 @ W, np.diag(a), atol=1e-10)
    assert np.allclose(W.T @ S2 @ W, np.diag(1 - a), atol=1e-10)
    assert a.min() >= 0 and a.max() <= 1
    # a tensor product: some directions only one margin penalizes
    assert np.sum(a < 1e-10) >= 4 and np.sum(a > 1 - 1e-10) >= 4


@pytest.mark.parametrize("sds", SDS)
def test_covariance_is_the_inverse_penalty(te_block, sds):
    st = te_block.structure
    target = inverse_precision(st.penalties, sds)
    scale = np.abs(target).max()
    for centered in (False, True):
        cov = covariance(st, sds, te_block.size, centered=centered)
        assert np.max(np.abs(cov - target)) < 1e-6 * scale
    C = cholesky_coefficients(st.penalties, [np.asarray(s) for s in sds], np.eye(21), NUMPY).T
    assert np.max(np.abs(C @ C.T - target)) < 1e-6 * scale


def test_batched_scales_broadcast(te_block):
    """Chains × draws of scales and z, as the posterior computes coefficients."""
    st = te_block.structure
    rng = np.random.default_rng(1)
    s1, s2 = np.exp(rng.normal(size=(2, 3, 5)))
    z = rng.normal(size=(3, 5, 21))
    r = st.coefficients([s1, s2], z, NUMPY)
    one = st.coefficients([s1[1, 2], s2[1, 2]], z[1, 2], NUMPY)
    assert r.shape == (3, 5, 21) and np.allclose(r[1, 2], one)


def test_three_penalties_use_the_cholesky_factor(air):
    d = bz.design(AIR_TE3, air, na_action="drop")
    (block,) = d.blocks
    st = block.structure
    assert len(st.penalties) == 3 and st.joint is None and not st.can_center
    sds = (3.0, 0.5, 20.0)
    target = inverse_precision(st.penalties, sds)
    assert np.max(np.abs(covariance(st, sds, block.size) - target)) < 1e-8 * np.abs(target).max()
    with pytest.raises(ValueError, match=r"te\(Temp,Wind,Solar.R\).*noncentered"):
        model_spec(d, parameterization="centered")


@pytest.mark.slow
def test_jax_and_pytensor_agree_with_numpy(te_block):
    from bayeszoo.runtime import ensure_configured

    ensure_configured()  # double precision in JAX, as the NumPyro models run
    import jax.numpy as jnp
    import pytensor
    import pytensor.tensor as pt

    st = te_block.structure
    rng = np.random.default_rng(2)
    z = rng.normal(size=21)
    s1, s2 = 4.0, 0.3
    expect = st.coefficients([np.asarray(s1), np.asarray(s2)], z, NUMPY)
    cholesky = cholesky_coefficients(st.penalties, [np.asarray(s1), np.asarray(s2)], z, NUMPY)
    got = st.coefficients([jnp.asarray(s1), jnp.asarray(s2)], jnp.asarray(z), jax_ops())
    assert np.allclose(np.asarray(got), expect, rtol=1e-12, atol=1e-12)
    got = cholesky_coefficients(st.penalties, [jnp.asarray(s1), jnp.asarray(s2)],
                                jnp.asarray(z), jax_ops())
    assert np.allclose(np.asarray(got), cholesky, rtol=1e-10, atol=1e-10)
    a, b, zz = pt.dscalar("a"), pt.dscalar("b"), pt.dvector("z")
    f = pytensor.function([a, b, zz], [st.coefficients([a, b], zz, pytensor_ops()),
                                       cholesky_coefficients(st.penalties, [a, b], zz,
                                                             pytensor_ops()),
                                       st.centered_scale([a, b], pytensor_ops())])
    joint, chol, sd = f(s1, s2, z)
    assert np.allclose(joint, expect, rtol=1e-12, atol=1e-12)
    assert np.allclose(chol, cholesky, rtol=1e-10, atol=1e-10)
    assert np.allclose(sd, st.centered_scale([np.asarray(s1), np.asarray(s2)], NUMPY))


def test_bad_penalties_are_refused():
    eye = np.eye(3)
    with pytest.raises(ValueError, match="two or more square"):
        MultiPenalty((eye,))
    with pytest.raises(ValueError, match="two or more square"):
        MultiPenalty((eye, np.eye(4)))
    with pytest.raises(ValueError, match="not penalized"):
        MultiPenalty((np.diag([1.0, 0, 0]), np.diag([0, 1.0, 0])))


def log_densities(design, parameterization: str, n: int = 3) -> list[tuple[float, float]]:
    """``(NumPyro, PyMC)`` log densities (no Jacobians) at ``n`` random points."""
    from numpyro.infer.util import log_density

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    spec = model_spec(design, parameterization=parameterization)
    nm = build_numpyro(design, spec=spec)
    pm_model = build_pymc(design, spec=spec).model
    logp = pm_model.compile_logp(jacobian=False)
    rng = np.random.default_rng(3)
    out = []
    for _ in range(n):
        values = {s.name: (rng.normal(size=s.shape) if s.support == "real"
                           else np.exp(rng.normal(size=s.shape) + 2)) for s in spec.sites}
        point = {}
        for rv in pm_model.free_RVs:
            value_var = pm_model.rvs_to_values[rv]
            v = values[rv.name]
            point[value_var.name] = v if value_var.name == rv.name else np.log(v)
        out.append((float(log_density(nm.model, (), {}, values)[0]), float(logp(point))))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("formula, parameterization", [
    (AIR_TE, "noncentered"), (AIR_TE, "centered"), ("Ozone ~ t2(Temp, Wind, k=5)", "noncentered"),
])
def test_numpyro_and_pymc_log_densities_agree(air, formula, parameterization):
    for a, b in log_densities(bz.design(formula, air), parameterization):
        assert abs(a - b) < 1e-9 * abs(a), (a, b)
