"""brms's ``pp_check(fit, type = ...)`` (bayesplot's posterior predictive checks): the observed
response against replicated data sets drawn from the posterior predictive distribution
(``posterior_predict``).

* ``"dens_overlay"`` and ``"ecdf_overlay"``: ArviZ's ``plot_ppc`` (``kind="kde"`` and
  ``"cumulative"``) of ``ndraws`` replicates (default 10);
* ``"hist"``: bayesplot's ``ppc_hist``: the observed histogram beside those of ``ndraws``
  replicates (default 8), on the same bins;
* ``"bars"``: bayesplot's ``ppc_bars`` for integer outcomes (binary, ordinal, small counts): bars
  of the observed count of each value, the median and 90 % interval of the replicates' counts;
* ``"rootogram"``: bayesplot's hanging ``ppc_rootogram`` for counts: on the square-root scale,
  the expected frequency of each count (mean over the replicates) as a line and points, the
  observed frequency as a bar hanging from it;
* ``"km_overlay"``: for a right-censored response (``cens()``), the Kaplan–Meier curve of the
  data with its Greenwood band against the model's survival curve (median and 90 % band over
  ``ndraws`` posterior draws, default 400; :mod:`bayeszoo.inference.survival`);
* ``"stat"``: bayesplot's ``ppc_stat``: a histogram of ``stat`` (``"mean"``, ``"sd"``,
  ``"median"``, ``"min"``, ``"max"``, ``"var"`` or a function of a vector) over the replicates,
  the observed value as a vertical line.

``"bars"``, ``"rootogram"`` and ``"stat"`` use every draw unless ``ndraws`` is given, as brms.
Without ``kind`` the check suits the family (:func:`bayeszoo.inference.outcome_kind.check_kind`):
bars for binary and categorical outcomes (ordinal included: one bar per category, labelled as
the response's levels), a rootogram for counts (zero-inflated and hurdle counts too),
``"km_overlay"`` for a right-censored response, ``"dens_overlay"`` otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

KINDS = ("dens_overlay", "ecdf_overlay", "hist", "bars", "rootogram", "km_overlay", "stat")
DEFAULT_NDRAWS = {"dens_overlay": 10, "ecdf_overlay": 10, "hist": 8}
ARVIZ_KIND = {"dens_overlay": "kde", "ecdf_overlay": "cumulative"}
STATS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda a: np.mean(a, axis=-1),
    "sd": lambda a: np.std(a, axis=-1, ddof=1),
    "var": lambda a: np.var(a, axis=-1, ddof=1),
    "median": lambda a: np.median(a, axis=-1),
    "min": lambda a: np.min(a, axis=-1),
    "max": lambda a: np.max(a, axis=-1),
}


def replicates(fit, ndraws: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(y, yrep)``: the observed response and ``ndraws`` draws × rows of replicated data
    (draws chosen at random without replacement; all of them when ``ndraws`` is None)."""
    y = np.asarray(fit.observed_data[fit.attrs["response"]].values, dtype=float)
    return y, choose_draws(fit.predict(kind="pp", seed=seed, labels=False), ndraws, seed)


def choose_draws(yrep: np.ndarray, ndraws: int | None, seed: int) -> np.ndarray:
    """``ndraws`` rows of ``yrep`` chosen at random without replacement, in their order (all
    of them when ``ndraws`` is None)."""
    if ndraws is None:
        return yrep
    if ndraws < 1:
        raise ValueError(f"ndraws must be at least 1, got {ndraws}")
    keep = np.random.default_rng(seed).choice(yrep.shape[0], min(ndraws, yrep.shape[0]),
                                              replace=False)
    return yrep[np.sort(keep)]


def integer_values(y: np.ndarray, kind: str) -> np.ndarray:
    if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
        raise ValueError(f"pp_check kind={kind!r} needs an integer outcome (binary, ordinal or "
                         "counts); use 'dens_overlay', 'hist' or 'ecdf_overlay'")
    return y.astype(np.int64)


