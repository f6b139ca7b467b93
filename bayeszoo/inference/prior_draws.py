"""Draws from a model's priors: brms's ``sample_prior = "only"`` and ``"yes"``.

The prior draws go through the same model as the posterior's: every site of the resolved
:class:`~bayeszoo.models.spec.ModelSpec` is drawn from its prior, in order, by NumPyro's
forward sampling of :func:`bayeszoo.models.numpyro.sample_sites` (as simulation-based
calibration draws them, :func:`bayeszoo.inference.sbc.prior_draws`; a block's coefficients from
its scales' draws, correlations from the LKJ prior, a bounded parameter's prior truncated at its
bound), and turned into brms's names by :func:`bayeszoo.inference.posterior.brms_posterior`, so
``b_Intercept``, ``r_county`` and ``cor_Subject__Intercept__Days`` are the prior's draws of the
quantities the posterior reports. The draws are independent (Monte Carlo, not MCMC), as the
priors are known in closed form.

``"only"`` needs every prior proper; :func:`check_proper` names the flat ones. With ``"yes"``
a flat prior has no draws (brms samples only proper priors): the parameters it reaches are
left out of the ``prior`` group.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bayeszoo.design import Design
from bayeszoo.models.priors import Prior, is_proper
from bayeszoo.models.spec import ModelSpec

SAMPLE_PRIOR = ("no", "yes", "only")


def check_sample_prior(sample_prior: str) -> None:
    """``ValueError`` unless ``sample_prior`` is ``"no"``, ``"yes"`` or ``"only"``."""
    if sample_prior not in SAMPLE_PRIOR:
        raise ValueError(f"sample_prior must be 'no', 'yes' or 'only' (brms's), "
                         f"got {sample_prior!r}")


def flat_parameters(spec: ModelSpec) -> list[str]:
    """The brms names of the parameters of ``spec`` with a flat (improper) prior."""
    return [name for name, p in spec.priors.items() if p == "flat()"]


def check_proper(spec: ModelSpec) -> None:
    """``ValueError`` naming the parameters whose flat priors leave nothing to draw from."""
    flat = flat_parameters(spec)
    if flat:
        shown = ", ".join(flat[:10]) + (f" (and {len(flat) - 10} more)" if len(flat) > 10 else "")
        raise ValueError(
            f"sample_prior='only' draws from the priors, and these parameters have flat "
            f"(improper) priors: {shown}. Give them proper priors, e.g. "
            f"priors={{'b': 'normal(0, 5)'}} for every population-level coefficient, or "
            f"priors={{'{flat[0]}': 'normal(0, 1)'}} for one (see bz.get_prior for the names)")


def site_draws(spec: ModelSpec, chains: int, draws: int, seed: int) -> dict[str, np.ndarray]:
    """``chains × draws`` independent draws of every site of ``spec`` from its prior
    (``chain, draw, ...`` arrays); a site with a flat prior is NaN."""
    from .sbc import prior_draws as forward_draws

    flat = {s.name for s in spec.sites if not is_proper(s.prior)}
    proper = replace(spec, sites=[replace(s, prior=Prior("normal", (0.0, 1.0)))
                                  if s.name in flat else s for s in spec.sites])
    values = forward_draws(proper, chains * draws, seed)
    out = {}
    for s in spec.sites:
        x = values[s.name].reshape(chains, draws, *s.shape)
        out[s.name] = np.full_like(x, np.nan) if s.name in flat else x
    return out


def prior_draws(spec: ModelSpec, design: Design, chains: int, draws: int,
                seed: int) -> dict[str, np.ndarray]:
    """brms-named prior draws (``chain, draw, ...``) of every parameter the posterior reports
    whose priors are proper (see the module doc)."""
    from .posterior import brms_posterior

    posterior = brms_posterior(spec, site_draws(spec, chains, draws, seed), design)
    return {k: v for k, v in posterior.items() if not np.all(np.isnan(v))}


def add_prior_predictive(fit, seed: int) -> None:
    """Add to a ``sample_prior="only"`` fit (its posterior: the prior draws) the group
    ``posterior_predictive``: one draw of the response per prior draw
    (:func:`bayeszoo.predict` with ``kind="pp"``), brms's prior predictive."""
    y = fit.predict(kind="pp", seed=seed, labels=False)
    c, d = fit.posterior.sizes["chain"], fit.posterior.sizes["draw"]
    response = fit.attrs["response"]
    fit.add_groups(posterior_predictive={response: y.reshape(c, d, -1)},
                   dims={response: ["obs"]}, coords={"obs": np.arange(y.shape[1])})
