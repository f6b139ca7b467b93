"""REML (and ML) for Gaussian additive mixed models, numerically equivalent to mgcv.

``reml(formula | Design, data)`` fits ``y = X·beta + Σ_j Z_j·b_j + e`` with ``b_j ~ N(0, sd_j² I)``
and ``e ~ N(0, scale·I)``: the design every inference path of the zoo consumes. A smooth enters as
mgcv's ``smooth2random`` form (unpenalized columns in ``X``, one identity-penalized block), so
its smoothing parameter ``sp_j = scale / sd_j²`` is mgcv's, and the REML score is
``gam(..., method = "REML")$gcv.ubre``: the mixed-model criterion plus each block's
``reml_offset`` (the log-determinant of the null-space rescaling that ``smooth2random`` applied).

The numerical work (cross-products, exact derivatives, Newton) is in ``_reml_engine``.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, stats

from bayeszoo.design import Design
from bayeszoo.inference._reml_engine import (
    Engine,
    NotPositiveDefinite,
    State,
    block_matrix,
    build_problem,
)

__all__ = ["RemlFit", "reml"]

_METHODS = ("REML", "ML")
_SMALL = (400, 2e7)  # up to P coefficients and n·P entries BLAS threads cost more than they give
_threadpools: list = []
_RANK_TOL = 1e-8  # distance of a unit-norm column of X from the span of the columns before it


def _single_threaded_blas():
    """A context that limits BLAS to one thread (threadpoolctl, when installed)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    if not _threadpools:
        _threadpools.append(ThreadpoolController())
    return _threadpools[0].limit(limits=1, user_api="blas")


