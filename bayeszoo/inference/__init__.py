"""Inference on a :class:`bayeszoo.design.Design`: mgcv-equivalent REML (``reml``), NUTS sampling,
LOO comparison and Optax training. Submodules load on first use; nothing is imported here."""
