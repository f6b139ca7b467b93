"""bayeszoo.datasets.read_table: the one reader of user tables (``fit --data``, ``reml --data``)."""

import re

import pandas as pd
import pytest

from bayeszoo.datasets import DATASETS, load_mcycle, read_table


def test_bundled_name_csv_and_parquet(tmp_path):
    assert read_table("mcycle").shape == (133, 2)
    pd.testing.assert_frame_equal(read_table("mcycle"), load_mcycle())
    df = pd.DataFrame({"y": [1.5, 2.5, 4.0], "g": ["a", "b", "a"]})
    df.to_csv(tmp_path / "t.csv", index=False)
    df.to_parquet(tmp_path / "t.pq")
    for path in (tmp_path / "t.csv", str(tmp_path / "t.csv"), tmp_path / "t.pq"):
        pd.testing.assert_frame_equal(read_table(path), df)


def test_a_path_object_is_never_a_bundled_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from pathlib import Path

    with pytest.raises(ValueError, match="'mcycle' is neither a bundled dataset"):
        read_table(Path("mcycle"))


def test_errors_name_the_file(tmp_path):
    names = ", ".join(DATASETS)
    with pytest.raises(ValueError, match=re.escape(
            f"'nosuch.csv' is neither a bundled dataset ({names}) nor an existing CSV or "
            "Parquet file")):
        read_table("nosuch.csv")
    with pytest.raises(ValueError, match=re.escape(f"{str(tmp_path)!r} is a directory")):
        read_table(tmp_path)
    bad = tmp_path / "bad.parquet"
    bad.write_text("y\n1\n")
    with pytest.raises(ValueError, match=re.escape(f"{str(bad)!r} cannot be read as a Parquet")):
        read_table(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match=re.escape(f"{str(empty)!r} cannot be read as a CSV")):
        read_table(empty)
