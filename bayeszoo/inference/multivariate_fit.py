"""The fit of a multivariate model: an :class:`arviz.InferenceData` with brms's ``mvbrmsfit``
methods that take ``resp=``.

Its ``posterior`` holds brms's names (:mod:`bayeszoo.inference.multivariate`), its
``log_likelihood`` one variable per response (the response's marginal density, brms's
``log_lik(fit, resp = )``) and one for the responses jointly, named ``<y1>__<y2>`` (brms's
``log_lik(fit)``: the multivariate normal or Student-t density with residual correlations, the
sum of the responses' densities without). :meth:`MultivariateFit.loo` is brms's
``loo(fit, resp = )``; :meth:`MultivariateFit.posterior_epred` and
:meth:`MultivariateFit.posterior_predict` give ``draws × rows × responses`` arrays
(``draws × rows`` for one ``resp``); predictions with residual correlations draw every row's
responses jointly. The model and its site draws stay with the fit in memory.
"""

from __future__ import annotations

import math
from typing import Any

import arviz as az
import numpy as np
import pandas as pd

CACHE = "_mv_cache"


class MultivariateFit(az.InferenceData):
    """A sampled multivariate model (see the module doc)."""

    @classmethod
    def build(cls, draws) -> MultivariateFit:
        """The fit of :class:`~bayeszoo.inference.multivariate.MultivariateDraws`."""
        from bayeszoo.families.ops import NUMPY
        from bayeszoo.models.multivariate_likelihood import multivariate_data, pointwise

        mspec = draws.mspec
        groups: dict[str, Any] = {"posterior": draws.posterior,
                                  "sample_stats": draws.stats}
        groups["observed_data"] = {r: np.asarray(d.y, dtype=float)
                                   for r, d in zip(mspec.responses, mspec.designs, strict=True)}
        if draws.log_likelihood:
            data = multivariate_data(mspec)
            joint, marginal = pointwise(mspec, draws.site, [d.y for d in data.responses],
                                        [d.predictors for d in data.responses], NUMPY,
                                        np.concatenate)
            ll = {r: m for r, m in zip(mspec.responses, marginal, strict=True)}
            ll[joint_name(mspec.responses)] = joint
            groups["log_likelihood"] = ll
        dims, coords = _dims(mspec)
        idata = az.from_dict(**groups, dims=dims, coords=coords)
        fit = cls(attrs=dict(draws.attrs), **{g: idata[g] for g in idata.groups()})
        fit.__dict__[CACHE] = {"mspec": mspec, "site": draws.site}
        return fit

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop(CACHE, None)
        return state

    @property
    def mspec(self):
        """The joint model (:class:`~bayeszoo.models.multivariate.MultivariateSpec`)."""
        return self.__dict__[CACHE]["mspec"]

    @property
    def site_draws(self) -> dict[str, np.ndarray]:
        """The joint model's draws under its own site names (``chain × draw × ...``)."""
        return self.__dict__[CACHE]["site"]

    @property
    def responses(self) -> tuple[str, ...]:
        return self.mspec.responses

    def resp_index(self, resp: str | None) -> int | None:
        """The position of response ``resp`` (``None`` for ``None``); ``ValueError`` when it is
        not a response."""
        if resp is None:
            return None
        if resp not in self.responses:
            raise ValueError(f"resp={resp!r} is not a response; this model has "
                             f"{list(self.responses)}")
        return self.responses.index(resp)

    def summary(self, data_name: str | None = None):
        """brms's ``summary(fit)``: the scalar parameters by section (group-level,
        population-level, family specific, residual correlations); ``print`` shows it."""
        from .multivariate import multivariate_summary

        post = {k: np.asarray(v.values) for k, v in self.posterior.data_vars.items()}
        return multivariate_summary(post, dict(self.attrs), data_name)

    def fixef(self) -> pd.DataFrame:
        """brms's ``fixef(fit)``: the population-level coefficients of every response
        (``tarsus_Intercept``, ``back_Intercept``, ``tarsus_sexMale``...: intercepts first) by
        ``Estimate, Est.Error, Q2.5, Q97.5``."""
        from .effects import fixef

        return fixef(self.posterior, ())

    def ranef(self) -> dict[str, pd.DataFrame]:
        """brms's ``ranef(fit)``: per grouping factor its levels by ``(coefficient,
        statistic)``, the coefficients of every response (``tarsus_Intercept``,
        ``back_Intercept``)."""
        from .effects import ranef_of
        from .multivariate_effects import multivariate_group_terms

        return ranef_of(self.posterior, multivariate_group_terms(self.mspec))

    def coef(self) -> dict[str, pd.DataFrame]:
        """brms's ``coef(fit)``: population-level plus group-level coefficients per level,
        shaped as :meth:`ranef`."""
        from .effects import coef_of, fixef_draws
        from .multivariate_effects import multivariate_group_terms

        return coef_of(self.posterior, multivariate_group_terms(self.mspec),
                       fixef_draws(self.posterior, ()))

    def varcorr(self) -> dict[str, dict[str, pd.DataFrame]]:
        """brms's ``VarCorr(fit)``: per grouping factor ``"sd"`` (and ``"cor"``, ``"cov"``,
        across responses too); ``"residual__"`` the responses' residual sds with the residual
        correlations (``rescor``) as ``"cor"`` and ``"cov"``."""
        from .effects import group_varcorr
        from .multivariate_effects import multivariate_group_terms, residual_entry

        out = group_varcorr(self.posterior, multivariate_group_terms(self.mspec))
        residual = residual_entry(self.posterior, self.mspec)
        if residual is not None:
            out["residual__"] = residual
        return out

    def hypothesis(self, hypotheses: str | list[str], class_: str = "b",
                   alpha: float = 0.05) -> pd.DataFrame:
        """brms's ``hypothesis(fit, ...)$hypothesis`` over brms's multivariate names:
        ``fit.hypothesis("tarsus_sexMale > 0")``, ``fit.hypothesis("tarsus_sexMale =
        back_sexMale")``, ``fit.hypothesis("rescor__tarsus__back > 0")`` (a name that is no
        coefficient is taken as it is). Arguments
        and columns as :meth:`bayeszoo.inference.fit.Fit.hypothesis`."""
        from .hypothesis import hypothesis

        return hypothesis(self.posterior, hypotheses, class_=class_, alpha=alpha)

    def pp_check(self, resp: str | None = None, kind: str = "dens_overlay",
                 ndraws: int | None = None, stat: str | Any = "mean", seed: int = 0):
        """brms's ``pp_check(fit, resp = , type = kind)`` of one response: the matplotlib
        Figure (kinds and arguments as :meth:`bayeszoo.inference.fit.Fit.pp_check`)."""
        from .multivariate_effects import replicates, response_name
        from .pp_check import default_ndraws, pp_check_figure, require_known_kind

        name = response_name(self, resp)
        require_known_kind(kind)
        y, yrep = replicates(self, name, default_ndraws(kind, ndraws), seed)
        return pp_check_figure(y, yrep, name, kind, stat, seed)

    def conditional_effects(self, effects: str | list[str] | None = None,
                            resp: str | None = None, robust: bool = True):
        """brms's ``conditional_effects(fit, effects, resp = )``: per response (or of ``resp``)
        the expected response over a grid of the effect's variables, group-level effects
        left out (:mod:`bayeszoo.inference.conditional_effects`).

        Returns
        -------
        Effects or dict of str to Effects
            One response's effects, or response -> its effects without ``resp``.
        """
        from .conditional_effects import effects_over_grids

        def one(r: int):
            name = self.responses[r]
            return effects_over_grids(
                self.mspec.designs[r], effects, robust,
                lambda grid: self.posterior_epred(grid, resp=name, group_effects=False))

        r = self.resp_index(resp)
        return one(r) if r is not None else {n: one(k) for k, n in enumerate(self.responses)}

    def loo(self, resp: str | None = None, **options: Any):
        """brms's ``loo(fit, resp = )``: PSIS-LOO of one response's marginal density, or of
        the responses jointly (``resp=None``), as ``arviz.loo``.

        Parameters
        ----------
        resp : str, optional
            A response; default all jointly.
        **options : Any
            Keywords of ``arviz.loo``.

        Returns
        -------
        arviz.ELPDData
            ``elpd_loo``, ``p_loo`` and the pointwise values with Pareto k.
        """
        if "log_likelihood" not in self.groups():
            raise ValueError("this fit was sampled with log_likelihood=False: no LOO")
        self.resp_index(resp)
        name = resp if resp is not None else joint_name(self.responses)
        options.setdefault("pointwise", True)
        return az.loo(self, var_name=name, **options)

    def _parameters(self, newdata: pd.DataFrame | None, allow_new_levels: bool,
                    ndraws: int | None, seed: int | None,
                    group_effects: bool = True) -> tuple[list, list, dict]:
        """Each response's ``eta`` and family parameters on ``newdata`` (``(draws, rows)``),
        for ``ndraws`` draws chosen at random (default all); without ``group_effects`` every
        group-level coefficient is zero (brms's ``re_formula = NA``)."""
        from bayeszoo.families.ops import NUMPY
        from bayeszoo.models.multivariate_likelihood import (
            newdata_arrays,
            response_parameters,
        )

        mspec = self.mspec
        site = {k: v.reshape(-1, *v.shape[2:]) for k, v in self.site_draws.items()}
        total = next(iter(site.values())).shape[0]
        if ndraws is not None:
            keep = np.random.default_rng(seed).choice(total, size=min(int(ndraws), total),
                                                      replace=False)
            site = {k: v[keep] for k, v in site.items()}
        if not group_effects:
            site = site | {k: np.zeros_like(site[k]) for k in group_effect_sites(mspec)}
        etas, auxes = [], []
        for r, d in enumerate(mspec.designs):
            nd = d if newdata is None else d.for_newdata(newdata,
                                                         allow_new_levels=allow_new_levels)
            eta, aux = response_parameters(mspec, r, site, newdata_arrays(mspec, r, nd), NUMPY,
                                           np.concatenate)
            etas.append(eta)
            auxes.append({k: np.broadcast_to(np.asarray(v)[..., None] if np.ndim(v) < eta.ndim
                                             else v, eta.shape) for k, v in aux.items()})
        return etas, auxes, site

    def posterior_epred(self, newdata: pd.DataFrame | None = None, resp: str | None = None,
                        allow_new_levels: bool = False, ndraws: int | None = None,
                        seed: int | None = None, group_effects: bool = True) -> np.ndarray:
        """brms's ``posterior_epred``: the expected responses, ``(draws, rows, responses)``
        (``(draws, rows)`` for one ``resp``).

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows to predict (default: the fitted rows).
        resp : str, optional
            One response (default all).
        allow_new_levels : bool
            Unseen grouping levels get zero group effects (else ``ValueError``).
        ndraws : int, optional
            Draws chosen at random (default all).
        seed : int, optional
            For the choice of draws.
        group_effects : bool
            ``False``: every group-level effect left out (brms's ``re_formula = NA``).

        Returns
        -------
        numpy.ndarray
            Draws × rows (× responses).
        """
        r = self.resp_index(resp)
        etas, auxes, _ = self._parameters(newdata, allow_new_levels, ndraws, seed,
                                          group_effects)
        means = [s.family.mean(eta, aux, {})
                 for s, eta, aux in zip(self.mspec.specs, etas, auxes, strict=True)]
        return means[r] if r is not None else np.stack(means, axis=-1)

    def posterior_predict(self, newdata: pd.DataFrame | None = None, resp: str | None = None,
                          allow_new_levels: bool = False, ndraws: int | None = None,
                          seed: int | None = None) -> np.ndarray:
        """brms's ``posterior_predict``: draws of new observations, ``(draws, rows,
        responses)`` (``(draws, rows)`` for one ``resp``); with residual correlations each
        row's responses are drawn jointly (multivariate normal, or Student-t with the shared
        ``nu``). Parameters as :meth:`posterior_epred`.
        """
        r = self.resp_index(resp)
        etas, auxes, site = self._parameters(newdata, allow_new_levels, ndraws, seed)
        rng = np.random.default_rng(seed)
        mspec = self.mspec
        if mspec.rescor is None:
            out = [s.family.draw(rng, eta, aux, {})
                   for s, eta, aux in zip(mspec.specs, etas, auxes, strict=True)]
            out = np.stack([np.asarray(o, dtype=float) for o in out], axis=-1)
        else:
            mu = np.stack(etas, axis=-1)
            sigma = np.stack([a["sigma"] for a in auxes], axis=-1)
            L = site[mspec.rescor]
            z = rng.standard_normal(mu.shape)
            e = np.einsum("dij,dnj->dni", L, z)
            if mspec.nu is not None:
                nu = site[mspec.nu][:, None, None]
                e = e * np.sqrt(nu / rng.chisquare(nu, size=(*mu.shape[:2], 1)))
            out = mu + sigma * e
        return out[..., r] if r is not None else out

    def predict(self, newdata: pd.DataFrame | None = None, resp: str | None = None,
                kind: str = "epred", allow_new_levels: bool = False,
                seed: int | None = None) -> pd.DataFrame:
        """brms's ``fitted`` (``kind="epred"``) or ``predict`` (``kind="pp"``) summaries:
        ``Estimate``, ``Est.Error``, ``Q2.5``, ``Q97.5`` per row, one block of columns per
        response (``tarsus.Estimate``...) or those of ``resp``."""
        if kind not in ("epred", "pp"):
            raise ValueError(f"kind must be 'epred' or 'pp', got {kind!r}")
        f = self.posterior_epred if kind == "epred" else self.posterior_predict
        draws = f(newdata, resp=resp, allow_new_levels=allow_new_levels, seed=seed)
        if resp is not None:
            return summary_frame(draws)
        return pd.concat([summary_frame(draws[..., k]).add_prefix(f"{name}.")
                          for k, name in enumerate(self.responses)], axis=1)


