"""Write the large simulated data set of the bam benchmarks as Parquet partitions.

Plain script::

    python benchmarks/make_big_data.py --out big/ [--rows 10000000] [--partitions 20]
        [--groups 1000] [--seed 35] [--csv]

Rows follow mgcv's issue-35 model, ``y ~ s(x1) + s(x2) + s(x3) + s(g, bs = "re")``:
``x1, x2, x3`` uniform on (0, 1), ``g`` one of ``--groups`` levels (``g0000``, ...) with effects
``b_g ~ N(0, 0.5²)`` (Gaussian) and ``N(0, 0.3²)`` (Poisson), and

* ``y = f1(x1) + f2(x2) + f3(x3) + b_g + e``, ``e ~ N(0, 1)`` (the Gaussian response);
* ``count ~ Poisson(exp(0.3·(f1(x1) + f2(x2) + f3(x3)) + c_g))`` (the Poisson response),

``f1(x) = sin(2πx)``, ``f2(x) = exp(2x)/4``, ``f3(x) = 0.2·x¹¹·(10(1 - x))⁶`` (Gu and Wahba's
test functions, as ``mgcv::gamSim``). Partition ``i`` is ``part-iiiii.parquet`` and is drawn from
its own stream (``numpy.random.default_rng([seed, i])``), the group effects from ``seed`` alone,
so each partition is made in memory on its own (peak memory: one partition) and the data set is
the same for the same arguments. ``g`` is a categorical column with every level in each file, so
that ``dask.dataframe.read_parquet`` reads the same levels everywhere. ``--csv`` also writes one
CSV of all rows (for ``mgcv::bam`` in R without the arrow package).

Read it back with ``dask.dataframe.read_parquet(out)`` (out of core) or ``pandas.read_parquet``,
and fit it with ``bayeszoo reml --engine bam --dask --data out/ FORMULA``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

FORMULA = 'y ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")'
POISSON_FORMULA = 'count ~ s(x1) + s(x2) + s(x3) + s(g, bs="re")'


def truth(x1: np.ndarray, x2: np.ndarray, x3: np.ndarray) -> np.ndarray:
    """``f1(x1) + f2(x2) + f3(x3)``."""
    return (np.sin(2 * np.pi * x1) + np.exp(2 * x2) / 4
            + 0.2 * x3**11 * (10 * (1 - x3))**6)


def group_effects(groups: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian and Poisson group effects."""
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 0.5, groups), rng.normal(0.0, 0.3, groups)


def partition(i: int, rows: int, groups: int, seed: int) -> pd.DataFrame:
    """Partition ``i`` of ``rows`` rows."""
    b, c = group_effects(groups, seed)
    rng = np.random.default_rng([seed, i])
    x1, x2, x3 = rng.uniform(size=(3, rows))
    g = rng.integers(0, groups, rows)
    f = truth(x1, x2, x3)
    levels = [f"g{k:04d}" for k in range(groups)]
    return pd.DataFrame({
        "y": f + b[g] + rng.normal(size=rows),
        "count": rng.poisson(np.exp(0.3 * f + c[g])),
        "x1": x1, "x2": x2, "x3": x3,
        "g": pd.Categorical.from_codes(g, categories=levels)})


def sizes(rows: int, partitions: int) -> list[int]:
    """Rows per partition: as equal as possible, the first ones one row longer."""
    base, extra = divmod(rows, partitions)
    return [base + (i < extra) for i in range(partitions)]


def write(out: Path, rows: int, partitions: int, groups: int, seed: int,
          csv: bool = False) -> list[Path]:
    """Write the partitions (and the CSV) under ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    csv_path = out.parent / f"{out.name}.csv"
    for i, n in enumerate(sizes(rows, partitions)):
        df = partition(i, n, groups, seed)
        path = out / f"part-{i:05d}.parquet"
        df.to_parquet(path, index=False)
        if csv:
            df.to_csv(csv_path, mode="a" if i else "w", header=not i, index=False)
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="directory of the partitions")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--partitions", type=int, default=20)
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=35)
    ap.add_argument("--csv", action="store_true", help="also write OUT.csv with every row")
    args = ap.parse_args()
    paths = write(args.out, args.rows, args.partitions, args.groups, args.seed, args.csv)
    print(f"wrote {args.rows} rows in {len(paths)} partitions under {args.out}")


if __name__ == "__main__":
    main()
