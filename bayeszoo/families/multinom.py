"""``multinom``: mgcv's multinomial logistic family (``multinom(K)``, ``R/gamlss.r``; Wood,
Pya & Säfken 2016, JASA 111:1548-1563), for :func:`bayeszoo.reml` only.

The response takes ``K + 1`` categories ``0..K`` (category 0 the reference; a pandas
Categorical's first category); there are ``K`` linear predictors, one per non-reference
category, each with its own formula (mgcv's list of formulas, ``list(y ~ s(x), ~ s(x))``; here
``["y ~ s(x)", "~ s(x)"]``). With ``eta_0 = 0``::

    P(y = k) = exp(eta_k) / (1 + Σ_j exp(eta_j)),    l_i = eta_{y_i} - log(1 + Σ_j exp(eta_j)).

The deviance is ``d_i = -2 w_i l_i`` (``w`` frequency weights: a row with weight 3 counts as
three rows; mgcv 1.8-41 ignores ``weights =`` for ``multinom``, so a fit with frequency
weights equals mgcv's fit of the expanded rows) and there is no scale. mgcv's REML score
carries one constant more, the weighted count of reference rows
(:meth:`MultinomLikelihood.saturated`). With
``p`` the probabilities of categories ``1..K`` the derivatives of ``d_i / 2`` in ``eta`` are
``w (p_a - [y = a])``, ``w (δ_ab p_a - p_a p_b)`` and, by ``dp_a/deta_c = p_a (δ_ac - p_c)``,
the third ``w (δ_abc p_a - δ_ab p_a p_c - δ_ac p_a p_b - δ_bc p_a p_b + 2 p_a p_b p_c)``.

The samplers fit brms's ``categorical`` (the same model, ``mu<category>`` predictors):
:class:`Multinom` refuses them with that advice.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import special

from .base import AuxParameter, Response
from .reml_only import RemlOnlyFamily

__all__ = ["SAMPLER_ADVICE", "Multinom", "MultinomLikelihood", "multinom",
           "multinom_probabilities", "predictor_names"]

SAMPLER_ADVICE = ("'multinom' is mgcv's multinomial logit family for bz.reml (K linear "
                  "predictors, a list of formulas); sample the same model with "
                  "family='categorical' (brms's, first category the reference)")

_PREDICTOR = re.compile(r"eta([2-9]|[1-9][0-9]+)$")


def predictor_names(K: int) -> list[str]:
    """The names of linear predictors ``2..K`` (``"eta2"``, ...): the distributional parts
    a list of ``K`` formulas becomes (the first formula is the first predictor's)."""
    return [f"eta{k}" for k in range(2, K + 1)]


def multinom_probabilities(eta: np.ndarray) -> np.ndarray:
    """``P(y = k)``, ``k = 0..K``, per row (``n × (K + 1)``), from the ``n × K`` linear
    predictors: ``predict.gam(type = "response")`` of a ``multinom`` fit."""
    eta = np.atleast_2d(np.asarray(eta, dtype=float))
    full = np.column_stack([np.zeros(eta.shape[0]), eta])
    return np.exp(full - special.logsumexp(full, axis=1, keepdims=True))


class MultinomLikelihood:
    """mgcv's ``multinom(K)`` for the REML engine (the protocol of
    :mod:`bayeszoo.penalized.laplace`): ``K`` linear predictors, no family parameters, no
    scale."""

    scale_param = None
    quadratic = False
    no_r_sq = True
    param_names: tuple[str, ...] = ()
    family_label = "multinom"
    fitted_all_predictors = True

    def __init__(self, y: np.ndarray, weights: np.ndarray, K: int) -> None:
        self.y = np.asarray(y, dtype=float)
        self.weights = np.asarray(weights, dtype=float)
        self.K = int(K)
        self.n_predictors = self.K
        self.cat = self.y.astype(int)
        self.onehot = (self.cat[:, None] == np.arange(1, self.K + 1)[None, :]).astype(float)

    def initial_params(self) -> np.ndarray:
        return np.zeros(0)

    def label(self, params: np.ndarray) -> str:
        return self.family_label

    def probabilities(self, eta: np.ndarray) -> np.ndarray:
        """``P(y = k)`` for ``k = 1..K`` (``n × K``)."""
        return multinom_probabilities(eta)[:, 1:]

    def log_f(self, eta: np.ndarray) -> np.ndarray:
        """``log P(y_i)``."""
        full = np.column_stack([np.zeros(eta.shape[0]), np.asarray(eta, dtype=float)])
        return full[np.arange(full.shape[0]), self.cat] - special.logsumexp(full, axis=1)

    # -- the engine's protocol -----------------------------------------------------------------
    def valid_eta(self, eta: np.ndarray) -> bool:
        return bool(np.all(np.isfinite(eta)))

    def start(self) -> tuple[np.ndarray, np.ndarray]:
        """Each predictor from the log odds of its category against the reference, the
        observed categories shrunk a little toward the empirical frequencies."""
        n = self.y.shape[0]
        freq = np.bincount(self.cat, weights=self.weights, minlength=self.K + 1) + 1.0
        freq = freq / freq.sum()
        full = (self.cat[:, None] == np.arange(self.K + 1)[None, :]).astype(float)
        p = 0.5 * full + 0.5 * freq[None, :]
        z = np.log(p[:, 1:] / p[:, :1])
        return z, np.repeat(self.weights[:, None], self.K, axis=1) * (np.ones((n, 1)) / 4.0)

    def deviance(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        return -2.0 * self.weights * self.log_f(eta)

    def eta_derivatives(self, eta: np.ndarray, params: np.ndarray, order: int = 2):
        """``(f1, f2, f3)`` of ``d/2`` w.r.t. ``eta``: shapes (n,K), (n,K,K), (n,K,K,K)."""
        p = self.probabilities(eta)
        w = self.weights
        eye = np.eye(self.K)
        f1 = w[:, None] * (p - self.onehot)
        f2 = w[:, None, None] * (eye[None] * p[:, :, None] - p[:, :, None] * p[:, None, :])
        f3 = None
        if order >= 3:
            pa = p[:, :, None, None]
            pb = p[:, None, :, None]
            pc = p[:, None, None, :]
            d_ab, d_ac, d_bc = eye[None, :, :, None], eye[None, :, None, :], eye[None, None]
            d_abc = d_ab * d_ac
            f3 = w[:, None, None, None] * (d_abc * pa - d_ab * pa * pc - d_ac * pa * pb
                                           - d_bc * pa * pb + 2.0 * pa * pb * pc)
        return f1, f2, f3

    def param_derivatives(self, eta: np.ndarray, params: np.ndarray):
        n = self.y.shape[0]
        return (np.zeros((n, 0)), np.zeros((n, self.K, 0)), np.zeros((n, self.K, self.K, 0)))

    def saturated(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """The constant mgcv's REML score carries: ``multinom()$ll`` of mgcv 1.8-41 fills the
        reference category's linear predictor with 1 (``eta <- matrix(1, n, K + 1)``), not 0,
        so its log likelihood exceeds the multinomial one by the (weighted) number of rows in
        the reference category; the derivatives, coefficients and deviance are unaffected."""
        return float(np.sum(self.weights[self.cat == 0])), np.zeros(0), np.zeros((0, 0))

    def covariance_weights(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        """The Newton weights (expected and observed coincide for the multinomial logit)."""
        return self.eta_derivatives(eta, params, order=2)[1]

    def fitted(self, eta: np.ndarray) -> np.ndarray:
        """The ``n × K`` linear predictors (mgcv's ``fitted.values`` of a ``multinom`` fit)."""
        return np.asarray(eta, dtype=float)

    def predict_response(self, eta: np.ndarray, params: np.ndarray):
        """``predict.gam(type = "response")``: the ``n × (K + 1)`` category probabilities."""
        return multinom_probabilities(eta), None

    def residuals(self, eta: np.ndarray) -> np.ndarray:
        """mgcv's ``residuals`` of a ``multinom`` fit: ``sqrt(-2 log P(y_i))``, negative where
        the most probable category is not the observed one."""
        probs = multinom_probabilities(eta)
        right = np.argmax(probs, axis=1) == self.cat
        p_y = np.maximum(probs[np.arange(probs.shape[0]), self.cat], np.finfo(float).eps)
        return np.where(right, 1.0, -1.0) * np.sqrt(-2.0 * np.log(p_y))

    def scale_estimate(self, eta: np.ndarray, edf_total: float) -> float:
        return 1.0

    def null_deviance(self, offset: np.ndarray, intercept: bool, params: np.ndarray) -> float:
        """The deviance of the category frequencies (mgcv's ``null.deviance`` of a
        ``multinom`` fit, intercepts only)."""
        freq = np.bincount(self.cat, weights=self.weights, minlength=self.K + 1)
        p = freq / freq.sum()
        with np.errstate(divide="ignore"):
            logp = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), 0.0)
        return float(-2.0 * np.sum(freq * logp))


class Multinom(RemlOnlyFamily):
    """mgcv's ``multinom`` family, for :func:`bayeszoo.reml` only (``family="multinom"``);
    each linear predictor on the identity scale (the log odds of its category against the
    reference). The response is a pandas Categorical (its first category the reference),
    strings (categories sorted, as R's ``factor``) or whole numbers ``0..K``; the formula is
    a list of ``K`` formulas, the first with the response, or :func:`bayeszoo.bf` with
    ``eta2 = "~ ..."`` ... ``etaK``."""

    name = "multinom"
    sampler_advice = SAMPLER_ADVICE
    links = ("identity",)
    discrete = True

    def aux_parameter(self, name: str) -> AuxParameter:
        """``eta2``, ``eta3``, ...: the linear predictors after the first."""
        if not _PREDICTOR.match(name):
            raise ValueError(f"family 'multinom' has linear predictors eta2, eta3, ... after the "
                             f"first (mgcv's list of formulas), not {name!r}")
        return AuxParameter(name, -np.inf, "identity", None, None)

    def response_values(self, y, column):
        s = y if isinstance(y, pd.Series) else pd.Series(y)
        if s.dtype.kind not in "biuf" and not isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("category")  # strings: categories sorted, as R's factor()
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = s.cat.codes.to_numpy()
            if np.any(codes < 0):
                i = int(np.flatnonzero(codes < 0)[0])
                raise ValueError(f"response {column!r} has a missing value or a category "
                                 f"outside its levels {list(s.cat.categories)} at row {i}")
            return codes.astype(float), tuple(s.cat.categories)
        return super().response_values(s, column)

    def check_values(self, y, column, trials):
        bad = (y < 0) | (y != np.round(y))
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"response {column!r} of a multinom model must hold the categories "
                             f"0..K (0 the reference) or be a Categorical; row {i} has "
                             f"{y[i]:g}")

    def reml_likelihood(self, response: Response, dpars=(), theta=None):
        """mgcv's ``multinom(K)``, ``K = 1 + len(dpars)`` linear predictors."""
        if theta is not None:
            raise ValueError("multinom has no theta; theta= holds a negative binomial's theta "
                             "or ziP's")
        K = 1 + len(dpars)
        if list(dpars) != predictor_names(K):
            raise ValueError(f"a multinom model with {K} linear predictors names them "
                             f"{['mu', *predictor_names(K)]}, not {['mu', *dpars]}")
        top = int(response.y.max()) if response.y.size else 0
        n_cat = len(response.levels) if response.levels else top + 1
        if n_cat != K + 1:
            what = (f"{n_cat} categories {list(response.levels)}" if response.levels
                    else f"categories 0..{top}")
            raise ValueError(f"response {response.column!r} of a multinom model with {K} linear "
                             f"predictor(s) must have {K + 1} categories (0 the reference), "
                             f"it has {what}: give one formula per non-reference category")
        return MultinomLikelihood(response.y, response.prior_weights(), K)


def multinom() -> Multinom:
    """mgcv's multinomial logit family (``multinom(K)``, ``K`` from the formulas), for
    ``bz.reml(["y ~ ...", "~ ...", ...], data, family="multinom")``."""
    return Multinom()
