"""Each ``bayeszoo`` subcommand through the installed entry point (subprocess), error paths too."""

import json

import pytest
from conftest import run_cli

from bayeszoo.models import zoo

SMALL = ["--chains", "2", "--draws", "100", "--tune", "150", "--seed", "2"]


def last_json(stdout: str) -> dict:
    lines = [ln for ln in stdout.strip().splitlines() if ln.strip()]
    return json.loads(lines[-1])


def test_list():
    out = run_cli("list").stdout
    for name in zoo.names():
        assert name in out
    assert "log_radon ~ 1 + (1 | county)" in out


def test_describe_and_unknown_name():
    out = run_cli("describe", "radon_states").stdout
    assert "log_radon ~ floor + (1 | state) + (1 | state:county)" in out
    assert "radon_full" in out
    bad = run_cli("describe", "radon_nope", check=False)
    assert bad.returncode == 2
    assert "radon_nope" in bad.stderr and "radon_intercept" in bad.stderr
    assert "mcycle_cr20_fx" in bad.stderr


@pytest.mark.parametrize("cmd", [["fit", "nope"], ["compare", "radon_pooled", "nope"],
                                 ["run", "--models", "nope"]])
def test_unknown_model_exits_2_with_the_names(cmd):
    res = run_cli(*cmd, check=False)
    assert res.returncode == 2, res.stderr
    assert "unknown model 'nope'" in res.stderr and "radon_pooled" in res.stderr


def test_fit_prints_summary_and_saves(tmp_path):
    nc = tmp_path / "pooled.nc"
    res = run_cli("fit", "radon_pooled", *SMALL, "-o", str(nc))
    assert "b_Intercept" in res.stdout and "Bulk_ESS" in res.stdout  # the summary table
    head = last_json(res.stdout)
    assert head["model"] == "radon_pooled" and head["backend"] == "numpyro"
    assert head["means"]["b_Intercept"] == pytest.approx(1.265, abs=0.05)
    assert head["output"] == str(nc) and nc.exists()
    assert {"max_rhat", "divergences", "elpd_loo", "p_loo"} <= set(head)
    import bayeszoo as bz

    assert bz.load(nc).posterior.sizes["draw"] == 100


def test_report_and_compare_saved_fits(small_fit, tmp_path):
    import bayeszoo as bz

    files = [str(bz.save(small_fit(n), tmp_path / f"{n}.nc"))
             for n in ("radon_pooled", "radon_intercept")]
    html = tmp_path / "r.html"
    res = run_cli("report", *files, "-o", str(html))
    assert last_json(res.stdout) == {"report": str(html),
                                     "fits": ["radon_pooled", "radon_intercept"]}
    assert "data:image/png;base64," in html.read_text()

    missing = run_cli("report", str(tmp_path / "nope.nc"), "-o", str(html), check=False)
    assert missing.returncode == 1 and "nope.nc" in missing.stderr

    out = tmp_path / "cmp.html"
    res = run_cli("compare", *files, "-o", str(out))
    assert "elpd_diff" in res.stdout  # the printed table
    head = last_json(res.stdout)
    table = head["compare"]
    assert set(table) == {"radon_intercept", "radon_pooled"}
    assert table["radon_intercept"]["rank"] == 0
    assert table["radon_intercept"]["edf_total"] == pytest.approx(40.567, abs=1e-2)
    assert table["radon_pooled"]["edf_total+aux"] == pytest.approx(2.0)
    assert head["report"] == str(out) and out.exists()

    one = run_cli("compare", files[0], check=False)
    assert one.returncode != 0 and "two fits" in one.stderr


def test_reml_formula_with_bundled_data_and_csv(tmp_path):
    res = run_cli("reml", 'accel ~ 1 + s(times, bs="cr", k=20)', "--data", "mcycle")
    assert "REML" in res.stdout
    head = last_json(res.stdout)
    assert head["edf_total"] == pytest.approx(12.7849, rel=1e-4)
    assert head["reml_score"] == pytest.approx(616.00938, rel=1e-6)
    assert head["scale"] == pytest.approx(509.01211, rel=1e-5)

    import bayeszoo as bz

    csv = tmp_path / "mc.csv"
    bz.datasets.load_mcycle().to_csv(csv, index=False)
    head = last_json(run_cli("reml", "accel ~ 1 + s(times, bs='cr', k=20)", "--data",
                             str(csv), "-q").stdout)
    assert head["edf_total"] == pytest.approx(12.7849, rel=1e-4)

    bad = run_cli("reml", "accel ~ 1 + s(nosuch)", "--data", "mcycle", check=False)
    assert bad.returncode == 1 and "nosuch" in bad.stderr
    bad = run_cli("reml", "accel ~ 1", "--data", "nosuchdata", check=False)
    assert bad.returncode != 0 and "nosuchdata" in bad.stderr


