"""``bayeszoo fit``: sample a zoo model by name, or any formula on a bundled dataset, a CSV or a
Parquet file (``--formula ... --data FILE``), and the reader of ``--data`` that ``reml`` shares.

Both print brms's summary (:meth:`bayeszoo.inference.sampling.PosteriorDraws.summary`, the
layout of ``print(fit)``), the sampler's warnings, one JSON line, and with ``-o`` save the fit
for ``compare`` and ``report``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bayeszoo.cli_args import (
    EXIT_BAD_ARGUMENTS,
    add_family_args,
    add_na_action_arg,
    add_sampler_args,
    cli_family,
    diagnostic_warnings,
    print_result,
    sampler_kwargs,
    unknown_model,
    warn,
    warning_lines,
)


def read_data(spec: str):
    """The data frame of ``--data SPEC`` (:func:`bayeszoo.datasets.read_table`: a bundled
    dataset's name, a CSV or a Parquet file); ``ValueError`` naming ``--data`` and what is wrong."""
    from bayeszoo.datasets import read_table

    try:
        return read_table(spec)
    except ValueError as exc:
        raise ValueError(f"--data {exc}") from None


def parse_priors(text: str) -> dict[str, str]:
    """``--priors JSON``: a JSON object of brms names (or classes) to priors, the keys and
    values of :func:`bayeszoo.sample`'s ``priors=``. ``ValueError`` naming what is wrong."""
    example = '\'{"sigma": "exponential(1)", "b_x": "normal(0, 2)"}\''
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--priors {text!r} is not valid JSON ({exc.msg} at character "
                         f"{exc.pos}); write an object such as {example}") from None
    if not isinstance(value, dict):
        raise ValueError(f"--priors must be a JSON object of parameter -> prior, got "
                         f"{type(value).__name__} {text!r}; write e.g. {example}")
    bad = [k for k, v in value.items() if not isinstance(v, str)]
    if bad:
        raise ValueError(f"--priors: the prior of {bad[0]!r} must be a string such as "
                         f"\"normal(0, 2)\", got {value[bad[0]]!r}")
    return value


def check_target(args: argparse.Namespace) -> int | None:
    """``None`` when the arguments name one thing to fit (a zoo NAME, or ``--formula`` with
    ``--data``); else say what to give and return the exit status (2: bad arguments, or an
    unknown zoo name)."""
    from bayeszoo.models import zoo

    problem = None
    if args.formula is None:
        if args.name is None:
            problem = "give a zoo model NAME (see `bayeszoo list`) or --formula FORMULA --data FILE"
        elif args.data is not None:
            problem = (f"--data goes with --formula; zoo model {args.name!r} brings its own data "
                       "(give --formula FORMULA --data FILE without a NAME)")
        elif args.name not in zoo.names():
            return unknown_model(args.name)
    elif args.name is not None:
        problem = (f"give either a zoo model NAME ({args.name!r}) or --formula, not both: "
                   f"`bayeszoo fit {args.name}` samples the zoo model, `bayeszoo fit --formula "
                   "FORMULA --data FILE` a formula on your data")
    elif args.data is None:
        problem = "--formula needs --data: a CSV or Parquet file or a bundled dataset"
    if problem is None:
        return None
    print(f"bayeszoo fit: {problem}", file=sys.stderr)
    return EXIT_BAD_ARGUMENTS


def sample_draws(args: argparse.Namespace):
    """The :class:`~bayeszoo.inference.sampling.PosteriorDraws` and family of ``args``: a zoo
    entry through :func:`bayeszoo.api.fit_draws`, or ``--formula`` on ``--data``. Warnings of
    the data's checks (rows dropped by ``--na-action drop``) print as ``WARNING:`` lines."""
    from bayeszoo.api import fit_draws
    from bayeszoo.inference.sampling import draw_posterior

    options = {**sampler_kwargs(args), "na_action": args.na_action}
    if args.priors is not None:
        options["priors"] = parse_priors(args.priors)
    with warning_lines():
        if args.formula is None:
            from bayeszoo.models import zoo

            entry = zoo.get(args.name)
            family = entry.family_object() if args.family is None and args.link is None else \
                cli_family(args.family, args.link, entry.family)
            draws = fit_draws(args.name, backend=args.backend, family=family, **options)
        else:
            data = read_data(args.data)
            family = cli_family(args.family, args.link)
            draws = draw_posterior(args.formula, data, backend=args.backend, family=family,
                                   **options)
            draws.attrs["dataset"] = Path(args.data).name
    return draws, family


def cmd_fit(args: argparse.Namespace) -> int:
    """Sample, print brms's summary and the sampler's warnings, end with the JSON line; exit 3
    when the chains did not converge."""
    from bayeszoo.api import save
    from bayeszoo.diagnostics import EXIT_NOT_CONVERGED
    from bayeszoo.inference.draws_summary import draws_checks_of, draws_headline

    code = check_target(args)
    if code is not None:
        return code
    if args.output:
        from bayeszoo.paths import check_writable

        check_writable(args.output)
    draws, family = sample_draws(args)
    if not args.quiet:
        print(draws.summary().text())
    name = args.name or args.formula
    checks = draws_checks_of(draws)
    for w in diagnostic_warnings(name, checks):
        warn(w)
    head = {"model": args.name} if args.formula is None else \
        {"formula": args.formula, "data": args.data, "rows": draws.design.n}
    result = {**head, "backend": args.backend, "family": str(family),
              **draws_headline(draws, checks)}
    if args.output:
        result["output"] = str(save(draws.inference_data(), args.output))
    print_result(result)
    return 0 if checks.converged else EXIT_NOT_CONVERGED


def add_fit_parser(sub, formatter_class: type[argparse.HelpFormatter]) -> None:
    """The ``fit`` subcommand."""
    p = sub.add_parser(
        "fit", help="sample a zoo model, or a formula on your data",
        formatter_class=formatter_class,
        description="Sample a zoo model (bayeszoo fit NAME) or any brms-style formula on a\n"
                    "bundled dataset, a CSV or a Parquet file\n"
                    "(bayeszoo fit --formula 'y ~ x + (1 | g)' --data file.csv), with brms's\n"
                    "default priors unless --priors overrides them; print brms's summary and\n"
                    "a JSON line.")
    p.add_argument("name", nargs="?", metavar="NAME",
                   help="a zoo model (see `bayeszoo list`); leave out with --formula")
    p.add_argument("--formula", help="a brms-style formula to sample instead of a zoo model, "
                                     "e.g. 'y ~ x + (1 | g)' (needs --data; default: none, "
                                     "sample the zoo model NAME)")
    p.add_argument("--data", metavar="FILE",
                   help="with --formula: a CSV file, a Parquet file (.parquet, .pq) or a "
                        "bundled dataset name (see `bayeszoo datasets`; default: none, the "
                        "zoo model's own data)")
    add_family_args(p, "the zoo entry's; gaussian for --formula")
    p.add_argument("--priors", metavar="JSON",
                   help="a JSON object of parameter or class -> prior, the keys of "
                        "bayeszoo.sample's priors=, e.g. '{\"sigma\": \"exponential(1)\", "
                        "\"b_x\": \"normal(0, 2)\"}' (default: brms's default priors)")
    add_na_action_arg(p)
    add_sampler_args(p, formula=True)
    p.add_argument("-o", "--output", help="save the fit as netCDF (FILE.nc) for `compare` and "
                                          "`report` (default: not saved)")
    p.set_defaults(func=cmd_fit)
