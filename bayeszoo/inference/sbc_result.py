"""What simulation-based calibration found (:class:`SbcResult`), and its file.

A result holds the rank of every quantity in every simulation (``ranks``: simulations ×
quantities, on ``0..max_rank``), the effective sample sizes the ranks were thinned by, each
refit's sampler diagnostics, and the settings it ran with. ``pvalues`` tests each quantity's
ranks for uniformity and ``band`` gives the simultaneous ECDF band
(:mod:`bayeszoo.inference.ranks`); :func:`bayeszoo.reports.figures_sbc.ecdf_difference_figure`
draws them. :meth:`SbcResult.save` writes one JSON file atomically; :meth:`SbcResult.load`
refuses a truncated or foreign file, naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.diagnostics import RHAT_MAX

from .ranks import EcdfBand, ecdf_band, ecdf_values, uniformity_pvalue

#: The test quantity beside the parameters: the log-likelihood of the simulated data
#: (Modrák, Moon, Kim, Kucukelbir, Bürkner & Vehtari 2023, "Simulation-based calibration
#: checking for Bayesian computation: the choice of test quantities shapes sensitivity").
LOG_LIK = "log_lik"
#: Each refit's sampler diagnostics (columns of :attr:`SbcResult.diagnostics`).
DIAGNOSTICS = ("divergences", "tree_depth_hits", "max_rhat", "min_ess", "seconds")
#: A refit whose smallest bulk ESS over the ranked quantities is below this did not mix
#: (100 effective draws: Vehtari et al. 2021's minimum per chain for a reliable R-hat).
REFIT_ESS_MIN = 100
FORMAT = "bayeszoo-sbc"
FORMAT_VERSION = 1


@dataclass
class SbcResult:
    """Ranks of ``n_sims`` refits (see the module doc).

    ``ranks``, ``ess`` (bulk ESS of each quantity in each refit) and ``kept`` (draws left
    after thinning) are DataFrames indexed by simulation with one column per quantity;
    ``diagnostics`` has :data:`DIAGNOSTICS` per refit (``divergences``, ``tree_depth_hits``,
    ``max_rhat``, ``min_ess``: the smallest bulk ESS of the ranked quantities, ``seconds``;
    a file from before holds the columns it had); ``settings`` the model, priors, backend and
    sampler options.

    Parameters
    ----------
    ranks : pandas.DataFrame
        Simulations × quantities, on ``0..max_rank``.
    max_rank : int
        The largest rank.
    ess : pandas.DataFrame
        Bulk ESS of each quantity in each refit.
    kept : pandas.DataFrame
        Draws left after thinning.
    diagnostics : pandas.DataFrame
        :data:`DIAGNOSTICS` per refit.
    settings : dict
        The model, priors, backend and sampler options.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> result = bz.sbc("radon_intercept", n_sims=100)  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    >>> result.save("sbc_radon.json")  # doctest: +SKIP
    """

    ranks: pd.DataFrame
    max_rank: int
    ess: pd.DataFrame
    kept: pd.DataFrame
    diagnostics: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n_sims(self) -> int:
        return len(self.ranks)

    @property
    def quantities(self) -> list[str]:
        return [str(c) for c in self.ranks.columns]

    @property
    def pvalues(self) -> pd.Series:
        """Per quantity, the p-value of uniform ranks (the ECDF test of
        :func:`bayeszoo.inference.ranks.uniformity_pvalue`)."""
        return pd.Series({q: uniformity_pvalue(self.ranks[q].to_numpy(), self.max_rank)
                          for q in self.quantities}, name="p_value", dtype=float)

    def familywise_pvalue(self) -> float:
        """The smallest p-value times the number of quantities, at most 1 (Bonferroni; equal to
        Holm's for the smallest): the p-value of "every quantity is uniform". A model with many
        quantities (radon's 85 county effects) has some p-values below 0.05 by chance; this one
        is below 0.05 in at most one calibrated model in twenty."""
        p = self.pvalues
        return float(min(1.0, p.min() * len(p)))

    def problems(self) -> dict[str, int]:
        """Refits whose sampler did not do its job, counted as the SBC R package's
        ``check_all_SBC_diagnostics`` counts them: ``unmixed`` (max R-hat above
        :data:`~bayeszoo.diagnostics.RHAT_MAX` or min bulk ESS below :data:`REFIT_ESS_MIN`),
        ``divergent`` (any divergent transition) and ``max_tree_depth`` (any transition at the
        maximum tree depth). Their ranks are kept; a miscalibration that only they show is the
        sampler's, not the model's."""
        d = self.diagnostics
        counts = {}
        if {"max_rhat", "min_ess"} <= set(d.columns):
            counts["unmixed"] = int(((d["max_rhat"] > RHAT_MAX)
                                     | (d["min_ess"] < REFIT_ESS_MIN)).sum())
        elif "max_rhat" in d.columns:
            counts["unmixed"] = int((d["max_rhat"] > RHAT_MAX).sum())
        if "divergences" in d.columns:
            counts["divergent"] = int((d["divergences"] > 0).sum())
        if "tree_depth_hits" in d.columns:
            counts["max_tree_depth"] = int((d["tree_depth_hits"] > 0).sum())
        return counts

    def warnings(self) -> list[str]:
        """One line per kind of :meth:`problems`, with the count and what to try."""
        p, n = self.problems(), self.n_sims
        draws = f"now {self.settings.get('chains')} chain(s) x {self.settings.get('draws')}"
        out = []
        if p.get("unmixed"):
            out.append(f"{p['unmixed']} of {n} refits did not mix (max R-hat > {RHAT_MAX} or "
                       f"bulk ESS < {REFIT_ESS_MIN}): their ranks rest on unconverged chains; "
                       f"refit with more tune and draws ({draws} draws)")
        if p.get("divergent"):
            out.append(f"{p['divergent']} of {n} refits had divergent transitions: raise "
                       "target_accept or give the scales tighter priors")
        if p.get("max_tree_depth"):
            out.append(f"{p['max_tree_depth']} of {n} refits hit the maximum tree depth: "
                       "rescale the predictors or tighten the priors")
        return out

    def band(self, alpha: float = 0.05) -> EcdfBand:
        """The simultaneous ``1 - alpha`` band of the ranks' ECDF."""
        return ecdf_band(self.n_sims, self.max_rank, alpha)

    def ecdf(self, quantity: str) -> np.ndarray:
        """The ECDF of ``quantity``'s ranks at the band's evaluation points."""
        return ecdf_values(self.ranks[quantity].to_numpy(), self.max_rank)

    def inside_band(self, alpha: float = 0.05) -> pd.Series:
        """Per quantity, whether the ECDF stays inside the simultaneous band everywhere."""
        b = self.band(alpha)
        return pd.Series({q: bool(np.all((self.ecdf(q) >= b.lower - 1e-12)
                                         & (self.ecdf(q) <= b.upper + 1e-12)))
                          for q in self.quantities}, name="inside_band")

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """One row per quantity: p-value, inside the band, mean rank (``max_rank/2`` when
        calibrated), the smallest and median ESS across refits."""
        return pd.DataFrame({
            "p_value": self.pvalues,
            "inside_band": self.inside_band(alpha),
            "mean_rank": self.ranks.mean(),
            "min_ess": self.ess.min(),
            "median_ess": self.ess.median(),
        })

    def plot(self, quantities: list[str] | None = None, alpha: float = 0.05):
        """The ECDF-difference figure (:mod:`bayeszoo.reports.figures_sbc`)."""
        from bayeszoo.reports.figures_sbc import ecdf_difference_figure

        return ecdf_difference_figure(self, quantities=quantities, alpha=alpha)

    # -- file -------------------------------------------------------------------------------
    def to_json(self) -> str:
        frames = {name: {"columns": self.quantities if name != "diagnostics"
                         else list(map(str, frame.columns)),
                         "index": [int(i) for i in frame.index],
                         "values": frame.to_numpy(dtype=float).tolist()}
                  for name, frame in (("ranks", self.ranks), ("ess", self.ess),
                                      ("kept", self.kept), ("diagnostics", self.diagnostics))}
        return json.dumps({"format": FORMAT, "version": FORMAT_VERSION,
                           "max_rank": self.max_rank, "settings": self.settings, **frames},
                          allow_nan=True)

    def save(self, path: str | Path) -> Path:
        """Write the result as JSON through a temporary file renamed when complete (an error or
        Ctrl-C leaves no partial file)."""
        from bayeszoo.paths import deferred_interrupt, write_text_atomically

        text = self.to_json()
        with deferred_interrupt():
            return write_text_atomically(path, text)

    @classmethod
    def load(cls, path: str | Path) -> SbcResult:
        """Read a file :meth:`save` wrote; ``ValueError`` naming a truncated or foreign file."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no such SBC result file: {path}")
        remedy = "it was not written by SbcResult.save (or was cut short); run bz.sbc again"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path} is not an SBC result: {exc}; {remedy}") from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError(f"{path} is not an SBC result file; {remedy}")
        if raw.get("version") != FORMAT_VERSION:
            raise ValueError(f"{path} is an SBC result of format version {raw.get('version')!r}; "
                             f"this bayeszoo reads version {FORMAT_VERSION}")
        try:
            frames = {name: pd.DataFrame(np.asarray(raw[name]["values"], dtype=float)
                                         .reshape(len(raw[name]["index"]),
                                                  len(raw[name]["columns"])),
                                         index=pd.Index(raw[name]["index"], name="sim"),
                                         columns=raw[name]["columns"])
                      for name in ("ranks", "ess", "kept", "diagnostics")}
            max_rank = int(raw["max_rank"])
            settings = dict(raw["settings"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path} is a damaged SBC result ({type(exc).__name__}: {exc}); "
                             f"{remedy}") from None
        return cls(ranks=frames["ranks"].astype(np.int64), max_rank=max_rank, ess=frames["ess"],
                   kept=frames["kept"].astype(np.int64), diagnostics=frames["diagnostics"],
                   settings=settings)
