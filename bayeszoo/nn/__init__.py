"""Neural networks on the runtime's JAX: Flax NNX modules, the Optax training loop, the lecture's
recipes and backpropagation by hand in numpy."""
