"""The REML engine's entry point: fit a list of linear predictors under a family's REML
likelihood, and the result every caller reads.

``fit_model(predictors, likelihood, method)`` picks the exact Gaussian path
(:mod:`.gaussian`) when the likelihood says it is quadratic (Gaussian, identity link, estimated
scale) and the Laplace path (:mod:`.laplace`) otherwise. Blocks whose ``fixed`` parameters are
given keep them; every other penalty parameter and every family parameter (``log theta``,
``log phi``) is estimated.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from .gaussian import GaussianEngine, NotPositiveDefinite
from .laplace import LaplaceEngine
from .problem import Layout, Predictor, column_squares

__all__ = ["EngineResult", "NotPositiveDefinite", "blas_context", "fit_model"]


@dataclass
class EngineResult:
    """A fitted model in the engine's internal coefficient order (``layout.design_order()``
    maps it to the Design's).

    * ``beta``; ``eta`` (``n × K``, offsets included); ``fitted`` (``n × K`` on the response
      scale: ``mu``; for ``gaulss`` ``mu`` and ``sd``);
    * ``psi`` every penalty parameter, ``params`` the family's (``param_names``);
    * ``score``: mgcv's ``gcv.ubre`` (REML: the blocks' ``reml_offset`` included);
      ``criterion``: lme4's (``2·score`` without offsets: REML criterion or ML deviance);
    * ``scale``: mgcv's ``sig2`` (Fletcher-corrected Pearson for estimated scales, 1 when
      known); ``reml_scale``: the scale at the optimum of the criterion (mgcv's ``reml.scale``);
    * ``cov``: ``Vp / scale`` (mgcv's Bayesian covariance without the scale);
      ``edf``: per-coefficient edf (diagonal of mgcv's ``F``);
    * ``hessian``: of the criterion in the estimated outer parameters, named by
      ``hessian_labels`` (``(block index, parameter label)``; block ``None`` for family
      parameters and for ``"log_scale"``, the Gaussian scale the exact path profiles out);
    * ``deviance``: ``Σ d_i`` (mgcv's deviance; ``-2 log lik`` for ``gaulss``).
    """

    layout: Layout
    method: str
    family_label: str
    beta: np.ndarray
    eta: np.ndarray
    fitted: np.ndarray
    psi: np.ndarray
    params: np.ndarray
    param_names: tuple[str, ...]
    score: float
    criterion: float
    scale: float
    reml_scale: float
    cov: np.ndarray
    edf: np.ndarray
    hessian: np.ndarray
    hessian_labels: list[tuple[int | None, str]]
    deviance: float
    converged: bool
    iterations: int
    gradient: np.ndarray

    @property
    def Vp(self) -> np.ndarray:
        return self.scale * self.cov

    def smoothing_parameters(self, j: int) -> np.ndarray:
        b = self.layout.blocks[j]
        return b.penalty.smoothing_parameters(self.psi[self.layout.param_slices[j]])

    def block_params(self, j: int) -> np.ndarray:
        return self.psi[self.layout.param_slices[j]]


def start_parameters(layout: Layout, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray, np.ndarray]:
    """Starting penalty parameters, their box and the free ones (blocks not ``fixed``)."""
    psi0: list[np.ndarray] = [np.zeros(0)]
    lo: list[np.ndarray] = [np.zeros(0)]
    hi: list[np.ndarray] = [np.zeros(0)]
    free: list[int] = []
    for j, b in enumerate(layout.blocks):
        gram_diag = column_squares(b.matrix, weights)
        start = b.penalty.start(gram_diag) if b.fixed is None else np.asarray(b.fixed, float)
        lower, upper = b.penalty.bounds(start)
        psi0.append(start)
        lo.append(lower)
        hi.append(upper)
        ps = layout.param_slices[j]
        if b.fixed is None:
            free.extend(range(ps.start, ps.stop))
    return (np.concatenate(psi0), np.concatenate(lo), np.concatenate(hi),
            np.array(free, dtype=int))


SMALL = (400, 2e7)  # up to P coefficients and n·P entries BLAS threads cost more than they give
_threadpools: list = []


def single_threaded_blas():
    """A context that limits BLAS to one thread (threadpoolctl, when installed)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    if not _threadpools:
        _threadpools.append(ThreadpoolController())
    return _threadpools[0].limit(limits=1, user_api="blas")


_limited = [0]  # depth of nested single-threaded sections


@contextlib.contextmanager
def blas_context(n: int, P: int):
    """Single-threaded BLAS for small problems (thread start-up and contention cost more than
    they give there), the default otherwise; nested sections limit once."""
    small = P <= SMALL[0] and n * P <= SMALL[1]
    if not small or _limited[0]:
        yield
        return
    with single_threaded_blas():
        _limited[0] += 1
        try:
            yield
        finally:
            _limited[0] -= 1


def fit_model(predictors: list[Predictor], likelihood, method: str = "REML") -> EngineResult:
    """Estimate the penalty (and family) parameters of ``predictors`` by REML or ML."""
    layout = Layout(predictors)
    with blas_context(layout.n, layout.P):
        if getattr(likelihood, "quadratic", False):
            return _fit_gaussian(layout, likelihood, method)
        return _fit_laplace(layout, likelihood, method)


def _labels(layout: Layout, free: np.ndarray) -> list[tuple[int | None, str]]:
    out = []
    for i in free:
        j = next(j for j, ps in enumerate(layout.param_slices) if ps.start <= i < ps.stop)
        out.append((j, layout.blocks[j].penalty.param_labels[i - layout.param_slices[j].start]))
    return out


def _offsets(layout: Layout, method: str) -> float:
    return sum(b.reml_offset for b in layout.blocks) if method == "REML" else 0.0


def _fit_gaussian(layout: Layout, lik, method: str) -> EngineResult:
    engine = GaussianEngine(layout, lik.y, lik.weights, method)
    psi0, lo, hi, free = start_parameters(layout, engine.w)
    st, info = engine.fit(psi0, free, lo, hi)
    Ainv = st.inverse()
    edf = st.penalty.edf(Ainv)
    eta = layout.eta(st.beta)
    scale = lik.scale_estimate(eta, float(np.sum(edf)))
    hessian = engine.full_hessian(st, free)
    return EngineResult(
        layout=layout, method=method, family_label=lik.family_label, beta=st.beta, eta=eta,
        fitted=lik.fitted(eta), psi=st.psi, params=np.array([np.log(engine.reml_scale(st))]),
        param_names=("log_scale",), score=st.score + _offsets(layout, method),
        criterion=2.0 * st.score, scale=scale, reml_scale=engine.reml_scale(st), cov=Ainv,
        edf=edf, hessian=hessian, hessian_labels=[*_labels(layout, free), (None, "log_scale")],
        deviance=float((engine.w * st.resid) @ st.resid), converged=info.converged,
        iterations=info.iterations, gradient=info.gradient)


def _fit_laplace(layout: Layout, lik, method: str) -> EngineResult:
    engine = LaplaceEngine(layout, lik, method)
    _, w_start = lik.start()
    psi0, lo, hi, free = start_parameters(layout, w_start[:, 0])
    tau0 = lik.initial_params()
    n_psi = psi0.size
    z0 = np.concatenate([psi0, tau0])
    if lik.scale_param is not None:  # penalized IRLS does not depend on phi: start from Dp/(n - Mp)
        st0 = engine.state(z0)
        if st0 is None:
            raise FloatingPointError("penalized IRLS failed at the starting smoothing parameters")
        dof = max(float(np.sum(lik.weights > 0)) - layout.Mp, 1.0)
        tau0[lik.scale_param] = np.log(max(st0.Dp / dof, 1e-300))
        z0 = np.concatenate([psi0, tau0])
    lower = np.concatenate([lo, tau0 - 25.0])
    upper = np.concatenate([hi, tau0 + 25.0])
    free_all = np.concatenate([free, n_psi + np.arange(tau0.size)]).astype(int)
    st, info = engine.fit(z0, free_all, lower, upper)
    cov = engine.covariance(st)
    edf = st.penalty.edf(cov)
    scale = lik.scale_estimate(st.eta, float(np.sum(edf)))
    hessian = engine.hessian(st, free_all) if free_all.size else np.zeros((0, 0))
    labels = [*_labels(layout, free), *[(None, name) for name in lik.param_names]]
    return EngineResult(
        layout=layout, method=method, family_label=lik.family_label, beta=st.beta, eta=st.eta,
        fitted=lik.fitted(st.eta), psi=st.psi, params=st.params,
        param_names=tuple(lik.param_names), score=st.score + _offsets(layout, method),
        criterion=2.0 * st.score, scale=scale, reml_scale=engine.scale(st.params),
        cov=cov, edf=edf, hessian=hessian, hessian_labels=labels,
        deviance=st.deviance, converged=info.converged, iterations=info.iterations,
        gradient=info.gradient)


