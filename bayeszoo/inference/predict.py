"""Posterior predictions of a fit, on its own rows or on new data, and the fitted design
rebuilt from what a fit stores (term states and data), never refitted."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from bayeszoo.design import Design, DesignArrays, design_arrays
from bayeszoo.families import censoring

from .posterior import design_info, family_parameters, posterior_eta

KINDS = ("epred", "linpred", "pp")


def fit_family(idata):
    """The family object of a fit (from ``attrs["family"]`` and ``attrs["link"]``)."""
    from bayeszoo import families

    return families.get(idata.attrs.get("family", "gaussian"), link=idata.attrs.get("link"))


def stored_states(idata) -> dict:
    """The term states a fit was built from (``constant_data["design__states"]``)."""
    from bayeszoo.formula.state import decode

    cd = idata.constant_data if "constant_data" in idata.groups() else None
    if cd is None or "design__states" not in cd:
        raise ValueError("this fit carries no term states (it was not made by bayeszoo.sample); "
                         "pass design= explicitly")
    raw = np.asarray(cd["design__states"].values, dtype=np.uint8).tobytes()
    return decode(json.loads(raw.decode("utf-8")))


def stored_data(idata) -> pd.DataFrame | None:
    """The data frame the model was fitted to, exactly as it was
    (:mod:`bayeszoo.inference.stored_frame`), from ``constant_data``."""
    from .stored_frame import decode_frame, legacy_frame

    meta = json.loads(idata.attrs.get("data_columns", "null") or "null")
    if not meta:
        return None
    cd = idata.constant_data
    if isinstance(meta, dict):
        return legacy_frame(meta, cd, idata.observed_data)
    return decode_frame(meta, lambda name: cd[name].values)


def check_newdata(newdata) -> None:
    """``newdata`` for a prediction: a pandas DataFrame with at least one row."""
    if not isinstance(newdata, pd.DataFrame):
        raise TypeError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")
    if len(newdata) == 0:
        raise ValueError("newdata has no rows: give at least one row to predict")


def design_from_idata(idata, data: pd.DataFrame | None = None,
                      allow_new_levels: bool = False) -> Design:
    """The fit's design evaluated from its stored term states on ``data`` (default: the data
    it was fitted to, from ``constant_data``)."""
    from bayeszoo.formula import evaluate_design

    states = stored_states(idata)
    if data is None:
        data = stored_data(idata)
        if data is None:
            raise ValueError("this fit stores no data frame; pass newdata")
    return evaluate_design(states, data, family=fit_family(idata),
                           allow_new_levels=allow_new_levels)


def stored_ar(idata, newdata: pd.DataFrame | None) -> tuple[np.ndarray, object] | None:
    """The response and series (``SeriesLags``) of the fitted rows of a fit with ``ar()``,
    ``ma()`` or ``arma()`` (brms's ARMA part of the mean needs the series' earlier residuals),
    ``None`` for a fit without and on ``newdata``, whose predictions continue the series
    (:func:`bayeszoo.inference.arma_forecast.continue_series`)."""
    from bayeszoo.models.autocorrelation import design_lags

    from .arma_forecast import is_arma_fit

    if not is_arma_fit(idata) or newdata is not None:
        return None
    train = design_from_idata(idata)
    return np.asarray(train.y, dtype=float), design_lags(train)


def stored_arrays(idata) -> list[DesignArrays]:
    """The design arrays of every linear predictor of the fitted rows, as stored in
    ``constant_data``."""
    from bayeszoo.design import BlockArrays

    from .idata import predictor_prefix

    cd = idata.constant_data
    out = []
    for pinfo in json.loads(idata.attrs["design"])["predictors"]:
        pre = predictor_prefix(pinfo["dpar"])
        blocks = []
        for j in range(len(pinfo["blocks"])):
            if f"{pre}index__{j}" in cd:
                blocks.append(BlockArrays(
                    index=np.asarray(cd[f"{pre}index__{j}"].values, dtype=np.int64),
                    weights=np.asarray(cd[f"{pre}weights__{j}"].values, dtype=float),
                    matrix=np.zeros((0, 0))))
            else:
                blocks.append(BlockArrays(index=np.zeros(0, dtype=np.int64), weights=np.zeros(0),
                                          matrix=np.asarray(cd[f"{pre}Z__{j}"].values,
                                                            dtype=float)))
        X = np.asarray(cd[f"{pre}X"].values, dtype=float)
        out.append(DesignArrays(X=X, offset=np.asarray(cd[f"{pre}offset"].values, dtype=float),
                                blocks=tuple(blocks)))
    return out


def stored_additions(idata) -> dict[str, np.ndarray]:
    """The response additions of the fitted rows (``trials``, ``se``, ``weights``, the
    censoring codes and the truncation bounds) from ``constant_data``."""
    from bayeszoo.families.censoring import CENSORING_KEYS

    cd = idata.constant_data
    return {k: np.asarray(cd[f"design__{k}"].values, dtype=float)
            for k in ("trials", "se", "weights", *CENSORING_KEYS) if f"design__{k}" in cd}


def check_fitted_design(idata, design: Design) -> None:
    """``ValueError`` unless ``design`` is the one the fit was sampled from: the same formula
    and the same term states (factor levels, knots, centring), which place the fit's
    coefficients on the right columns."""
    from .idata import states_bytes
    from .sampling import formula_text

    if not isinstance(design, Design):
        raise TypeError(f"design= takes the bayeszoo Design the fit was sampled from, got a "
                        f"{type(design).__name__}")
    fitted, given = idata.attrs.get("formula"), formula_text(design)
    if fitted is not None and given != str(fitted):
        raise ValueError(f"design= is of the formula {given!r} but the fit is of {fitted!r}; "
                         "pass the design the fit was sampled from, or leave design= out (the "
                         "fit's stored term states rebuild it)")
    stored = idata.constant_data["design__states"].values if "constant_data" in \
        idata.groups() and "design__states" in idata.constant_data else None
    if stored is None or np.array_equal(np.asarray(stored, dtype=np.uint8), states_bytes(design)):
        return
    mine = [p["column_names"] for p in design_info(design)["predictors"]]
    theirs = [p["column_names"] for p in json.loads(idata.attrs["design"])["predictors"]]
    what = next((column_difference(a, b) for a, b in zip(mine, theirs, strict=False) if a != b),
                "the same columns, other factor levels, knots or centring")
    raise ValueError(f"design= is of the formula {fitted!r} built on other data than the fit "
                     f"({what}); pass the design the fit was sampled from, or leave design= "
                     "out")


def column_difference(given: list[str], fitted: list[str]) -> str:
    """The columns ``design=`` has that the fit lacks and the other way round."""
    extra = [n for n in given if n not in fitted]
    missing = [n for n in fitted if n not in given]
    if not extra and not missing:
        return "the same columns in another order"
    return "; ".join(f"{label} {', '.join(v[:5])}{' ...' if len(v) > 5 else ''}"
                     for label, v in (("columns only in design=:", extra),
                                      ("columns only in the fit:", missing)) if v)


def with_predictive_coefficients(post, design: Design, seed: int | None):
    """The posterior with each block whose structure draws its coefficients on a prediction
    design (``predictive_coefficients``: the exact GP at covariate points the fit never saw)
    replaced by those coefficients; ``post`` itself when there is none."""
    blocks = [b for d in design.predictors for b in d.blocks
              if b.structure.draws_predictive_coefficients]
    if not blocks:
        return post
    out = {str(k): np.asarray(post[k].values, dtype=float) for k in post.data_vars}
    rng = np.random.default_rng(seed)
    for blk in blocks:
        coef = out[blk.names.coef]
        lead = coef.shape[:2]
        scales = [out[s.name].reshape(-1) for s in blk.names.scales]
        drawn = blk.structure.predictive_coefficients(scales, coef.reshape(-1, coef.shape[-1]),
                                                      rng)
        out[blk.names.coef] = drawn.reshape(*lead, drawn.shape[-1])
    return out


def dpar_draws(post, info: dict, arrays: list[DesignArrays], family, additions: dict,
               dpar: str, kind: str) -> np.ndarray:
    """Draws × rows of the auxiliary parameter ``dpar``: its values (``kind="epred"``) or its
    linear predictor (``"linpred"``); of a non-linear parameter (brms's ``nlpar=``), its
    predictor either way."""
    names = [a.name for a in family.aux_parameters(tuple(additions))]
    with_formula = [p["dpar"] for p in info["predictors"][1:]]
    known = list(dict.fromkeys(names + with_formula))
    if dpar not in known:
        raise ValueError(f"dpar={dpar!r}: the fit's family {family.name!r} estimates "
                         f"{', '.join(known) or 'no auxiliary parameter'}")
    nlpar = dpar in with_formula and info["predictors"][with_formula.index(dpar) + 1].get("nlpar")
    if kind == "linpred" or nlpar:  # a non-linear parameter's values are its predictor
        if dpar not in with_formula:
            raise ValueError(f"dpar={dpar!r} has no formula of its own, hence no linear "
                             "predictor; use kind='epred' for its values")
        j = with_formula.index(dpar) + 1
        eta = posterior_eta(post, info["predictors"][j], arrays[j])
        return eta.reshape(-1, eta.shape[-1])
    eta, aux = family_parameters(post, info, arrays, family, additions)
    eta = eta.reshape(-1, eta.shape[-1])
    return np.broadcast_to(aux[dpar].reshape(eta.shape[0], -1), eta.shape).copy()


def predict(idata, newdata: pd.DataFrame | None = None, kind: str = "epred",
            seed: int | None = None, design: Design | None = None,
            allow_new_levels: bool = False, dpar: str | None = None,
            labels: bool = True) -> np.ndarray:
    """Posterior draws of the mean (``"epred"``, brms's ``posterior_epred``), the linear
    predictor (``"linpred"``) or new observations (``"pp"``, ``posterior_predict``) at
    ``newdata``: ``(chains·draws, rows)``.

    Without ``newdata`` the fitted rows, from the arrays stored in ``constant_data`` (works on a
    fit loaded from netCDF). With ``newdata`` the design is evaluated from the fit's stored term
    states (or taken from ``design=``); an unseen factor level raises unless
    ``allow_new_levels`` (brms's: those rows get no group effect). ``"pp"`` of a categorical
    or ordinal model whose response was a factor gives its category labels (a categorical
    model's strings or integers as they were given; ratings given as numbers stay numbers), and
    ``"epred"`` its category probabilities, draws × rows × categories. ``seed`` drives ``"pp"``
    (drawn within ``trunc()``'s bounds; under ``cens()`` draws of the uncensored response, as
    brms's) and the draws of an exact Gaussian process (``gp(x)`` without ``k``) at covariate points
    the fit never saw, which come from the process's conditional normal given its fitted
    values, per posterior draw (brms's ``posterior_epred`` does the same).

    ``dpar``: an auxiliary parameter of the family (``"sigma"``, ``"shape"``, ``"nu"``,
    ``"phi"``) instead of the mean, as brms's ``posterior_epred(dpar=)`` /
    ``posterior_linpred(dpar=)``: ``"epred"`` gives its values per row (a constant one repeated
    over the rows), ``"linpred"`` its linear predictor (only when it has a formula).

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit of :func:`bayeszoo.sample` (or one loaded with :func:`bayeszoo.load`).
    newdata : pandas.DataFrame, optional
        Rows to predict (default: the fitted rows).
    kind : str
        ``"epred"``, ``"linpred"`` or ``"pp"``.
    seed : int, optional
        Seed of ``"pp"`` and of new Gaussian-process values.
    design : Design, optional
        The design the fit was sampled on, to evaluate ``newdata`` with.
    allow_new_levels : bool
        Whether factor levels unseen in fitting are allowed.
    dpar : str, optional
        An auxiliary parameter to predict in place of the mean.
    labels : bool
        ``"pp"`` of a factor response as its category labels (``False``: the codes ``1..K``
        as numbers, as the plots and checks read them).

    Returns
    -------
    numpy.ndarray
        ``(chains·draws, rows)`` (``"epred"`` of a categorical or ordinal family:
        ``(chains·draws, rows, categories)``).

    Raises
    ------
    ValueError
        For an unknown ``kind``, ``dpar`` with ``kind="pp"``, ``newdata`` without the
        columns the formula needs, or an unseen level without ``allow_new_levels``.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fit = bz.fit("mcycle_cr20")  # doctest: +SKIP
    >>> bz.predict(fit, kind="epred").shape  # doctest: +SKIP
    (4000, 133)
    >>> bz.predict(None, kind="mean")
    Traceback (most recent call last):
    ...
    ValueError: kind must be one of epred, linpred, pp, got 'mean'
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if dpar is not None and kind == "pp":
        raise ValueError("dpar= takes kind='epred' (the parameter's values) or 'linpred' (its "
                         "linear predictor); kind='pp' draws the response")
    post = idata.posterior
    family = fit_family(idata)
    ar = stored_ar(idata, newdata)
    if newdata is None:
        arrays, additions = stored_arrays(idata), stored_additions(idata)
    else:
        check_newdata(newdata)
        if design is not None:
            check_fitted_design(idata, design)
        nd = design.for_newdata(newdata, allow_new_levels=allow_new_levels) \
            if design is not None else design_from_idata(idata, newdata, allow_new_levels)
        arrays, additions = [design_arrays(d) for d in nd.predictors], nd.additions
        post = with_predictive_coefficients(post, nd, seed)
    info = json.loads(idata.attrs["design"])
    if dpar is not None:
        return dpar_draws(post, info, arrays, family, additions, dpar, kind)
    if newdata is not None and ar is None:
        from .arma_forecast import continue_series, is_arma_fit

        if is_arma_fit(idata):
            return continue_series(idata, post, info, arrays, additions, newdata, nd.y, family,
                                   kind, np.random.default_rng(seed))
    eta, aux = family_parameters(post, info, arrays, family, additions, ar)
    eta = eta.reshape(-1, eta.shape[-1])
    if kind == "linpred":
        return eta
    aux = {k: v.reshape(eta.shape[0], *v.shape[2:]) for k, v in aux.items()}
    if kind == "epred":
        return family.mean(eta, aux, additions)
    draws = censoring.draw(family, np.random.default_rng(seed), eta, aux, additions)
    names = response_labels(idata, family) if labels and family.discrete else None
    return draws if names is None else np.asarray(names)[draws.astype(int) - 1]


def response_labels(idata, family) -> tuple | None:
    """The category of each response code ``1..K`` of a fit whose response was a factor (a
    categorical model's categories, fixed when its design was built; an ordered Categorical's
    for an ordinal family), ``None`` for a numeric response."""
    states = stored_states(idata) if "constant_data" in idata.groups() and \
        "design__states" in idata.constant_data else {}
    if "categories" in states:
        return tuple(states["categories"])
    data = stored_data(idata)
    response = idata.attrs.get("response")
    if data is None or response not in data.columns:
        return None
    return family.response_labels(data[response])
