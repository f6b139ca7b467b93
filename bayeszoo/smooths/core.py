"""mgcv's generic smooth machinery: ``S.scale``, ``absorb.cons``, ``diagonal.penalty`` and
``smooth2random(type = 2)``, applied to any raw basis of :mod:`bayeszoo.smooths`.

Each step follows mgcv 1.9's R sources (``smoothCon`` and ``nat.param`` in ``R/smooth.r``,
``smooth2random.mgcv.smooth`` in ``R/gamm.r``), re-implemented here:

1. ``S.scale`` (``smoothCon``, ``scale.penalty = TRUE``): ``maXX = ||X||_inf²`` (largest absolute
   row sum, squared), ``S.scale = ||S||_1 / maXX`` (largest absolute column sum) and the penalty
   used from then on is ``S / S.scale``. Computed on the raw, unconstrained basis, before the
   constraint is absorbed, as mgcv does. For ``s(g, bs = "re")`` it is exactly 1 (indicator
   rows and the identity penalty both have norm 1), so :func:`setup_smooth` skips it there.
2. ``absorb.cons``: the sum-to-zero constraint ``C = colMeans(X)`` is absorbed with the
   Householder reflection ``H`` of R's ``qr(t(C))`` (LINPACK ``dqrdc2``): ``X_c = X H[, -1]``,
   ``S_c = H[-1, ] S H[, -1]``.
3. ``diagonal.penalty`` (``nat.param(type = 2, unit.fnorm = FALSE)``): eigen-decompose ``S_c``;
   penalized directions are scaled to an identity penalty, null-space directions are scaled so
   that their columns have the average squared norm of the penalized ones.
4. ``smooth2random(type = 2)``: re-runs R's ``eigen()`` on the (now exactly diagonal) penalty.
   LAPACK returns the eigenvectors of a diagonal matrix in the order a selection sort of the
   diagonal leaves them, and R reverses it; :func:`mgcv_diagonal_eigen_order` reproduces that
   order so the penalized columns ``Zr`` come out in exactly mgcv's (and brms's ``Zs``) order.

Checked against mgcv 1.8-41 output (``shared/fixtures/mgcv_reference.json``, ``cr``, k = 20 on
``mcycle$times``; ``tests/test_smooths.py``): raw ``X`` (to 4e-15) and scaled ``S``, ``S.scale``
(2.58518965761), constrained ``X`` and ``S`` (5e-15), the ``diagonal.penalty`` ``X`` and ``Xf``,
``Zr`` (4e-11; ``Zr`` is brms's ``Zs_1_1``, ``Xf`` brms's ``Xs``, same column order) agree up to
the sign of each column: eigenvector signs are LAPACK's choice, not reproducible from here, so
:func:`_fix_signs` fixes them deterministically instead. Signs change neither fits nor ``sp``.

``reml_offset`` (see :class:`Smooth`) was checked through the REML score: the restricted
log-likelihood of the mixed-model form at mgcv's ``scale`` and ``sp`` plus the offset gives
mgcv's ``gam(..., method = "REML")`` score, 616.009380483 for ``s(times, bs = "cr", k = 20)``
(offset -3.51789), 1092.42906052 for ``s(county, bs = "re")`` (offset 0) and 403.461584294 for
``s(times, bs = "cr", k = 50, fx = TRUE)`` (``tests/test_formula.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EPS = np.finfo(float).eps


def s_scale(X: np.ndarray, S: np.ndarray) -> float:
    """mgcv's ``S.scale``: ``||S||_1 / ||X||_inf²``; the penalty in use is ``S / S.scale``."""
    maXX = np.max(np.sum(np.abs(X), axis=1)) ** 2
    return float(np.max(np.sum(np.abs(S), axis=0)) / maXX)


def constraint_null_space(C: np.ndarray) -> np.ndarray:
    """``Z`` (``k × k-1``) with ``C Z = 0``, as R's ``qr.qy(qr(t(C)), ...)[, -1]`` for one row.

    LINPACK's Householder reflection: ``u = C / (sign(C_1) ||C||)``, ``v = u + e_1``,
    ``H = I - v v' / v_1``; ``Z`` is ``H`` without its first column.
    """
    c = np.asarray(C, dtype=float).ravel()
    k = c.size
    nrm = np.linalg.norm(c)
    if nrm == 0:
        raise ValueError("the identifiability constraint is zero: the basis has no columns")
    sgn = 1.0 if c[0] >= 0 else -1.0
    v = c / (sgn * nrm)
    v[0] += 1.0
    H = np.eye(k) - np.outer(v, v) / v[0]
    return H[:, 1:]


