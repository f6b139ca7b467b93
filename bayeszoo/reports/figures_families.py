"""The posterior predictive check that suits the fit's family, for the report.

A density overlay (ArviZ's ``plot_ppc``, :func:`bayeszoo.reports.figures.ppc_figure`) suits a
continuous response. Counts get a hanging rootogram (Kleiber & Zeileis 2016, "Visualizing count
data regressions using rootograms", *The American Statistician* 70(3)): for each count ``k`` a
bar of height ``sqrt(observed frequency of k)`` hangs from ``sqrt(expected frequency)``, the
expected frequencies (and their 90 % interval) taken over replicated data sets, so misfit shows
as bars that stop above or dip below zero. Binary responses get bars of the two outcomes' counts
against their predictive intervals and a calibration plot: rows binned by their posterior mean
probability, observed frequency of ones per bin (with a 95 % Jeffreys interval) against the
mean predicted probability (Gelman, Hill & Vehtari 2020, *Regression and Other Stories*,
ch. 14).

Ordinal and categorical responses get bars of each category's observed frequency against the
mean and 90 % interval of its frequency over replicated data sets, and a right-censored
response the Kaplan–Meier curve against the posterior survival curve
(:mod:`bayeszoo.reports.figures_survival`).

Replicated data come from ``bz.predict(kind="pp")``, i.e. the family's own ``draw`` (integers
for counts): nothing here assumes a Gaussian.
"""

from __future__ import annotations

import numpy as np

from bayeszoo.reports.figures import EmbeddedFigure, embed_png, ppc_figure
from bayeszoo.reports.tables import response_name

#: replicated data sets drawn for a discrete check
N_REPLICATES = 400


