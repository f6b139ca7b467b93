"""A fit whose sampler struggled says so: the warning lines (count and what to try) that
``bz.sample``/``bz.fit`` warn with, ``bayeszoo fit`` prints and the report shows, the
``converged`` flag and exit status, one-chain R-hat, too few draws, infinite R-hat in JSON and
the rescaling hint for an ill-scaled predictor."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest


def checks(**kw):
    from bayeszoo.diagnostics import FitChecks

    base = {"chains": 4, "draws": 250, "divergences": 0, "tree_depth_hits": 0,
            "max_rhat": 1.0, "min_ess_bulk": 900.0}
    return FitChecks(**{**base, **kw})


def test_each_problem_is_one_line_with_its_count_and_what_to_try():
    c = checks(divergences=49, tree_depth_hits=7, max_rhat=1.234, min_ess_bulk=31.6,
               parameterization="noncentered", target_accept=0.8)
    assert c.warnings() == [
        "49 divergent transition(s) after warm-up, of 1000 (4.9%): the posterior has regions "
        "NUTS cannot follow; the fit is already non-centered: raise target_accept from 0.8 to "
        "0.95, or give the scales (sd, sds, sigma) tighter priors",
        "7 transition(s) of 1000 hit the maximum tree depth 10: NUTS needed very long "
        "trajectories (a long, narrow posterior); rescale predictors to unit scale or give "
        "flat-prior coefficients proper priors",
        "max R-hat 1.234 > 1.01: the 4 chain(s) have not mixed; run longer warm-up (tune) and "
        "more draws, or check the model",
        "min bulk ESS 32 < 400: too few effective draws for reliable means and intervals; run "
        "more draws (now 250 per chain)",
    ]
    assert c.converged is False  # R-hat above 1.1
    assert checks().warnings() == [] and checks().converged is True
    assert checks(max_rhat=1.05).converged is True  # warned about, not a failure


def test_divergence_advice_follows_the_parameterization():
    centered = checks(divergences=3, parameterization="centered")
    assert centered.sampler_lines()[0].endswith(
        "try the non-centered form (parameterization='noncentered')")
    high = checks(divergences=3, target_accept=0.95)
    assert "non-centered form" not in high.sampler_lines()[0]
    assert "raise target_accept from 0.95 to 0.99" in high.sampler_lines()[0]


def test_infinite_rhat_is_not_converged_and_a_string_in_json():
    from bayeszoo.cli_args import plain_json

    c = checks(max_rhat=float("inf"))
    assert c.converged is False
    assert c.mixing_lines()[0].startswith("max R-hat not finite: the 4 chain(s) have not mixed")
    assert json.dumps(plain_json({"max_rhat": float("inf"), "low": float("-inf"),
                                  "elpd": float("nan")})) == \
        '{"max_rhat": "inf", "low": "-inf", "elpd": null}'


def test_rhat_warning_hints_at_rescaling_an_ill_scaled_column():
    from bayeszoo.diagnostics import ill_scaled_columns

    X = np.column_stack([np.ones(50), np.linspace(0, 1e-5, 50), np.linspace(0, 5, 50)])
    scaled = ill_scaled_columns(X, ["Intercept", "dose", "age"])
    assert list(scaled) == ["dose"] and scaled["dose"] == pytest.approx(2.945e-6, rel=1e-3)
    line = checks(max_rhat=1.79, ill_scaled=scaled).mixing_lines()[0]
    assert line == ("max R-hat 1.790 > 1.01: the 4 chain(s) have not mixed; fixed-effect "
                    "column(s) 'dose' (sd 2.95e-06) lie far from unit scale (sd outside "
                    "0.001..1000): rescale them, e.g. to standard units")


def test_one_chain_has_the_rhat_of_its_two_halves():
    from arviz.stats.diagnostics import _rhat, _split_chains, _z_scale

    from bayeszoo.inference import convergence as cv

    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 400))
    x[0, 200:] += 1.0  # the second half sits elsewhere: not converged
    split = _split_chains(x)
    ref = max(_rhat(_z_scale(split)), _rhat(_z_scale(np.abs(split - np.median(split)))))
    assert cv.rhat(x) == pytest.approx(ref, rel=1e-10)
    assert cv.rhat(x) > 1.1


def test_fit_checks_of_draws_with_one_chain_warn_about_rhat():
    from bayeszoo.inference.fit_checks import draws_checks

    rng = np.random.default_rng(4)
    a = rng.normal(size=(1, 400))
    a[0, 200:] += 3.0
    c = draws_checks({"a": a}, {"diverging": np.zeros((1, 400), bool),
                                "tree_depth": np.full((1, 400), 3)}, {})
    assert c.chains == 1 and c.max_rhat > 1.5 and not c.converged
    assert c.mixing_lines()[0].startswith(f"max R-hat {c.max_rhat:.3f} > 1.01: the 1 chain(s)")


def test_too_few_draws_are_refused_before_compiling():
    import bayeszoo as bz

    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 2.5], "x": [0.0, 1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"^draws=1 per chain is too few: R-hat and ESS need "
                                         r"at least 4 \(ArviZ gives NaN below that\)"):
        bz.sample("y ~ x", df, draws=1)


def test_report_warns_about_the_maximum_tree_depth():
    import arviz as az

    from bayeszoo.inference.fit_checks import idata_checks
    from bayeszoo.reports.tables import sampler_table, sampler_warnings

    rng = np.random.default_rng(5)
    depth = np.full((2, 100), 4)
    depth[1, :12] = 10
    idata = az.from_dict(posterior={"b": rng.normal(size=(2, 100))},
                         sample_stats={"diverging": np.zeros((2, 100), bool),
                                       "energy": rng.normal(size=(2, 100)),
                                       "tree_depth": depth})
    lines = sampler_warnings(sampler_table(idata), idata_checks(idata))
    assert lines[0].startswith("12 transition(s) of 200 hit the maximum tree depth 10: ")


def test_sample_warns_with_the_rescaling_hint():
    """A real short run: a predictor in 1e-6 units under a flat prior does not mix."""
    import bayeszoo as bz
    from bayeszoo.diagnostics import SamplerWarning

    rng = np.random.default_rng(6)
    x = rng.normal(size=40)
    df = pd.DataFrame({"y": 2.0 * x + rng.normal(size=40), "x": x * 1e-6})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = bz.sample("y ~ x", df, chains=2, draws=50, tune=50, progress=False)
    lines = [str(w.message) for w in caught if issubclass(w.category, SamplerWarning)]
    rhat = [ln for ln in lines if ln.startswith("max R-hat")]
    assert rhat, lines
    assert "column(s) 'x' (sd 9." in rhat[0] and rhat[0].endswith(
        "rescale them, e.g. to standard units")
    assert fit.posterior.sizes["draw"] == 50
