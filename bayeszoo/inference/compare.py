"""Model comparison by approximate leave-one-out cross-validation (PSIS-LOO)."""

from __future__ import annotations

import numpy as np


def loo(idata, pointwise: bool = True, *, reloo: bool = False, k_threshold: float = 0.7,
        executor=None, workers: int | None = None, **kwargs):
    """``arviz.loo(idata, pointwise=True)``: ``elpd_loo``, ``p_loo``, ``se``, ``pareto_k`` and
    the pointwise ``loo_i``, from the ``log_likelihood`` group that :func:`bayeszoo.sample`
    writes (one variable, named after the response).

    ``reloo=True`` (brms's ``reloo``): refit the model without each observation whose Pareto k
    exceeds ``k_threshold`` and use its exact elpd instead of PSIS's
    (:func:`bayeszoo.inference.refit.reloo`; the refits run on ``executor``, see
    :mod:`bayeszoo.inference.executors`). The exact values are stored in
    ``idata.attrs["loo_refits"]`` (kept by :func:`bayeszoo.save`) and used by every later LOO
    of this fit: the comparison table and the report then show them and list the refitted
    observations.

    Parameters
    ----------
    idata : arviz.InferenceData
        One fit of :func:`bayeszoo.sample` (or :func:`bayeszoo.fit`).
    pointwise : bool
        Whether to keep the pointwise values (always, when the fit carries exact refits).
    reloo : bool
        Refit the observations whose Pareto k exceeds ``k_threshold``.
    k_threshold : float
        The Pareto k above which ``reloo`` refits.
    executor : str or Executor, optional
        Where the refits run (:mod:`bayeszoo.inference.executors`).
    workers : int, optional
        Processes of a ``"dask"`` executor.
    **kwargs : Any
        Keywords of ``arviz.loo``; for a multivariate fit also ``resp=``
        (:meth:`~bayeszoo.inference.multivariate_fit.MultivariateFit.loo`).

    Returns
    -------
    arviz.ELPDData
        ``elpd_loo``, ``se``, ``p_loo``, ``pareto_k`` and ``loo_i``.

    Raises
    ------
    TypeError
        When ``idata`` is not one InferenceData (several fits go to :func:`compare`).
    ValueError
        When the fit has no ``log_likelihood`` group.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fit = bz.fit("radon_intercept")  # doctest: +SKIP
    >>> bz.loo(fit).elpd_loo  # doctest: +SKIP
    >>> bz.loo([fit, fit])  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    TypeError: loo() takes one fit (an arviz.InferenceData from bayeszoo.sample), got a list; ...
    """
    import arviz as az

    from . import refit

    if not isinstance(idata, az.InferenceData):
        raise TypeError(f"loo() takes one fit (an arviz.InferenceData from bayeszoo.sample), got "
                        f"a {type(idata).__name__}; for several fits use bayeszoo.compare")
    if "log_likelihood" not in idata.groups():
        raise ValueError("this InferenceData has no log_likelihood group; fit it with "
                         "bayeszoo.sample(..., log_likelihood=True) (the default), which stores "
                         "the pointwise log-likelihood")
    from .multivariate_fit import MultivariateFit

    if isinstance(idata, MultivariateFit):  # resp= picks a response, else all jointly
        if reloo:
            raise ValueError("reloo is not available for multivariate models")
        return idata.loo(pointwise=pointwise, **kwargs)
    if reloo:
        result = az.loo(idata, pointwise=True, **kwargs)
        result = refit.reloo(idata, result, k_threshold, executor, workers)
        _LOO_CACHE.pop(id(idata), None)
        return result
    if refit.stored_refits(idata):
        pointwise = True
    return refit.apply_refits(idata, az.loo(idata, pointwise=pointwise, **kwargs))


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


def unique_name(name: str, taken) -> str:
    """``name``, primed (``name'``, ``name''``...) until it is not in ``taken``: how the
    comparison, the report and the CLI name two fits of the same model."""
    while name in taken:
        name += "'"
    return name


def reml_edf_total(idata) -> float:
    """``edf_total`` of the REML fit of the same formula (with its auxiliary parameters'
    formulas, from the stored term states), family and data as the fit; ``ValueError`` when
    the fit stores no formula or data frame."""
    from bayeszoo.inference.predict import design_from_idata, fit_family, stored_data
    from bayeszoo.inference.sampling import model_formula
    from bayeszoo.penalized import reml

    data = stored_data(idata)
    if not idata.attrs.get("formula") or data is None:
        raise ValueError("the fit stores no formula or data frame (not made by bayeszoo.sample)")
    formula = model_formula(design_from_idata(idata, data))
    return float(reml(formula, data, family=fit_family(idata)).edf_total)


