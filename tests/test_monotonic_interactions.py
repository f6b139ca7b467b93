"""brms's interaction of a monotonic effect with a numeric covariate, ``mo(x):z``: its own
``bsp_mox:z`` and simplex ``simo_mox:z1`` beside those of ``mo(x)``, the binomial log density
against brms's Stan expression ``bsp[2] * mo(simo_2, Xmo_2[n]) * Csp_1[n]`` written out by
hand, and NumPyro's and PyMC's joint densities equal at the same values."""

import numpy as np
import pandas as pd
import pytest
from reference_data import load
from scipy import stats

import bayeszoo as bz
from bayeszoo.families.ops import NUMPY
from bayeszoo.models.likelihood import model_data, pointwise_log_likelihood
from bayeszoo.models.spec import model_spec

FORMULA = "incidence | trials(size) ~ mo(period) + mo(period):size + (1 | herd)"
VALUES = {"Intercept": np.array(-1.2), "bsp_moperiod": np.array(-0.4),
          "z_0": np.array([0.5, 0.2, 0.3]), "bsp_moperiod:size": np.array(0.03),
          "z_1": np.array([0.1, 0.6, 0.3]), "sd_herd__Intercept": np.array(0.7),
          "z_2": np.linspace(-1.0, 1.0, 15)}


@pytest.fixture(scope="module")
def cbpp() -> pd.DataFrame:
    d = load("cbpp")
    d["period"] = d["period"].cat.as_ordered()
    return d


def mo(simo: np.ndarray, x: np.ndarray) -> np.ndarray:
    """brms's Stan function ``mo(scale, i) = rows(scale) * sum(scale[1:i])`` (0 at ``i = 0``)."""
    return np.array([len(simo) * simo[:i].sum() for i in x])


def test_names_and_sites(cbpp):
    spec = model_spec(bz.design(FORMULA, cbpp, family="binomial"))
    assert [s.name for s in spec.sites] == list(VALUES)
    assert set(spec.priors) == {"Intercept", "bsp_moperiod", "simo_moperiod1",
                                "bsp_moperiod:size", "simo_moperiod:size1",
                                "sd_herd__Intercept"}
    custom = model_spec(bz.design(FORMULA, cbpp, family="binomial"),
                        {"simo_moperiod:size1": "dirichlet(2)",
                         "bsp_moperiod:size": "normal(0, 1)"})
    assert str(custom.site("z_1").prior) == "dirichlet(2)"
    assert str(custom.site("z_0").prior) == "dirichlet(1)"
    assert str(custom.site("bsp_moperiod:size").prior) == "normal(0, 1)"


def test_log_density_is_brms_expression(cbpp):
    design = bz.design(FORMULA, cbpp, family="binomial")
    spec = model_spec(design)
    lp = pointwise_log_likelihood(spec, VALUES, model_data(design, spec), NUMPY,
                                  np.concatenate)
    x = cbpp["period"].cat.codes.to_numpy()
    size = cbpp["size"].to_numpy(dtype=float)
    herd = cbpp["herd"].cat.codes.to_numpy()
    eta = (-1.2 - 0.4 * mo(VALUES["z_0"], x) + 0.03 * mo(VALUES["z_1"], x) * size
           + 0.7 * VALUES["z_2"][herd])
    expected = stats.binom.logpmf(cbpp["incidence"], cbpp["size"], 1 / (1 + np.exp(-eta)))
    np.testing.assert_allclose(lp, expected, rtol=0, atol=1e-10)


def test_numpyro_and_pymc_agree(cbpp):
    pytest.importorskip("pymc")
    import jax.numpy as jnp
    from numpyro.infer.util import log_density

    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.models.pymc import build_pymc

    design = bz.design(FORMULA, cbpp, family="binomial")
    priors = {"b": "normal(0, 1)", "simo_moperiod:size1": "dirichlet(2)"}
    nm = build_numpyro(design, priors, sufficient_stats=False)
    pm_model = build_pymc(design, priors).model
    lp_numpyro = float(log_density(nm.model, (nm.data,), {},
                                   {k: jnp.asarray(v) for k, v in VALUES.items()})[0])
    point = {}
    for rv in pm_model.free_RVs:
        tr = pm_model.rvs_to_transforms.get(rv)
        v = VALUES[rv.name]
        point[pm_model.rvs_to_values[rv].name] = v if tr is None else \
            tr.forward(v, *rv.owner.inputs).eval()
    logp = pm_model.compile_logp(jacobian=False)
    assert lp_numpyro == pytest.approx(float(logp(point)), rel=1e-9)
