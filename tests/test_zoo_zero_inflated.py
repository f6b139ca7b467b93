"""The zoo's bioChemists entries (negative binomial, zero-inflated Poisson, hurdle negative
binomial with a ``hu`` formula) and the lognormal ozone model: their designs, their place in
``bayeszoo run`` (ZIP against hurdle NB by LOO, brms 2.18's elpd_loo of ``brms_wave3.json``) and
the new family names on ``bayeszoo fit --family``."""

import json

import pytest
from conftest import FIXTURES, run_cli

import bayeszoo as bz
from bayeszoo.models import zoo

FORMULA = "art ~ fem + mar + kid5 + phd + ment"
ENTRIES = {
    "biochemists_negbinomial": ("biochemists", "negbinomial", FORMULA),
    "biochemists_zip": ("biochemists", "zero_inflated_poisson", FORMULA),
    "biochemists_hurdle_nb": ("biochemists", "hurdle_negbinomial",
                              bz.bf(FORMULA, hu="~ fem + ment")),
    "airquality_lognormal": ("airquality", "lognormal", "Ozone ~ Temp + Wind"),
}
SMALL = ["--chains", "2", "--draws", "150", "--tune", "300", "--seed", "3"]


def brms_loo(case: str) -> dict:
    return json.loads((FIXTURES / "brms_wave3.json").read_text())[case]["loo"]


@pytest.mark.parametrize("name", list(ENTRIES))
def test_entries_build_their_designs(name):
    dataset, family, formula = ENTRIES[name]
    e = zoo.get(name)
    assert (e.dataset, e.family, e.formula) == (dataset, family, formula)
    assert e.description and e.question
    assert e.backends == ("numpyro", "pymc", "nutpie", "blackjax")
    data = e.load_data()
    d = bz.design(e.formula, data, family=e.family_object())
    assert d.family.name == family and d.n == len(data)
    assert d.n == (915 if dataset == "biochemists" else 116)


def test_hurdle_entry_has_a_hu_formula_and_brms_priors():
    """``hu ~ fem + ment``: brms's default priors, the ``hu`` intercept logistic(0, 1)."""
    e = zoo.get("biochemists_hurdle_nb")
    priors = bz.get_prior(e.formula, e.load_data(), family=e.family)
    ref = json.loads((FIXTURES / "brms_wave3.json").read_text())
    assert priors.to_dict("records") == ref["default_priors"]["hurdle_nb_hu_biochemists"]["rows"]
    assert "logistic(0, 1)" in set(priors.loc[priors.dpar == "hu", "prior"])


def test_only_the_negative_binomial_has_a_reml_twin():
    """mgcv's ``nb()`` fit of the baseline; mgcv has no hurdle family, and its ``ziP`` links the
    zero probability to the Poisson mean, which is not brms's zero_inflated_poisson."""
    from bayeszoo.api import fit_reml

    assert zoo.get("biochemists_zip").reml_formula is None
    assert zoo.get("biochemists_hurdle_nb").reml_formula is None
    assert zoo.get("airquality_lognormal").reml_formula is None
    fit = fit_reml("biochemists_negbinomial")
    assert 2.0 < float(fit.theta) < 2.5  # MASS::glm.nb's theta is 2.264


def test_main_job_compares_zip_with_hurdle_nb():
    assert {"biochemists_zip", "biochemists_hurdle_nb"} <= set(zoo.RUN_MODELS)
    for backend in ("numpyro", "pymc", "nutpie"):
        assert {"biochemists_zip", "biochemists_hurdle_nb"} <= set(zoo.run_models(backend))
    assert "biochemists_negbinomial" not in zoo.RUN_MODELS


def test_run_ranks_the_hurdle_model_first(tmp_path):
    """The two models of the main job's zero-inflated comparison, short chains: each elpd_loo
    within 3 of brms's, the hurdle model ahead by brms's 64.5 (within 5), the report written."""
    out = tmp_path / "index.html"
    res = run_cli("run", "--models", "biochemists_zip", "biochemists_hurdle_nb", *SMALL,
                  "--quiet", "-o", str(out), check=False)
    assert res.returncode == 0, res.stderr
    head = json.loads(res.stdout.strip().splitlines()[-1])
    assert head["failed"] == [] and out.exists()
    zip_, hurdle = head["models"]["biochemists_zip"], head["models"]["biochemists_hurdle_nb"]
    assert abs(zip_["elpd_loo"] - brms_loo("biochemists_zip")["elpd_loo"]) < 3
    assert abs(hurdle["elpd_loo"] - brms_loo("biochemists_hurdle_nb_hu")["elpd_loo"]) < 3
    assert hurdle["elpd_loo"] - zip_["elpd_loo"] == pytest.approx(64.5, abs=5)
    table = res.stdout.split("PSIS-LOO comparison, biochemists:", 1)[1].splitlines()
    rows = [ln.split()[0] for ln in table if ln.startswith("biochemists_")]
    assert rows == ["biochemists_hurdle_nb", "biochemists_zip"]


@pytest.mark.parametrize("family", ["zero_inflated_poisson", "hurdle_negbinomial"])
def test_fit_accepts_the_new_family_names(family):
    res = run_cli("fit", "biochemists_negbinomial", "--family", family, *SMALL, "-q")
    head = json.loads(res.stdout.strip().splitlines()[-1])
    assert head["family"] == f"{family} (log link)"
    dpar = "zi" if family.startswith("zero") else "hu"
    assert 0.0 < head["means"][dpar] < 0.5
    assert head["means"]["b_femWomen"] == pytest.approx(-0.22, abs=0.1)


def test_family_help_lists_the_registry():
    help_text = run_cli("fit", "--help").stdout
    for name in bz.families.names():
        assert name in help_text, name