def _fix_signs(M: np.ndarray) -> np.ndarray:
    """Flip each column so that its entry of largest magnitude is positive (deterministic
    eigenvector signs; mgcv's are whatever LAPACK returns, tests compare up to sign)."""
    idx = np.argmax(np.abs(M) > np.max(np.abs(M), axis=0) * (1 - 1e-8), axis=0)
    s = np.sign(M[idx, np.arange(M.shape[1])])
    s[s == 0] = 1.0
    return M * s


def mgcv_diagonal_eigen_order(d: np.ndarray) -> np.ndarray:
    """The column order in which R's ``eigen(diag(d), symmetric = TRUE)`` returns unit vectors.

    LAPACK (``dsyevr``/``dstemr``) leaves the eigenvalues of a diagonal matrix in place and then
    sorts them ascending by selection sort with swaps (strict ``<``); R reverses to descending.
    """
    d = np.asarray(d, dtype=float)
    order = list(range(d.size))
    w = list(d)
    for j in range(len(w) - 1):
        i = -1
        tmp = w[j]
        for jj in range(j + 1, len(w)):
            if w[jj] < tmp:
                i = jj
                tmp = w[jj]
        if i >= 0:
            w[i], w[j] = w[j], w[i]
            order[i], order[j] = order[j], order[i]
    return np.array(order[::-1], dtype=int)


def nat_param_type2(X: np.ndarray, S: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """mgcv's ``nat.param(X, S, rank, type = 2, unit.fnorm = FALSE)``: returns ``(P, E)``.

    ``X P`` is the reparameterized model matrix, ``P' S P = diag(1, ..., 1, 0, ..., 0)``
    (``rank`` ones); ``P = V / E`` with ``V`` the eigenvectors of ``S`` (descending eigenvalues)
    and ``E`` the column scalings (``sqrt(eigenvalue)`` for penalized columns, and for null-space
    columns the factor giving them the mean squared column norm of the penalized ones).
    """
    vals, vecs = np.linalg.eigh(S)
    vals = vals[::-1]
    vecs = _fix_signs(vecs[:, ::-1])
    p = S.shape[0]
    E = np.ones(p)
    E[:rank] = np.sqrt(vals[:rank])
    XV = X @ vecs
    col_norm = np.sum(XV**2, axis=0) / E**2
    av_norm = np.mean(col_norm[:rank])
    if rank < p:
        E[rank:] = np.sqrt(col_norm[rank:] / av_norm)
    return vecs / E, E


@dataclass
class Smooth:
    """A smooth term set up as mgcv's ``smoothCon(absorb.cons = TRUE, diagonal.penalty = TRUE)``
    followed by ``smooth2random(type = 2)``, with the state to evaluate it on new data.

    Attributes (``n`` rows of the data it was built on, ``k`` basis dimension):

    * ``raw``: the raw basis object (``CRBasis``, ``PSBasis``, ``TPBasis``, ``REBasis``) with
      ``predict(x)`` (unconstrained columns), ``S`` (unconstrained penalty), ``rank``,
      ``null_space_dim``.
    * ``X``, ``S``: unconstrained model matrix and *unscaled* penalty (mgcv's ``S`` before
      ``S.scale``); ``S_scale`` mgcv's ``S.scale``.
    * ``Z``: the constraint null space (``None`` for ``re``); ``Xc``, ``Sc``: constrained model
      matrix and scaled constrained penalty (mgcv's ``sm$X``, ``sm$S[[1]]`` with ``absorb.cons``).
    * ``P``: ``diagonal.penalty`` reparameterization (``Xd = Xc P``, penalty ``diag(1.., 0..)``);
      ``rank``: penalty rank after the constraint.
    * ``random_cols``, ``fixed_cols``: column indices of ``Xd`` forming ``Zr`` and ``Xf`` in
      mgcv's ``smooth2random`` order.
    * ``Xf``, ``Zr``: unpenalized and penalized (identity-penalty) model matrices.
    * ``reml_offset``: ``-log|det C_f|`` where ``Xf = Xc U_f C_f`` with ``U_f`` an orthonormal
      basis of the null space of ``Sc``. mgcv's REML score for this smooth equals the REML
      criterion of the mixed model (``Xf`` in the fixed effects, ``Zr`` an iid block) plus this
      constant. 0 for ``re`` and ``fx`` terms.
    """

    term: str
    variable: str
    bs: str
    k: int
    fx: bool
    raw: object
    X: np.ndarray
    S: np.ndarray
    S_scale: float
    Z: np.ndarray | None
    Xc: np.ndarray
    Sc: np.ndarray
    rank: int
    P: np.ndarray
    random_cols: np.ndarray
    fixed_cols: np.ndarray
    Xf: np.ndarray
    Zr: np.ndarray
    reml_offset: float
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"Smooth(term={self.term!r}, bs={self.bs!r}, k={self.k}, fx={self.fx}, "
                f"n={self.X.shape[0]}, fixed={self.Xf.shape[1]}, random={self.Zr.shape[1]}, "
                f"S_scale={self.S_scale:.6g}, reml_offset={self.reml_offset:.6g})")

    # evaluation on new covariate values -------------------------------------------------
    def raw_matrix(self, x) -> np.ndarray:
        """Unconstrained basis at ``x`` (mgcv's ``Predict.matrix`` of the raw smooth)."""
        return self.raw.predict(x)

    def constrained_matrix(self, x) -> np.ndarray:
        """Constrained basis at ``x`` (mgcv's ``PredictMat`` with ``absorb.cons = TRUE``)."""
        Xr = self.raw_matrix(x)
        return Xr if self.Z is None else Xr @ self.Z

    def diagonal_matrix(self, x) -> np.ndarray:
        """The ``diagonal.penalty`` basis at ``x``."""
        return self.constrained_matrix(x) @ self.P

    def split(self, x) -> tuple[np.ndarray, np.ndarray]:
        """``(Xf, Zr)`` at ``x``: the ``smooth2random`` fixed and random model matrices."""
        Xd = self.diagonal_matrix(x)
        return Xd[:, self.fixed_cols], Xd[:, self.random_cols]

    @property
    def null_space_dim(self) -> int:
        return int(self.Xc.shape[1] - self.rank)


