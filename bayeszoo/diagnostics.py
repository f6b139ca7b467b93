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
"""

from __future__ import annotations

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
