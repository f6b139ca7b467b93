"""NUTS in NumPyro (JAX): the chains run in parallel across devices when there are as many
devices as chains (the runtime makes at least 4 CPU host devices), else vectorized."""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

from . import SamplerResult

# NumPyro chain method when there are fewer devices than chains. Measured on radon
# (log_radon ~ 1 + (1 | county), 4 chains x (1000 + 1000), 2-core CPU, process CPU seconds):
# "vectorized" 10.6 cold / 5.1 warm compilation cache, "sequential" 16.7 cold / 4.5-5.5 warm;
# sequential compiles about twice as long, sampling proper is within noise.
FALLBACK_CHAIN_METHOD = "vectorized"
# Data enter the compiled sampler as arguments, not constants: compilation depends on shapes only.
JIT_MODEL_ARGS = True
#: Chains start uniformly in ``(-radius, radius)`` on the unconstrained scale: ``(-2, 2)`` as
#: Stan and brms; ``(-1, 1)`` (where PyMC's jitter starts) when an auxiliary parameter has a
#: formula of its own, whose log link turns an extreme initial ``eta`` (a smooth's sd up to
#: e², times z up to 2, times columns up to 19 on mcycle) into a ``sigma`` so far from the data
#: that warm-up may never leave it: on mcycle's ``sigma ~ s(times)`` 1 chain in 16 stayed stuck
#: at radius 2 (4 seeds × 4 chains), none in 16 at radius 1.
INIT_RADIUS = 2.0
INIT_RADIUS_DISTRIBUTIONAL = 1.0
#: NumPyro's progress bar is off: it puts host callbacks into the compiled sampler, whose cache
#: key then holds the callbacks' addresses, so the persistent compilation cache never hits
#: (radon_intercept on a warm cache, 2 loaded cores: compilation 20 s with the bar, 3 s without;
#: the draws are identical). ``progress=True`` prints one line before and one after instead.
NUMPYRO_PROGRESS_BAR = False


def init_strategy(spec):
    """NumPyro's ``init_to_uniform`` with :data:`INIT_RADIUS`, or
    :data:`INIT_RADIUS_DISTRIBUTIONAL` when an auxiliary parameter has a formula: where every
    NumPyro fit of ``spec`` starts its chains (:func:`run` and the refits of
    :mod:`bayeszoo.inference.repeated`)."""
    from numpyro.infer import init_to_uniform

    return init_to_uniform(radius=INIT_RADIUS_DISTRIBUTIONAL if len(spec.predictors) > 1
                           else INIT_RADIUS)


COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                  "/jax/core/compile/jaxpr_to_mlir_module_duration",
                  "/jax/core/compile/backend_compile_duration")


def run(design, spec, *, chains, draws, tune, seed, target_accept, dense_mass,
        progress) -> SamplerResult:
    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.runtime import ensure_configured

    ensure_configured()
    import jax
    import jax.monitoring
    from numpyro.infer import MCMC, NUTS

    compile_time = [0.0]

    def listener(event: str, duration: float, **_: Any) -> None:
        if event in COMPILE_EVENTS:
            compile_time[0] += duration

    t0 = time.perf_counter()
    built = build_numpyro(design, spec=spec)
    chain_method = "parallel" if jax.local_device_count() >= chains else FALLBACK_CHAIN_METHOD
    if chains == 1:
        chain_method = "sequential"
    kernel = NUTS(built.model, target_accept_prob=target_accept, dense_mass=dense_mass,
                  init_strategy=init_strategy(spec))
    mcmc = MCMC(kernel, num_warmup=tune, num_samples=draws, num_chains=chains,
                chain_method=chain_method, progress_bar=NUMPYRO_PROGRESS_BAR,
                jit_model_args=JIT_MODEL_ARGS)
    if progress:
        print(f"NumPyro NUTS: {chains} chain(s) x ({tune} warm-up + {draws} draws), "
              f"{chain_method}...", file=sys.stderr, flush=True)
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        mcmc.run(jax.random.PRNGKey(seed), built.data,
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
    inv_mass = mcmc.last_state.adapt_state.inverse_mass_matrix
    dense = any(np.ndim(m) - (1 if chain_method != "sequential" and chains > 1 else 0) == 2
                for m in inv_mass.values())
    comp = min(compile_time[0], elapsed)
    if progress:
        print(f"NumPyro NUTS: done in {elapsed:.1f} s (compilation {comp:.1f} s, sampling "
              f"{elapsed - comp:.1f} s)", file=sys.stderr, flush=True)
    return SamplerResult(draws=samples, stats=stats, compile_seconds=comp,
                         sampling_seconds=elapsed - comp,
                         mass_matrix="dense" if dense else "diagonal",
                         info={"chain_method": chain_method})