def value_counts(values: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Counts of each value of ``support`` along the last axis of ``values``."""
    return (values[..., None] == support).sum(axis=-2)


def pp_check(fit, kind: str | None = None, ndraws: int | None = None,
             stat: str | Callable[[np.ndarray], float] = "mean", seed: int = 0):
    """brms's ``pp_check`` (see the module doc); returns the matplotlib Figure."""
    from .outcome_kind import category_count, category_labels, check_kind

    if kind is None:
        kind = check_kind(fit)
    require_known_kind(kind)
    name = str(fit.attrs["response"])
    if kind == "km_overlay":
        return km_overlay(fit, name, ndraws)
    y, yrep = replicates(fit, default_ndraws(kind, ndraws), seed)
    if kind == "bars":
        k = category_count(fit)
        if k is not None:
            return bars(y, yrep, name, np.arange(1, k + 1), category_labels(fit, k))
    return pp_check_figure(y, yrep, name, kind, stat, seed)


def require_known_kind(kind: str) -> None:
    """``ValueError`` unless ``kind`` is one of :data:`KINDS`."""
    if kind not in KINDS:
        raise ValueError(f"pp_check kind must be one of {', '.join(KINDS)}, got {kind!r}")


def default_ndraws(kind: str, ndraws: int | None) -> int | None:
    """``ndraws``, else brms's default number of draws shown for ``kind``."""
    return ndraws if ndraws is not None else DEFAULT_NDRAWS.get(kind)


def pp_check_figure(y: np.ndarray, yrep: np.ndarray, name: str, kind: str,
                    stat: str | Callable[[np.ndarray], float], seed: int):
    """The figure of ``kind`` comparing ``y`` with the replicates ``yrep`` of response
    ``name``."""
    if kind in ARVIZ_KIND:
        return arviz_ppc(y, yrep, name, ARVIZ_KIND[kind], seed)
    return {"hist": hist, "bars": bars, "rootogram": rootogram,
            "stat": lambda *a: stat_hist(*a, stat)}[kind](y, yrep, name)


def km_overlay(fit, name: str, ndraws: int | None):
    """Kaplan–Meier of the data against the posterior survival curve
    (:func:`bayeszoo.inference.survival.plot_km_overlay`)."""
    import matplotlib.pyplot as plt

    from .survival import (
        MAX_DRAWS,
        kaplan_meier,
        plot_km_overlay,
        posterior_survival,
        right_censored,
        survival_grid,
    )

    data = right_censored(fit)
    if data is None:
        raise ValueError("pp_check kind='km_overlay' needs a right-censored response "
                         "(y | cens(c) with brms's codes 0 and 1, without trunc())")
    times, events = data
    grid = survival_grid(times)
    curves = posterior_survival(fit, grid, ndraws or MAX_DRAWS)
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    plot_km_overlay(ax, kaplan_meier(times, events), grid, curves, times[events == 0], name)
    return fig


def ppc_idata(y: np.ndarray, yrep: np.ndarray, name: str):
    """The InferenceData ArviZ's ``plot_ppc`` reads: ``observed_data`` ``y`` and one chain of
    ``posterior_predictive`` draws ``yrep`` (draws × rows)."""
    import arviz as az

    return az.from_dict(posterior_predictive={name: yrep[None]}, observed_data={name: y},
                        dims={name: ["obs"]})


def arviz_ppc(y: np.ndarray, yrep: np.ndarray, name: str, kind: str, seed: int):
    import arviz as az

    ax = az.plot_ppc(ppc_idata(y, yrep, name), kind=kind, num_pp_samples=yrep.shape[0],
                     random_seed=seed, figsize=(7, 3.6),
                     backend_kwargs={"layout": "constrained"})
    return np.asarray(ax, dtype=object).ravel()[0].get_figure()


def hist(y: np.ndarray, yrep: np.ndarray, name: str):
    import matplotlib.pyplot as plt

    bins = np.histogram_bin_edges(np.concatenate([y, yrep.ravel()]), bins=30)
    n = yrep.shape[0] + 1
    ncols = min(3, n)
    fig, axes = plt.subplots(-(-n // ncols), ncols, figsize=(3.4 * ncols, 2.4 * -(-n // ncols)),
                             sharex=True, sharey=True, layout="constrained", squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i >= n:
            ax.set_visible(False)
            continue
        values = y if i == 0 else yrep[i - 1]
        ax.hist(values, bins=bins, color="C3" if i == 0 else "C0", alpha=0.8)
        ax.set_title("y" if i == 0 else f"yrep {i}", fontsize=9)
    fig.supxlabel(name)
    return fig


def bars(y: np.ndarray, yrep: np.ndarray, name: str, support: np.ndarray | None = None,
         labels: list[str] | None = None):
    """bayesplot's ``ppc_bars`` over ``support`` (default: every integer from the smallest to
    the largest value observed or replicated), ticks labelled ``labels`` when given."""
    import matplotlib.pyplot as plt

    yi = integer_values(y, "bars")
    if support is None:
        support = np.arange(min(yi.min(), int(yrep.min())), max(yi.max(), int(yrep.max())) + 1)
    observed = value_counts(yi, support)
    rep = value_counts(yrep.astype(np.int64), support)
    med = np.median(rep, axis=0)
    lo, hi = np.quantile(rep, [0.05, 0.95], axis=0)
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    ax.bar(support, observed, color="C0", alpha=0.6, label="y")
    ax.errorbar(support, med, yerr=np.vstack([med - lo, hi - med]), fmt="o", color="C3",
                capsize=3, label="yrep: median and 90 % interval")
    if labels is not None:
        ax.set_xticks(support, labels)
    ax.set_xlabel(name)
    ax.set_ylabel("count")
    ax.legend(fontsize=8)
    return fig


def rootogram(y: np.ndarray, yrep: np.ndarray, name: str):
    import matplotlib.pyplot as plt

    yi = integer_values(y, "rootogram")
    if yi.min() < 0:
        raise ValueError("pp_check kind='rootogram' needs counts (non-negative integers)")
    support = np.arange(0, max(yi.max(), int(yrep.max())) + 1)
    observed = np.sqrt(value_counts(yi, support))
    expected = np.sqrt(value_counts(yrep.astype(np.int64), support).mean(axis=0))
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    ax.bar(support, observed, bottom=expected - observed, color="C0", alpha=0.6,
           label="observed (hanging)")
    ax.plot(support, expected, "o-", color="C3", label="expected")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(name)
    ax.set_ylabel("sqrt(frequency)")
    ax.legend(fontsize=8)
    return fig


def stat_hist(y: np.ndarray, yrep: np.ndarray, name: str,
              stat: str | Callable[[np.ndarray], float]):
    import matplotlib.pyplot as plt

    if isinstance(stat, str):
        if stat not in STATS:
            raise ValueError(f"stat must be one of {', '.join(STATS)} or a function, got "
                             f"{stat!r}")
        fn, label = STATS[stat], stat
    else:
        fn = lambda a: np.apply_along_axis(stat, -1, a)  # noqa: E731
        label = getattr(stat, "__name__", "stat")
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    ax.hist(fn(yrep), bins=30, color="C0", alpha=0.7, label=f"T(yrep), {yrep.shape[0]} draws")
    ax.axvline(float(fn(y)), color="C3", lw=2.5, label="T(y)")
    ax.set_xlabel(f"{label}({name})")
    ax.legend(fontsize=8)
    return fig
