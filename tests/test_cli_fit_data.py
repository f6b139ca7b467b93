"""``bayeszoo fit --formula ... --data FILE`` on CSV and Parquet files, ``--priors``,
``--na-action drop`` (``fit`` and ``reml``), ``compare`` and ``report`` of such fits, their
errors, and ``--help`` stating every argument's default."""

import argparse
import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from bayeszoo.datasets import DATASETS

SMALL = ["--chains", "2", "--draws", "150", "--tune", "150", "--seed", "3"]


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def grouped_data() -> pd.DataFrame:
    """60 rows, y = 1 + 2 x + a group effect + noise, two missing x."""
    rng = np.random.default_rng(7)
    g = np.repeat(list("abcdef"), 10)
    x = rng.normal(size=60)
    y = 1 + 2 * x + np.repeat(rng.normal(0, 0.5, 6), 10) + rng.normal(0, 0.3, 60)
    df = pd.DataFrame({"y": y, "x": x, "g": g})
    df.loc[[3, 7], "x"] = np.nan
    return df


PRIORS = '{"b_x": "normal(5, 0.01)", "sigma": "exponential(1)"}'


def fit_csv(tmp_path, *extra: str):
    """``bayeszoo fit`` of ``y ~ x + (1 | g)`` on :func:`grouped_data` as CSV, dropping the
    rows with a missing x, with a prior far from the data's slope (2) and tight."""
    csv = tmp_path / "obs.csv"
    grouped_data().to_csv(csv, index=False)
    res = run_cli("fit", "--formula", "y ~ x + (1 | g)", "--data", str(csv), "--na-action",
                  "drop", "--priors", PRIORS, *SMALL, "-o", str(tmp_path / "mixed.nc"), *extra,
                  check=False)
    assert res.returncode in (0, 3), res.stderr
    return res


def test_formula_fit_on_csv_with_priors_and_na_drop(tmp_path):
    import bayeszoo as bz

    res = fit_csv(tmp_path)
    assert ("WARNING: na_action='drop': dropped 2 of 60 rows with missing values in ['x']"
            in res.stderr.splitlines())
    # brms's summary, as for a zoo model
    assert "   Data: obs.csv (Number of observations: 58)" in res.stdout
    assert "Formula: y ~ x + (1 | g)" in res.stdout and "~g (Number of levels: 6)" in res.stdout
    head = last_json(res.stdout)
    assert (head["formula"], head["data"], head["rows"]) == \
        ("y ~ x + (1 | g)", str(tmp_path / "obs.csv"), 58)
    # the prior reached the model: the posterior sits on it, and the saved fit lists it
    assert head["means"]["b_x"] == pytest.approx(5, abs=0.03)
    mixed = bz.load(tmp_path / "mixed.nc")
    assert mixed.priors["b_x"] == "normal(5, 0.01)"
    assert mixed.priors["sigma"] == "exponential(1)"


def test_parquet_data_is_read(tmp_path):
    from bayeszoo.cli_fit import read_data

    df = grouped_data()
    for name in ("obs.parquet", "obs.pq"):
        df.to_parquet(tmp_path / name)
        pd.testing.assert_frame_equal(read_data(str(tmp_path / name)), df)


@pytest.mark.slow
def test_parquet_fit_then_compare_and_report_saved_formula_fits(tmp_path):
    import bayeszoo as bz

    fit_csv(tmp_path, "-q")
    # the same 58 rows as Parquet, without the group term, default priors
    pq = tmp_path / "obs.parquet"
    grouped_data().dropna().to_parquet(pq)
    res = run_cli("fit", "--formula", "y ~ x", "--data", str(pq), *SMALL, "-q",
                  "-o", str(tmp_path / "pooled.nc"), check=False)
    assert res.returncode in (0, 3), res.stderr
    assert "Population-Level Effects" not in res.stdout  # -q: the JSON line only
    head = last_json(res.stdout)
    assert head["rows"] == 58 and head["means"]["b_x"] == pytest.approx(2, abs=0.2)
    assert bz.load(tmp_path / "pooled.nc").priors["b_x"] == "flat()"

    files = [str(tmp_path / "mixed.nc"), str(tmp_path / "pooled.nc")]
    table = last_json(run_cli("compare", *files, "-q").stdout)["compare"]
    assert set(table) == {"mixed", "pooled"}
    out = tmp_path / "report.html"
    res = run_cli("report", *files, "-o", str(out), "-q")
    assert last_json(res.stdout) == {"report": str(out), "fits": ["mixed", "pooled"]}
    assert out.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--priors", "{'b_x': 1}"],
     "bayeszoo fit: --priors \"{'b_x': 1}\" is not valid JSON (Expecting property name "
     "enclosed in double quotes at character 1); write an object such as "
     "'{\"sigma\": \"exponential(1)\", \"b_x\": \"normal(0, 2)\"}'"),
    (["--priors", '["normal(0, 1)"]'],
     "bayeszoo fit: --priors must be a JSON object of parameter -> prior, got list "
     "'[\"normal(0, 1)\"]'; write e.g. '{\"sigma\": \"exponential(1)\", \"b_x\": "
     "\"normal(0, 2)\"}'"),
    (["--priors", '{"b_x": 2}'],
     "bayeszoo fit: --priors: the prior of 'b_x' must be a string such as \"normal(0, 2)\", "
     "got 2"),
])
def test_bad_priors_json_is_named(tmp_path, args, message):
    csv = tmp_path / "obs.csv"
    grouped_data().dropna().to_csv(csv, index=False)
    res = run_cli("fit", "--formula", "y ~ x", "--data", str(csv), *args, check=False)
    assert res.returncode == 1
    assert res.stderr.strip() == message


