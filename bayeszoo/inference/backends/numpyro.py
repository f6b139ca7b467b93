"""NUTS in NumPyro (JAX), compiled once per model structure and run for many seeds and data sets.

:func:`bayeszoo.sample` and the refits of simulation-based calibration, exact LOO, K-fold and
``update`` all run the program of :meth:`NumpyroBackend.compile`. Its arguments are the random
keys and the data (the model's argument as device arrays), so a design of the same structure
(:meth:`NumpyroBackend.program_key`) reruns it without tracing or compiling again
(:mod:`bayeszoo.inference.repeated` keeps the programs of a process). Three jitted functions
make it: ``start`` draws each chain's initial point (``find_valid_initial_params`` with
:func:`init_strategy`) and initializes the kernel (``numpyro.infer.hmc.hmc`` with
``algo="NUTS"``: the kernel of ``numpyro.infer.NUTS``, same defaults); ``advance`` runs
iterations ``lo`` to ``hi`` (warm-up adaptation during the first ``tune``), writing each kept
draw and its statistics into buffers; ``finish`` maps the draws to the constrained scale. The
chains run in parallel across devices (``pmap``) when there are as many devices as chains (the
runtime makes at least 4 CPU host devices), else vectorized (``vmap``).

Without a bar ``advance`` runs once over all iterations; with one (``progress=True`` where
:func:`bayeszoo.progress.shown` says a bar is watched) it runs in :data:`PROGRESS_STEPS` chunks
per phase and the bar advances between them. ``lo`` and ``hi`` are arguments, so both paths run
the same compiled code and give the same draws; the compiled functions hold no host callback,
and the persistent compilation cache of :mod:`bayeszoo.runtime` serves them across processes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import time
import weakref
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from bayeszoo.design import Design
from bayeszoo.models.spec import ModelSpec

from . import SamplerResult, SamplerSettings

#: Chains start uniformly in ``(-radius, radius)`` on the unconstrained scale: ``(-2, 2)`` as
#: Stan and brms; ``(-1, 1)`` (where PyMC's jitter starts) when an auxiliary parameter has a
#: formula of its own, whose log link turns an extreme initial ``eta`` (a smooth's sd up to
#: e², times z up to 2, times columns up to 19 on mcycle) into a ``sigma`` so far from the data
#: that warm-up may never leave it: on mcycle's ``sigma ~ s(times)`` 1 chain in 16 stayed stuck
#: at radius 2 (4 seeds × 4 chains), none in 16 at radius 1.
INIT_RADIUS = 2.0
INIT_RADIUS_DISTRIBUTIONAL = 1.0
#: Chunks of warm-up, and of sampling, between which a shown progress bar advances.
PROGRESS_STEPS = 10

COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                  "/jax/core/compile/jaxpr_to_mlir_module_duration",
                  "/jax/core/compile/backend_compile_duration")


def init_strategy(spec: ModelSpec):
    """NumPyro's ``init_to_uniform`` with :data:`INIT_RADIUS`, or
    :data:`INIT_RADIUS_DISTRIBUTIONAL` when an auxiliary parameter has a formula: where every
    NumPyro chain of ``spec`` starts."""
    from numpyro.infer import init_to_uniform

    return init_to_uniform(radius=INIT_RADIUS_DISTRIBUTIONAL if len(spec.predictors) > 1
                           else INIT_RADIUS)


def chain_method(chains: int) -> str:
    """``"parallel"`` (one device per chain), ``"vectorized"`` (fewer devices than chains) or
    ``"sequential"`` (one chain)."""
    import jax

    if chains == 1:
        return "sequential"
    return "parallel" if jax.local_device_count() >= chains else "vectorized"


def phases(tune: int, draws: int, chunked: bool) -> list[tuple[int, int, str]]:
    """The ``(lo, hi, phase)`` iteration ranges ``advance`` runs: one range over all
    ``tune + draws`` iterations, or :data:`PROGRESS_STEPS` chunks of warm-up and of sampling."""
    if not chunked:
        return [(0, tune + draws, "sampling")]
    out = []
    for lo, n, phase in ((0, tune, "warm-up"), (tune, draws, "sampling")):
        edges = np.unique(np.linspace(lo, lo + n, PROGRESS_STEPS + 1).round().astype(int))
        out += [(int(a), int(b), phase) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return out


@dataclass
class NumpyroProgram:
    """The compiled sampler of one model structure and :class:`SamplerSettings` (see the
    module doc); ``data``: the model argument of the compiled design (``design``, a weak
    reference) on the device; ``label``: the progress bar's name of the sampler."""

    spec: ModelSpec
    settings: SamplerSettings
    chain_method: str
    start: Any
    advance: Any
    finish: Any
    data: Any
    design: weakref.ref
    label: str = "NumPyro"

    def run(self, seed: int, design: Design | None = None, spec: ModelSpec | None = None,
            progress: bool = False) -> SamplerResult:
        """Sample with ``seed`` (one key per chain split from ``PRNGKey(seed)``): the compiled
        design's data, or those of ``design`` (with its ``spec``), which must have the compiled
        structure."""
        import jax
        import jax.monitoring

        from bayeszoo.models.numpyro import build_numpyro
        from bayeszoo.progress import bar, shown

        compile_time = [0.0]

        def listener(event: str, duration: float, **_: Any) -> None:
            if event in COMPILE_EVENTS:
                compile_time[0] += duration

        t0 = time.perf_counter()
        s = self.settings
        data = self.data if design is None or design is self.design() else \
            jax.device_put(build_numpyro(design, spec=spec or self.spec).data)
        watched = shown(progress)
        jax.monitoring.register_event_duration_secs_listener(listener)
        try:
            state, records = self.start(jax.random.split(jax.random.PRNGKey(seed), s.chains),
                                        data)
            shown_phase = ""
            with bar(s.tune + s.draws, self.label, "it", watched) as meter:
                for lo, hi, phase in phases(s.tune, s.draws, watched):
                    if watched and phase != shown_phase:
                        meter.set_description(f"{self.label} {phase}")
                        shown_phase = phase
                    state, records = self.advance(state, records, data, lo, hi)
                    if watched:
                        jax.block_until_ready(records)
                        meter.update(hi - lo)
            samples = self.finish(records[0], data)
            samples = {x.name: np.asarray(samples[x.name]) for x in self.spec.sites}
            diverging, energy, n_steps, step_size, accept, potential = \
                (np.asarray(a) for a in records[1:])
        finally:
            jax.monitoring.unregister_event_duration_listener(listener)
        elapsed = time.perf_counter() - t0
        n_steps = n_steps.astype(np.int64)
        stats = {
            "diverging": diverging.astype(bool),
            "energy": energy.astype(float),
            "tree_depth": (np.floor(np.log2(np.maximum(n_steps, 1))) + 1).astype(np.int64),
            "step_size": step_size.astype(float),
            "n_steps": n_steps,
            "lp": -potential.astype(float),
            "acceptance_rate": accept.astype(float),
        }
        comp = min(compile_time[0], elapsed)
        return SamplerResult(draws=samples, stats=stats, compile_seconds=comp,
                             sampling_seconds=elapsed - comp,
                             mass_matrix="dense" if s.dense_mass else "diagonal",
                             info={"chain_method": self.chain_method})


