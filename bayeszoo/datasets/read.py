"""Read a table given by the user: a bundled dataset's name, a CSV file or a Parquet file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from bayeszoo.datasets.tabular import DATASETS

PARQUET_SUFFIXES = (".parquet", ".pq")


def read_table(path_or_name: str | os.PathLike) -> pd.DataFrame:
    """The data frame of ``path_or_name``: a bundled dataset's name (its loader, as
    :data:`DATASETS` lists them), a Parquet file (``.parquet``, ``.pq``) or a CSV file (any other
    name; pandas' ``read_csv`` defaults).

    Parameters
    ----------
    path_or_name : str or os.PathLike
        A key of :data:`DATASETS` (``"radon"``) or the path of a CSV or Parquet file.

    Returns
    -------
    pandas.DataFrame
        The table.

    Raises
    ------
    ValueError
        Naming the file and what is wrong with it: a directory, a path that does not exist, a
        file that does not parse.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.datasets.read_table("sleepstudy").shape
    (180, 3)
    >>> bz.datasets.read_table("no_such_file.csv")
    Traceback (most recent call last):
    ...
    ValueError: 'no_such_file.csv' is neither a bundled dataset (...) nor an existing CSV ...
    """
    spec = os.fspath(path_or_name)
    if isinstance(path_or_name, str) and spec in DATASETS:
        return DATASETS[spec]["loader"]()
    path = Path(spec)
    if path.is_dir():
        raise ValueError(f"{spec!r} is a directory; give a CSV or Parquet file or a "
                         f"bundled dataset ({', '.join(DATASETS)})")
    if not path.exists():
        raise ValueError(f"{spec!r} is neither a bundled dataset "
                         f"({', '.join(DATASETS)}) nor an existing CSV or Parquet file")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{spec!r} cannot be read as a Parquet file: {exc}") from None
    try:
        return pd.read_csv(path)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{spec!r} cannot be read as a CSV file: {exc}") from None
