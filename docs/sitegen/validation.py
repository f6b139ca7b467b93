"""The validation table: every comparison of bayeszoo's numbers with a reference implementation
that the test suite makes, with the reference's version and the tolerance the test asserts.

:data:`CHECKS` names, for each comparison, the test that makes it (``file::function``) and the
fixture entry it reads. At build time :func:`table` checks both still exist (a renamed test or a
fixture key that is gone fails the build instead of leaving a stale row), reads the reference's
version from the fixture's metadata or from ``shared/fixtures/README.md``, and adds the error
measured on this build where it was recorded: ``.docs-cache/validation.json`` (written by
``measure.py`` beside this file: the cheap REML checks, refitted) and ``.docs-cache/measured/``
(written by the sampling reference tests as they run, through ``tests/agreement.py``).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from public import ROOT

SHARED = ROOT.parent / "shared" / "fixtures"
LOCAL = ROOT / "tests" / "fixtures"
MEASURED = ROOT / ".docs-cache" / "validation.json"
RECORDED = ROOT / ".docs-cache" / "measured"


@dataclass(frozen=True)
class Check:
    """One reference comparison: ``fixture`` is ``file.json:key`` (a CSV has no key)."""

    key: str
    reference: str
    model: str
    fixture: str
    quantity: str
    tolerance: str
    test: str
    #: the keys under which the test records what it measured (``tests/agreement.py``);
    #: none for checks that ``measure.py`` measures
    records: tuple[str, ...] = ()


_T = "tests/"
CHECKS: tuple[Check, ...] = (
    Check("mgcv-cr-basis", "mgcv", "mcycle `s(times, bs=\"cr\", k=20)` basis",
          "mgcv_reference.json:mcycle_cr_k20_unconstrained", "knots, model matrix, penalty",
          "abs 1e-10 (knots), 1e-8", _T + "test_smooths.py::test_cr_knots_and_raw_basis"),
    Check("mgcv-cr-constrained", "mgcv", "mcycle cr basis, centring constraint absorbed",
          "mgcv_reference.json:mcycle_cr_k20", "constrained model matrix (up to sign), penalty",
          "abs 1e-8", _T + "test_smooths.py::test_cr_absorb_cons"),
    Check("mgcv-mcycle-k20", "mgcv", "mcycle `gam(accel ~ s(times, bs=\"cr\", k=20))`",
          "mgcv_reference.json:gam_mcycle_cr_k20", "edf, REML score, scale, sp, intercept",
          "rel 1e-6 (edf, scale), abs 1e-5 (REML), rel 1e-5 (sp)",
          _T + "test_reml.py::test_mcycle_k20_matches_mgcv"),
    Check("mgcv-mcycle-k50", "mgcv", "mcycle cr smooth, k = 50", "mgcv_reference.json:"
          "gam_mcycle_cr_k50", "edf, REML score, scale, sp", "rel 1e-5, abs 1e-5 (REML)",
          _T + "test_reml.py::test_mcycle_k50_matches_mgcv"),
    Check("mgcv-mcycle-fx", "mgcv", "mcycle cr smooth, `fx=TRUE`",
          "mgcv_reference.json:gam_mcycle_cr_k50_fx", "edf, REML score, scale",
          "abs 1e-9 (edf), abs 1e-5 (REML), rel 1e-8",
          _T + "test_reml.py::test_mcycle_k50_fx_is_unpenalized"),
    Check("mgcv-radon-re", "mgcv", "radon `s(county, bs=\"re\")`",
          "mgcv_reference.json:gam_radon_re", "edf, REML score, sp, `gam.vcomp` sd and CI",
          "rel 1e-6 (edf), abs 1e-5 (REML), rel 1e-5 (sp, CI)",
          _T + "test_reml.py::test_radon_re_matches_mgcv_and_vcomp"),
    Check("mgcv-families", "mgcv", "cbpp binomial `s(herd, bs=\"re\")`",
          "mgcv_families.json:cbpp_binomial_re", "REML score, edf, sp, deviance, vcomp, fitted",
          "rel 1e-6 (fitted, vcomp)", _T + "test_reml_families.py::"
          "test_cbpp_binomial_random_effect"),
    Check("mgcv-poisson", "mgcv", "epilepsy Poisson `s(patient, bs=\"re\")`",
          "mgcv_families.json:epilepsy_poisson_re", "REML score, edf, sp, deviance, vcomp",
          "rel 1e-6 (vcomp)", _T + "test_reml_families.py::"
          "test_epilepsy_poisson_random_effect"),
    Check("mgcv-nb", "mgcv", "quine negative binomial, `nb()`", "mgcv_families.json:"
          "quine_negbin", "theta, REML score at mgcv's theta", "rel 1e-6 (theta), rel 1e-9",
          _T + "test_reml_families.py::test_quine_negative_binomial_theta"),
    Check("mgcv-pima", "mgcv", "Pima bernoulli, two cr smooths", "mgcv_families.json:"
          "pima_bernoulli_cr", "edf, sp, vcomp (estimated)", "rel 1e-4",
          _T + "test_reml_families.py::test_pima_bernoulli_estimated"),
    Check("mgcv-gaulss", "mgcv", "mcycle `gaulss()` location–scale",
          "mgcv_gaulss.json:mcycle_gaulss", "REML score, edf per term, sp, fitted mean and sd",
          "rel 1e-9 (REML), rel 1e-6 (edf, sd), rel 1e-5 (sp, mean)",
          _T + "test_reml_gaulss.py::test_gaulss_matches_mgcv"),
    Check("mgcv-te", "mgcv", "airquality `te`, `ti`, `t2`, 2-D tp; CO2 `by=`, `fs`; nottem "
          "`cc`", "mgcv_smooths2.json:air_te", "REML score, sp, edf, fitted, predictions ± se",
          "rel 1e-4 (mgcv's optimum is never better)",
          _T + "test_smooths2_reml.py::test_estimated_smoothing_parameters"),
    Check("mgcv-te-at-sp", "mgcv", "the same smooths at mgcv's smoothing parameters",
          "mgcv_smooths2.json:air_te", "REML score, edf, fitted, predictions ± se", "rel 1e-9",
          _T + "test_smooths2_reml.py::test_at_mgcvs_smoothing_parameters_the_fit_is_mgcvs"),
    Check("mgcv-side", "mgcv", "mtcars nested smooths (`gam.side`)",
          "mgcv_wave3.json:mtcars_side_nested", "columns dropped, REML score, fitted, edf",
          "exact (columns), rel 1e-8 (REML), rel 1e-5 (fitted)",
          _T + "test_side_constraints.py::test_nested_smooth_loses_the_columns_gam_side_deletes"),
    Check("mgcv-zip", "mgcv", "bioChemists `ziP()` with `s(ment, k = 5)`",
          "mgcv_wave3.json:biochemists_zip", "REML score, theta, coef ± se, edf, sp, E[y]",
          "abs 1e-4 (theta 1e-3)", _T + "test_reml_zip.py::test_biochemists_matches_mgcv"),
    Check("mgcv-multinom", "mgcv", "housing `multinom(K = 2)`, two formulas, frequency weights",
          "mgcv_wave3.json:housing_multinom", "REML score, coef ± se, edf, linear predictors, "
          "probabilities", "abs 1e-4",
          _T + "test_reml_multinom.py::test_housing_matches_mgcv"),
    Check("mgcv-coxph", "mgcv", "`cox.ph()`: simulated `s(x) + z` (300 rows); kidney "
          "`s(age, k = 5) + sex + disease`, tied times", "mgcv_coxph.json:sim",
          "REML score, sp, coef ± se, edf, linear predictor, survival", "abs 1e-4",
          _T + "test_reml_coxph.py::test_simulated_matches_mgcv"),
    Check("mgcv-summary", "mgcv", "13 models' `summary.gam`", "mgcv_summary.json:mcycle_cr20",
          "parametric table, edf, F/Chi.sq, p-values, R², deviance explained",
          "rel 2e-4 (p table), rel 1e-3 (s table), abs 1e-5 (R²)",
          _T + "test_reml_summary.py::test_tables_match_mgcv"),
    Check("lme4-reml", "lme4", "sleepstudy `Reaction ~ Days + (Days | Subject)`, REML",
          "lme4_reference.json:sleep_corr_reml", "REML criterion, theta, fixef ± se, VarCorr",
          "rel 1e-10 (criterion), rel 1e-4 (theta, se, sd)",
          _T + "test_reml_lme4.py::test_sleepstudy_correlated_reml"),
    Check("lme4-ml", "lme4", "sleepstudy, ML", "lme4_reference.json:sleep_corr_ml",
          "deviance, sigma, fixef", "rel 1e-10, rel 1e-4 (sigma)",
          _T + "test_reml_lme4.py::test_sleepstudy_correlated_ml"),
    Check("lme4-uncorr", "lme4", "sleepstudy `(Days || Subject)`",
          "lme4_reference.json:sleep_uncorr_reml", "criterion, VarCorr, fitted, se",
          "rel 1e-10, rel 1e-5 (sd, se), rel 1e-6 (fitted)",
          _T + "test_reml_lme4.py::test_sleepstudy_uncorrelated_through_formula"),
    Check("lme4-varcorr", "lme4", "sleepstudy VarCorr and ranef tables from the formula",
          "lme4_reference.json:sleep_corr_reml", "`as.data.frame(VarCorr())`, `ranef()`, "
          "criterion, fixef ± se, fitted", "rel 1e-6 (criterion), rel 1e-4 (the rest)",
          _T + "test_varcorr.py::test_reml_matches_lmer"),
    Check("brms-radon", "brms", "radon `(1 | county)` posterior",
          "brms_reference.json:radon_intercept", "posterior mean and 95 % interval; "
          "elpd_loo, p_loo", "abs 0.02 (mean), 0.03 (interval), 1.5 (elpd), 2.5 (p_loo)",
          _T + "test_sampling.py::test_radon_matches_brms"),
    Check("brms-mcycle", "brms", "mcycle cr spline posterior", "brms_reference.json:"
          "mcycle_cr_k20", "posterior means, fitted curve", "abs 0.3 (sds, sigma), 1.5 (curve)",
          _T + "test_sampling.py::test_mcycle_matches_brms"),
    Check("brms-families", "brms", "cbpp binomial, epilepsy Poisson posteriors",
          "brms_wave2.json:cbpp_binomial_re", "every parameter's mean and sd; LOO",
          "0.1 posterior sd (mean), 10 % (sd), 1.5 (elpd)",
          _T + "test_family_sampling.py::test_reference_posteriors_match_brms",
          ("cbpp_binomial_re", "epilepsy_poisson_re")),
    Check("brms-sleep", "brms", "sleepstudy `(Days | Subject)` posterior",
          "brms_wave2.json:sleep_corr", "every parameter's mean and sd; p_loo",
          "0.1 posterior sd (mean), 10 % (sd), 2 (p_loo)",
          _T + "test_correlated_sampling.py::test_matches_brms", ("sleep_corr",)),
    Check("brms-distributional", "brms", "mcycle `bf(..., sigma ~ s(times))` and `gp()`",
          "brms_wave2.json:mcycle_distributional", "every parameter's mean and sd, epred, "
          "elpd_loo", "0.1 sd (0.2 for lscale), 15 % (sd), 1.0 (epred), 2.0 (elpd)",
          _T + "test_mcycle_gp_distributional.py::test_matches_brms"),
    Check("brms-cumulative", "brms", "inhaler `cumulative` with `(1 | subject)`",
          "brms_wave3.json:inhaler_cumulative_re", "every parameter's mean and sd; LOO",
          "0.15 posterior sd (mean), 15 % (sd), 2.5 (p_loo), 2 (elpd)",
          _T + "test_ordinal_reference.py::test_posteriors_match_brms",
          ("inhaler_cumulative_re",)),
    Check("brms-categorical", "brms", "housing `categorical` with `weights(Freq)`",
          "brms_wave3.json:housing_categorical_weights", "every parameter's mean and sd; LOO",
          "0.15 posterior sd (mean), 15 % (sd), 2.5 (p_loo, elpd)",
          _T + "test_categorical_reference.py::test_posteriors_and_loo_match_brms",
          ("housing_categorical_weights",)),
    Check("brms-zero-inflated", "brms", "bioChemists zero-inflated Poisson; hurdle negative "
          "binomial with a `hu` formula", "brms_wave3.json:biochemists_zip",
          "every parameter's mean and sd; LOO",
          "0.15 posterior sd (mean), 15 % (sd), 2.5 (p_loo), 2 (elpd)",
          _T + "test_zero_inflated_reference.py::test_posteriors_match_brms",
          ("biochemists_zip", "biochemists_hurdle_nb_hu")),
    Check("brms-censored", "brms", "kidney Weibull (with `(1 | patient)`) and lognormal, "
          "`cens(censored)`", "brms_wave3.json:kidney_weibull_cens_re",
          "every parameter's mean and sd; LOO", "0.15 posterior sd (mean), 15 % (sd), "
          "2.5 (p_loo), elpd_loo se / 10 (elpd)",
          _T + "test_censoring_reference.py::test_posteriors_match_brms",
          ("kidney_weibull_cens_re", "kidney_lognormal_cens")),
    Check("brms-monotonic", "brms", "cbpp binomial with `mo(period)` and `(1 | herd)`",
          "brms_wave3.json:cbpp_monotonic_re", "every parameter's mean and sd; LOO",
          "0.15 posterior sd (mean), 15 % (sd), 2.5 (p_loo), 2 (elpd)",
          _T + "test_monotonic_reference.py::test_monotonic_posterior_matches_brms",
          ("cbpp_monotonic_re",)),
    Check("brms-ar1", "brms", "LakeHuron `ar(p = 1)`", "brms_wave3.json:lakehuron_ar1",
          "every parameter's mean and sd; LOO",
          "0.15 posterior sd (mean), 15 % (sd), 2.5 (p_loo), 2 (elpd)",
          _T + "test_ar_reference.py::test_ar1_posterior_matches_brms", ("lakehuron_ar1",)),
    Check("brms-nonlinear", "brms", "the loss triangle, `bf(cum ~ ult * (1 - exp(-(dev / "
          "theta)^omega)), ..., nl = TRUE)`", "brms_wave3.json:loss_nonlinear",
          "every parameter's mean and sd; LOO; epred",
          "0.15 posterior sd (mean), 15 % (sd), 2.5 (p_loo), 2 (elpd), 3 % (epred)",
          _T + "test_nonlinear_reference.py::test_nonlinear_posterior_matches_brms",
          ("loss_nonlinear",)),
    Check("brms-multivariate", "brms", "BTdata `mvbind(tarsus, back) ~ sex + hatchdate + "
          "(1 | p | fosternest)` with `rescor`", "brms_wave3.json:btdata_mv_rescor",
          "every parameter's mean and sd; joint LOO",
          "0.15 posterior sd (mean), 15 % (sd), 2.5 (p_loo), 2 (elpd)",
          _T + "test_multivariate_reference.py::test_posteriors_match_brms",
          ("btdata_mv_rescor",)),
    Check("brms-summary", "brms", "the Fit's printed summary", "brms_wave2.json:sleep_corr",
          "Estimate, Est.Error, 95 % CI", "4 Monte Carlo sd (mean), 8 (CI)",
          _T + "test_fit_reference.py::test_summary_matches_brms"),
    Check("brms-get-prior", "brms", "`get_prior` of 7 models", "brms_get_prior.json:radon",
          "every row (prior, class, coef, group, ...)", "exact",
          _T + "test_get_prior.py::test_get_prior_equals_brms"),
    Check("brms-default-priors", "brms", "default priors of 8 families",
          "brms_wave2.json:default_priors", "`get_prior` rows", "exact",
          _T + "test_family_models.py::test_default_priors_equal_the_fixture_rows"),
    Check("brms-standata", "brms", "smooth columns of every class on five data sets",
          "brms_smooth_standata.json:cases", "`standata()` Xs and Zs (up to sign)", "abs 1e-8",
          _T + "test_smooth_brms_standata.py::test_fixed_columns_and_blocks_are_brms_up_to_sign"),
    Check("brms-cr-xs", "brms", "mcycle cr smooth", "brms_mcycle_k20_Xs.csv",
          "`standata()` Xs and Zs", "abs 1e-8", _T + "test_smooths.py::test_cr_matches_brms_Xs_Zs"),
    Check("posteriordb", "posteriordb", "eight schools (non-centered); kidiq, earnings and "
          "mesquite regressions", "posteriordb_reference.json:"
          "eight_schools-eight_schools_noncentered", "every parameter's mean and sd against "
          "Stan's reference draws", "0.1 reference sd (mean), 10 % (sd)",
          _T + "test_posteriordb_reference.py::test_posterior_matches_posteriordb",
          ("eight_schools-eight_schools_noncentered", "kidiq-kidscore_momiq",
           "earnings-logearn_height", "mesquite-logmesquite_logvolume")),
    Check("sbc-model", "SBC", "a Gaussian model, and the same with a wrong likelihood scale",
          "", "rank uniformity (Säilynoja et al. 2022 ECDF test)",
          "p > 0.01 for the model; p < 0.01 for the wrong scale",
          _T + "test_sbc.py::test_sbc_passes_for_the_model_and_fails_for_a_wrong_likelihood_scale"),
    Check("sbc-band", "SBC", "the ECDF band", "", "simultaneous coverage of the band",
          "within Monte Carlo error of 95 %",
          _T + "test_sbc.py::test_ecdf_band_has_its_simultaneous_coverage"),
)


def _versions_from_readme() -> dict[str, str]:
    readme = SHARED / "README.md"
    text = readme.read_text() if readme.is_file() else ""
    found = {name: v for name, v in re.findall(r"\b(mgcv|brms|lme4|loo) ([0-9][0-9.\-]*)", text)}
    found["SBC"] = "bayeszoo's own (Talts et al. 2018; Säilynoja et al. 2022)"
    return found


def _fixture_file(name: str) -> Path:
    return SHARED / name if (SHARED / name).is_file() else LOCAL / name


def _version(check: Check, readme: dict[str, str]) -> str:
    name = check.fixture.split(":", 1)[0]
    if name.endswith(".json") and _fixture_file(name).is_file():
        meta = json.loads(_fixture_file(name).read_text()).get("meta", {})
        if check.reference in meta:
            return f"{check.reference} {meta[check.reference]}"
    return f"{check.reference} {readme.get(check.reference, '')}".strip()


def _test_exists(test: str) -> bool:
    path, function = test.split("::")
    tree = ast.parse((ROOT / path).read_text())
    return any(isinstance(n, ast.FunctionDef) and n.name == function for n in tree.body)


def _fixture_exists(fixture: str) -> bool:
    if not fixture:
        return True
    name, _, key = fixture.partition(":")
    path = _fixture_file(name)
    if not path.is_file():
        return not SHARED.is_dir()  # a checkout without the shared fixtures: nothing to check
    return not key or key in json.loads(path.read_text())


def stale() -> list[str]:
    """Checks whose test or fixture entry no longer exists."""
    return [c.key for c in CHECKS if not (_test_exists(c.test) and _fixture_exists(c.fixture))]


def measured() -> dict[str, str]:
    """Check key -> the error measured on this build: written by ``measure.py`` for the REML
    checks, and by the reference tests (``tests/agreement.py``) under each of a check's
    ``records``, one entry per case and part (posterior, LOO)."""
    from public import version

    found: dict[str, str] = {}
    if MEASURED.is_file():
        found = {k: v["error"] for k, v in json.loads(MEASURED.read_text()).items()
                 if v.get("version") == version()}
    for check in CHECKS:
        parts = []
        for record in check.records:
            texts = [json.loads(path.read_text())
                     for path in sorted(RECORDED.glob(f"{record}.*.json"))]
            current = [t["error"] for t in texts if t.get("version") == version()]
            if current:
                parts.append(f"{record}: {'; '.join(current)}" if len(check.records) > 1
                             else "; ".join(current))
        if parts:
            found[check.key] = "<br>".join(parts)
    return found


def table() -> str:
    """The Markdown table of :data:`CHECKS`."""
    gone = stale()
    if gone:
        raise ValueError(f"validation checks whose test or fixture is gone: {', '.join(gone)}")
    readme = _versions_from_readme()
    errors = measured()
    rows = ["| model | reference | quantity | tolerance | measured here | test |",
            "|---|---|---|---|---|---|"]
    for c in CHECKS:
        source = f" (`{c.fixture}`)" if c.fixture else ""
        rows.append(f"| {c.model} | {_version(c, readme)}{source} | {c.quantity} | "
                    f"{c.tolerance} | {errors.get(c.key, '')} | `{c.test}` |")
    return "\n".join(rows)