def unconstrained_prototype(model, first, data) -> dict[str, Any]:
    """Zeros shaped as the latent sites of ``model`` on ``data`` on the unconstrained scale, in
    the model's order (``first``: the init strategy), found by tracing the model's shapes, not
    by running it op by op (which compiles every operation)."""
    import jax
    import jax.numpy as jnp
    from numpyro.distributions.transforms import biject_to
    from numpyro.handlers import seed, substitute, trace

    def unconstrained(key, data):
        sites = trace(substitute(seed(model, key), substitute_fn=first)).get_trace(data)
        return {k: biject_to(v["fn"].support).inv(v["value"]) for k, v in sites.items()
                if v["type"] == "sample" and not v["is_observed"]}

    return {k: jnp.zeros(a.shape, a.dtype) for k, a in
            jax.eval_shape(unconstrained, jax.random.PRNGKey(0), data).items()}


def nuts_program(design: Design, spec: ModelSpec, settings: SamplerSettings) -> NumpyroProgram:
    """The :class:`NumpyroProgram` of the NumPyro model of ``spec`` on ``design``: ``start(keys,
    data)``, ``advance(state, records, data, lo, hi)`` and ``finish(z, data)``, jitted (traced
    on their first run)."""
    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    built = build_numpyro(design, spec=spec)
    return model_program(built.model, built.data, design, spec, settings)