@dataclass(eq=False, repr=False)
class RemlFit:
    """A fitted REML/ML model. Every array is in the Design's coefficient order:
    ``design.column_names`` (the columns of ``X``) then each block's columns.

    Attributes
    ----------
    design : the :class:`~bayeszoo.design.Design` that was fitted.
    method : ``"REML"`` or ``"ML"``.
    coef : ``pd.Series`` of coefficients, indexed by ``column_names`` then ``"<term>.<label>"``
        (``"s(times).1"``, ``"(1 | county).AITKIN"``).
    fitted, residuals : ``np.ndarray`` of length ``n``.
    sp : ``{term: sp}`` for every penalized block (mgcv's smoothing parameter).
    sd : ``{term: sqrt(scale / sp)}``, the standard deviation of the block's coefficients.
    scale : residual variance (mgcv's ``scale``/``sig2``/``reml.scale``).
    reml_score : mgcv's ``gcv.ubre``: minus the restricted log likelihood (``"ML"``: minus the
        log likelihood), constants included.
    edf : ``{term: edf}`` for every smooth and random-effect term (a smooth's unpenalized
        columns count into its edf, as mgcv's); ``edf_total`` adds 1 per parametric column.
    edf_coef : per-coefficient diagonal of the influence matrix (in the Design's basis; only
        per-term sums are basis-free and equal mgcv's).
    fixed_sp : terms whose sp was given rather than estimated.
    hessian : Hessian of the criterion w.r.t. (log sp of the estimated terms, log scale) at the
        optimum (mgcv's ``outer.info$hess``); ``hessian_terms`` names its rows.
    converged, iterations : Newton's outcome.
    """

    design: Design
    method: str
    coef: pd.Series
    fitted: np.ndarray
    residuals: np.ndarray
    sp: dict[str, float]
    sd: dict[str, float]
    scale: float
    reml_score: float
    edf: dict[str, float]
    edf_total: float
    edf_coef: pd.Series
    fixed_sp: list[str]
    hessian: np.ndarray
    hessian_terms: list[str]
    converged: bool
    iterations: int
    _K: np.ndarray = field(repr=False)  # A⁻¹ = K·K' in Design order
    _parametric: list[int] = field(repr=False)

    # -- derived quantities -------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.design.n

    @property
    def loglik(self) -> float:
        """``-reml_score``: the (restricted, for REML) log likelihood."""
        return -self.reml_score

    @property
    def Vp(self) -> np.ndarray:
        """Bayesian posterior covariance of the coefficients (mgcv's ``Vp = scale·A⁻¹``)."""
        return self.scale * (self._K @ self._K.T)

    @property
    def se(self) -> pd.Series:
        """Posterior standard deviations of the coefficients (``sqrt(diag(Vp))``)."""
        return pd.Series(math.sqrt(self.scale) * np.sqrt(np.sum(self._K**2, axis=1)),
                         index=self.coef.index)

    def vcomp(self, rescale: bool = True, conf_level: float = 0.95) -> pd.DataFrame:
        """Standard deviations of the variance components with intervals, as ``gam.vcomp``.

        Rows: each penalized term (``std.dev = sqrt(scale/sp)``), then ``"scale"`` (the residual
        standard deviation). Intervals are Wald intervals for the log standard deviations from the
        inverse Hessian of the criterion in (log sp, log scale), as mgcv computes them; terms with
        a fixed ``sp`` get none. ``rescale`` undoes mgcv's ``S.scale`` penalty scaling for smooths
        whose basis exposes ``S_scale`` (as ``gam.vcomp(rescale=TRUE)``).
        """
        if not 0 < conf_level < 1:
            conf_level = 0.95
        crit = stats.norm.ppf(1 - (1 - conf_level) / 2)
        H = self.hessian
        ev, vec = np.linalg.eigh(H)
        pos = ev > 0
        iv = np.zeros_like(ev)
        iv[pos] = 1.0 / ev[pos]
        m = H.shape[0] - 1
        J = np.zeros_like(H)
        J[np.diag_indices(m + 1)] = -0.5
        J[:, m] = 0.5
        V = J @ ((vec * iv) @ vec.T) @ J.T
        sd_lsd = dict(zip([*self.hessian_terms, "scale"], np.sqrt(np.maximum(np.diag(V), 0)),
                          strict=True))
        scales = self._penalty_scales() if rescale else {}
        rows, idx = [], []
        for term, sp in self.sp.items():
            sd = math.sqrt(self.scale * scales.get(term, 1.0) / sp)
            rows.append(_interval(sd, sd_lsd.get(term, math.nan), crit))
            idx.append(term)
        rows.append(_interval(math.sqrt(self.scale), sd_lsd["scale"], crit))
        idx.append("scale")
        return pd.DataFrame(rows, index=idx, columns=["std.dev", "lower", "upper"])

    def _penalty_scales(self) -> dict[str, float]:
        out = {}
        for sm in self.design.smooths:
            s = getattr(sm.basis, "S_scale", None)
            if sm.block is not None and isinstance(s, int | float) and s > 0:
                out[self.design.blocks[sm.block].term] = float(s)
        return out

    def predict(self, newdata: pd.DataFrame | Design | None = None, se: bool = False,
                allow_new_levels: bool = False):
        """Predictions of ``mu`` for ``newdata`` (``None``: the fitted data).

        ``newdata`` is a DataFrame (evaluated through ``Design.for_newdata``, so smooths use the
        fitted knots and constraints) or a Design with the same columns. With ``se=True`` returns
        ``(fit, se_fit)``, the standard errors from ``Vp`` as ``predict.gam(se.fit=TRUE)``.
        """
        if newdata is None:
            d = self.design
        elif isinstance(newdata, Design):
            d = newdata
        else:
            d = self.design.for_newdata(newdata, allow_new_levels=allow_new_levels)
        Cn = _dense_design(d)
        if Cn.shape[1] != self.coef.shape[0]:
            raise ValueError(f"newdata gives {Cn.shape[1]} columns; the fit has "
                             f"{self.coef.shape[0]} coefficients")
        fit = Cn @ self.coef.to_numpy()
        if not se:
            return fit
        se_fit = math.sqrt(self.scale) * np.sqrt(np.sum((Cn @ self._K) ** 2, axis=1))
        return fit, se_fit

    # -- text ---------------------------------------------------------------------------------
    def summary(self) -> str:
        """A text summary in the shape of ``summary.gam``."""
        d = self.design
        y = np.asarray(d.y, float)
        n = self.n
        resid_df = n - self.edf_total
        lines = ["", "Family: gaussian", "Link function: identity", "", "Formula:",
                 d.formula, ""]
        if self._parametric:
            est = self.coef.iloc[self._parametric]
            sev = self.se.iloc[self._parametric]
            t = est / sev
            p = 2 * stats.t.sf(np.abs(t), df=max(resid_df, 1e-8))
            tab = pd.DataFrame({"Estimate": est.map(_num), "Std. Error": sev.map(_num),
                                "t value": t.map(lambda v: f"{v:.3f}"),
                                "Pr(>|t|)": [_pval(v) for v in p],
                                "": [_stars(v) for v in p]}, index=est.index)
            lines += ["Parametric coefficients:", tab.to_string(), "---",
                      "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1", ""]
        if self.edf:
            rows = {}
            for term, e in self.edf.items():
                rows[term] = {"edf": f"{e:.3f}",
                              "sp": _num(self.sp[term]) if term in self.sp else "fx",
                              "std.dev": _num(self.sd[term]) if term in self.sd else "-"}
            lines += ["Smooth terms and random effects:",
                      pd.DataFrame.from_dict(rows, orient="index").to_string(), ""]
        centre = y.mean() if d.has_intercept else 0.0
        null_dev = float(np.sum((y - centre) ** 2))
        dev = float(np.sum(self.residuals**2))
        r2 = 1 - np.var(self.residuals, ddof=1) * (n - 1) / (np.var(y, ddof=1) * resid_df)
        explained = 100 * (1 - dev / null_dev)
        lines += [f"R-sq.(adj) = {r2:7.4g}   Deviance explained = {explained:.3g}%",
                  f"-{self.method} = {self.reml_score:.5g}  Scale est. = {self.scale:.5g}"
                  f"    n = {n}", ""]
        return "\n".join(lines)

    def __repr__(self) -> str:
        sp = ", ".join(f"{k}: {v:.6g}" for k, v in self.sp.items())
        return (f"RemlFit({self.design.formula!r}, method={self.method!r}, "
                f"{self.method.lower()}_score={self.reml_score:.8g}, scale={self.scale:.6g}, "
                f"edf_total={self.edf_total:.6g}, sp={{{sp}}})")


