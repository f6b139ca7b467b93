"""The zoo's non-Gaussian entries, ``family=`` on ``bz.fit`` and the CLI's ``--family``/``--link``
(fit and reml)."""

import json

import pytest
from conftest import run_cli

import bayeszoo as bz
from bayeszoo.models import zoo

FAMILY_ENTRIES = {
    "cbpp_binomial": ("binomial", "incidence | trials(size) ~ period + (1 | herd)"),
    "epilepsy_poisson": ("poisson", "count ~ zAge + zBase * Trt + (1 | patient)"),
    "epilepsy_negbinomial": ("negbinomial", "count ~ zAge + zBase * Trt + (1 | patient)"),
    "pima_bernoulli": ("bernoulli", 'type ~ s(glu, bs="cr", k=10) + s(bmi, bs="cr", k=10)'),
    "quine_negbinomial": ("negbinomial", "Days ~ Eth + Sex + Age + Lrn"),
    "eight_schools": ("gaussian", "y | se(sigma) ~ 1 + (1 | school)"),
    "biochemists_negbinomial": ("negbinomial", "art ~ fem + mar + kid5 + phd + ment"),
}


@pytest.mark.parametrize("name", list(FAMILY_ENTRIES))
def test_family_entries_build_their_designs(name):
    family, formula = FAMILY_ENTRIES[name]
    e = zoo.get(name)
    assert (e.family, e.formula) == (family, formula)
    data = e.load_data()
    d = bz.design(e.formula, data, family=e.family_object())
    assert d.n == len(data) and d.family.name == family
    twin = bz.design(e.reml_formula, data, family=e.family_object())
    assert twin.n == d.n
    if e.group:
        assert [b.name for b in d.blocks if b.kind == "re"] == [e.group]
    if e.smooth:
        assert e.smooth in {v for s in d.smooths for v in s.variables}


def test_eight_schools_has_known_se_and_no_sigma():
    e = zoo.get("eight_schools")
    d = bz.design(e.formula, e.load_data())
    assert list(d.additions) == ["se"]
    from bayeszoo.models.spec import model_spec

    assert "sigma" not in model_spec(d).priors


def test_entry_family_may_be_an_object():
    e = zoo.ZooEntry(name="pima_probit", dataset="pima", formula="type ~ glu + bmi",
                     description="d", question="q", family=bz.families.bernoulli(link="probit"))
    assert e.family_object() == bz.families.bernoulli(link="probit")
    assert zoo.ZooEntry(name="x", dataset="pima", formula="type ~ glu", description="d",
                        question="q", family="bernoulli", link="cloglog").family_object() == \
        bz.families.bernoulli(link="cloglog")


def test_main_job_compares_poisson_and_negative_binomial():
    assert {"epilepsy_poisson", "epilepsy_negbinomial"} <= set(zoo.RUN_MODELS)
    assert zoo.get("epilepsy_poisson").dataset == zoo.get("epilepsy_negbinomial").dataset


def test_list_shows_the_family():
    out = run_cli("list").stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("cbpp_binomial "))
    assert "[binomial]" in line


@pytest.mark.parametrize("args, match", [
    (["fit", "cbpp_binomial", "--family", "nope"], "unknown family 'nope'"),
    (["fit", "epilepsy_poisson", "--link", "probit"], "'poisson' has no link 'probit'"),
    (["reml", "count ~ zAge", "--data", "epilepsy", "--family", "gamma", "--link", "logit"],
     "'gamma' has no link 'logit'"),
])
def test_bad_family_or_link_is_one_line(args, match):
    res = run_cli(*args, check=False)
    assert res.returncode == 1
    assert match in res.stderr and len(res.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_fit_family_overrides_the_entry():
    res = run_cli("fit", "epilepsy_poisson", "--family", "negbinomial", "--chains", "2",
                  "--draws", "150", "--tune", "150", "-q")
    head = json.loads(res.stdout.strip().splitlines()[-1])
    assert head["family"] == "negbinomial (log link)"
    assert "shape" in head["means"]
    assert head["means"]["b_zBase"] == pytest.approx(0.7, abs=0.2)


def test_reml_command_takes_a_family():
    res = run_cli("reml", 'incidence | trials(size) ~ period + s(herd, bs="re")', "--data",
                  "cbpp", "--family", "binomial", "-q")
    head = json.loads(res.stdout.strip().splitlines()[-1])
    assert head["reml_score"] == pytest.approx(93.1990671011331, rel=1e-4)
    assert head["edf_total"] == pytest.approx(13.6599790395245, rel=1e-4)


@pytest.mark.parametrize("name, key", [("cbpp_binomial", "cbpp_binomial_re"),
                                       ("epilepsy_poisson", "epilepsy_poisson_re"),
                                       ("pima_bernoulli", "pima_bernoulli_cr"),
                                       ("quine_negbinomial", "quine_negbin")])
def test_reml_twins_are_mgcvs_fits(name, key):
    """Each twin is the model of ``mgcv_families.json``: its REML score and edf."""
    from conftest import FIXTURES

    ref = json.loads((FIXTURES / "mgcv_families.json").read_text())[key]
    from bayeszoo.api import fit_reml

    fit = fit_reml(name)
    assert float(fit.reml_score) == pytest.approx(ref["reml"], rel=1e-4)
    assert float(fit.edf_total) == pytest.approx(ref["edf_total"], rel=1e-4)
    if ref.get("theta") is not None:
        assert float(fit.theta) == pytest.approx(ref["theta"], rel=1e-3)


@pytest.mark.slow
def test_factor_response_survives_save_and_load(tmp_path):
    """A bernoulli fit of a two-level factor keeps its labels in the stored data (observed_data
    holds the 0/1 codes), so a loaded fit rebuilds its design and reports from it."""
    from bayeszoo.inference.predict import design_from_idata, stored_data

    data = bz.datasets.load_pima()
    idata = bz.sample("type ~ glu + bmi", data, family="bernoulli", chains=1, draws=50,
                      tune=50, progress=False)
    loaded = bz.load(bz.save(idata, tmp_path / "pima.nc"))
    back = stored_data(loaded)
    assert list(back["type"]) == list(data["type"])
    assert list(back["type"].cat.categories) == ["No", "Yes"]
    d = design_from_idata(loaded)
    assert list(d.y) == list(loaded.observed_data["type"].values)
    assert d.y.sum() == (data["type"] == "Yes").sum()
