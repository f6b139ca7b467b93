"""Convergence of a model with a neural-network term, judged in function space.

A network's posterior is invariant under permutations of its hidden units and, for odd
activations such as tanh, under flipping the signs of a unit's incoming and outgoing weights:
chains that sample the same functions may sit in different copies of the weight space, and
R-hat of the weights then flags chains that agree on everything the model says. R-hat and ESS
are therefore computed on what the model predicts: every linear predictor at every observed row
(brms's ``posterior_linpred``; ``linpred`` for ``mu``, ``linpred_<dpar>`` for a distributional
parameter) and the family's constant auxiliary parameters, as Izmailov, Vikram, Hoffman &
Wilson (2021, "What are Bayesian neural network posteriors really like?", ICML) assess chains
by their predictions. Fits without a network term are diagnosed on their parameters as usual.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .posterior import posterior_eta


def network_blocks(idata) -> list[dict[str, Any]]:
    """The stored naming (:func:`~bayeszoo.inference.posterior.design_info`) of every network
    block of a fit, in every linear predictor; empty for other fits."""
    raw = idata.attrs.get("design")
    if not raw:
        return []
    return [b for p in json.loads(raw)["predictors"] for b in p["blocks"] if "network" in b]


def network_weights(idata) -> list[str]:
    """The posterior variables holding network weights (``nn_nntimes``)."""
    return [b["coef_name"] for b in network_blocks(idata)]


def function_space_posterior(idata):
    """An xarray Dataset of the draws a network fit is diagnosed on: ``linpred`` (and
    ``linpred_<dpar>``) of shape ``(chain, draw, obs)`` at the fitted rows, and the constant
    auxiliary parameters (``sigma``, ...)."""
    import xarray as xr

    from .predict import fit_family, stored_additions, stored_arrays

    post = idata.posterior
    info = json.loads(idata.attrs["design"])
    out = {}
    for pinfo, arrays in zip(info["predictors"], stored_arrays(idata), strict=True):
        name = "linpred" if pinfo["dpar"] is None else f"linpred_{pinfo['dpar']}"
        out[name] = (("chain", "draw", "obs"), np.asarray(posterior_eta(post, pinfo, arrays)))
    for a in fit_family(idata).aux_parameters(tuple(stored_additions(idata))):
        if a.name in post:
            out[a.name] = post[a.name]
    return xr.Dataset(out, coords={"chain": post["chain"].values, "draw": post["draw"].values})


def diagnostic_posterior(idata):
    """What R-hat and ESS are computed on: :func:`function_space_posterior` for a fit with a
    network term, else the posterior."""
    return function_space_posterior(idata) if network_blocks(idata) else idata.posterior


def function_space_note(idata) -> str:
    """The report's sentence on why a network fit's weights are not summarized."""
    weights = ", ".join(f"{b['coef_name']} ({b['term']})" for b in network_blocks(idata))
    return (f"network weights {weights} are not summarized: permuting hidden units or flipping "
            "the signs of a unit's weights leaves the network's function unchanged, so R-hat "
            "and ESS of the weights are meaningless; convergence is judged in function space, "
            "on the linear predictor at every observed row (linpred) and the constant "
            "auxiliary parameters, and the warnings come from those")