def _interval(sd: float, sd_log: float, crit: float) -> list[float]:
    with np.errstate(over="ignore"):
        return [sd, float(sd * np.exp(-crit * sd_log)), float(sd * np.exp(crit * sd_log))]


def _num(v: float) -> str:
    return f"{v:.5g}"


def _pval(p: float) -> str:
    return "<2e-16" if p < 2e-16 else f"{p:.3g}"


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "." if p < 0.1 else ""


def _dense_design(d: Design) -> np.ndarray:
    return np.column_stack([np.asarray(d.X, float)] + [np.asarray(b.Z, float) for b in d.blocks])


# -- input checks -------------------------------------------------------------------------------
def _response(d: Design) -> np.ndarray:
    if d.y is None:
        raise ValueError(f"the design of {d.formula!r} has no response: REML needs one")
    y = np.asarray(d.y)
    if y.dtype.kind not in "biuf":
        raise ValueError(f"response {d.response!r} is not numeric (dtype {y.dtype}): REML fits a "
                         "Gaussian response; convert it to numbers or choose a numeric column")
    y = y.astype(float).ravel()
    if y.shape[0] != d.X.shape[0]:
        raise ValueError(f"response {d.response!r} has {y.shape[0]} values but X has "
                         f"{d.X.shape[0]} rows")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"response {d.response!r} has {int(np.sum(~np.isfinite(y)))} missing or "
                         "infinite values")
    if np.ptp(y) == 0:
        raise ValueError(f"response {d.response!r} is constant ({y[0]:g}): there is no variance "
                         "to decompose")
    return y


def _column_terms(d: Design) -> list[str]:
    """The formula term each column of X belongs to (its own name when parametric)."""
    terms = list(d.column_names)
    for sm in d.smooths:
        for i in sm.fixed_columns:
            terms[i] = sm.term
    return terms


