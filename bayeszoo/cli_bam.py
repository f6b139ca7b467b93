"""``bayeszoo reml --engine bam``: the discretized fit of :func:`bayeszoo.bam` from the command
line, on data read into memory or, with ``--dask``, a Parquet file or directory of Parquet files
read partition by partition (out of core) and fitted on Dask's local scheduler or the
``--scheduler`` a user names."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bayeszoo.cli_args import count
from bayeszoo.cli_fit import read_data

__all__ = ["add_bam_args", "fit_engine"]


def add_bam_args(p: argparse.ArgumentParser) -> None:
    """The ``reml`` command's options for the bam engine."""
    p.add_argument("--engine", choices=("reml", "bam"), default="reml",
                   help="'reml': the exact fit (mgcv's gam); 'bam': discretized covariates and "
                        "cross-products (mgcv's bam(discrete = TRUE), for large data) (default: "
                        "reml)")
    p.add_argument("--m", type=count(2), default=None, metavar="M",
                   help="bam: values kept per covariate (default: mgcv's, 1000 for a "
                        "covariate of a one-covariate term)")
    p.add_argument("--dask", action="store_true",
                   help="bam: read --data (a Parquet file or a directory of Parquet files) "
                        "partition by partition with Dask instead of into memory (default: "
                        "off, the whole file in memory)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="bam --dask: the address of a Dask distributed scheduler (default: "
                        "Dask's local scheduler)")


def _dask_frame(spec: str) -> Any:
    path = Path(spec)
    if not path.exists() or not (path.is_dir() or path.suffix in (".parquet", ".pq")):
        raise ValueError(f"--dask reads a Parquet file or a directory of Parquet files; "
                         f"{spec!r} is not one")
    try:
        import dask.dataframe as dd
    except ImportError:
        raise ValueError("--dask needs Dask: pip install 'dask[dataframe]'") from None
    return dd.read_parquet(str(path))


def fit_engine(args: argparse.Namespace, formula: Any, options: dict[str, Any]):
    """The fit of ``formula`` the ``reml`` command asked for: :func:`bayeszoo.reml` or
    :func:`bayeszoo.bam`."""
    if args.engine == "reml":
        if args.dask or args.m is not None or args.scheduler is not None:
            raise ValueError("--m, --dask and --scheduler are options of --engine bam")
        from bayeszoo.penalized import reml

        return reml(formula, read_data(args.data), method=args.method,
                    na_action=args.na_action, **options)
    if args.scheduler is not None and not args.dask:
        raise ValueError("--scheduler runs the partitions of --dask data: give --dask too")
    if args.na_action != "raise":
        raise ValueError("--engine bam needs complete rows (--na-action raise): drop "
                         "incomplete rows from the data first")
    from bayeszoo.penalized.bam import bam

    data = _dask_frame(args.data) if args.dask else read_data(args.data)
    return bam(formula, data, method=args.method, m=args.m, client=args.scheduler, **options)