def replicated(idata, n_draws: int = N_REPLICATES, seed: int = 0) -> np.ndarray:
    """``n_draws × rows`` replicated responses (``bz.predict(kind="pp")`` on a posterior thinned
    evenly within each chain)."""
    from bayeszoo.inference.predict import predict

    post = idata.posterior
    per_chain = max(1, n_draws // post.sizes["chain"])
    if post.sizes["draw"] > per_chain:
        keep = np.linspace(0, post.sizes["draw"] - 1, per_chain).round().astype(int)
        idata = idata.isel(draw=keep, groups="posterior", inplace=False)
    return np.asarray(predict(idata, kind="pp", seed=seed, labels=False))


def count_frequencies(observed: np.ndarray, replicates: np.ndarray,
                      k_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequencies of the counts ``0 … k_max`` (the last pooling ``k_max`` and above): observed
    (``k_max + 1``) and per replicated data set (``draws × (k_max + 1)``), with the counts."""
    ks = np.arange(k_max + 1)
    obs = np.bincount(np.minimum(observed.astype(np.int64), k_max), minlength=k_max + 1)
    clipped = np.minimum(replicates.astype(np.int64), k_max)
    offsets = np.arange(clipped.shape[0])[:, None] * (k_max + 1)
    rep = np.bincount((clipped + offsets).ravel(),
                      minlength=clipped.shape[0] * (k_max + 1)).reshape(-1, k_max + 1)
    return ks, obs, rep


def plot_rootogram(ax, observed: np.ndarray, replicates: np.ndarray, label: str = "y",
                   k_max: int | None = None) -> int:
    """Draw the hanging rootogram of the counts ``observed`` against ``replicates``
    (``draws × rows``) on ``ax``; ``k_max`` (default: the observed 99th percentile) pools the
    tail. Returns the number of replicated data sets."""
    observed = np.asarray(observed, dtype=float)
    if k_max is None:
        k_max = int(max(np.quantile(observed, 0.99), 1))
    ks, obs, rep = count_frequencies(observed, replicates, k_max)
    expected = np.sqrt(rep.mean(axis=0))
    lo, hi = np.sqrt(np.quantile(rep, [0.05, 0.95], axis=0))
    ax.bar(ks, np.sqrt(obs), bottom=expected - np.sqrt(obs), width=0.8, color="0.75",
           edgecolor="0.4", label="observed (hanging)")
    ax.fill_between(ks, lo, hi, step="mid", color="C0", alpha=0.2,
                    label="replicated, 90% interval")
    ax.plot(ks, expected, "o-", color="C0", ms=3, lw=1.5, label="replicated, mean")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel(f"{label} (the last bar pools {k_max} and above)")
    ax.set_ylabel("√frequency")
    ax.legend(fontsize=8)
    return int(rep.shape[0])


def rootogram_figure(idata, dpi: int) -> EmbeddedFigure:
    """The hanging rootogram of a count response against replicated data sets."""
    import matplotlib.pyplot as plt

    resp = response_name(idata)
    fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
    n_rep = plot_rootogram(ax, idata.observed_data[resp].values, replicated(idata), resp)
    png, w, h = embed_png(fig, dpi)
    return EmbeddedFigure("ppc", "Posterior predictive check: hanging rootogram", png, w, h,
                          f"Each count's observed frequency (grey bar, on the square-root scale) "
                          f"hangs from its expected frequency over {n_rep} replicated "
                          "data sets: a bar ending above zero means the model predicts that "
                          "count too often, one crossing below zero too rarely.")


def binary_bars_figure(idata, dpi: int) -> EmbeddedFigure:
    """Counts of zeros and ones, observed against their replicated 90 % intervals."""
    import matplotlib.pyplot as plt

    resp = response_name(idata)
    y = np.asarray(idata.observed_data[resp].values, dtype=float)
    reps = replicated(idata)
    _, obs, rep = count_frequencies(y, reps, 1)
    lo, hi = np.quantile(rep, [0.05, 0.95], axis=0)
    fig, ax = plt.subplots(figsize=(5, 3.4), layout="constrained")
    ax.bar([0, 1], obs, width=0.6, color="0.75", edgecolor="0.4", label="observed")
    ax.errorbar([0, 1], rep.mean(axis=0), yerr=[rep.mean(axis=0) - lo, hi - rep.mean(axis=0)],
                fmt="o", color="C0", capsize=4, label="replicated, mean and 90%")
    ax.set_xticks([0, 1])
    ax.set_xlabel(resp)
    ax.set_ylabel("rows")
    ax.legend(fontsize=8)
    png, w, h = embed_png(fig, dpi)
    return EmbeddedFigure("ppc", "Posterior predictive check: counts of 0 and 1", png, w, h,
                          f"Observed counts of each outcome against {reps.shape[0]} replicated "
                          "data sets.")


def plot_category_bars(ax, observed: np.ndarray, replicates: np.ndarray, k: int,
                       labels: list[str] | None = None, label: str = "y"
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw each category's observed frequency (grey bars, categories ``1..k``) against its
    mean and 90 % interval over the replicated data sets ``replicates`` (draws × rows) on
    ``ax``; returns ``(observed, mean, lower, upper)`` frequencies per category."""
    from bayeszoo.inference.outcome_kind import category_frequencies

    obs, rep = category_frequencies(observed, replicates, k)
    mean = rep.mean(axis=0)
    lo, hi = np.quantile(rep, [0.05, 0.95], axis=0)
    ks = np.arange(1, k + 1)
    ax.bar(ks, obs, width=0.6, color="0.75", edgecolor="0.4", label="observed")
    ax.errorbar(ks, mean, yerr=[mean - lo, hi - mean], fmt="o", color="C0", capsize=4,
                label="replicated, mean and 90%")
    ax.set_xticks(ks, labels if labels is not None else [str(i) for i in ks])
    ax.set_xlabel(label)
    ax.set_ylabel("rows")
    ax.legend(fontsize=8)
    return obs, mean, lo, hi


def category_bars_figure(idata, k: int, dpi: int) -> EmbeddedFigure:
    """Each category's frequency, observed against replicated data sets."""
    import matplotlib.pyplot as plt

    from bayeszoo.inference.outcome_kind import category_labels

    resp = response_name(idata)
    reps = replicated(idata)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.0 + 0.9 * k), 3.4), layout="constrained")
    plot_category_bars(ax, idata.observed_data[resp].values, reps, k,
                       category_labels(idata, k), resp)
    png, w, h = embed_png(fig, dpi)
    return EmbeddedFigure("ppc", "Posterior predictive check: category frequencies", png, w, h,
                          f"Rows in each category (grey bars) against their mean and 90% "
                          f"interval over {reps.shape[0]} replicated data sets.")


