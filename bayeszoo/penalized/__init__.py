"""REML and ML for additive mixed models, numerically equivalent to mgcv and lme4.

``reml(formula | Design, data, family=...)`` returns a :class:`RemlFit`. The engine beneath it
(one module per job) takes linear predictors made of fixed columns and penalized blocks:

* :mod:`.problem`: :class:`Predictor`, :class:`PenalizedBlock`, :class:`Layout` (coefficient
  order), sparse-aware cross-products;
* :mod:`.penalties`: block penalties (:class:`ScaledIdentity`, :class:`PenaltySum`,
  :class:`CholeskyPrecision`) behind one protocol, :class:`Penalty`;
* :mod:`.total_penalty`: traces and quadratic forms of the total penalty;
* :mod:`.gaussian`: exact Gaussian identity-link REML/ML (profiled scale, exact Hessian);
* :mod:`.laplace`: penalized IRLS and the Laplace-approximate criterion for any family and
  several linear predictors (exact gradient, central-difference Hessian);
* :mod:`.newton`: the outer projected Newton iteration;
* :mod:`.engine`: :func:`fit_model` and :class:`EngineResult`;
* :mod:`.lme4`: lme4-shaped results (``VarCorr``, ``ranef``, ``theta``, criterion);
* :mod:`.api`, :mod:`.result`, :mod:`.checks`: the Design-facing layer;
* :mod:`.ar1` (the AR(1) whitening), :mod:`.ar1_fit` (fixed and profiled ``rho``),
  :mod:`.bam_basis` (coefficients in ``bam``'s basis): ``mgcv::bam(..., rho =, AR.start =)``;
* :mod:`.summary` (layout), :mod:`.summary_table` (mgcv's and lme4's tables),
  :mod:`.smooth_tests` (Wood 2013's p-values of smooth terms), :mod:`.rformat` (R's number
  formatting): ``summary.gam``;
* :mod:`.bam` (``bam(..., discrete=True)``: mgcv's discretized fREML for Gaussian models),
  :mod:`.bam_pirls` (its performance iteration for the exponential families), :mod:`.bam_ar`
  (AR(1) residuals from lag moments), :mod:`.discrete` (covariate discretization),
  :mod:`.crossprod` (``X'WX`` from index vectors), :mod:`.partitions` (pandas and Dask
  data): data larger than memory.
"""

from __future__ import annotations

from .api import reml
from .bam_basis import bam_coef
from .engine import EngineResult, fit_model
from .penalties import CholeskyPrecision, Penalty, PenaltySum, ScaledIdentity
from .problem import Layout, PenalizedBlock, Predictor, block_matrix
from .result import RemlFit

__all__ = ["CholeskyPrecision", "bam_coef", "EngineResult", "Layout", "PenalizedBlock", "Penalty",
           "PenaltySum", "Predictor", "RemlFit", "ScaledIdentity", "block_matrix", "fit_model",
           "reml"]
