"""``bz.reml`` refuses every registered family that mgcv lacks with a message naming the
NumPyro, PyMC and nutpie samplers, and points brms's families to mgcv's twins
(``zero_inflated_poisson`` -> ``ziP``, ``cumulative`` -> ``ocat``, ``categorical`` ->
``multinom``); the ``bayeszoo reml`` command takes mgcv's REML-only families, and ``bayeszoo
fit`` refuses them naming their sampler twins."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeszoo as bz
from bayeszoo import cli
from bayeszoo.families import FAMILIES, REML_ONLY
from bayeszoo.families.base import reml_refusal

#: the families bz.reml fits (mgcv's exponential families and nb)
REML_FITS = {"gaussian", "bernoulli", "binomial", "poisson", "negbinomial", "gamma"}

rng = np.random.default_rng(1)
N = 40
X = rng.normal(size=N)
FRAMES = {
    "cont": ("y ~ x", pd.DataFrame({"y": rng.uniform(0.1, 0.9, N), "x": X})),
    "count": ("y ~ x", pd.DataFrame({"y": rng.integers(0, 5, N).astype(float), "x": X})),
    "binary": ("y ~ x", pd.DataFrame({"y": rng.integers(0, 2, N).astype(float), "x": X})),
    "rating": ("y ~ x", pd.DataFrame({"y": rng.integers(1, 4, N).astype(float), "x": X})),
    "trials": ("y | trials(t) ~ x",
               pd.DataFrame({"y": rng.integers(0, 3, N).astype(float), "t": 3.0, "x": X})),
}


def _reml(name):
    """``bz.reml`` of family ``name`` on the first response kind its design accepts: the fit, or
    the message of the REML refusal."""
    last = None
    for formula, df in FRAMES.values():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return bz.reml(formula, df, family=name)
        except ValueError as err:
            last = str(err)
            if "REML is not available" in last:
                return last
    return last


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_family_fits_or_names_the_samplers(name):
    out = _reml(name)
    if name in REML_FITS:
        assert not isinstance(out, str), out
        return
    assert isinstance(out, str) and "REML is not available" in out, out
    assert all(s in out for s in ("NumPyro", "PyMC", "nutpie")), out


@pytest.mark.parametrize(("brms", "mgcv"), [("zero_inflated_poisson", "ziP"),
                                            ("cumulative", "ocat"),
                                            ("categorical", "multinom"),
                                            ("weibull", "cox.ph")])
def test_twins_suggested(brms, mgcv):
    message = _reml(brms) if brms in FAMILIES else reml_refusal(brms)
    assert f"family='{mgcv}'" in message


def test_categorical_refusal_names_multinom():
    text = reml_refusal("categorical")
    assert "bz.reml(..., family='multinom')" in text and "nutpie" in text


def test_reml_only_families_refused_by_the_samplers():
    for name, advice in REML_ONLY.items():
        with pytest.raises(ValueError) as err:
            bz.families.get(name)
        assert str(err.value) == advice
    assert "family='categorical'" in REML_ONLY["multinom"]
    assert "family='zero_inflated_poisson'" in REML_ONLY["ziP"]
    assert "family='cumulative'" in REML_ONLY["ocat"]


def test_cli_reml_takes_mgcv_families(capsys, tmp_path):
    d = bz.datasets.load_housing()
    path = tmp_path / "housing.csv"
    codes = d["Sat"].cat.codes
    d.assign(rating=codes + 1, y0=codes).to_csv(path, index=False)
    assert cli.main(["reml", "rating | weights(Freq) ~ Infl", "--data", str(path),
                     "--family", "ocat", "-q"]) == 0
    assert '"reml_score"' in capsys.readouterr().out
    assert cli.main(["reml", "y0 | weights(Freq) ~ Infl + Type + Cont", "~ Infl + Type + Cont",
                     "--data", str(path), "--family", "multinom", "-q"]) == 0
    assert '"reml_score": 1184.1718' in capsys.readouterr().out  # mgcv's housing_multinom
    # strings: categories sorted as R's factor(), so 'High' is the reference (668 rows)
    assert cli.main(["reml", "Sat | weights(Freq) ~ Infl + Type + Cont", "~ Infl + Type + Cont",
                     "--data", str(path), "--family", "multinom", "-q"]) == 0
    assert '"reml_score": 1083.1718' in capsys.readouterr().out
    assert cli.main(["reml", "time | cens(censored) ~ age", "--data", "kidney",
                     "--family", "cox.ph", "-q"]) == 0


def test_cli_messages(capsys):
    assert cli.main(["reml", "time ~ age", "--data", "kidney", "--family", "weibull"]) != 0
    err = capsys.readouterr().err
    assert "NumPyro, PyMC and nutpie" in err and "family='cox.ph'" in err
    assert cli.main(["fit", "--formula", "time ~ age", "--data", "kidney",
                     "--family", "cox.ph"]) != 0
    assert "'cox.ph' is mgcv's Cox proportional hazards family" in capsys.readouterr().err
