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
    loaded with :func:`bayeszoo.load`) without copying its groups."""

    @classmethod
    def of(cls, idata: az.InferenceData, design: Design | None = None) -> Fit:
        """``idata`` (its groups shared, not copied) as a Fit; ``design``: the design it was
        sampled on, when at hand (else rebuilt on first use)."""
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
        """The plain :class:`arviz.InferenceData` (the same groups and attrs, not copies)."""
        return az.InferenceData(attrs=self.attrs, **{g: self[g] for g in self.groups()})

    @property
    def design(self) -> Design:
        """The :class:`~bayeszoo.design.Design` of the fitted rows: the model's formula, term
        states, columns, blocks and data."""
        from .predict import design_from_idata

        return self._cached("design", lambda: design_from_idata(self))

    @property
    def family(self):
        """The family object (:mod:`bayeszoo.families`) with its link."""
        return self.design.family

    @property
    def priors(self) -> dict[str, str]:
        """The prior of every parameter, brms name -> prior (brms's defaults where none was
        given)."""
        return dict(json.loads(self.attrs.get("priors", "{}")))

    @property
    def formula(self) -> str:
        """The model's formula as written (``bf(...)`` with distributional formulas)."""
        return str(self.attrs["formula"])

    # -- brms's summaries ----------------------------------------------------------------------
    def summary(self, data_name: str | None = None):
        """brms's ``summary(fit)`` (a :class:`~bayeszoo.inference.brms_summary.FitSummary`:
        prints as brms does, its tables are DataFrames). ``data_name``: the name on the
        ``Data:`` line (default the zoo data set, else ``data``)."""
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
        Q2.5, Q97.5``."""
        from .brms_summary import dpar_names
        from .effects import fixef

        return fixef(self.posterior, dpar_names(self.design))

    def ranef(self) -> dict[str, pd.DataFrame]:
        """brms's ``ranef(fit)``: per grouping factor a DataFrame, rows its levels, columns
        ``(coefficient, statistic)``: ``fit.ranef()["Subject"]["Days"]`` is brms's
        ``ranef(fit)$Subject[, , "Days"]``."""
        from .effects import ranef

        return ranef(self.posterior, self.design)

    def coef(self) -> dict[str, pd.DataFrame]:
        """brms's ``coef(fit)``: population-level plus group-level coefficients per level,
        shaped as :meth:`ranef`."""
        from .brms_summary import dpar_names
        from .effects import coef

        return coef(self.posterior, self.design, dpar_names(self.design))

    def varcorr(self) -> dict[str, dict[str, pd.DataFrame]]:
        """brms's ``VarCorr(fit)``: per grouping factor ``"sd"`` (and ``"cor"``, ``"cov"``
        with correlations), ``"residual__"`` the residual sd."""
        from .effects import varcorr

        return varcorr(self.posterior, self.design)

    def hypothesis(self, hypotheses: str | list[str], class_: str = "b",
                   alpha: float = 0.05) -> pd.DataFrame:
        """brms's ``hypothesis(fit, ...)$hypothesis`` (see
        :mod:`bayeszoo.inference.hypothesis`): ``fit.hypothesis("floor < 0")``,
        ``fit.hypothesis("b_a - b_b = 0")``."""
        from .hypothesis import hypothesis

        prior = self.prior if "prior" in self.groups() else None
        return hypothesis(self.posterior, hypotheses, class_=class_, alpha=alpha, prior=prior)

    def bayes_R2(self) -> pd.DataFrame:  # noqa: N802 - brms's name
        """brms's ``bayes_R2(fit)`` (Gelman et al. 2019; :mod:`bayeszoo.inference.r2`)."""
        from .r2 import bayes_r2

        y = np.asarray(self.observed_data[self.attrs["response"]].values, dtype=float)
        return bayes_r2(y, self.predict(kind="epred"))

    # -- predictions and LOO -------------------------------------------------------------------
    def predict(self, newdata: pd.DataFrame | None = None, kind: str = "epred",
                seed: int | None = None, allow_new_levels: bool = False,
                dpar: str | None = None) -> np.ndarray:
        """:func:`bayeszoo.predict` of this fit: ``(chains·draws, rows)`` draws of the mean
        (``"epred"``), the linear predictor (``"linpred"``) or new observations (``"pp"``)."""
        from .predict import predict

        design = None if newdata is None else self.design
        return predict(self, newdata=newdata, kind=kind, seed=seed, design=design,
                       allow_new_levels=allow_new_levels, dpar=dpar)

    def loo(self, **options: Any):
        """:func:`bayeszoo.loo` of this fit (PSIS-LOO; ``reloo=True`` refits the observations
        with high Pareto k)."""
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
        (:mod:`bayeszoo.inference.new_levels`); ``ndraws`` random draws (default all)."""
        from .predictive import posterior_draws

        return posterior_draws(self, "pp", newdata, re_formula, allow_new_levels,
                               sample_new_levels, ndraws, seed)

    def posterior_epred(self, newdata: pd.DataFrame | None = None, re_formula: Any = ALL,
                        allow_new_levels: bool = False, sample_new_levels: str = "uncertainty",
                        ndraws: int | None = None, seed: int | None = None,
                        dpar: str | None = None) -> np.ndarray:
        """brms's ``posterior_epred``: ``(draws, rows)`` draws of the response's mean (of
        ``dpar``'s values with ``dpar=``); arguments as :meth:`posterior_predict`."""
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
        :meth:`posterior_predict`."""
        from .predictive import posterior_draws

        return posterior_draws(self, "linpred", newdata, re_formula, allow_new_levels,
                               sample_new_levels, ndraws, seed, transform=transform, dpar=dpar)

    def waic(self):
        """brms's ``waic(fit)`` as ``arviz.waic`` computes it from the stored pointwise
        log-likelihood (``p_waic`` sums variances over the ``S`` draws divided by ``S``, where
        R's loo divides by ``S - 1``: a relative difference of ``1/S``)."""
        return az.waic(self, pointwise=True)

    def kfold(self, K: int = 10, **options: Any):
        """brms's ``kfold(fit, K=)``: :func:`bayeszoo.kfold` of this fit (``K`` refits, each
        without one fold; ``seed``, ``folds``, ``executor``, ``workers`` as there)."""
        from .refit import kfold

        return kfold(self, K=K, **options)

    # -- effects and posterior predictive checks -----------------------------------------------
    def conditional_effects(self, effects: str | list[str] | None = None,
                            robust: bool = True):
        """brms's ``conditional_effects(fit, effects)``
        (:mod:`bayeszoo.inference.conditional_effects`): one data frame per effect
        (``estimate__``, ``se__``, ``lower__``, ``upper__``), ``.plot()`` for the figure."""
        from .conditional_effects import conditional_effects

        return conditional_effects(self, effects, robust=robust)

    def smooths(self):
        """mgcv's ``plot.gam`` partial effect of each smooth
        (:mod:`bayeszoo.inference.smooth_effects`), data frames with ``.plot()``."""
        from .smooth_effects import smooths

        return smooths(self)

    def pp_check(self, kind: str = "dens_overlay", ndraws: int | None = None,
                 stat: str | Any = "mean", seed: int = 0):
        """brms's ``pp_check(fit, type=kind)`` (:mod:`bayeszoo.inference.pp_check`): the
        matplotlib Figure."""
        from .pp_check import pp_check

        return pp_check(self, kind, ndraws=ndraws, stat=stat, seed=seed)

    # -- priors --------------------------------------------------------------------------------
    def prior_summary(self) -> pd.DataFrame:
        """brms's ``prior_summary(fit)``: every prior the fit used, in brms's layout, source
        ``"user"`` for those given in ``priors=`` (:mod:`bayeszoo.models.prior_table`)."""
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
        program compiled for it in this process."""
        from .update import update

        return update(self, newdata=newdata, formula=formula, priors=priors, chains=chains,
                      draws=draws, tune=tune, seed=seed, **options)
