"""pyproject.toml asks for a build backend that understands what it declares."""

import re
import tomllib

from conftest import ROOT


def test_setuptools_floor_reads_an_spdx_license_string():
    """A license given as an SPDX expression string (PEP 639) needs setuptools 77 or later;
    older ones reject ``license = "MIT"`` when building."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["license"] == "MIT"
    (req,) = [r for r in meta["build-system"]["requires"] if r.startswith("setuptools")]
    floor = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", req)
    assert floor is not None, req
    assert int(floor.group(1)) >= 77
