"""NUTS on a :class:`~bayeszoo.design.Design` with NumPyro, PyMC or nutpie; brms names out.

:func:`sample` returns an :class:`arviz.InferenceData` whose names a brms user recognizes:

* ``posterior``: ``b_Intercept``, ``b_<col>``, ``bs_<col>`` (a smooth's unpenalized columns),
  ``sd_<group>__<coef>``, ``sds_<smooth>``, ``sigma``, ``Intercept`` (the intercept of the
  centered fixed design, as brms's), ``r_<group>`` (``r_<group>__<coef>`` for a slope; dim
  ``<group>``, coords the levels) and ``s_<smooth>`` (the penalized coefficients ``sds·zs``,
  dim ``<smooth>_basis``);
* ``sample_stats``: ``diverging``, ``energy``, ``tree_depth``, ``step_size``, ``n_steps``,
  ``lp``, ``acceptance_rate``;
* ``log_likelihood``: pointwise, one variable named after the response, dim ``obs``;
* ``observed_data``: the response (dim ``obs``);
* ``constant_data``: the model matrices (``design__X``, and per block ``design__index__<j>`` /
  ``design__weights__<j>`` or ``design__Z__<j>``) and the data frame's other columns, so that a fit
  saved to netCDF and loaded again can still :func:`predict`;
* ``attrs``: ``formula``, ``response``, ``backend``, ``priors`` (JSON: brms name -> prior),
  ``seed``, ``chains``, ``draws``, ``tune``, ``target_accept``, ``dense_mass``,
  ``parameterization``,
  ``chain_method`` (NumPyro), ``versions`` (JSON), ``compile_seconds``, ``sampling_seconds``,
  ``total_seconds``, ``design`` (JSON: column names, block names) and ``data_columns`` (JSON:
  dtypes and factor levels of the stored data columns).
"""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

import numpy as np
import pandas as pd

from bayeszoo.design import Design
from bayeszoo.models.priors import ModelSpec, block_names, fixed_brms_names, model_spec

BACKENDS = ("numpyro", "pymc", "nutpie")
KINDS = ("epred", "linpred", "pp")

# NumPyro chain method when there are fewer devices than chains. Measured on radon
# (log_radon ~ 1 + (1 | county), 4 chains x (1000 + 1000), 2-core CPU, process CPU seconds):
# "vectorized" 10.6 cold / 5.1 warm compilation cache, "sequential" 16.7 cold / 4.5-5.5 warm;
# sequential compiles about twice as long, sampling proper is within noise.
FALLBACK_CHAIN_METHOD = "vectorized"
# Data enter the compiled sampler as arguments, not constants: compilation depends on shapes only.
JIT_MODEL_ARGS = True


# --------------------------------------------------------------------------- validation


