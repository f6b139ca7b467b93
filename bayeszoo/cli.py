"""The ``bayeszoo`` command."""

from __future__ import annotations

import argparse
import json
import sys


def _print_result(result: dict) -> None:
    """Commands that compute a result end with one line holding a JSON object of its figures."""
    print(json.dumps(result, default=float))


def cmd_datasets(args: argparse.Namespace) -> int:
    from bayeszoo.datasets import DATASETS

    print(f"{'name':<12} {'rows':>6} {'cols':>5}  source")
    for name, entry in DATASETS.items():
        df = entry["loader"]()
        print(f"{name:<12} {df.shape[0]:>6} {df.shape[1]:>5}  {entry['source']}")
        print(f"{'':<12} columns: {', '.join(map(str, df.columns))}")
    print(f"{'mnist':<12} {'70000':>6} {'784':>5}  canonical MNIST IDX files (load_mnist)")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from bayeszoo import runtime

    for key, value in runtime.info().items():
        print(f"{key:>14}: {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bayeszoo", description="Bayesian and penalized models and neural nets on one design."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("datasets", help="list the bundled datasets").set_defaults(func=cmd_datasets)
    sub.add_parser("info", help="JAX platform, devices and versions").set_defaults(func=cmd_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
