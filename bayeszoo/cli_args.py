"""What the ``bayeszoo`` commands share: argument types, the sampler and family arguments, the
help layout (every default stated), warning lines and the JSON result line."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import warnings
from collections.abc import Iterator

EXIT_UNKNOWN_MODEL = 2
EXIT_BAD_ARGUMENTS = 2


def plain_json(value):
    """``value`` with NumPy numbers as Python numbers, NaN as ``None`` (undefined) and an
    infinite float as the string ``"inf"`` or ``"-inf"`` (an R-hat of chains stuck apart is
    infinite, not missing): the JSON line stays valid JSON (no ``NaN``, no ``Infinity``)."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def print_result(result: dict) -> None:
    """Commands that compute a result end with one line holding a JSON object of its figures."""
    print(json.dumps(plain_json(result), allow_nan=False))


def count(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def learning_rate(text: str) -> float:
    """A positive finite learning rate (``--lr``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """``--help`` that keeps the epilog's line breaks and ends each argument's help with its
    default, ``(default: X)``, unless the help already says what the default is (a default of
    ``None`` or ``False`` means "not given": its help says in words what happens then)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if default is None or default is False or default == argparse.SUPPRESS \
                or "default" in text:
            return text
        return f"{text} (default: %(default)s)"


def warn(msg: str) -> None:
    """One warning line on standard error, ``WARNING: msg``."""
    print(f"WARNING: {msg}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def warning_lines() -> Iterator[None]:
    """Print the library's warnings raised inside (rows dropped by ``na_action="drop"``, a
    column read as a factor) as ``WARNING:`` lines; the sampler's and REML's convergence
    warnings are left out, since the commands print those naming the fit."""
    from bayeszoo.diagnostics import ConvergenceWarning, SamplerWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            yield
        finally:
            for w in caught:
                if not issubclass(w.category, SamplerWarning | ConvergenceWarning):
                    warn(str(w.message))


def unknown_model(name: str) -> int:
    """Say that ``name`` is no zoo model, list the zoo's names; the exit status for it."""
    from bayeszoo.models import zoo

    print(f"bayeszoo: unknown model {name!r}. Known models:", file=sys.stderr)
    for n in zoo.names():
        print(f"  {n}", file=sys.stderr)
    return EXIT_UNKNOWN_MODEL


def sampler_kwargs(args: argparse.Namespace) -> dict:
    """The keywords of :func:`bayeszoo.sample` that the sampler arguments set."""
    out = {}
    for key in ("chains", "draws", "tune", "seed", "target_accept", "dense_mass"):
        v = getattr(args, key, None)
        if v is not None:
            out[key] = v
    out["progress"] = not getattr(args, "quiet", False)
    return out


def add_sampler_args(p: argparse.ArgumentParser, formula: bool = False) -> None:
    """``--backend``, ``--chains``, ``--draws``, ``--tune``, ``--seed``, ``--target-accept``,
    ``--dense-mass`` and ``-q``; ``formula``: the command also samples ``--formula`` (with
    :func:`bayeszoo.sample`'s defaults); the backends are those registered in
    :data:`bayeszoo.inference.backends.BACKENDS`."""
    from bayeszoo.inference import backends

    def default(value: str) -> str:
        return f"default: the zoo entry's; {value} for --formula" if formula else \
            "default: the zoo entry's"

    p.add_argument("--backend", default="numpyro", choices=backends.names(), help="sampler")
    p.add_argument("--chains", type=count(1),
                   help=f"number of chains ({default('4')})")
    p.add_argument("--draws", type=count(1),
                   help=f"draws per chain after warm-up ({default('1000')})")
    p.add_argument("--tune", type=count(0),
                   help=f"warm-up iterations per chain ({default('1000')})")
    p.add_argument("--seed", type=count(0), default=None, help="random seed (default: 0)")
    p.add_argument("--target-accept", dest="target_accept", type=float, default=None,
                   help=f"NUTS target acceptance probability ({default('0.8')})")
    p.add_argument("--dense-mass", dest="dense_mass", action="store_true", default=None,
                   help="adapt a dense mass matrix (correlated posteriors, few parameters; "
                        "default: a diagonal one)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bars or tables; warnings and the JSON line only "
                        "(default: off)")


def cli_family(name: str | None, link: str | None, default: str = "gaussian",
               reml: bool = False):
    """The family of ``--family NAME`` (default ``default``) with ``--link``: a
    :mod:`bayeszoo.families` object; ``ValueError`` naming an unknown family or link. With
    ``reml``, mgcv's REML-only families (``ocat``, ``ziP``, ``multinom``, ``cox.ph``) pass as
    their names for :func:`bayeszoo.reml`."""
    from bayeszoo import families

    if reml and name in families.REML_ONLY:
        if link not in (None, "identity"):
            raise ValueError(f"mgcv's {name} family has its own link; drop --link {link}")
        return name
    return families.get(name or default, link=link)


def add_family_args(p: argparse.ArgumentParser, default: str, reml: bool = False) -> None:
    """``--family NAME`` (brms's names; with ``reml`` mgcv's REML-only families too) and
    ``--link``."""
    from bayeszoo.families import REML_ONLY, names

    known = [*names(), *REML_ONLY] if reml else names()
    p.add_argument("--family", metavar="NAME",
                   help=f"response family ({', '.join(known)}; default: {default})")
    p.add_argument("--link", help="link function (default: the family's, e.g. logit, log)")


def add_na_action_arg(p: argparse.ArgumentParser) -> None:
    """``--na-action raise|drop`` (:func:`bayeszoo.design`'s ``na_action``)."""
    p.add_argument("--na-action", dest="na_action", choices=("raise", "drop"), default="raise",
                   help="rows with a missing value in a column the formula uses: raise an "
                        "error naming the column, or drop them with a warning giving the count")


def diagnostic_warnings(name: str, checks) -> list[str]:
    """A fit's problems (:meth:`bayeszoo.diagnostics.FitChecks.warnings`: divergences, maximum
    tree depth, R-hat, ESS, each with what to try), as warning lines naming the fit."""
    return [f"{name}: {line}" for line in checks.warnings()]


def print_table(df) -> None:
    """A pandas table on standard output: 200 characters wide, up to 30 columns, two decimals."""
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 30,
                           "display.float_format", "{:.2f}".format):
        print(df.to_string())
