"""The ``bayeszoo`` command."""

from __future__ import annotations

import argparse
import sys

from bayeszoo.cli_args import (
    HelpFormatter,
    add_family_args,
    add_na_action_arg,
    add_sampler_args,
    cli_family,
    count,
    diagnostic_warnings,
    print_result,
    print_table,
    sampler_kwargs,
    unknown_model,
    warn,
    warning_lines,
)
from bayeszoo.cli_bam import add_bam_args
from bayeszoo.cli_fit import add_fit_parser
from bayeszoo.nn.command import add_train_parser


def cmd_datasets(args: argparse.Namespace) -> int:
    from bayeszoo.datasets import DATASETS

    print(f"{'name':<17} {'rows':>6} {'cols':>5}  source")
    for name, entry in DATASETS.items():
        df = entry["loader"]()
        print(f"{name:<17} {df.shape[0]:>6} {df.shape[1]:>5}  {entry['source']}")
        print(f"{'':<17} columns: {', '.join(map(str, df.columns))}")
    print(f"{'mnist':<17} {'70000':>6} {'784':>5}  canonical MNIST IDX files (load_mnist)")
    from bayeszoo.datasets import synthetic

    for name in ("make_sigmoid_boundary", "make_circle", "make_flower"):
        maker = getattr(synthetic, name)
        df = maker()
        summary = maker.__doc__.strip().splitlines()[0]
        print(f"{name[5:]:<17} {df.shape[0]:>6} {df.shape[1]:>5}  synthetic ({name}): {summary}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from bayeszoo import runtime

    for key, value in runtime.info().items():
        print(f"{key:>14}: {value}")
    return 0


# --------------------------------------------------------------------------- zoo, fits, report (#6)

EXIT_STATUS = """exit status:
  0: done
  1: a user error (a bad value, a missing or unreadable file) or a failed step of `run`
  2: an unknown model name or bad arguments
  3: a fit that did not converge: `fit` with max R-hat above 1.1 or not finite, `reml`
     whose smoothing-parameter iteration stopped short (the JSON line says
     "converged": false; warnings say what to try)
  130: interrupted
  141: standard output closed by its reader (`bayeszoo list | head`)"""


def _fit_names(names: list[str]) -> int | None:
    """Exit status for the first unknown zoo name, else None."""
    from bayeszoo.models import zoo

    for n in names:
        if n not in zoo.names() and not n.endswith(".nc"):
            return unknown_model(n)
    return None


def cmd_list(args: argparse.Namespace) -> int:
    from bayeszoo.models import zoo

    print(f"{'name':<26} {'dataset':<11} formula")
    for e in zoo.entries():
        extra = "  [centered]" if e.parameterization == "centered" else ""
        if e.family != "gaussian":
            extra += f"  [{e.family}" + (f", {e.link} link]" if e.link else "]")
        print(f"{e.name:<26} {e.dataset:<11} {e.formula}{extra}")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    from bayeszoo.models import zoo

    if args.name not in zoo.names():
        return unknown_model(args.name)
    print(zoo.describe(args.name))
    return 0


def cmd_reml(args: argparse.Namespace) -> int:
    from bayeszoo.cli_bam import fit_engine

    options = {} if args.family is None and args.link is None else \
        {"family": cli_family(args.family, args.link, reml=True)}
    formula = args.formula[0] if len(args.formula) == 1 else list(args.formula)
    from bayeszoo.diagnostics import EXIT_NOT_CONVERGED

    with warning_lines():
        fit = fit_engine(args, formula, options)
    if not args.quiet:
        print(fit.summary())
    if not fit.converged:
        warn(fit.convergence_message)
    result = {
        "formula": formula, "method": args.method, "engine": args.engine, "n": int(fit.n),
        "edf": {k: float(v) for k, v in dict(fit.edf).items()},
        "edf_total": float(fit.edf_total), "reml_score": float(fit.reml_score),
        "scale": float(fit.scale), "sp": {k: float(v) for k, v in dict(fit.sp).items()},
        "converged": bool(fit.converged),
    }
    print_result(result)
    return 0 if fit.converged else EXIT_NOT_CONVERGED


def _load_or_fit(names: list[str], args: argparse.Namespace) -> dict:
    from pathlib import Path

    from bayeszoo.api import fit, load
    from bayeszoo.inference.compare import unique_name

    fits = {}
    for n in names:
        if n.endswith(".nc"):
            idata = load(n)
            fits[unique_name(str(idata.attrs.get("zoo_name") or Path(n).stem), fits)] = idata
        else:
            if not args.quiet:
                print(f"fitting {n} ({args.backend})", flush=True)
            fits[unique_name(n, fits)] = fit(n, backend=args.backend, **sampler_kwargs(args))
    return fits


def cmd_compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bayeszoo.inference.compare import compare
    from bayeszoo.paths import check_writable

    if args.output:
        check_writable(args.output)
    code = _fit_names(args.names)
    if code is not None:
        return code
    if len(args.names) < 2:
        print("bayeszoo compare: needs at least two fits (zoo names or FILE.nc)",
              file=sys.stderr)
        return 1
    missing = [n for n in args.names if n.endswith(".nc") and not Path(n).exists()]
    if missing:  # before any zoo model is sampled
        raise FileNotFoundError(f"no such fit file: {missing[0]}")
    fits = _load_or_fit(args.names, args)
    from bayeszoo.inference.fit_checks import idata_checks

    for n, idata in fits.items():
        for w in diagnostic_warnings(n, idata_checks(idata)):
            warn(w)
    table = compare(fits)
    if not args.quiet:
        print_table(table)
    def plain(v):
        if v != v:  # NaN: no REML counterpart
            return None
        return int(v) if float(v).is_integer() and not isinstance(v, float) else float(v)

    result = {"compare": {
        n: {k: plain(v) for k, v in row.items()}
        for n, row in table.drop(columns=["warning"]).to_dict("index").items()}}
    if args.output:
        from bayeszoo.reports import report

        result["report"] = str(report(fits, args.output, comparison=table))
    print_result(result)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bayeszoo.api import load
    from bayeszoo.inference.compare import unique_name
    from bayeszoo.paths import check_writable
    from bayeszoo.reports import report

    check_writable(args.output)
    fits = {}
    for f in args.files:
        if not Path(f).exists():
            print(f"bayeszoo report: no such file: {f}", file=sys.stderr)
            return 1
        idata = load(f)
        fits[unique_name(str(idata.attrs.get("zoo_name") or Path(f).stem), fits)] = idata
    path = report(fits, args.output)
    if not args.quiet:
        print(f"report written to {path}")
    print_result({"report": str(path), "fits": list(fits)})
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The main job (:func:`bayeszoo.main_job.run_main_job`) on the named or the backend's seed
    models, once the report path is writable and every name is a zoo model."""
    from bayeszoo.main_job import run_main_job
    from bayeszoo.models import zoo
    from bayeszoo.paths import check_writable

    check_writable(args.output)
    models = args.models or zoo.run_models(args.backend)
    code = _fit_names(models)
    if code is not None:
        return code
    return run_main_job(models, args.backend, sampler_kwargs(args), args.workers, args.output,
                        args.quiet)


def cmd_sbc(args: argparse.Namespace) -> int:
    """Simulation-based calibration of a zoo model (bz.sbc), serial or on a Dask cluster."""
    from bayeszoo.inference.sbc import sbc
    from bayeszoo.models import zoo
    from bayeszoo.paths import check_writable

    if args.name not in zoo.names():
        return unknown_model(args.name)
    if args.output:
        check_writable(args.output)
    priors = {}
    for item in args.prior or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"--prior {item!r}: write KEY=PRIOR, e.g. --prior 'sd=normal(0, 1)'")
        priors[key.strip()] = value.strip()
    executor = args.scheduler if args.scheduler else ("dask" if args.workers else None)
    opts = {k: v for k, v in sampler_kwargs(args).items() if k != "progress"}
    result = sbc(args.name, n_sims=args.n_sims, backend=args.backend, priors=priors or None,
                 executor=executor, workers=args.workers, max_rank=args.max_rank,
                 progress=not args.quiet, **opts)
    summary = result.summary()
    if not args.quiet:
        print_table(summary)
    for line in result.warnings():
        warn(f"{args.name}: {line}")
    familywise = result.familywise_pvalue()
    out = {"model": args.name, "backend": args.backend, "n_sims": result.n_sims,
           "pvalues": summary["p_value"].to_dict(),
           "inside_band": summary["inside_band"].to_dict(),
           "familywise_p": round(familywise, 4),
           "calibrated": familywise >= 0.05,
           "problems": result.problems(),
           "seconds": result.settings.get("wall_seconds")}
    if args.output:
        out["output"] = str(result.save(args.output))
    print_result(out)
    return 0


def _add_sbc_parser(sub) -> None:
    p = sub.add_parser("sbc", help="simulation-based calibration of a zoo model",
                       formatter_class=HelpFormatter,
                       description="Draw parameters from the prior, simulate responses, refit "
                                   "and test the ranks for uniformity (Talts et al. 2018).")
    p.add_argument("name", metavar="NAME", help="a zoo model (see `bayeszoo list`)")
    p.add_argument("--n-sims", dest="n_sims", type=count(2), default=200, help="simulations")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=count(1),
                       help="refit on a local Dask cluster of N worker processes (default: "
                            "serial, in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="refit on the Dask cluster of this scheduler (tcp://host:8786; "
                            "default: none)")
    p.add_argument("--prior", action="append", metavar="KEY=PRIOR",
                   help="a proper prior, e.g. --prior 'sd=normal(0, 1)' (repeatable; default: "
                        "the model's priors)")
    p.add_argument("--max-rank", dest="max_rank", type=count(1), default=99,
                   help="ranks lie on 0..MAX_RANK")
    add_sampler_args(p)
    p.add_argument("-o", "--output", help="save the result as JSON (FILE.json; default: not "
                                          "saved)")
    p.set_defaults(func=cmd_sbc)


def build_parser() -> argparse.ArgumentParser:
    """The ``bayeszoo`` argument parser: every argument of every subcommand with its help and
    default (:class:`bayeszoo.cli_args.HelpFormatter`), and the exit statuses as epilog."""
    parser = argparse.ArgumentParser(
        prog="bayeszoo", description="Bayesian and penalized models and neural nets on one design.",
        epilog=EXIT_STATUS, formatter_class=HelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("datasets", help="list the bundled datasets").set_defaults(func=cmd_datasets)
    sub.add_parser("info", help="JAX platform, devices and versions").set_defaults(func=cmd_info)
    add_train_parser(sub)

    sub.add_parser("list", help="list the zoo's models").set_defaults(func=cmd_list)
    p = sub.add_parser("describe", help="describe one zoo model", formatter_class=HelpFormatter)
    p.add_argument("name", metavar="NAME", help="a zoo model (see `bayeszoo list`)")
    p.set_defaults(func=cmd_describe)
    add_fit_parser(sub, HelpFormatter)
    p = sub.add_parser("reml", help="fit a formula by REML (mgcv-equivalent)",
                       formatter_class=HelpFormatter)
    p.add_argument("formula", metavar="FORMULA", nargs="+",
                   help="an mgcv/lme4-style formula, e.g. 'accel ~ s(times, k = 20)'; for "
                        "--family multinom one per linear predictor, the first with the "
                        "response: 'y ~ s(x)' '~ s(x)'")
    p.add_argument("--data", required=True, metavar="FILE",
                   help="a CSV file, a Parquet file (.parquet, .pq) or a bundled dataset name "
                        "(see `bayeszoo datasets`); required")
    p.add_argument("--method", default="REML", choices=("REML", "ML"),
                   help="smoothness selection criterion (mgcv's method=)")
    add_family_args(p, "gaussian", reml=True)
    add_na_action_arg(p)
    add_bam_args(p)
    p.add_argument("-q", "--quiet", action="store_true",
                   help="only the JSON line (default: the summary too)")
    p.set_defaults(func=cmd_reml)
    p = sub.add_parser("compare", help="fit zoo models (or load FILE.nc) and compare by LOO",
                       formatter_class=HelpFormatter)
    p.add_argument("names", nargs="+", metavar="NAME",
                   help="zoo models to fit, or fits saved by `bayeszoo fit -o FILE.nc` (zoo "
                        "models or --formula fits); two or more")
    add_sampler_args(p)
    p.add_argument("-o", "--output", help="also write the HTML report here (default: none)")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("report", help="HTML diagnostics report of saved fits",
                       formatter_class=HelpFormatter)
    p.add_argument("files", nargs="+", metavar="FILE.nc",
                   help="fits saved by `bayeszoo fit -o` or bayeszoo.save")
    p.add_argument("-o", "--output", default="report/index.html", help="report path")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="only the JSON line (default: also say where the report went)")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("run", help="the main job: fit the seed models and their REML twins, "
                                   "compare, write report/index.html",
                       formatter_class=HelpFormatter)
    add_sampler_args(p)
    p.add_argument("--models", nargs="+", metavar="NAME",
                   help="zoo models to fit instead (default: the seed models of the backend)")
    p.add_argument("--workers", type=count(1),
                   help="worker processes fitting models side by side (default: one per core)")
    p.add_argument("-o", "--output", default="report/index.html", help="report path")
    p.set_defaults(func=cmd_run)
    _add_sbc_parser(sub)
    return parser


#: What a command raises for a user's mistake: a bad value (``ValueError``, with the formula's
#: ``FormulaError``, a bad dataset's ``MnistError``, an unstorable column) or a missing file.
#: Each prints one line and exits 1; anything else is a bug and ends in its traceback.
USER_ERRORS = (ValueError, FileNotFoundError)


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. A user error (:data:`USER_ERRORS`: a bad value, a missing or
    unreadable file) prints one line naming it and exits 1; unknown model names exit 2 with the
    list of names, as argparse's errors do; a fit that did not converge (``fit``: max R-hat
    above 1.1 or not finite; ``reml``: the smoothing parameter iteration stopped short) exits 3
    after its JSON line, which says ``"converged": false``. Any other exception (a
    ``TypeError`` or ``KeyError`` of a bug) is raised with its traceback."""
    import warnings

    from bayeszoo.diagnostics import ConvergenceWarning, SamplerWarning

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            # the commands print the library's convergence warnings themselves, naming the fit
            warnings.simplefilter("ignore", SamplerWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            return args.func(args)
    except KeyboardInterrupt:
        print(f"bayeszoo {args.command}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        print(f"bayeszoo {args.command}: {user_message(exc)}", file=sys.stderr)
        return 1


def user_message(exc: BaseException) -> str:
    """The one line of a user error: its message (a ``KeyError`` subclass such as
    ``UnknownColumnError`` without the quotes ``str`` puts around a key)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)


EXIT_BROKEN_PIPE = 141


def console_main() -> None:
    """The ``bayeszoo`` command: :func:`main`, then the process ends at once. Everything it
    writes is flushed and closed by then; what the interpreter would still do is tear down the
    loaded libraries (XLA's compiled programs and clients), 0.5–1 s after a fit that no one
    waits for (``benchmarks/RESULTS_latency.md``).

    When the reader of standard output goes away (``bayeszoo list | head -3``) the command
    stops without a traceback and exits 141, the status a shell reports for a Unix tool that
    SIGPIPE ended (128 + 13), so ``set -o pipefail`` sees it as it sees ``cat`` in that place."""
    import logging
    import os

    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_BROKEN_PIPE
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console_main()
