"""Sampling a multivariate model (brms's ``brm`` of ``mvbind(...) ~ ...`` or ``mvbf(...)``).

:func:`draw_multivariate` builds the joint model (:mod:`bayeszoo.models.multivariate`), runs
NUTS in NumPyro (``numpyro.infer.MCMC``) or PyMC (``pm.sample``) on it and names the draws as
brms does (:func:`brms_multivariate_posterior`): each response's parameters through the
univariate naming (:func:`bayeszoo.inference.posterior.brms_posterior`) with the response
inserted (``b_tarsus_Intercept``, ``sigma_back``, ``sd_fosternest__tarsus_Intercept``,
``r_fosternest__tarsus``), then the correlations across responses
(``cor_fosternest__tarsus_Intercept__back_Intercept``, ``rescor__tarsus__back``) and a shared
``nu``. The result becomes a :class:`~bayeszoo.inference.multivariate_fit.MultivariateFit`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayeszoo.formula.multivariate import MultivariateFormula
from bayeszoo.models.multivariate import (
    SAMPLERS,
    MultivariateSpec,
    linked_coefficients,
    multivariate_spec,
    mv_name,
)


def check_options(backend: str, parameterization: str, knots: Any, sample_prior: str) -> None:
    """``ValueError`` for what a multivariate model does not offer."""
    if backend not in SAMPLERS:
        raise ValueError(f"multivariate models are sampled with backend='numpyro' or "
                         f"backend='pymc', got {backend!r}")
    if parameterization != "noncentered":
        raise ValueError("multivariate models are sampled non-centered "
                         "(parameterization='noncentered')")
    if knots is not None:
        raise ValueError("knots= is not supported for multivariate models")
    if sample_prior != "no":
        raise ValueError("sample_prior= is not supported for multivariate models")


def run_numpyro(mspec: MultivariateSpec, chains: int, draws: int, tune: int, seed: int,
                target_accept: float, dense_mass: bool) -> tuple[dict, dict, float]:
    """NumPyro's NUTS (chains start uniformly in ``(-2, 2)`` unconstrained, as Stan's):
    site draws, the sample statistics under :data:`~bayeszoo.inference.backends.STAT_NAMES`
    and the seconds taken."""
    from bayeszoo.models.multivariate_samplers import build_numpyro_multivariate

    model, data = build_numpyro_multivariate(mspec)
    import jax
    from numpyro.infer import MCMC, NUTS, init_to_uniform

    from bayeszoo.inference.backends.numpyro import chain_method

    t0 = time.perf_counter()
    mcmc = MCMC(NUTS(model, target_accept_prob=target_accept, dense_mass=dense_mass,
                     init_strategy=init_to_uniform(radius=2.0)),
                num_warmup=tune, num_samples=draws, num_chains=chains,
                chain_method=chain_method(chains), progress_bar=False)
    mcmc.run(jax.random.PRNGKey(seed), data,
             extra_fields=("diverging", "num_steps", "energy", "accept_prob",
                           "potential_energy", "adapt_state.step_size"))
    site = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    ex = {k: np.asarray(v) for k, v in mcmc.get_extra_fields(group_by_chain=True).items()}
    stats = {"diverging": ex["diverging"].astype(bool), "energy": ex["energy"],
             "n_steps": ex["num_steps"], "tree_depth": np.floor(np.log2(ex["num_steps"])),
             "step_size": ex["adapt_state.step_size"], "lp": -ex["potential_energy"],
             "acceptance_rate": ex["accept_prob"]}
    return site, stats, time.perf_counter() - t0


def run_pymc(mspec: MultivariateSpec, chains: int, draws: int, tune: int, seed: int,
             target_accept: float, dense_mass: bool) -> tuple[dict, dict, float]:
    """PyMC's NUTS (one core per chain as available): as :func:`run_numpyro`."""
    import os

    import pymc as pm

    from bayeszoo.models.multivariate_samplers import build_pymc_multivariate

    t0 = time.perf_counter()
    model = build_pymc_multivariate(mspec)
    with model:
        trace = pm.sample(draws=draws, tune=tune, chains=chains,
                          cores=min(chains, os.cpu_count() or 1), random_seed=seed,
                          target_accept=target_accept,
                          init="jitter+adapt_full" if dense_mass else "jitter+adapt_diag",
                          progressbar=False, compute_convergence_checks=False)
    site = {s.name: np.asarray(trace.posterior[s.name].values) for s in mspec.sites}
    ss = trace.sample_stats
    stats = {k: np.asarray(ss[k].values) for k in ("diverging", "energy", "tree_depth",
                                                    "step_size", "n_steps", "lp",
                                                    "acceptance_rate") if k in ss}
    stats["diverging"] = stats["diverging"].astype(bool)
    return site, stats, time.perf_counter() - t0