def n_auxiliary(idata) -> int:
    """How many auxiliary parameters (sigma, shape, nu, phi) the fit's family estimated."""
    post = idata.posterior
    return sum(1 for name in ("sigma", "shape", "nu", "phi") if name in post)


def as_named_fits(fits) -> dict:
    """``{name: InferenceData}`` from a dict or a sequence (named by ``attrs["zoo_name"]`` or the
    formula, primed when two share a name); anything else is a ``TypeError`` naming it."""
    import arviz as az

    if isinstance(fits, dict):
        items = list(fits.items())
    elif isinstance(fits, list | tuple):
        items = []
        taken: set[str] = set()
        for i, idata in enumerate(fits):
            attrs = getattr(idata, "attrs", {})
            name = unique_name(str(attrs.get("zoo_name") or attrs.get("formula")
                                   or f"fit{i + 1}"), taken)
            taken.add(name)
            items.append((name, idata))
    else:
        raise TypeError(f"fits must be a dict {{name: InferenceData}} or a list of "
                        f"InferenceData, got {type(fits).__name__}")
    for name, idata in items:
        if not isinstance(idata, az.InferenceData):
            raise TypeError(f"fit {name!r} is a {type(idata).__name__}, not an "
                            "arviz.InferenceData (use bayeszoo.sample or bayeszoo.fit)")
    return dict(items)


#: ``arviz.compare``'s ways to weigh the models.
METHODS = ("stacking", "BB-pseudo-BMA", "pseudo-BMA")


def scored_data(idata) -> dict:
    """What a fit's PSIS-LOO scores, to check that two fits saw the same observations:
    ``response`` (the observed values), ``additions`` (per-row ``trials``, ``weights`` and known
    ``se`` of the response, brms's ``trials()``/``weights()``/``se()``) and ``columns`` (the stored
    data columns by name, offsets' and covariates' included)."""
    from .predict import stored_additions, stored_data

    od = idata.observed_data
    response = np.concatenate([np.asarray(v.values, dtype=float).ravel()
                               for v in od.data_vars.values()])
    has_constant = "constant_data" in idata.groups()
    additions = stored_additions(idata) if has_constant else {}
    frame = stored_data(idata) if has_constant else None
    columns = {} if frame is None else {str(c): np.asarray(frame[c]) for c in frame.columns}
    return {"response": response, "additions": additions, "columns": columns}


def first_difference(a: np.ndarray, b: np.ndarray) -> int | None:
    """The first row where ``a`` and ``b`` differ (missing values equal), ``None`` if none."""
    if a.dtype.kind in "biuf" and b.dtype.kind in "biuf":
        same = (a == b) | (np.isnan(a.astype(float)) & np.isnan(b.astype(float)))
    else:
        same = a.astype(str) == b.astype(str)
    rows = np.flatnonzero(~same)
    return int(rows[0]) if rows.size else None


def data_difference(a: dict, b: dict) -> str | None:
    """How two fits' :func:`scored_data` differ (``None``: the same observations)."""
    ya, yb = a["response"], b["response"]
    if ya.shape != yb.shape:
        return f"{ya.size} and {yb.size} observations"
    row = first_difference(ya, yb)
    if row is not None:
        return (f"the same number of rows but different observed values (row {row}: "
                f"{ya[row]:g} and {yb[row]:g})")
    for key in ("trials", "weights", "se"):
        va, vb = a["additions"].get(key), b["additions"].get(key)
        if va is None and vb is None or (key != "weights" and (va is None or vb is None)):
            continue
        va = np.ones_like(ya) if va is None else va
        vb = np.ones_like(yb) if vb is None else vb
        row = first_difference(va, vb)
        if row is not None:
            return (f"the same observed values but different {key} (row {row}: {va[row]:g} "
                    f"and {vb[row]:g})")
    for col in a["columns"].keys() & b["columns"].keys():
        ca, cb = a["columns"][col], b["columns"][col]
        row = first_difference(ca, cb)
        if row is not None:
            return (f"the same observed values but different values of column {col!r} (row "
                    f"{row}: {ca[row]} and {cb[row]}), so they were fitted to different rows "
                    "or data")
    return None


def check_same_data(fits: dict) -> None:
    """LOO compares models of the same observations: the fits must have the same observed
    response values (not only the same number of rows), the same trials, weights and known
    standard errors, and the same values in every data column both stored."""
    first_name, ref = None, None
    for name, d in fits.items():
        if "log_likelihood" not in d.groups():
            raise ValueError(f"fit {name!r} has no log_likelihood group; fit it with "
                             "bayeszoo.sample")
        if "observed_data" not in d.groups():
            continue
        data = scored_data(d)
        if ref is None:
            first_name, ref = name, data
            continue
        what = data_difference(ref, data)
        if what is not None:
            raise ValueError(f"LOO compares models of the same data; {first_name!r} and "
                             f"{name!r} have {what}; fit both to the same rows of the same "
                             "data frame")