def _check_identifiable(d: Design, X: np.ndarray) -> None:
    """Every column of X adds a direction, and no block lies wholly in the span of X (its
    variance would then be unidentifiable: the criterion is flat in its sp)."""
    names, terms = list(d.column_names), _column_terms(d)
    if not np.all(np.isfinite(X)):
        bad = [names[j] for j in range(X.shape[1]) if not np.all(np.isfinite(X[:, j]))]
        raise ValueError(f"column(s) {bad} of the design hold missing or infinite values")
    norms = np.sqrt(np.sum(X**2, axis=0))
    for j in np.flatnonzero(norms == 0):
        raise ValueError(f"term {terms[j]!r} is not identifiable: its column {names[j]!r} is zero")
    Xn = X / norms
    Q, R = linalg.qr(Xn, mode="economic", check_finite=False)
    dist = np.abs(np.diag(R))
    for j in np.flatnonzero(dist < _RANK_TOL):
        comb = np.linalg.lstsq(Xn[:, :j], Xn[:, j], rcond=None)[0]
        using = [names[i] for i in np.flatnonzero(np.abs(comb) > 1e-6)]
        what = f"column {names[j]!r}" + (f" of term {terms[j]!r}" if terms[j] != names[j] else "")
        raise ValueError(f"term {terms[j]!r} is not identifiable: {what} is a linear combination "
                         f"of {using}; drop the term or one of those it duplicates")
    for b in d.blocks:
        Z = np.asarray(b.Z, dtype=float)
        size = np.linalg.norm(Z)
        if size > 0 and np.linalg.norm(Z - Q @ (Q.T @ Z)) <= 1e-8 * size:
            raise ValueError(f"term {b.term!r} is not identifiable: its columns lie in the span of "
                             f"the fixed effects {names}; drop the term or the fixed effects that "
                             "duplicate it")


def _resolve_sp(d: Design, sp: Any) -> list[float | None]:
    fixed: list[float | None] = [b.sp for b in d.blocks]
    if sp is None:
        pass
    elif isinstance(sp, dict):
        terms = [b.term for b in d.blocks]
        unpenalized = {sm.term for sm in d.smooths if sm.block is None}
        for key, value in sp.items():
            if key in unpenalized:
                raise ValueError(f"term {key!r} is unpenalized (fx=True): it has no smoothing "
                                 "parameter")
            if key not in terms:
                raise ValueError(f"sp given for {key!r}, which is not a penalized term of "
                                 f"{d.formula!r}; penalized terms: {terms}")
            for j, t in enumerate(terms):
                if t == key:
                    fixed[j] = value
    elif isinstance(sp, int | float | np.floating | np.integer):
        fixed = [float(sp)] * len(d.blocks)
    else:
        raise ValueError(f"sp must be None, a number or a dict by term, not {type(sp).__name__}")
    for b, v in zip(d.blocks, fixed, strict=True):
        if v is not None and not (np.isfinite(v) and v > 0):
            raise ValueError(f"sp for term {b.term!r} must be a positive number, got {v!r} "
                             "(an unpenalized smooth is s(..., fx=True))")
    return [None if v is None else float(v) for v in fixed]


# -- the fit ------------------------------------------------------------------------------------
def reml(formula_or_design: str | Design, data: pd.DataFrame | None = None,
         method: str = "REML", sp: float | dict[str, float] | None = None) -> RemlFit:
    """Fit a Gaussian additive mixed model by REML (or ML), as ``mgcv::gam(method=...)``.

    ``formula_or_design``: a formula for :func:`bayeszoo.design` (``data`` required) or a
    :class:`~bayeszoo.design.Design`. ``sp``: fix smoothing parameters, a number for every
    penalized term or a ``{term: sp}`` dict (mgcv's scale); the rest are estimated.
    """
    if isinstance(formula_or_design, Design):
        d = formula_or_design
    elif isinstance(formula_or_design, str):
        if data is None:
            raise ValueError("reml(formula, data): data is required with a formula")
        from bayeszoo.formula import design

        d = design(formula_or_design, data)
    else:
        raise TypeError("reml() takes a formula string or a Design, not "
                        f"{type(formula_or_design).__name__}")
    method = str(method).upper()
    if method not in _METHODS:
        raise ValueError(f"method must be 'REML' or 'ML', not {method!r}")

    y = _response(d)
    X = np.asarray(d.X, dtype=float)
    n, p = X.shape
    P = p + sum(b.size for b in d.blocks)
    if P > n:
        raise ValueError(f"the design of {d.formula!r} has more coefficients ({P}: {p} in X + "
                         f"{P - p} in blocks) than observations ({n})")
    for b in d.blocks:
        if b.Z.shape[0] != n:
            raise ValueError(f"block {b.term!r} has {b.Z.shape[0]} rows, the data {n}")
        if not np.all(np.isfinite(b.Z)):
            raise ValueError(f"block {b.term!r} holds missing or infinite values")
    fixed = _resolve_sp(d, sp)

    small = P <= _SMALL[0] and n * P <= _SMALL[1]
    with _single_threaded_blas() if small else contextlib.nullcontext():
        _check_identifiable(d, X)
        return _fit(d, y, X, fixed, method)