def _check_args(backend, chains, draws, tune, target_accept, seed, parameterization,
                dense_mass) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    for name, v, lo in (("chains", chains, 1), ("draws", draws, 1), ("tune", tune, 0)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    if not (isinstance(target_accept, int | float) and 0 < target_accept < 1):
        raise ValueError(f"target_accept must lie in (0, 1), got {target_accept!r}")
    if not isinstance(dense_mass, bool):
        raise ValueError(f"dense_mass must be True or False, got {dense_mass!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if parameterization not in ("noncentered", "centered"):
        raise ValueError(f"parameterization must be 'noncentered' or 'centered', "
                         f"got {parameterization!r}")


def _as_design(formula_or_design: str | Design, data: pd.DataFrame | None) -> Design:
    if isinstance(formula_or_design, Design):
        if data is not None:
            raise ValueError("pass data only with a formula; a Design already holds its data")
        return formula_or_design
    if not isinstance(formula_or_design, str):
        raise ValueError(f"expected a formula string or a Design, got {type(formula_or_design)}")
    if data is None:
        raise ValueError("a formula needs data= (a pandas DataFrame)")
    from bayeszoo.formula import design

    return design(formula_or_design, data)


def _check_finite(design: Design) -> None:
    if design.y is None:
        raise ValueError("the design has no response; sampling needs one")
    y = np.asarray(design.y, dtype=float)
    if not np.all(np.isfinite(y)):
        bad = int(np.sum(~np.isfinite(y)))
        raise ValueError(f"response {design.response!r} has {bad} missing or non-finite "
                         f"value(s); drop those rows (na_action='drop') or impute them")
    X = np.asarray(design.X, dtype=float)
    if not np.all(np.isfinite(X)):
        cols = [c for j, c in enumerate(design.column_names) if not np.all(np.isfinite(X[:, j]))]
        raise ValueError(f"fixed-effect column(s) {cols} hold missing or non-finite values")
    for blk in design.blocks:
        arrs = [blk.Z] if blk.index is None else [blk.weights if blk.weights is not None
                                                    else np.ones(1)]
        for a in arrs:
            if not np.all(np.isfinite(np.asarray(a, dtype=float))):
                raise ValueError(f"block {blk.name!r} ({blk.term}) holds missing or non-finite "
                                 "values")


# --------------------------------------------------------------------------- public API


def sample(
    formula_or_design: str | Design,
    data: pd.DataFrame | None = None,
    backend: str = "numpyro",
    chains: int = 4,
    draws: int = 1000,
    tune: int = 1000,
    seed: int = 0,
    target_accept: float = 0.8,
    dense_mass: bool = False,
    progress: bool = True,
    priors: dict[str, Any] | None = None,
    parameterization: str = "noncentered",
):
    """Sample the posterior of a formula (with ``data``) or a :class:`Design` with NUTS.

    ``backend``: ``"numpyro"`` (JAX; chains in parallel across devices when there are as many
    devices as chains, else vectorized), ``"pymc"`` (``pm.sample``, one process per core) or
    ``"nutpie"`` (nutpie on the same PyMC model). brms default priors; ``priors=`` overrides them
    (see :mod:`bayeszoo.models.priors`). ``dense_mass``: adapt a dense mass matrix (NumPyro's
    ``dense_mass``, PyMC's ``jitter+adapt_full``, nutpie's low-rank modified mass matrix) for
    posteriors whose correlations a diagonal one cannot follow, such as an intercept and the
    effects of a few data-rich groups; its cost grows with the square of the number of
    parameters. Same ``seed`` and backend: identical draws.
    Invalid arguments, an unknown prior or missing values raise ``ValueError`` before anything
    is compiled. Returns an :class:`arviz.InferenceData` (groups and attrs: see the module doc).
    """
    _check_args(backend, chains, draws, tune, target_accept, seed, parameterization, dense_mass)
    t0 = time.perf_counter()
    design = _as_design(formula_or_design, data)
    _check_finite(design)
    spec = model_spec(design, priors, parameterization)
    chains, draws, tune, seed = int(chains), int(draws), int(tune), int(seed)

    runner = {"numpyro": _run_numpyro, "pymc": _run_pymc, "nutpie": _run_nutpie}[backend]
    sites, stats, timing = runner(design, spec, chains=chains, draws=draws, tune=tune,
                                  seed=seed, target_accept=float(target_accept),
                                  dense_mass=dense_mass,
                                  progress=progress)
    posterior = _brms_posterior(spec, sites)
    idata = _assemble(design, spec, posterior, stats)
    total = time.perf_counter() - t0
    idata.attrs.update({
        "formula": design.formula,
        "response": design.response,
        "backend": backend,
        "priors": spec.priors_json(),
        "seed": seed,
        "chains": chains,
        "draws": draws,
        "tune": tune,
        "target_accept": float(target_accept),
        "dense_mass": int(dense_mass),
        "parameterization": parameterization,
        "versions": json.dumps(_versions(backend)),
        "compile_seconds": round(timing["compile"], 3),
        "sampling_seconds": round(timing["sampling"], 3),
        "total_seconds": round(total, 3),
        **({"chain_method": timing["chain_method"]} if "chain_method" in timing else {}),
    })
    return idata


def predict(idata, newdata: pd.DataFrame | None = None, kind: str = "epred",
            seed: int | None = None, design: Design | None = None,
            allow_new_levels: bool = False) -> np.ndarray:
    """Posterior draws of the mean (``"epred"``), linear predictor (``"linpred"``; the same for
    the Gaussian family) or new observations (``"pp"``) at ``newdata``: ``(chains·draws, rows)``.

    Without ``newdata`` the fitted rows, from the matrices stored in ``constant_data`` (works on a
    fit loaded from netCDF). With ``newdata`` the design is rebuilt from ``attrs["formula"]`` and
    the stored data columns (or taken from ``design=``) and evaluated with
    ``Design.for_newdata``; an unseen factor level raises unless ``allow_new_levels``
    (brms's: those rows get no group effect). ``seed`` drives the ``"pp"`` noise.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    post = idata.posterior
    if newdata is None:
        arrays = _stored_arrays(idata)
    else:
        if not isinstance(newdata, pd.DataFrame):
            raise ValueError("newdata must be a pandas DataFrame")
        base = design if design is not None else design_from_idata(idata)
        nd = base.for_newdata(newdata, allow_new_levels=allow_new_levels)
        arrays = _design_to_arrays(nd)
    info = json.loads(idata.attrs["design"])
    mu = _linear_predictor(post, info, arrays)  # (chain, draw, n)
    mu = mu.reshape(-1, mu.shape[-1])
    if kind in ("epred", "linpred"):
        return mu
    sigma = np.asarray(post["sigma"].values, dtype=float).reshape(-1, 1)
    rng = np.random.default_rng(seed)
    return mu + sigma * rng.standard_normal(mu.shape)


def design_from_idata(idata) -> Design:
    """The fitted :class:`Design`, rebuilt from ``attrs["formula"]`` and the data stored in
    ``constant_data``/``observed_data`` (needs :func:`bayeszoo.design`)."""
    formula = idata.attrs.get("formula")
    if not formula:
        raise ValueError("this fit carries no formula; pass design= explicitly")
    df = stored_data(idata)
    if df is None:
        raise ValueError("this fit was made from a hand-built Design and stores no data frame; "
                         "pass design= explicitly")
    from bayeszoo.formula import design

    d = design(formula, df)
    info = json.loads(idata.attrs["design"])
    if list(d.column_names) != info["column_names"]:
        raise ValueError(f"rebuilding {formula!r} gave columns {d.column_names}, the fit has "
                         f"{info['column_names']}")
    return d


def stored_data(idata) -> pd.DataFrame | None:
    """The data frame the model was fitted to, from ``constant_data`` and ``observed_data``."""
    meta = json.loads(idata.attrs.get("data_columns", "null") or "null")
    if not meta:
        return None
    cd, od = idata.constant_data, idata.observed_data
    out = {}
    for col, m in meta.items():
        src = od if m.get("observed") else cd
        vals = np.asarray(src[col].values)
        if m["dtype"] == "category":
            vals = np.where(vals == "", None, vals.astype(object))
            out[col] = pd.Categorical(vals, categories=m["categories"], ordered=m["ordered"])
        elif m["dtype"] == "object":
            out[col] = pd.Series(vals.astype(object)).replace("", None).to_numpy()
        else:
            out[col] = vals.astype(m["dtype"])
    return pd.DataFrame(out)


def _versions(backend: str) -> dict[str, str]:
    import importlib.metadata as md

    names = ["bayeszoo", "numpy", "arviz"] + {
        "numpyro": ["numpyro", "jax", "jaxlib"],
        "pymc": ["pymc", "pytensor"],
        "nutpie": ["nutpie", "pymc", "pytensor", "numba"],
    }[backend]
    out = {}
    for n in names:
        try:
            out[n] = md.version(n)
        except md.PackageNotFoundError:
            out[n] = "unknown"
    return out


# --------------------------------------------------------------------------- internals: naming


def _brms_posterior(spec: ModelSpec, sites: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Internal sites (chain, draw, ...) -> brms-named arrays, in brms's order."""
    out: dict[str, np.ndarray] = {}
    c, d = np.asarray(sites["sigma"]).shape[:2]
    kc = len(spec.fixed_cols)
    b = np.zeros((c, d, kc))
    for site, members, _ in spec.fixed_groups:
        b[:, :, members] = np.asarray(sites[site], dtype=float).reshape(c, d, len(members))
    if spec.has_intercept:
        icpt = np.asarray(sites["Intercept"], dtype=float).reshape(c, d)
        out["b_Intercept"] = icpt - b @ spec.x_means if kc else icpt.copy()
    for k, name in enumerate(spec.fixed_names):
        out[name] = b[:, :, k]
    for bs in spec.blocks:
        out[bs.sd_name] = np.asarray(sites[bs.sd_name], dtype=float).reshape(c, d)
    out["sigma"] = np.asarray(sites["sigma"], dtype=float).reshape(c, d)
    if spec.has_intercept:
        out["Intercept"] = icpt
    for bs in spec.blocks:
        z = np.asarray(sites[bs.z_site], dtype=float).reshape(c, d, len(bs.labels))
        out[bs.coef_name] = z if spec.parameterization == "centered" else \
            out[bs.sd_name][:, :, None] * z
    return out


def _design_info(design: Design, spec: ModelSpec) -> dict:
    names = fixed_brms_names(design)
    return {
        "column_names": list(design.column_names),
        "fixed_names": names,
        "blocks": [
            {"name": blk.name, "kind": blk.kind, "coef": blk.coef, "term": blk.term,
             "sd_name": sd, "coef_name": coef, "dim": dim}
            for blk, (sd, coef, dim) in zip(design.blocks, block_names(design), strict=True)
        ],
    }


def _design_to_arrays(design: Design) -> dict[str, np.ndarray]:
    out = {"X": np.asarray(design.X, dtype=float)}
    for j, blk in enumerate(design.blocks):
        if blk.kind == "re" and blk.index is not None:
            out[f"index__{j}"] = np.asarray(blk.index, dtype=np.int64)
            out[f"weights__{j}"] = (np.ones(design.n) if blk.weights is None
                                    else np.asarray(blk.weights, dtype=float))
        else:
            out[f"Z__{j}"] = np.asarray(blk.Z, dtype=float)
    return out


def _stored_arrays(idata) -> dict[str, np.ndarray]:
    cd = idata.constant_data
    return {k[len("design__"):]: np.asarray(cd[k].values) for k in cd.data_vars
            if k.startswith("design__")}


def _linear_predictor(post, info: dict, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """``X·b + Σ_j Z_j r_j`` for every draw: (chain, draw, n)."""
    X = arrays["X"]
    B = np.stack([np.asarray(post[name].values, dtype=float) for name in info["fixed_names"]],
                 axis=-1)
    mu = B @ X.T
    for j, blk in enumerate(info["blocks"]):
        r = np.asarray(post[blk["coef_name"]].values, dtype=float)
        if f"index__{j}" in arrays:
            mu += r[:, :, arrays[f"index__{j}"]] * arrays[f"weights__{j}"]
        else:
            mu += r @ arrays[f"Z__{j}"].T
    return mu


def _normal_logpdf(y: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    z = (y - mu) / sigma
    return -0.5 * z * z - np.log(sigma) - 0.5 * math.log(2 * math.pi)


def _data_columns(design: Design) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
    """Columns of the design's data frame, netCDF-friendly, and how to restore them."""
    if design.data is None:
        return {}, {}
    arrays, meta = {}, {}
    for col in design.data.columns:
        name = str(col)
        if "/" in name or name.startswith("design__") or name in ("obs",):
            continue
        s = design.data[col]
        observed = name == design.response
        if isinstance(s.dtype, pd.CategoricalDtype):
            vals = np.asarray(s.astype(object).where(s.notna(), "").astype(str), dtype=str)
            meta[name] = {"dtype": "category", "categories": [str(c) for c in s.cat.categories],
                          "ordered": bool(s.cat.ordered)}
        elif pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
            vals, meta[name] = s.to_numpy(dtype=bool), {"dtype": "bool"}
        elif pd.api.types.is_numeric_dtype(s.dtype):
            if s.isna().any() or pd.api.types.is_float_dtype(s.dtype):
                vals, meta[name] = s.to_numpy(dtype=float, na_value=np.nan), {"dtype": "float64"}
            else:
                vals, meta[name] = s.to_numpy(dtype=np.int64), {"dtype": "int64"}
        else:
            vals = np.asarray(s.astype(object).where(s.notna(), "").astype(str), dtype=str)
            meta[name] = {"dtype": "object"}
        if observed:
            meta[name]["observed"] = True
        else:
            arrays[name] = vals
    return arrays, meta


def _assemble(design: Design, spec: ModelSpec, posterior: dict[str, np.ndarray],
              stats: dict[str, np.ndarray]):
    import arviz as az

    info = _design_info(design, spec)
    y = np.asarray(design.y, dtype=float)
    arrays = _design_to_arrays(design)
    mu = _linear_predictor(_DictPost(posterior), info, arrays)
    sigma = posterior["sigma"][:, :, None]
    loglik = _normal_logpdf(y, mu, sigma)

    coords: dict[str, Any] = {"obs": np.arange(design.n),
                              "design__column": list(design.column_names)}
    dims: dict[str, list[str]] = {spec.response: ["obs"], "design__X": ["obs", "design__column"]}
    for bs in spec.blocks:
        coords[bs.dim] = list(bs.labels)
        dims[bs.coef_name] = [bs.dim]
    constant: dict[str, np.ndarray] = {"design__X": arrays["X"]}
    for k, v in arrays.items():
        if k == "X":
            continue
        constant[f"design__{k}"] = v
        j = int(k.split("__")[1])
        dims[f"design__{k}"] = ["obs"] if not k.startswith("Z__") else ["obs", spec.blocks[j].dim]
    data_arrays, data_meta = _data_columns(design)
    for k, v in data_arrays.items():
        constant[k] = v
        dims[k] = ["obs"]
    idata = az.from_dict(
        posterior=posterior,
        sample_stats=stats,
        log_likelihood={spec.response: loglik},
        observed_data={spec.response: y},
        constant_data=constant,
        coords=coords,
        dims=dims,
    )
    idata.attrs["design"] = json.dumps(info)
    idata.attrs["data_columns"] = json.dumps(data_meta)
    return idata


class _DictPost(dict):
    """A dict of arrays that answers ``post[name].values`` like an xarray Dataset."""

    class _V:
        def __init__(self, v):
            self.values = v

    def __getitem__(self, k):
        return self._V(dict.__getitem__(self, k))


# --------------------------------------------------------------------------- backends


_COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                   "/jax/core/compile/jaxpr_to_mlir_module_duration",
                   "/jax/core/compile/backend_compile_duration")


def _run_numpyro(design, spec, *, chains, draws, tune, seed, target_accept, dense_mass,
                 progress):
    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    import jax
    import jax.monitoring
    from numpyro.infer import MCMC, NUTS

    compile_time = [0.0]

    def listener(event: str, duration: float, **_: Any) -> None:
        if event in _COMPILE_EVENTS:
            compile_time[0] += duration

    t0 = time.perf_counter()
    built = build_numpyro(design, spec=spec)
    chain_method = "parallel" if jax.local_device_count() >= chains else FALLBACK_CHAIN_METHOD
    if chains == 1:
        chain_method = "sequential"
    kernel = NUTS(built.model, target_accept_prob=target_accept, dense_mass=dense_mass)
    mcmc = MCMC(kernel, num_warmup=tune, num_samples=draws, num_chains=chains,
                chain_method=chain_method, progress_bar=progress,
                jit_model_args=JIT_MODEL_ARGS)
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        mcmc.run(jax.random.PRNGKey(seed), built.data, y=built.y,
                 extra_fields=("diverging", "energy", "num_steps", "adapt_state.step_size",
                               "accept_prob", "potential_energy"))
        samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
        extra = {k: np.asarray(v) for k, v in mcmc.get_extra_fields(group_by_chain=True).items()}
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    elapsed = time.perf_counter() - t0
    n_steps = extra["num_steps"].astype(np.int64)
    stats = {
        "diverging": extra["diverging"].astype(bool),
        "energy": extra["energy"].astype(float),
        "tree_depth": (np.floor(np.log2(np.maximum(n_steps, 1))) + 1).astype(np.int64),
        "step_size": extra["adapt_state.step_size"].astype(float),
        "n_steps": n_steps,
        "lp": -extra["potential_energy"].astype(float),
        "acceptance_rate": extra["accept_prob"].astype(float),
    }
    comp = min(compile_time[0], elapsed)
    return samples, stats, {"compile": comp, "sampling": elapsed - comp,
                            "chain_method": chain_method}


def _site_names(spec: ModelSpec) -> list[str]:
    names = [site for site, _, _ in spec.fixed_groups]
    if spec.has_intercept:
        names.append("Intercept")
    for bs in spec.blocks:
        names += [bs.sd_name, bs.z_site]
    return names + ["sigma"]


def _from_trace(idata, spec: ModelSpec, renames: dict[str, str]):
    post = idata.posterior
    sites = {k: np.asarray(post[k].values) for k in _site_names(spec)}
    ss = idata.sample_stats
    stats = {}
    for ours, theirs in renames.items():
        if theirs in ss:
            v = np.asarray(ss[theirs].values)
            stats[ours] = v
    stats["diverging"] = stats["diverging"].astype(bool)
    return sites, stats


def _run_pymc(design, spec, *, chains, draws, tune, seed, target_accept, dense_mass,
              progress):
    import pymc as pm

    from bayeszoo.models.pymc import build_pymc

    t0 = time.perf_counter()
    built = build_pymc(design, spec=spec)
    built.model.logp_dlogp_function(ravel_inputs=True)  # compile (pytensor caches the C code)
    t1 = time.perf_counter()
    cores = min(chains, os.cpu_count() or 1)
    with built.model:
        trace = pm.sample(draws=draws, tune=tune, chains=chains, cores=cores, random_seed=seed,
                          target_accept=target_accept, progressbar=progress,
                          init="jitter+adapt_full" if dense_mass else "jitter+adapt_diag",
                          compute_convergence_checks=False, return_inferencedata=True,
                          idata_kwargs={"log_likelihood": False})
    t2 = time.perf_counter()
    sites, stats = _from_trace(trace, spec, {
        "diverging": "diverging", "energy": "energy", "tree_depth": "tree_depth",
        "step_size": "step_size", "n_steps": "n_steps", "lp": "lp",
        "acceptance_rate": "acceptance_rate"})
    return sites, stats, {"compile": t1 - t0, "sampling": t2 - t1}


def _run_nutpie(design, spec, *, chains, draws, tune, seed, target_accept, dense_mass,
                progress):
    import nutpie

    from bayeszoo.models.pymc import build_pymc

    t0 = time.perf_counter()
    built = build_pymc(design, spec=spec)
    compiled = nutpie.compile_pymc_model(built.model)
    t1 = time.perf_counter()
    trace = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains,
                          cores=min(chains, os.cpu_count() or 1), seed=seed,
                          progress_bar=progress, target_accept=target_accept,
                          low_rank_modified_mass_matrix=dense_mass,
                          save_warmup=False)
    t2 = time.perf_counter()
    sites, stats = _from_trace(trace, spec, {
        "diverging": "diverging", "energy": "energy", "tree_depth": "depth",
        "step_size": "step_size", "n_steps": "n_steps", "lp": "logp",
        "acceptance_rate": "mean_tree_accept"})
    return sites, stats, {"compile": t1 - t0, "sampling": t2 - t1}