def setup_smooth(raw, x, *, term: str, variable: str, bs: str, fx: bool = False,
                 constrain: bool = True, scale_penalty: bool = True,
                 reorder_random: bool = True) -> Smooth:
    """Run mgcv's ``smoothCon`` + ``smooth2random(type = 2)`` pipeline on a raw basis.

    ``constrain=False`` (``re``) skips the sum-to-zero constraint; ``scale_penalty=False``
    skips ``S.scale``; ``reorder_random=False`` keeps the penalized columns in basis order
    (used for ``re``, so that ``s(g, bs = "re")`` has the columns of ``(1 | g)``).
    """
    X = raw.predict(x)
    S = raw.S
    k = X.shape[1]
    scale = s_scale(X, S) if scale_penalty else 1.0
    Ss = S / scale
    if constrain:
        C = X.mean(axis=0)
        Z = constraint_null_space(C)
        Xc = X @ Z
        Sc = Z.T @ Ss @ Z
        Sc = (Sc + Sc.T) / 2
        rank = min(raw.rank, k - 1)
    else:
        Z = None
        Xc = X
        Sc = Ss
        rank = raw.rank
    p = Xc.shape[1]
    if fx:
        P = np.eye(p)
        return Smooth(term=term, variable=variable, bs=bs, k=k, fx=True, raw=raw, X=X, S=S,
                      S_scale=scale, Z=Z, Xc=Xc, Sc=Sc, rank=rank, P=P,
                      random_cols=np.zeros(0, dtype=int), fixed_cols=np.arange(p),
                      Xf=Xc, Zr=np.zeros((X.shape[0], 0)), reml_offset=0.0)
    diag_target = np.r_[np.full(rank, Sc[0, 0]), np.zeros(p - rank)]
    if np.max(np.abs(Sc - np.diag(diag_target))) <= abs(Sc[0, 0]) * EPS**0.8:
        # already diagonal (re): mgcv leaves it alone
        P = np.eye(p) / np.sqrt(np.where(diag_target > 0, diag_target, 1.0))
        E = np.ones(p)
    else:
        P, E = nat_param_type2(Xc, Sc, rank)
    d = np.r_[np.ones(rank), np.zeros(p - rank)]
    order = mgcv_diagonal_eigen_order(d) if reorder_random else np.arange(p)
    random_cols = np.array([j for j in order if j < rank], dtype=int)
    fixed_cols = np.array([j for j in order if j >= rank], dtype=int)
    if not reorder_random:
        random_cols = np.arange(rank)
        fixed_cols = np.arange(rank, p)
    Xd = Xc @ P
    # reml_offset: Xf = Xc P_f, P_f = V_f / E_f with V_f orthonormal null-space eigenvectors
    reml_offset = float(np.sum(np.log(E[fixed_cols]))) if fixed_cols.size else 0.0
    return Smooth(term=term, variable=variable, bs=bs, k=k, fx=False, raw=raw, X=X, S=S,
                  S_scale=scale, Z=Z, Xc=Xc, Sc=Sc, rank=rank, P=P, random_cols=random_cols,
                  fixed_cols=fixed_cols, Xf=Xd[:, fixed_cols], Zr=Xd[:, random_cols],
                  reml_offset=reml_offset)