def _fit(d: Design, y: np.ndarray, X: np.ndarray, fixed: list[float | None],
         method: str) -> RemlFit:
    n = y.shape[0]
    prob = build_problem(y, X, [block_matrix(b.Z, b.index, b.weights, n) for b in d.blocks])
    engine = Engine(prob, method)
    diagG = np.diag(prob.G)
    sp0 = np.array([fixed[j] if fixed[j] is not None
                    else max(float(np.mean(diagG[prob.block_slice(j)])), 1e-8)
                    for j in range(len(d.blocks))])
    free = [j for j in range(len(d.blocks)) if fixed[j] is None]
    try:
        st, info = engine.fit(sp0, free)
    except NotPositiveDefinite as err:
        raise ValueError(f"the design of {d.formula!r} is singular: {err}") from None
    return _make_fit(d, engine, st, info, free, method)


def _make_fit(d: Design, engine: Engine, st: State, info: dict, free: list[int],
              method: str) -> RemlFit:
    prob = engine.prob
    Q, P = prob.Q, prob.P
    order = np.r_[np.arange(Q, P), np.arange(Q)]  # Design order -> internal index
    names = list(d.column_names) + [f"{b.term}.{lab}" for b in d.blocks for lab in b.labels]
    K = st.kinv()
    scale = st.Dp / engine.nr
    diag_ainv = np.sum(K**2, axis=1)
    edf_int = 1.0 - st.s * diag_ainv
    edf_coef = pd.Series(edf_int[order], index=names)

    blocks = d.blocks
    sp = {b.term: float(st.sp[j]) for j, b in enumerate(blocks)}
    sd = {b.term: math.sqrt(scale / st.sp[j]) for j, b in enumerate(blocks)}
    block_edf = [float(np.sum(edf_int[prob.block_slice(j)])) for j in range(len(blocks))]
    edf: dict[str, float] = {}
    claimed_blocks: set[int] = set()
    smooth_cols: set[int] = set()
    for sm in d.smooths:
        e = float(len(sm.fixed_columns))
        smooth_cols.update(sm.fixed_columns)
        if sm.block is not None:
            e += block_edf[sm.block]
            claimed_blocks.add(sm.block)
        edf[sm.term] = edf.get(sm.term, 0.0) + e
    for j, b in enumerate(blocks):
        if j not in claimed_blocks:
            edf[b.term] = edf.get(b.term, 0.0) + block_edf[j]
    parametric = [i for i in range(prob.p) if i not in smooth_cols]

    score = st.score
    if method == "REML":
        score += sum(b.reml_offset for b in blocks)
    hessian = engine.full_hessian(st, free)
    fitted = prob.y - st.resid
    return RemlFit(
        design=d, method=method, coef=pd.Series(st.theta[order], index=names),
        fitted=fitted, residuals=st.resid, sp=sp, sd=sd, scale=float(scale),
        reml_score=float(score), edf=edf, edf_total=float(np.sum(edf_int)), edf_coef=edf_coef,
        fixed_sp=[blocks[j].term for j in range(len(blocks)) if j not in free],
        hessian=hessian, hessian_terms=[blocks[j].term for j in free],
        converged=bool(info["converged"]), iterations=int(info["iterations"]),
        _K=K[order], _parametric=parametric)
