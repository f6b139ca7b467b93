"""NUTS in BlackJAX on the NumPyro model, warmed up as nutpie does (a diagonal mass matrix
estimated from draws and gradients, :mod:`.gradient_adaptation`).

The log density is NumPyro's potential of the model on the unconstrained scale, flattened to
one vector; the transition is BlackJAX's multinomial NUTS (``blackjax.nuts.build_kernel``,
maximum tree depth 10, as Stan, NumPyro and nutpie). The program has the three jitted
functions of :class:`~.numpyro.NumpyroProgram` (``start``, ``advance``, ``finish``), with the
same arguments, buffers and chain placement, so it reruns on new data of the same structure
without tracing again and shares NumPyro's initial points (:func:`.numpyro.init_strategy`).
Only the diagonal mass matrix is adapted: ``dense_mass=True`` is refused. BlackJAX is an
optional dependency (``pip install 'bayeszoo[blackjax]'``).
"""

from __future__ import annotations

from bayeszoo.design import Design
from bayeszoo.models.spec import ModelSpec

from . import SamplerSettings
from . import gradient_adaptation as ga
from .numpyro import BACKEND as NUMPYRO
from .numpyro import NumpyroProgram, chained_program, init_strategy, unconstrained_prototype


def require_blackjax():
    """The ``blackjax`` module; ``ImportError`` saying how to install it when it is missing."""
    try:
        import blackjax
    except ModuleNotFoundError as e:
        raise ImportError("backend='blackjax' needs BlackJAX: pip install 'bayeszoo[blackjax]' "
                          "(or pip install blackjax)") from e
    return blackjax


def gradient_nuts_program(design: Design, spec: ModelSpec,
                          settings: SamplerSettings) -> NumpyroProgram:
    """BlackJAX's NUTS with :mod:`.gradient_adaptation` for the NumPyro model of ``spec`` on
    ``design``, as a :class:`~.numpyro.NumpyroProgram` (traced on its first run)."""
    from bayeszoo.models.numpyro import build_numpyro
    from bayeszoo.runtime import ensure_configured

    if settings.dense_mass:
        raise ValueError("backend='blackjax' adapts a diagonal mass matrix from gradients; for "
                         "dense_mass=True use backend='numpyro', 'pymc' or 'nutpie'")
    blackjax = require_blackjax()
    ensure_configured()
    import jax
    import jax.numpy as jnp
    from blackjax.mcmc.hmc import HMCState
    from jax.flatten_util import ravel_pytree
    from numpyro.infer.util import find_valid_initial_params, potential_energy

    s = settings
    built = build_numpyro(design, spec=spec)
    first = init_strategy(spec)
    data = jax.device_put(built.data)
    prototype = unconstrained_prototype(built.model, first, data)
    _, unravel = ravel_pytree(prototype)
    kernel = blackjax.nuts.build_kernel()

    def logdensity_of(data):
        return lambda x: -potential_energy(built.model, (data,), {}, unravel(x))

    def record(state, info, step):
        return (unravel(state.position), info.is_divergent, info.energy,
                info.num_integration_steps, step, info.acceptance_rate, -state.logdensity)

    def start(key, data):
        k_init, k_step, k_run = jax.random.split(key, 3)
        params, _ = find_valid_initial_params(k_init, built.model, model_args=(data,),
                                              init_strategy=first, prototype_params=prototype)
        logdensity = logdensity_of(data)
        x, _ = ravel_pytree(params[0])
        logp, grad = jax.value_and_grad(logdensity)(x)
        state = HMCState(x, logp, grad)
        ad = ga.start(k_step, x, logp, grad, logdensity, s.target_accept)
        step = jnp.exp(ad.da.log_step)
        _, info = jax.eval_shape(lambda: kernel(k_run, state, logdensity, step, ad.inv_mass))
        shapes = record(state, info, step)
        records = jax.tree.map(lambda a: jnp.zeros((s.draws, *jnp.shape(a)), a.dtype), shapes)
        return (state, ad, step, k_run), records

    def advance(carry, records, data, lo, hi):
        logdensity = logdensity_of(data)

        def iterate(i, c):
            (state, ad, step, key), records = c
            k_jit, k_nuts, k_find = jax.random.split(jax.random.fold_in(key, i), 3)
            used = ga.jittered(k_jit, step)
            new, info = kernel(k_nuts, state, logdensity, used, ad.inv_mass)
            moved = jnp.any(new.position != state.position) & ~info.is_divergent
            tuned, tuned_step = ga.update(ad, i, s.tune, k_find, new.position, new.logdensity,
                                          new.logdensity_grad, moved, info.acceptance_rate,
                                          logdensity, s.target_accept)
            warm = i < s.tune
            ad = jax.tree.map(lambda a, b: jnp.where(warm, a, b), tuned, ad)
            step = jnp.where(warm, tuned_step, jnp.exp(ad.da.log_step_avg))
            row = jnp.maximum(i - s.tune, 0)
            records = jax.tree.map(lambda r, v: r.at[row].set(v), records,
                                   record(new, info, used))
            return (new, ad, step, key), records

        return jax.lax.fori_loop(lo, hi, iterate, (carry, records))

    return chained_program(built.model, design, spec, s, start, advance, data, label="BlackJAX")


class BlackjaxBackend:
    """BlackJAX's NUTS with nutpie's gradient-based warm-up on the NumPyro model; network
    terms stay with NumPyro's backend, whose warm-up their Bayesian nets were checked with."""

    name = "blackjax"
    packages = ("blackjax", "numpyro", "jax", "jaxlib")
    samples_networks = False

    def compile(self, design: Design, spec: ModelSpec,
                settings: SamplerSettings) -> NumpyroProgram:
        return gradient_nuts_program(design, spec, settings)

    def program_key(self, design: Design, spec: ModelSpec, settings: SamplerSettings) -> str:
        """NumPyro's key of the same structure (:meth:`.numpyro.NumpyroBackend.program_key`)
        under this backend's name."""
        return "blackjax-" + NUMPYRO.program_key(design, spec, settings).removeprefix("numpyro-")


BACKEND = BlackjaxBackend()
