"""The fit object: what :func:`bayeszoo.sample` and :func:`bayeszoo.fit` return.

A :class:`Fit` is an :class:`arviz.InferenceData` (the same groups and attrs, see
:mod:`bayeszoo.inference.idata`), so every ArviZ function and everything in bayeszoo that takes
an InferenceData takes it, with brms's ``brmsfit`` methods on top: ``print(fit)`` /
:meth:`Fit.summary` (brms's summary, :mod:`bayeszoo.inference.brms_summary`), :meth:`Fit.fixef`,
:meth:`Fit.ranef`, :meth:`Fit.coef`, :meth:`Fit.varcorr` (:mod:`bayeszoo.inference.effects`),
:meth:`Fit.hypothesis` (:mod:`bayeszoo.inference.hypothesis`), :meth:`Fit.bayes_R2`
(:mod:`bayeszoo.inference.r2`), :meth:`Fit.predict`, :meth:`Fit.loo` and
:meth:`Fit.prior_summary` (:mod:`bayeszoo.models.prior_table`); brms's
:meth:`Fit.posterior_predict`, :meth:`Fit.posterior_epred`, :meth:`Fit.posterior_linpred`
(:mod:`bayeszoo.inference.predictive`), :meth:`Fit.waic` and :meth:`Fit.kfold`.

Its :attr:`Fit.design` (the design evaluated from the stored term states and data, never
refitted), :attr:`Fit.family` and :attr:`Fit.priors` are rebuilt from the stored groups once, on
first use; a fit just sampled starts with the design it was sampled on. They are never pickled
or copied with the fit (a copy rebuilds them), so a Fit travels between processes as its
InferenceData does.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

import arviz as az
import numpy as np
import pandas as pd

from bayeszoo.design import Design

from .predictive import ALL

CACHE = "_fit_cache"


class Fit(az.InferenceData):
    """An :class:`arviz.InferenceData` of :func:`bayeszoo.sample` with brms's methods (see the
    module doc). ``Fit.of(idata)`` wraps an InferenceData written by ``bayeszoo.sample`` (or
    loaded with :func:`bayeszoo.load`) without copying its groups.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fit = bz.sample("y ~ x", data, chains=2, draws=500)  # doctest: +SKIP
    >>> fit.fixef()  # doctest: +SKIP
    """

    @classmethod
    def of(cls, idata: az.InferenceData, design: Design | None = None) -> Fit:
        """``idata`` (its groups shared, not copied) as a Fit; ``design``: the design it was
        sampled on, when at hand (else rebuilt on first use).

        Parameters
        ----------
        idata : arviz.InferenceData
            Written by :func:`bayeszoo.sample` (or read by :func:`bayeszoo.load`).
        design : Design, optional
            The design it was sampled on.

        Returns
        -------
        Fit
            The same groups and attrs (shared, not copied).

        Raises
        ------
        ValueError
            When ``idata`` lacks the ``formula`` and ``design`` attrs of a bayeszoo fit.
        """
        missing = [a for a in ("formula", "design") if a not in idata.attrs]
        if missing:
            raise ValueError(f"this InferenceData lacks attrs {missing}: a Fit wraps fits made "
                             "by bayeszoo.sample, bayeszoo.fit or bayeszoo.load")
        fit = cls(attrs=idata.attrs, **{g: idata[g] for g in idata.groups()})
        fit._attrs = idata.attrs  # one attrs dict: what the fit adds, the InferenceData sees
        if design is not None:
            fit.__dict__[CACHE] = {"design": design}
        return fit

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop(CACHE, None)
        return state

    def _cached(self, key: str, build) -> Any:
        cache = self.__dict__.setdefault(CACHE, {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    # -- what the fit is made of ---------------------------------------------------------------
    @property
    def idata(self) -> az.InferenceData:
        """The plain :class:`arviz.InferenceData` (the same groups and attrs, not copies).

        Returns
        -------
        arviz.InferenceData
            Not a Fit: no brms methods.
        """
        return az.InferenceData(attrs=self.attrs, **{g: self[g] for g in self.groups()})

    @property
    def design(self) -> Design:
        """The :class:`~bayeszoo.design.Design` of the fitted rows: the model's formula, term
        states, columns, blocks and data.

        Returns
        -------
        Design
            Rebuilt once from the stored term states and data, then cached.
        """
        from .predict import design_from_idata

        return self._cached("design", lambda: design_from_idata(self))

    @property
    def family(self):
        """The family object (:mod:`bayeszoo.families`) with its link.

        Returns
        -------
        Family
            As the design holds it.
        """
        return self.design.family

    @property
    def priors(self) -> dict[str, str]:
        """The prior of every parameter, brms name -> prior (brms's defaults where none was
        given).

        Returns
        -------
        dict of str to str
            brms parameter name -> prior, e.g. ``{"b": "normal(0, 10)"}``.
        """
        return dict(json.loads(self.attrs.get("priors", "{}")))

    @property
    def formula(self) -> str:
        """The model's formula as written (``bf(...)`` with distributional formulas).

        Returns
        -------
        str
            The formula.
        """
        return str(self.attrs["formula"])

    # -- brms's summaries ----------------------------------------------------------------------
    def summary(self, data_name: str | None = None):
        """brms's ``summary(fit)`` (a :class:`~bayeszoo.inference.brms_summary.FitSummary`:
        prints as brms does, its tables are DataFrames). ``data_name``: the name on the
        ``Data:`` line (default the zoo data set, else ``data``).

        Parameters
        ----------
        data_name : str, optional
            The name on the ``Data:`` line.

        Returns
        -------
        FitSummary
            ``.text()`` is brms's printout; ``.fixed``, ``.random`` and the other tables are
            DataFrames.
        """
        from .brms_summary import summarize

        stats = self.sample_stats if "sample_stats" in self.groups() else {}
        return summarize(self.posterior, stats, self.design, self.attrs, data_name)

    def __str__(self) -> str:
        """The summary; a fit whose design cannot be rebuilt (no stored data) shows its
        groups and why."""
        try:
            return self.summary().text()
        except ValueError as exc:
            return f"{super().__repr__()}\n(no brms summary: {exc})"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f"<pre>{escape(str(self))}</pre>"

    def fixef(self) -> pd.DataFrame:
        """brms's ``fixef(fit)``: the population-level coefficients (rows, named as in the
        summary: ``Intercept``, ``floor``, ``sigma_Intercept``) by ``Estimate, Est.Error,
        Q2.5, Q97.5``.

        Returns
        -------
        pandas.DataFrame
            One row per coefficient, brms's four columns.
        """
        from .brms_summary import dpar_names
        from .effects import fixef

        return fixef(self.posterior, dpar_names(self.design))

    def ranef(self) -> dict[str, pd.DataFrame]:
        """brms's ``ranef(fit)``: per grouping factor a DataFrame, rows its levels, columns
        ``(coefficient, statistic)``: ``fit.ranef()["Subject"]["Days"]`` is brms's
        ``ranef(fit)$Subject[, , "Days"]``.

        Returns
        -------
        dict of str to pandas.DataFrame
            Grouping factor -> its levels by ``(coefficient, statistic)``.
        """
        from .effects import ranef

        return ranef(self.posterior, self.design)

    def coef(self) -> dict[str, pd.DataFrame]:
        """brms's ``coef(fit)``: population-level plus group-level coefficients per level,
        shaped as :meth:`ranef`.

        Returns
        -------
        dict of str to pandas.DataFrame
            Grouping factor -> its levels by ``(coefficient, statistic)``.
        """
        from .brms_summary import dpar_names
        from .effects import coef

        return coef(self.posterior, self.design, dpar_names(self.design))

    def varcorr(self) -> dict[str, dict[str, pd.DataFrame]]:
        """brms's ``VarCorr(fit)``: per grouping factor ``"sd"`` (and ``"cor"``, ``"cov"``
        with correlations), ``"residual__"`` the residual sd.

        Returns
        -------
        dict of str to dict of str to pandas.DataFrame
            Grouping factor (and ``"residual__"``) -> ``"sd"``, ``"cor"``, ``"cov"`` tables.
        """
        from .effects import varcorr

        return varcorr(self.posterior, self.design)

    def hypothesis(self, hypotheses: str | list[str], class_: str = "b",
                   alpha: float = 0.05) -> pd.DataFrame:
        """brms's ``hypothesis(fit, ...)$hypothesis`` (see
        :mod:`bayeszoo.inference.hypothesis`): ``fit.hypothesis("floor < 0")``,
        ``fit.hypothesis("b_a - b_b = 0")``.

        Parameters
        ----------
        hypotheses : str or list of str
            Equalities or inequalities in the coefficients (brms's syntax).
        class_ : str
            The prefix names stand for (brms's ``class``; ``"b"``: population-level).
        alpha : float
            One minus the credible level of the interval.

        Returns
        -------
        pandas.DataFrame
            brms's columns: ``Hypothesis, Estimate, Est.Error, CI.Lower, CI.Upper, Evid.Ratio,
            Post.Prob, Star``.
        """
        from .hypothesis import hypothesis

        prior = self.prior if "prior" in self.groups() else None
        return hypothesis(self.posterior, hypotheses, class_=class_, alpha=alpha, prior=prior)

    def bayes_R2(self) -> pd.DataFrame:  # noqa: N802 - brms's name
        """brms's ``bayes_R2(fit)`` (Gelman et al. 2019; :mod:`bayeszoo.inference.r2`).

        Returns
        -------
        pandas.DataFrame
            ``Estimate, Est.Error, Q2.5, Q97.5`` of R² (one row, ``R2``).
        """
        from .r2 import bayes_r2

        y = np.asarray(self.observed_data[self.attrs["response"]].values, dtype=float)
        return bayes_r2(y, self.predict(kind="epred"))

    # -- predictions and LOO -------------------------------------------------------------------
    def predict(self, newdata: pd.DataFrame | None = None, kind: str = "epred",
                seed: int | None = None, allow_new_levels: bool = False,
                dpar: str | None = None, labels: bool = True) -> np.ndarray:
        """:func:`bayeszoo.predict` of this fit: ``(chains·draws, rows)`` draws of the mean
        (``"epred"``), the linear predictor (``"linpred"``) or new observations (``"pp"``).

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows to predict (default: the fitted rows).
        kind : str
            ``"epred"``, ``"linpred"`` or ``"pp"``.
        seed : int, optional
            Seed of the ``"pp"`` draws.
        allow_new_levels : bool
            Whether grouping levels unseen in fitting are allowed.
        dpar : str, optional
            A distributional parameter (``"sigma"``) to predict in place of the mean.
        labels : bool
            ``"pp"`` of a factor response as its category labels (else codes ``1..K``).

        Returns
        -------
        numpy.ndarray
            ``(chains·draws, rows)``.
        """
        from .predict import predict

        design = None if newdata is None else self.design
        return predict(self, newdata=newdata, kind=kind, seed=seed, design=design,
                       allow_new_levels=allow_new_levels, dpar=dpar, labels=labels)

    def loo(self, **options: Any):
        """:func:`bayeszoo.loo` of this fit (PSIS-LOO; ``reloo=True`` refits the observations
        with high Pareto k).

        Parameters
        ----------
        **options : Any
            Keywords of :func:`bayeszoo.loo`.

        Returns
        -------
        arviz.ELPDData
            ``elpd_loo``, ``p_loo``, ``looic`` and the pointwise values with Pareto k.
        """
        from .compare import loo

        return loo(self, **options)

    # -- brms's predictions, cross-validation and averaging ------------------------------------
    def posterior_predict(self, newdata: pd.DataFrame | None = None, re_formula: Any = ALL,
                          allow_new_levels: bool = False,
                          sample_new_levels: str = "uncertainty", ndraws: int | None = None,
                          seed: int | None = None) -> np.ndarray:
        """brms's ``posterior_predict``: ``(draws, rows)`` draws of new observations.
        ``re_formula``: all group-level effects (default), ``None`` none (brms's ``NA``), or
        ``"~ (1 | g)"`` those of ``g``; ``allow_new_levels`` with ``sample_new_levels``
        ``"uncertainty"``, ``"gaussian"`` or ``"old_levels"`` as brms
        (:mod:`bayeszoo.inference.new_levels`); ``ndraws`` random draws (default all).

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows to predict (default: the fitted rows).
        re_formula : str or None
            Which group-level effects enter (default all; ``None``: none).
        allow_new_levels : bool
            Whether grouping levels unseen in fitting are allowed.
        sample_new_levels : str
            How new levels get their effects: ``"uncertainty"``, ``"gaussian"`` or
            ``"old_levels"``.
        ndraws : int, optional
            That many random draws (default all).
        seed : int, optional
            Seed of the draw subset and of the new levels' effects.

        Returns
        -------
        numpy.ndarray
            ``(draws, rows)`` draws of new observations.
        """
        from .predictive import posterior_draws

        return posterior_draws(self, "pp", newdata, re_formula, allow_new_levels,
                               sample_new_levels, ndraws, seed)

    def posterior_epred(self, newdata: pd.DataFrame | None = None, re_formula: Any = ALL,
                        allow_new_levels: bool = False, sample_new_levels: str = "uncertainty",
                        ndraws: int | None = None, seed: int | None = None,
                        dpar: str | None = None) -> np.ndarray:
        """brms's ``posterior_epred``: ``(draws, rows)`` draws of the response's mean (of
        ``dpar``'s values with ``dpar=``); arguments as :meth:`posterior_predict`.

        Parameters
        ----------
        newdata, re_formula, allow_new_levels, sample_new_levels, ndraws, seed
            As :meth:`posterior_predict`.
        dpar : str, optional
            A distributional parameter whose values to draw in place of the mean.

        Returns
        -------
        numpy.ndarray
            ``(draws, rows)`` draws of the mean.
        """
        from .predictive import posterior_draws

        return posterior_draws(self, "epred", newdata, re_formula, allow_new_levels,
                               sample_new_levels, ndraws, seed, dpar=dpar)

    def posterior_linpred(self, newdata: pd.DataFrame | None = None, re_formula: Any = ALL,
                          allow_new_levels: bool = False,
                          sample_new_levels: str = "uncertainty", ndraws: int | None = None,
                          seed: int | None = None, transform: bool = False,
                          dpar: str | None = None) -> np.ndarray:
        """brms's ``posterior_linpred``: ``(draws, rows)`` draws of the linear predictor
        (``transform=True``: through the inverse link); arguments as
        :meth:`posterior_predict`.

        Parameters
        ----------
        newdata, re_formula, allow_new_levels, sample_new_levels, ndraws, seed
            As :meth:`posterior_predict`.
        transform : bool
            Whether to apply the inverse link.
        dpar : str, optional
            A distributional parameter whose linear predictor to draw.

        Returns
        -------
        numpy.ndarray
            ``(draws, rows)`` draws of the linear predictor.
        """
        from .predictive import posterior_draws

        return posterior_draws(self, "linpred", newdata, re_formula, allow_new_levels,
                               sample_new_levels, ndraws, seed, transform=transform, dpar=dpar)

    def waic(self):
        """brms's ``waic(fit)`` as ``arviz.waic`` computes it from the stored pointwise
        log-likelihood (``p_waic`` sums variances over the ``S`` draws divided by ``S``, where
        R's loo divides by ``S - 1``: a relative difference of ``1/S``).

        Returns
        -------
        arviz.ELPDData
            ``elpd_waic``, ``p_waic`` and the pointwise values.
        """
        return az.waic(self, pointwise=True)

    def kfold(self, K: int = 10, **options: Any):
        """brms's ``kfold(fit, K=)``: :func:`bayeszoo.kfold` of this fit (``K`` refits, each
        without one fold; ``seed``, ``folds``, ``executor``, ``workers`` as there).

        Parameters
        ----------
        K : int
            The number of folds.
        **options : Any
            Keywords of :func:`bayeszoo.kfold`.

        Returns
        -------
        KFoldResult
            ``elpd_kfold``, its ``se``, ``p_kfold`` and the pointwise values, as brms's
            ``kfold``.
        """
        from .refit import kfold

        return kfold(self, K=K, **options)

    # -- effects and posterior predictive checks -----------------------------------------------
    def conditional_effects(self, effects: str | list[str] | None = None,
                            robust: bool = True):
        """brms's ``conditional_effects(fit, effects)``
        (:mod:`bayeszoo.inference.conditional_effects`): one data frame per effect
        (``estimate__``, ``se__``, ``lower__``, ``upper__``), ``.plot()`` for the figure.

        Parameters
        ----------
        effects : str or list of str, optional
            Predictors (``"x"``) or interactions (``"x:g"``); default every main effect.
        robust : bool
            Median (default) or mean as the estimate, as brms's ``robust``.

        Returns
        -------
        Effects
            Effect name -> DataFrame, with ``.plot()``.
        """
        from .conditional_effects import conditional_effects

        return conditional_effects(self, effects, robust=robust)

    def smooths(self):
        """mgcv's ``plot.gam`` partial effect of each smooth
        (:mod:`bayeszoo.inference.smooth_effects`), data frames with ``.plot()``.

        Returns
        -------
        Effects
            Smooth label -> DataFrame of its partial effect with band, with ``.plot()``.
        """
        from .smooth_effects import smooths

        return smooths(self)

    def pp_check(self, kind: str | None = None, ndraws: int | None = None,
                 stat: str | Any = "mean", seed: int = 0):
        """brms's ``pp_check(fit, type=kind)`` (:mod:`bayeszoo.inference.pp_check`): the
        matplotlib Figure.

        Parameters
        ----------
        kind : str, optional
            brms's ``type``: ``"dens_overlay"``, ``"hist"``, ``"bars"``, ``"rootogram"``,
            ``"km_overlay"``, ``"stat"``, ...; default: the check that suits the family (bars
            for binary and categorical outcomes, a rootogram for counts, Kaplan–Meier for a
            right-censored response, the density overlay otherwise).
        ndraws : int, optional
            Draws shown (default brms's per type).
        stat : str or callable
            The statistic of ``kind="stat"``.
        seed : int
            Seed of the draws shown.

        Returns
        -------
        matplotlib.figure.Figure
            The figure.
        """
        from .pp_check import pp_check

        return pp_check(self, kind, ndraws=ndraws, stat=stat, seed=seed)

    # -- priors --------------------------------------------------------------------------------
    def prior_summary(self) -> pd.DataFrame:
        """brms's ``prior_summary(fit)``: every prior the fit used, in brms's layout, source
        ``"user"`` for those given in ``priors=`` (:mod:`bayeszoo.models.prior_table`).

        Returns
        -------
        pandas.DataFrame
            brms's columns ``prior, class, coef, group, resp, dpar, nlpar, lb, ub, source``.

        Raises
        ------
        ValueError
            When the fit does not record which priors were given.
        """
        from bayeszoo.models.prior_table import prior_summary

        if "priors_given" not in self.attrs:
            raise ValueError("this fit does not record which priors were given (it was sampled "
                             "by an older bayeszoo); its priors are in fit.priors")
        return prior_summary(self.design, None, json.loads(self.attrs["priors_given"]))

    # -- refitting -----------------------------------------------------------------------------
    def update(self, newdata: pd.DataFrame | None = None, formula: Any = None,
               priors: dict[str, Any] | None = None, chains: int | None = None,
               draws: int | None = None, tune: int | None = None, seed: int | None = None,
               **options: Any) -> Fit:
        """brms's ``update(fit, ...)`` (:func:`bayeszoo.inference.update.update`): the model
        refitted with what is given changed; a model of the same shape reuses the NumPyro
        program compiled for it in this process.

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            New data to fit.
        formula : str or Formula, optional
            A new formula (the model is rebuilt).
        priors : dict, optional
            Priors replacing the fit's, key by key.
        chains, draws, tune, seed : int, optional
            Sampler settings replacing the fit's.
        **options : Any
            Other keywords of :func:`bayeszoo.sample`.

        Returns
        -------
        Fit
            The refitted model.
        """
        from .update import update

        return update(self, newdata=newdata, formula=formula, priors=priors, chains=chains,
                      draws=draws, tune=tune, seed=seed, **options)
