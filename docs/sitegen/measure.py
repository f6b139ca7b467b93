"""Recompute the cheap reference checks (REML against mgcv and lme4) and write the errors this
build measures to ``.docs-cache/validation.json``, which the validation page shows.

Run ``python docs/sitegen/measure.py`` (a few seconds per fit). Each entry is keyed by the
check's key in :data:`validation.CHECKS`; its ``error`` is the largest relative error over the
quantities named, as text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from public import ROOT
from validation import MEASURED, SHARED


def _rel(ours: float, theirs: float) -> float:
    return abs(float(ours) - float(theirs)) / max(abs(float(theirs)), 1e-300)


def _mgcv(key: str, formula: str, loader: str, smooth: str) -> Callable[[], str]:
    def run() -> str:
        import bayeszoo as bz

        ref = json.loads((SHARED / "mgcv_reference.json").read_text())[key]
        fit = bz.reml(formula, getattr(bz.datasets, loader)())
        errors = {"REML": _rel(fit.reml_score, ref["reml"]),
                  "edf": _rel(fit.edf[smooth], ref["edf_smooth"]),
                  "scale": _rel(fit.scale, ref["scale"]), "sp": _rel(fit.sp[smooth], ref["sp"])}
        return ", ".join(f"{k} {v:.1e}" for k, v in errors.items())

    return run


def _lme4(key: str, formula: str) -> Callable[[], str]:
    def run() -> str:
        import bayeszoo as bz

        ref = json.loads((SHARED / "lme4_reference.json").read_text())[key]
        fit = bz.reml(formula, bz.datasets.load_sleepstudy())
        return f"criterion {_rel(fit.criterion, ref['criterion']):.1e}"

    return run


MEASURES: dict[str, Callable[[], str]] = {
    "mgcv-mcycle-k20": _mgcv("gam_mcycle_cr_k20", 'accel ~ s(times, bs="cr", k=20)',
                             "load_mcycle", "s(times)"),
    "mgcv-mcycle-k50": _mgcv("gam_mcycle_cr_k50", 'accel ~ s(times, bs="cr", k=50)',
                             "load_mcycle", "s(times)"),
    "mgcv-radon-re": _mgcv("gam_radon_re", 'log_radon ~ 1 + s(county, bs="re")', "load_radon",
                           "s(county)"),
    "lme4-reml": _lme4("sleep_corr_reml", "Reaction ~ Days + (Days | Subject)"),
    "lme4-uncorr": _lme4("sleep_uncorr_reml", "Reaction ~ Days + (Days || Subject)"),
}


def main() -> int:
    sys.path.insert(0, str(ROOT))
    import bayeszoo as bz

    out = {key: {"error": run(), "version": bz.__version__} for key, run in MEASURES.items()}
    MEASURED.parent.mkdir(parents=True, exist_ok=True)
    MEASURED.write_text(json.dumps(out, indent=1))
    for key, entry in out.items():
        print(f"{key}: {entry['error']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