def calibration_bins(p: np.ndarray, y: np.ndarray, n_bins: int = 10):
    """Rows binned by predicted probability ``p`` into ``n_bins`` bins of (nearly) equal size:
    per bin the mean prediction, the observed frequency and its 95 % Jeffreys interval (the
    Beta(k + 1/2, n − k + 1/2) quantiles; 0 below no ones, 1 above all ones, as Brown, Cai &
    DasGupta 2001 define it)."""
    from scipy import stats

    order = np.argsort(p, kind="stable")
    bins = np.array_split(order, min(n_bins, len(p)))
    mean_p = np.array([p[b].mean() for b in bins])
    k = np.array([y[b].sum() for b in bins])
    n = np.array([len(b) for b in bins])
    lo = np.where(k == 0, 0.0, stats.beta.ppf(0.025, k + 0.5, n - k + 0.5))
    hi = np.where(k == n, 1.0, stats.beta.ppf(0.975, k + 0.5, n - k + 0.5))
    return mean_p, k / n, lo, hi


def plot_calibration(ax, p: np.ndarray, y: np.ndarray, label: str = "y",
                     n_bins: int = 10) -> int:
    """Draw the calibration plot of predicted probabilities ``p`` against 0/1 outcomes ``y``
    on ``ax`` (:func:`calibration_bins`). Returns the number of bins."""
    mean_p, freq, lo, hi = calibration_bins(np.asarray(p, dtype=float),
                                            np.asarray(y, dtype=float), n_bins)
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.errorbar(mean_p, freq, yerr=[freq - lo, hi - freq], fmt="o", color="C0", capsize=3,
                label="observed, 95% interval")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability (posterior mean)")
    ax.set_ylabel(f"observed frequency of {label} = 1")
    ax.legend(fontsize=8, loc="upper left")
    return len(mean_p)


def calibration_figure(idata, dpi: int) -> EmbeddedFigure:
    """Observed frequency of ones against the posterior mean predicted probability."""
    import matplotlib.pyplot as plt

    from bayeszoo.inference.predict import predict

    resp = response_name(idata)
    p = np.asarray(predict(idata, kind="epred")).mean(axis=0)
    fig, ax = plt.subplots(figsize=(4.6, 4.2), layout="constrained")
    n_bins = plot_calibration(ax, p, idata.observed_data[resp].values, resp)
    png, w, h = embed_png(fig, dpi)
    return EmbeddedFigure("calibration", "Calibration", png, w, h,
                          f"Rows in {n_bins} bins of equal size by predicted probability: "
                          "points on the diagonal are well calibrated; above it the model "
                          "under-predicts, below it over-predicts.")


def predictive_figures(idata, dpi: int) -> list[EmbeddedFigure]:
    """The posterior predictive check that suits the fit's family (``attrs["family"]``,
    :func:`bayeszoo.inference.outcome_kind.check_kind`): bars and a calibration plot for
    bernoulli, category bars for ordinal and categorical responses, a rootogram for counts
    (zero-inflated and hurdle counts included), Kaplan–Meier against the posterior survival
    curve for a right-censored response, ArviZ's density overlay otherwise."""
    from bayeszoo.inference.outcome_kind import category_count
    from bayeszoo.inference.predict import fit_family
    from bayeszoo.reports.figures_survival import survival_figure

    family = fit_family(idata)
    if family.binary:
        return [binary_bars_figure(idata, dpi), calibration_figure(idata, dpi)]
    k = category_count(idata)
    if k is not None:
        return [category_bars_figure(idata, k, dpi)]
    if family.discrete:
        return [rootogram_figure(idata, dpi)]
    survival = survival_figure(idata, dpi)
    return [survival] if survival is not None else [ppc_figure(idata, dpi)]
