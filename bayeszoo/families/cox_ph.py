"""``cox.ph``: mgcv's Cox proportional hazards family (``cox.ph()``, ``R/coxph.r``; Wood, Pya
& Säfken 2016, JASA 111:1548-1563, section 3.1), for :func:`bayeszoo.reml` only.

The response is a time ``t_i``; ``delta_i`` is 1 for an event and 0 for a right-censored time
(mgcv's ``weights = status``; here ``time | weights(status) ~ ...``, or brms's coding
``time | cens(censored) ~ ...`` with ``censored`` 1 for right censored, 0 for an event). The
linear predictor has no intercept (mgcv's ``drop.intercept``) and enters the hazard as
``h_0(t) exp(eta)``. Coefficients maximize the penalized log partial likelihood with
Breslow's treatment of ties (mgcv's ``coxlpl``)::

    l = Σ_i delta_i (eta_i - log S_i),    S_i = Σ_{j: t_j >= t_i} exp(eta_j).

The rows are coupled through the risk sets ``S_i``, so the Hessian in ``eta`` is not
diagonal: with ``e_j = exp(eta_j)``, ``A_j = Σ_{i: t_i <= t_j} delta_i / S_i`` and ``m_i =
Σ_{j: t_j >= t_i} e_j c_j / S_i`` (``c_j`` row ``j`` of the model matrix), the Hessian of
``-l`` in the coefficients is ``C' diag(e A) C - Σ_i delta_i m_i m_i'``;
:class:`CoxPHLikelihood` gives it (``coupled_hessian``) and the trace of its derivative along
a direction of ``eta`` (``coupled_hessian_trace``) to the REML engine
(:mod:`bayeszoo.penalized.laplace`), whose criterion is then mgcv's ``gam.fit5`` REML score.
mgcv's ``fitted.values`` are the survival probabilities ``exp(-H_0(t_i) exp(eta_i))``, ``H_0``
Breslow's baseline cumulative hazard (mgcv's ``coxpp``).

The samplers fit parametric survival models with censoring (``family="weibull"``,
``"lognormal"``, ``"exponential"``, ``y | cens(c) ~ ...``): :class:`CoxPH` refuses them with
that advice.
"""

from __future__ import annotations

import numpy as np

from .base import Response
from .censoring import CENSORING_KEYS
from .reml_only import RemlOnlyFamily

__all__ = ["SAMPLER_ADVICE", "CoxPH", "CoxPHLikelihood", "cox_ph"]

SAMPLER_ADVICE = ("'cox.ph' is mgcv's Cox proportional hazards family for bz.reml; the "
                  "samplers (NumPyro, PyMC, nutpie) fit parametric survival models with "
                  "censoring instead: family='weibull', 'lognormal' or 'exponential' with "
                  "'time | cens(censored) ~ ...'")


