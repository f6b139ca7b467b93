"""Neural-network terms ``nn()`` without sampling: the block, its names and default weight
priors, the NumPyro log density against a forward pass written out in NumPy, priors=, bad
input, and the backends that refuse a network."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from reference_data import load
from scipy import stats

import bayeszoo as bz
from bayeszoo.formula import FormulaError
from bayeszoo.models.spec import model_spec

NET = "accel ~ 1 + nn(times, hidden=20)"


@pytest.fixture(scope="module")
def mcycle() -> pd.DataFrame:
    return load("mcycle")


def test_block_names_and_default_priors(mcycle):
    d = bz.design(NET, mcycle)
    (blk,) = d.blocks
    assert (blk.kind, blk.term, blk.names.coef) == ("nn", "nn(times)", "nn_nntimes")
    assert blk.names.coords[0][:2] == ("w1[times,1]", "w1[times,2]")
    assert blk.names.coords[0][-1] == "w2[20]"
    assert blk.structure.n_weights == 20 + 20 + 20
    x = mcycle["times"].to_numpy()
    np.testing.assert_allclose(blk.matrix[:, 0], (x - x.mean()) / x.std(ddof=1))
    spec = model_spec(d)
    mad = 1.4826 * np.median(np.abs(mcycle.accel - np.median(mcycle.accel)))
    assert spec.priors["nn_nntimes_w1"] == "normal(0, 2.5)"
    assert spec.priors["nn_nntimes_b1"] == "normal(0, 2.5)"
    # output weights: the intercept prior's scale (brms: max(2.5, mad(y)) = 35.6) over sqrt(20)
    assert spec.priors["Intercept"] == "student_t(3, -13.3, 35.6)"
    assert spec.mu.blocks[0].structure.prior_sd[2] == pytest.approx(
        round(mad, 1) / math.sqrt(20), rel=1e-3)


def _by_hand(values: dict, spec, d, y: np.ndarray) -> float:
    """The log joint density of ``values`` with the network's forward pass written out."""
    w1_sd, b1_sd, w2_sd = spec.mu.blocks[0].structure.prior_sd
    z = values["z_0"]
    w1, b1, w2 = z[:20] * w1_sd, z[20:40] * b1_sd, z[40:] * w2_sd
    x = d.blocks[0].matrix  # standardized times, n x 1
    eta = values["Intercept"] + np.tanh(x @ w1[None, :] + b1) @ w2
    loglik = stats.norm.logpdf(y, eta, values["sigma"]).sum()
    prior = stats.norm.logpdf(z).sum()
    prior += stats.t.logpdf(values["Intercept"], 3, -13.3, 35.6)
    prior += np.log(2) + stats.t.logpdf(values["sigma"], 3, 0, 35.6)  # half student-t
    return float(loglik + prior)


def test_numpyro_log_density_matches_a_numpy_forward_pass(mcycle):
    from numpyro.infer.util import log_density

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    d = bz.design(NET, mcycle)
    m = build_numpyro(d)
    rng = np.random.default_rng(0)
    for _ in range(3):
        values = {"Intercept": np.array(rng.normal(-10, 5)),
                  "sigma": np.array(rng.uniform(10, 40)), "z_0": rng.normal(size=60)}
        lp, _ = log_density(m.model, (), {}, values)
        assert np.isfinite(float(lp))
        assert float(lp) == pytest.approx(_by_hand(values, m.spec, d, mcycle.accel.to_numpy()),
                                          rel=1e-10)


def test_deeper_network_and_activation(mcycle):
    d = bz.design('accel ~ nn(times, hidden=c(8, 4), activation="relu")', mcycle)
    net = d.blocks[0].structure
    assert (net.hidden, net.activation, net.n_weights) == ((8, 4), "relu", 8 + 8 + 32 + 4 + 4)
    assert [g for g, _ in net.groups()] == ["w1", "b1", "w2", "b2", "w3"]


def test_priors_set_weight_groups(mcycle):
    d = bz.design(NET, mcycle)
    spec = model_spec(d, priors={"nn_w1": "normal(0, 1)", "nn_nntimes_w2": "normal(0, 3)"})
    assert spec.mu.blocks[0].structure.prior_sd == (1.0, 2.5, 3.0)
    assert spec.priors["nn_nntimes_w1"] == "normal(0, 1)"
    with pytest.raises(ValueError, match="nn_w1.*normal\\(0, s\\)"):
        model_spec(d, priors={"nn_w1": "student_t(3, 0, 1)"})


