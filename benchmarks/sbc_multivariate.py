"""Simulation-based calibration of a multivariate model (``mvbind(...) ~ ...`` with residual
correlations) in NumPyro, for ``benchmarks/sbc_terms.py``.

:func:`bayeszoo.sbc` takes univariate models; this follows its steps (Talts et al. 2018,
Modrák et al. 2023) with the joint model of :mod:`bayeszoo.models.multivariate`:

1. draw every joint site from its prior (NumPyro's ``Predictive`` on the joint model, whose
   likelihood factor it leaves out);
2. compute each response's ``eta`` and ``sigma`` on the model's own design
   (:func:`~bayeszoo.models.multivariate_likelihood.response_parameters`) and draw the
   responses of every row jointly normal: ``y = eta + diag(sigma)·Lrescor·e``, ``e`` standard
   normal (brms's ``multi_normal_cholesky`` with ``diag_pre_multiply(sigma, Lrescor)``);
3. refit with :func:`~bayeszoo.inference.multivariate.draw_multivariate` (the same, now fixed,
   priors);
4. rank every scalar brms-named quantity (``b_y1_Intercept``, ``sd_g__y1_Intercept``,
   ``cor_g__y1_Intercept__y2_Intercept``, ``rescor__y1__y2``, ``sigma_y1``, ...) and the joint
   log-likelihood of the simulated data among the draws thinned by their bulk ESS
   (:func:`bayeszoo.inference.ranks.rank_statistic`), into an :class:`bayeszoo.SbcResult`.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pandas as pd


def prior_sites(mspec: Any, n_sims: int, seed: int) -> dict[str, np.ndarray]:
    """``n_sims`` prior draws of every joint site, ``(1, n_sims, ...)`` each."""
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    import jax
    from numpyro.infer import Predictive

    from bayeszoo.models.multivariate_samplers import build_numpyro_multivariate

    model, data = build_numpyro_multivariate(mspec)
    out = Predictive(model, num_samples=n_sims,
                     return_sites=[s.name for s in mspec.sites])(jax.random.PRNGKey(seed), data)
    return {k: np.asarray(v, dtype=float)[None] for k, v in out.items()}


def simulate_responses(mspec: Any, values: dict[str, np.ndarray],
                       rng: np.random.Generator) -> list[np.ndarray]:
    """The responses of one draw of the joint sites, jointly normal with ``rescor``."""
    from bayeszoo.families.ops import NUMPY
    from bayeszoo.models.multivariate_likelihood import multivariate_data, response_parameters

    data = multivariate_data(mspec)
    params = [response_parameters(mspec, r, values, data.responses[r].predictors, NUMPY,
                                  np.concatenate) for r in range(len(mspec.responses))]
    n, k = params[0][0].shape[-1], len(params)
    e = rng.standard_normal((n, k)) @ np.asarray(values[mspec.rescor]).T
    return [eta + np.broadcast_to(aux["sigma"], (n,)) * e[:, r]
            for r, (eta, aux) in enumerate(params)]


def joint_log_lik(mspec: Any, values: dict[str, Any]) -> np.ndarray:
    """The joint log-likelihood of ``mspec``'s data summed over rows."""
    from bayeszoo.families.ops import NUMPY
    from bayeszoo.models.multivariate_likelihood import joint_log_likelihood, multivariate_data

    return np.sum(joint_log_likelihood(mspec, values, multivariate_data(mspec), NUMPY,
                                       np.concatenate), axis=-1)


def sbc_multivariate(formula: str, data: pd.DataFrame, priors: dict[str, str], n_sims: int,
                     seed: int, chains: int, draws: int, tune: int, label: str,
                     max_rank: int = 99) -> Any:
    """SBC of the multivariate ``formula`` on ``data`` (its responses simulated) with
    ``priors``: an :class:`~bayeszoo.SbcResult`."""
    from bayeszoo import SbcResult
    from bayeszoo.diagnostics import MAX_TREE_DEPTH
    from bayeszoo.formula.multivariate import mvbind
    from bayeszoo.inference.convergence import ess_bulk, rhat
    from bayeszoo.inference.multivariate import brms_multivariate_posterior, draw_multivariate
    from bayeszoo.inference.ranks import rank_statistic
    from bayeszoo.inference.sbc import quantity, scalar_quantities
    from bayeszoo.inference.sbc_result import LOG_LIK
    from bayeszoo.models.multivariate import multivariate_spec

    t0 = time.perf_counter()
    mv = mvbind(formula)
    mspec = multivariate_spec(mv, data, None, priors)
    site = prior_sites(mspec, n_sims, seed)
    truth = brms_multivariate_posterior(mspec, site)
    names = scalar_quantities(truth)
    rows = []
    for j in range(n_sims):
        t1 = time.perf_counter()
        values = {k: v[0, j] for k, v in site.items()}
        ys = simulate_responses(mspec, values, np.random.default_rng([seed, j]))
        sim_data = data.assign(**dict(zip(mspec.responses, ys, strict=True)))
        true = {q: float(quantity(truth, q)[0, j]) for q in names}
        true[LOG_LIK] = float(joint_log_lik(multivariate_spec(mv, sim_data, None, priors),
                                            values))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = draw_multivariate(mv, sim_data, "numpyro", chains, draws, tune,
                                    seed * 100_003 + j + 1, priors=priors, progress=False)
        post = {q: quantity(fit.posterior, q) for q in names}
        post[LOG_LIK] = fit.pointwise_log_likelihood().sum(axis=-1)
        rng = np.random.default_rng([seed * 100_003 + j + 1, 1])
        ranks, kept, ess = {}, {}, {}
        for q in true:
            ess[q] = float(ess_bulk(post[q]))
            ranks[q], kept[q] = rank_statistic(true[q], post[q], ess[q], max_rank, rng)
        rows.append({"ranks": ranks, "kept": kept, "ess": ess, "diag": {
            "divergences": int(np.sum(fit.stats["diverging"])),
            "tree_depth_hits": int(np.sum(fit.stats["tree_depth"] >= MAX_TREE_DEPTH)),
            "max_rhat": float(np.nanmax([rhat(post[q]) for q in true])),
            "min_ess": float(np.nanmin(list(ess.values()))),
            "seconds": time.perf_counter() - t1}})
        print(f"sbc {label}: simulation {j + 1}/{n_sims} refitted in "
              f"{rows[-1]['diag']['seconds']:.1f} s", flush=True)
    index = pd.Index(range(n_sims), name="sim")
    frame = {k: pd.DataFrame([r[k] for r in rows], index=index) for k in ("ranks", "kept", "ess")}
    settings = {"model": label, "formula": formula, "family": "gaussian", "link": "identity",
                "backend": "numpyro", "priors": dict(mspec.priors), "n_sims": int(n_sims),
                "seed": int(seed), "parameterization": "noncentered", "chains": chains,
                "draws": draws, "tune": tune, "target_accept": 0.8, "dense_mass": False,
                "wall_seconds": round(time.perf_counter() - t0, 2)}
    return SbcResult(ranks=frame["ranks"].astype(np.int64), max_rank=int(max_rank),
                     ess=frame["ess"], kept=frame["kept"].astype(np.int64),
                     diagnostics=pd.DataFrame([r["diag"] for r in rows], index=index),
                     settings=settings)