class CoxPHLikelihood:
    """mgcv's ``cox.ph()`` for the REML engine (the protocol of
    :mod:`bayeszoo.penalized.laplace`, with the coupled Hessian): no family parameters, no
    scale. ``weights`` is the event indicator ``delta``."""

    n_predictors = 1
    scale_param = None
    quadratic = False
    no_r_sq = True
    param_names: tuple[str, ...] = ()
    family_label = "Cox PH"

    def __init__(self, time: np.ndarray, event: np.ndarray) -> None:
        self.y = np.asarray(time, dtype=float)
        self.weights = np.asarray(event, dtype=float)
        self.order = np.argsort(-self.y, kind="stable")  # mgcv's y.order: decreasing times
        ts = self.y[self.order]
        n = ts.size
        new = np.r_[True, ts[1:] != ts[:-1]]
        group = np.cumsum(new) - 1
        starts = np.flatnonzero(new)
        ends = np.r_[starts[1:], n] - 1
        self.first = starts[group]  # per sorted row, the first and last row of its tie
        self.last = ends[group]
        self.delta = self.weights[self.order]

    # -- risk sets on the sorted rows -------------------------------------------------------------
    def _risk(self, eta: np.ndarray):
        """``e`` (scaled by ``exp(-max eta)``), ``S`` and ``A`` on the sorted rows, and the
        shift."""
        es = np.asarray(eta, dtype=float)[self.order, 0]
        shift = float(np.max(es)) if es.size else 0.0
        e = np.exp(es - shift)
        S = np.cumsum(e)[self.last]
        A = self._from_later(self.delta / S)
        return e, S, A, shift

    def _from_later(self, v: np.ndarray) -> np.ndarray:
        """``Σ_{i: t_i <= t_j} v_i`` for each sorted row ``j``."""
        rc = np.cumsum(v[::-1])[::-1]
        return rc[self.first]

    def _unsort(self, v: np.ndarray) -> np.ndarray:
        out = np.empty_like(v)
        out[self.order] = v
        return out

    def log_f(self, eta: np.ndarray) -> np.ndarray:
        """Each row's term of the log partial likelihood, ``delta_i (eta_i - log S_i)``."""
        e, S, _, shift = self._risk(eta)
        es = np.asarray(eta, dtype=float)[self.order, 0]
        return self._unsort(self.delta * (es - shift - np.log(S)))

    # -- the engine's protocol -----------------------------------------------------------------
    def initial_params(self) -> np.ndarray:
        return np.zeros(0)

    def label(self, params: np.ndarray) -> str:
        return self.family_label

    def valid_eta(self, eta: np.ndarray) -> bool:
        return bool(np.all(np.isfinite(eta)))

    def start(self) -> tuple[np.ndarray, np.ndarray]:
        """mgcv's ``initialize``: coefficients 0 (``eta = 0`` with unit weights)."""
        n = self.y.shape[0]
        return np.zeros((n, 1)), np.ones((n, 1))

    def deviance(self, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``-2`` times each row's term of the log partial likelihood."""
        return -2.0 * self.log_f(eta)

    def eta_derivatives(self, eta: np.ndarray, params: np.ndarray, order: int = 2):
        """The gradient of ``-l`` in ``eta`` (``n × 1``); its Hessian is not diagonal and
        comes from :meth:`coupled_hessian`, so ``f2`` and ``f3`` are ``None``."""
        e, _, A, _ = self._risk(eta)
        return self._unsort(-(self.delta - e * A))[:, None], None, None

    def _means(self, e: np.ndarray, S: np.ndarray, Cs: np.ndarray) -> np.ndarray:
        """``m_i``: the ``e``-weighted mean of the rows of ``Cs`` over each risk set."""
        return np.cumsum(e[:, None] * Cs, axis=0)[self.last] / S[:, None]

    def coupled_hessian(self, C: np.ndarray, eta: np.ndarray, params: np.ndarray) -> np.ndarray:
        """``-d²l/dbeta²`` for the model matrix ``C``: ``C' diag(e A) C - Σ delta_i m_i
        m_i'``."""
        e, S, A, _ = self._risk(eta)
        Cs = C[self.order]
        M = self._means(e, S, Cs)
        return Cs.T @ ((e * A)[:, None] * Cs) - M.T @ (self.delta[:, None] * M)

    def coupled_hessian_trace(self, C: np.ndarray, eta: np.ndarray, params: np.ndarray,
                              Ainv: np.ndarray, deta: np.ndarray) -> float:
        """``tr(Ainv dH)``, ``dH`` the derivative of :meth:`coupled_hessian` along ``deta``
        (an ``n`` or ``n × 1`` change of the linear predictor)."""
        e, S, A, _ = self._risk(eta)
        Cs = C[self.order]
        v = np.asarray(deta, dtype=float).reshape(-1)[self.order]
        ev = e * v
        dS = np.cumsum(ev)[self.last]
        dA = -self._from_later(self.delta * dS / S**2)
        M = self._means(e, S, Cs)
        dM = np.cumsum(ev[:, None] * Cs, axis=0)[self.last] / S[:, None] - M * (dS / S)[:, None]
        CA = Cs @ Ainv
        diag = float(np.sum(e * (v * A + dA) * np.einsum("ij,ij->i", CA, Cs)))
        cross = 2.0 * float(np.sum(self.delta * np.einsum("ij,ij->i", dM @ Ainv, M)))
        return diag - cross

    def param_derivatives(self, eta: np.ndarray, params: np.ndarray):
        n = self.y.shape[0]
        return np.zeros((n, 0)), np.zeros((n, 1, 0)), np.zeros((n, 1, 1, 0))

    def saturated(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """No saturated likelihood (mgcv's ``gam.fit5``)."""
        return 0.0, np.zeros(0), np.zeros((0, 0))

    def baseline_hazard(self, eta: np.ndarray) -> np.ndarray:
        """Breslow's baseline cumulative hazard at each row's time (mgcv's ``coxpp``'s ``h``):
        ``H_0(t) = Σ_{t_i <= t} delta_i / S_i``, ``S_i`` on the unscaled ``exp(eta)``."""
        e, S, A, shift = self._risk(eta)
        return self._unsort(A * np.exp(-shift))

    def fitted(self, eta: np.ndarray) -> np.ndarray:
        """mgcv's ``fitted.values``: each row's survival probability at its own time,
        ``exp(-H_0(t_i) exp(eta_i))``."""
        eta1 = np.asarray(eta, dtype=float)[:, 0]
        return np.exp(-self.baseline_hazard(eta) * np.exp(eta1))[:, None]

    def predict_response(self, eta: np.ndarray, params: np.ndarray):
        """Survival at new times needs those times, which ``predict`` does not take: refused
        (``fit.fitted`` holds the survival of the fitted rows)."""
        raise ValueError("predict(type='response') of a cox.ph fit would need each row's time; "
                         "use type='link' (the linear predictor) or fit.fitted (the survival "
                         "probability of each fitted row at its own time)")

    def scale_estimate(self, eta: np.ndarray, edf_total: float) -> float:
        return 1.0

    def null_deviance(self, offset: np.ndarray, intercept: bool, params: np.ndarray) -> float:
        """mgcv's ``postproc``: ``2 Σ |delta_i + log s_i + delta_i log(-log s_i)|``, ``s_i``
        the baseline survival at ``eta = 0`` (kept below 1)."""
        s0 = np.exp(-self.baseline_hazard(np.zeros((self.y.shape[0], 1))))
        s0 = np.where(s0 >= 1.0, 1.0 - 2.0 * np.finfo(float).eps, s0)
        d = self.weights
        return float(2.0 * np.sum(np.abs(d + np.log(s0) + d * np.log(-np.log(s0)))))

    def reported_deviance(self, eta: np.ndarray, params: np.ndarray) -> float:
        """mgcv's ``deviance`` of a ``cox.ph`` fit: the sum of the squared deviance
        residuals, ``-2 Σ (delta_i + log s_i + delta_i log(-log s_i))``."""
        s = np.minimum(self.fitted(eta)[:, 0], np.exp(-1e-50))
        d = self.weights
        return float(-2.0 * np.sum(d + np.log(s) + d * np.log(-np.log(s))))


class CoxPH(RemlOnlyFamily):
    """mgcv's ``cox.ph`` family, for :func:`bayeszoo.reml` only (``family="cox.ph"``): the
    response a time, the events given as ``weights(status)`` (1 an event, 0 right censored;
    mgcv's ``weights = status``) or as brms's ``cens(censored)`` (0 an event, 1 right
    censored); no intercept (mgcv's ``drop.intercept``)."""

    name = "cox.ph"
    sampler_advice = SAMPLER_ADVICE
    links = ("identity",)
    drop_intercept = True

    def check_values(self, y, column, trials):
        bad = y < 0
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"response {column!r} of a cox.ph model is a time: it must not be "
                             f"negative; row {i} has {y[i]:g}")

    def lccdf(self, ops, y, eta, aux, extras=None):
        """Right censoring is read by :meth:`reml_events`; there is no survival function
        without the baseline hazard, so the samplers are refused."""
        raise ValueError(SAMPLER_ADVICE)

    def lcdf(self, ops, y, eta, aux, extras=None):
        raise ValueError(SAMPLER_ADVICE)

    def reml_events(self, additions: dict, column: str) -> np.ndarray:
        """The event indicator from brms's ``cens()`` codes: 1 where a time is not censored
        (code 0), 0 where it is right censored (code 1); left and interval censoring,
        truncation and ``weights()`` together with ``cens()`` are refused."""
        extra = [k for k in CENSORING_KEYS if k in additions and k != "cens"]
        if extra or "cens" not in additions:
            raise ValueError(f"cox.ph takes right censoring only, cens(censored) with 0 for an "
                             f"event and 1 for a censored time, not {extra or 'trunc()'}")
        if "weights" in additions:
            raise ValueError("cox.ph takes the events once: either weights(status) (mgcv's: 1 "
                             "an event) or cens(censored) (brms's: 1 right censored), not both")
        codes = np.asarray(additions["cens"], dtype=float)
        bad = (codes != 0) & (codes != 1)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"response {column!r} of a cox.ph model is censored at row {i} "
                             f"with brms code {codes[i]:g}; cox.ph takes right censoring only "
                             "(0 an event, 1 right censored)")
        return 1.0 - codes

    def reml_likelihood(self, response: Response, dpars=(), theta=None):
        """mgcv's ``cox.ph()``, the prior weights the event indicator."""
        if dpars:
            raise ValueError(f"cox.ph: REML takes no formula for {dpars}")
        if theta is not None:
            raise ValueError("cox.ph has no theta; theta= holds a negative binomial's theta "
                             "or ziP's")
        event = response.prior_weights()
        bad = (event != 0) & (event != 1)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"the events of response {response.column!r} of a cox.ph model "
                             f"(weights(), mgcv's status) must be 1 (event) or 0 (right "
                             f"censored); row {i} has {event[i]:g}")
        if not np.any(event):
            raise ValueError(f"response {response.column!r} of a cox.ph model has no events: "
                             "every time is censored")
        return CoxPHLikelihood(response.y, event)


def cox_ph() -> CoxPH:
    """mgcv's Cox proportional hazards family, for ``bz.reml(..., family="cox.ph")``."""
    return CoxPH()