def test_sigma_network_through_bf(mcycle):
    d = bz.design(bz.bf(NET, sigma="~ 1 + nn(times, hidden=5)"), mcycle)
    (blk,) = d.dpars["sigma"].blocks
    assert blk.names.coef == "nn_sigma_nntimes"
    spec = model_spec(d)
    assert "nn_sigma_nntimes_w2" in spec.priors
    # log link: the output weights scale with sigma's intercept prior (2.5 on the log scale)
    assert spec.predictors[1].blocks[0].structure.prior_sd[2] == pytest.approx(2.5 / math.sqrt(5))


@pytest.mark.parametrize("formula, match", [
    ("accel ~ nn(times, hidden=0)", "hidden must be a positive integer"),
    ('accel ~ nn(times, activation="gelu")', "activation must be one of"),
    ("accel ~ nn(times, width=3)", "unsupported argument 'width'"),
    ("accel ~ nn(grp)", "covariate 'grp' is not numeric"),
    ("accel ~ nn(const)", "covariate 'const' is constant"),
    ("accel ~ nn(nope)", "nope"),
])
def test_bad_terms_are_named(mcycle, formula, match):
    df = mcycle.assign(grp=pd.Categorical(["a", "b"] * 66 + ["a"]), const=1.0)
    with pytest.raises(FormulaError, match=match):
        bz.design(formula, df)


@pytest.mark.parametrize("backend", ["pymc", "nutpie"])
def test_pytensor_backends_refuse_a_network(mcycle, backend):
    with pytest.raises(ValueError, match="nn\\(times\\).*backend='numpyro'"):
        bz.sample(NET, mcycle, backend=backend, chains=1, draws=5, tune=5, progress=False)


def test_reml_refuses_a_network(mcycle):
    with pytest.raises(ValueError, match="REML.*nn\\(times\\)"):
        bz.reml(NET, mcycle)


def flax_mlp(network, weights, intercept: float):
    """One draw of a network block's flat ``weights`` as a :class:`bayeszoo.nn.MLP` (Flax NNX,
    one linear output whose bias is ``intercept``)."""
    import jax.numpy as jnp

    from bayeszoo.nn import MLP

    w = network.unflatten(np.asarray(weights, dtype=float))
    mlp = MLP(network.in_features, network.hidden, out_features=1,
              activation=network.activation, output="linear", rngs=0)
    for k, layer in enumerate(mlp.layers):
        layer.kernel.value = jnp.asarray(w[f"w{k + 1}"], dtype=layer.kernel.value.dtype)
        layer.bias.value = jnp.asarray(w[f"b{k + 1}"], dtype=layer.bias.value.dtype)
    head = w[f"w{len(network.hidden) + 1}"][:, None]
    mlp.head.kernel.value = jnp.asarray(head, dtype=mlp.head.kernel.value.dtype)
    mlp.head.bias.value = jnp.full(1, intercept, dtype=mlp.head.bias.value.dtype)
    return mlp


def test_forward_pass_is_the_flax_mlp_of_bayeszoo_nn(mcycle):
    from bayeszoo.families.ops import NUMPY

    d = bz.design('accel ~ nn(times, hidden=c(6, 3), activation="sigmoid")', mcycle)
    blk = d.blocks[0]
    weights = np.random.default_rng(1).normal(size=blk.structure.n_weights)
    ours = blk.structure.contribution(weights, blk.matrix, NUMPY)
    flax = np.asarray(flax_mlp(blk.structure, weights, intercept=2.0)(blk.matrix))[:, 0]
    np.testing.assert_allclose(flax, ours + 2.0, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, n, weights", [
    ("mcycle_bnn", 133, 60), ("mcycle_bnn_distributional", 133, 60),
    ("penguins_bnn", 333, 3 * 10 + 10 + 10),
])
def test_zoo_networks_build_their_designs(name, n, weights):
    e = bz.zoo.get(name)
    d = bz.design(e.formula, e.load_data())
    assert d.n == n
    assert [b.structure.n_weights for b in d.blocks if b.kind == "nn"] == [weights]
    gam = bz.zoo.get("penguins_gam")
    assert bz.design(gam.formula, gam.load_data()).n == 333
