"""Model comparison by approximate leave-one-out cross-validation (PSIS-LOO)."""

from __future__ import annotations


def loo(idata, pointwise: bool = True, **kwargs):
    """``arviz.loo(idata, pointwise=True)``: ``elpd_loo``, ``p_loo``, ``se``, ``pareto_k`` and
    the pointwise ``loo_i``, from the ``log_likelihood`` group that :func:`bayeszoo.sample`
    writes (one variable, named after the response)."""
    import arviz as az

    if "log_likelihood" not in idata.groups():
        raise ValueError("this InferenceData has no log_likelihood group; fit it with "
                         "bayeszoo.sample, which stores the pointwise log-likelihood")
    return az.loo(idata, pointwise=pointwise, **kwargs)


# --------------------------------------------------------------------------- compare (issue #6)

_LOO_CACHE: dict[int, tuple] = {}


def loo_cached(idata):
    """:func:`loo` of ``idata``, computed once per InferenceData object (the report, the
    comparison and the CLI's headline figures all need it; PSIS is the costly part)."""
    import warnings
    import weakref

    hit = _LOO_CACHE.get(id(idata))
    if hit is not None and hit[0]() is idata:
        return hit[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = loo(idata)
    key = id(idata)
    _LOO_CACHE[key] = (weakref.ref(idata, lambda _r, k=key: _LOO_CACHE.pop(k, None)), result)
    return result


def _reml_edf_total(idata) -> float:
    """``edf_total`` of the REML fit of the same formula on the same data (Gaussian models)."""
    from bayeszoo.inference.predict import stored_data
    from bayeszoo.inference.reml import reml

    family = str(idata.attrs.get("family", "gaussian")).lower()
    formula = idata.attrs.get("formula")
    data = stored_data(idata)
    if family != "gaussian" or not formula or data is None:
        return float("nan")
    return float(reml(formula, data).edf_total)


def compare(fits, reml=None, ic: str = "loo", method: str = "stacking"):
    """Rank fits of the same data by PSIS-LOO: ``arviz.compare`` plus Pareto k counts and the
    effective degrees of freedom of each model's REML twin.

    ``fits``: ``{name: InferenceData}`` (or a list, named by ``attrs["zoo_name"]`` or formula).
    ``reml``: ``{name: RemlFit}`` to take ``edf_total`` from; ``None`` fits the REML twin of each
    Gaussian fit's formula on its stored data (``False``: no REML columns).

    Returns a DataFrame indexed by name, best first, with ``rank, elpd_loo, se, elpd_diff, dse,
    p_loo, edf_total, edf_total+1, weight, k_good, k_ok, k_bad, warning``. ``edf_total`` is mgcv's
    ``sum(edf)`` (parametric columns included) and ``edf_total+1`` adds sigma, the quantity that
    p_loo estimates; both are NaN where no REML counterpart exists.
    """
    import warnings

    import arviz as az
    import pandas as pd

    from bayeszoo.diagnostics import pareto_k_counts

    if not isinstance(fits, dict):
        named = {}
        for i, idata in enumerate(fits):
            name = str(idata.attrs.get("zoo_name") or idata.attrs.get("formula") or f"fit{i + 1}")
            while name in named:
                name += "'"
            named[name] = idata
        fits = named
    if len(fits) < 2:
        raise ValueError(f"compare() needs at least two fits, got {len(fits)}")
    if ic != "loo":
        raise ValueError("compare() ranks by PSIS-LOO only (ic='loo')")
    sizes = {name: int(next(iter(d.log_likelihood.data_vars.values())).size //
                       (d.log_likelihood.sizes["chain"] * d.log_likelihood.sizes["draw"]))
             for name, d in fits.items() if "log_likelihood" in d.groups()}
    missing = [n for n in fits if n not in sizes]
    if missing:
        raise ValueError(f"fit(s) {missing} have no log_likelihood group; fit them with "
                         "bayeszoo.sample")
    if len(set(sizes.values())) > 1:
        raise ValueError(f"LOO compares models of the same data; the fits have different "
                         f"numbers of observations: {sizes}")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elpds = {name: loo_cached(idata) for name, idata in fits.items()}
        table = az.compare(elpds, ic="loo", method=method)
    counts = {}
    for name, e in elpds.items():
        c = pareto_k_counts(e.pareto_k)  # k_bad: every k > 0.7, the very bad (k > 1) included
        counts[name] = {"k_good": c["good"], "k_ok": c["ok"], "k_bad": c["bad"] + c["very_bad"]}
    counts = pd.DataFrame(counts).T
    table = table.join(counts)

    edf = {}
    if reml is not False:
        for name, idata in fits.items():
            given = (reml or {}).get(name)
            if given is not None:
                edf[name] = float(given.edf_total)
                continue
            try:
                edf[name] = _reml_edf_total(idata)
            except Exception:  # noqa: BLE001 - no REML counterpart: NaN, not a failed table
                edf[name] = float("nan")
        table["edf_total"] = pd.Series(edf, dtype=float)
        table["edf_total+1"] = table["edf_total"] + 1.0
    cols = ["rank", "elpd_loo", "se", "elpd_diff", "dse", "p_loo"]
    if reml is not False:
        cols += ["edf_total", "edf_total+1"]
    cols += ["weight", "k_good", "k_ok", "k_bad", "warning"]
    table = table[cols]
    for c in ("rank", "k_good", "k_ok", "k_bad"):
        table[c] = table[c].astype(int)
    table.index.name = "model"
    return table
