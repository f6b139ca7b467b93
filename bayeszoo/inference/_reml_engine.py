"""Numerical core of REML for ``y = X·beta + Σ_j Z_j·b_j + e``, ``b_j ~ N(0, scale/sp_j · I)``.

Everything after one pass over the data happens in coefficient space (``P`` = columns of ``X``
plus block sizes): the cross-products ``G = C'C`` and ``C'y`` (``C = [Z_1 … Z_m X]``) are formed
once, indicator/random-slope blocks through their sparse structure (``Z_j'Z_j`` is diagonal), and
every evaluation factors the augmented normal matrix ``A = G + S_sp`` (``S_sp`` diagonal: the
blocks' identity penalties) by a Jacobi-scaled Cholesky. Solves are triangular; the triangular
inverse ``R⁻¹`` supplies the traces the exact gradient and Hessian need.

Coefficients are ordered penalized blocks first, then ``X``: the leading Cholesky block is then
the factor of ``Z'Z + S`` that the ML criterion's determinant uses.

Criterion (Wood 2011, JRSSB 73:3–36, for the Gaussian identity-link case), with ``ρ_j = log sp_j``::

    V(ρ, φ) = Dp/(2φ) + (n - Mp)/2·log(2πφ) + ½·log|A| - ½·Σ_j q_j ρ_j          (REML)
    V(ρ, φ) = Dp/(2φ) +        n/2·log(2πφ) + ½·log|Z'Z + S| - ½·Σ_j q_j ρ_j    (ML)

``Dp = ‖y - Cθ̂‖² + θ̂'Sθ̂``, ``Mp`` = number of unpenalized coefficients. Newton runs on the
profile ``V(ρ, φ̂(ρ))`` with ``φ̂ = Dp/(n - Mp)`` (REML) or ``Dp/n`` (ML).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps
from scipy.linalg import lapack

LOG_2PI = math.log(2.0 * math.pi)


@dataclass
class Problem:
    """Cross-products of one design, in the internal order [blocks…, X]."""

    y: np.ndarray
    mats: list  # block matrices (dense ndarray or scipy CSR), then X
    sizes: list[int]  # block sizes q_j
    p: int  # columns of X
    G: np.ndarray  # C'C
    c: np.ndarray  # C'y
    starts: list[int]  # offset of block j in the coefficient vector

    @property
    def n(self) -> int:
        return self.y.shape[0]

    @property
    def Q(self) -> int:
        return int(sum(self.sizes))

    @property
    def P(self) -> int:
        return self.Q + self.p

    def block_slice(self, j: int) -> slice:
        return slice(self.starts[j], self.starts[j] + self.sizes[j])

    def matvec(self, theta: np.ndarray) -> np.ndarray:
        out = self.mats[-1] @ theta[self.Q:]
        for j, M in enumerate(self.mats[:-1]):
            out = out + M @ theta[self.block_slice(j)]
        return np.asarray(out).ravel()


def block_matrix(Z: np.ndarray, index, weights, n: int):
    """The block's model matrix: sparse CSR when it is an indicator / random-slope block."""
    q = Z.shape[1]
    if index is not None and weights is not None:
        index = np.asarray(index, dtype=np.int64)
        weights = np.asarray(weights, dtype=float)
        if index.shape == (n,) and weights.shape == (n,) and (q == 0 or index.max() < q):
            return sps.csr_matrix((weights, (np.arange(n), index)), shape=(n, q))
    return np.asarray(Z, dtype=float)


def _cross(A, B) -> np.ndarray:
    if sps.issparse(A):
        out = A.T @ B
    elif sps.issparse(B):
        out = (B.T @ A).T
    else:
        return A.T @ B
    return out.toarray() if sps.issparse(out) else np.asarray(out)


def build_problem(y: np.ndarray, X: np.ndarray, blocks: list) -> Problem:
    """``blocks``: list of model matrices (dense or sparse) of the penalized blocks."""
    mats = [*blocks, np.asarray(X, dtype=float)]
    sizes = [M.shape[1] for M in blocks]
    starts = list(np.cumsum([0, *sizes])[:-1]) if sizes else []
    offs = np.cumsum([0] + [M.shape[1] for M in mats])
    P = int(offs[-1])
    G = np.empty((P, P))
    c = np.empty(P)
    for a, Ma in enumerate(mats):
        sa = slice(offs[a], offs[a + 1])
        c[sa] = np.asarray(Ma.T @ y).ravel()
        for b in range(a, len(mats)):
            sb = slice(offs[b], offs[b + 1])
            Gab = _cross(Ma, mats[b])
            G[sa, sb] = Gab
            G[sb, sa] = Gab.T
    return Problem(y=y, mats=mats, sizes=sizes, p=mats[-1].shape[1], G=G, c=c,
                   starts=[int(s) for s in starts])


