"""The bundled data's README table: one Markdown table, one row per dataset, shapes as loaded."""

import re

from conftest import ROOT

from bayeszoo.datasets import DATASETS

README = ROOT / "bayeszoo" / "datasets" / "README.md"


def table_lines() -> list[str]:
    """The lines from the table's header to the last table line before the prose after it."""
    lines = README.read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| file |"))
    last = max(i for i, ln in enumerate(lines) if ln.startswith("|"))
    return lines[start:last + 1]


def test_the_table_is_one_block():
    lines = table_lines()
    assert [ln for ln in lines if not ln.startswith("|")] == []


def test_every_dataset_has_a_row_with_its_loaded_shape():
    shapes = {}
    for row in table_lines()[2:]:
        file, shape = (cell.strip() for cell in row.strip("|").split("|")[:2])
        name = re.fullmatch(r"`(\w+)\.csv(?:\.gz)?`", file).group(1)
        rows, cols = (int(n.replace(",", "")) for n in shape.split("×"))
        shapes[name] = (rows, cols)
    assert set(shapes) == set(DATASETS)
    for name, entry in DATASETS.items():
        assert shapes[name] == entry["loader"]().shape, name