def compare(fits, reml=None, method: str = "stacking"):
    """Rank fits of the same data by PSIS-LOO: ``arviz.compare`` plus Pareto k counts and the
    effective degrees of freedom of each model's REML twin.

    ``fits``: ``{name: InferenceData}`` (or a list, named by ``attrs["zoo_name"]`` or formula).
    ``reml``: ``{name: RemlFit}`` to take ``edf_total`` from; ``None`` fits the REML twin of each
    fit's formula, family and stored data (``False``: no REML columns). ``method``: how the
    ``weight`` column is computed, one of :data:`METHODS` (``arviz.compare``'s, in any case).

    Returns a DataFrame indexed by name, best first, with ``rank, elpd_loo, se, elpd_diff, dse,
    p_loo, edf_total, edf_total+aux, weight, k_good, k_ok, k_bad, warning`` and, when a fit
    carries exact refits (``bz.loo(idata, reloo=True)``), ``refitted``: how many of its
    observations have their exact elpd in place of PSIS's (their Pareto k then counts as 0).
    ``edf_total`` is mgcv's ``sum(edf)`` (parametric columns included) and ``edf_total+aux``
    adds the family's estimated auxiliary parameters (sigma, shape, nu, phi): the quantity
    p_loo estimates; both are NaN where no REML counterpart exists.

    Parameters
    ----------
    fits : dict or list
        ``{name: InferenceData}`` or a list of fits of the same data.
    reml : dict, False or None
        ``{name: RemlFit}``; ``None`` fits the REML twins; ``False``: no REML columns.
    method : str
        How ``weight`` is computed: one of :data:`METHODS`.

    Returns
    -------
    pandas.DataFrame
        The comparison table described above, best model first.

    Raises
    ------
    ValueError
        For an unknown ``method``, fewer than two fits, or fits of different data.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fits = {m: bz.fit(m) for m in ("radon_pooled", "radon_intercept")}  # doctest: +SKIP
    >>> bz.compare(fits)  # doctest: +SKIP
    >>> bz.compare({}, method="best")
    Traceback (most recent call last):
    ...
    ValueError: method must be one of 'stacking', 'BB-pseudo-BMA', 'pseudo-BMA' (how arviz ...
    """
    import warnings

    import arviz as az
    import pandas as pd

    from bayeszoo.diagnostics import pareto_k_counts

    from . import refit

    if not isinstance(method, str) or method.lower() not in {m.lower() for m in METHODS}:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))} (how arviz "
                         f"weighs the models), got {method!r}")
    fits = as_named_fits(fits)
    if len(fits) < 2:
        raise ValueError(f"compare() needs at least two fits, got {len(fits)}")
    check_same_data(fits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elpds = {name: loo_cached(idata) for name, idata in fits.items()}
        table = az.compare(elpds, ic="loo", method=method)
    counts = {}
    refitted = {name: len((refit.stored_refits(idata) or {}).get("observations", []))
                for name, idata in fits.items()}
    for name, e in elpds.items():
        c = pareto_k_counts(e.pareto_k)  # k_bad: every k > 0.7, the very bad (k > 1) included
        counts[name] = {"k_good": c["good"], "k_ok": c["ok"], "k_bad": c["bad"] + c["very_bad"],
                        "refitted": refitted[name]}
    table = table.join(pd.DataFrame(counts).T)

    cols = ["rank", "elpd_loo", "se", "elpd_diff", "dse", "p_loo"]
    if reml is not False:
        edf = {}
        for name, idata in fits.items():
            given = (reml or {}).get(name)
            if given is not None:
                edf[name] = float(given.edf_total)
                continue
            try:
                edf[name] = reml_edf_total(idata)
            except Exception as exc:  # noqa: BLE001 - no REML counterpart: NaN, and why
                warnings.warn(f"compare: edf_total of {name!r} is NaN: its REML twin could not "
                              f"be fitted ({exc}); pass reml={{{name!r}: bz.reml(...)}} to "
                              "give it", UserWarning, stacklevel=2)
                edf[name] = float("nan")
        table["edf_total"] = pd.Series(edf, dtype=float)
        table["edf_total+aux"] = table["edf_total"] + pd.Series(
            {n: n_auxiliary(d) for n, d in fits.items()}, dtype=float)
        cols += ["edf_total", "edf_total+aux"]
    cols += ["weight", "k_good", "k_ok", "k_bad", "warning"]
    if any(refitted.values()):  # fits whose high-k observations were refitted (reloo)
        cols.append("refitted")
    table = table[cols]
    for c in ("rank", "k_good", "k_ok", "k_bad", "refitted"):
        if c in table:
            table[c] = table[c].astype(int)
    table.index.name = "model"
    return table
