"""Fuzzed command lines: every subcommand, with random options and values, ends in argparse's
usage error (exit 2), an unknown-model list (exit 2), the one-line error (exit 1), success, or
reaches the work it was asked for; never a traceback. The work itself (sampling, training, REML,
SBC, the report) is replaced by a sentinel that stops the command where it would start."""

import contextlib
import io
import os
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bayeszoo import cli

EXAMPLES = int(os.environ.get("BAYESZOO_FUZZ_EXAMPLES", 150))


class Reached(BaseException):
    """The command got past its argument checks to the work (BaseException: ``bayeszoo run``
    reports an Exception from one model and goes on)."""


def reached(*args, **kwargs):
    raise Reached


@pytest.fixture(scope="module")
def stopped_work():
    """Replace the expensive work by the sentinel for the whole module."""
    import bayeszoo.api
    import bayeszoo.inference.sbc
    import bayeszoo.nn
    import bayeszoo.penalized
    import bayeszoo.reports

    mp = pytest.MonkeyPatch()
    for module, name in ((bayeszoo.api, "fit"), (bayeszoo.api, "fit_reml"),
                         (bayeszoo.penalized, "reml"), (bayeszoo.inference.sbc, "sbc"),
                         (bayeszoo.nn, "run_recipe"), (bayeszoo.reports, "report")):
        mp.setattr(module, name, reached)
    yield
    mp.undo()


def subcommands() -> dict[str, list[str]]:
    """Each subcommand's option strings, read from the parser's help (new subcommands
    included)."""
    parser = cli.build_parser()
    names = re.search(r"\{([^}]+)\}", parser.format_usage()).group(1).split(",")
    out = {}
    for name in names:
        text = io.StringIO()
        with contextlib.redirect_stdout(text), contextlib.suppress(SystemExit):
            parser.parse_args([name, "--help"])
        found = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text.getvalue()))
        out[name] = sorted(found - {"-h", "--help"})
    return out


COMMANDS = subcommands()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A folder, a non-netCDF file, a CSV and a file path below a file."""
    root = tmp_path_factory.mktemp("cli")
    (root / "junk.nc").write_bytes(b"\x00not a netcdf file")
    (root / "data.csv").write_text("y,x\n1,2\n3,4\n")
    (root / "plain.txt").write_text("text")
    return root


VALUES = ["", "0", "-1", "1", "2", "3.5", "1e309", "nan", "inf", "-inf", "abc", "é", "été x",
          "radon_pooled", "radon_intercept", "mlp", "radon", "mcycle", "y ~ x", "y ~ s(x)",
          "log_radon ~ 1 + (1 | county)", "REML", "numpyro", "pymc", "tcp://127.0.0.1:1",
          "sd=normal(0, 1)", "sd", "--", "-x", "{dir}", "{dir}/junk.nc", "{dir}/data.csv",
          "{dir}/plain.txt/below.nc", "{dir}/missing/out.html", "/nonexistent/x.nc"]


#: Positional arguments that get a command past argparse, so that its own checks are fuzzed.
VALID = {"describe": ["radon_pooled"], "fit": ["radon_pooled"], "sbc": ["radon_pooled"],
         "reml": ["y ~ x", "--data", "{dir}/data.csv"], "train": ["mlp"],
         "compare": ["radon_pooled", "radon_intercept"], "report": ["{dir}/junk.nc"]}


@st.composite
def command_lines(draw, root: str):
    name = draw(st.sampled_from(sorted(COMMANDS)))
    options = COMMANDS[name]
    words = [name]
    if name in VALID and draw(st.integers(0, 3)):
        words += [w.replace("{dir}", root) for w in VALID[name]]
    for _ in range(draw(st.integers(0, 5))):
        if options and draw(st.booleans()):
            words.append(draw(st.sampled_from(options)))
        words.append(draw(st.sampled_from(VALUES)).replace("{dir}", root))
    return words


def run(argv: list[str]) -> tuple[str, int | None, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exc:
            return "exit", exc.code, err.getvalue()
        except Reached:
            return "reached", None, err.getvalue()
    return "returned", code, err.getvalue()


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=timedelta(seconds=60),
          derandomize=not os.environ.get("BAYESZOO_FUZZ_RANDOM"),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_command_lines_never_end_in_a_traceback(stopped_work, files, data):
    argv = data.draw(command_lines(str(files)))
    how, code, err = run(argv)  # any other exception fails the test with its traceback
    assert "Traceback" not in err, (argv, err)
    if how == "exit":
        assert code == 2 and "usage:" in err, (argv, code, err)
    elif how == "returned":
        assert code in (0, 1, 2, 3), (argv, code, err)  # 3: a fit that did not converge
        if code == 1:
            lines = [ln for ln in err.splitlines() if ln.startswith(f"bayeszoo {argv[0]}:")]
            assert len(lines) == 1, (argv, err)