def model_program(model, model_data, design: Design, spec: ModelSpec,
                  settings: SamplerSettings) -> NumpyroProgram:
    """:func:`nuts_program` of any NumPyro ``model`` taking one argument, ``model_data``,
    whose latent sites are ``spec.sites`` (a model that integrates some of ``design``'s
    parameters out samples the others)."""
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    import jax
    import jax.numpy as jnp
    from numpyro.infer.hmc import hmc
    from numpyro.infer.util import (
        ParamInfo,
        find_valid_initial_params,
        potential_energy,
    )

    s = settings
    first = init_strategy(spec)
    data = jax.device_put(model_data)

    prototype = unconstrained_prototype(model, first, data)
    init_kernel, sample_kernel = hmc(
        potential_fn_gen=lambda data: partial(potential_energy, model, (data,), {}),
        algo="NUTS")
    dense = [tuple(sorted(prototype))] if s.dense_mass else []

    def record(state):
        return (state.z, state.diverging, state.energy, state.num_steps,
                state.adapt_state.step_size, state.accept_prob, state.potential_energy)

    def start(key, data):
        k_init, k_run = jax.random.split(key)
        params, _ = find_valid_initial_params(k_init, model, model_args=(data,),
                                              init_strategy=first, prototype_params=prototype)
        state = init_kernel(ParamInfo(*params), num_warmup=s.tune,
                            target_accept_prob=s.target_accept, dense_mass=dense,
                            model_args=(data,), rng_key=k_run)
        records = jax.tree.map(lambda a: jnp.zeros((s.draws, *jnp.shape(a)), jnp.result_type(a)),
                               record(state))
        return state, records

    def advance(state, records, data, lo, hi):
        def step(i, carry):
            state, records = carry
            state = sample_kernel(state, model_args=(data,))
            # warm-up iterations write to row 0, which the first kept draw overwrites
            row = jnp.maximum(i - s.tune, 0)
            return state, jax.tree.map(lambda r, v: r.at[row].set(v), records, record(state))

        return jax.lax.fori_loop(lo, hi, step, (state, records))

    return chained_program(model, design, spec, s, start, advance, data)


def chained_program(model, design: Design, spec: ModelSpec, settings: SamplerSettings, start,
                    advance, data, label: str = "NumPyro") -> NumpyroProgram:
    """The program of one chain's ``start(key, data)`` and ``advance(state, records, data, lo,
    hi)`` run over ``settings.chains`` chains (``pmap`` over host devices when there is one per
    chain, else ``vmap``), its draws constrained back through ``model``."""
    import jax
    from numpyro.infer.util import constrain_fn

    method = chain_method(settings.chains)
    if method == "parallel":
        start_c = jax.pmap(start, in_axes=(0, None))
        advance_c = jax.pmap(advance, in_axes=(0, 0, None, None, None), donate_argnums=(1,))
    else:
        start_c = jax.jit(jax.vmap(start, in_axes=(0, None)))
        advance_c = jax.jit(jax.vmap(advance, in_axes=(0, 0, None, None, None)),
                            donate_argnums=(1,))
    finish = jax.jit(lambda z, data: jax.vmap(jax.vmap(
        partial(constrain_fn, model, (data,), {})))(z))
    return NumpyroProgram(spec=spec, settings=settings, chain_method=method, start=start_c,
                          advance=advance_c, finish=finish, data=data,
                          design=weakref.ref(design), label=label)


class NumpyroBackend:
    """NumPyro's NUTS: the one backend that samples network terms (their forward pass is
    written for JAX)."""

    name = "numpyro"
    packages = ("numpyro", "jax", "jaxlib")
    samples_networks = True

    def compile(self, design: Design, spec: ModelSpec,
                settings: SamplerSettings) -> NumpyroProgram:
        return nuts_program(design, spec, settings)

    def program_key(self, design: Design, spec: ModelSpec, settings: SamplerSettings) -> str:
        """A hash of what the compiled program depends on: the family, every site with its
        shape and prior, the block structures with their constants (a smooth's penalties, a
        GP's points), the shapes of the data arrays (the sufficient statistics' where the
        family has them, so any rows with the same columns and group levels share a program)
        and the settings."""
        import jax

        from bayeszoo.models.numpyro import build_numpyro

        data = build_numpyro(design, spec=spec).data
        family = spec.family
        predictors = [dataclasses.replace(ps, x_means=None, link=None)
                      for ps in spec.predictors]
        h = hashlib.sha256(json.dumps({
            "family": repr(family),
            "class": f"{type(family).__module__}.{type(family).__qualname__}",
            "link": family.link_name, "response": spec.response,
            "sites": [(x.name, list(x.shape), str(x.prior), x.support) for x in spec.sites],
            "aux": spec.aux, "parameterization": spec.parameterization,
            "indicator": [b.is_indicator for b in design.blocks],
            "data": [(list(np.shape(a)), str(np.asarray(a).dtype))
                     for a in jax.tree.leaves(data)],
            "settings": dataclasses.asdict(settings),
        }, sort_keys=True, default=str).encode())
        h.update(pickle.dumps(predictors))
        return "numpyro-" + h.hexdigest()[:16]


BACKEND = NumpyroBackend()
