"""What a fresh process pays before it computes anything: ``import bayeszoo`` loads no heavy
library, and the names it exports still resolve (``bz.design`` stays the function when the
submodule ``bayeszoo.design`` is imported)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

HEAVY = ("numpy", "pandas", "scipy", "jax", "numpyro", "pymc", "pytensor", "arviz", "xarray",
         "matplotlib", "flax")


def imported_modules(code: str, top_level: bool = True) -> set[str]:
    """Modules ``python -X importtime -c code`` reports importing: their top-level packages, or
    with ``top_level=False`` their full dotted names."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    names = set()
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            names.add(name.split(".")[0] if top_level else name)
    return names


def test_import_bayeszoo_loads_no_heavy_library():
    loaded = imported_modules("import bayeszoo")
    assert "bayeszoo" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_design_module_loads_neither_pandas_nor_scipy():
    loaded = imported_modules("import bayeszoo.design")
    assert "numpy" in loaded
    assert not loaded & {"pandas", "scipy", "jax", "arviz"}, sorted(loaded)


def test_design_without_covariates_or_p_splines_loads_neither_formulaic_nor_interpolate():
    """A random intercept's design (constant fixed part, no P-spline) skips formulaic and
    scipy.interpolate, 0.2-0.4 s of imports each on two cores."""
    loaded = imported_modules("import bayeszoo as bz; bz.design('log_radon ~ 1 + (1 | county)', "
                              "bz.datasets.load_radon())", top_level=False)
    assert {"bayeszoo.design", "pandas"} <= loaded
    assert not loaded & {"formulaic", "scipy.interpolate"}, sorted(loaded)


def test_design_function_survives_importing_the_design_module():
    import bayeszoo as bz
    import bayeszoo.design
    from bayeszoo.design import Design

    assert callable(bz.design) and bz.design.__module__ == "bayeszoo"
    assert bz.Design is Design and bz.Block is sys.modules["bayeszoo.design"].Block
    d = bz.design("log_radon ~ 1 + (1 | county)", bz.datasets.load_radon())
    assert isinstance(d, Design) and d.n == 919


def test_unknown_attribute_is_named():
    import bayeszoo as bz

    with pytest.raises(AttributeError, match="no_such_thing"):
        bz.no_such_thing  # noqa: B018


def chains_with_trouble(seed: int = 1) -> np.ndarray:
    """4 chains × 1000 draws of 5 parameters: autocorrelated, tied (rounded), one chain
    stuck off the others, heavy-tailed, and a random walk."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, 1000, 5)).cumsum(axis=1) * 0.05 + rng.normal(size=(4, 1000, 5))
    x[..., 1] = np.round(x[..., 1], 1)
    x[2, :, 2] += 0.5
    x[..., 3] = rng.standard_t(2, size=(4, 1000))
    x[..., 4] = rng.normal(size=(4, 1000)).cumsum(axis=1)
    return x


@pytest.mark.parametrize("draws", [1000, 7, 4])
def test_rhat_and_ess_match_arviz(draws):
    import arviz as az

    from bayeszoo.inference import convergence as cv

    x = chains_with_trouble()[:, :draws]
    ds = az.convert_to_dataset({"a": x})
    np.testing.assert_allclose(cv.rhat(x), az.rhat(ds)["a"].values, rtol=1e-10)
    for method, ours in (("bulk", cv.ess_bulk), ("tail", cv.ess_tail), ("mean", cv.ess_mean)):
        np.testing.assert_allclose(ours(x), az.ess(ds, method=method)["a"].values, rtol=1e-10,
                                   err_msg=method)


def test_rhat_and_ess_of_bad_draws_are_nan_or_size():
    from bayeszoo.inference import convergence as cv

    x = chains_with_trouble()[:, :100, :3].copy()
    x[0, 5, 0] = np.nan
    x[..., 1] = 2.5
    assert np.isnan(cv.rhat(x)[0]) and np.isnan(cv.ess_bulk(x)[0])
    assert cv.ess_mean(x)[1] == 400 and np.isfinite(cv.rhat(x)[2])
    one = cv.rhat(x[:1])  # one chain: the R-hat of its two halves, as posterior::rhat
    assert np.isnan(one[:2]).all() and np.isfinite(one[2])


def test_psis_loo_matches_arviz():
    import warnings

    import arviz as az

    from bayeszoo.inference.draws_summary import relative_ess
    from bayeszoo.inference.psis import psis_loo

    rng = np.random.default_rng(2)
    mu, log_sd = rng.normal(size=(2, 4, 500)) * 0.1
    y = rng.standard_t(3, size=300)
    y[:3] = [8.0, -10.0, 15.0]  # outliers: Pareto k above 0.7
    sd = np.exp(log_sd)[..., None]
    ll = -0.5 * ((y - mu[..., None]) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)
    post = {"mu": mu, "sd": np.exp(log_sd), "v": rng.normal(size=(4, 500, 3))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = az.loo(az.from_dict(posterior=post, log_likelihood={"y": ll}), pointwise=True)
    ours = psis_loo(ll, relative_ess(post))
    assert ours.elpd_loo == pytest.approx(ref.elpd_loo, rel=1e-12)
    assert ours.se == pytest.approx(ref.se, rel=1e-12)
    assert ours.p_loo == pytest.approx(ref.p_loo, rel=1e-10)
    np.testing.assert_allclose(ours.pareto_k, ref.pareto_k.values, rtol=1e-10)
    np.testing.assert_allclose(ours.loo_i, ref.loo_i.values, rtol=1e-12)
    assert (ours.pareto_k[:3] > 0.7).all()


@pytest.mark.slow
def test_cli_figures_from_arrays_match_the_inference_data():
    """The headline and summary table ``bayeszoo fit`` prints from the arrays are those ArviZ
    gives on the InferenceData the same draws become."""
    from bayeszoo.api import fit_draws, headline
    from bayeszoo.inference.draws_summary import draws_headline, draws_summary
    from bayeszoo.reports import summary_table

    draws = fit_draws("radon_intercept", chains=2, draws=200, tune=200, seed=1, progress=False)
    idata = draws.inference_data()
    ours, ref = draws_headline(draws), headline(idata)
    for key in ("sampling_seconds", "compile_seconds", "total_seconds"):
        ours.pop(key), ref.pop(key)
    assert ours == ref
    names = ["b_Intercept", "sd_county__Intercept", "sigma"]
    import pandas as pd

    pd.testing.assert_frame_equal(draws_summary(draws.posterior, names),
                                  summary_table(idata, names), rtol=1e-10)
    np.testing.assert_array_equal(idata.posterior["r_county"].values,
                                  draws.posterior["r_county"])


@pytest.mark.slow
def test_fit_command_imports_neither_arviz_nor_matplotlib():
    """``bayeszoo fit`` without ``-o`` summarizes arrays: ArviZ, xarray and matplotlib (more
    than a small model's sampling to import) stay unloaded."""
    loaded = imported_modules("import sys; from bayeszoo.cli import main; sys.exit(main(["
                              "'fit', 'radon_intercept', '-q', '--chains', '2', '--draws', '200',"
                              " '--tune', '200']))")
    assert {"bayeszoo", "jax", "numpyro", "pandas"} <= loaded
    assert not loaded & {"arviz", "xarray", "matplotlib"}, sorted(loaded)