def response_site_draws(mspec: MultivariateSpec, r: int, site: dict[str, np.ndarray]
                        ) -> dict[str, np.ndarray]:
    """Response ``r``'s draws under its univariate site names, its linked blocks' scales and
    standardized values recovered from their group's joint coefficients (so that the
    univariate naming gives the same coefficients)."""
    from bayeszoo.families.ops import NUMPY

    spec = mspec.specs[r]
    out = {own: site[joint] for own, joint in mspec.site_of[r].items()}
    if mspec.nu is not None:
        out["nu"] = site[mspec.nu]
    for j, (g, first) in mspec.linked_blocks(r).items():
        bs = spec.mu.blocks[j]
        coefs = linked_coefficients(g, site, NUMPY)
        k = len(bs.scale_sites) - 1 if len(bs.scale_sites) > 1 else 1
        sds = np.stack([site[g.sd_sites[first + i]] for i in range(k)], axis=-1)
        for i in range(k):
            out[bs.scale_sites[i]] = sds[..., i]
        if k == 1:
            out[bs.z_site] = coefs[..., first] / sds[..., 0][..., None]
            continue
        L = site[g.cor_site]
        omega = (L @ np.swapaxes(L, -1, -2))[..., first:first + k, first:first + k]
        sub = np.linalg.cholesky(omega)
        out[bs.scale_sites[k]] = sub
        M = sds[..., :, None] * sub
        out[bs.z_site] = np.swapaxes(np.linalg.solve(M, np.swapaxes(
            coefs[..., first:first + k], -1, -2)), -1, -2)
    return out


def correlation_pairs(L: np.ndarray, names: tuple[str, ...], prefix: str
                      ) -> dict[str, np.ndarray]:
    """``<prefix>__<a>__<b>`` of ``L·Lᵀ`` for every pair in brms's order."""
    omega = L @ np.swapaxes(L, -1, -2)
    return {f"{prefix}__{names[i]}__{names[j]}": omega[..., i, j]
            for j in range(len(names)) for i in range(j)}


def brms_multivariate_posterior(mspec: MultivariateSpec, site: dict[str, np.ndarray]
                                ) -> dict[str, np.ndarray]:
    """Joint site draws ``(chain, draw, ...)`` -> brms-named arrays (see the module doc)."""
    from .posterior import brms_posterior

    out: dict[str, np.ndarray] = {}
    for r, (resp, d, spec) in enumerate(zip(mspec.responses, mspec.designs, mspec.specs,
                                            strict=True)):
        named = brms_posterior(spec, response_site_draws(mspec, r, site), d)
        dpars = tuple(d.dpars)
        for k, v in named.items():
            out[mv_name(k, resp, dpars) if not (k == "nu" and mspec.nu) else k] = v
    for g in mspec.linked:
        out.update(correlation_pairs(site[g.cor_site], g.coefs, f"cor_{g.group}"))
    if mspec.rescor is not None:
        out.update(correlation_pairs(site[mspec.rescor], mspec.responses, "rescor"))
    return out


@dataclass
class MultivariateDraws:
    """A sampled multivariate model before it becomes a fit: its spec, the site draws, the
    brms-named posterior, the sample statistics and the attrs."""

    mspec: MultivariateSpec
    site: dict[str, np.ndarray]
    posterior: dict[str, np.ndarray]
    stats: dict[str, np.ndarray]
    attrs: dict[str, Any] = field(default_factory=dict)
    log_likelihood: bool = True

    def inference_data(self):
        """The :class:`~bayeszoo.inference.multivariate_fit.MultivariateFit`."""
        from .multivariate_fit import MultivariateFit

        return MultivariateFit.build(self)

    def pointwise_log_likelihood(self) -> np.ndarray:
        """The responses' joint ``log p(y_i | draw)`` (``chain × draw × n``)."""
        from bayeszoo.families.ops import NUMPY
        from bayeszoo.models.multivariate_likelihood import (
            joint_log_likelihood,
            multivariate_data,
        )

        return joint_log_likelihood(self.mspec, self.site, multivariate_data(self.mspec), NUMPY,
                                    np.concatenate)

    def summary(self, data_name: str | None = None) -> MultivariateSummary:
        """brms's summary of the scalar parameters, by section."""
        return multivariate_summary(self.posterior, self.attrs, data_name)


