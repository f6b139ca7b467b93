"""Notebook 10's REML cell: what it says of ``bz.reml`` on ``te(Temp, Wind)`` is what it prints,
and what it prints is mgcv 1.8-41's estimate (shared/fixtures/mgcv_smooths2.json)."""

import ast
import json
import re

from conftest import FIXTURES, ROOT

NOTEBOOK = ROOT / "notebooks" / "10_smooths_in_2d.ipynb"


def test_notebook_10_shows_bz_reml_estimating_mgcvs_sp():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert "once its multi-penalty engine is in" not in text
    printed = "".join("".join(o.get("text", "")) for c in cells if c["cell_type"] == "code"
                      for o in c["outputs"])
    found = re.search(r"bz\.reml: sp = (\{.*?\}) \| σ² = ([\d.]+)", printed)
    assert found is not None
    sp, scale = ast.literal_eval(found.group(1)), float(found.group(2))
    mgcv = json.loads((FIXTURES / "mgcv_smooths2.json").read_text())["air_te"]
    assert sp.keys() == mgcv["sp"].keys()
    for label, value in sp.items():
        assert abs(value - mgcv["sp"][label]) < 1e-5 + 1e-4 * mgcv["sp"][label]
    assert abs(scale - mgcv["scale"]) < 1e-3