class NotPositiveDefinite(np.linalg.LinAlgError):
    pass


@dataclass
class State:
    """Everything known at one value of the smoothing parameters."""

    sp: np.ndarray  # per block
    s: np.ndarray  # penalty diagonal (P)
    d: np.ndarray  # Jacobi scaling
    R: np.ndarray  # upper Cholesky factor of D·A·D
    theta: np.ndarray
    resid: np.ndarray
    Dp: float
    logdet: float  # log|A| (REML) or log|Z'Z + S| (ML)
    score: float  # profiled criterion without the reml offsets
    K: np.ndarray | None = None  # D·R⁻¹: A⁻¹ = K·K'

    def kinv(self) -> np.ndarray:
        if self.K is None:
            Rinv, info = lapack.dtrtri(self.R, lower=0)
            if info != 0:
                raise NotPositiveDefinite("singular Cholesky factor")
            self.K = self.d[:, None] * Rinv
        return self.K


class Engine:
    def __init__(self, prob: Problem, method: str = "REML"):
        self.prob = prob
        self.ml = method == "ML"
        self.nr = prob.n if self.ml else prob.n - prob.p  # n - Mp

    # -- one evaluation -------------------------------------------------------------------
    def penalty(self, sp: np.ndarray) -> np.ndarray:
        s = np.zeros(self.prob.P)
        for j in range(len(self.prob.sizes)):
            s[self.prob.block_slice(j)] = sp[j]
        return s

    def state(self, sp: np.ndarray) -> State:
        prob = self.prob
        s = self.penalty(sp)
        A = prob.G + np.diag(s)
        dA = np.diag(A).copy()
        if np.any(dA <= 0):
            raise NotPositiveDefinite("zero column in the design")
        d = 1.0 / np.sqrt(dA)
        As = A * d[:, None] * d[None, :]
        R, info = lapack.dpotrf(As, lower=0, clean=1)
        if info != 0:
            raise NotPositiveDefinite("augmented normal matrix not positive definite")
        theta, info = lapack.dpotrs(R, d * prob.c, lower=0)
        theta = d * theta
        resid = prob.y - prob.matvec(theta)
        Dp = float(resid @ resid + theta @ (s * theta))
        m = prob.Q if self.ml else prob.P
        logdet = 2.0 * float(np.sum(np.log(np.diag(R)[:m])) - np.sum(np.log(d[:m])))
        nr = self.nr
        phi = Dp / nr
        pen = sum(q * math.log(l) for q, l in zip(prob.sizes, sp, strict=True))
        score = 0.5 * nr * (math.log(phi) + LOG_2PI + 1.0) + 0.5 * logdet - 0.5 * pen
        return State(sp=np.asarray(sp, float), s=s, d=d, R=R, theta=theta, resid=resid, Dp=Dp,
                     logdet=logdet, score=score)

    def derivatives(self, st: State, free: list[int]):
        """Exact first and second derivatives w.r.t. ``log sp`` of the free blocks.

        Returns ``dD, d2D, dL, d2L`` of ``Dp`` and of the log-determinant term.
        """
        prob = self.prob
        K = st.kinv()
        Kh = K[:prob.Q, :prob.Q] if self.ml else K
        m = len(free)
        dD = np.empty(m)
        dL = np.empty(m)
        U = np.empty((m, prob.P))
        for a, j in enumerate(free):
            sl = prob.block_slice(j)
            lam = st.sp[j]
            th = st.theta[sl]
            dD[a] = lam * float(th @ th)
            U[a] = lam * (K[sl].T @ th)
            dL[a] = lam * float(np.sum(Kh[sl] ** 2))
        d2D = np.diag(dD) - 2.0 * (U @ U.T)
        d2L = np.diag(dL)
        if m == 1:
            sl = prob.block_slice(free[0])
            Kj = Kh[sl]
            small = Kj.T @ Kj if Kj.shape[0] > Kj.shape[1] else Kj @ Kj.T
            d2L = d2L - st.sp[free[0]] ** 2 * np.sum(small**2)
        elif m > 1:
            rows = np.concatenate([np.arange(prob.block_slice(j).start,
                                             prob.block_slice(j).stop) for j in free])
            B = Kh[rows] @ Kh[rows].T
            offs = np.cumsum([0] + [prob.sizes[j] for j in free])
            for a in range(m):
                for b in range(a, m):
                    v = np.sum(B[offs[a]:offs[a + 1], offs[b]:offs[b + 1]] ** 2)
                    v *= st.sp[free[a]] * st.sp[free[b]]
                    d2L[a, b] -= v
                    if b != a:
                        d2L[b, a] -= v
        return dD, d2D, dL, d2L

    def profile_grad_hess(self, st: State, free: list[int]):
        dD, d2D, dL, d2L = self.derivatives(st, free)
        q = np.array([self.prob.sizes[j] for j in free], float)
        nr, Dp = self.nr, st.Dp
        g = nr / (2.0 * Dp) * dD + 0.5 * dL - 0.5 * q
        H = 0.5 * nr * (d2D / Dp - np.outer(dD, dD) / Dp**2) + 0.5 * d2L
        return g, H

    def full_hessian(self, st: State, free: list[int]) -> np.ndarray:
        """Hessian of ``V(ρ, log φ)`` (not profiled) at ``φ̂``, as mgcv's ``outer.info$hess``."""
        dD, d2D, dL, d2L = self.derivatives(st, free)
        phi = st.Dp / self.nr
        m = len(free)
        H = np.empty((m + 1, m + 1))
        H[:m, :m] = d2D / (2.0 * phi) + 0.5 * d2L
        H[:m, m] = H[m, :m] = -dD / (2.0 * phi)
        H[m, m] = st.Dp / (2.0 * phi)
        return H

    # -- optimization -----------------------------------------------------------------------
    def try_state(self, sp: np.ndarray) -> State | None:
        try:
            st = self.state(sp)
        except NotPositiveDefinite:
            return None
        return st if np.isfinite(st.score) else None

    def fit(self, sp0: np.ndarray, free: list[int], max_iter: int = 200):
        """Newton on ``log sp`` of the free blocks (profiled scale). Returns (state, info)."""
        sp = np.array(sp0, float)
        if not free:
            return self.state(sp), {"iterations": 0, "converged": True, "gradient": np.zeros(0)}
        rho = np.log(sp[free])
        lo, hi = rho - 25.0, rho + 25.0
        st = self.try_state(sp)
        if st is None:
            raise NotPositiveDefinite("singular at the initial smoothing parameters")
        converged = False
        iterations = 0
        g = np.zeros(len(free))
        for iterations in range(1, max_iter + 1):  # noqa: B007 (reported after the loop)
            g, H = self.profile_grad_hess(st, free)
            # projected Newton: a parameter at a bound that wants to leave the box is frozen,
            # and so is one on a flat tail (sp -> infinity or 0: gradient and curvature both
            # vanish); what it could still gain is below |gradient|, far below the tolerance
            scale = 1.0 + abs(st.score)
            dH = np.abs(np.diag(H))
            flat = (np.abs(g) < 1e-9 * scale) & (dH < 1e-3 * max(dH.max(), 1e-300))
            active = ~(((rho >= hi) & (g < 0)) | ((rho <= lo) & (g > 0)) | flat)
            ga = np.where(active, g, 0.0)
            if not active.any() or np.max(np.abs(ga)) < 1e-11 * scale:
                converged = True
                break
            Ha = H[np.ix_(active, active)]
            ev, vec = np.linalg.eigh(Ha)
            ev = np.abs(ev)
            ev = np.maximum(ev, max(ev.max(), 1e-300) * 1e-10)
            step = np.zeros_like(rho)
            step[active] = -vec @ ((vec.T @ g[active]) / ev)
            big = np.max(np.abs(step))
            if big > 5.0:
                step *= 5.0 / big
            accepted = False
            for _ in range(40):
                rho_new = np.clip(rho + step, lo, hi)
                sp_new = sp.copy()
                sp_new[free] = np.exp(rho_new)
                st_new = self.try_state(sp_new)
                if st_new is not None and st_new.score <= st.score + 1e-12 * (1 + abs(st.score)):
                    accepted = True
                    break
                step *= 0.5
            if not accepted:
                # no further decrease possible in floating point: accept a small gradient
                converged = np.max(np.abs(ga)) < 1e-5 * (1.0 + abs(st.score))
                break
            moved = np.max(np.abs(rho_new - rho))
            rho, sp, st = rho_new, sp_new, st_new
            if moved < 1e-9:
                g, _ = self.profile_grad_hess(st, free)
                converged = True
                break
        if not converged:
            warnings.warn(f"REML Newton iteration did not converge in {iterations} iterations "
                          f"(max |gradient| {np.max(np.abs(g)):.3g})", RuntimeWarning, stacklevel=3)
        return st, {"iterations": iterations, "converged": converged, "gradient": g}
