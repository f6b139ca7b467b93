"""A script of ``benchmarks/`` loaded as a module, for the tests of its helpers."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def bench_script(name: str) -> ModuleType:
    """``benchmarks/<name>.py`` executed as the module ``bench_<name>`` (registered in
    ``sys.modules``, as dataclasses defined in a script need)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
