"""Inference on a :class:`bayeszoo.design.Design`: mgcv-equivalent REML (``reml``), NUTS sampling
and LOO comparison. Submodules load on first use; nothing is imported here."""
