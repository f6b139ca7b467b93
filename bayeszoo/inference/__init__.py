"""Inference on a :class:`bayeszoo.design.Design`: NUTS sampling
and LOO comparison. Submodules load on first use; nothing is imported here."""