def group_effect_sites(mspec) -> set[str]:
    """The joint sites of the standardized group-level coefficients: zero, they leave every
    group-level effect out."""
    out = {g.z_site for g in mspec.linked}
    for r, (d, spec) in enumerate(zip(mspec.designs, mspec.specs, strict=True)):
        for k, ps in enumerate(spec.predictors):
            for bs in ps.blocks:
                own = mspec.site_of[r].get(bs.z_site)
                if d.predictors[k].blocks[bs.index].is_group_effect and own is not None:
                    out.add(own)
    return out


def summary_frame(draws: np.ndarray) -> pd.DataFrame:
    """brms's four columns of a ``(draws, rows)`` array."""
    return pd.DataFrame({"Estimate": draws.mean(axis=0), "Est.Error": draws.std(axis=0, ddof=1),
                         "Q2.5": np.quantile(draws, 0.025, axis=0),
                         "Q97.5": np.quantile(draws, 0.975, axis=0)})


def joint_name(responses: tuple[str, ...]) -> str:
    """The log-likelihood variable of the responses jointly: ``tarsus__back``."""
    return "__".join(responses)


def _dims(mspec) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The group-level coefficient arrays' dimensions (``r_fosternest__tarsus``:
    ``fosternest``, and ``coef`` for correlated terms) and the rows of the observations."""
    from bayeszoo.models.multivariate import mv_name

    dims: dict[str, list[str]] = {}
    coords: dict[str, Any] = {}
    n = int(math.prod(np.shape(mspec.designs[0].y)))
    for resp, d in zip(mspec.responses, mspec.designs, strict=True):
        for blk in (b for p in d.predictors for b in p.blocks):
            name = mv_name(blk.names.coef, resp, tuple(d.dpars))
            dn = [f"{dim}__{resp}" if dim.endswith("_coef") or dim == "coef" else dim
                  for dim in blk.names.dims]
            dims[name] = dn
            for dim, c in zip(dn, blk.names.coords, strict=False):
                coords[dim] = list(c)
        dims[resp] = ["obs"]
    dims[joint_name(mspec.responses)] = ["obs"]
    coords["obs"] = np.arange(n)
    return dims, coords
