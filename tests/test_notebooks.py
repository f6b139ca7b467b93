"""Every notebook runs top to bottom in fast mode (``BAYESZOO_FAST=1``: fewer draws, epochs and
rows) without an error. The stored notebooks keep the outputs of a full run; this test executes
a copy and leaves them untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def test_all_notebooks_are_present():
    assert [p.name[:2] for p in PATHS] == ["01", "02", "03", "04", "05", "06", "07", "08", "09",
                                           "10", "11", "12", "13", "14", "15"]


def execution_errors(nb) -> list[str]:
    """``ename: evalue`` of every error output, with the start of the cell that raised it."""
    return [f"{o.get('ename')}: {o.get('evalue')} (in cell starting {c.source[:60]!r})"
            for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_in_fast_mode(path, monkeypatch):
    monkeypatch.setenv("BAYESZOO_FAST", "1")
    nb = nbformat.read(path, as_version=4)
    # errors are recorded in the outputs (not raised), so that every failing cell is reported
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    errors = execution_errors(nb)
    assert not errors, "\n".join(errors)


def test_execution_errors_are_found():
    """The check above can fail: an error output is reported with its cell."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    nb.cells[0].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError",
                                                  evalue="division by zero", traceback=[])]
    assert execution_errors(nb) == ["ZeroDivisionError: division by zero (in cell starting "
                                    "'1 / 0')"]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_stored_outputs_are_a_full_run(path):
    """The notebooks are stored as a full run left them: every code cell executed in order,
    no error, and the setup cell reporting the full (not the fast) mode."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "run mode: full" in text and "run mode: fast" not in text
