"""Conveniences that join the zoo with the samplers, and saving/loading fits.

* :func:`fit` samples a zoo entry (``bz.fit("radon_intercept", backend="numpyro")``);
  :func:`fit_reml` fits its REML twin.
* :func:`save` / :func:`load` write and read a fit as one netCDF file: the posterior and every
  other group, the formula, priors, sampler settings (``attrs``) and the data the model was
  fitted to (``constant_data``, exactly, with names and dtypes in ``attrs["data_columns"]``), which
  is enough for :func:`bayeszoo.predict` and :func:`bayeszoo.report` later. No pickle.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

#: ``attrs`` a saved fit must carry for predict and report to work after :func:`load`.
REQUIRED_ATTRS = ("formula", "design", "data_columns")
#: ``attrs`` a saved multivariate fit carries instead (its joint model, data and formula)
MULTIVARIATE_ATTRS = ("formula", "multivariate", "data_columns")
FORMAT_VERSION = 3


def fit(name: str, backend: str = "numpyro", **sampler_options: Any):
    """Sample the zoo entry ``name`` with ``bayeszoo.sample``.

    The entry's sampler defaults (chains, draws, tune, target_accept) and parameterization apply
    unless ``sampler_options`` override them (any keyword of :func:`bayeszoo.sample`:
    ``chains``, ``draws``, ``tune``, ``seed``, ``target_accept``, ``progress``, ``priors``,
    ``parameterization``, ``family``: a name or object of :mod:`bayeszoo.families` in place of
    the entry's). Returns a :class:`~bayeszoo.inference.fit.Fit` (an InferenceData) whose
    ``attrs["zoo_name"]`` is ``name``. Divergences, transitions at the maximum tree depth, a
    high R-hat or a low ESS are warned about as :func:`bayeszoo.sample` does
    (:class:`bayeszoo.diagnostics.SamplerWarning`).

    Parameters
    ----------
    name : str
        A name of :func:`bayeszoo.zoo.names`.
    backend : str
        ``"numpyro"`` (default), ``"pymc"`` or ``"nutpie"``.
    **sampler_options : Any
        Keywords of :func:`bayeszoo.sample` that override the entry's defaults.

    Returns
    -------
    Fit
        The posterior, with ``attrs["zoo_name"] == name``.

    Raises
    ------
    KeyError
        When ``name`` is not a zoo model.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> fit = bz.fit("radon_intercept", chains=2, draws=200)  # doctest: +SKIP
    >>> fit.attrs["zoo_name"]  # doctest: +SKIP
    'radon_intercept'
    """
    from bayeszoo.diagnostics import warn_fit
    from bayeszoo.inference.fit_checks import idata_checks

    idata = fit_draws(name, backend=backend, **sampler_options).inference_data()
    warn_fit(idata_checks(idata), name)
    return idata


def fit_draws(name: str, backend: str = "numpyro", **sampler_options: Any):
    """:func:`fit` up to the draws: a
    :class:`~bayeszoo.inference.sampling.PosteriorDraws` whose ``inference_data()`` is what
    :func:`fit` returns (the command line summarizes the arrays without building it)."""
    from bayeszoo.inference.sampling import draw_posterior
    from bayeszoo.models import zoo

    entry = zoo.get(name)
    opts = {**entry.sampler_options, "parameterization": entry.parameterization,
            "family": entry.family_object(), **sampler_options}
    draws = draw_posterior(entry.formula, entry.load_data(), backend=backend, knots=entry.knots,
                           **opts)
    draws.attrs["zoo_name"] = name
    draws.attrs["dataset"] = entry.dataset
    return draws


def fit_reml(name: str, **options: Any):
    """The REML twin of zoo entry ``name`` (``bayeszoo.reml`` of its ``reml_formula``, with the
    entry's ``knots``).

    ``KeyError`` for an unknown name; ``ValueError`` when the entry has no REML twin.
    """
    from bayeszoo.models import zoo
    from bayeszoo.penalized import reml

    entry = zoo.get(name)
    if entry.reml_formula is None:
        raise ValueError(f"zoo model {name!r} has no REML twin")
    data = entry.load_data()
    if entry.knots is None:
        return reml(entry.reml_formula, data, family=entry.family_object(), **options)
    from bayeszoo.formula import design

    # the knots enter through the design (mgcv's gam(..., knots = list(...)))
    d = design(entry.reml_formula, data, family=entry.family_object(), knots=entry.knots)
    return reml(d, family=entry.family_object(), **options)


def save(idata, path: str | Path) -> Path:
    """Write ``idata`` to ``path`` (netCDF4, every group and attribute).

    The fit must come from :func:`bayeszoo.sample` (or :func:`fit`): its ``attrs`` carry the
    formula, priors and design, its ``constant_data`` the term states and data, so that a loaded
    fit predicts and reports exactly as the original. The file is written under a temporary
    name of its own (two processes saving to one path never share one; the last to finish
    wins) and renamed: an error or Ctrl-C mid-way leaves no partial file (an interrupt is held
    until the write has finished or been abandoned, then raised as ``KeyboardInterrupt``).

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit of :func:`bayeszoo.sample` or :func:`fit`.
    path : str or pathlib.Path
        The file to write (its folder is made when missing).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        When ``idata`` lacks the attrs a fit of :func:`bayeszoo.sample` carries.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.save(fit, "radon.nc")  # doctest: +SKIP
    PosixPath('radon.nc')
    """
    from bayeszoo.inference.multivariate_store import is_multivariate_fit, storable

    if is_multivariate_fit(idata):
        idata = storable(idata)
    missing = [a for a in required_attrs(idata) if a not in idata.attrs]
    if missing:
        raise ValueError(
            f"this InferenceData lacks attrs {missing}: save() stores fits made by "
            "bayeszoo.sample or bayeszoo.fit (they carry the formula, design and data needed "
            "to predict later); use idata.to_netcdf() for other InferenceData"
        )
    import bayeszoo
    from bayeszoo.paths import check_writable, deferred_interrupt

    path = Path(path)
    check_writable(path)
    idata.attrs["bayeszoo_version"] = bayeszoo.__version__
    idata.attrs["bayeszoo_format"] = FORMAT_VERSION
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")  # one per writer
    with deferred_interrupt():
        try:
            idata.to_netcdf(str(tmp), engine="netcdf4")
            tmp.replace(path)
        finally:
            if tmp.exists():
                tmp.unlink()
    return path


def load(path: str | Path):
    """Read a fit written by :func:`save` (fully into memory; the file is closed again) as a
    :class:`~bayeszoo.inference.fit.Fit`.

    Parameters
    ----------
    path : str or pathlib.Path
        A file written by :func:`save`.

    Returns
    -------
    Fit
        The fit, which predicts and reports as the one saved.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When ``path`` is a folder, not netCDF, or lacks the attrs :func:`save` writes.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.load("no-such-fit.nc")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no such fit file: no-such-fit.nc
    """
    import arviz as az

    from bayeszoo.inference.fit import Fit
    from bayeszoo.inference.multivariate_store import is_multivariate_file, restore

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such fit file: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a fit file written by bayeszoo.save")
    try:
        idata = az.from_netcdf(str(path), engine="netcdf4")
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ValueError(f"{path} is not a netCDF fit written by bayeszoo.save (truncated or "
                         f"another format): {exc}") from None
    for group in idata.groups():
        ds = getattr(idata, group)
        setattr(idata, group, ds.load())
        ds.close()
    missing = [a for a in required_attrs(idata) if a not in idata.attrs]
    if missing:
        raise ValueError(f"{path} lacks attrs {missing}: it was not written by bayeszoo.save")
    for key, value in list(idata.attrs.items()):
        # netCDF stores numpy scalars; give back plain Python values
        if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
            idata.attrs[key] = value.item()
    if is_multivariate_file(idata):
        return restore(idata)
    return Fit.of(idata)


def required_attrs(idata) -> tuple[str, ...]:
    """The attrs a univariate or multivariate fit file carries."""
    from bayeszoo.inference.multivariate_store import is_multivariate_file

    return MULTIVARIATE_ATTRS if is_multivariate_file(idata) else REQUIRED_ATTRS


def fit_context(idata) -> dict[str, Any]:
    """What the report needs beside the posterior: the zoo entry (when the fit came from
    :func:`fit`), the data frame and the rebuilt :class:`~bayeszoo.design.Design`."""
    from bayeszoo.inference.predict import design_from_idata, stored_data
    from bayeszoo.models import zoo

    out: dict[str, Any] = {"entry": None}
    name = idata.attrs.get("zoo_name")
    if name in zoo.names():
        out["entry"] = zoo.get(name)
    out["data"] = stored_data(idata)
    out["design"] = design_from_idata(idata)
    return out


def predict_draws(idata, newdata=None, kind: str = "epred", seed: int | None = 0):
    """``bayeszoo.predict`` as a plain ``draws × rows`` NumPy array."""
    import numpy as np

    from bayeszoo.inference.predict import predict

    return np.asarray(predict(idata, newdata=newdata, kind=kind, seed=seed, labels=False))


def headline(idata) -> dict[str, Any]:
    """A fit's headline numbers: posterior means of the scalar parameters, max R-hat, min ESS,
    divergences, transitions at the maximum tree depth, ``converged``
    (:attr:`bayeszoo.diagnostics.FitChecks.converged`), elpd_loo and p_loo (JSON-ready). A fit
    with a network term has its R-hat and ESS from function space
    (:mod:`bayeszoo.inference.function_space`) and ``"diagnostics": "function space"``.

    Parameters
    ----------
    idata : arviz.InferenceData
        A fit of :func:`bayeszoo.sample` or :func:`fit`.

    Returns
    -------
    dict
        ``means`` (parameter -> posterior mean), the convergence fields, ``elpd_loo`` and
        ``p_loo`` when the fit has a log-likelihood, and the timings it recorded.

    Examples
    --------
    >>> import bayeszoo as bz
    >>> bz.headline(fit)["means"]  # doctest: +SKIP
    """
    from bayeszoo.inference.draws_summary import checks_fields
    from bayeszoo.inference.fit_checks import idata_checks
    from bayeszoo.inference.function_space import network_blocks

    post = idata.posterior
    scalars = [str(v) for v, da in post.data_vars.items() if set(da.dims) <= {"chain", "draw"}]
    means = {v: round(float(post[v].mean()), 4) for v in scalars if v != "Intercept"}
    out: dict[str, Any] = {"means": means, **checks_fields(idata_checks(idata))}
    if network_blocks(idata):
        out["diagnostics"] = "function space"
    if "log_likelihood" in idata.groups():
        from bayeszoo.inference.compare import loo_cached

        elpd = loo_cached(idata)
        out["elpd_loo"] = round(float(elpd.elpd_loo), 2)
        out["p_loo"] = round(float(elpd.p_loo), 2)
    for key in ("sampling_seconds", "compile_seconds", "total_seconds"):
        if key in idata.attrs:
            out[key] = float(idata.attrs[key])
    return json.loads(json.dumps(out, default=float))
