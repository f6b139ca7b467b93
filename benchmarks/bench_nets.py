"""MNIST epoch time and images/second: bayeszoo's Flax + Optax loop beside PyTorch on the CPU.

Plain script (no asserts): ``python benchmarks/bench_nets.py [--epochs 3] [--cnn-limit 15000]``.
Each framework trains in its own fresh process, one after the other, on the same images:

* ``mnist-mlp``: 784 → 512 relu → dropout 0.2 → 10, RMSprop, batch 128, 48,000 training images
  (``validation_split=0.2`` of the 60,000, validation scored after every epoch, as Keras does);
* ``mnist-cnn``: conv 32 3×3 relu, conv 16 2×2 softplus, max-pool 2×2, dense 1000 relu,
  dropout 0.5, dense 10; Adam, batch 128; by default on the first ``--cnn-limit`` training
  images (the per-image rate is what is compared; a full epoch is extrapolated from it).

bayeszoo runs on its default device (one CPU device: XLA spreads its work over the cores) and,
as ``bayeszoo-dp``, data-parallel across the runtime's host devices (one per core, at least 4);
PyTorch with its default thread count (one per core) and
with one thread (its OpenMP threads spin while they wait, which costs it dearly when other
processes share the CPUs). The first epoch includes compilation (bayeszoo) or warm-up (PyTorch)
and is shown apart; "epoch" is the median of the later ones. PyTorch is an optional peer
(``pip install -e '.[bench]'``); where this interpreter cannot import it, the PyTorch workers run
in the interpreter that ``--torch-python`` or ``BAYESZOO_TORCH_PYTHON`` names (a separate
environment with torch and numpy only: the driver hands it the prepared images as a ``.npz``),
and without either its rows say so. ``--repeats N`` runs every runner N times, alternating the
runners (A B A B ...), and reports each run. Writes ``benchmarks/results/nets.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
NETS = ("mnist-mlp", "mnist-cnn")
RUNNERS = ("bayeszoo", "bayeszoo-dp", "torch", "torch-1thread")


# --------------------------------------------------------------------------- data


def _mnist(limit: int | None, flat: bool):
    """(x_train, y_train, x_val, y_val) as the recipe prepares them, split as Keras does."""
    from bayeszoo.nn import recipes

    name = "mnist-mlp" if flat else "mnist-cnn"
    prep = recipes.get(name).prepare(limit, 0)
    n_val = int(len(prep.x_train) * 0.2)
    x, y = prep.x_train, prep.y_train
    return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]


def save_mnist(net: str, limit: int | None, path: Path) -> Path:
    """Write :func:`_mnist`'s four arrays to ``path`` (``.npz``) for a worker without bayeszoo."""
    import numpy as np

    x, y, xv, yv = _mnist(limit, net == "mnist-mlp")
    np.savez(path, x=x, y=y, xv=xv, yv=yv)
    return path


def torch_python(option: str | None) -> str | None:
    """The interpreter for the PyTorch workers: this one if it imports torch, else ``option`` or
    ``BAYESZOO_TORCH_PYTHON``; ``None`` when neither is set."""
    import importlib.util

    if importlib.util.find_spec("torch") is not None:
        return sys.executable
    return option or os.environ.get("BAYESZOO_TORCH_PYTHON") or None


# --------------------------------------------------------------------------- bayeszoo


def run_bayeszoo(net: str, epochs: int, limit: int | None, all_devices: bool) -> dict:
    import jax

    from bayeszoo.nn import recipe_optimizer, recipes, train

    recipe = recipes.get(net)
    prep = recipe.prepare(limit, 0)
    model = recipe.build(prep, 0)
    optimizer, lr = recipe_optimizer(recipe, len(prep.x_train), epochs)  # the recipe's schedule
    history = train(model, (prep.x_train, prep.y_train), loss=recipe.loss,
                    optimizer=optimizer, lr=lr, epochs=epochs,
                    batch_size=recipe.batch_size, validation_split=recipe.validation_split,
                    seed=0, progress=False, devices=jax.devices() if all_devices else None)
    h = history.history
    return {"epoch_times": list(h["time"]), "train_images": history.params["samples"],
            "val_accuracy": float(h["val_accuracy"][-1]), "devices": history.params["devices"]}


# --------------------------------------------------------------------------- PyTorch peer


