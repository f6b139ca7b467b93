"""The convergence and PSIS-LOO thresholds that the report, the comparison table and the command
line all judge a fit by, in one place.

* R-hat: rank-normalized split R-hat above :data:`RHAT_MAX` = 1.01 means the chains have not
  mixed (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, "Rank-normalization, folding, and
  localization", Bayesian Analysis 16(2)).
* ESS: bulk and tail effective sample sizes below :data:`ESS_MIN` = 400 (100 per chain for four
  chains) are too few for reliable R-hat and interval estimates (same paper).
* E-BFMI: below :data:`BFMI_MIN` = 0.3 the momentum resampling explores the energy distribution
  poorly (Betancourt 2016, "Diagnosing suboptimal cotangent disintegrations in Hamiltonian Monte
  Carlo", arXiv:1604.00695).
* Pareto k of PSIS-LOO: good up to :data:`K_OK` = 0.5, ok up to :data:`K_BAD` = 0.7, bad above
  it and very bad above :data:`K_VERY_BAD` = 1 (Vehtari, Gelman & Gabry 2017, "Practical Bayesian
  model evaluation using leave-one-out cross-validation and WAIC", Statistics and Computing 27;
  the fixed categories of R loo's ``pareto_k_table``).
* Tree depth: a transition at :data:`MAX_TREE_DEPTH` = 10 ended its trajectory early (Stan's
  "exceeded the maximum treedepth").

:class:`FitChecks` judges one fit by these and writes its warning lines (each with the count
and what to try) and its ``converged`` flag; :func:`warn_fit` issues them as
:class:`SamplerWarning`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

RHAT_MAX = 1.01
ESS_MIN = 400
BFMI_MIN = 0.3
K_OK = 0.5
K_BAD = 0.7
K_VERY_BAD = 1.0


def pareto_k_counts(k) -> dict[str, int]:
    """Observations per Pareto k category, as R loo's ``pareto_k_table``: ``good`` (k <= 0.5),
    ``ok`` (0.5 < k <= 0.7), ``bad`` (0.7 < k <= 1) and ``very_bad`` (k > 1)."""
    k = np.asarray(k, dtype=float).ravel()
    return {
        "good": int(np.sum(k <= K_OK)),
        "ok": int(np.sum((k > K_OK) & (k <= K_BAD))),
        "bad": int(np.sum((k > K_BAD) & (k <= K_VERY_BAD))),
        "very_bad": int(np.sum(k > K_VERY_BAD)),
    }

#: Above this max R-hat (Gelman, Carlin, Stern, Dunson, Vehtari & Rubin, BDA3 section 11.5, the
#: classic threshold), or where R-hat is not finite, the chains have not converged at all: the
#: fit is ``converged: false`` and ``bayeszoo fit`` exits :data:`EXIT_NOT_CONVERGED`. Between
#: :data:`RHAT_MAX` and this, the fit is converged but warned about.
RHAT_FAIL = 1.1
#: NUTS's maximum tree depth in every backend (NumPyro, PyMC and nutpie default to 10, as Stan).
MAX_TREE_DEPTH = 10
#: The fewest draws per chain a fit may have: R-hat and ESS need at least 4 (ArviZ and R's
#: ``posterior`` return NaN below that).
MIN_DRAWS = 4
#: A fixed-effect column whose standard deviation lies outside ``[SCALE_MIN, SCALE_MAX]`` puts
#: its coefficient on a scale ``1/sd`` times the effect, far from the unit scale where NUTS
#: starts (initial values within ±2, identity mass matrix): the R-hat warning names it and
#: suggests rescaling the column (e.g. 1e-6 units to 1 unit).
SCALE_MIN = 1e-3
SCALE_MAX = 1e3
#: The exit status of a command whose fit did not converge (``bayeszoo fit``: max R-hat above
#: :data:`RHAT_FAIL` or not finite; ``bayeszoo reml``: the Newton iteration stopped short).
EXIT_NOT_CONVERGED = 3


class SamplerWarning(UserWarning):
    """A fit's sampler diagnostics call its draws into question (divergences, maximum tree
    depth, R-hat, ESS), or refits of simulation-based calibration did not mix. Filter it with
    ``warnings.filterwarnings("ignore", category=bz.SamplerWarning)``."""


class ConvergenceWarning(RuntimeWarning):
    """An optimizer (the REML engine's outer Newton iteration) stopped without converging; the
    fit's ``converged`` is false and its summary says so."""


@dataclass(frozen=True)
class FitChecks:
    """What the warnings about a fit are made of: chains and draws per chain, divergent
    transitions and transitions at the maximum tree depth after warm-up (``None``: unknown),
    max R-hat and min bulk ESS (over function space for a network), the fit's
    ``parameterization`` and ``target_accept``, and the fixed-effect columns of extreme scale
    (name -> standard deviation)."""

    chains: int
    draws: int
    divergences: int | None
    tree_depth_hits: int | None
    max_rhat: float
    min_ess_bulk: float
    parameterization: str = "noncentered"
    target_accept: float = 0.8
    ill_scaled: dict[str, float] = field(default_factory=dict)
    function_space: bool = False

    @property
    def converged(self) -> bool:
        """Max R-hat finite and at most :data:`RHAT_FAIL`."""
        return bool(math.isfinite(self.max_rhat) and self.max_rhat <= RHAT_FAIL)

    def warnings(self) -> list[str]:
        """One line per problem, with its count and what to try: :meth:`sampler_lines` then
        :meth:`mixing_lines`. The lines the command line prints and :func:`bayeszoo.sample`
        warns with (the report shows the sampler lines beside its per-parameter R-hat and ESS
        lines)."""
        return self.sampler_lines() + self.mixing_lines()

    def sampler_lines(self) -> list[str]:
        """Divergent transitions and transitions at the maximum tree depth after warm-up."""
        total = self.chains * self.draws
        out = []
        if self.divergences:
            out.append(f"{self.divergences} divergent transition(s) after warm-up, of {total} "
                       f"({self.divergences / total:.1%}): the posterior has regions NUTS "
                       f"cannot follow; {divergence_advice(self)}")
        if self.tree_depth_hits:
            out.append(f"{self.tree_depth_hits} transition(s) of {total} hit the maximum tree "
                       f"depth {MAX_TREE_DEPTH}: NUTS needed very long trajectories (a long, "
                       "narrow posterior); rescale predictors to unit scale or give flat-prior "
                       "coefficients proper priors")
        return out

    def mixing_lines(self) -> list[str]:
        """R-hat above :data:`RHAT_MAX` (or not finite) and bulk ESS below :data:`ESS_MIN`."""
        space = " (function space)" if self.function_space else ""
        out = []
        if not math.isfinite(self.max_rhat) or self.max_rhat > RHAT_MAX:
            value = "not finite" if not math.isfinite(self.max_rhat) else \
                f"{self.max_rhat:.3f} > {RHAT_MAX}"
            out.append(f"max R-hat{space} {value}: the {self.chains} chain(s) have not mixed; "
                       f"{rhat_advice(self)}")
        if math.isfinite(self.min_ess_bulk) and self.min_ess_bulk < ESS_MIN:
            out.append(f"min bulk ESS{space} {self.min_ess_bulk:.0f} < {ESS_MIN}: too few "
                       "effective draws for reliable means and intervals; run more draws "
                       f"(now {self.draws} per chain)")
        return out


def divergence_advice(checks: FitChecks) -> str:
    """What to try against divergences: when most transitions diverged, the model itself (no
    sampler setting rescues a posterior NUTS cannot enter); the non-centered form for a
    centered fit; else a higher ``target_accept`` (smaller steps) and tighter priors on the
    scales."""
    if checks.divergences and checks.divergences > checks.chains * checks.draws / 2:
        return ("with most transitions divergent no sampler setting helps: check the model "
                "(a link that lets the mean leave the family's support, such as identity for "
                "counts; priors far from the data's scale)")
    if checks.parameterization == "centered":
        return "try the non-centered form (parameterization='noncentered')"
    higher = 0.95 if checks.target_accept < 0.95 else 0.99
    return (f"the fit is already non-centered: raise target_accept from "
            f"{checks.target_accept:g} to {higher:g}, or give the scales (sd, sds, sigma) "
            "tighter priors")


def rhat_advice(checks: FitChecks) -> str:
    """What to try against a high R-hat: rescale the ill-scaled columns when there are any,
    else more warm-up and draws."""
    if checks.ill_scaled:
        cols = ", ".join(f"{name!r} (sd {sd:.3g})" for name, sd in checks.ill_scaled.items())
        return (f"fixed-effect column(s) {cols} lie far from unit scale (sd outside "
                f"{SCALE_MIN:g}..{SCALE_MAX:g}): rescale them, e.g. to standard units")
    return "run longer warm-up (tune) and more draws, or check the model"


def ill_scaled_columns(X, names) -> dict[str, float]:
    """The non-constant columns of ``X`` whose standard deviation lies outside
    ``[SCALE_MIN, SCALE_MAX]``, name -> sd (the intercept and other constant columns are
    left out)."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] < 2:
        return {}
    sd = np.std(X, axis=0)
    return {str(n): float(s) for n, s in zip(names, sd, strict=True)
            if s > 0 and np.isfinite(s) and not SCALE_MIN <= s <= SCALE_MAX}


def warn_fit(checks: FitChecks, name: str | None = None) -> None:
    """Each of ``checks.warnings()`` as a :class:`SamplerWarning` (prefixed with ``name``)."""
    import warnings

    for line in checks.warnings():
        warnings.warn(f"{name}: {line}" if name else line, SamplerWarning, stacklevel=3)
