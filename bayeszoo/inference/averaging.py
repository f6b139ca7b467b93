"""brms's ``pp_average``: posterior predictive draws of several fits mixed in proportion to
model weights (by default the stacking weights of their PSIS-LOO, Yao et al. 2018)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: brms's names of the weights, as :func:`bayeszoo.compare`'s ``method``: ``"pseudobma"`` is
#: pseudo-BMA+ (Bayesian bootstrap), brms's default for it.
WEIGHT_METHODS = {"stacking": "stacking", "pseudobma": "BB-pseudo-BMA",
                  "BB-pseudo-BMA": "BB-pseudo-BMA", "pseudo-BMA": "pseudo-BMA"}


def model_weights(fits: dict, method: str = "stacking") -> pd.Series:
    """brms's ``model_weights``: one weight per fit (in the fits' order), the ``weight`` column
    of :func:`bayeszoo.compare` (``arviz.compare``'s) with ``method`` ``"stacking"``,
    ``"pseudobma"`` (pseudo-BMA+) or ``"pseudo-BMA"``."""
    from .compare import compare

    if method not in WEIGHT_METHODS:
        raise ValueError(f"weights must be numbers, one per fit, or one of "
                         f"{', '.join(map(repr, WEIGHT_METHODS))}, got {method!r}")
    table = compare(fits, reml=False, method=WEIGHT_METHODS[method])
    return table["weight"].reindex(list(fits)).astype(float)


def draw_counts(weights: np.ndarray, ndraws: int) -> np.ndarray:
    """``ndraws`` split in proportion to ``weights`` by largest remainders (brms's
    ``round_largest_remainder``): whole numbers summing to ``ndraws``."""
    share = np.asarray(weights, dtype=float) * ndraws
    counts = np.floor(share).astype(int)
    short = ndraws - int(counts.sum())
    counts[np.argsort(-(share - counts), kind="stable")[:short]] += 1
    return counts


def checked_weights(weights: Any, names: list[str]) -> np.ndarray:
    """Numeric ``weights`` (a sequence in the fits' order or a dict by name) as an array
    summing to 1; else ``ValueError`` saying what is wrong."""
    if isinstance(weights, dict):
        missing = [n for n in names if n not in weights]
        if missing:
            raise ValueError(f"weights has no weight for fit(s) {missing}; give one per fit "
                             f"({names})")
        weights = [weights[n] for n in names]
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(names),) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights must be {len(names)} non-negative numbers, one per fit, not "
                         f"all zero, got {weights!r}")
    return w / w.sum()


def pp_average(fits, weights: Any = "stacking", newdata: pd.DataFrame | None = None,
               ndraws: int | None = None, seed: int | None = None,
               method: str = "posterior_predict", **options: Any) -> np.ndarray:
    """brms's ``pp_average(..., summary = FALSE)``: ``(ndraws, rows)`` draws of ``method``
    (``"posterior_predict"``, ``"posterior_epred"`` or ``"posterior_linpred"``) taken from each
    fit in proportion to its weight: fit ``i`` gives ``round(ndraws · w_i)`` (largest
    remainders) of its draws, chosen at random, stacked in the fits' order.

    ``fits``: a list or ``{name: fit}`` of fits of the same data (see
    :func:`bayeszoo.compare`). ``weights``: ``"stacking"`` (brms's default), ``"pseudobma"``
    (pseudo-BMA+) or ``"pseudo-BMA"``, computed by :func:`model_weights`, or numbers, one per
    fit. ``ndraws``: default the first fit's number of draws. ``options`` go to the method
    (``re_formula``, ``allow_new_levels``, ...).

    Parameters
    ----------
    fits : dict or list
        Fits of the same data.
    weights : str or sequence of float
        ``"stacking"``, ``"pseudobma"``, ``"pseudo-BMA"`` or one number per fit.
    newdata : pandas.DataFrame, optional
        Rows to predict (default: the fitted rows).
    ndraws : int, optional
        Draws in all.
    seed : int, optional
        Seed of the draws chosen and of the method's randomness.
    method : str
        ``"posterior_predict"``, ``"posterior_epred"`` or ``"posterior_linpred"``.
    **options : Any
        Keywords of the method.

    Returns
    -------
    numpy.ndarray
        ``(ndraws, rows)``.

    Raises
    ------
    ValueError
        For an unknown ``method``, weights that do not fit the fits, or a fit with fewer draws
        than its weight asks for.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fits = [bz.fit(m) for m in ("radon_pooled", "radon_intercept")]  # doctest: +SKIP
    >>> bz.pp_average(fits, ndraws=1000, seed=1).shape  # doctest: +SKIP
    (1000, 919)
    >>> bz.pp_average([], method="mean")
    Traceback (most recent call last):
    ...
    ValueError: method must be one of posterior_predict, posterior_epred, posterior_linpred, ...
    """
    from .compare import as_named_fits
    from .fit import Fit

    methods = ("posterior_predict", "posterior_epred", "posterior_linpred")
    if method not in methods:
        raise ValueError(f"method must be one of {', '.join(methods)}, got {method!r}")
    fits = {name: f if isinstance(f, Fit) else Fit.of(f)
            for name, f in as_named_fits(fits).items()}
    names = list(fits)
    if isinstance(weights, str):
        weights = model_weights(fits, weights).to_numpy()
    w = checked_weights(weights, names)
    first = next(iter(fits.values())).posterior
    total = first.sizes["chain"] * first.sizes["draw"]
    counts = draw_counts(w, total if ndraws is None else int(ndraws))
    rng = np.random.default_rng(seed)
    parts = []
    for (name, fit), count in zip(fits.items(), counts, strict=True):
        if count == 0:
            continue
        available = fit.posterior.sizes["chain"] * fit.posterior.sizes["draw"]
        if count > available:
            raise ValueError(f"fit {name!r} has {available} draws but its weight asks for "
                             f"{count}; pass a smaller ndraws")
        parts.append(getattr(fit, method)(newdata=newdata, ndraws=int(count),
                                          seed=int(rng.integers(2**32)), **options))
    return np.concatenate(parts, axis=0)
