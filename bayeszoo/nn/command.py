"""``bayeszoo train NET``: the lecture's networks from the command line."""

from __future__ import annotations

import argparse

from bayeszoo.cli_args import HelpFormatter, count, learning_rate, print_result


def cmd_train(args: argparse.Namespace) -> int:
    from bayeszoo.nn import run_recipe
    from bayeszoo.nn.checks import check_writable_dir

    out = args.out if args.out is not None else f"runs/{args.recipe}"
    check_writable_dir(out, "--out")
    if args.checkpoint_dir is not None:
        check_writable_dir(args.checkpoint_dir, "--checkpoint-dir")
    result = run_recipe(args.recipe, epochs=args.epochs, limit=args.limit, out=out,
                        seed=args.seed, progress=not args.quiet,
                        checkpoint_dir=args.checkpoint_dir, optimizer=args.optimizer, lr=args.lr,
                        batch_size=args.batch_size)
    if not args.quiet:
        print(f"history, metrics and learning curve written to {out}/")
    print_result(result)
    return 0


def add_train_parser(sub) -> None:
    from bayeszoo.nn.recipes import RECIPES

    p = sub.add_parser("train", help="train one of the lecture's networks (Flax + Optax)",
                       description="\n".join(f"{r.name}: {r.description}"
                                             for r in RECIPES.values()),
                       formatter_class=HelpFormatter)
    p.add_argument("recipe", choices=sorted(RECIPES), metavar="NET",
                   help=f"one of {', '.join(RECIPES)}")
    p.add_argument("--epochs", type=count(1), help="epochs (default: the recipe's)")
    p.add_argument("--limit", type=count(1),
                   help="train on the first N rows (and N test images; default: all)")
    p.add_argument("--out", help="folder for history, metrics, confusion matrix, weights "
                                 "(default runs/NET)")
    p.add_argument("--seed", type=count(0), default=0, help="random seed")
    p.add_argument("--checkpoint-dir", dest="checkpoint_dir",
                   help="checkpoint every epoch here and resume from it (default: no "
                        "checkpoints)")
    p.add_argument("--optimizer", choices=("rmsprop", "adam", "sgd"),
                   help="optimizer (default: the recipe's)")
    p.add_argument("--lr", type=learning_rate, help="learning rate (default: the recipe's)")
    p.add_argument("--batch-size", dest="batch_size", type=count(1),
                   help="rows per batch (default: the recipe's)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="only the JSON line (default: progress and metrics too)")
    p.set_defaults(func=cmd_train)
