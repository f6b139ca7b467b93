"""Posterior and LOO agreement with a brms fixture: asserted, and the errors measured recorded
for the documentation's validation page.

Each check writes ``.docs-cache/measured/<check>.<part>.json`` (``part`` is ``posterior`` or
``loo``) with the package version; ``docs/sitegen/validation.py`` shows the errors of the
current version beside each check's tolerance. Running the reference tests (``make test`` runs
them) is what measures them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

MEASURED = Path(__file__).resolve().parents[1] / ".docs-cache" / "measured"


def record(check: str, part: str, text: str) -> None:
    """Store the error text that ``check``'s ``part`` measured on this build."""
    import bayeszoo

    MEASURED.mkdir(parents=True, exist_ok=True)
    (MEASURED / f"{check}.{part}.json").write_text(
        json.dumps({"error": text, "version": bayeszoo.__version__}))


def posterior_errors(draws_of: Callable[[str], np.ndarray],
                     reference: Mapping[str, Mapping[str, float]]) -> dict[str, tuple[float, str]]:
    """The largest error over the reference's parameters: ``mean`` in reference posterior sds,
    ``sd`` as a relative error; each with the parameter where it occurs."""
    worst = {"mean": (0.0, ""), "sd": (0.0, "")}
    for par, r in reference.items():
        draws = np.asarray(draws_of(par)).ravel()
        errors = {"mean": abs(draws.mean() - r["mean"]) / r["sd"],
                  "sd": abs(draws.std(ddof=1) / r["sd"] - 1.0)}
        for quantity, err in errors.items():
            if err >= worst[quantity][0]:
                worst[quantity] = (float(err), par)
    return worst


def assert_posterior_agrees(check: str, draws_of: Callable[[str], np.ndarray],
                            reference: Mapping[str, Mapping[str, float]], mean_sd: float = 0.15,
                            sd_rel: float = 0.15) -> None:
    """Every parameter's posterior mean within ``mean_sd`` reference sds of brms's and its sd
    within ``sd_rel`` of brms's; the worst of each is recorded for ``check``."""
    worst = posterior_errors(draws_of, reference)
    record(check, "posterior", f"mean {worst['mean'][0]:.3f} sd ({worst['mean'][1]}), "
                               f"sd {100 * worst['sd'][0]:.1f} % ({worst['sd'][1]})")
    assert worst["mean"][0] < mean_sd, (check, "mean", worst["mean"])
    assert worst["sd"][0] < sd_rel, (check, "sd", worst["sd"])


def assert_loo_agrees(check: str, result: Mapping[str, float], reference: Mapping[str, float],
                      p_loo: float, elpd_loo: float | None) -> None:
    """``p_loo`` and ``elpd_loo`` within the given absolute distances of brms's (``elpd_loo``
    only recorded when its distance is ``None``); both distances recorded for ``check``."""
    d_p = abs(result["p_loo"] - reference["p_loo"])
    d_elpd = abs(result["elpd_loo"] - reference["elpd_loo"])
    record(check, "loo", f"p_loo {d_p:.2f}, elpd_loo {d_elpd:.2f}")
    assert d_p < p_loo, (check, "p_loo", result["p_loo"], reference["p_loo"])
    assert elpd_loo is None or d_elpd < elpd_loo, (check, "elpd_loo", result["elpd_loo"],
                                                   reference["elpd_loo"])