def run_torch(net: str, epochs: int, data: Path, threads: int | None = None) -> dict:
    import numpy as np
    import torch
    from torch import nn

    if threads is not None:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    flat = net == "mnist-mlp"
    arrays = np.load(data)
    x, y, xv, yv = (arrays[k] for k in ("x", "y", "xv", "yv"))
    if not flat:  # NHWC -> NCHW
        x, xv = x.transpose(0, 3, 1, 2).copy(), xv.transpose(0, 3, 1, 2).copy()
    x, y = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    xv, yv = torch.from_numpy(xv), torch.from_numpy(yv.astype(np.int64))
    if flat:
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding="same"), nn.ReLU(),
            nn.Conv2d(32, 16, 2, padding="same"), nn.Softplus(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(14 * 14 * 16, 1000), nn.ReLU(),
            nn.Dropout(0.5), nn.Linear(1000, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    times, acc = [], 0.0
    for epoch in range(epochs):
        t0 = time.perf_counter()
        model.train()
        order = torch.from_numpy(np.random.default_rng([0, epoch]).permutation(len(x)))
        for b in range(0, len(x), 128):
            idx = order[b:b + 128]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct = sum(int((model(xv[i:i + 1024]).argmax(1) == yv[i:i + 1024]).sum())
                          for i in range(0, len(xv), 1024))
        acc = correct / len(xv)
        times.append(time.perf_counter() - t0)
    return {"epoch_times": times, "train_images": int(len(x)), "val_accuracy": acc,
            "threads": torch.get_num_threads(), "torch": torch.__version__}


# --------------------------------------------------------------------------- driver


def run_worker(runner: str, net: str, epochs: int, limit: int | None, python: str | None,
               data: Path | None) -> dict:
    env = dict(os.environ)
    cmd = [python or sys.executable, str(Path(__file__).resolve()), "--worker", runner, net,
           "--epochs", str(epochs)]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    if data is not None:
        cmd += ["--data", str(data)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout)[-1500:]
        print(f"  {net}/{runner} failed (exit {proc.returncode}):\n{tail}", file=sys.stderr)
        return {"runner": runner, "net": net, "error": tail}
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    later = row["epoch_times"][1:] or row["epoch_times"]
    epoch = statistics.median(later)
    row.update(runner=runner, net=net, limit=limit, first_epoch_s=row["epoch_times"][0],
               epoch_s=epoch, images_per_s=row["train_images"] / epoch,
               full_epoch_s=48000 * epoch / row["train_images"])
    return row


def markdown(rows: list[dict]) -> str:
    lines = ["| net | runner | train images | first epoch (s) | epoch (s) | images/s "
             "| 48,000-image epoch (s) | val. accuracy |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "error" in r:
            reason = r["error"].strip().splitlines()[-1][:80] if r["error"].strip() else "failed"
            lines.append(f"| {r['net']} | {r['runner']} | — | — | — | — | — | {reason} |")
            continue
        lines.append(f"| {r['net']} | {r['runner']} | {r['train_images']:,} "
                     f"| {r['first_epoch_s']:.1f} | {r['epoch_s']:.1f} "
                     f"| {r['images_per_s']:,.0f} | {r['full_epoch_s']:.1f} "
                     f"| {r['val_accuracy']:.4f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--cnn-limit", type=int, default=15000,
                        help="training images (before the validation split) for the CNN; "
                             "0 for all 60,000")
    parser.add_argument("--nets", nargs="+", default=list(NETS), choices=NETS)
    parser.add_argument("--runners", nargs="+", default=list(RUNNERS), choices=RUNNERS)
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of every runner, alternating the runners")
    parser.add_argument("--torch-python", default=None,
                        help="interpreter for the PyTorch workers where this one lacks torch "
                             "(default: $BAYESZOO_TORCH_PYTHON)")
    parser.add_argument("--out", type=Path, default=RESULTS / "nets.json")
    parser.add_argument("--worker", nargs=2, metavar=("RUNNER", "NET"), help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        runner, net = args.worker
        if runner.startswith("torch"):
            row = run_torch(net, args.epochs, args.data, 1 if runner == "torch-1thread" else None)
        else:
            row = run_bayeszoo(net, args.epochs, args.limit, runner == "bayeszoo-dp")
        print(json.dumps(row))
        return

    rows = []
    tpython = torch_python(args.torch_python)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for net in args.nets:
            limit = (args.cnn_limit or None) if net == "mnist-cnn" else None
            data = (save_mnist(net, limit, Path(tmp) / f"{net}.npz")
                    if any(r.startswith("torch") for r in args.runners) else None)
            for rep in range(args.repeats):
                for runner in args.runners:
                    is_torch = runner.startswith("torch")
                    if is_torch and tpython is None:
                        rows.append({"runner": runner, "net": net,
                                     "error": "torch not importable; set --torch-python"})
                        continue
                    rows.append(run_worker(runner, net, args.epochs, limit,
                                           tpython if is_torch else None,
                                           data if is_torch else None))
                    r = rows[-1]
                    r["repeat"] = rep
                    print(f"  {net}/{runner} #{rep}: " + (f"{r['epoch_s']:.1f} s/epoch"
                                                         if "error" not in r else "failed"),
                          file=sys.stderr)
    load_after = os.getloadavg()
    print(f"MNIST training on the CPU, {args.epochs} epochs per run ({platform.machine()}, "
          f"{os.cpu_count()} CPUs; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after)\n")
    print(markdown(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "nets", "epochs": args.epochs, "python": platform.python_version(),
              "machine": platform.machine(), "cpus": os.cpu_count(),
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "load_before": load_before, "load_after": load_after, "runs": rows}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