def test_run_small(tmp_path):
    """Two models fitted side by side in spawned workers (the default on a machine with two
    or more cores) give what one process fitting them in turn gives."""
    out = tmp_path / "report" / "index.html"
    res = run_cli("run", "--models", "radon_pooled", "radon_intercept", *SMALL, "--quiet",
                  "--workers", "2", "-o", str(out), check=False)
    assert res.returncode == 0, res.stderr
    head = last_json(res.stdout)
    serial = run_cli("run", "--models", "radon_pooled", "radon_intercept", *SMALL, "--quiet",
                     "--workers", "1", "-o", str(tmp_path / "serial.html"))
    rows = {k: {m: {a: v for a, v in row.items() if a != "seconds"}
                for m, row in h["models"].items()} for k, h in
            (("parallel", head), ("serial", last_json(serial.stdout)))}
    assert rows["parallel"] == rows["serial"]
    assert head["failed"] == [] and head["report"] == str(out) and out.exists()
    assert head["models"]["radon_intercept"]["reml_edf_total"] == pytest.approx(40.567, abs=1e-2)
    assert "PSIS-LOO comparison" in res.stdout and "edf_total+aux" in res.stdout
    # --quiet: no progress bars
    assert "it/s" not in res.stderr and "%|" not in res.stderr
    # short chains: the problems are printed as warnings, not hidden
    assert "WARNING:" in res.stderr


def test_bad_arguments_are_one_line_errors(tmp_path):
    res = run_cli("fit", "radon_pooled", "--chains", "0", check=False)
    assert res.returncode == 2 and "--chains: must be at least 1, got 0" in res.stderr
    res = run_cli("fit", "radon_pooled", "--target-accept", "1.5", "-q", check=False)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.strip() == "bayeszoo fit: target_accept must lie in (0, 1), got 1.5"
    bad = tmp_path / "bad.nc"
    bad.write_text("not a netCDF file")
    res = run_cli("report", str(bad), "-o", str(tmp_path / "r.html"), check=False)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "bad.nc is not a netCDF fit written by bayeszoo.save" in res.stderr


def test_unusable_output_path_fails_in_one_line_before_any_work(tmp_path):
    bad = tmp_path / "bad.nc"
    bad.write_text("not a netCDF file")  # loading it would fail: the output is checked first
    res = run_cli("report", str(bad), "-o", str(tmp_path), check=False)
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.strip() == (f"bayeszoo report: cannot write {tmp_path}: it is a directory; "
                                  "give a file path inside it")
    plain = tmp_path / "notes.txt"
    plain.write_text("a file, not a folder")
    out = plain / "cmp.html"
    res = run_cli("compare", "radon_pooled", "radon_intercept", *SMALL, "-o", str(out),
                  check=False)
    assert res.returncode == 1 and res.stdout == ""  # nothing fitted, no table printed
    assert res.stderr.strip() == (f"bayeszoo compare: cannot write {out}: {plain} is a file, "
                                  "not a folder")
    res = run_cli("run", "--models", "radon_pooled", *SMALL, "-o", str(tmp_path), check=False)
    assert res.returncode == 1 and res.stdout == ""
    assert res.stderr.strip().splitlines() == [f"bayeszoo run: cannot write {tmp_path}: it is a "
                                               "directory; give a file path inside it"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.nc", "notes.txt"]


def test_run_exits_1_when_a_fit_fails(tmp_path):
    res = run_cli("run", "--models", "radon_pooled", "--target-accept", "1.5", "--quiet",
                  "-o", str(tmp_path / "index.html"), check=False)
    assert res.returncode == 1
    head = last_json(res.stdout)
    assert head["failed"] == ["radon_pooled"] and "report" not in head
    assert "radon_pooled: sampling failed: ValueError: target_accept" in res.stderr


@pytest.mark.slow
def test_run_default_meets_the_reference(tmp_path):
    """``bayeszoo run`` as ``make run`` calls it (default models, 4 chains x 1000 draws): every
    fit completes, the report is written, radon_intercept's p_loo is within 2.5 of brms's 44.5
    and its REML twin's edf_total is mgcv's 40.57."""
    out = tmp_path / "report" / "index.html"
    res = run_cli("run", "--quiet", "-o", str(out), check=False)
    assert res.returncode == 0, res.stderr
    head = last_json(res.stdout)
    assert head["failed"] == [] and out.exists()
    assert set(head["models"]) == set(zoo.run_models("numpyro"))
    radon = head["models"]["radon_intercept"]
    assert abs(radon["p_loo"] - 44.5) < 2.5
    assert radon["reml_edf_total"] == pytest.approx(40.567, abs=5e-3)
    assert abs(radon["elpd_loo"] - (-1083.6)) < 1.5
    assert head["models"]["mcycle_cr20"]["reml_edf_total"] == pytest.approx(12.785, abs=1e-3)