def multivariate_summary(posterior: dict[str, np.ndarray], attrs: dict[str, Any],
                         data_name: str | None = None) -> MultivariateSummary:
    """brms's ``summary`` of a multivariate model: its scalar parameters (``chain × draw``
    arrays) by section (:data:`SECTIONS`)."""
    from .draws_summary import draws_summary

    scalars = [k for k, v in posterior.items()
               if np.ndim(v) == 2 and not k.startswith("Intercept_")]
    sections = {}
    for title, prefixes in SECTIONS:
        names = [k for k in scalars if k.startswith(prefixes)]
        if names:
            sections[title] = draws_summary(posterior, names)
    return MultivariateSummary(attrs, data_name or attrs.get("dataset", "data"), sections)


#: brms's sections of a summary and the parameters' prefixes in each
SECTIONS = (("Group-Level Effects", ("sd_", "cor_")), ("Population-Level Effects", ("b_",)),
            ("Family Specific Parameters", ("sigma_", "nu")),
            ("Residual Correlations", ("rescor__",)))


@dataclass
class MultivariateSummary:
    """The summary :meth:`MultivariateDraws.summary` prints: a header and a table per
    section."""

    attrs: dict[str, Any]
    data_name: str
    sections: dict[str, Any]

    def text(self) -> str:
        a = self.attrs
        lines = [f" Family: MV({a.get('family', '')})", f"Formula: {a.get('formula', '')}",
                 f"   Data: {self.data_name}",
                 f"  Draws: {a.get('chains')} chains, each with iter = "
                 f"{a.get('tune', 0) + a.get('draws', 0)}; warmup = {a.get('tune')}"]
        for title, table in self.sections.items():
            lines += ["", f"{title}:", table.round(2).to_string()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def draw_multivariate(formula: MultivariateFormula, data, backend: str = "numpyro",
                      chains: int = 4, draws: int = 1000, tune: int = 1000, seed: int = 0,
                      target_accept: float = 0.8, dense_mass: bool = False,
                      progress: bool = True, priors: dict[str, Any] | None = None,
                      parameterization: str = "noncentered", family: Any = None,
                      na_action: str = "raise", knots: dict[str, Any] | None = None,
                      log_likelihood: bool = True, sample_prior: str = "no"
                      ) -> MultivariateDraws:
    """:func:`bayeszoo.sample` of a multivariate formula up to the draws (``family``: one
    family for every response, or a dict response -> family)."""
    from bayeszoo.models.nonlinear import prior_text

    from .sampling import check_args

    check_args(backend, chains, draws, tune, target_accept, seed, parameterization, dense_mass)
    check_options(backend, parameterization, knots, sample_prior)
    t0 = time.perf_counter()
    mspec = multivariate_spec(formula, data, family, priors, na_action)
    run = run_numpyro if backend == "numpyro" else run_pymc
    site, stats, seconds = run(mspec, int(chains), int(draws), int(tune), int(seed),
                               float(target_accept), bool(dense_mass))
    attrs = {"formula": str(formula), "response": ", ".join(mspec.responses),
             "responses": json.dumps(list(mspec.responses)), "family": mspec.family,
             "rescor": int(mspec.rescor is not None), "backend": backend,
             "priors": json.dumps(mspec.priors), "na_action": na_action,
             "priors_given": json.dumps({k: prior_text(v) for k, v in (priors or {}).items()}),
             "seed": int(seed), "chains": int(chains),
             "draws": int(draws), "tune": int(tune), "target_accept": float(target_accept),
             "sampling_seconds": round(seconds, 3),
             "total_seconds": round(time.perf_counter() - t0, 3)}
    return MultivariateDraws(mspec, site, brms_multivariate_posterior(mspec, site), stats,
                             attrs, log_likelihood)
