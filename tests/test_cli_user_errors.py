"""What ``bayeszoo`` treats as a user error (one line on standard error, the documented exit
status) and what as a bug (its traceback): a ``TypeError`` or ``KeyError`` raised inside a
command is a bug, however plain its message."""

import contextlib
import io
import subprocess
import sys

import pytest

from bayeszoo import cli
from bayeszoo.datasets import DATASETS
from bayeszoo.families import names as family_names

FAMILY_NAMES = family_names()


def run(argv: list[str]) -> tuple[int, str]:
    """``cli.main(argv)`` in this process: the exit status (argparse's included) and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:
            code = exc.code
    return code, err.getvalue()


def fail_with(exc: BaseException):
    def describe(name):
        raise exc

    return describe


@pytest.mark.parametrize("bug", [TypeError("describe() got an unexpected keyword 'x'"),
                                 KeyError("radon_pooled")], ids=["TypeError", "KeyError"])
def test_a_bug_inside_a_command_is_raised(monkeypatch, bug):
    from bayeszoo.models import zoo

    monkeypatch.setattr(zoo, "describe", fail_with(bug))
    with pytest.raises(type(bug)) as raised, contextlib.redirect_stderr(io.StringIO()) as err:
        cli.main(["describe", "radon_pooled"])
    assert raised.value is bug
    assert err.getvalue() == ""


def test_a_bug_ends_in_its_traceback_and_exit_1():
    code = ("import sys\n"
            "from bayeszoo.models import zoo\n"
            "def describe(name):\n"
            "    return {}['no such key']\n"
            "zoo.describe = describe\n"
            "from bayeszoo.cli import console_main\n"
            "sys.argv = ['bayeszoo', 'describe', 'radon_pooled']\n"
            "console_main()\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 1
    assert "Traceback (most recent call last)" in res.stderr
    assert res.stderr.strip().splitlines()[-1] == "KeyError: 'no such key'"
    assert "bayeszoo describe:" not in res.stderr


@pytest.mark.parametrize(("argv", "code", "line"), [
    (["reml", "accel ~ nosuch", "--data", "mcycle"], 1,
     "bayeszoo reml: unknown column 'nosuch' in term nosuch; the data has columns "
     "['times', 'accel']"),
    (["reml", "accel ~ s(times, bs='zz')", "--data", "mcycle"], 1,
     "bayeszoo reml: s(times): unknown basis bs='zz'; supported: 'tp', 'cr', 'cc', 'ps', 're', "
     "'fs', 'gp', 'mrf', 'ad'"),
    (["reml", "accel ~ 1", "--data", "mcycle", "--family", "nope"], 1,
     "bayeszoo reml: unknown family 'nope'; valid families: " + ", ".join(FAMILY_NAMES)),
    (["reml", "accel ~ 1", "--data", "nosuch.csv"], 1,
     f"bayeszoo reml: --data 'nosuch.csv' is neither a bundled dataset ({', '.join(DATASETS)}) "
     "nor an existing CSV or Parquet file"),
    (["fit", "--formula", "accel ~ times", "--data", "mcycle", "--priors", "[1]"], 1,
     "bayeszoo fit: --priors must be a JSON object of parameter -> prior, got list '[1]'; "
     "write e.g. '{\"sigma\": \"exponential(1)\", \"b_x\": \"normal(0, 2)\"}'"),
    (["sbc", "radon_pooled", "--prior", "sd"], 1,
     "bayeszoo sbc: --prior 'sd': write KEY=PRIOR, e.g. --prior 'sd=normal(0, 1)'"),
    (["report", "nosuch.nc"], 1, "bayeszoo report: no such file: nosuch.nc"),
    (["compare", "radon_pooled", "nosuch.nc"], 1, "bayeszoo compare: no such fit file: "
                                                   "nosuch.nc"),
    (["fit", "--formula", "y ~ x"], 2,
     "bayeszoo fit: --formula needs --data: a CSV or Parquet file or a bundled dataset"),
], ids=["unknown column", "formula", "family", "data file", "priors", "sbc prior",
        "missing fit", "missing fit to compare", "bad arguments"])
def test_each_user_error_is_one_line_with_its_exit_status(argv, code, line, tmp_path,
                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    got, err = run(argv)
    assert (got, err.strip()) == (code, line)


def test_unknown_model_and_argparse_errors_exit_2():
    code, err = run(["describe", "nope"])
    assert code == 2 and err.splitlines()[0] == "bayeszoo: unknown model 'nope'. Known models:"
    code, err = run(["fit", "radon_pooled", "--chains", "0"])
    assert code == 2 and err.strip().splitlines()[-1] == \
        "bayeszoo fit: error: argument --chains: must be at least 1, got 0"


def test_a_missing_file_raised_inside_a_command_is_a_user_error(monkeypatch):
    from bayeszoo.models import zoo

    monkeypatch.setattr(zoo, "describe", fail_with(FileNotFoundError("no such file: x.csv")))
    assert run(["describe", "radon_pooled"]) == (1, "bayeszoo describe: no such file: x.csv\n")