def test_unknown_prior_key_is_refused(tmp_path):
    csv = tmp_path / "obs.csv"
    grouped_data().dropna().to_csv(csv, index=False)
    res = run_cli("fit", "--formula", "y ~ x", "--data", str(csv), "--priors",
                  '{"b_z": "normal(0, 1)"}', check=False)
    assert res.returncode == 1 and "b_z" in res.stderr


def test_missing_column_and_missing_values_are_named(tmp_path):
    csv = tmp_path / "obs.csv"
    grouped_data().to_csv(csv, index=False)
    res = run_cli("fit", "--formula", "y ~ x + z", "--data", str(csv), check=False)
    assert res.returncode == 1 and "'z'" in res.stderr
    assert "Traceback" not in res.stderr
    res = run_cli("fit", "--formula", "y ~ x", "--data", str(csv), check=False)
    assert res.returncode == 1
    assert "missing values (NaN) in column 'x' (2 rows" in res.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["radon_pooled", "--formula", "y ~ x", "--data", "radon"],
     "bayeszoo fit: give either a zoo model NAME ('radon_pooled') or --formula, not both: "
     "`bayeszoo fit radon_pooled` samples the zoo model, `bayeszoo fit --formula FORMULA "
     "--data FILE` a formula on your data"),
    (["--formula", "y ~ x"],
     "bayeszoo fit: --formula needs --data: a CSV or Parquet file or a bundled dataset"),
    ([], "bayeszoo fit: give a zoo model NAME (see `bayeszoo list`) or --formula FORMULA "
         "--data FILE"),
    (["radon_pooled", "--data", "radon"],
     "bayeszoo fit: --data goes with --formula; zoo model 'radon_pooled' brings its own data "
     "(give --formula FORMULA --data FILE without a NAME)"),
    (["--formula", "y ~ x", "--data", "nosuch.parquet"],
     f"bayeszoo fit: --data 'nosuch.parquet' is neither a bundled dataset "
     f"({', '.join(DATASETS)}) nor an existing CSV or Parquet file"),
])
def test_what_to_fit_errors(args, message):
    res = run_cli("fit", *args, check=False)
    assert res.returncode == (1 if "nosuch" in message else 2)
    assert res.stderr.strip() == message


def test_unreadable_parquet_is_named(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("y,x\n1,2\n")
    res = run_cli("fit", "--formula", "y ~ x", "--data", str(bad), check=False)
    assert res.returncode == 1
    assert res.stderr.startswith(f"bayeszoo fit: --data {str(bad)!r} cannot be read as a "
                                 "Parquet file:")


def test_reml_na_action_drop(tmp_path):
    import bayeszoo as bz

    df = bz.datasets.load_mcycle()
    df.loc[[5, 50, 100], "accel"] = np.nan
    csv = tmp_path / "mc.csv"
    df.to_csv(csv, index=False)
    formula = "accel ~ 1 + s(times, bs='cr', k=20)"
    res = run_cli("reml", formula, "--data", str(csv), "-q", check=False)
    assert res.returncode == 1 and "missing values (NaN) in column 'accel' (3 rows" in res.stderr
    res = run_cli("reml", formula, "--data", str(csv), "--na-action", "drop", "-q")
    assert ("WARNING: na_action='drop': dropped 3 of 133 rows with missing values in "
            "['accel']") in res.stderr.splitlines()
    head = last_json(res.stdout)
    ref = bz.reml(formula, df.dropna().reset_index(drop=True))
    assert head["reml_score"] == pytest.approx(float(ref.reml_score), rel=1e-9)
    assert head["edf_total"] == pytest.approx(float(ref.edf_total), rel=1e-9)


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_help_documents_every_argument_and_default():
    from bayeszoo.cli import build_parser

    parser = build_parser()
    assert parser.format_help().rstrip().endswith(
        "141: standard output closed by its reader (`bayeszoo list | head`)")
    for name, sub in subparsers(parser).items():
        text = " ".join(sub.format_help().split())
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            label = action.option_strings or action.dest
            assert action.help, f"{name} {label}: no help"
            if not action.option_strings or action.required:
                continue  # positional or required: nothing to default
            shown = sub._get_formatter()._get_help_string(action)
            assert "default" in shown, f"{name} {label}: no default stated"
            if action.default is not None and action.default is not False:
                assert f"(default: {action.default})" in text, f"{name} {label}"


def test_fit_help_through_the_entry_point():
    text = " ".join(run_cli("fit", "--help").stdout.split())
    assert "--na-action {raise,drop} rows with a missing value" in text
    assert "(default: raise)" in text
    assert "--backend {numpyro,pymc,nutpie,blackjax} sampler (default: numpyro)" in text
    assert "NAME a zoo model (see `bayeszoo list`); leave out with --formula" in text
