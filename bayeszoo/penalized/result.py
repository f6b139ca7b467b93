""":class:`RemlFit`: a model fitted by REML or ML, as the user sees it (mgcv's ``gam`` object)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from bayeszoo.design import Design, design_arrays, linear_predictor
from bayeszoo.families import Family

from .ar1 import AR1
from .engine import EngineResult
from .partitions import is_dask

if TYPE_CHECKING:
    from .summary import RemlSummary

__all__ = ["PREDICT_CELLS", "RemlFit"]

#: Cells of the model matrix ``predict`` evaluates at once (rows × coefficients; 128 MB)
PREDICT_CELLS = 2**24


@dataclass(eq=False, repr=False)
class RemlFit:
    """A fitted REML/ML model. Every array is in the Design's coefficient order:
    ``design.column_names`` (the columns of ``X``) then each block's columns.

    Returned by :func:`bayeszoo.reml`, which constructs it; its fields, as parameters:

    Parameters
    ----------
    design : Design
        The :class:`~bayeszoo.design.Design` that was fitted.
    method : str
        ``"REML"`` or ``"ML"``.
    family : Family
        The :class:`~bayeszoo.families.Family` (gaussian unless given).
    coef : pandas.Series
        Coefficients, indexed by ``column_names`` then ``"<term>.<label>"`` (``"s(times).1"``,
        ``"(1 | county).AITKIN"``).
    fitted : numpy.ndarray
        The fitted mean ``mu`` (length ``n``); mgcv's ``fitted.values`` for its extended
        families: the linear predictor (``ocat``, ``ziP``), the ``n × K`` linear predictors
        (``multinom``), each row's survival probability at its time (``cox.ph``).
    linear_predictors : numpy.ndarray
        The linear predictor (offset included).
    residuals : numpy.ndarray
        ``y - fitted`` on mgcv's response scale (binomial: proportions).
    sp : dict of str to float
        ``{term: sp}`` for every penalized block (mgcv's smoothing parameter).
    sd : dict of str to float
        ``{term: sqrt(reml_scale / sp)}``, the standard deviation of the block's coefficients.
    scale : float
        mgcv's ``sig2``/``scale``: for an estimated scale the Pearson statistic over
        ``n - edf_total`` with Fletcher's correction (``gam.control(scale.est = "fletcher")``;
        for a Gaussian identity-link model ``Σ r² / (n - edf)``); 1 for a known scale.
    reml_scale : float
        The scale at the optimum of the criterion (mgcv's ``reml.scale``; at an interior REML
        optimum equal to ``scale`` for Gaussian models; ML: ``Dp / n``).
    scale_estimated : bool
        Whether the family's scale is estimated.
    reml_score : float
        mgcv's ``gcv.ubre``: minus the (Laplace-approximate) restricted log likelihood
        (``"ML"``: minus the log likelihood), constants included.
    criterion : float
        lme4's: ``-2`` times the restricted log likelihood (REML) or the deviance (ML) of the
        mixed-model form (no smooth offsets).
    edf : dict of str to float
        ``{term: edf}`` for every smooth and random-effect term (a smooth's unpenalized
        columns count into its edf, as mgcv's).
    edf_total : float
        The sum of ``edf`` plus 1 per parametric column.
    edf_coef : pandas.Series
        Per-coefficient diagonal of mgcv's influence matrix ``F`` (in the Design's basis; only
        per-term sums are basis-free and equal mgcv's).
    theta : float, numpy.ndarray or None
        The negative binomial ``theta`` (brms's ``shape``); for ``ocat`` the cut points
        (mgcv's ``getTheta(TRUE)``, the first -1); for ``ziP`` mgcv's ``getTheta(TRUE)``,
        ``(theta_1, exp(theta_2))``; else ``None``.
    deviance, null_deviance : float
        mgcv's.
    fixed_sp : list of str
        Terms whose sp was given rather than estimated.
    hessian : numpy.ndarray
        Hessian of the criterion w.r.t. the estimated outer parameters (mgcv's
        ``outer.info$hess``): log sp of each term in ``hessian_terms``, then the family's
        (``hessian_labels`` names every row: ``"log_theta"``, ``"log_scale"``).
    hessian_terms, hessian_labels : list of str
        As above.
    converged : bool
        The outer Newton iteration's outcome.
    iterations : int
        Its number of iterations.
    engine : EngineResult
        The inner fit at the optimum.
    likelihood : object
        The family's REML likelihood.
    fitted_dpars : dict of str to numpy.ndarray
        For a distributional model (mgcv's ``gaulss``), each distributional parameter's
        fitted values (``sigma``: the fitted standard deviation).
    parametric : list of int
        Positions in ``coef`` of the parametric (non-smooth) columns.
    penalty_scales : dict of str to float
        mgcv's ``S.scale`` per smoothing parameter (``vcomp(rescale=True)``).
    rho : float or None
        The AR(1) correlation of the residuals (``bam``'s ``AR1.rho``; ``reml(rho=...)``),
        ``None`` for independent residuals. With AR(1) residuals ``reml_score`` includes the
        whitening's log-determinant and ``std_rsd`` holds the whitened residuals.
    ar_start : numpy.ndarray or None
        mgcv's ``AR.start`` (True where a series starts).
    rho_profile : pandas.DataFrame or None
        For an estimated ``rho`` the REML (ML) score at each ``rho`` tried (columns ``rho``,
        ``reml``).

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fit = bz.reml("accel ~ s(times, bs='cr', k=20)", bz.datasets.load_mcycle())
    >>> round(fit.edf_total, 2), fit.method
    (12.78, 'REML')
    """

    design: Design
    method: str
    family: Family
    coef: pd.Series
    fitted: np.ndarray
    linear_predictors: np.ndarray
    residuals: np.ndarray
    sp: dict[str, float]
    sd: dict[str, float]
    scale: float
    reml_scale: float
    scale_estimated: bool
    reml_score: float
    criterion: float
    edf: dict[str, float]
    edf_total: float
    edf_coef: pd.Series
    theta: float | np.ndarray | None
    deviance: float
    null_deviance: float
    fixed_sp: list[str]
    hessian: np.ndarray
    hessian_terms: list[str]
    hessian_labels: list[str]
    converged: bool
    iterations: int
    engine: EngineResult = field(repr=False)
    likelihood: object = field(repr=False)
    fitted_dpars: dict[str, np.ndarray]
    parametric: list[int]
    penalty_scales: dict[str, float]
    _cov: np.ndarray = field(repr=False)  # Vp / scale in Design order
    rho: float | None = None
    ar_start: np.ndarray | None = field(default=None, repr=False)
    rho_profile: pd.DataFrame | None = field(default=None, repr=False)
    n_rows: int | None = None  # rows fitted when design holds fewer (bam's state rows)

    # -- derived quantities -------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.design.n if self.n_rows is None else self.n_rows

    @property
    def std_rsd(self) -> np.ndarray:
        """mgcv's ``std.rsd`` (``AR.resid``): the residuals whitened by the AR(1) transform,
        ``ld·(r_i - rho·r_{i-1})`` within a series and ``r_i`` at its start (``ld = 1/sqrt(1 -
        rho²)``), independent with variance ``scale`` under the model; the residuals
        themselves without AR(1) residuals."""
        if not self.rho or self.ar_start is None:
            return self.residuals
        return AR1(self.rho, self.ar_start).whiten(self.residuals)

    @property
    def loglik(self) -> float:
        """``-reml_score``: the (restricted, for REML) log likelihood."""
        return -self.reml_score

    @property
    def Vp(self) -> np.ndarray:
        """Bayesian posterior covariance of the coefficients (mgcv's ``Vp``)."""
        return self.scale * self._cov

    @property
    def se(self) -> pd.Series:
        """Posterior standard deviations of the coefficients (``sqrt(diag(Vp))``)."""
        return pd.Series(np.sqrt(self.scale * self._cov.diagonal()), index=self.coef.index)

    @property
    def convergence_message(self) -> str | None:
        """``None`` when the outer Newton iteration converged, else one line saying it did not
        and what to try (where mgcv's ``gam.check`` reports that the optimizer did not
        converge and lme4 warns "Model failed to converge with max|grad|")."""
        if self.converged:
            return None
        g = self.engine.gradient
        grad = float(np.max(np.abs(g))) if np.size(g) else 0.0
        other = "REML" if self.method == "ML" else "ML"
        return (f"the {self.method} smoothing-parameter iteration did not converge in "
                f"{self.iterations} iterations (max |gradient| {grad:.3g}): sp, edf and the "
                "coefficients may be off the optimum; simplify the smooths or random effects "
                f"(fewer basis functions, a variance near zero) or try method='{other}'")

    @property
    def deviance_explained(self) -> float:
        """``(null.deviance - deviance) / null.deviance`` as ``summary.gam``."""
        return (self.null_deviance - self.deviance) / self.null_deviance

    def vcomp(self, rescale: bool = True, conf_level: float = 0.95) -> pd.DataFrame:
        """Standard deviations of the variance components with intervals, as ``gam.vcomp``.

        Rows: each penalized term (``std.dev = sqrt(reml_scale/sp)``), then ``"scale"`` (the
        residual standard deviation) when the scale is estimated. Intervals are Wald intervals
        for the log standard deviations from the inverse Hessian of the criterion in (log sp,
        log scale), family parameters such as theta left out, as mgcv computes them; terms with
        a fixed ``sp`` get none. ``rescale`` undoes mgcv's ``S.scale`` penalty scaling for
        smooths whose basis exposes ``S_scale`` (as ``gam.vcomp(rescale=TRUE)``).
        """
        if not 0 < conf_level < 1:
            conf_level = 0.95
        crit = stats.norm.ppf(1 - (1 - conf_level) / 2)
        rows_h = [i for i, lab in enumerate(self.hessian_labels)
                  if lab in self.hessian_terms or lab == "log_scale"]
        H = self.hessian[np.ix_(rows_h, rows_h)]
        names = [self.hessian_labels[i] for i in rows_h]
        if H.size:
            ev, vec = np.linalg.eigh(H)
            iv = np.where(ev > 0, 1.0 / np.where(ev > 0, ev, 1.0), 0.0)
            J = np.diag(np.full(len(names), -0.5))
            if "log_scale" in names:
                J[:, names.index("log_scale")] = 0.5
            V = J @ ((vec * iv) @ vec.T) @ J.T
            sd_lsd = dict(zip(names, np.sqrt(np.maximum(np.diag(V), 0)), strict=True))
        else:
            sd_lsd = {}
        scales = self.penalty_scales if rescale else {}
        rows, idx = [], []
        for term, sp in self.sp.items():
            sd = math.sqrt(self.reml_scale * scales.get(term, 1.0) / sp)
            rows.append(_interval(sd, sd_lsd.get(term, math.nan), crit))
            idx.append(term)
        if self.scale_estimated:
            rows.append(_interval(math.sqrt(self.reml_scale), sd_lsd.get("log_scale", math.nan),
                                  crit))
            idx.append("scale")
        return pd.DataFrame(rows, index=idx, columns=["std.dev", "lower", "upper"])

    def mgcv_coef(self) -> pd.Series:
        """The coefficients as mgcv's ``coef()`` reports them: per linear predictor its
        parametric columns, then each smooth in mgcv's basis and order (``s(times).1`` ...;
        ``smooth2random``'s reparameterization undone through the term's coefficient map, and
        for ``t2`` the intercept shift of mgcv's prediction constraint), then the other random
        effects as they are. A column left out of the design as aliased
        (:mod:`bayeszoo.formula.aliasing`) is reported as 0, as mgcv zeroes it."""
        M, names = self.mgcv_coef_map()
        return pd.Series(M @ self.coef.to_numpy(), index=names)

    def mgcv_coef_map(self) -> tuple[np.ndarray, list[str]]:
        """``(M, names)``: the linear map from ``coef`` to :meth:`mgcv_coef` (``M @ coef``,
        named ``names``); mgcv's ``Vp`` is ``M @ Vp @ M.T``."""
        P = len(self.coef)
        E = np.eye(P)
        rows: list[np.ndarray] = []
        names: list[str] = []
        pos = 0
        for k, dk in enumerate(self.design.predictors):
            size = dk.X.shape[1] + sum(b.size for b in dk.blocks)
            b = E[pos:pos + size]  # b[c]: the row picking coefficient c
            labels = list(self.coef.index[pos:pos + size])
            pos += size
            starts = np.cumsum([dk.X.shape[1]] + [blk.size for blk in dk.blocks])
            smooth_cols = {c for sm in dk.smooths for c in sm.fixed_columns}
            par = [c for c in range(dk.X.shape[1]) if c not in smooth_cols]
            vals, nms = [b[c] for c in par], [labels[c] for c in par]
            if dk.aliased:  # mgcv zeroes them: every parametric column, in formula order
                given = dict(zip(nms, vals, strict=True))
                nms = [c if k == 0 else f"{c}.{k}" for c in dk.states["fixed"]["names"]]
                vals = [given.get(c, np.zeros(P)) for c in nms]
            claimed: set[int] = set()
            for sm in dk.smooths:
                blocks = [b[starts[j]:starts[j + 1]] for j in sm.blocks]
                claimed.update(sm.blocks)
                theta = np.concatenate([b[sm.fixed_columns], *blocks])
                if sm.mgcv_coef_map is None:
                    vals += list(theta)
                    nms += [labels[starts[j] + i] for j in sm.blocks
                            for i in range(dk.blocks[j].size)]
                    continue
                vals += list(sm.mgcv_coef_map @ theta)
                nms += [n if k == 0 else n.replace("(", f".{k}(", 1) for n in sm.coef_names]
                if par and labels[0].startswith("Intercept"):
                    vals[0] = vals[0] + sm.mgcv_intercept_shift @ theta
            for j in range(len(dk.blocks)):
                if j not in claimed:
                    vals += list(b[starts[j]:starts[j + 1]])
                    nms += labels[starts[j]:starts[j + 1]]
            rows += vals
            names += nms
        return np.array(rows).reshape(-1, P), names

    def mu_coefficients(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """The coefficients of the mean's linear predictor: ``(beta, [r_1, ...])`` in the
        Design's order (block coefficients shaped as the design's structures have them)."""
        return self.predictor_coefficients(0)

    def predictor_coefficients(self, k: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """As :meth:`mu_coefficients` for linear predictor ``k`` (0 the mean's)."""
        b = self.coef.to_numpy()
        pos = sum(dk.X.shape[1] + sum(blk.size for blk in dk.blocks)
                  for dk in self.design.predictors[:k])
        d = self.design.predictors[k]
        p = d.X.shape[1]
        beta, coefs, pos = b[pos:pos + p], [], pos + p
        for blk in d.blocks:
            coefs.append(b[pos:pos + blk.size].reshape(blk.structure.z_shape(blk)))
            pos += blk.size
        return beta, coefs

    def predict(self, newdata: pd.DataFrame | Design | None = None, se: bool = False,
                type: str = "link", allow_new_levels: bool = False):
        """Predictions of the mean's linear predictor (``type="link"``) or of the mean
        (``"response"``; binomial models: the probability; ``ocat``: the ``n × K`` category
        probabilities; ``ziP``: the expected count; ``multinom``: the ``n × K`` linear
        predictors or the ``n × (K + 1)`` category probabilities) at ``newdata`` (``None``:
        the fitted data), as ``predict.gam``.

        ``newdata`` is a DataFrame, evaluated from the fit's term states
        (``Design.for_newdata``: smooths keep their knots and constraints, ``offset()`` terms
        are evaluated on the new rows) :data:`PREDICT_CELLS` cells of the model matrix at a
        time, or a Design with the same columns, or a ``dask.dataframe``, whose partitions are
        predicted lazily (``map_partitions``: a Dask Series; a frame of ``fit`` and
        ``se_fit`` with ``se=True``, of one column per category for ``n × K`` predictions):
        the fitted values of a :func:`bayeszoo.bam` fit at the data's own covariates, as
        mgcv's ``predict(b, data, discrete = FALSE)``, where ``fitted`` holds them at the
        rounded ones. With ``se=True`` returns ``(fit, se_fit)``: standard errors from ``Vp``,
        on the response scale by the delta method (``|dmu/deta|`` times the link scale's), as
        ``predict.gam(se.fit=TRUE)``.
        """
        if type not in ("link", "response"):
            raise ValueError(f"type must be 'link' or 'response', not {type!r}")
        if newdata is None or isinstance(newdata, Design):
            return self._predict_design(self.design if newdata is None else newdata, se, type)
        if is_dask(newdata):
            return self._predict_partitions(newdata, se, type, allow_new_levels)
        rows = max(1, PREDICT_CELLS // max(1, self.coef.size))
        parts = [self._predict_design(self.design.for_newdata(
            newdata.iloc[i:i + rows], allow_new_levels=allow_new_levels), se, type)
            for i in range(0, max(len(newdata), 1), rows)]
        if len(parts) == 1:
            return parts[0]
        if se:
            return tuple(np.concatenate([p[k] for p in parts]) for k in range(2))
        return np.concatenate(parts)

    def _predict_partitions(self, newdata, se: bool, type: str, allow_new_levels: bool):
        def part(frame: pd.DataFrame) -> pd.Series | pd.DataFrame:
            out = self.predict(frame, se=se, type=type, allow_new_levels=allow_new_levels)
            if se:
                return pd.DataFrame({"fit": out[0], "se_fit": out[1]}, index=frame.index)
            if np.ndim(out) == 2:
                return pd.DataFrame(out, index=frame.index)
            return pd.Series(out, index=frame.index, name="fit")

        meta = part(newdata.head(1, npartitions=-1)).iloc[:0]
        return newdata.map_partitions(part, meta=meta)

    def _predict_design(self, d: Design, se: bool, type: str):
        if getattr(self.likelihood, "fitted_all_predictors", False):  # multinom: n × K
            if se:
                raise ValueError("predict(se=True) gives standard errors of one linear "
                                 "predictor; this model has several")
            eta = np.column_stack([
                linear_predictor(design_arrays(dk), *self.predictor_coefficients(k))
                for k, dk in enumerate(d.predictors)])
            return eta if type == "link" else self.likelihood.predict_response(eta, None)[0]
        beta, coefs = self.mu_coefficients()
        eta = linear_predictor(design_arrays(d), beta, coefs)
        se_eta = None
        if se:
            C = np.column_stack([np.asarray(d.X, float)] + [b.Z for b in d.blocks])
            k = C.shape[1]
            se_eta = np.sqrt(self.scale * np.einsum("ij,jk,ik->i", C, self._cov[:k, :k], C))
        if type == "link":
            return (eta, se_eta) if se else eta
        response = getattr(self.likelihood, "predict_response", None)  # e.g. ocat's probabilities
        if response is not None:
            mu, dmu = response(eta, self.engine.params)
            return (mu, dmu * se_eta.reshape(-1, *[1] * (np.ndim(dmu) - 1))) if se else mu
        mu, dmu, _, _ = self.family.link.derivatives(eta)
        return (mu, np.abs(dmu) * se_eta) if se else mu

    def varcorr(self) -> pd.DataFrame:
        """lme4's ``as.data.frame(VarCorr(fit))`` of the random-effect blocks (see
        :func:`bayeszoo.penalized.lme4.varcorr`)."""
        from .lme4 import varcorr

        return varcorr(self.engine)

    def ranef(self) -> dict[str, pd.DataFrame]:
        """lme4's ``ranef(fit)``: conditional modes per grouping factor."""
        from .lme4 import ranef

        return ranef(self.engine)

    def summary(self) -> RemlSummary:
        """``summary.gam``: the printed summary (a ``str``) holding mgcv's ``p_table``,
        ``s_table`` (Wood 2013's p-values of smooth terms), ``r_sq``, ``dev_expl`` and lme4's
        ``random_effects`` block (see :mod:`.summary`)."""
        from .summary import summary_text

        return summary_text(self)

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        """Notebooks and IPython show the summary table (``repr`` stays one line)."""
        printer.text(str(self) if not cycle else repr(self))

    def __repr__(self) -> str:
        sp = ", ".join(f"{k}: {v:.6g}" for k, v in self.sp.items())
        fam = f"family={self.family!r}, "
        theta = "" if self.theta is None else (
            f", theta={self.theta:.6g}" if np.ndim(self.theta) == 0 else
            f", theta=[{', '.join(f'{t:.6g}' for t in self.theta)}]")
        theta += "" if self.rho is None else f", rho={self.rho:.6g}"
        return (f"RemlFit({self.design.formula!r}, {fam}method={self.method!r}, "
                f"{self.method.lower()}_score={self.reml_score:.8g}, scale={self.scale:.6g}, "
                f"edf_total={self.edf_total:.6g}, sp={{{sp}}}{theta})")


def _interval(sd: float, sd_log: float, crit: float) -> list[float]:
    with np.errstate(over="ignore"):
        return [sd, float(sd * np.exp(-crit * sd_log)), float(sd * np.exp(crit * sd_log))]
